// Writing workflows into the DBOS tables: the status (+ input) rows, the conflict rules of
// DBOS (idempotent ID, deduplication), the unregistered-queue warning, and enqueues deferred
// to the end of the statement so that many are written with one multi-row statement.
// Postgres side.
#include "dbos_client.hpp"

extern "C" {
#include "access/xact.h"
#include "executor/executor.h"
#include "tcop/utility.h"
#include "utils/array.h"
#include "utils/datum.h"
#include "utils/hsearch.h"
#include "utils/snapmgr.h"
}

namespace dbos_client {
namespace {

constexpr const char *kInternalQueue = "_dbos_internal_queue";

HTAB *queues_seen = nullptr;  // queue names checked in this backend, for queues_schema
char queues_schema[NAMEDATALEN];
constexpr Size kQueueKeyLen = 256;

void require_feature(bool present, const Profile *p, const char *argument, const char *column) {
  if (!present)
    ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                    errmsg("%s needs a newer DBOS system schema", argument),
                    errdetail("Table %s.workflow_status has no column \"%s\" (dbos_migrations version %lld).",
                              p->quoted_schema, column, (long long)p->version),
                    errhint("Upgrade the DBOS system tables by launching a current DBOS application.")));
}

bool same_name(const char *a, const char *b) {  // NULL and '' are the same, as in DBOS
  return strcmp(a ? a : "", b ? b : "") == 0;
}

}  // namespace

void check_enqueue_features(const Profile *p, bool delay, bool partition, bool application_name) {
  if (delay) require_feature(p->delay, p, "delay", "delay_until_epoch_ms");
  if (partition) require_feature(p->partition, p, "partition_key", "queue_partition_key");
  if (application_name) require_feature(p->app_name, p, "application_name", "application_name");
}

