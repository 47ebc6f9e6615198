// Dynamic workflow schedules (1.3): the rows of DBOSClient's createSchedule, getSchedule,
// listSchedules, updateSchedule, pauseSchedule, resumeSchedule, deleteSchedule and
// applySchedules (TypeScript 5.3) in the DBOS table workflow_schedules, which DBOS workers
// poll and fire. Cron schedules are checked as DBOS checks them (cron.cpp), time zones
// against PostgreSQL's time zone database. Postgres side: only trivially destructible locals.
#include "cron.hpp"
#include "error_bridge.hpp"
#include "dbos_client.hpp"
#include "requests.hpp"

extern "C" {
#include "access/htup_details.h"
#include "pgtime.h"
#include "utils/datum.h"
#include "utils/array.h"
#include "utils/tuplestore.h"
}

using namespace dbos_client;

namespace dbos_client {
namespace {

bool has(const Profile *p, const char *column) { return table_has_column(p, T_SCHEDULES, column); }

// The columns of dbos.schedule_info, NULL (or false) for those an older schema lacks.
void select_columns(const Profile *p, StringInfo sql) {
  appendStringInfoString(sql, "SELECT schedule_id, schedule_name, workflow_name, workflow_class_name, schedule, status, context");
  const char *optional[][2] = {{"last_fired_at", "NULL::pg_catalog.text"},
                               {"automatic_backfill", "false"},
                               {"cron_timezone", "NULL::pg_catalog.text"},
                               {"queue_name", "NULL::pg_catalog.text"},
                               {"application_name", "NULL::pg_catalog.text"}};
  for (auto &o : optional) appendStringInfo(sql, ", %s", has(p, o[0]) ? o[0] : o[1]);
  appendStringInfo(sql, " FROM %s.workflow_schedules", p->quoted_schema);
}

}  // namespace

void schedule_text(const Profile *p, StatementId id, StringInfo sql) {
  const char *t = p->quoted_schema;
  switch (id) {
    case S_SCHED_OWNER:
      appendStringInfo(sql, "SELECT %s FROM %s.workflow_schedules WHERE schedule_name OPERATOR(pg_catalog.=) $name",
                       has(p, "application_name") ? "application_name" : "NULL::pg_catalog.text", t);
      break;
    case S_SCHED_INSERT:
    case S_SCHED_UPSERT: {
      appendStringInfo(sql,
                       "INSERT INTO %s.workflow_schedules AS s (schedule_id, schedule_name, workflow_name, "
                       "workflow_class_name, schedule, status, context",
                       t);
      const char *optional[][2] = {{"last_fired_at", "NULL"},
                                   {"automatic_backfill", "$backfill"},
                                   {"cron_timezone", "$tz"},
                                   {"queue_name", "$queue"},
                                   {"application_name", "$app"}};
      for (auto &o : optional)
        if (has(p, o[0])) appendStringInfo(sql, ", %s", o[0]);
      appendStringInfoString(sql, ") VALUES ($id, $name, $workflow, $class, $schedule, 'ACTIVE', $context");
      for (auto &o : optional)
        if (has(p, o[0])) appendStringInfo(sql, ", %s", o[1]);
      appendStringInfoString(sql, ")");
      if (id == S_SCHED_INSERT) {
        appendStringInfoString(sql, " ON CONFLICT DO NOTHING");
        break;
      }
      // As DBOS's applySchedules: the definition is replaced, schedule_id and the runtime state
      // (status, last_fired_at) stay, and only an unclaimed row is claimed.
      appendStringInfoString(sql,
                             " ON CONFLICT (schedule_name) DO UPDATE SET workflow_name = excluded.workflow_name, "
                             "workflow_class_name = excluded.workflow_class_name, schedule = excluded.schedule, "
                             "context = excluded.context");
      const char *kept[] = {"automatic_backfill", "cron_timezone", "queue_name"};
      for (const char *c : kept)
        if (has(p, c)) appendStringInfo(sql, ", %s = excluded.%s", c, c);
      if (has(p, "application_name"))
        appendStringInfoString(sql, ", application_name = COALESCE(s.application_name, excluded.application_name)");
      break;
    }
    case S_SCHED_GET:
      select_columns(p, sql);
      appendStringInfoString(sql, " WHERE schedule_name OPERATOR(pg_catalog.=) $name");
      break;
    case S_SCHED_LIST:
      select_columns(p, sql);
      appendStringInfoString(sql,
                             " WHERE ($statuses IS NULL OR status OPERATOR(pg_catalog.=) ANY ($statuses))"
                             " AND ($names IS NULL OR workflow_name OPERATOR(pg_catalog.=) ANY ($names))"
                             " AND ($patterns IS NULL OR schedule_name OPERATOR(pg_catalog.~~) ANY ($patterns))");
      if (has(p, "application_name"))
        appendStringInfoString(sql, " AND ($apps IS NULL OR application_name IS NULL OR "
                                    "application_name OPERATOR(pg_catalog.=) ANY ($apps))");
      appendStringInfoString(sql, " ORDER BY schedule_name");
      break;
    case S_SCHED_UPDATE:
      appendStringInfo(sql,
                       "UPDATE %s.workflow_schedules SET schedule = COALESCE($schedule, schedule), "
                       "context = CASE WHEN $set_context THEN $context ELSE context END",
                       t);
      if (has(p, "automatic_backfill"))
        appendStringInfoString(sql, ", automatic_backfill = COALESCE($backfill, automatic_backfill)");
      if (has(p, "cron_timezone"))
        appendStringInfoString(sql, ", cron_timezone = CASE WHEN $set_tz THEN $tz ELSE cron_timezone END");
      if (has(p, "queue_name"))
        appendStringInfoString(sql, ", queue_name = CASE WHEN $set_queue THEN $queue ELSE queue_name END");
      appendStringInfoString(sql, " WHERE schedule_name OPERATOR(pg_catalog.=) $name RETURNING 1");
      break;
    case S_SCHED_SET_STATUS:
      appendStringInfo(sql, "UPDATE %s.workflow_schedules SET status = $status WHERE schedule_name OPERATOR(pg_catalog.=) $name", t);
      break;
    case S_SCHED_DELETE:
      appendStringInfo(sql, "DELETE FROM %s.workflow_schedules WHERE schedule_name OPERATOR(pg_catalog.=) $name", t);
      break;
    case S_SCHED_TRIGGER_INPUTS:
      // DBOS serializes [scheduled Date, context] with superjson: the context's own type
      // annotations move under index 1, the Date's is index 0. NULL when the context is not
      // superjson (written by another SDK's serializer).
      appendStringInfoString(
          sql,
          "SELECT CASE WHEN c.j IS NOT NULL AND c.j OPERATOR(pg_catalog.?) 'json' AND "
          "(c.j OPERATOR(pg_catalog.->>) '__dbos_serializer') OPERATOR(pg_catalog.=) 'superjson' AND "
          "NOT COALESCE(c.j OPERATOR(pg_catalog.->) 'meta' OPERATOR(pg_catalog.?) 'referentialEqualities', false) THEN "
          "pg_catalog.jsonb_build_object('json', pg_catalog.jsonb_build_array($when, c.j OPERATOR(pg_catalog.->) 'json'), "
          "'meta', pg_catalog.jsonb_build_object('values', '{\"0\": [\"Date\"]}'::pg_catalog.jsonb OPERATOR(pg_catalog.||) "
          "CASE pg_catalog.jsonb_typeof(c.j OPERATOR(pg_catalog.#>) '{meta,values}') "
          "WHEN 'array' THEN pg_catalog.jsonb_build_object('1', c.j OPERATOR(pg_catalog.#>) '{meta,values}') "
          "WHEN 'object' THEN (SELECT pg_catalog.jsonb_object_agg('1.' OPERATOR(pg_catalog.||) e.key, e.value) "
          "FROM pg_catalog.jsonb_each(c.j OPERATOR(pg_catalog.#>) '{meta,values}') e) "
          "ELSE '{}'::pg_catalog.jsonb END), '__dbos_serializer', 'superjson')::pg_catalog.text END "
          "FROM (SELECT $context::pg_catalog.jsonb AS j) c");
      break;
    case S_SCHED_MARK:
      appendStringInfo(sql, "UPDATE %s.workflow_status SET schedule_name = $name WHERE workflow_uuid OPERATOR(pg_catalog.=) $workflow_id", t);
      break;
    default:
      elog(ERROR, "not a schedule statement: %d", (int)id);
  }
}

}  // namespace dbos_client

