// Writing workflows into the DBOS tables at the call: the status (+ input) rows of one
// workflow, or of many with set-based statements, DBOS's conflict rules (idempotent ID,
// deduplication) and the unregistered-queue warning. Postgres side.
#include "dbos_client.hpp"

extern "C" {
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/hsearch.h"
}

namespace dbos_client {
namespace {


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

[[noreturn]] void raise_suppressed_insert(const char *workflow_id, const char *table = "workflow_status") {
  ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
                  errmsg("could not enqueue workflow \"%s\": the %s row was neither written nor found", workflow_id,
                         table),
                  errhint("A trigger or rule on the DBOS table %s may be suppressing inserts; otherwise "
                          "conflicting rows kept changing: retry.",
                          table)));
}

}  // namespace

void check_key_sizes(const char *queue, const char *id, const char *dedup, const char *partition,
                     const char *app_name) {
  auto len = [](const char *v) { return v ? strlen(v) : (size_t)0; };
  // The widest DBOS index entries: (queue, partition key, workflow ID) INCLUDE application
  // name, (queue, deduplication ID), the primary key. A btree entry holds ~2,700 bytes.
  size_t widest = len(queue) + len(id) + len(app_name) + (partition ? len(partition) : 0);
  if (len(queue) + len(dedup) > widest) widest = len(queue) + len(dedup);
  if (widest > kMaxKeyBytes)
    ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
                    errmsg("workflow keys are too long for the DBOS indexes"),
                    errdetail("Queue name %zu bytes, workflow ID %zu, deduplication ID %zu, partition key %zu, "
                              "application name %zu; DBOS indexes them together, at most %d bytes.",
                              len(queue), len(id), len(dedup), len(partition), len(app_name), kMaxKeyBytes),
                    errhint("Use shorter IDs and names.")));
}

void check_no_insert_rule(const Profile *p) {
  if (p->insert_rule)
    ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
                    errmsg("DBOS table %s.%s has an INSERT rule", p->quoted_schema, p->insert_rule),
                    errdetail("A rule would rewrite dbos_client's writes; DBOS tables must store what is written to them."),
                    errhint("Drop the rule (a trigger can audit inserts instead).")));
}

void check_enqueue_features(const Profile *p, bool delay, bool partition, bool application_name) {
  check_no_insert_rule(p);
  if (delay) require_feature(p->delay, p, "delay", "delay_until_epoch_ms");
  if (partition) require_feature(p->partition, p, "partition_key", "queue_partition_key");
  if (application_name) require_feature(p->app_name, p, "application_name", "application_name");
}