void check_queue_registered(const Profile *p, const char *queue) {
  if (!p->queues_table || strcmp(queue, kInternalQueue) == 0 || strlen(queue) >= kQueueKeyLen) return;
  if (!queues_seen || strcmp(queues_schema, p->schema) != 0) {
    if (queues_seen) hash_destroy(queues_seen);
    HASHCTL ctl;
    ctl.keysize = kQueueKeyLen;
    ctl.entrysize = kQueueKeyLen;
    queues_seen = hash_create("dbos_client queues", 64, &ctl, HASH_ELEM | HASH_STRINGS);
    strlcpy(queues_schema, p->schema, sizeof queues_schema);
  }
  bool found;
  (void)hash_search(queues_seen, queue, HASH_FIND, &found);
  if (found) return;
  Datum arg = CStringGetTextDatum(queue);
  run_statement(statement(p, S_QUEUE_EXISTS), &arg, nullptr, false, SPI_OK_SELECT);
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

const char *enqueue_row(const Profile *p, const EnqueueRow *row) {
  int64 now_ms = row->created_at ? row->created_at : next_epoch_ms();
  Datum v[EP_COUNT];
  char n[EP_COUNT];
  v[EP_ID] = text_or_null(row->workflow_id, n, EP_ID);
  v[EP_STATUS] = text_or_null(row->delay_ms > 0 ? "DELAYED" : "ENQUEUED", n, EP_STATUS);
  v[EP_NAME] = text_or_null(row->workflow_name, n, EP_NAME);
  v[EP_CLASS] = text_or_null(row->workflow_class, n, EP_CLASS);
  v[EP_CONFIG] = text_or_null(row->config_name, n, EP_CONFIG);
  v[EP_QUEUE] = text_or_null(row->queue_name, n, EP_QUEUE);
  v[EP_APP_VERSION] = text_or_null(row->app_version, n, EP_APP_VERSION);
  v[EP_PRIORITY] = Int32GetDatum(row->priority);
  n[EP_PRIORITY] = ' ';
  v[EP_DEDUP] = text_or_null(row->deduplication_id, n, EP_DEDUP);
  v[EP_TIMEOUT_MS] = Int64GetDatum(row->timeout_ms);
  n[EP_TIMEOUT_MS] = row->timeout_ms >= 0 ? ' ' : 'n';
  v[EP_SERIALIZATION] = text_or_null(row->serialization, n, EP_SERIALIZATION);
  v[EP_CREATED_AT] = Int64GetDatum(now_ms);
  n[EP_CREATED_AT] = ' ';
  v[EP_INPUTS] = row->inputs;
  n[EP_INPUTS] = ' ';
  v[EP_PARTITION] = text_or_null(row->partition_key, n, EP_PARTITION);
  // From the real clock: created_at may run ahead of it after a bulk enqueue.
  v[EP_DELAY_UNTIL] = Int64GetDatum(epoch_ms_now() + row->delay_ms);
  n[EP_DELAY_UNTIL] = row->delay_ms > 0 ? ' ' : 'n';
  v[EP_APP_NAME] = text_or_null(row->application_name, n, EP_APP_NAME);
  v[EP_CREATOR_XID] = text_or_null(p->creator_xid ? new_uuid() : nullptr, n, EP_CREATOR_XID);

  // A conflict whose holder vanishes before we look (it completed and released its
  // deduplication ID) is retried, as DBOS does.
  for (int attempt = 0;; attempt++) {
    run_statement(statement(p, S_ENQUEUE), v, n, false, SPI_OK_INSERT);
    if (SPI_processed == 1) {
      if (p->input_table) run_statement(statement(p, S_ENQUEUE_INPUT), v, n, false, SPI_OK_INSERT);
      return row->workflow_id;
    }

    run_statement(statement(p, S_WORKFLOW_LOOKUP), &v[EP_ID], nullptr, false, SPI_OK_SELECT);
    if (SPI_processed == 1) {
      HeapTuple t = SPI_tuptable->vals[0];
      TupleDesc d = SPI_tuptable->tupdesc;
      char *name = SPI_getvalue(t, d, 1), *cls = SPI_getvalue(t, d, 2), *cfg = SPI_getvalue(t, d, 3),
           *status = SPI_getvalue(t, d, 4);
      if (!same_name(name, row->workflow_name) || !same_name(cls, row->workflow_class) ||
          !same_name(cfg, row->config_name))
        ereport(ERROR,
                (errcode(MAKE_SQLSTATE('D', 'B', '0', '0', '6')),
                 errmsg("workflow ID \"%s\" is already used by another workflow", row->workflow_id),
                 errdetail("The existing workflow is \"%s\" (class \"%s\", config \"%s\", status %s); "
                           "this call enqueues \"%s\" (class \"%s\", config \"%s\").",
                           name ? name : "", cls ? cls : "", cfg ? cfg : "", status ? status : "",
                           row->workflow_name, row->workflow_class ? row->workflow_class : "",
                           row->config_name ? row->config_name : ""),
                 errhint("Use a new workflow_id, or NULL to have one generated.")));
      return row->workflow_id;  // same workflow again: idempotent, the first arguments stay
    }
    if (row->deduplication_id) {
      Datum keys[2] = {v[EP_QUEUE], v[EP_DEDUP]};
      run_statement(statement(p, S_DEDUP_LOOKUP), keys, nullptr, false, SPI_OK_SELECT);
      if (SPI_processed == 1) {
        char *holder = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
        if (row->return_existing) return holder;
        ereport(ERROR,
                (errcode(ERRCODE_UNIQUE_VIOLATION),
                 errmsg("workflow deduplicated on queue \"%s\"", row->queue_name),
                 errdetail("Workflow \"%s\" already holds deduplication ID \"%s\" on queue \"%s\".",
                           holder, row->deduplication_id, row->queue_name),
                 errhint("Pass duplication_policy => 'return_existing' to get the existing "
                         "workflow's ID instead.")));
      }
    }
    if (attempt >= 3)
      ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
                      errmsg("could not enqueue workflow \"%s\": the row was neither written nor found",
                             row->workflow_id),
                      errhint("A trigger or rule on the DBOS table workflow_status may be suppressing "
                              "inserts; otherwise conflicting rows kept changing: retry.")));
  }
}

