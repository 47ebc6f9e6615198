// Management and observability: cancel, resume, fork, delete, set priority, list workflows
// and steps, read events and streams. Each makes the row changes of the DBOSClient method of
// the same name (TypeScript 5.3). Postgres side: only trivially destructible locals.
#include "error_bridge.hpp"
#include "dbos_client.hpp"
#include "requests.hpp"

extern "C" {
#include "tcop/utility.h"
#include "utils/array.h"
#include "utils/tuplestore.h"
}

using namespace dbos_client;

namespace {



// The workflow ID argument: required, non-empty.
char *workflow_id_arg(FunctionCallInfo fcinfo, int n) {
  char *id = text_arg(fcinfo, n);
  requests::require_text(id, "workflow_id");
  return id;
}

const Profile *connect() {
  if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "SPI_connect failed");
  return current_profile();
}

void require_workflow(const Profile *p, Datum id, const char *workflow_id) {
  run_statement(statement(p, S_WORKFLOW_XMIN), &id, nullptr, false, SPI_OK_SELECT);
  bool exists = SPI_processed > 0;
  SPI_freetuptable(SPI_tuptable);
  if (!exists) raise_unknown_workflow(workflow_id);
}

Datum copy_text_result(MemoryContext caller, const char *s) {
  MemoryContext old = MemoryContextSwitchTo(caller);
  Datum d = CStringGetTextDatum(s);
  MemoryContextSwitchTo(old);
  return d;
}

void require_table(const Profile *p, TableId table, const char *name, const char *what) {
  if (!OidIsValid(p->relid[table]))
    ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                    errmsg("%s needs table %s.%s", what, p->quoted_schema, name),
                    errhint("Upgrade the DBOS system tables by launching a current DBOS application.")));
}

void step_values(HeapTuple row, TupleDesc desc, Datum *values, bool *nulls) {
  // function_id, function_name, output, error, child_workflow_id, started_at, completed_at, serialization
  char *serialization = SPI_getvalue(row, desc, 8);
  values[0] = SPI_getbinval(row, desc, 1, &nulls[0]);
  char *name = SPI_getvalue(row, desc, 2);
  nulls[1] = name == nullptr;
  values[1] = name ? CStringGetTextDatum(name) : (Datum)0;
  for (int k = 0; k < 2; k++) {
    char *raw = SPI_getvalue(row, desc, 3 + k);
    nulls[2 + k] = raw == nullptr;
    values[2 + k] = raw ? payload_to_jsonb(serialization, raw, k == 0 ? payloads::Kind::value : payloads::Kind::error)
                        : (Datum)0;
  }
  char *child = SPI_getvalue(row, desc, 5);
  nulls[4] = child == nullptr;
  values[4] = child ? CStringGetTextDatum(child) : (Datum)0;
  for (int k = 0; k < 2; k++) {
    Datum ms = SPI_getbinval(row, desc, 6 + k, &nulls[5 + k]);
    values[5 + k] = nulls[5 + k] ? (Datum)0
                                 : TimestampTzGetDatum(DatumGetInt64(ms) * 1000 -
                                                       (int64)(POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) *
                                                           SECS_PER_DAY * USECS_PER_SEC);
  }
  nulls[7] = serialization == nullptr;
  values[7] = serialization ? CStringGetTextDatum(serialization) : (Datum)0;
}

void event_values(HeapTuple row, TupleDesc desc, Datum *values, bool *nulls) {
  values[0] = SPI_getbinval(row, desc, 1, &nulls[0]);  // key, as stored
  if (!nulls[0]) values[0] = CStringGetTextDatum(SPI_getvalue(row, desc, 1));
  values[1] = payload_to_jsonb(SPI_getvalue(row, desc, 3), SPI_getvalue(row, desc, 2), payloads::Kind::value);
  nulls[1] = false;
}

}  // namespace

bool dbos_client::is_stream_end(const char *value) {
  if (!value) return false;
  return strcmp(value, "\"__DBOS_STREAM_CLOSED__\"") == 0 || strcmp(value, "__DBOS_STREAM_CLOSED__") == 0;
}

