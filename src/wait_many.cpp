// Waiting on many workflows and on one stream offset (1.3): DBOSClient's waitFirst, waitAll
// and readStreamOffset. They wait like get_result: interruptible, woken at the commit of the
// rows they wait for when preloaded (else a short backoff), following the replay on a standby.
// Postgres side: only trivially destructible locals.
#include "error_bridge.hpp"
#include "dbos_client.hpp"
#include "requests.hpp"

extern "C" {
#include "access/transam.h"
#include "utils/array.h"
}

namespace dbos_client {

void wait_many_text(const Profile *p, StatementId id, StringInfo sql) {
  switch (id) {
    case S_WAIT_MANY:
      // DBOS's awaitFirstWorkflowId / awaitWorkflowIds: ended = neither PENDING, ENQUEUED
      // nor DELAYED. The first to end comes first.
      appendStringInfo(sql,
                       "SELECT workflow_uuid, NOT (status OPERATOR(pg_catalog.=) ANY "
                       "('{PENDING,ENQUEUED,DELAYED}'::pg_catalog.text[])), xmin::pg_catalog.text::pg_catalog.int8 "
                       "FROM %s.workflow_status WHERE workflow_uuid OPERATOR(pg_catalog.=) ANY ($ids) "
                       "ORDER BY 2 DESC, updated_at, workflow_uuid",
                       p->quoted_schema);
      break;
    case S_STREAM_OFFSET:
      // DBOS's readStreamValue: the value at one offset and the workflow's status, in one read.
      appendStringInfo(sql,
                       "SELECT s.status, v.value, v.serialization, s.xmin::pg_catalog.text::pg_catalog.int8 "
                       "FROM %s.workflow_status s LEFT JOIN %s.streams v ON v.workflow_uuid OPERATOR(pg_catalog.=) "
                       "s.workflow_uuid AND v.key OPERATOR(pg_catalog.=) $key AND v.\"offset\" OPERATOR(pg_catalog.=) $offset "
                       "WHERE s.workflow_uuid OPERATOR(pg_catalog.=) $id",
                       p->quoted_schema, p->quoted_schema);
      break;
    default:
      elog(ERROR, "not a wait statement: %d", (int)id);
  }
}

namespace {

struct ManyWait {
  const Profile *profile;
  char **id_list;    // distinct IDs, in the caller's order
  Datum ids;         // the same, as text[]
  int count;
  const char *first_id;
  bool all;          // wait_all: every one must end
  bool will_wait;    // a timeout other than 0: the checks that only a wait needs apply
  bool checked;
  char *ended_id;    // wait_first: the one that ended
};

bool poll_many(void *arg) {
  ManyWait *w = (ManyWait *)arg;
  Datum v[WM_COUNT];
  char n[WM_COUNT];
  memset(n, 'n', sizeof n);
  v[WM_IDS] = w->ids, n[WM_IDS] = ' ';
  run_statement(statement(w->profile, S_WAIT_MANY), v, n, false, SPI_OK_SELECT);
  uint64 ended = 0;
  bool own_open = false;
  for (uint64 i = 0; i < SPI_processed; i++) {
    bool isnull;
    bool done = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &isnull));
    if (done) {
      if (ended++ == 0 && !w->all) w->ended_id = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
      continue;
    }
    int64 xmin = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 3, &isnull));
    if (TransactionIdIsCurrentTransactionId((TransactionId)xmin)) own_open = true;
  }
  bool over = w->all ? ended == (uint64)w->count : ended > 0;
  // Every ID must exist, at every look: a wait for an unknown ID, or one deleted while we wait,
  // could never end (as get_result says DB004 then); with timeout 0 a typo would read as "not
  // ended" forever.
  if (!over && SPI_processed < (uint64)w->count) {
    char **found = (char **)palloc(sizeof(char *) * (SPI_processed + 1));
    for (uint64 r = 0; r < SPI_processed; r++) found[r] = SPI_getvalue(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 1);
    qsort(found, SPI_processed, sizeof(char *), compare_strings);
    for (int i = 0; i < w->count; i++)
      if (!bsearch(&w->id_list[i], found, SPI_processed, sizeof(char *), compare_strings))
        raise_unknown_workflow(w->id_list[i]);
  }
  if (!over && !w->checked) {
    // A wait must be able to see them end.
    if (w->will_wait)
      check_can_wait(w->first_id, InvalidTransactionId, w->all ? "all of the workflows" : "the first workflow to end");
    if (w->will_wait && own_open)
      ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
                      errmsg("cannot wait for workflows written by this transaction"),
                      errdetail("No DBOS application can see them before this transaction commits."),
                      errhint("Commit first, then wait in a new transaction.")));
    w->checked = true;
  }
  SPI_freetuptable(SPI_tuptable);
  return over;
}