namespace {

// One schedule definition, as createSchedule / applySchedules take it.
struct Definition {
  const char *name, *workflow, *workflow_class, *schedule;
  Datum context;  // superjson text, as DBOS's default serializer writes it
  bool backfill;
  const char *tz, *queue, *app;  // nullptr: none
};

const Profile *connect_schedules(bool needs_backfill, bool needs_tz, bool needs_queue, bool needs_app) {
  if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "SPI_connect failed");
  const Profile *p = current_profile();
  auto require = [p](bool ok, const char *what, const char *since) {
    if (!ok)
      ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED), errmsg("%s needs a newer DBOS system schema", what),
                      errdetail("The DBOS schema %s (dbos_migrations version %lld) lacks it (%s).", p->quoted_schema,
                                (long long)p->version, since),
                      errhint("Upgrade the DBOS system tables by launching a current DBOS application.")));
  };
  const char *later = "added by a later DBOS migration than the table";
  require(OidIsValid(p->relid[T_SCHEDULES]), "table workflow_schedules", "DBOS TypeScript migration 33, Python 9");
  if (needs_backfill) require(has(p, "automatic_backfill"), "automatic_backfill", later);
  if (needs_tz) require(has(p, "cron_timezone"), "cron_timezone", later);
  if (needs_queue) require(has(p, "queue_name"), "a schedule's queue_name", later);
  if (needs_app) require(has(p, "application_name"), "a schedule's application_name", "DBOS migration 102");
  return p;
}

