// The GUCs: dbos.system_schema, dbos.application_name, dbos.app_version,
// dbos.wait_recheck_interval.
#include "dbos_client.hpp"

extern "C" {
#include "utils/guc.h"
}

namespace dbos_client {
namespace {
char *system_schema = nullptr;
char *application_name = nullptr;
char *app_version = nullptr;
int wait_recheck_ms = 5000;

const char *or_null(const char *s) { return (s && *s) ? s : nullptr; }
}  // namespace

void define_settings() {
  // SUSET: pointing the functions at other tables (with their own triggers) would let a
  // caller redirect the writes of a SECURITY DEFINER function that calls dbos.*; grant
  // SET ON PARAMETER to roles that need another schema, or ALTER DATABASE ... SET it.
  DefineCustomStringVariable("dbos.system_schema", "Schema holding the DBOS system tables.",
                             "Set it to the systemDatabaseSchemaName of the DBOS application.",
                             &system_schema, "dbos", PGC_SUSET, 0, nullptr, nullptr, nullptr);
  DefineCustomStringVariable("dbos.application_name",
                             "application_name written by dbos.enqueue when the call gives none.",
                             "Empty means unclaimed: any DBOS application may run the workflow.",
                             &application_name, "", PGC_USERSET, 0, nullptr, nullptr, nullptr);
  DefineCustomStringVariable("dbos.app_version",
                             "application_version written by dbos.enqueue when the call gives none.",
                             "Empty means NULL: the latest application version runs the workflow.",
                             &app_version, "", PGC_USERSET, 0, nullptr, nullptr, nullptr);
  DefineCustomIntVariable("dbos.wait_recheck_interval",
                          "How often a waiting call woken at commit also checks on its own.",
                          "With shared_preload_libraries a wait is woken at the commit of the rows it waits "
                          "for; this re-check covers writes no hook sees. Without preloading waits poll "
                          "every 1 to 100 ms instead.",
                          &wait_recheck_ms, 5000, 10, 3600 * 1000, PGC_USERSET, GUC_UNIT_MS, nullptr, nullptr,
                          nullptr);
  MarkGUCPrefixReserved("dbos");
}

const char *setting_system_schema() { return system_schema ? system_schema : "dbos"; }
const char *setting_application_name() { return or_null(application_name); }
const char *setting_app_version() { return or_null(app_version); }
int setting_wait_recheck_ms() { return wait_recheck_ms; }

}  // namespace dbos_client