namespace {

void stream_values(HeapTuple row, TupleDesc desc, Datum *values, bool *nulls) {
  values[0] = SPI_getbinval(row, desc, 1, &nulls[0]);
  values[1] = payload_to_jsonb(SPI_getvalue(row, desc, 3), SPI_getvalue(row, desc, 2), payloads::Kind::value);
  nulls[1] = false;
}

// list_workflows and list_queued_workflows share everything but the queued filter.
Datum list(FunctionCallInfo fcinfo, bool queued) {
  // list_workflows(status, workflow_name, queue_name, app_version, created_after,
  //   created_before, limit_rows, offset_rows, descending, load_input, load_output)
  // list_queued_workflows(queue_name, status, workflow_name, created_after, created_before,
  //   limit_rows, offset_rows, descending, load_input)
  const int a_status = queued ? 1 : 0, a_name = queued ? 2 : 1, a_queue = queued ? 0 : 2,
            a_version = queued ? -1 : 3, a_after = queued ? 3 : 4, a_before = queued ? 4 : 5,
            a_limit = queued ? 5 : 6, a_offset = queued ? 6 : 7, a_desc = queued ? 7 : 8,
            a_input = queued ? 8 : 9, a_output = queued ? -1 : 10;
  Datum v[LP_COUNT];
  char n[LP_COUNT];
  memset(n, ' ', sizeof n);
  n[LP_STATUS] = PG_ARGISNULL(a_status) ? 'n' : ' ';
  v[LP_STATUS] = PG_ARGISNULL(a_status) ? (Datum)0 : PG_GETARG_DATUM(a_status);
  v[LP_NAME] = text_or_null(text_arg(fcinfo, a_name), n, LP_NAME);
  v[LP_QUEUE] = text_or_null(text_arg(fcinfo, a_queue), n, LP_QUEUE);
  v[LP_APP_VERSION] = text_or_null(a_version >= 0 ? text_arg(fcinfo, a_version) : nullptr, n, LP_APP_VERSION);
  n[LP_CREATED_AFTER] = PG_ARGISNULL(a_after) ? 'n' : ' ';
  v[LP_CREATED_AFTER] = PG_ARGISNULL(a_after) ? 0 : Int64GetDatum(timestamp_to_epoch_ms(PG_GETARG_TIMESTAMPTZ(a_after)));
  n[LP_CREATED_BEFORE] = PG_ARGISNULL(a_before) ? 'n' : ' ';
  v[LP_CREATED_BEFORE] = PG_ARGISNULL(a_before) ? 0 : Int64GetDatum(timestamp_to_epoch_ms(PG_GETARG_TIMESTAMPTZ(a_before)));
  const int counts[2] = {a_limit, a_offset};
  for (int k = 0; k < 2; k++) {
    int idx = k == 0 ? LP_LIMIT : LP_OFFSET;
    n[idx] = PG_ARGISNULL(counts[k]) ? 'n' : ' ';
    int32 value = PG_ARGISNULL(counts[k]) ? 0 : PG_GETARG_INT32(counts[k]);
    if (value < 0)
      ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                      errmsg("%s must not be negative", k == 0 ? "limit_rows" : "offset_rows")));
    v[idx] = Int64GetDatum(value);
  }
  bool descending = !PG_ARGISNULL(a_desc) && PG_GETARG_BOOL(a_desc);
  v[LP_LOAD_INPUT] = BoolGetDatum(!PG_ARGISNULL(a_input) && PG_GETARG_BOOL(a_input));
  v[LP_LOAD_OUTPUT] = BoolGetDatum(a_output >= 0 && !PG_ARGISNULL(a_output) && PG_GETARG_BOOL(a_output));

  InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC | MAT_SRF_BLESS);
  MemoryContext caller = CurrentMemoryContext;
  const Profile *p = connect();
  StatementId id = queued ? (descending ? S_LIST_QUEUED_DESC : S_LIST_QUEUED) : (descending ? S_LIST_DESC : S_LIST);
  run_statement(statement(p, id), v, n, true, SPI_OK_SELECT);
  materialize_spi_result(fcinfo, caller, workflow_info_values, -1);
  SPI_finish();
  return (Datum)0;
}

}  // namespace

