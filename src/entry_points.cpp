// Every SQL-callable function: argument decoding, then requests, statements and payloads.
// Postgres-side code: only trivially destructible locals (see error_bridge.hpp).
#include "error_bridge.hpp"
#include "dbos_client.hpp"
#include "requests.hpp"

extern "C" {
#include "utils/datum.h"
#include "utils/hsearch.h"
PG_MODULE_MAGIC;
void _PG_init(void);
}

using namespace dbos_client;

void _PG_init(void) {
  define_settings();
  register_profile_callbacks();
}

namespace {

constexpr const char *kInternalQueue = "_dbos_internal_queue";

char *text_arg(FunctionCallInfo fcinfo, int n) {
  return PG_ARGISNULL(n) ? nullptr : text_to_cstring(PG_GETARG_TEXT_PP(n));
}

Jsonb *jsonb_arg(FunctionCallInfo fcinfo, int n) { return PG_ARGISNULL(n) ? nullptr : PG_GETARG_JSONB_P(n); }

requests::Span span_arg(FunctionCallInfo fcinfo, int n) {
  if (PG_ARGISNULL(n)) return {false, 0, 0, 0};
  Interval *iv = PG_GETARG_INTERVAL_P(n);
  return {true, iv->time, iv->day, iv->month};
}

Datum text_or_null(const char *s, char *nulls, int i) {
  nulls[i] = s ? ' ' : 'n';
  return s ? CStringGetTextDatum(s) : (Datum)0;
}

char *copy_text_column(HeapTuple tuple, TupleDesc desc, int column) {
  return SPI_getvalue(tuple, desc, column);  // palloc'd in the current context, or NULL
}

void run_expecting(SPIPlanPtr plan, Datum *values, const char *nulls, bool read_only, int expected) {
  int rc = SPI_execute_plan(plan, values, nulls, read_only, 0);
  if (rc != expected) elog(ERROR, "dbos_client statement failed: %s", SPI_result_code_string(rc));
}

bool same_name(const char *a, const char *b) {  // NULL and '' are the same, as in DBOS
  return strcmp(a ? a : "", b ? b : "") == 0;
}

// --- queue registration warning -------------------------------------------------------------

HTAB *queues_seen = nullptr;  // queue names checked in this backend (for the current schema)
uint64 queues_seen_generation = 0;
constexpr Size kQueueKeyLen = 256;

// Warns once per backend and queue when no `queues` row exists: no current DBOS worker
// dequeues such a queue until an application registers it.
void check_queue_registered(const Profile *p, const char *queue) {
  if (!p->queues_table || strcmp(queue, kInternalQueue) == 0 || strlen(queue) >= kQueueKeyLen) return;
  if (!queues_seen || queues_seen_generation != p->generation) {
    if (queues_seen) hash_destroy(queues_seen);
    HASHCTL ctl;
    ctl.keysize = kQueueKeyLen;
    ctl.entrysize = kQueueKeyLen;
    queues_seen = hash_create("dbos_client queues", 64, &ctl, HASH_ELEM | HASH_STRINGS);
    queues_seen_generation = p->generation;
  }
  bool found;
  (void)hash_search(queues_seen, queue, HASH_FIND, &found);
  if (found) return;
  Datum arg = CStringGetTextDatum(queue);
  run_expecting(statement(p, S_QUEUE_EXISTS), &arg, nullptr, false, SPI_OK_SELECT);
  bool registered = SPI_processed > 0;
  SPI_freetuptable(SPI_tuptable);
  if (!registered)
    ereport(WARNING,
            (errcode(ERRCODE_WARNING),
             errmsg("queue \"%s\" is not registered in %s.queues", queue, p->quoted_schema),
             errdetail("No current DBOS application dequeues it until one registers the queue."),
             errhint("Register the queue in the application (DBOS.registerQueue), or use "
                     "\"%s\". This warning is shown once per session and queue.",
                     kInternalQueue)));
  (void)hash_search(queues_seen, queue, HASH_ENTER, &found);
}

void require_feature(bool present, const Profile *p, const char *argument, const char *column) {
  if (!present)
    ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                    errmsg("%s needs a newer DBOS system schema", argument),
                    errdetail("Table %s.workflow_status has no column \"%s\" (dbos_migrations version %lld).",
                              p->quoted_schema, column, (long long)p->version),
                    errhint("Upgrade the DBOS system tables by launching a current DBOS application.")));
}

}  // namespace

