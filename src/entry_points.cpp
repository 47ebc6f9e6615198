// Every SQL-callable function: argument decoding, then requests, statements and payloads.
// Postgres-side code: only trivially destructible locals (see error_bridge.hpp).
#include "error_bridge.hpp"
#include "dbos_client.hpp"
#include "requests.hpp"

extern "C" {
#include "utils/array.h"
PG_MODULE_MAGIC;
void _PG_init(void);
}

using namespace dbos_client;

void _PG_init(void) {
  define_settings();
  register_profile_callbacks();
  register_statement_callbacks();
  define_wakeups();
}

namespace {


Jsonb *jsonb_arg(FunctionCallInfo fcinfo, int n) { return PG_ARGISNULL(n) ? nullptr : PG_GETARG_JSONB_P(n); }

requests::Span span_arg(FunctionCallInfo fcinfo, int n) {
  if (PG_ARGISNULL(n)) return {false, 0, 0, 0};
  Interval *iv = PG_GETARG_INTERVAL_P(n);
  return {true, iv->time, iv->day, iv->month};
}

// The options of a validated request, with the settings' defaults, as a row to enqueue
// (ID, inputs, deduplication ID and partition key left to the caller).
EnqueueRow row_of(const requests::Enqueue &r) {
  EnqueueRow row = {};
  row.workflow_name = r.workflow_name;
  row.workflow_class = r.workflow_class;
  row.config_name = r.config_name;
  row.queue_name = r.queue_name;
  row.app_version = r.app_version ? r.app_version : setting_app_version();
  row.application_name = r.application_name ? r.application_name : setting_application_name();
  row.priority = r.priority_null ? 0 : r.priority;
  row.timeout_ms = r.timeout_ms;
  row.delay_ms = r.delay_ms;
  row.serialization = payloads::format_tag(r.format);
  row.return_existing = r.return_existing;
  return row;
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

  EnqueueRow row = row_of(r);
  row.workflow_id = r.workflow_id ? r.workflow_id : new_uuid();
  row.new_id = r.workflow_id == nullptr;
  row.deduplication_id = r.deduplication_id;
  row.partition_key = r.partition_key;
  row.inputs = inputs_to_text(r.format, args, named);

  MemoryContext caller = CurrentMemoryContext;
  if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "SPI_connect failed");
  const Profile *p = current_profile();
  check_enqueue_features(p, row.delay_ms > 0, row.partition_key != nullptr, row.application_name != nullptr);
  check_queue_registered(p, row.queue_name);
  const char *result = enqueue_row(p, &row);
  text *out = (text *)MemoryContextAllocZero(caller, VARHDRSZ + strlen(result));
  SET_VARSIZE(out, VARHDRSZ + strlen(result));
  memcpy(VARDATA(out), result, strlen(result));
  SPI_finish();
  PG_RETURN_TEXT_P(out);
}

namespace {

// The elements of a one-dimensional array argument (nullptr when the argument is NULL);
// `count` is checked against the other per-workflow arrays (-1: not known yet).
Datum *array_arg(FunctionCallInfo fcinfo, int n, Oid type, const char *name, bool **nulls, int *count) {
  *nulls = nullptr;
  if (PG_ARGISNULL(n)) return nullptr;
  ArrayType *array = PG_GETARG_ARRAYTYPE_P(n);
  if (ARR_NDIM(array) > 1)
    ereport(ERROR, (errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR), errmsg("%s must be a one-dimensional array", name),
                    errdetail("It has %d dimensions.", ARR_NDIM(array)),
                    errhint("Give one element per workflow.")));
  Datum *elems;
  int len;
  deconstruct_array(array, type, -1, false, TYPALIGN_INT, &elems, nulls, &len);
  if (*count >= 0 && len != *count)
    ereport(ERROR, (errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
                    errmsg("%s has %d elements, args has %d", name, len, *count),
                    errhint("Give one element per workflow (NULL for none), or NULL for the whole array.")));
  *count = len;
  return elems;
}