namespace {

// Runs S_CANCEL, S_RESUME, S_DELETE or S_EXISTING over ids[0..count) (one statement, as DBOS).
void change_many(const Profile *p, StatementId id, char **ids, int count, const char *queue, bool with_children,
                 int expected) {
  Datum *elems = (Datum *)palloc(sizeof(Datum) * (count + 1));
  for (int i = 0; i < count; i++) elems[i] = CStringGetTextDatum(ids[i]);
  Datum v[MP_COUNT] = {PointerGetDatum(construct_array(elems, count, TEXTOID, -1, false, TYPALIGN_INT)),
                       queue ? CStringGetTextDatum(queue) : (Datum)0, BoolGetDatum(with_children),
                       Int64GetDatum(epoch_ms_now())};
  const char n[MP_COUNT + 1] = {' ', queue ? ' ' : 'n', ' ', ' '};
  run_statement(statement(p, id), v, n, false, expected);
}

}  // namespace

// dbos.cancel_workflow(workflow_id) RETURNS void
DBOS_FUNCTION(dbos_cancel_workflow) {
  char *workflow_id = workflow_id_arg(fcinfo, 0);
  const Profile *p = connect();
  require_workflow(p, CStringGetTextDatum(workflow_id), workflow_id);
  change_many(p, S_CANCEL, &workflow_id, 1, nullptr, false, SPI_OK_UPDATE);
  SPI_finish();
  PG_RETURN_VOID();
}

// dbos.resume_workflow(workflow_id, queue_name) RETURNS text
DBOS_FUNCTION(dbos_resume_workflow) {
  char *workflow_id = workflow_id_arg(fcinfo, 0);
  char *queue = text_arg(fcinfo, 1);
  if (queue && !*queue) requests::require_text(queue, "queue_name");
  MemoryContext caller = CurrentMemoryContext;
  const Profile *p = connect();
  require_workflow(p, CStringGetTextDatum(workflow_id), workflow_id);
  change_many(p, S_RESUME, &workflow_id, 1, queue ? queue : kInternalQueue, false, SPI_OK_UPDATE);
  SPI_finish();
  PG_RETURN_DATUM(copy_text_result(caller, workflow_id));
}

// dbos.set_workflow_priority(workflow_id, priority) RETURNS void
DBOS_FUNCTION(dbos_set_workflow_priority) {
  char *workflow_id = workflow_id_arg(fcinfo, 0);
  if (PG_ARGISNULL(1))
    ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("priority must not be null")));
  int32 priority = PG_GETARG_INT32(1);
  if (priority < 0)
    ereport(ERROR, (errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
                    errmsg("priority %d is out of range", priority),
                    errdetail("DBOS priorities range from 0 to 2147483647.")));
  const Profile *p = connect();
  Datum id = CStringGetTextDatum(workflow_id);
  require_workflow(p, id, workflow_id);
  Datum v[CP_COUNT] = {id, Int32GetDatum(priority), Int64GetDatum(epoch_ms_now())};
  run_statement(statement(p, S_SET_PRIORITY), v, nullptr, false, SPI_OK_UPDATE);
  SPI_finish();
  PG_RETURN_VOID();
}

// dbos.delete_workflow(workflow_id, delete_children) RETURNS void; an unknown ID is a no-op.
DBOS_FUNCTION(dbos_delete_workflow) {
  char *workflow_id = workflow_id_arg(fcinfo, 0);
  bool children = !PG_ARGISNULL(1) && PG_GETARG_BOOL(1);
  const Profile *p = connect();
  change_many(p, S_DELETE, &workflow_id, 1, nullptr, children, SPI_OK_SELECT);
  SPI_finish();
  PG_RETURN_VOID();
}

