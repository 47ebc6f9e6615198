// dbos.debounce (1.3): the row changes of DBOS's DebouncerClient.debounce (TypeScript 5.3).
// A debounce key names one DELAYED workflow (is_debounced, deduplication ID
// "<class>.<name>-<key>" on its queue): the first call enqueues it, delayed by the period;
// each later call with the key, while it is still DELAYED, pushes its start to now + period
// (never past the deadline set by debounce_timeout) and replaces its inputs, so the workflow
// runs once, after the burst, with the last arguments. A worker's DELAYED -> ENQUEUED
// transition clears the key; the next call starts a fresh workflow.
// Postgres side: only trivially destructible locals.
#include "error_bridge.hpp"
#include "dbos_client.hpp"
#include "requests.hpp"

extern "C" {
#include "utils/timestamp.h"
}

using namespace dbos_client;

namespace dbos_client {

// Extends the key's workflow, as DBOS's debounceDelayedWorkflow: only a DELAYED, debounced
// workflow of the same name and class, owned by the target application or unclaimed (which
// it claims); its delay is capped at its deadline. Before 109 the inputs live here too.
void debounce_bounce_text(const Profile *p, StatementId, StringInfo sql) {
  appendStringInfo(sql,
                   "UPDATE %s.workflow_status SET delay_until_epoch_ms = CASE WHEN debounce_deadline_epoch_ms IS NOT NULL "
                   "AND debounce_deadline_epoch_ms OPERATOR(pg_catalog.<) $delay_until THEN debounce_deadline_epoch_ms "
                   "ELSE $delay_until END, serialization = $serialization, updated_at = $now_ms",
                   p->quoted_schema);
  if (p->app_name) appendStringInfoString(sql, ", application_name = COALESCE(application_name, $app_name)");
  if (!p->input_table) appendStringInfoString(sql, ", inputs = $inputs");
  appendStringInfoString(sql,
                         " WHERE name OPERATOR(pg_catalog.=) $name AND (class_name OPERATOR(pg_catalog.=) $class OR "
                         "(class_name IS NULL AND $class IS NULL)) AND queue_name OPERATOR(pg_catalog.=) $queue AND "
                         "deduplication_id OPERATOR(pg_catalog.=) $dedup AND status OPERATOR(pg_catalog.=) 'DELAYED' "
                         "AND is_debounced");
  if (p->app_name)
    appendStringInfoString(sql, " AND ($app_name IS NULL OR application_name IS NULL OR "
                                "application_name OPERATOR(pg_catalog.=) $app_name)");
  appendStringInfoString(sql, " RETURNING workflow_uuid");
}

// The extended workflow's new inputs (109 and later): DBOS upserts the input row.
void debounce_input_text(const Profile *p, StatementId, StringInfo sql) {
  appendStringInfo(sql,
                   "INSERT INTO %s.workflow_input (workflow_uuid, inputs%s) VALUES ($id, $inputs%s) "
                   "ON CONFLICT (workflow_uuid) DO UPDATE SET inputs = excluded.inputs",
                   p->quoted_schema, p->input_retention ? ", retention_timestamp" : "",
                   p->input_retention ? ", $now_ms" : "");
}

// Whoever holds the key, whatever its application: the caller reports it or retries.
void debounce_holder_text(const Profile *p, StatementId, StringInfo sql) {
  appendStringInfo(sql,
                   "SELECT workflow_uuid, is_debounced, name, class_name, %s FROM %s.workflow_status "
                   "WHERE queue_name OPERATOR(pg_catalog.=) $queue AND deduplication_id OPERATOR(pg_catalog.=) $dedup",
                   p->app_name ? "application_name" : "NULL::pg_catalog.text", p->quoted_schema);
}

// The workflow this call just enqueued, still holding the key: debounced, with its deadline,
// its first delay capped at the deadline (DBOS writes all three in the INSERT; here they
// follow it in the same transaction, so no other transaction ever sees the row without them). A workflow_id given again that names an
// existing workflow not holding the key is left alone, as DBOS's idempotent enqueue leaves it.
void debounce_mark_text(const Profile *p, StatementId, StringInfo sql) {
  appendStringInfo(sql,
                   "UPDATE %s.workflow_status SET is_debounced = true, debounce_deadline_epoch_ms = $deadline, "
                   "delay_until_epoch_ms = CASE WHEN $deadline OPERATOR(pg_catalog.<) delay_until_epoch_ms "
                   "THEN $deadline ELSE delay_until_epoch_ms END "
                   "WHERE workflow_uuid OPERATOR(pg_catalog.=) $id AND queue_name OPERATOR(pg_catalog.=) $queue AND "
                   "deduplication_id OPERATOR(pg_catalog.=) $dedup AND status OPERATOR(pg_catalog.=) 'DELAYED'",
                   p->quoted_schema);
}

namespace {
constexpr int kMaxBounces = 100;
bool same_name(const char *a, const char *b) { return strcmp(a ? a : "", b ? b : "") == 0; }
}  // namespace

const char *debounce_row(const Profile *p, const EnqueueRow *request, const char *key, int64 period_ms,
                         int64 deadline_ms) {
  EnqueueRow row = *request;
  const char *pinned = request->workflow_id;
  // DBOS's key: "<class>.<name>-<key>", the class '' when there is none.
  StringInfoData dedup;
  initStringInfo(&dedup);
  appendStringInfo(&dedup, "%s.%s-%s", row.workflow_class ? row.workflow_class : "", row.workflow_name, key);
  const char *app_name = row.application_name;
  // The first delay is the period, capped at the deadline, as enqueueDebounced caps it.
  row.delay_ms = deadline_ms >= 0 && deadline_ms < period_ms ? deadline_ms : period_ms;
  row.deduplication_id = dedup.data;
  row.return_existing = true;  // a holder's ID comes back instead of 23505: bounce it

  check_enqueue_features(p, true, false, app_name != nullptr);
  if (!status_has_column(p, "is_debounced") || !status_has_column(p, "debounce_deadline_epoch_ms"))
    ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED), errmsg("debounce needs a newer DBOS system schema"),
                    errdetail("Table %s.workflow_status has no column \"is_debounced\" (dbos_migrations version "
                              "%lld; it came with DBOS TypeScript migration 64, Python 42).",
                              p->quoted_schema, (long long)p->version),
                    errhint("Upgrade the DBOS system tables by launching a current DBOS application.")));
  check_key_sizes(row.queue_name, pinned ? pinned : "00000000-0000-0000-0000-000000000000",
                  row.deduplication_id, nullptr, app_name);
  check_queue_registered(p, row.queue_name);

  Datum v[DP_COUNT];
  char n[DP_COUNT];
  memset(n, ' ', sizeof n);
  v[DP_SERIALIZATION] = CStringGetTextDatum(row.serialization);
  v[DP_NAME] = CStringGetTextDatum(row.workflow_name);
  v[DP_CLASS] = text_or_null(row.workflow_class, n, DP_CLASS);
  v[DP_QUEUE] = CStringGetTextDatum(row.queue_name);
  v[DP_DEDUP] = CStringGetTextDatum(row.deduplication_id);
  v[DP_APP_NAME] = text_or_null(app_name, n, DP_APP_NAME);
  v[DP_INPUTS] = row.inputs;
  v[DP_ID] = (Datum)0;
  n[DP_ID] = 'n';
  v[DP_DEADLINE] = (Datum)0;
  n[DP_DEADLINE] = 'n';

  const char *result = nullptr;
  for (int attempt = 0; !result; attempt++) {
    if (attempt == kMaxBounces)
      ereport(ERROR, (errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
                      errmsg("could not debounce: the holder of debounce key \"%s\" kept changing", row.deduplication_id),
                      errdetail("Tried %d times on queue \"%s\".", kMaxBounces, row.queue_name),
                      errhint("Retry the transaction (under REPEATABLE READ or SERIALIZABLE a new snapshot is needed).")));
    CHECK_FOR_INTERRUPTS();
    int64 now = epoch_ms_now();
    v[DP_NOW_MS] = Int64GetDatum(now);
    v[DP_DELAY_UNTIL] = Int64GetDatum(now + period_ms);
    // 1. Extend the key's DELAYED workflow (the only way calls coalesce).
    run_statement(statement(p, S_DEBOUNCE_BOUNCE), v, n, false, SPI_OK_UPDATE_RETURNING);
    if (SPI_processed > 0) {
      result = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
      SPI_freetuptable(SPI_tuptable);
      if (p->input_table) {
        v[DP_ID] = CStringGetTextDatum(result);
        n[DP_ID] = ' ';
        run_statement(statement(p, S_DEBOUNCE_INPUT), v, n, false, SPI_OK_INSERT);
      }
      break;
    }
    SPI_freetuptable(SPI_tuptable);
    // 2. Not extended: who holds the key?
    run_statement(statement(p, S_DEBOUNCE_HOLDER), v, n, false, SPI_OK_SELECT);
    if (SPI_processed > 0) {
      HeapTuple t = SPI_tuptable->vals[0];
      TupleDesc d = SPI_tuptable->tupdesc;
      char *holder = SPI_getvalue(t, d, 1), *debounced = SPI_getvalue(t, d, 2), *name = SPI_getvalue(t, d, 3),
           *cls = SPI_getvalue(t, d, 4), *holder_app = SPI_getvalue(t, d, 5);
      SPI_freetuptable(SPI_tuptable);
      bool is_debounced = debounced && strcmp(debounced, "t") == 0;
      // DBOS's classifyBounce: a plain workflow, another workflow under a colliding key, or
      // another application's holder is a conflict; a same-workflow holder that just left
      // DELAYED is a race: look again.
      if (!is_debounced || !same_name(name, row.workflow_name) || !same_name(cls, row.workflow_class) ||
          (app_name && holder_app && strcmp(holder_app, app_name) != 0))
        ereport(ERROR,
                (errcode(ERRCODE_UNIQUE_VIOLATION),
                 errmsg("debounce key \"%s\" is held by another workflow on queue \"%s\"", key, row.queue_name),
                 errdetail("Workflow \"%s\" (\"%s\", class \"%s\", application \"%s\", %s) holds deduplication ID \"%s\".",
                           holder, name ? name : "", cls ? cls : "", holder_app ? holder_app : "",
                           is_debounced ? "debounced" : "not debounced", row.deduplication_id),
                 errhint("Use another debounce key or queue, or wait until that workflow has started.")));
      continue;
    }
    SPI_freetuptable(SPI_tuptable);
    // 3. Nobody holds it: enqueue a fresh debounced workflow. A concurrent call that took
    // the key first comes back as the holder (return_existing): bounce that one instead.
    row.workflow_id = pinned ? pinned : new_uuid();
    row.new_id = pinned == nullptr;
    const char *id = enqueue_row(p, &row);
    if (strcmp(id, row.workflow_id) != 0) continue;
    v[DP_ID] = CStringGetTextDatum(id);
    n[DP_ID] = ' ';
    v[DP_DEADLINE] = Int64GetDatum(deadline_ms >= 0 ? now + deadline_ms : 0);
    n[DP_DEADLINE] = deadline_ms >= 0 ? ' ' : 'n';
    run_statement(statement(p, S_DEBOUNCE_MARK), v, n, false, SPI_OK_UPDATE);
    result = id;
  }
  return result;
}

}  // namespace dbos_client

