// Writing one workflow into the DBOS tables: the status (+ input) row, the conflict rules of
// DBOS (idempotent ID, deduplication), the unregistered-queue warning. Postgres side.
#include "dbos_client.hpp"

extern "C" {
#include "utils/hsearch.h"
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
  int64 now_ms = next_epoch_ms();
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
  v[EP_DELAY_UNTIL] = Int64GetDatum(now_ms + row->delay_ms);
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
      ereport(ERROR, (errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
                      errmsg("could not enqueue workflow \"%s\": conflicting rows keep changing",
                             row->workflow_id),
                      errhint("Retry the transaction.")));
  }
}

}  // namespace dbos_client