// The subscript of the first element of an array argument (1 unless the caller said otherwise),
// so that errors name elements as the caller numbers them.
int lower_bound(FunctionCallInfo fcinfo, int n) {
  if (PG_ARGISNULL(n)) return 1;
  ArrayType *array = PG_GETARG_ARRAYTYPE_P(n);
  return ARR_NDIM(array) == 1 ? ARR_LBOUND(array)[0] : 1;
}

// Per-workflow strings of a text[] argument: nullptr elements for NULL.
const char **texts_arg(FunctionCallInfo fcinfo, int n, const char *name, int count) {
  bool *nulls;
  Datum *elems = array_arg(fcinfo, n, TEXTOID, name, &nulls, &count);
  if (!elems) return nullptr;
  const char **out = (const char **)palloc(sizeof(char *) * (count + 1));
  for (int i = 0; i < count; i++) out[i] = nulls[i] ? nullptr : TextDatumGetCString(elems[i]);
  return out;
}

}  // namespace

// dbos.enqueue_many(queue_name, workflow_class, workflow_name, args jsonb[], workflow_ids,
//   deduplication_ids, partition_keys, named_args jsonb[], app_version, priority, timeout,
//   delay, config_name, application_name, serialization, duplication_policy) RETURNS text[]
DBOS_FUNCTION(dbos_enqueue_many) {
  requests::Enqueue r = {};
  r.queue_name = text_arg(fcinfo, 0);
  r.workflow_class = text_arg(fcinfo, 1);
  r.workflow_name = text_arg(fcinfo, 2);
  if (PG_ARGISNULL(3))
    ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("args must not be null"),
                    errhint("Pass an array with one JSON array of arguments per workflow, e.g. ARRAY['[1]', '[2]']::jsonb[].")));
  int count = -1;
  bool *args_nulls, *named_nulls;
  Datum *args = array_arg(fcinfo, 3, JSONBOID, "args", &args_nulls, &count);
  int lb_args = lower_bound(fcinfo, 3), lb_ids = lower_bound(fcinfo, 4), lb_dedups = lower_bound(fcinfo, 5),
      lb_partitions = lower_bound(fcinfo, 6), lb_named = lower_bound(fcinfo, 7);
  char buf[64];
  for (int i = 0; i < count; i++) {
    snprintf(buf, sizeof buf, "args[%d]", lb_args + i);
    Jsonb *a = args_nulls[i] ? nullptr : DatumGetJsonbP(args[i]);
    if (!a)
      ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("%s must not be null", buf),
                      errhint("Pass '[]' for a workflow without arguments.")));
    if (!JB_ROOT_IS_ARRAY(a) || JB_ROOT_IS_SCALAR(a))
      ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("%s must be a JSON array", buf),
                      errhint("Each element holds one workflow's positional arguments, e.g. '[1, \"a\"]'.")));
    args[i] = PointerGetDatum(a);
  }
  const char **ids = texts_arg(fcinfo, 4, "workflow_ids", count);
  const char **dedups = texts_arg(fcinfo, 5, "deduplication_ids", count);
  const char **partitions = texts_arg(fcinfo, 6, "partition_keys", count);
  Datum *named = array_arg(fcinfo, 7, JSONBOID, "named_args", &named_nulls, &count);
  bool any_named = false;
  for (int i = 0; named && i < count; i++) {
    if (named_nulls[i]) continue;
    Jsonb *a = DatumGetJsonbP(named[i]);
    named[i] = PointerGetDatum(a);
    any_named = true;
    if (!JB_ROOT_IS_OBJECT(a))
      ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("named_args[%d] must be a JSON object", lb_named + i),
                      errhint("Pass keyword arguments as an object, e.g. '{\"k\": 1}', or NULL.")));
  }
  for (int i = 0; i < count; i++) {
    snprintf(buf, sizeof buf, "workflow_ids[%d]", lb_ids + i);
    if (ids) requests::check_workflow_id(ids[i], buf);
    snprintf(buf, sizeof buf, "deduplication_ids[%d]", lb_dedups + i);
    if (dedups) requests::check_deduplication_id(dedups[i], buf);
    snprintf(buf, sizeof buf, "partition_keys[%d]", lb_partitions + i);
    if (partitions) requests::check_partition_key(partitions[i], buf);
  }
  // The options shared by every workflow, validated as dbos.enqueue validates them.
  r.args_is_array = true;
  r.app_version = text_arg(fcinfo, 8);
  r.priority_null = PG_ARGISNULL(9);
  r.priority = r.priority_null ? 0 : PG_GETARG_INT32(9);
  r.timeout = span_arg(fcinfo, 10);
  r.delay = span_arg(fcinfo, 11);
  r.config_name = text_arg(fcinfo, 12);
  r.application_name = text_arg(fcinfo, 13);
  r.serialization = text_arg(fcinfo, 14);
  r.duplication_policy = text_arg(fcinfo, 15);
  r.named_args_present = any_named;
  r.named_args_is_object = true;
  bool any_dedup = false;
  for (int i = 0; dedups && i < count; i++) any_dedup = any_dedup || dedups[i];
  r.deduplication_id = any_dedup ? "(per workflow)" : nullptr;  // return_existing needs one
  requests::validate(r);

  EnqueueRow shared = row_of(r);
  Datum *inputs = (Datum *)palloc(sizeof(Datum) * (count + 1));
  bool all_new = true;
  const char **workflow_ids = (const char **)palloc(sizeof(char *) * (count + 1));
  bool any_partition = false;
  // Each element is encoded in a scratch context and only its text kept: the encoder's
  // temporaries would otherwise cost ~2 KB per workflow until the call ends.
  MemoryContext outer = CurrentMemoryContext;
  MemoryContext scratch = AllocSetContextCreate(outer, "dbos_client encode", ALLOCSET_DEFAULT_SIZES);
  for (int i = 0; i < count; i++) {
    CHECK_FOR_INTERRUPTS();  // a million rows take a while to encode
    Jsonb *n = named && !named_nulls[i] ? DatumGetJsonbP(named[i]) : nullptr;
    MemoryContextSwitchTo(scratch);
    Datum encoded = inputs_to_text(r.format, DatumGetJsonbP(args[i]), n);
    MemoryContextSwitchTo(outer);
    inputs[i] = PointerGetDatum(PG_DETOAST_DATUM_COPY(encoded));
    MemoryContextReset(scratch);
    all_new = all_new && !(ids && ids[i]);
    workflow_ids[i] = ids && ids[i] ? ids[i] : new_uuid();
    any_partition = any_partition || (partitions && partitions[i]);
  }
  MemoryContextDelete(scratch);

  MemoryContext caller = CurrentMemoryContext;
  if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "SPI_connect failed");
  const Profile *p = current_profile();
  check_enqueue_features(p, shared.delay_ms > 0, any_partition, shared.application_name != nullptr);
  check_queue_registered(p, shared.queue_name);
  EnqueueBatch batch = {&shared, count, workflow_ids, all_new, inputs, dedups, partitions};
  const char **result = enqueue_batch(p, &batch);
  MemoryContext spi = MemoryContextSwitchTo(caller);
  Datum *out = (Datum *)palloc(sizeof(Datum) * (count + 1));
  for (int i = 0; i < count; i++) out[i] = CStringGetTextDatum(result[i]);
  ArrayType *array = construct_array(out, count, TEXTOID, -1, false, TYPALIGN_INT);
  MemoryContextSwitchTo(spi);
  SPI_finish();
  PG_RETURN_ARRAYTYPE_P(array);
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
  v[SP_CREATED_AT] = Int64GetDatum(next_message_epoch_ms());
  n[SP_CREATED_AT] = ' ';
  check_no_insert_rule(p);
  run_statement(statement(p, S_SEND), v, n, false, SPI_OK_INSERT);
  if (SPI_processed == 0) {
    // Either the destination is unknown, or this idempotency key was already delivered.
    run_statement(statement(p, S_WORKFLOW_XMIN), &v[SP_DEST], nullptr, false, SPI_OK_SELECT);
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
  run_statement(statement(p, S_WORKFLOW_XMIN), &workflow_id, nullptr, false, SPI_OK_SELECT);
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
  run_statement(statement(w->profile, S_EVENT), w->keys, nullptr, false, SPI_OK_SELECT);
  if (SPI_processed == 1) {
    w->found = true;
    w->value = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
    w->serialization = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);
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
  bool found = wait_until(poll_event, &w, timeout_ms, WAKE_EVENTS);
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

}  // namespace