// The zone names DBOS accepts (it asks Intl.DateTimeFormat, which knows the IANA names): the
// zone files of PostgreSQL's time zone database, less its POSIX-rule copies and the entries
// that are no zone. pg_tzset alone would also take POSIX specs such as 'UTC+3' (which it reads
// as UTC-3) and offsets such as '+05:00': a worker refuses to run such a schedule. Loaded once
// per backend (~25 ms: every zone file is read), sorted for a case-insensitive bsearch.
const char **zone_names;
int zone_count;

int compare_ci(const void *a, const void *b) { return pg_strcasecmp(*(const char *const *)a, *(const char *const *)b); }

bool is_dbos_zone(const char *tz) {
  if (!zone_names) {
    MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);
    int cap = 2048, n = 0;
    const char **names = (const char **)palloc(sizeof(char *) * cap);
    pg_tzenum *e = pg_tzenumerate_start();
    for (pg_tz *z; (z = pg_tzenumerate_next(e)) != nullptr;) {
      const char *name = pg_get_timezone_name(z);
      if (!strncmp(name, "posix/", 6) || !strncmp(name, "right/", 6) || !strcmp(name, "Factory") ||
          !strcmp(name, "localtime") || !strcmp(name, "posixrules"))
        continue;
      if (n == cap) names = (const char **)repalloc(names, sizeof(char *) * (cap *= 2));
      names[n++] = pstrdup(name);
    }
    pg_tzenumerate_end(e);
    qsort(names, n, sizeof(char *), compare_ci);
    MemoryContextSwitchTo(old);
    zone_names = names, zone_count = n;
  }
  return bsearch(&tz, zone_names, zone_count, sizeof(char *), compare_ci) != nullptr;
}

void check_timezone(const char *tz) {
  if (tz && *tz && !is_dbos_zone(tz))
    ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("invalid time zone \"%s\"", tz),
                    errdetail("DBOS: Invalid timezone: '%s'.", tz),
                    errhint("Use an IANA time zone name such as 'Europe/Paris' or 'UTC'.")));
}

// Empty means none, as DBOS reads an empty queue or time zone.
const char *none_if_empty(const char *s) { return s && *s ? s : nullptr; }

Datum context_text(Jsonb *context) { return value_to_text(payloads::Format::js_superjson, context); }

// DBOS's resolveRowOwner: the application a schedule name belongs to. A name registered by
// another application is refused; an unclaimed one is claimed by the caller's.
const char *resolve_owner(const Profile *p, const char *name, const char *owner) {
  Datum v[SC_COUNT];
  char n[SC_COUNT];
  memset(n, 'n', sizeof n);
  v[SC_NAME] = CStringGetTextDatum(name);
  n[SC_NAME] = ' ';
  run_statement(statement(p, S_SCHED_OWNER), v, n, false, SPI_OK_SELECT);
  const char *current = SPI_processed > 0 ? SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1) : nullptr;
  SPI_freetuptable(SPI_tuptable);
  if (!current) return owner;
  if (!owner || strcmp(current, owner) == 0) return current;
  ereport(ERROR, (errcode(ERRCODE_UNIQUE_VIOLATION),
                  errmsg("schedule \"%s\" is registered by another application", name),
                  errdetail("It belongs to application \"%s\"; this call acts for \"%s\".", current, owner),
                  errhint("Schedule names are unique across the applications sharing a system database: use "
                          "another name.")));
}

void definition_params(const Definition *d, const char *owner, Datum *v, char *n) {
  memset(n, 'n', SC_COUNT);
  auto set = [&](int i, const char *s) {
    if (s) v[i] = CStringGetTextDatum(s), n[i] = ' ';
  };
  set(SC_ID, new_uuid());
  set(SC_NAME, d->name);
  set(SC_WORKFLOW, d->workflow);
  set(SC_CLASS, d->workflow_class ? d->workflow_class : "");  // DBOS stores '' for none
  set(SC_SCHEDULE, d->schedule);
  v[SC_CONTEXT] = d->context, n[SC_CONTEXT] = ' ';
  v[SC_BACKFILL] = BoolGetDatum(d->backfill), n[SC_BACKFILL] = ' ';
  set(SC_TZ, d->tz);
  set(SC_QUEUE, d->queue);
  set(SC_APP, owner);
}

// The definition checks of createSchedule / applySchedules, before anything is written.
void check_definition(const Definition *d) {
  requests::require_text(d->name, "schedule_name");
  requests::require_text(d->workflow, "workflow_name");
  cron::validate(d->schedule);
}

char *name_arg(FunctionCallInfo fcinfo, int n) {
  char *name = text_arg(fcinfo, n);
  requests::require_text(name, "schedule_name");
  return name;
}

[[noreturn]] void raise_unknown_schedule(const char *name) {
  ereport(ERROR, (errcode(ERRCODE_UNDEFINED_OBJECT), errmsg("schedule \"%s\" does not exist", name),
                  errhint("dbos.list_schedules() shows the schedules.")));
}