// dbos.enqueue(queue_name, workflow_class, workflow_name, args, workflow_id, app_version,
//   priority, deduplication_id, timeout, delay, partition_key, named_args, config_name,
//   application_name, serialization, duplication_policy) RETURNS text
DBOS_FUNCTION(dbos_enqueue) {
  requests::Enqueue r;
  r.queue_name = text_arg(fcinfo, 0);
  r.workflow_class = text_arg(fcinfo, 1);
  r.workflow_name = text_arg(fcinfo, 2);
  Jsonb *args = jsonb_arg(fcinfo, 3);
  r.args_null = args == nullptr;
  r.args_is_array = args && JB_ROOT_IS_ARRAY(args) && !JB_ROOT_IS_SCALAR(args);
  r.workflow_id = text_arg(fcinfo, 4);
  r.app_version = text_arg(fcinfo, 5);
  r.priority_null = PG_ARGISNULL(6);
  r.priority = r.priority_null ? 0 : PG_GETARG_INT32(6);
  r.deduplication_id = text_arg(fcinfo, 7);
  r.timeout = span_arg(fcinfo, 8);
  r.delay = span_arg(fcinfo, 9);
  r.partition_key = text_arg(fcinfo, 10);
  Jsonb *named = jsonb_arg(fcinfo, 11);
  r.named_args_present = named != nullptr;
  r.named_args_is_object = named && JB_ROOT_IS_OBJECT(named);
  r.config_name = text_arg(fcinfo, 12);
  r.application_name = text_arg(fcinfo, 13);
  r.serialization = text_arg(fcinfo, 14);
  r.duplication_policy = text_arg(fcinfo, 15);
  requests::validate(r);

  const char *app_version = r.app_version ? r.app_version : setting_app_version();
  const char *app_name = r.application_name ? r.application_name : setting_application_name();
  Datum inputs = inputs_to_text(r.format, args, named);

  MemoryContext caller = CurrentMemoryContext;
  if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "SPI_connect failed");
  const Profile *p = current_profile();
  if (r.delay_ms > 0) require_feature(p->delay, p, "delay", "delay_until_epoch_ms");
  if (r.partition_key) require_feature(p->partition, p, "partition_key", "queue_partition_key");
  if (app_name) require_feature(p->app_name, p, "application_name", "application_name");
  check_queue_registered(p, r.queue_name);

  const char *id = r.workflow_id ? r.workflow_id : new_uuid();
  int64 now_ms = next_epoch_ms();
  Datum v[EP_COUNT];
  char n[EP_COUNT];
  v[EP_ID] = text_or_null(id, n, EP_ID);
  v[EP_STATUS] = text_or_null(r.delay_ms > 0 ? "DELAYED" : "ENQUEUED", n, EP_STATUS);
  v[EP_NAME] = text_or_null(r.workflow_name, n, EP_NAME);
  v[EP_CLASS] = text_or_null(r.workflow_class, n, EP_CLASS);
  v[EP_CONFIG] = text_or_null(r.config_name, n, EP_CONFIG);
  v[EP_QUEUE] = text_or_null(r.queue_name, n, EP_QUEUE);
  v[EP_APP_VERSION] = text_or_null(app_version, n, EP_APP_VERSION);
  v[EP_PRIORITY] = Int32GetDatum(r.priority_null ? 0 : r.priority);
  n[EP_PRIORITY] = ' ';
  v[EP_DEDUP] = text_or_null(r.deduplication_id, n, EP_DEDUP);
  v[EP_TIMEOUT_MS] = Int64GetDatum(r.timeout_ms);
  n[EP_TIMEOUT_MS] = r.timeout_ms >= 0 ? ' ' : 'n';
  v[EP_SERIALIZATION] = text_or_null(payloads::format_tag(r.format), n, EP_SERIALIZATION);
  v[EP_CREATED_AT] = Int64GetDatum(now_ms);
  n[EP_CREATED_AT] = ' ';
  v[EP_INPUTS] = inputs;
  n[EP_INPUTS] = ' ';
  v[EP_PARTITION] = text_or_null(r.partition_key, n, EP_PARTITION);
  v[EP_DELAY_UNTIL] = Int64GetDatum(now_ms + r.delay_ms);
  n[EP_DELAY_UNTIL] = r.delay_ms > 0 ? ' ' : 'n';
  v[EP_APP_NAME] = text_or_null(app_name, n, EP_APP_NAME);
  v[EP_CREATOR_XID] = text_or_null(p->creator_xid ? new_uuid() : nullptr, n, EP_CREATOR_XID);

  const char *result = id;
  // A conflict whose holder vanishes before we look (it completed and released its
  // deduplication ID) is retried, as DBOS does.
  for (int attempt = 0;; attempt++) {
    int rc = SPI_execute_plan(statement(p, S_ENQUEUE), v, n, false, 0);
    if (rc != SPI_OK_SELECT && rc != SPI_OK_INSERT)
      elog(ERROR, "dbos_client enqueue failed: %s", SPI_result_code_string(rc));
    if (SPI_processed == 1) break;  // created by this call

    Datum key = v[EP_ID];
    run_expecting(statement(p, S_WORKFLOW_LOOKUP), &key, nullptr, false, SPI_OK_SELECT);
    if (SPI_processed == 1) {
      HeapTuple t = SPI_tuptable->vals[0];
      TupleDesc d = SPI_tuptable->tupdesc;
      char *name = copy_text_column(t, d, 1), *cls = copy_text_column(t, d, 2),
           *cfg = copy_text_column(t, d, 3), *status = copy_text_column(t, d, 4);
      if (!same_name(name, r.workflow_name) || !same_name(cls, r.workflow_class) ||
          !same_name(cfg, r.config_name))
        ereport(ERROR,
                (errcode(MAKE_SQLSTATE('D', 'B', '0', '0', '6')),
                 errmsg("workflow ID \"%s\" is already used by another workflow", id),
                 errdetail("The existing workflow is \"%s\" (class \"%s\", config \"%s\", status %s); "
                           "this call enqueues \"%s\" (class \"%s\", config \"%s\").",
                           name ? name : "", cls ? cls : "", cfg ? cfg : "", status ? status : "",
                           r.workflow_name, r.workflow_class ? r.workflow_class : "",
                           r.config_name ? r.config_name : ""),
                 errhint("Use a new workflow_id, or NULL to have one generated.")));
      break;  // same workflow again: idempotent, the first arguments stay
    }
    if (r.deduplication_id) {
      Datum keys[2] = {v[EP_QUEUE], v[EP_DEDUP]};
      run_expecting(statement(p, S_DEDUP_LOOKUP), keys, nullptr, false, SPI_OK_SELECT);
      if (SPI_processed == 1) {
        char *holder = copy_text_column(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
        if (r.return_existing) {
          result = holder;
          break;
        }
        ereport(ERROR,
                (errcode(ERRCODE_UNIQUE_VIOLATION),
                 errmsg("workflow deduplicated on queue \"%s\"", r.queue_name),
                 errdetail("Workflow \"%s\" already holds deduplication ID \"%s\" on queue \"%s\".",
                           holder, r.deduplication_id, r.queue_name),
                 errhint("Pass duplication_policy => 'return_existing' to get the existing "
                         "workflow's ID instead.")));
      }
    }
    if (attempt >= 3)
      ereport(ERROR, (errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
                      errmsg("could not enqueue workflow \"%s\": conflicting rows keep changing", id),
                      errhint("Retry the transaction.")));
  }
  text *out = (text *)MemoryContextAllocZero(caller, VARHDRSZ + strlen(result));
  SET_VARSIZE(out, VARHDRSZ + strlen(result));
  memcpy(VARDATA(out), result, strlen(result));
  SPI_finish();
  PG_RETURN_TEXT_P(out);
}