void dbos_client::raise_unknown_workflow(const char *id) {
  ereport(ERROR, (errcode(ERRCODE_DBOS_UNKNOWN_WORKFLOW),
                  errmsg("workflow \"%s\" does not exist", id),
                  errhint("Check the workflow ID; an enqueue is visible only after its transaction commits.")));
}

namespace {

bool terminal(const char *status) {
  return !strcmp(status, "SUCCESS") || !strcmp(status, "ERROR") || !strcmp(status, "CANCELLED") ||
         !strcmp(status, "MAX_RECOVERY_ATTEMPTS_EXCEEDED") || !strcmp(status, "RETRIES_EXCEEDED");
}

bool poll_result(void *arg) {
  ResultWait *w = (ResultWait *)arg;
  run_statement(statement(w->profile, S_RESULT), &w->key, nullptr, false, SPI_OK_SELECT);
  if (SPI_processed == 0) raise_unknown_workflow(w->workflow_id);
  HeapTuple t = SPI_tuptable->vals[0];
  TupleDesc d = SPI_tuptable->tupdesc;
  char *status = SPI_getvalue(t, d, 1);
  if (status && terminal(status)) {
    w->status = status;  // kept: the wait is over
    w->output = SPI_getvalue(t, d, 2);
    w->error = SPI_getvalue(t, d, 3);
    w->serialization = SPI_getvalue(t, d, 4);
    return true;
  }
  bool isnull;
  Datum xmin = SPI_getbinval(t, d, 5, &isnull);
  if (status) pfree(status);  // polls may run for hours: nothing may accumulate per poll
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
  if (!wait_until(poll_result, &w, timeout_ms, WAKE_STATUS))
    ereport(ERROR, (errcode(ERRCODE_DBOS_TIMEOUT),
                    errmsg("timed out waiting for the result of workflow \"%s\"", workflow_id),
                    errdetail("The workflow did not end within %.3f seconds.", timeout_ms / 1000.0),
                    errhint("Wait longer (timeout_seconds => NULL waits until it ends), or check "
                            "dbos.get_status().")));
  if (!strcmp(w.status, "CANCELLED"))
    ereport(ERROR, (errcode(ERRCODE_DBOS_CANCELLED),
                    errmsg("workflow \"%s\" was cancelled", workflow_id),
                    errhint("Resume it from a DBOS application or client to run it again.")));
  if (strcmp(w.status, "SUCCESS") && strcmp(w.status, "ERROR"))
    ereport(ERROR, (errcode(ERRCODE_DBOS_DEAD_LETTER),
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
  run_statement(statement(p, S_STATUS), &key, nullptr, true, SPI_OK_SELECT);
  if (SPI_processed == 0) {
    SPI_finish();
    PG_RETURN_NULL();
  }
  Datum values[kStatusPlainColumns + 4];
  bool nulls[kStatusPlainColumns + 4];
  MemoryContext spi = MemoryContextSwitchTo(caller);
  workflow_info_values(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, values, nulls);
  MemoryContextSwitchTo(spi);
  SPI_finish();
  HeapTuple result = heap_form_tuple(desc, values, nulls);
  PG_RETURN_DATUM(HeapTupleGetDatum(result));
}