void check_queue_registered(const Profile *p, const char *queue) {
  if (!p->queues_table || strcmp(queue, kInternalQueue) == 0 || strlen(queue) >= kQueueKeyLen) return;
  // Only a warning: a caller who may not read the queues table gets none, so that what a
  // call may do never depends on what this backend checked before, for another role.
  if (pg_class_aclcheck(p->relid[T_QUEUES], GetUserId(), ACL_SELECT) != ACLCHECK_OK) return;
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

namespace {

// Parameters of the one-row statements.
void row_params(const Profile *p, const EnqueueRow *row, int64 created_at, Datum *v, char *n) {
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
  v[EP_CREATED_AT] = Int64GetDatum(created_at);
  n[EP_CREATED_AT] = ' ';
  v[EP_INPUTS] = row->inputs;
  n[EP_INPUTS] = ' ';
  v[EP_PARTITION] = text_or_null(row->partition_key, n, EP_PARTITION);
  v[EP_DELAY_UNTIL] = Int64GetDatum(epoch_ms_now() + row->delay_ms);
  n[EP_DELAY_UNTIL] = row->delay_ms > 0 ? ' ' : 'n';
  v[EP_APP_NAME] = text_or_null(row->application_name, n, EP_APP_NAME);
  v[EP_CREATOR_XID] = text_or_null(p->creator_xid ? new_uuid() : nullptr, n, EP_CREATOR_XID);
}

// DBOS's rules for a workflow that the INSERT did not write: the same workflow again is a
// no-op (its ID), another workflow under the ID is DB006, a held deduplication ID is 23505
// (or the holder's ID for return_existing). nullptr: nothing holds it any more, retry.
const char *resolve_conflict(const Profile *p, const EnqueueRow *row) {
  Datum id = CStringGetTextDatum(row->workflow_id);
  run_statement(statement(p, S_WORKFLOW_LOOKUP), &id, nullptr, false, SPI_OK_SELECT);
  if (SPI_processed == 1) {
    HeapTuple t = SPI_tuptable->vals[0];
    TupleDesc d = SPI_tuptable->tupdesc;
    char *name = SPI_getvalue(t, d, 1), *cls = SPI_getvalue(t, d, 2), *cfg = SPI_getvalue(t, d, 3),
         *status = SPI_getvalue(t, d, 4);
    SPI_freetuptable(SPI_tuptable);
    if (!same_name(name, row->workflow_name) || !same_name(cls, row->workflow_class) ||
        !same_name(cfg, row->config_name))
      ereport(ERROR,
              (errcode(ERRCODE_DBOS_CONFLICTING_ID),
               errmsg("workflow ID \"%s\" is already used by another workflow", row->workflow_id),
               errdetail("The existing workflow is \"%s\" (class \"%s\", config \"%s\", status %s); "
                         "this call enqueues \"%s\" (class \"%s\", config \"%s\").",
                         name ? name : "", cls ? cls : "", cfg ? cfg : "", status ? status : "",
                         row->workflow_name, row->workflow_class ? row->workflow_class : "",
                         row->config_name ? row->config_name : ""),
               errhint("Use a new workflow_id, or NULL to have one generated.")));
    return row->workflow_id;  // same workflow again: idempotent, the first arguments stay
  }
  SPI_freetuptable(SPI_tuptable);
  if (!row->deduplication_id) return nullptr;
  Datum keys[2] = {CStringGetTextDatum(row->queue_name), CStringGetTextDatum(row->deduplication_id)};
  run_statement(statement(p, S_DEDUP_LOOKUP), keys, nullptr, false, SPI_OK_SELECT);
  char *holder = SPI_processed == 1 ? SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1) : nullptr;
  SPI_freetuptable(SPI_tuptable);
  if (!holder || row->return_existing) return holder;
  ereport(ERROR, (errcode(ERRCODE_UNIQUE_VIOLATION),
                  errmsg("workflow deduplicated on queue \"%s\"", row->queue_name),
                  errdetail("Workflow \"%s\" already holds deduplication ID \"%s\" on queue \"%s\".", holder,
                            row->deduplication_id, row->queue_name),
                  errhint("Pass duplication_policy => 'return_existing' to get the existing "
                          "workflow's ID instead.")));
}

Datum text_array(Datum *values, bool *nulls, int count) {
  int dims[1] = {count};
  int lbs[1] = {1};
  return PointerGetDatum(construct_md_array(values, nulls, 1, dims, lbs, TEXTOID, -1, false, TYPALIGN_INT));
}

// A text[] of per-row strings (nullptr elements are NULL), or of `shared` for every row.
Datum per_row_texts(const char **values, const char *shared, int count) {
  Datum *datums = (Datum *)palloc(sizeof(Datum) * count);
  bool *nulls = (bool *)palloc(sizeof(bool) * count);
  for (int i = 0; i < count; i++) {
    const char *v = values ? values[i] : shared;
    nulls[i] = v == nullptr;
    datums[i] = v ? CStringGetTextDatum(v) : (Datum)0;
  }
  return text_array(datums, nulls, count);
}

// Whether a non-null string occurs twice among values[0..count).
bool has_repeats(const char **values, int count) {
  if (!values) return false;
  const char **sorted = (const char **)palloc(sizeof(char *) * (count + 1));
  int n = 0;
  for (int i = 0; i < count; i++)
    if (values[i]) sorted[n++] = values[i];
  qsort(sorted, n, sizeof(char *), compare_strings);
  bool repeats = false;
  for (int i = 1; i < n && !repeats; i++) repeats = strcmp(sorted[i - 1], sorted[i]) == 0;
  pfree(sorted);
  return repeats;
}

EnqueueRow batch_row(const EnqueueBatch *b, int i) {
  EnqueueRow row = *b->shared;
  row.workflow_id = b->workflow_ids[i];
  row.new_id = b->all_new_ids;
  row.inputs = b->inputs[i];
  if (b->deduplication_ids) row.deduplication_id = b->deduplication_ids[i];
  if (b->partition_keys) row.partition_key = b->partition_keys[i];
  return row;
}

// After an input insert that wrote nothing: fine if a row of the ID is there (DO NOTHING).
void require_input_row(const Profile *p, const char *workflow_id) {
  Datum id = CStringGetTextDatum(workflow_id);
  run_statement(statement(p, S_INPUT_EXISTS), &id, nullptr, false, SPI_OK_SELECT);
  bool exists = SPI_processed > 0;
  SPI_freetuptable(SPI_tuptable);
  if (!exists) raise_suppressed_insert(workflow_id, "workflow_input");
}

// The status row with a plain INSERT, then the input row; raises 55000 if something
// suppressed either (a BEFORE trigger returning NULL).
const char *insert_row(const Profile *p, const EnqueueRow *row, Datum *v, char *n) {
  run_statement(statement(p, S_ENQUEUE_NEW), v, n, false, SPI_OK_INSERT);
  if (SPI_processed != 1) raise_suppressed_insert(row->workflow_id);
  if (p->input_table) {
    run_statement(statement(p, S_ENQUEUE_INPUT_NEW), v, n, false, SPI_OK_INSERT);
    if (SPI_processed != 1) raise_suppressed_insert(row->workflow_id, "workflow_input");
  }
  return row->workflow_id;
}

}  // namespace