// dbos.fork_workflow(workflow_id, start_step, new_workflow_id, app_version, queue_name) RETURNS text
DBOS_FUNCTION(dbos_fork_workflow) {
  char *workflow_id = workflow_id_arg(fcinfo, 0);
  if (PG_ARGISNULL(1))
    ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("start_step must not be null"),
                    errhint("Use 0 to run the whole workflow again.")));
  int32 start_step = PG_GETARG_INT32(1);
  if (start_step < 0)
    ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("start_step must not be negative")));
  char *new_id = text_arg(fcinfo, 2);
  requests::check_workflow_id(new_id, "new_workflow_id");
  char *app_version = text_arg(fcinfo, 3);
  if (app_version && !*app_version) app_version = nullptr;
  char *queue = text_arg(fcinfo, 4);
  if (queue) requests::require_text(queue, "queue_name");
  refuse_write_on_standby();
  PreventCommandIfReadOnly("dbos.fork_workflow()");
  check_key_sizes(queue ? queue : kInternalQueue, new_id, nullptr, nullptr, setting_application_name());
  MemoryContext caller = CurrentMemoryContext;
  const Profile *p = connect();
  if (!new_id) new_id = new_uuid();
  Datum id = CStringGetTextDatum(workflow_id);
  require_workflow(p, id, workflow_id);
  check_no_insert_rule(p);
  Datum v[FP_COUNT];
  char n[FP_COUNT];
  v[FP_SOURCE] = text_or_null(workflow_id, n, FP_SOURCE);
  v[FP_NEW_ID] = text_or_null(new_id, n, FP_NEW_ID);
  v[FP_APP_VERSION] = text_or_null(app_version, n, FP_APP_VERSION);
  v[FP_QUEUE] = text_or_null(queue ? queue : kInternalQueue, n, FP_QUEUE);
  v[FP_APP_NAME] = text_or_null(setting_application_name(), n, FP_APP_NAME);
  v[FP_NOW_MS] = Int64GetDatum(reserve_created_at(1).base);
  n[FP_NOW_MS] = ' ';
  run_statement(statement(p, S_FORK), v, n, false, SPI_OK_SELECT);
  if (SPI_processed == 0)
    ereport(ERROR, (errcode(ERRCODE_DBOS_CONFLICTING_ID),
                    errmsg("workflow ID \"%s\" is already used", new_id),
                    errhint("Pass another new_workflow_id, or NULL to have one generated.")));
  if (start_step > 0) {
    // Checkpoints, streams and published events of the steps before start_step.
    Datum steps[FC_COUNT] = {v[FP_SOURCE], v[FP_NEW_ID], Int32GetDatum(start_step), Int64GetDatum(epoch_ms_now())};
    const char *sn = nullptr;
    if (OidIsValid(p->relid[T_STEPS])) run_statement(statement(p, S_FORK_STEPS), steps, sn, false, SPI_OK_INSERT);
    if (OidIsValid(p->relid[T_STREAMS])) run_statement(statement(p, S_FORK_STREAMS), steps, sn, false, SPI_OK_INSERT);
    if (OidIsValid(p->relid[T_EVENTS_HISTORY])) {
      run_statement(statement(p, S_FORK_HISTORY), steps, sn, false, SPI_OK_INSERT);
      run_statement(statement(p, S_FORK_EVENTS), steps, sn, false, SPI_OK_INSERT);
    }
  }
  SPI_finish();
  PG_RETURN_DATUM(copy_text_result(caller, new_id));
}

// dbos.list_workflows(...) RETURNS SETOF dbos.workflow_info
DBOS_FUNCTION(dbos_list_workflows) { return list(fcinfo, false); }

// dbos.list_queued_workflows(...) RETURNS SETOF dbos.workflow_info
DBOS_FUNCTION(dbos_list_queued_workflows) { return list(fcinfo, true); }

// dbos.list_workflow_steps(workflow_id) RETURNS SETOF dbos.step_info
DBOS_FUNCTION(dbos_list_workflow_steps) {
  char *workflow_id = workflow_id_arg(fcinfo, 0);
  InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC | MAT_SRF_BLESS);
  MemoryContext caller = CurrentMemoryContext;
  const Profile *p = connect();
  require_table(p, T_STEPS, "operation_outputs", "dbos.list_workflow_steps");
  Datum id = CStringGetTextDatum(workflow_id);
  require_workflow(p, id, workflow_id);
  run_statement(statement(p, S_STEPS), &id, nullptr, true, SPI_OK_SELECT);
  materialize_spi_result(fcinfo, caller, step_values, -1);
  SPI_finish();
  return (Datum)0;
}