// dbos.send(destination_id, message, topic, idempotency_key, serialization) RETURNS void
DBOS_FUNCTION(dbos_send) {
  requests::Send r;
  r.destination_id = text_arg(fcinfo, 0);
  Jsonb *message = jsonb_arg(fcinfo, 1);
  r.topic = text_arg(fcinfo, 2);
  r.idempotency_key = text_arg(fcinfo, 3);
  r.serialization = text_arg(fcinfo, 4);
  requests::validate(r);
  const char *topic = r.topic ? r.topic : "__null__topic__";
  if (strlen(r.destination_id) + strlen(topic) + 2 >= 8000)
    ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
                    errmsg("destination ID and topic are too long for a DBOS notification"),
                    errdetail("Together they take %zu bytes; DBOS notifies \"<destination>::<topic>\", "
                              "which must stay under 8000 bytes.",
                              strlen(r.destination_id) + strlen(topic) + 2)));
  Datum text = value_to_text(r.format, message);

  if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "SPI_connect failed");
  const Profile *p = current_profile();
  Datum v[SP_COUNT];
  char n[SP_COUNT];
  v[SP_DEST] = text_or_null(r.destination_id, n, SP_DEST);
  v[SP_TOPIC] = text_or_null(topic, n, SP_TOPIC);
  v[SP_MESSAGE] = text;
  n[SP_MESSAGE] = ' ';
  v[SP_SERIALIZATION] = text_or_null(payloads::format_tag(r.format), n, SP_SERIALIZATION);
  v[SP_MESSAGE_UUID] = text_or_null(
      r.idempotency_key ? psprintf("%s::%s", r.idempotency_key, r.destination_id) : new_uuid(), n,
      SP_MESSAGE_UUID);
  v[SP_CREATED_AT] = Int64GetDatum(next_epoch_ms());
  n[SP_CREATED_AT] = ' ';
  run_expecting(statement(p, S_SEND), v, n, false, SPI_OK_INSERT);
  if (SPI_processed == 0) {
    // Either the destination is unknown, or this idempotency key was already delivered.
    run_expecting(statement(p, S_WORKFLOW_XMIN), &v[SP_DEST], nullptr, false, SPI_OK_SELECT);
    if (SPI_processed == 0)
      ereport(ERROR, (errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
                      errmsg("destination workflow \"%s\" does not exist", r.destination_id),
                      errhint("Send to the ID of an existing workflow, e.g. one returned by dbos.enqueue().")));
  }
  SPI_finish();
  PG_RETURN_VOID();
}

