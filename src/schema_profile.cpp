// Detection of the DBOS layout in the system schema: once per backend, cached, and rebuilt
// when DDL touches the tables (relcache and pg_class invalidations).
#include "dbos_client.hpp"

extern "C" {
#include "access/relation.h"
#include "access/xact.h"
#include "rewrite/prs2lock.h"
#include "utils/rel.h"
#include "utils/acl.h"
#include "utils/inval.h"
#include "utils/syscache.h"
}

namespace dbos_client {
namespace {

const char *const kTableNames[T_COUNT] = {
    "workflow_status", "workflow_input",    "workflow_output", "notifications",
    "workflow_events", "queues",            "dbos_migrations", "operation_outputs",
    "streams",         "workflow_events_history", "workflow_schedules", "application_versions"};
// Columns every supported layout has (TS migration 32 / Python 11 and later).
const char *const kRequiredStatusColumns[] = {
    "workflow_uuid", "status",   "name",          "class_name",       "config_name",
    "queue_name",    "priority", "deduplication_id", "workflow_timeout_ms", "serialization",
    "created_at",    "updated_at", "recovery_attempts", "application_version", "output", "error"};

// The current profile_ptr-> A new one is allocated at each detection: a call further up the
// stack (a trigger on a DBOS table can call dbos.* again, even with another
// dbos.system_schema) keeps its own until the transaction ends, when retired ones are freed.
Profile *profile_ptr = nullptr;
List *retired_profiles = NIL;  // in TopMemoryContext
bool profile_valid = false;
uint64 generation = 0;
uint32 table_name_hash[T_COUNT];  // RELNAMENSP hashes of our tables, present or not

void invalidate(Datum, Oid relid) {
  if (!profile_valid) return;
  if (relid == InvalidOid) {
    profile_valid = false;
    return;
  }
  for (int i = 0; i < T_COUNT; i++)
    if (profile_ptr->relid[i] == relid) profile_valid = false;
}

void invalidate_names(Datum, int, uint32 hash) {
  if (!profile_valid) return;
  if (hash == 0) {
    profile_valid = false;
    return;
  }
  for (int i = 0; i < T_COUNT; i++)
    if (table_name_hash[i] == hash) profile_valid = false;
}

void invalidate_all(Datum, int, uint32) { profile_valid = false; }

// A rule would rewrite our INSERT into something else, and SPI could not tell.
bool has_insert_rule(Oid relid) {
  if (!OidIsValid(relid)) return false;
  Relation rel = relation_open(relid, AccessShareLock);
  bool found = false;
  for (int i = 0; rel->rd_rules && i < rel->rd_rules->numLocks; i++)
    found = found || rel->rd_rules->rules[i]->event == CMD_INSERT;
  relation_close(rel, AccessShareLock);
  return found;
}

bool has_column(Oid relid, const char *column) {
  return OidIsValid(relid) && get_attnum(relid, column) != InvalidAttrNumber;
}

const char *kCreateHint =
    "Create the DBOS system tables by launching a DBOS application on this database or with "
    "\"npx dbos schema <url>\", or set dbos.system_schema to the schema your application uses.";

int64 read_version(Oid relid, const char *quoted) {
  // Informational only: a role that may not read it gets the same profile, version unknown,
  // whatever this backend read before.
  if (!OidIsValid(relid) || pg_class_aclcheck(relid, GetUserId(), ACL_SELECT) != ACLCHECK_OK) return 0;
  char *sql = psprintf("SELECT pg_catalog.max(version)::pg_catalog.int8 FROM %s.dbos_migrations", quoted);
  if (SPI_execute(sql, true, 1) != SPI_OK_SELECT)
    elog(ERROR, "could not read %s.dbos_migrations", quoted);
  bool isnull = true;
  Datum d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
  int64 v = isnull ? 0 : DatumGetInt64(d);
  SPI_freetuptable(SPI_tuptable);
  pfree(sql);
  return v;
}

void detect(const char *schema) {
  profile_valid = false;
  Oid nsp = get_namespace_oid(schema, true);
  if (!OidIsValid(nsp))
    ereport(ERROR, (errcode(ERRCODE_INVALID_SCHEMA_NAME),
                    errmsg("DBOS system schema \"%s\" does not exist", schema),
                    errhint("%s", kCreateHint)));
  Oid relid[T_COUNT];
  for (int i = 0; i < T_COUNT; i++) relid[i] = get_relname_relid(kTableNames[i], nsp);
  const char *missing = nullptr;
  if (!OidIsValid(relid[T_STATUS])) missing = "workflow_status";
  else if (!OidIsValid(relid[T_NOTIFICATIONS])) missing = "notifications";
  else if (!OidIsValid(relid[T_EVENTS])) missing = "workflow_events";
  if (missing)
    ereport(ERROR, (errcode(ERRCODE_UNDEFINED_TABLE),
                    errmsg("DBOS system table \"%s.%s\" does not exist", schema, missing),
                    errhint("%s", kCreateHint)));

  MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);
  char *quoted = pstrdup(quote_identifier(schema));
  MemoryContextSwitchTo(old);
  int64 version = read_version(relid[T_MIGRATIONS], quoted);