// dbos.get_events(workflow_id) RETURNS TABLE(key text, value jsonb)
DBOS_FUNCTION(dbos_get_events) {
  char *workflow_id = workflow_id_arg(fcinfo, 0);
  InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC | MAT_SRF_BLESS);
  MemoryContext caller = CurrentMemoryContext;
  const Profile *p = connect();
  Datum id = CStringGetTextDatum(workflow_id);
  run_statement(statement(p, S_EVENTS_ALL), &id, nullptr, true, SPI_OK_SELECT);
  materialize_spi_result(fcinfo, caller, event_values, -1);
  SPI_finish();
  return (Datum)0;
}

// dbos.read_stream(workflow_id, key, from_offset) RETURNS TABLE("offset" integer, value jsonb):
// the values written so far from from_offset, up to the close marker. It does not wait.
DBOS_FUNCTION(dbos_read_stream) {
  char *workflow_id = workflow_id_arg(fcinfo, 0);
  char *key = text_arg(fcinfo, 1);
  if (!key) requests::require_text(key, "key");
  int32 from = PG_ARGISNULL(2) ? 0 : PG_GETARG_INT32(2);
  if (from < 0)
    ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("from_offset must not be negative")));
  InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC | MAT_SRF_BLESS);
  MemoryContext caller = CurrentMemoryContext;
  const Profile *p = connect();
  require_table(p, T_STREAMS, "streams", "dbos.read_stream");
  Datum id = CStringGetTextDatum(workflow_id);
  require_workflow(p, id, workflow_id);
  Datum v[3] = {id, CStringGetTextDatum(key), Int32GetDatum(from)};
  run_statement(statement(p, S_STREAM), v, nullptr, true, SPI_OK_SELECT);
  // Offsets are dense from 0: stop at a gap (not written yet) or at the close marker.
  int rows = 0;
  for (uint64 i = 0; i < SPI_processed; i++) {
    bool isnull;
    int32 offset = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
    if (offset != from + (int32)i) break;
    if (is_stream_end(SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2))) break;
    rows++;
  }
  materialize_spi_result(fcinfo, caller, stream_values, rows);
  SPI_finish();
  return (Datum)0;
}

// --- bulk forms (1.3): DBOSClient's cancelWorkflows, resumeWorkflows, deleteWorkflows ---------

namespace dbos_client {

int compare_strings(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

char **workflow_ids_arg(FunctionCallInfo fcinfo, bool refuse_duplicates, int *count) {
  if (PG_ARGISNULL(0))
    ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("workflow_ids must not be null")));
  ArrayType *a = PG_GETARG_ARRAYTYPE_P(0);
  if (ARR_NDIM(a) > 1)
    ereport(ERROR, (errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR), errmsg("workflow_ids must be a one-dimensional array")));
  Datum *elems;
  bool *nulls;
  int n;
  deconstruct_array(a, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
  char **ids = (char **)palloc(sizeof(char *) * (n + 1));
  for (int i = 0; i < n; i++) {
    if (nulls[i] || VARSIZE_ANY_EXHDR(DatumGetTextPP(elems[i])) == 0)
      ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("workflow_ids[%d] is null or empty", i + 1)));
    ids[i] = TextDatumGetCString(elems[i]);
  }
  // Repeats found by sorting (a list of 100,000 IDs must not cost n^2), then dropped in order:
  // a string stays when it is the first occurrence of its value.
  char **sorted = (char **)palloc(sizeof(char *) * (n + 1));
  memcpy(sorted, ids, sizeof(char *) * n);
  qsort(sorted, n, sizeof(char *), compare_strings);
  bool any_repeat = false;
  for (int i = 1; i < n && !any_repeat; i++) any_repeat = strcmp(sorted[i - 1], sorted[i]) == 0;
  *count = n;
  if (!any_repeat) return ids;
  if (refuse_duplicates) {
    for (int i = 1; i < n; i++)
      if (strcmp(sorted[i - 1], sorted[i]) == 0)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("duplicate workflow ID \"%s\" in workflow_ids", sorted[i]),
                        errdetail("DBOS: Duplicate workflow ID in waitFirst: %s", sorted[i])));
  }
  // Seen-set by bsearch over the sorted values, marking a value once its first occurrence is kept.
  bool *kept_value = (bool *)palloc0(sizeof(bool) * n);
  int k = 0;
  for (int i = 0; i < n; i++) {
    char **at = (char **)bsearch(&ids[i], sorted, n, sizeof(char *), compare_strings);
    while (at > sorted && strcmp(at[-1], ids[i]) == 0) at--;  // the first of equal values
    if (kept_value[at - sorted]) continue;
    kept_value[at - sorted] = true;
    ids[k++] = ids[i];
  }
  *count = k;
  return ids;
}

}  // namespace dbos_client