namespace {


// Whole milliseconds of a required positive interval (a month is 30 days, as Postgres counts).
int64 positive_ms(FunctionCallInfo fcinfo, int n, const char *argument, bool required) {
  if (PG_ARGISNULL(n)) {
    if (required)
      ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("%s must not be null", argument),
                      errhint("Give a positive interval, e.g. '5 seconds'.")));
    return -1;
  }
  Interval *iv = PG_GETARG_INTERVAL_P(n);
  __int128 us = (__int128)iv->time + (__int128)iv->day * 86400000000LL + (__int128)iv->month * 30 * 86400000000LL;
  if (us <= 0)
    ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("%s must be positive", argument),
                    errdetail("It is %s.", DatumGetCString(DirectFunctionCall1(interval_out, IntervalPGetDatum(iv)))),
                    errhint("Give a positive interval, e.g. '5 seconds'%s.", required ? "" : ", or NULL for none")));
  __int128 ms = (us + 999) / 1000;
  if (ms > (__int128)1 << 52)
    ereport(ERROR, (errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE), errmsg("%s is out of range", argument),
                    errhint("Give an interval shorter than 100,000 years.")));
  return (int64)ms;
}

}  // namespace

// dbos.debounce(debounce_key, period, workflow_name, args, workflow_class, queue_name,
//   debounce_timeout, workflow_id, app_version, timeout, application_name, serialization,
//   named_args) RETURNS text: the ID of the workflow that will run.
DBOS_FUNCTION(dbos_debounce) {
  const char *key = text_arg(fcinfo, 0);
  if (!key)
    ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("debounce_key must not be null"),
                    errhint("Calls with the same key, workflow and queue run the workflow once.")));
  int64 period_ms = positive_ms(fcinfo, 1, "period", true);
  int64 deadline_ms = positive_ms(fcinfo, 6, "debounce_timeout", false);

  requests::Enqueue r = {};
  r.workflow_name = text_arg(fcinfo, 2);
  Jsonb *args = PG_ARGISNULL(3) ? nullptr : PG_GETARG_JSONB_P(3);
  r.args_null = args == nullptr;
  r.args_is_array = args && JB_ROOT_IS_ARRAY(args) && !JB_ROOT_IS_SCALAR(args);
  r.workflow_class = text_arg(fcinfo, 4);
  r.queue_name = PG_ARGISNULL(5) ? kInternalQueue : text_arg(fcinfo, 5);
  r.workflow_id = text_arg(fcinfo, 7);
  r.app_version = text_arg(fcinfo, 8);
  r.priority_null = true;
  if (!PG_ARGISNULL(9)) {
    Interval *iv = PG_GETARG_INTERVAL_P(9);
    r.timeout = {true, iv->time, iv->day, iv->month};
  }
  r.application_name = text_arg(fcinfo, 10);
  r.serialization = text_arg(fcinfo, 11);
  Jsonb *named = PG_ARGISNULL(12) ? nullptr : PG_GETARG_JSONB_P(12);
  r.named_args_present = named != nullptr;
  r.named_args_is_object = named && JB_ROOT_IS_OBJECT(named);
  r.delay = {true, period_ms * 1000, 0, 0};
  requests::validate(r);

  EnqueueRow row = {};
  row.workflow_id = r.workflow_id;
  row.workflow_name = r.workflow_name;
  row.workflow_class = r.workflow_class;
  row.queue_name = r.queue_name;
  row.app_version = r.app_version ? r.app_version : setting_app_version();
  row.application_name = r.application_name ? r.application_name : setting_application_name();
  row.timeout_ms = r.timeout_ms;
  row.serialization = payloads::format_tag(r.format);
  row.inputs = inputs_to_text(r.format, args, named);

  MemoryContext caller = CurrentMemoryContext;
  if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "SPI_connect failed");
  const Profile *p = current_profile();
  const char *result = debounce_row(p, &row, key, period_ms, deadline_ms);
  text *out = (text *)MemoryContextAllocZero(caller, VARHDRSZ + strlen(result));
  SET_VARSIZE(out, VARHDRSZ + strlen(result));
  memcpy(VARDATA(out), result, strlen(result));
  SPI_finish();
  PG_RETURN_TEXT_P(out);
}