// The IDs to wait for, each once, and the text[] the wait statement takes.
void take_ids(FunctionCallInfo fcinfo, bool refuse_duplicates, ManyWait *w) {
  w->id_list = workflow_ids_arg(fcinfo, refuse_duplicates, &w->count);
  Datum *elems = (Datum *)palloc(sizeof(Datum) * (w->count + 1));
  for (int i = 0; i < w->count; i++) elems[i] = CStringGetTextDatum(w->id_list[i]);
  w->ids = PointerGetDatum(construct_array(elems, w->count, TEXTOID, -1, false, TYPALIGN_INT));
  w->first_id = w->count > 0 ? w->id_list[0] : nullptr;
}

int64 timeout_arg(FunctionCallInfo fcinfo, int i) {
  return requests::wait_timeout_ms(PG_ARGISNULL(i), PG_ARGISNULL(i) ? 0 : PG_GETARG_FLOAT8(i), "timeout_seconds");
}

struct StreamWait {
  const Profile *profile;
  Datum v[WM_COUNT];
  char n[WM_COUNT];
  const char *workflow_id;
  bool checked, final_read;
  char *value, *serialization;  // found
  bool ended;                   // the stream or the workflow ended before the offset
};

bool poll_stream(void *arg) {
  StreamWait *w = (StreamWait *)arg;
  run_statement(statement(w->profile, S_STREAM_OFFSET), w->v, w->n, false, SPI_OK_SELECT);
  if (SPI_processed == 0) raise_unknown_workflow(w->workflow_id);
  HeapTuple t = SPI_tuptable->vals[0];
  TupleDesc d = SPI_tuptable->tupdesc;
  char *value = SPI_getvalue(t, d, 2);
  if (value) {
    if (is_stream_end(value)) {
      w->ended = true;
    } else {
      w->value = value;
      w->serialization = SPI_getvalue(t, d, 3);
    }
    return true;
  }
  if (w->final_read) {  // the workflow had ended and the offset was still empty after it
    w->ended = true;
    return true;
  }
  char *status = SPI_getvalue(t, d, 1);
  bool active = status && (!strcmp(status, "PENDING") || !strcmp(status, "ENQUEUED") || !strcmp(status, "DELAYED"));
  if (!active) {
    // A cancelled or timed-out workflow may still be writing: read once more, as DBOS does.
    w->final_read = true;
    return poll_stream(arg);
  }
  if (!w->checked) {
    bool isnull;
    int64 xmin = DatumGetInt64(SPI_getbinval(t, d, 4, &isnull));
    check_can_wait(w->workflow_id, isnull ? InvalidTransactionId : (TransactionId)xmin, "a stream value");
    w->checked = true;
  }
  SPI_freetuptable(SPI_tuptable);
  return false;
}

}  // namespace
}  // namespace dbos_client

using namespace dbos_client;

// dbos.wait_first(workflow_ids text[], timeout_seconds DEFAULT NULL) RETURNS text: the ID of
// the first of them to end (NULL timeout: wait until one does); NULL on timeout.
DBOS_FUNCTION(dbos_wait_first) {
  ManyWait w = {};
  take_ids(fcinfo, true, &w);
  if (w.count == 0)
    ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("workflow_ids must not be empty"),
                    errdetail("DBOS: handles must not be empty")));
  int64 timeout_ms = timeout_arg(fcinfo, 1);
  w.will_wait = timeout_ms != 0;
  MemoryContext caller = CurrentMemoryContext;
  if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "SPI_connect failed");
  w.profile = current_profile();
  bool done = wait_until(poll_many, &w, timeout_ms, WAKE_STATUS);
  text *result = nullptr;
  if (done) {
    MemoryContext spi = MemoryContextSwitchTo(caller);
    result = cstring_to_text(w.ended_id);
    MemoryContextSwitchTo(spi);
  }
  SPI_finish();
  if (!done) PG_RETURN_NULL();
  PG_RETURN_TEXT_P(result);
}

