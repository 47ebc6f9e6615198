// Application versions and delays (1.3): DBOSClient's listApplicationVersions and
// getLatestApplicationVersion read DBOS's application_versions (each worker registers its
// version there at launch; the latest is the one with the greatest version_timestamp), and
// setWorkflowDelay moves the start of a DELAYED workflow. Postgres side: only trivially
// destructible locals.
#include "error_bridge.hpp"
#include "dbos_client.hpp"

extern "C" {
#include "access/htup_details.h"
#include "utils/array.h"
#include "utils/datum.h"
}

namespace dbos_client {

void version_text(const Profile *p, StatementId id, StringInfo sql) {
  switch (id) {
    case S_VERSIONS:
      // DBOS's appNameFilter: the given applications' rows and unclaimed ones; no names, all.
      appendStringInfo(sql,
                       "SELECT version_id, version_name, "
                       "pg_catalog.to_timestamp(version_timestamp OPERATOR(pg_catalog./) 1000.0), "
                       "pg_catalog.to_timestamp(created_at OPERATOR(pg_catalog./) 1000.0), %s "
                       "FROM %s.application_versions",
                       table_has_column(p, T_APP_VERSIONS, "application_name") ? "application_name" : "NULL::pg_catalog.text",
                       p->quoted_schema);
      if (table_has_column(p, T_APP_VERSIONS, "application_name"))
        appendStringInfoString(sql, " WHERE $apps IS NULL OR application_name IS NULL OR "
                                    "application_name OPERATOR(pg_catalog.=) ANY ($apps)");
      appendStringInfoString(sql, " ORDER BY version_timestamp DESC, version_name LIMIT $limit");
      break;
    case S_SET_DELAY:
      appendStringInfo(sql,
                       "UPDATE %s.workflow_status SET delay_until_epoch_ms = $delay_until, updated_at = $now_ms "
                       "WHERE workflow_uuid OPERATOR(pg_catalog.=) $id AND status OPERATOR(pg_catalog.=) 'DELAYED'",
                       p->quoted_schema);
      break;
    default:
      elog(ERROR, "not a version statement: %d", (int)id);
  }
}

namespace {

const Profile *connect_versions() {
  if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "SPI_connect failed");
  const Profile *p = current_profile();
  if (!OidIsValid(p->relid[T_APP_VERSIONS]))
    ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                    errmsg("table application_versions needs a newer DBOS system schema"),
                    errdetail("The DBOS schema %s (dbos_migrations version %lld) lacks it (DBOS TypeScript "
                              "migration 35, Python 13).", p->quoted_schema, (long long)p->version),
                    errhint("Upgrade the DBOS system tables by launching a current DBOS application.")));
  return p;
}

// Runs S_VERSIONS for the given applications (NULL: dbos.application_name's; none set: all).
void select_versions(FunctionCallInfo fcinfo, Datum apps, bool apps_null, int64 limit, const Profile *p) {
  Datum v[VP_COUNT];
  char n[VP_COUNT];
  memset(n, 'n', sizeof n);
  if (!apps_null) {
    v[VP_APPS] = apps, n[VP_APPS] = ' ';
  } else if (const char *app = setting_application_name()) {
    Datum e = CStringGetTextDatum(app);
    v[VP_APPS] = PointerGetDatum(construct_array(&e, 1, TEXTOID, -1, false, TYPALIGN_INT));
    n[VP_APPS] = ' ';
  }
  v[VP_LIMIT] = Int64GetDatum(limit), n[VP_LIMIT] = ' ';
  run_statement(statement(p, S_VERSIONS), v, n, true, SPI_OK_SELECT);
}

}  // namespace
}  // namespace dbos_client

using namespace dbos_client;

// dbos.list_application_versions(application_name text[] DEFAULT NULL) RETURNS SETOF
// dbos.application_version_info, latest first.
DBOS_FUNCTION(dbos_list_application_versions) {
  InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC | MAT_SRF_BLESS);
  MemoryContext caller = CurrentMemoryContext;
  const Profile *p = connect_versions();
  select_versions(fcinfo, PG_ARGISNULL(0) ? (Datum)0 : PG_GETARG_DATUM(0), PG_ARGISNULL(0), PG_INT64_MAX, p);
  materialize_spi_result(fcinfo, caller, nullptr, -1);
  SPI_finish();
  return (Datum)0;
}