namespace {

// --- get_event ----------------------------------------------------------------------------

struct EventWait {
  const Profile *profile;
  Datum keys[2];
  const char *workflow_id;
  bool checked;     // whether waiting was found possible
  bool found;
  char *value;      // copied out of SPI
  char *serialization;
};

TransactionId status_xmin(const Profile *p, Datum workflow_id) {
  run_expecting(statement(p, S_WORKFLOW_XMIN), &workflow_id, nullptr, false, SPI_OK_SELECT);
  TransactionId xmin = InvalidTransactionId;
  if (SPI_processed == 1) {
    bool isnull;
    Datum d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
    if (!isnull) xmin = DatumGetTransactionId(d);
  }
  SPI_freetuptable(SPI_tuptable);
  return xmin;
}

bool poll_event(void *arg) {
  EventWait *w = (EventWait *)arg;
  run_expecting(statement(w->profile, S_EVENT), w->keys, nullptr, false, SPI_OK_SELECT);
  if (SPI_processed == 1) {
    w->found = true;
    w->value = copy_text_column(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
    w->serialization = copy_text_column(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);
    return true;
  }
  SPI_freetuptable(SPI_tuptable);
  if (!w->checked) {
    check_can_wait(w->workflow_id, status_xmin(w->profile, w->keys[0]), "an event");
    w->checked = true;
  }
  return false;
}

}  // namespace

// dbos.get_event(workflow_id, key, timeout_seconds) RETURNS jsonb
DBOS_FUNCTION(dbos_get_event) {
  char *workflow_id = text_arg(fcinfo, 0);
  char *key = text_arg(fcinfo, 1);
  requests::require_text(workflow_id, "workflow_id");
  if (!key) requests::require_text(key, "key");
  int64 timeout_ms = requests::wait_timeout_ms(PG_ARGISNULL(2), PG_ARGISNULL(2) ? 0 : PG_GETARG_FLOAT8(2),
                                               "timeout_seconds");
  MemoryContext caller = CurrentMemoryContext;
  if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "SPI_connect failed");
  EventWait w = {};
  w.profile = current_profile();
  w.keys[0] = CStringGetTextDatum(workflow_id);
  w.keys[1] = CStringGetTextDatum(key);
  w.workflow_id = workflow_id;
  w.checked = timeout_ms == 0;  // a single check never waits
  bool found = wait_until(poll_event, &w, timeout_ms);
  Datum result = (Datum)0;
  if (found) {
    MemoryContext old = MemoryContextSwitchTo(caller);
    result = payload_to_jsonb(w.serialization, w.value, payloads::Kind::value);
    MemoryContextSwitchTo(old);
  }
  SPI_finish();
  if (!found) PG_RETURN_NULL();
  PG_RETURN_DATUM(result);
}