void schedule_values(HeapTuple row, TupleDesc desc, Datum *values, bool *nulls) {
  for (int i = 0; i < 12; i++) {
    if (i == 6) {  // context: decoded from the application's serializer
      char *raw = SPI_getvalue(row, desc, i + 1);
      nulls[i] = raw == nullptr;
      values[i] = raw ? payload_to_jsonb(strstr(raw, "__dbos_serializer") ? "js_superjson" : nullptr, raw,
                                         payloads::Kind::value)
                      : (Datum)0;
      continue;
    }
    if (i == 8) {
      values[i] = SPI_getbinval(row, desc, i + 1, &nulls[i]);
      continue;
    }
    char *s = SPI_getvalue(row, desc, i + 1);
    nulls[i] = s == nullptr;
    values[i] = s ? CStringGetTextDatum(s) : (Datum)0;
  }
}

Datum text_array_arg(FunctionCallInfo fcinfo, int n, char *nulls, int i) {
  nulls[i] = PG_ARGISNULL(n) ? 'n' : ' ';
  return PG_ARGISNULL(n) ? (Datum)0 : PG_GETARG_DATUM(n);
}

}  // namespace

// dbos.create_schedule(schedule_name, workflow_name, schedule, context, workflow_class,
//   automatic_backfill, cron_timezone, queue_name, application_name) RETURNS text (its ID)
DBOS_FUNCTION(dbos_create_schedule) {
  Definition d = {};
  d.name = text_arg(fcinfo, 0);
  d.workflow = text_arg(fcinfo, 1);
  d.schedule = text_arg(fcinfo, 2);
  check_definition(&d);
  d.workflow_class = none_if_empty(text_arg(fcinfo, 4));
  d.backfill = !PG_ARGISNULL(5) && PG_GETARG_BOOL(5);
  d.tz = none_if_empty(text_arg(fcinfo, 6));
  d.queue = none_if_empty(text_arg(fcinfo, 7));
  const char *app = none_if_empty(text_arg(fcinfo, 8));
  d.app = app ? app : setting_application_name();
  check_timezone(d.tz);
  d.context = context_text(PG_ARGISNULL(3) ? nullptr : PG_GETARG_JSONB_P(3));

  MemoryContext caller = CurrentMemoryContext;
  const Profile *p = connect_schedules(d.backfill, d.tz != nullptr, d.queue != nullptr, d.app != nullptr);
  const char *owner = resolve_owner(p, d.name, d.app);
  Datum v[SC_COUNT];
  char n[SC_COUNT];
  definition_params(&d, owner, v, n);
  run_statement(statement(p, S_SCHED_INSERT), v, n, false, SPI_OK_INSERT);
  if (SPI_processed == 0)
    ereport(ERROR, (errcode(ERRCODE_UNIQUE_VIOLATION), errmsg("schedule \"%s\" already exists", d.name),
                    errhint("Use dbos.update_schedule to change it, or dbos.apply_schedules to create or replace it.")));
  MemoryContext spi = MemoryContextSwitchTo(caller);
  Datum id = datumCopy(v[SC_ID], false, -1);
  MemoryContextSwitchTo(spi);
  SPI_finish();
  PG_RETURN_DATUM(id);
}

// dbos.get_schedule(schedule_name) RETURNS dbos.schedule_info, NULL when unknown
DBOS_FUNCTION(dbos_get_schedule) {
  char *name = name_arg(fcinfo, 0);
  TupleDesc desc;
  if (get_call_result_type(fcinfo, nullptr, &desc) != TYPEFUNC_COMPOSITE)
    elog(ERROR, "dbos.get_schedule must return a composite type");
  desc = BlessTupleDesc(desc);
  MemoryContext caller = CurrentMemoryContext;
  const Profile *p = connect_schedules(false, false, false, false);
  Datum v[SC_COUNT];
  char n[SC_COUNT];
  memset(n, 'n', sizeof n);
  v[SC_NAME] = CStringGetTextDatum(name), n[SC_NAME] = ' ';
  run_statement(statement(p, S_SCHED_GET), v, n, true, SPI_OK_SELECT);
  if (SPI_processed == 0) {
    SPI_finish();
    PG_RETURN_NULL();
  }
  Datum values[12];
  bool nulls[12];
  MemoryContext spi = MemoryContextSwitchTo(caller);
  schedule_values(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, values, nulls);
  HeapTuple result = heap_form_tuple(desc, values, nulls);
  MemoryContextSwitchTo(spi);
  SPI_finish();
  PG_RETURN_DATUM(HeapTupleGetDatum(result));
}