// dbos.get_latest_application_version(application_name text DEFAULT NULL) RETURNS
// dbos.application_version_info: the latest of that application's and unclaimed versions; NULL
// when there is none (DBOSClient throws "No application versions found").
DBOS_FUNCTION(dbos_get_latest_application_version) {
  TupleDesc desc;
  if (get_call_result_type(fcinfo, nullptr, &desc) != TYPEFUNC_COMPOSITE)
    elog(ERROR, "dbos.get_latest_application_version must return a composite type");
  desc = BlessTupleDesc(desc);
  Datum apps = (Datum)0;
  if (!PG_ARGISNULL(0) && VARSIZE_ANY_EXHDR(PG_GETARG_TEXT_PP(0)) > 0) {
    Datum e = PG_GETARG_DATUM(0);
    apps = PointerGetDatum(construct_array(&e, 1, TEXTOID, -1, false, TYPALIGN_INT));
  }
  MemoryContext caller = CurrentMemoryContext;
  const Profile *p = connect_versions();
  select_versions(fcinfo, apps, apps == (Datum)0, 1, p);
  if (SPI_processed == 0) {
    SPI_finish();
    PG_RETURN_NULL();
  }
  Datum result = copy_spi_row(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, desc, caller);
  SPI_finish();
  PG_RETURN_DATUM(result);
}

// dbos.set_workflow_delay(workflow_id, delay interval DEFAULT NULL, delay_until timestamptz
// DEFAULT NULL) RETURNS boolean: a DELAYED workflow starts at the new time (whether it was
// DELAYED and changed); any other status is left alone, as DBOSClient.setWorkflowDelay does.
DBOS_FUNCTION(dbos_set_workflow_delay) {
  if (PG_ARGISNULL(0))
    ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("workflow_id must not be null")));
  char *id = text_to_cstring(PG_GETARG_TEXT_PP(0));
  if (PG_ARGISNULL(1) == PG_ARGISNULL(2))
    ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("give exactly one of delay and delay_until"),
                    errhint("delay => interval '10 minutes' starts it that long from now; delay_until => a time.")));
  int64 now_ms = epoch_ms_now(), until_ms;
  if (!PG_ARGISNULL(1)) {
    TimestampTz now = GetCurrentTimestamp();
    TimestampTz until = DatumGetTimestampTz(
        DirectFunctionCall2(timestamptz_pl_interval, TimestampTzGetDatum(now), PG_GETARG_DATUM(1)));
    if (until <= now)
      ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("delay must be positive"),
                      errdetail("DBOS: delaySeconds must be greater than 0.")));
    until_ms = timestamp_to_epoch_ms(until);
  } else {
    TimestampTz until = PG_GETARG_TIMESTAMPTZ(2);
    if (TIMESTAMP_NOT_FINITE(until) || timestamp_to_epoch_ms(until) <= 0)
      ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("delay_until must be a finite time after 1970"),
                      errdetail("DBOS: delayUntilEpochMS must be greater than 0.")));
    until_ms = timestamp_to_epoch_ms(until);
  }
  refuse_write_on_standby();
  if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "SPI_connect failed");
  const Profile *p = current_profile();
  if (!p->delay)
    ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED), errmsg("delayed workflows need a newer DBOS system schema"),
                    errdetail("The DBOS schema %s (dbos_migrations version %lld) has no delay_until_epoch_ms.",
                              p->quoted_schema, (long long)p->version),
                    errhint("Launch a current DBOS application to upgrade the tables.")));
  Datum v[VP_COUNT];
  char n[VP_COUNT];
  memset(n, 'n', sizeof n);
  v[VP_ID] = CStringGetTextDatum(id), n[VP_ID] = ' ';
  v[VP_DELAY_UNTIL] = Int64GetDatum(until_ms), n[VP_DELAY_UNTIL] = ' ';
  v[VP_NOW_MS] = Int64GetDatum(now_ms), n[VP_NOW_MS] = ' ';
  run_statement(statement(p, S_SET_DELAY), v, n, false, SPI_OK_UPDATE);
  bool changed = SPI_processed > 0;
  SPI_finish();
  PG_RETURN_BOOL(changed);
}