namespace {

// --- get_result ---------------------------------------------------------------------------

struct ResultWait {
  const Profile *profile;
  Datum key;
  const char *workflow_id;
  bool checked;
  char *status, *output, *error, *serialization;
};

[[noreturn]] void unknown_workflow(const char *id) {
  ereport(ERROR, (errcode(MAKE_SQLSTATE('D', 'B', '0', '0', '4')),
                  errmsg("workflow \"%s\" does not exist", id),
                  errhint("Check the workflow ID; an enqueue is visible only after its transaction commits.")));
}

bool terminal(const char *status) {
  return !strcmp(status, "SUCCESS") || !strcmp(status, "ERROR") || !strcmp(status, "CANCELLED") ||
         !strcmp(status, "MAX_RECOVERY_ATTEMPTS_EXCEEDED") || !strcmp(status, "RETRIES_EXCEEDED");
}

bool poll_result(void *arg) {
  ResultWait *w = (ResultWait *)arg;
  run_expecting(statement(w->profile, S_RESULT), &w->key, nullptr, false, SPI_OK_SELECT);
  if (SPI_processed == 0) unknown_workflow(w->workflow_id);
  HeapTuple t = SPI_tuptable->vals[0];
  TupleDesc d = SPI_tuptable->tupdesc;
  char *status = copy_text_column(t, d, 1);
  if (status && terminal(status)) {
    w->status = status;
    w->output = copy_text_column(t, d, 2);
    w->error = copy_text_column(t, d, 3);
    w->serialization = copy_text_column(t, d, 4);
    return true;
  }
  bool isnull;
  Datum xmin = SPI_getbinval(t, d, 5, &isnull);
  SPI_freetuptable(SPI_tuptable);
  if (!w->checked) {
    check_can_wait(w->workflow_id, isnull ? InvalidTransactionId : DatumGetTransactionId(xmin),
                   "the result");
    w->checked = true;
  }
  return false;
}

}  // namespace