// dbos.list_schedules(status text[], workflow_name text[], schedule_name_prefix text[],
//   application_name text[]) RETURNS SETOF dbos.schedule_info
DBOS_FUNCTION(dbos_list_schedules) {
  Datum v[SC_COUNT];
  char n[SC_COUNT];
  memset(n, 'n', sizeof n);
  v[SC_STATUSES] = text_array_arg(fcinfo, 0, n, SC_STATUSES);
  v[SC_NAMES] = text_array_arg(fcinfo, 1, n, SC_NAMES);
  if (!PG_ARGISNULL(2)) {  // prefixes, matched with LIKE '<prefix>%' as DBOS matches them
    ArrayType *a = PG_GETARG_ARRAYTYPE_P(2);
    Datum *elems;
    bool *enulls;
    int count;
    deconstruct_array(a, TEXTOID, -1, false, TYPALIGN_INT, &elems, &enulls, &count);
    for (int i = 0; i < count; i++)
      if (!enulls[i]) elems[i] = CStringGetTextDatum(psprintf("%s%%", TextDatumGetCString(elems[i])));
    int dims[1] = {count}, lbs[1] = {1};
    v[SC_PATTERNS] = PointerGetDatum(construct_md_array(elems, enulls, 1, dims, lbs, TEXTOID, -1, false, TYPALIGN_INT));
    n[SC_PATTERNS] = ' ';
  }
  // Unset, the caller's application (dbos.application_name) and unclaimed schedules; with no
  // application set, every schedule (as a DBOSClient without an application lists them).
  if (!PG_ARGISNULL(3)) {
    v[SC_APPS] = PG_GETARG_DATUM(3), n[SC_APPS] = ' ';
  } else if (const char *app = setting_application_name()) {
    Datum e = CStringGetTextDatum(app);
    v[SC_APPS] = PointerGetDatum(construct_array(&e, 1, TEXTOID, -1, false, TYPALIGN_INT));
    n[SC_APPS] = ' ';
  }
  InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC | MAT_SRF_BLESS);
  MemoryContext caller = CurrentMemoryContext;
  const Profile *p = connect_schedules(false, false, false, false);
  run_statement(statement(p, S_SCHED_LIST), v, n, true, SPI_OK_SELECT);
  materialize_spi_result(fcinfo, caller, schedule_values, -1);
  SPI_finish();
  return (Datum)0;
}

// dbos.update_schedule(schedule_name, schedule, context, automatic_backfill, cron_timezone,
//   queue_name) RETURNS void: NULL leaves a field as it is; '' clears the time zone or queue.
DBOS_FUNCTION(dbos_update_schedule) {
  char *name = name_arg(fcinfo, 0);
  char *schedule = text_arg(fcinfo, 1);
  if (schedule) cron::validate(schedule);
  char *tz = text_arg(fcinfo, 4), *queue = text_arg(fcinfo, 5);
  check_timezone(tz);
  Datum v[SC_COUNT];
  char n[SC_COUNT];
  memset(n, 'n', sizeof n);
  v[SC_NAME] = CStringGetTextDatum(name), n[SC_NAME] = ' ';
  if (schedule) v[SC_SCHEDULE] = CStringGetTextDatum(schedule), n[SC_SCHEDULE] = ' ';
  v[SC_SET_CONTEXT] = BoolGetDatum(!PG_ARGISNULL(2)), n[SC_SET_CONTEXT] = ' ';
  if (!PG_ARGISNULL(2)) v[SC_CONTEXT] = context_text(PG_GETARG_JSONB_P(2)), n[SC_CONTEXT] = ' ';
  if (!PG_ARGISNULL(3)) v[SC_BACKFILL] = BoolGetDatum(PG_GETARG_BOOL(3)), n[SC_BACKFILL] = ' ';
  v[SC_SET_TZ] = BoolGetDatum(tz != nullptr), n[SC_SET_TZ] = ' ';
  if (none_if_empty(tz)) v[SC_TZ] = CStringGetTextDatum(tz), n[SC_TZ] = ' ';
  v[SC_SET_QUEUE] = BoolGetDatum(queue != nullptr), n[SC_SET_QUEUE] = ' ';
  if (none_if_empty(queue)) v[SC_QUEUE] = CStringGetTextDatum(queue), n[SC_QUEUE] = ' ';
  const Profile *p = connect_schedules(!PG_ARGISNULL(3), tz != nullptr, queue != nullptr, false);
  run_statement(statement(p, S_SCHED_UPDATE), v, n, false, SPI_OK_UPDATE_RETURNING);
  bool found = SPI_processed > 0;
  SPI_finish();
  if (!found) raise_unknown_schedule(name);
  PG_RETURN_VOID();
}

namespace {

Datum set_status(FunctionCallInfo fcinfo, const char *status) {
  char *name = name_arg(fcinfo, 0);
  Datum v[SC_COUNT];
  char n[SC_COUNT];
  memset(n, 'n', sizeof n);
  v[SC_NAME] = CStringGetTextDatum(name), n[SC_NAME] = ' ';
  const Profile *p = connect_schedules(false, false, false, false);
  if (status) {
    v[SC_STATUS] = CStringGetTextDatum(status), n[SC_STATUS] = ' ';
    run_statement(statement(p, S_SCHED_SET_STATUS), v, n, false, SPI_OK_UPDATE);
  } else {
    run_statement(statement(p, S_SCHED_DELETE), v, n, false, SPI_OK_DELETE);
  }
  SPI_finish();
  PG_RETURN_VOID();
}

}  // namespace