// dbos.cancel_workflows(workflow_ids text[], cancel_children) RETURNS void: what
// dbos.cancel_workflow does to each, in one statement; unknown IDs are skipped, as
// DBOSClient.cancelWorkflows skips them. With cancel_children, every unfinished workflow below
// them too (DBOS's cancelChildren).
DBOS_FUNCTION(dbos_cancel_workflows) {
  int count;
  char **ids = workflow_ids_arg(fcinfo, false, &count);
  bool children = !PG_ARGISNULL(1) && PG_GETARG_BOOL(1);
  refuse_write_on_standby();
  const Profile *p = connect();
  change_many(p, S_CANCEL, ids, count, nullptr, children, SPI_OK_UPDATE);
  SPI_finish();
  PG_RETURN_VOID();
}

// dbos.resume_workflows(workflow_ids text[], queue_name) RETURNS text[]: every ID must exist
// (DB004 names the missing ones, before anything changes, as DBOSClient.resumeWorkflows checks);
// then what dbos.resume_workflow does to each, in one statement. Returns the IDs as given.
DBOS_FUNCTION(dbos_resume_workflows) {
  int count;
  char **ids = workflow_ids_arg(fcinfo, false, &count);
  char *queue = text_arg(fcinfo, 1);
  if (queue && !*queue) requests::require_text(queue, "queue_name");
  refuse_write_on_standby();
  const Profile *p = connect();
  change_many(p, S_EXISTING, ids, count, nullptr, false, SPI_OK_SELECT);
  if (SPI_processed < (uint64)count) {
    char **found = (char **)palloc(sizeof(char *) * (SPI_processed + 1));
    for (uint64 r = 0; r < SPI_processed; r++) found[r] = SPI_getvalue(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 1);
    qsort(found, SPI_processed, sizeof(char *), compare_strings);
    StringInfoData missing;
    initStringInfo(&missing);
    int missing_count = 0;
    for (int i = 0; i < count; i++)
      if (!bsearch(&ids[i], found, SPI_processed, sizeof(char *), compare_strings))
        appendStringInfo(&missing, "%s\"%s\"", missing_count++ ? ", " : "", ids[i]);
    ereport(ERROR, (errcode(ERRCODE_DBOS_UNKNOWN_WORKFLOW),
                    errmsg(missing_count == 1 ? "workflow %s does not exist" : "workflows %s do not exist", missing.data),
                    errdetail("No workflow was resumed."),
                    errhint("Check the workflow IDs; an enqueue is visible only after its transaction commits.")));
  }
  change_many(p, S_RESUME, ids, count, queue ? queue : kInternalQueue, false, SPI_OK_UPDATE);
  SPI_finish();
  PG_RETURN_DATUM(PG_GETARG_DATUM(0));
}

// dbos.delete_workflows(workflow_ids text[], delete_children) RETURNS void: what
// dbos.delete_workflow does to each, in one statement; unknown IDs are no-ops.
DBOS_FUNCTION(dbos_delete_workflows) {
  int count;
  char **ids = workflow_ids_arg(fcinfo, false, &count);
  bool children = !PG_ARGISNULL(1) && PG_GETARG_BOOL(1);
  refuse_write_on_standby();
  const Profile *p = connect();
  change_many(p, S_DELETE, ids, count, nullptr, children, SPI_OK_SELECT);
  SPI_finish();
  PG_RETURN_VOID();
}