// dbos.get_result(workflow_id, timeout_seconds) RETURNS jsonb
DBOS_FUNCTION(dbos_get_result) {
  char *workflow_id = text_arg(fcinfo, 0);
  requests::require_text(workflow_id, "workflow_id");
  int64 timeout_ms = requests::wait_timeout_ms(PG_ARGISNULL(1), PG_ARGISNULL(1) ? 0 : PG_GETARG_FLOAT8(1),
                                               "timeout_seconds");
  MemoryContext caller = CurrentMemoryContext;
  if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "SPI_connect failed");
  ResultWait w = {};
  w.profile = current_profile();
  w.key = CStringGetTextDatum(workflow_id);
  w.workflow_id = workflow_id;
  w.checked = timeout_ms == 0;
  if (!wait_until(poll_result, &w, timeout_ms))
    ereport(ERROR, (errcode(MAKE_SQLSTATE('D', 'B', '0', '0', '5')),
                    errmsg("timed out waiting for the result of workflow \"%s\"", workflow_id),
                    errdetail("The workflow did not end within %.3f seconds.", timeout_ms / 1000.0),
                    errhint("Wait longer (timeout_seconds => NULL waits until it ends), or check "
                            "dbos.get_status().")));
  if (!strcmp(w.status, "CANCELLED"))
    ereport(ERROR, (errcode(MAKE_SQLSTATE('D', 'B', '0', '0', '2')),
                    errmsg("workflow \"%s\" was cancelled", workflow_id),
                    errhint("Resume it from a DBOS application or client to run it again.")));
  if (strcmp(w.status, "SUCCESS") && strcmp(w.status, "ERROR"))
    ereport(ERROR, (errcode(MAKE_SQLSTATE('D', 'B', '0', '0', '3')),
                    errmsg("workflow \"%s\" exceeded its maximum recovery attempts", workflow_id),
                    errdetail("Its status is %s.", w.status),
                    errhint("Find out why it keeps failing, then resume it.")));
  MemoryContext spi = MemoryContextSwitchTo(caller);
  Datum value = (Datum)0;
  bool is_null = true;
  if (!strcmp(w.status, "ERROR")) {
    Datum err = w.error ? payload_to_jsonb(w.serialization, w.error, payloads::Kind::error)
                        : DirectFunctionCall1(jsonb_in, CStringGetDatum("null"));
    raise_workflow_error(workflow_id, err);
  }
  if (w.output) {
    value = payload_to_jsonb(w.serialization, w.output, payloads::Kind::value);
    is_null = false;
  }
  MemoryContextSwitchTo(spi);
  SPI_finish();
  if (is_null) PG_RETURN_NULL();
  PG_RETURN_DATUM(value);
}

// dbos.get_status(workflow_id) RETURNS dbos.workflow_info
DBOS_FUNCTION(dbos_get_status) {
  char *workflow_id = text_arg(fcinfo, 0);
  requests::require_text(workflow_id, "workflow_id");
  TupleDesc desc;
  if (get_call_result_type(fcinfo, nullptr, &desc) != TYPEFUNC_COMPOSITE)
    elog(ERROR, "dbos.get_status must return a composite type");
  desc = BlessTupleDesc(desc);
  MemoryContext caller = CurrentMemoryContext;
  if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "SPI_connect failed");
  const Profile *p = current_profile();
  Datum key = CStringGetTextDatum(workflow_id);
  run_expecting(statement(p, S_STATUS), &key, nullptr, true, SPI_OK_SELECT);
  if (SPI_processed == 0) {
    SPI_finish();
    PG_RETURN_NULL();
  }
  HeapTuple row = SPI_tuptable->vals[0];
  TupleDesc rd = SPI_tuptable->tupdesc;
  int natts = desc->natts;
  Datum *values = (Datum *)MemoryContextAlloc(caller, sizeof(Datum) * natts);
  bool *nulls = (bool *)MemoryContextAlloc(caller, sizeof(bool) * natts);
  MemoryContext spi = MemoryContextSwitchTo(caller);
  for (int i = 0; i < kStatusPlainColumns; i++) {
    values[i] = SPI_getbinval(row, rd, i + 1, &nulls[i]);
    if (!nulls[i]) {
      Form_pg_attribute att = TupleDescAttr(rd, i);
      values[i] = datumCopy(values[i], att->attbyval, att->attlen);
    }
  }
  char *serialization = SPI_getvalue(row, rd, kStatusPlainColumns + 4);
  const payloads::Kind kinds[3] = {payloads::Kind::inputs, payloads::Kind::value, payloads::Kind::error};
  for (int k = 0; k < 3; k++) {
    int out = kStatusPlainColumns + k;
    char *raw = SPI_getvalue(row, rd, out + 1);
    nulls[out] = raw == nullptr;
    values[out] = raw ? payload_to_jsonb(serialization, raw, kinds[k]) : (Datum)0;
  }
  values[kStatusPlainColumns + 3] = serialization ? CStringGetTextDatum(serialization) : (Datum)0;
  nulls[kStatusPlainColumns + 3] = serialization == nullptr;
  MemoryContextSwitchTo(spi);
  SPI_finish();
  HeapTuple result = heap_form_tuple(desc, values, nulls);
  PG_RETURN_DATUM(HeapTupleGetDatum(result));
}