// dbos.pause_schedule / resume_schedule / delete_schedule(schedule_name) RETURNS void; an
// unknown name changes nothing, as in DBOS.
DBOS_FUNCTION(dbos_pause_schedule) { return set_status(fcinfo, "PAUSED"); }
DBOS_FUNCTION(dbos_resume_schedule) { return set_status(fcinfo, "ACTIVE"); }
DBOS_FUNCTION(dbos_delete_schedule) { return set_status(fcinfo, nullptr); }

namespace {

// A key of an apply_schedules element: its text (nullptr when absent or JSON null).
JsonbValue *member(Jsonb *obj, const char *key) {
  JsonbValue k;
  k.type = jbvString;
  k.val.string.val = (char *)key;
  k.val.string.len = strlen(key);
  JsonbValue *v = findJsonbValueFromContainer(&obj->root, JB_FOBJECT, &k);
  return v && v->type != jbvNull ? v : nullptr;
}

const char *member_text(Jsonb *obj, const char *key, int index) {
  JsonbValue *v = member(obj, key);
  if (!v) return nullptr;
  if (v->type != jbvString)
    ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("schedules[%d].%s must be a string", index, key)));
  return pnstrdup(v->val.string.val, v->val.string.len);
}

}  // namespace

// dbos.apply_schedules(schedules jsonb) RETURNS void: an array of objects with the keys of
// dbos.create_schedule (schedule_name, workflow_name, schedule, context, workflow_class,
// automatic_backfill, cron_timezone, queue_name, application_name); each is created, or
// replaces the definition of the schedule of that name (its ID, status and last run stay).
DBOS_FUNCTION(dbos_apply_schedules) {
  if (PG_ARGISNULL(0))
    ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("schedules must not be null"),
                    errhint("Pass a JSON array of schedule objects ('[]' for none).")));
  Jsonb *all = PG_GETARG_JSONB_P(0);
  if (!JB_ROOT_IS_ARRAY(all) || JB_ROOT_IS_SCALAR(all))
    ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("schedules must be a JSON array"),
                    errhint("Pass '[{\"schedule_name\": ..., \"workflow_name\": ..., \"schedule\": ...}, ...]'.")));
  int count = JB_ROOT_COUNT(all);
  Definition *defs = (Definition *)palloc0(sizeof(Definition) * (count + 1));
  static const char *const keys[] = {"schedule_name", "workflow_name", "schedule", "context", "workflow_class",
                                     "automatic_backfill", "cron_timezone", "queue_name", "application_name"};
  bool any_backfill = false, any_tz = false, any_queue = false, any_app = false;
  for (int i = 0; i < count; i++) {  // every element checked before anything is written
    JsonbValue *e = getIthJsonbValueFromContainer(&all->root, i);
    if (!e || e->type != jbvBinary || !JsonContainerIsObject(e->val.binary.data))
      ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("schedules[%d] must be a JSON object", i)));
    Jsonb *obj = JsonbValueToJsonb(e);
    JsonbIterator *it = JsonbIteratorInit(&obj->root);
    JsonbValue kv;
    JsonbIteratorToken tok;
    int depth = 0;
    while ((tok = JsonbIteratorNext(&it, &kv, false)) != WJB_DONE) {
      if (tok == WJB_BEGIN_OBJECT || tok == WJB_BEGIN_ARRAY) depth++;
      else if (tok == WJB_END_OBJECT || tok == WJB_END_ARRAY) depth--;
      else if (tok == WJB_KEY && depth == 1) {
        bool known = false;
        for (const char *k : keys) known |= strlen(k) == (size_t)kv.val.string.len && !strncmp(k, kv.val.string.val, kv.val.string.len);
        if (!known)
          ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                          errmsg("schedules[%d] has an unknown key \"%.*s\"", i, kv.val.string.len, kv.val.string.val),
                          errhint("Keys: schedule_name, workflow_name, schedule, context, workflow_class, "
                                  "automatic_backfill, cron_timezone, queue_name, application_name.")));
      }
    }
    Definition &d = defs[i];
    d.name = member_text(obj, "schedule_name", i);
    d.workflow = member_text(obj, "workflow_name", i);
    d.schedule = member_text(obj, "schedule", i);
    check_definition(&d);
    d.workflow_class = none_if_empty(member_text(obj, "workflow_class", i));
    JsonbValue *b = member(obj, "automatic_backfill");
    if (b && b->type != jbvBool)
      ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("schedules[%d].automatic_backfill must be a boolean", i)));
    d.backfill = b && b->val.boolean;
    d.tz = none_if_empty(member_text(obj, "cron_timezone", i));
    check_timezone(d.tz);
    d.queue = none_if_empty(member_text(obj, "queue_name", i));
    const char *app = none_if_empty(member_text(obj, "application_name", i));
    d.app = app ? app : setting_application_name();
    JsonbValue *ctx = member(obj, "context");
    d.context = context_text(ctx ? JsonbValueToJsonb(ctx) : nullptr);
    for (int j = 0; j < i; j++)
      if (strcmp(defs[j].name, d.name) == 0)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("schedule \"%s\" is given twice", d.name),
                        errdetail("schedules[%d] and schedules[%d].", j, i)));
    any_backfill |= d.backfill, any_tz |= d.tz != nullptr, any_queue |= d.queue != nullptr, any_app |= d.app != nullptr;
  }
  const Profile *p = connect_schedules(any_backfill, any_tz, any_queue, any_app);
  const char **owners = (const char **)palloc(sizeof(char *) * (count + 1));
  for (int i = 0; i < count; i++) owners[i] = resolve_owner(p, defs[i].name, defs[i].app);
  for (int i = 0; i < count; i++) {
    Datum v[SC_COUNT];
    char n[SC_COUNT];
    definition_params(&defs[i], owners[i], v, n);
    run_statement(statement(p, S_SCHED_UPSERT), v, n, false, SPI_OK_INSERT);
    // Read back: a registration by another application between the look and the write keeps its name.
    (void)resolve_owner(p, defs[i].name, defs[i].app);
  }
  SPI_finish();
  PG_RETURN_VOID();
}