const char *enqueue_row(const Profile *p, const EnqueueRow *row) {
  check_key_sizes(row->queue_name, row->workflow_id, row->deduplication_id, row->partition_key, row->application_name);
  Datum v[EP_COUNT];
  char n[EP_COUNT];
  row_params(p, row, reserve_created_at(1).base, v, n);
  // A fresh UUID without a deduplication ID meets no unique index: plain INSERTs (the
  // ON CONFLICT checks cost a tenth of an enqueue).
  if (row->new_id && !row->deduplication_id) return insert_row(p, row, v, n);
  // A conflict whose holder vanishes before we look (it completed and released its
  // deduplication ID) is retried, as DBOS does.
  for (int attempt = 0; attempt < 3; attempt++) {
    run_statement(statement(p, S_ENQUEUE), v, n, false, SPI_OK_INSERT);
    if (SPI_processed == 1) {
      // DO NOTHING on the input row, as DBOS: an input row left by an older workflow of this
      // ID stays. Written nor found: something suppressed it.
      if (p->input_table) {
        run_statement(statement(p, S_ENQUEUE_INPUT), v, n, false, SPI_OK_INSERT);
        if (SPI_processed == 0) require_input_row(p, row->workflow_id);
      }
      return row->workflow_id;
    }
    const char *found = resolve_conflict(p, row);
    if (found) return found;
  }
  // Neither written nor found: a row we may not see holds the key (row-level security), or
  // the insert is suppressed. A plain INSERT raises exactly what PostgreSQL raises there.
  return insert_row(p, row, v, n);
}