// --- Deferred enqueues ----------------------------------------------------------------------
//
// dbos.enqueue and row-level triggers buffer their rows; the rows are written in bulk when
// the statement ends (ExecutorFinish, or after a utility statement), before the next query
// starts, before any other dbos.* function runs, when 1000 are waiting, and at the latest
// before commit. Rows are only ever written in the subtransaction that buffered them or an
// ancestor, so a rolled-back subtransaction takes its rows with it, and no row is lost.
namespace {

constexpr int kBatchRows = 1000;

struct Pending {
  EnqueueRow row;  // strings and inputs copied into pending_context
  int64 created_at;
  SubTransactionId subid;
};

MemoryContext pending_context = nullptr;  // child of TopTransactionContext
Pending *pending = nullptr;
int pending_count = 0, pending_capacity = 0;
uint64 pending_generation = 0;  // schema profile the rows were checked against
bool flushing = false;

ExecutorStart_hook_type prev_executor_start = nullptr;
ExecutorRun_hook_type prev_executor_run = nullptr;
ExecutorFinish_hook_type prev_executor_finish = nullptr;
// Executor runs (and finishes, where AFTER triggers fire) in progress: a call made outside
// any (a plpgsql assignment in a DO block or procedure) has no statement end to wait for.
int executor_depth = 0;
ProcessUtility_hook_type prev_process_utility = nullptr;

char *copy(const char *s) { return s ? MemoryContextStrdup(pending_context, s) : nullptr; }

bool same(const char *a, const char *b) { return (!a && !b) || (a && b && strcmp(a, b) == 0); }

// Rows that can share one bulk statement: everything but ID, inputs, deduplication ID and
// partition key is a parameter of the whole batch.
bool same_batch(const EnqueueRow *a, const EnqueueRow *b) {
  return same(a->workflow_name, b->workflow_name) && same(a->workflow_class, b->workflow_class) &&
         same(a->config_name, b->config_name) && same(a->queue_name, b->queue_name) &&
         same(a->app_version, b->app_version) && same(a->application_name, b->application_name) &&
         same(a->serialization, b->serialization) && a->priority == b->priority &&
         a->timeout_ms == b->timeout_ms && a->delay_ms == b->delay_ms;
}

void forget_pending() {
  pending_context = nullptr;  // freed with the transaction
  pending = nullptr;
  pending_count = pending_capacity = 0;
  flushing = false;
}

Datum text_array(Datum *values, bool *nulls, int count) {
  int dims[1] = {count};
  int lbs[1] = {1};
  return PointerGetDatum(construct_md_array(values, nulls, 1, dims, lbs, TEXTOID, -1, false, TYPALIGN_INT));
}

int compare_strings(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

// Writes rows[0..count) (which share their batch parameters) with one statement; rows that
// met an existing workflow are then resolved one by one with DBOS's rules.
void write_batch(const Profile *p, Pending *rows, int count) {
  if (count < 3) {
    // Too few for the multi-row statement to pay off: the two plain INSERTs are cheaper.
    for (int i = 0; i < count; i++) {
      EnqueueRow row = rows[i].row;
      row.created_at = rows[i].created_at;
      (void)enqueue_row(p, &row);
    }
    return;
  }
  Datum *ids = (Datum *)palloc(sizeof(Datum) * count), *inputs = (Datum *)palloc(sizeof(Datum) * count),
        *created = (Datum *)palloc(sizeof(Datum) * count), *creators = (Datum *)palloc(sizeof(Datum) * count),
        *dedups = (Datum *)palloc(sizeof(Datum) * count), *parts = (Datum *)palloc(sizeof(Datum) * count);
  bool *dedup_nulls = (bool *)palloc(sizeof(bool) * count), *part_nulls = (bool *)palloc(sizeof(bool) * count);
  for (int i = 0; i < count; i++) {
    const EnqueueRow *r = &rows[i].row;
    ids[i] = CStringGetTextDatum(r->workflow_id);
    inputs[i] = r->inputs;
    created[i] = Int64GetDatum(rows[i].created_at);
    creators[i] = CStringGetTextDatum(new_uuid());
    dedup_nulls[i] = r->deduplication_id == nullptr;
    dedups[i] = r->deduplication_id ? CStringGetTextDatum(r->deduplication_id) : (Datum)0;
    part_nulls[i] = r->partition_key == nullptr;
    parts[i] = r->partition_key ? CStringGetTextDatum(r->partition_key) : (Datum)0;
  }
  const EnqueueRow *shared = &rows[0].row;
  Datum v[BP_COUNT];
  char n[BP_COUNT];
  memset(n, ' ', sizeof n);
  v[BP_IDS] = text_array(ids, nullptr, count);
  v[BP_INPUTS] = text_array(inputs, nullptr, count);
  v[BP_CREATED_AT] = PointerGetDatum(construct_array(created, count, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
  v[BP_DEDUP] = text_array(dedups, dedup_nulls, count);
  v[BP_PARTITION] = text_array(parts, part_nulls, count);
  v[BP_CREATOR_XID] = text_array(creators, nullptr, count);
  v[BP_STATUS] = text_or_null(shared->delay_ms > 0 ? "DELAYED" : "ENQUEUED", n, BP_STATUS);
  v[BP_NAME] = text_or_null(shared->workflow_name, n, BP_NAME);
  v[BP_CLASS] = text_or_null(shared->workflow_class, n, BP_CLASS);
  v[BP_CONFIG] = text_or_null(shared->config_name, n, BP_CONFIG);
  v[BP_QUEUE] = text_or_null(shared->queue_name, n, BP_QUEUE);
  v[BP_APP_VERSION] = text_or_null(shared->app_version, n, BP_APP_VERSION);
  v[BP_PRIORITY] = Int32GetDatum(shared->priority);
  v[BP_TIMEOUT_MS] = Int64GetDatum(shared->timeout_ms);
  n[BP_TIMEOUT_MS] = shared->timeout_ms >= 0 ? ' ' : 'n';
  v[BP_SERIALIZATION] = text_or_null(shared->serialization, n, BP_SERIALIZATION);
  v[BP_DELAY_MS] = Int64GetDatum(shared->delay_ms > 0 ? epoch_ms_now() + shared->delay_ms : 0);  // delay until
  v[BP_APP_NAME] = text_or_null(shared->application_name, n, BP_APP_NAME);
  bool can_conflict = false;
  for (int i = 0; i < count && !can_conflict; i++)
    can_conflict = !rows[i].row.new_id || rows[i].row.deduplication_id != nullptr;
  if (!can_conflict) {
    run_statement(statement(p, S_ENQUEUE_BULK_NEW), v, n, false, SPI_OK_INSERT);
    if (p->input_table) run_statement(statement(p, S_ENQUEUE_BULK_NEW_INPUT), v, n, false, SPI_OK_INSERT);
    return;
  }
  run_statement(statement(p, S_ENQUEUE_BULK), v, n, false, SPI_OK_SELECT);

  int created_count = (int)SPI_processed;
  if (created_count != count) {
    char **done = (char **)palloc(sizeof(char *) * (created_count + 1));
    for (int i = 0; i < created_count; i++)
      done[i] = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
    qsort(done, created_count, sizeof(char *), compare_strings);
    for (int i = 0; i < count; i++) {
      const char *id = rows[i].row.workflow_id;
      if (!bsearch(&id, done, created_count, sizeof(char *), compare_strings)) {
        EnqueueRow row = rows[i].row;
        row.created_at = rows[i].created_at;
        (void)enqueue_row(p, &row);
      }
    }
  }
  SPI_freetuptable(SPI_tuptable);
}

void executor_start(QueryDesc *query, int eflags) {
  // A new query sees every enqueue made before it (e.g. by a plpgsql assignment, which runs
  // no query of its own). Its snapshot was taken before our rows were written: advance its
  // command ID, as Postgres does between statements, if no outer query shares it.
  if (flush_enqueues() && ActiveSnapshotSet()) {
    Snapshot snap = GetActiveSnapshot();
    if (query->snapshot == snap && snap->active_count == 1 && snap->regd_count == 0)
      UpdateActiveSnapshotCommandId();
  }
  if (prev_executor_start)
    prev_executor_start(query, eflags);
  else
    standard_ExecutorStart(query, eflags);
}

void executor_run(QueryDesc *query, ScanDirection direction, uint64 count, bool execute_once) {
  executor_depth++;
  PG_TRY();
  {
    if (prev_executor_run)
      prev_executor_run(query, direction, count, execute_once);
    else
      standard_ExecutorRun(query, direction, count, execute_once);
  }
  PG_FINALLY();
  { executor_depth--; }
  PG_END_TRY();
}

void executor_finish(QueryDesc *query) {
  executor_depth++;
  PG_TRY();
  {
    if (prev_executor_finish)
      prev_executor_finish(query);
    else
      standard_ExecutorFinish(query);  // AFTER triggers fire here
  }
  PG_FINALLY();
  { executor_depth--; }
  PG_END_TRY();
  flush_enqueues();
}

void process_utility(PlannedStmt *stmt, const char *query, bool read_only, ProcessUtilityContext context,
                     ParamListInfo params, QueryEnvironment *env, DestReceiver *dest, QueryCompletion *qc) {
  if (prev_process_utility)
    prev_process_utility(stmt, query, read_only, context, params, env, dest, qc);
  else
    standard_ProcessUtility(stmt, query, read_only, context, params, env, dest, qc);
  flush_enqueues();  // COPY, CALL, DO ...
}

void on_transaction(XactEvent event, void *) {
  if (event == XACT_EVENT_PRE_COMMIT || event == XACT_EVENT_PRE_PREPARE) {
    flush_enqueues();  // the last chance: e.g. rows of a cursor left open
    if (pending_count > 0) elog(ERROR, "dbos_client: %d enqueues could not be written before commit", pending_count);
  } else if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_ABORT || event == XACT_EVENT_PREPARE ||
             event == XACT_EVENT_PARALLEL_COMMIT || event == XACT_EVENT_PARALLEL_ABORT) {
    forget_pending();
  }
}

void on_subtransaction(SubXactEvent event, SubTransactionId subid, SubTransactionId, void *) {
  if (event != SUBXACT_EVENT_ABORT_SUB) return;
  flushing = false;  // an error inside a flush ends up here (plpgsql EXCEPTION blocks)
  int kept = 0;
  for (int i = 0; i < pending_count; i++)
    if (pending[i].subid < subid) pending[kept++] = pending[i];  // rows of the aborted subtree go
  pending_count = kept;
}

}  // namespace

void define_deferred_enqueues() {
  prev_executor_start = ExecutorStart_hook;
  ExecutorStart_hook = executor_start;
  prev_executor_run = ExecutorRun_hook;
  ExecutorRun_hook = executor_run;
  prev_executor_finish = ExecutorFinish_hook;
  ExecutorFinish_hook = executor_finish;
  prev_process_utility = ProcessUtility_hook;
  ProcessUtility_hook = process_utility;
  RegisterXactCallback(on_transaction, nullptr);
  RegisterSubXactCallback(on_subtransaction, nullptr);
}

void enqueue_later(const Profile *p, const EnqueueRow *row) {
  if (executor_depth == 0) {  // no statement end to wait for
    flush_enqueues();
    (void)enqueue_row(p, row);
    return;
  }
  if (pending_count > 0 && pending_generation != p->generation) {
    flush_enqueues();
    if (pending_count > 0) {  // older rows wait for an ancestor subtransaction: write now
      (void)enqueue_row(p, row);
      return;
    }
  }
  if (!pending_context)
    pending_context = AllocSetContextCreate(TopTransactionContext, "dbos_client pending enqueues",
                                            ALLOCSET_DEFAULT_SIZES);
  if (pending_count == pending_capacity) {
    int capacity = pending_capacity ? pending_capacity * 2 : 64;
    Pending *grown = (Pending *)MemoryContextAlloc(pending_context, sizeof(Pending) * capacity);
    if (pending_count) memcpy(grown, pending, sizeof(Pending) * pending_count);
    pending = grown;
    pending_capacity = capacity;
  }
  Pending *slot = &pending[pending_count];
  slot->row = *row;
  slot->row.created_at = 0;
  EnqueueRow *r = &slot->row;
  r->workflow_id = copy(row->workflow_id);
  r->workflow_name = copy(row->workflow_name);
  r->workflow_class = copy(row->workflow_class);
  r->config_name = copy(row->config_name);
  r->queue_name = copy(row->queue_name);
  r->app_version = copy(row->app_version);
  r->application_name = copy(row->application_name);
  r->deduplication_id = copy(row->deduplication_id);
  r->partition_key = copy(row->partition_key);
  r->serialization = copy(row->serialization);
  MemoryContext old = MemoryContextSwitchTo(pending_context);
  r->inputs = datumCopy(row->inputs, false, -1);
  MemoryContextSwitchTo(old);
  slot->created_at = next_epoch_ms();
  slot->subid = GetCurrentSubTransactionId();
  pending_count++;
  pending_generation = p->generation;
  if (pending_count >= kBatchRows) flush_enqueues();
}

bool flush_enqueues() {
  if (pending_count == 0 || flushing) return false;
  // Only rows of this subtransaction or its (committed) children may be written here.
  SubTransactionId current = GetCurrentSubTransactionId();
  bool any = false;
  for (int i = 0; i < pending_count && !any; i++) any = pending[i].subid >= current;
  if (!any) return false;
  flushing = true;
  bool pushed = !ActiveSnapshotSet();
  if (pushed) PushActiveSnapshot(GetTransactionSnapshot());
  if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "SPI_connect failed");
  const Profile *p = current_profile();
  Pending *batch = (Pending *)palloc(sizeof(Pending) * pending_count);
  int kept = 0, batched = 0;
  for (int i = 0; i <= pending_count; i++) {
    bool end = i == pending_count;
    if (!end && pending[i].subid < current) {
      pending[kept++] = pending[i];  // waits for its own subtransaction level
      continue;
    }
    if (batched > 0 && (end || batched == kBatchRows || !same_batch(&batch[0].row, &pending[i].row))) {
      write_batch(p, batch, batched);
      batched = 0;
    }
    if (!end) batch[batched++] = pending[i];
  }
  SPI_finish();
  if (pushed) PopActiveSnapshot();
  pending_count = kept;
  if (kept == 0 && pending_context) MemoryContextReset(pending_context), pending = nullptr, pending_capacity = 0;
  flushing = false;
  CommandCounterIncrement();  // later commands of this transaction see the rows
  return true;
}

}  // namespace dbos_client