namespace {

// The fields of a schedule that running it needs (SPI values, NUL-terminated; nullptr for NULL).
struct Scheduled {
  const char *name, *workflow, *workflow_class, *schedule, *context, *tz, *queue, *app;
};

Scheduled fetch_schedule(const Profile *p, const char *name) {
  Datum v[SC_COUNT];
  char n[SC_COUNT];
  memset(n, 'n', sizeof n);
  v[SC_NAME] = CStringGetTextDatum(name), n[SC_NAME] = ' ';
  run_statement(statement(p, S_SCHED_GET), v, n, false, SPI_OK_SELECT);
  if (SPI_processed == 0) raise_unknown_schedule(name);
  HeapTuple t = SPI_tuptable->vals[0];
  TupleDesc d = SPI_tuptable->tupdesc;
  Scheduled s = {name,
                 SPI_getvalue(t, d, 3),
                 SPI_getvalue(t, d, 4),
                 SPI_getvalue(t, d, 5),
                 SPI_getvalue(t, d, 7),
                 SPI_getvalue(t, d, 10),
                 SPI_getvalue(t, d, 11),
                 SPI_getvalue(t, d, 12)};
  SPI_freetuptable(SPI_tuptable);
  if (!s.context || !strstr(s.context, "\"__dbos_serializer\""))
    ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                    errmsg("cannot run schedule \"%s\": its context is not in DBOS TypeScript's JSON form", name),
                    errdetail("The context was written by another serializer."),
                    errhint("Run it from the application that registered it.")));
  return s;
}

// ISO 8601 text of an instant, as JavaScript's Date.toISOString writes it.
void iso_time(int64 ms, char *buf, size_t size) {
  time_t secs = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
  struct tm tm;
  gmtime_r(&secs, &tm);
  size_t len = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(buf + len, size - len, ".%03dZ", (int)(((ms % 1000) + 1000) % 1000));
}

// Enqueues the schedule's workflow for `iso` under `workflow_id`, as DBOS's
// enqueueScheduledWorkflow: [Date, context] in superjson, the schedule's queue (default the
// internal queue), its owner, its name; an existing ID is left alone.
const char *enqueue_scheduled(const Profile *p, const Scheduled *s, const char *workflow_id, const char *iso) {
  Datum v[SC_COUNT];
  char n[SC_COUNT];
  memset(n, 'n', sizeof n);
  v[SC_NAME] = CStringGetTextDatum(s->name), n[SC_NAME] = ' ';
  v[SC_WHEN] = CStringGetTextDatum(iso), n[SC_WHEN] = ' ';
  v[SC_CONTEXT] = CStringGetTextDatum(s->context), n[SC_CONTEXT] = ' ';
  run_statement(statement(p, S_SCHED_TRIGGER_INPUTS), v, n, true, SPI_OK_SELECT);
  char *inputs = SPI_processed > 0 ? SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1) : nullptr;
  SPI_freetuptable(SPI_tuptable);
  if (!inputs)
    ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                    errmsg("cannot run schedule \"%s\": its context has references SQL cannot rewrite", s->name),
                    errhint("Run it from the application that registered it.")));
  EnqueueRow row = {};
  row.workflow_id = workflow_id;
  row.workflow_name = s->workflow;
  row.workflow_class = s->workflow_class && *s->workflow_class ? s->workflow_class : nullptr;
  row.queue_name = s->queue && *s->queue ? s->queue : kInternalQueue;
  row.app_version = setting_app_version();
  row.application_name = s->app ? s->app : setting_application_name();
  row.timeout_ms = -1;
  row.serialization = payloads::format_tag(payloads::Format::js_superjson);
  row.inputs = CStringGetTextDatum(inputs);
  check_enqueue_features(p, false, false, row.application_name != nullptr);
  check_queue_registered(p, row.queue_name);
  const char *id = enqueue_row(p, &row);
  if (status_has_column(p, "schedule_name")) {
    v[SC_WORKFLOW_ID] = CStringGetTextDatum(id), n[SC_WORKFLOW_ID] = ' ';
    run_statement(statement(p, S_SCHED_MARK), v, n, false, SPI_OK_UPDATE);
  }
  return id;
}