const char **enqueue_batch(const Profile *p, const EnqueueBatch *b) {
  int count = b->count;
  const char **result = (const char **)palloc(sizeof(char *) * (count + 1));
  if (count == 0) return result;
  for (int i = 0; i < count; i++) {  // every row before the first write
    EnqueueRow row = batch_row(b, i);
    check_key_sizes(row.queue_name, row.workflow_id, row.deduplication_id, row.partition_key, row.application_name);
  }
  // Rows of one batch that meet each other (an ID or a deduplication ID twice) are written
  // one by one, so that each meets the one before exactly as in separate calls.
  if (count < 3 || (!b->all_new_ids && has_repeats(b->workflow_ids, count)) ||
      has_repeats(b->deduplication_ids, count)) {
    for (int i = 0; i < count; i++) {
      EnqueueRow row = batch_row(b, i);
      result[i] = enqueue_row(p, &row);
    }
    return result;
  }
  const EnqueueRow *shared = b->shared;
  CreatedAt clock = reserve_created_at(count);
  Datum *ids = (Datum *)palloc(sizeof(Datum) * count), *created = (Datum *)palloc(sizeof(Datum) * count);
  Datum *creators = p->creator_xid ? (Datum *)palloc(sizeof(Datum) * count) : nullptr;
  for (int i = 0; i < count; i++) {
    ids[i] = CStringGetTextDatum(b->workflow_ids[i]);
    created[i] = Int64GetDatum(created_at_of(clock, i));
    if (creators) creators[i] = CStringGetTextDatum(new_uuid());
  }
  Datum v[BP_COUNT];
  char n[BP_COUNT];
  memset(n, ' ', sizeof n);
  v[BP_IDS] = text_array(ids, nullptr, count);
  v[BP_INPUTS] = text_array(b->inputs, nullptr, count);
  v[BP_CREATED_AT] = PointerGetDatum(construct_array(created, count, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
  v[BP_DEDUP] = per_row_texts(b->deduplication_ids, shared->deduplication_id, count);
  v[BP_PARTITION] = per_row_texts(b->partition_keys, shared->partition_key, count);
  v[BP_CREATOR_XID] = creators ? text_array(creators, nullptr, count) : per_row_texts(nullptr, nullptr, count);
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
  v[BP_CREATED] = (Datum)0;
  n[BP_CREATED] = 'n';

  bool can_conflict = !b->all_new_ids || b->deduplication_ids || shared->deduplication_id;
  if (!can_conflict) {
    run_statement(statement(p, S_ENQUEUE_BULK_NEW), v, n, false, SPI_OK_INSERT);
    if ((int)SPI_processed != count) raise_suppressed_insert(b->workflow_ids[0]);
    if (p->input_table) {
      run_statement(statement(p, S_ENQUEUE_BULK_NEW_INPUT), v, n, false, SPI_OK_INSERT);
      if ((int)SPI_processed != count) raise_suppressed_insert(b->workflow_ids[0], "workflow_input");
    }
    memcpy(result, b->workflow_ids, sizeof(char *) * count);
    return result;
  }

  // The rows that met an existing workflow are resolved one by one with DBOS's rules.
  run_statement(statement(p, S_ENQUEUE_BULK), v, n, false, SPI_OK_INSERT_RETURNING);
  int written = (int)SPI_processed;
  char **done = (char **)palloc(sizeof(char *) * (written + 1));
  for (int i = 0; i < written; i++) done[i] = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
  SPI_freetuptable(SPI_tuptable);
  qsort(done, written, sizeof(char *), compare_strings);
  Datum *flags = (Datum *)palloc(sizeof(Datum) * count);
  for (int i = 0; i < count; i++) {
    const char *id = b->workflow_ids[i];
    flags[i] = BoolGetDatum(bsearch(&id, done, written, sizeof(char *), compare_strings) != nullptr);
  }
  if (p->input_table && written > 0) {
    v[BP_CREATED] = PointerGetDatum(construct_array(flags, count, BOOLOID, 1, true, TYPALIGN_CHAR));
    n[BP_CREATED] = ' ';
    run_statement(statement(p, S_ENQUEUE_BULK_INPUT), v, n, false, SPI_OK_INSERT);
    if ((int)SPI_processed != written)
      for (int i = 0; i < written; i++) require_input_row(p, done[i]);
  }
  for (int i = 0; i < count; i++) {
    if (DatumGetBool(flags[i])) {
      result[i] = b->workflow_ids[i];
      continue;
    }
    EnqueueRow row = batch_row(b, i);
    const char *found = resolve_conflict(p, &row);
    result[i] = found ? found : enqueue_row(p, &row);
  }
  return result;
}

}  // namespace dbos_client