// dbos.wait_all(workflow_ids text[], timeout_seconds DEFAULT NULL) RETURNS boolean: true once
// every one of them has ended (at once for none); false on timeout.
DBOS_FUNCTION(dbos_wait_all) {
  ManyWait w = {};
  w.all = true;
  take_ids(fcinfo, false, &w);
  if (w.count == 0) PG_RETURN_BOOL(true);
  int64 timeout_ms = timeout_arg(fcinfo, 1);
  w.will_wait = timeout_ms != 0;
  if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "SPI_connect failed");
  w.profile = current_profile();
  bool done = wait_until(poll_many, &w, timeout_ms, WAKE_STATUS);
  SPI_finish();
  PG_RETURN_BOOL(done);
}

// dbos.read_stream_offset(workflow_id, key, "offset", timeout_seconds DEFAULT NULL) RETURNS jsonb:
// the value at that offset of the stream, waiting for it to be written. DB005 when the stream
// is closed at that offset, the workflow ends without writing it, or the timeout passes (DBOS
// throws DBOSStreamTimeoutError for all three).
DBOS_FUNCTION(dbos_read_stream_offset) {
  char *workflow_id = text_arg(fcinfo, 0);
  requests::require_text(workflow_id, "workflow_id");
  char *key = text_arg(fcinfo, 1);
  if (!key) requests::require_text(key, "key");
  if (PG_ARGISNULL(2)) ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("offset must not be null")));
  int32 offset = PG_GETARG_INT32(2);
  if (offset < 0) ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("offset must not be negative")));
  int64 timeout_ms = timeout_arg(fcinfo, 3);
  MemoryContext caller = CurrentMemoryContext;
  if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "SPI_connect failed");
  StreamWait w = {};
  w.profile = current_profile();
  if (!OidIsValid(w.profile->relid[T_STREAMS]))
    ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED), errmsg("table streams needs a newer DBOS system schema"),
                    errdetail("The DBOS schema %s (dbos_migrations version %lld) lacks it (DBOS TypeScript "
                              "migration 24, Python 1).", w.profile->quoted_schema, (long long)w.profile->version),
                    errhint("Upgrade the DBOS system tables by launching a current DBOS application.")));
  memset(w.n, 'n', sizeof w.n);
  w.v[WM_ID] = CStringGetTextDatum(workflow_id), w.n[WM_ID] = ' ';
  w.v[WM_KEY] = CStringGetTextDatum(key), w.n[WM_KEY] = ' ';
  w.v[WM_OFFSET] = Int32GetDatum(offset), w.n[WM_OFFSET] = ' ';
  w.workflow_id = workflow_id;
  w.checked = timeout_ms == 0;
  bool done = wait_until(poll_stream, &w, timeout_ms, WAKE_STREAMS | WAKE_STATUS);
  if (!done || w.ended)
    ereport(ERROR, (errcode(ERRCODE_DBOS_TIMEOUT),
                    done ? errmsg("stream \"%s\" of workflow \"%s\" has no value at offset %d", key, workflow_id, offset)
                         : errmsg("timed out waiting for offset %d of stream \"%s\" of workflow \"%s\"", offset, key,
                                  workflow_id),
                    done ? errdetail("The stream was closed, or the workflow ended, before writing it.")
                         : errdetail("No value was written there within the timeout."),
                    errhint("Read the values written so far with dbos.read_stream.")));
  MemoryContext spi = MemoryContextSwitchTo(caller);
  Datum result = payload_to_jsonb(w.serialization, w.value, payloads::Kind::value);
  MemoryContextSwitchTo(spi);
  SPI_finish();
  PG_RETURN_DATUM(result);
}