  const char *needs = nullptr;
  for (const char *column : kRequiredStatusColumns)
    if (!has_column(relid[T_STATUS], column)) needs = column;
  bool input_table = OidIsValid(relid[T_INPUT]) && OidIsValid(relid[T_OUTPUT]);
  bool legacy_inputs = has_column(relid[T_STATUS], "inputs");
  if (!needs && !input_table && !legacy_inputs) needs = "inputs";
  if (!needs && !has_column(relid[T_NOTIFICATIONS], "serialization")) needs = "notifications.serialization";
  if (!needs && !has_column(relid[T_EVENTS], "serialization")) needs = "workflow_events.serialization";
  if (needs) {
    pfree(quoted);
    ereport(ERROR,
            (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
             errmsg("DBOS system schema \"%s\" is too old for dbos_client", schema),
             errdetail("Column \"%s\" is missing (dbos_migrations version %lld).", needs,
                       (long long)version),
             errhint("dbos_client needs payload serialization columns (TypeScript migration 32, "
                     "Python migration 11, or later; DBOS TypeScript 5.x has them). Upgrade by "
                     "launching a current DBOS application on this database.")));
  }

  MemoryContext top = MemoryContextSwitchTo(TopMemoryContext);
  if (profile_ptr) retired_profiles = lappend(retired_profiles, profile_ptr);
  profile_ptr = (Profile *)palloc0(sizeof(Profile));
  MemoryContextSwitchTo(top);
  profile_ptr->schema = MemoryContextStrdup(TopMemoryContext, schema);
  profile_ptr->quoted_schema = quoted;
  memcpy(profile_ptr->relid, relid, sizeof relid);
  profile_ptr->version = version;
  profile_ptr->input_table = input_table;
  profile_ptr->legacy_inputs = legacy_inputs;
  profile_ptr->input_retention = has_column(relid[T_INPUT], "retention_timestamp");
  profile_ptr->app_name = has_column(relid[T_STATUS], "application_name");
  profile_ptr->creator_xid = has_column(relid[T_STATUS], "creator_xid");
  profile_ptr->delay = has_column(relid[T_STATUS], "delay_until_epoch_ms");
  profile_ptr->partition = has_column(relid[T_STATUS], "queue_partition_key");
  profile_ptr->queues_table = OidIsValid(relid[T_QUEUES]);
  profile_ptr->insert_rule = nullptr;
  const TableId written[] = {T_STATUS, T_INPUT, T_NOTIFICATIONS};
  for (TableId t : written)
    if (has_insert_rule(relid[t])) profile_ptr->insert_rule = kTableNames[t];
  profile_ptr->generation = ++generation;
  for (int i = 0; i < T_COUNT; i++)
    table_name_hash[i] =
        GetSysCacheHashValue2(RELNAMENSP, CStringGetDatum(kTableNames[i]), ObjectIdGetDatum(nsp));
  profile_valid = true;
  elog(DEBUG1, "dbos_client: detected DBOS schema \"%s\" (version %lld)", schema, (long long)version);
}

void free_retired_profiles(XactEvent event, void *) {
  if (event != XACT_EVENT_COMMIT && event != XACT_EVENT_ABORT && event != XACT_EVENT_PREPARE &&
      event != XACT_EVENT_PARALLEL_COMMIT && event != XACT_EVENT_PARALLEL_ABORT)
    return;
  ListCell *lc;
  foreach (lc, retired_profiles) {
    Profile *old = (Profile *)lfirst(lc);
    pfree(old->schema);
    pfree(old->quoted_schema);
    pfree(old);
  }
  list_free(retired_profiles);
  retired_profiles = NIL;
}

}  // namespace

void register_profile_callbacks() {
  RegisterXactCallback(free_retired_profiles, nullptr);
  CacheRegisterRelcacheCallback(invalidate, (Datum)0);
  CacheRegisterSyscacheCallback(RELNAMENSP, invalidate_names, (Datum)0);
  CacheRegisterSyscacheCallback(NAMESPACEOID, invalidate_all, (Datum)0);
}

const Profile *current_profile() {
  const char *schema = setting_system_schema();
  if (!*schema)
    ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                    errmsg("dbos.system_schema must not be empty"),
                    errhint("RESET dbos.system_schema to use the default schema \"dbos\".")));
  // Pending invalidations (DDL committed by others) are applied before we trust the cache.
  AcceptInvalidationMessages();
  if (!profile_valid || strcmp(profile_ptr->schema, schema) != 0) detect(schema);
  return profile_ptr;
}

bool status_has_column(const Profile *p, const char *column) {
  return has_column(p->relid[T_STATUS], column);
}

bool table_has_column(const Profile *p, TableId table, const char *column) {
  return has_column(p->relid[table], column);
}

}  // namespace dbos_client