void wall_clock(long long ms, void *ctx, cron::WallClock *out) {
  pg_time_t t = (pg_time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
  struct pg_tm *tm = pg_localtime(&t, (pg_tz *)ctx);
  if (!tm) {
    *out = {};
    return;
  }
  *out = {tm->tm_year + 1900, tm->tm_mon + 1, tm->tm_mday, tm->tm_hour, tm->tm_min, tm->tm_sec};
}

constexpr long kMaxBackfill = 100000;

}  // namespace

// dbos.trigger_schedule(schedule_name) RETURNS text: runs the schedule's workflow now, as
// DBOSClient.triggerSchedule: ID "sched-<name>-trigger-<ISO time>".
DBOS_FUNCTION(dbos_trigger_schedule) {
  char *name = name_arg(fcinfo, 0);
  MemoryContext caller = CurrentMemoryContext;
  const Profile *p = connect_schedules(false, false, false, false);
  Scheduled s = fetch_schedule(p, name);
  char iso[40];
  iso_time(epoch_ms_now(), iso, sizeof iso);
  const char *id = enqueue_scheduled(p, &s, psprintf("sched-%s-trigger-%s", name, iso), iso);
  MemoryContext spi = MemoryContextSwitchTo(caller);
  text *out = cstring_to_text(id);
  MemoryContextSwitchTo(spi);
  SPI_finish();
  PG_RETURN_TEXT_P(out);
}

// dbos.backfill_schedule(schedule_name, start_time, end_time) RETURNS text[]: enqueues the
// runs the schedule would have made in [start_time, end_time), as DBOSClient.backfillSchedule:
// IDs "sched-<name>-<ISO time>" (a run that exists is left alone), in its time zone (none:
// the session's TimeZone, where DBOS uses the worker's local zone).
DBOS_FUNCTION(dbos_backfill_schedule) {
  char *name = name_arg(fcinfo, 0);
  if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
    ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("start_time and end_time must not be null")));
  int64 start_ms = timestamp_to_epoch_ms(PG_GETARG_TIMESTAMPTZ(1)), end_ms = timestamp_to_epoch_ms(PG_GETARG_TIMESTAMPTZ(2));
  MemoryContext caller = CurrentMemoryContext;
  const Profile *p = connect_schedules(false, false, false, false);
  Scheduled s = fetch_schedule(p, name);
  cron::validate(s.schedule);
  pg_tz *tz = session_timezone;
  if (s.tz && *s.tz && !(is_dbos_zone(s.tz) && (tz = pg_tzset(s.tz))))
    // Written by a DBOS application (its Intl knows legacy IDs such as 'PST' that PostgreSQL's
    // database may lack) or by hand: not the argument's fault, and never PostgreSQL's reading
    // of a POSIX spec, which DBOS refuses.
    ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
                    errmsg("schedule \"%s\" has a time zone this server cannot use: \"%s\"", name, s.tz),
                    errdetail("It is not an IANA zone name of this server's time zone database."),
                    errhint("Set an IANA name with dbos.update_schedule(..., cron_timezone => ...), or install the "
                            "system's legacy zone names (tzdata-legacy on Debian 13 and later).")));
  long long *times = (long long *)palloc(sizeof(long long) * kMaxBackfill);
  long count = cron::occurrences(s.schedule, start_ms, end_ms, wall_clock, tz, times, kMaxBackfill);
  if (count < 0)
    ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
                    errmsg("backfill of schedule \"%s\" would enqueue more than %ld workflows", name, kMaxBackfill),
                    errhint("Backfill a shorter period at a time.")));
  Datum *ids = (Datum *)palloc(sizeof(Datum) * (count + 1));
  for (long i = 0; i < count; i++) {
    CHECK_FOR_INTERRUPTS();
    char iso[40];
    iso_time(times[i], iso, sizeof iso);
    const char *id = enqueue_scheduled(p, &s, psprintf("sched-%s-%s", name, iso), iso);
    MemoryContext spi = MemoryContextSwitchTo(caller);
    ids[i] = CStringGetTextDatum(id);
    MemoryContextSwitchTo(spi);
  }
  MemoryContext spi = MemoryContextSwitchTo(caller);
  ArrayType *result = construct_array(ids, (int)count, TEXTOID, -1, false, TYPALIGN_INT);
  MemoryContextSwitchTo(spi);
  SPI_finish();
  PG_RETURN_ARRAYTYPE_P(result);
}
