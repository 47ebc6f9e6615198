// Declarations shared by the Postgres-side modules (settings, schema profile, statements,
// waits, payload adapters). Postgres-side code: C style, no C++ objects with destructors.
#pragma once
#include "pg.hpp"
#include "payloads.hpp"

namespace dbos_client {

// Our own SQLSTATEs (the README lists them): get_result outcomes and ID conflicts.
#define ERRCODE_DBOS_WORKFLOW_ERROR MAKE_SQLSTATE('D', 'B', '0', '0', '1')
#define ERRCODE_DBOS_CANCELLED MAKE_SQLSTATE('D', 'B', '0', '0', '2')
#define ERRCODE_DBOS_DEAD_LETTER MAKE_SQLSTATE('D', 'B', '0', '0', '3')
#define ERRCODE_DBOS_UNKNOWN_WORKFLOW MAKE_SQLSTATE('D', 'B', '0', '0', '4')
#define ERRCODE_DBOS_TIMEOUT MAKE_SQLSTATE('D', 'B', '0', '0', '5')
#define ERRCODE_DBOS_CONFLICTING_ID MAKE_SQLSTATE('D', 'B', '0', '0', '6')

// The queue DBOS keeps for workflows enqueued without one; it needs no queues row.
constexpr const char *kInternalQueue = "_dbos_internal_queue";

// A text argument as a C string, nullptr for SQL NULL.
inline char *text_arg(FunctionCallInfo fcinfo, int n) {
  return PG_ARGISNULL(n) ? nullptr : text_to_cstring(PG_GETARG_TEXT_PP(n));
}

// --- settings.cpp -------------------------------------------------------------------------
void define_settings();
const char *setting_system_schema();
const char *setting_application_name();  // nullptr when empty
const char *setting_app_version();       // nullptr when empty
int setting_wait_recheck_ms();           // safety re-check of a wait woken at commit

// --- schema_profile.cpp ---------------------------------------------------------------------
enum TableId {
  T_STATUS, T_INPUT, T_OUTPUT, T_NOTIFICATIONS, T_EVENTS, T_QUEUES, T_MIGRATIONS, T_STEPS,
  T_STREAMS, T_EVENTS_HISTORY, T_SCHEDULES, T_APP_VERSIONS, T_COUNT
};

// The DBOS layout found in the system schema, detected once per backend and schema.
struct Profile {
  uint64 generation;        // changes whenever the profile is rebuilt
  char *schema;             // name, and quoted for SQL text
  char *quoted_schema;
  Oid relid[T_COUNT];       // InvalidOid when the table does not exist
  int64 version;            // dbos_migrations version (0 when unknown)
  bool input_table;         // workflow_input / workflow_output (migration 109)
  bool legacy_inputs;       // workflow_status.inputs
  bool input_retention;     // workflow_input.retention_timestamp
  bool app_name;            // workflow_status.application_name (100)
  bool creator_xid;         // workflow_status.creator_xid (123)
  bool delay;               // delay_until_epoch_ms and DELAYED
  bool partition;           // queue_partition_key
  bool queues_table;        // queues (database-backed queues)
  const char *insert_rule;  // a DBOS table we insert into that has an INSERT rule, or nullptr
};

void register_profile_callbacks();
// The profile of the current dbos.system_schema; raises a clear ERROR when the schema
// cannot be served. Needs an SPI connection.
const Profile *current_profile();
bool status_has_column(const Profile *profile, const char *column);
bool table_has_column(const Profile *profile, TableId table, const char *column);

// --- statements.cpp -------------------------------------------------------------------------
enum StatementId {
  S_ENQUEUE,          // insert the status row (with inputs before 109), nothing on conflict
  S_ENQUEUE_NEW,      // the same for a row that cannot conflict (new UUID, no deduplication ID)
  S_ENQUEUE_INPUT,    // insert the input row (109 and later), nothing on conflict
  S_ENQUEUE_INPUT_NEW,
  S_INPUT_EXISTS,     // whether an input row of an ID exists
  S_WORKFLOW_LOOKUP,  // name, class_name, config_name, status of an ID
  S_DEDUP_LOOKUP,     // holder of (queue, deduplication ID)
  S_QUEUE_EXISTS,     // queues row of a name
  S_SEND,             // insert a notification if the destination exists
  S_WORKFLOW_XMIN,    // xmin of a status row (own-transaction check)
  S_EVENT,            // value, serialization of an event
  S_RESULT,           // status, output, error, serialization, xmin
  S_STATUS,           // the workflow_info columns
  S_ENQUEUE_BULK,     // insert many status rows from arrays, nothing on conflict, return those created
  S_ENQUEUE_BULK_INPUT,      // input rows of the rows flagged as created
  S_ENQUEUE_BULK_NEW,        // status rows that cannot conflict (new UUIDs, no deduplication IDs)
  S_ENQUEUE_BULK_NEW_INPUT,  // their input rows
  S_CANCEL,           // management: the row changes of DBOSClient's methods, one statement for
  S_RESUME,           //   any number of IDs, as DBOS's "= ANY($ids)" (ManyParam)
  S_DELETE,           //   (cancel and delete: with_children takes every workflow below them)
  S_EXISTING,         //   which of the IDs have a status row
  S_SET_PRIORITY,     // (id, priority, now_ms)
  S_FORK,             // (source, new_id, app_version, queue, app_name, now_ms): count created
  S_FORK_STEPS,       // (source, new_id, start_step, now_ms)
  S_FORK_STREAMS,     // (source, new_id, start_step)
  S_FORK_HISTORY,     // (source, new_id, start_step)
  S_FORK_EVENTS,      // (source, new_id, start_step)
  S_LIST,             // list_workflows filters, created_at ascending
  S_LIST_DESC,        // ... descending
  S_LIST_QUEUED,      // the same, only queued rows
  S_LIST_QUEUED_DESC,
  S_STEPS,            // operation_outputs of a workflow
  S_EVENTS_ALL,       // every event of a workflow
  S_STREAM,           // stream entries from an offset
  S_DEBOUNCE_BOUNCE,  // debounce (1.3): extend the key's DELAYED debounced workflow, new inputs
  S_DEBOUNCE_INPUT,   //   its input row (109 and later), replaced
  S_DEBOUNCE_HOLDER,  //   who holds (queue, debounce key)
  S_DEBOUNCE_MARK,    //   flag a workflow just enqueued as debounced, with its deadline
  S_SCHED_OWNER,      // schedules (1.3): the owner of a schedule name, if it exists
  S_SCHED_INSERT,     //   a new schedule, nothing on conflict
  S_SCHED_UPSERT,     //   applySchedules: insert or update the definition
  S_SCHED_GET,        //   one schedule
  S_SCHED_LIST,       //   filtered, by name
  S_SCHED_UPDATE,     //   the definition fields given
  S_SCHED_SET_STATUS, //   pause / resume
  S_SCHED_DELETE,
  S_SCHED_TRIGGER_INPUTS,  //   triggerSchedule: [scheduled time, context] in superjson
  S_SCHED_MARK,            //   the schedule_name of a workflow it enqueued
  S_QUEUE_OWNER,      // queues (1.3): the owner of a queue name, if it exists
  S_QUEUE_INSERT,     //   registerQueue 'never_update': nothing on conflict
  S_QUEUE_UPSERT,     //   registerQueue 'always_update'
  S_QUEUE_GET,        //   one queue, as dbos.queue_info
  S_QUEUE_LIST,       //   the given applications' and unclaimed queues, by name
  S_QUEUE_DELETE,
  S_QUEUE_STATS,      //   counts of unfinished workflows per queue
  S_VERSIONS,         // application_versions (1.3): the given applications' and unclaimed, latest first
  S_SET_DELAY,        // setWorkflowDelay (1.3): a DELAYED workflow's start time
  S_WAIT_MANY,        // waitFirst / waitAll (1.3): which of the IDs exist and have ended
  S_STREAM_OFFSET,    // readStreamOffset (1.3): one offset's value and the workflow's status
  S_COUNT
};
// Enqueue parameter positions (1-based in SQL, 0-based here).
enum EnqueueParam {
  EP_ID, EP_STATUS, EP_NAME, EP_CLASS, EP_CONFIG, EP_QUEUE, EP_APP_VERSION, EP_PRIORITY,
  EP_DEDUP, EP_TIMEOUT_MS, EP_SERIALIZATION, EP_CREATED_AT, EP_INPUTS, EP_PARTITION,
  EP_DELAY_UNTIL, EP_APP_NAME, EP_CREATOR_XID, EP_COUNT
};
// Bulk enqueue parameters: per-row arrays first, then values shared by the batch.
enum BulkParam {
  BP_IDS, BP_INPUTS, BP_CREATED_AT, BP_DEDUP, BP_PARTITION, BP_CREATOR_XID, BP_STATUS, BP_NAME,
  BP_CLASS, BP_CONFIG, BP_QUEUE, BP_APP_VERSION, BP_PRIORITY, BP_TIMEOUT_MS, BP_SERIALIZATION,
  BP_DELAY_MS, BP_APP_NAME, BP_CREATED, BP_COUNT
};
enum SendParam { SP_DEST, SP_TOPIC, SP_MESSAGE, SP_SERIALIZATION, SP_MESSAGE_UUID, SP_CREATED_AT, SP_COUNT };
// Parameters of the list statements.
enum ListParam {
  LP_STATUS, LP_NAME, LP_QUEUE, LP_APP_VERSION, LP_CREATED_AFTER, LP_CREATED_BEFORE, LP_LIMIT,
  LP_OFFSET, LP_LOAD_INPUT, LP_LOAD_OUTPUT, LP_COUNT
};
// Management changes of one workflow: cancel (id, -, now), resume (id, queue, now),
// set priority (id, priority, now), delete (id, with_children).
enum ChangeParam { CP_ID, CP_VALUE, CP_NOW_MS, CP_COUNT };
enum ManyParam { MP_IDS, MP_QUEUE, MP_WITH_CHILDREN, MP_NOW_MS, MP_COUNT };
// Fork: the new status (+ input) row, then the copies of steps, streams and events.
enum ForkParam { FP_SOURCE, FP_NEW_ID, FP_APP_VERSION, FP_QUEUE, FP_APP_NAME, FP_NOW_MS, FP_COUNT };
enum ForkCopyParam { FC_SOURCE, FC_NEW_ID, FC_START_STEP, FC_NOW_MS, FC_COUNT };
// Columns of S_STATUS before the payload columns (input, output, error, serialization).
constexpr int kStatusPlainColumns = 24;

void register_statement_callbacks();
// A prepared, kept plan for the current profile. Needs an SPI connection.
SPIPlanPtr statement(const Profile *profile, StatementId id);
// Raises 25006 naming the primary when this server is a hot standby (writers call it first).
void refuse_write_on_standby();
// Executes a plan and checks its SPI result code.
void run_statement(SPIPlanPtr plan, Datum *values, const char *nulls, bool read_only, int expected);
// A text Datum (nulls[i] = 'n' for NULL), for SPI parameter arrays.
Datum text_or_null(const char *s, char *nulls, int i);
// Columns 1..out->natts of an SPI row, copied into the current memory context.
void copy_spi_columns(HeapTuple row, TupleDesc spi_desc, TupleDesc out, Datum *values, bool *nulls);
// An SPI row as a composite datum of type out, allocated in caller (it outlives SPI_finish).
Datum copy_spi_row(HeapTuple row, TupleDesc spi_desc, TupleDesc out, MemoryContext caller);
// The rows of the last SPI result (at most max_rows; -1: all) into the set of a function set up by
// InitMaterializedSRF, converted by convert in the caller's context (nullptr: copy the columns).
typedef void (*RowFn)(HeapTuple row, TupleDesc desc, Datum *values, bool *nulls);
void materialize_spi_result(FunctionCallInfo fcinfo, MemoryContext caller, RowFn convert, int64 max_rows);

// --- enqueue.cpp ----------------------------------------------------------------------------
// One workflow to enqueue, validated; strings are NUL-terminated, nullptr for NULL.
struct EnqueueRow {
  const char *workflow_id;
  const char *workflow_name, *workflow_class, *config_name, *queue_name;
  const char *app_version, *application_name;
  int32 priority;
  const char *deduplication_id;
  int64 timeout_ms;  // -1: none
  int64 delay_ms;    // 0: none
  const char *partition_key;
  const char *serialization;
  Datum inputs;      // text
  bool return_existing;
  bool new_id;       // workflow_id is a UUID we just generated
};
// Many workflows that share everything but their ID, inputs, deduplication ID and partition
// key (taken from `shared` when the array is nullptr).
struct EnqueueBatch {
  const EnqueueRow *shared;
  int count;
  const char **workflow_ids;
  bool all_new_ids;  // every ID is a UUID we just generated
  Datum *inputs;
  const char **deduplication_ids;
  const char **partition_keys;
};
// Raises 54000 when a workflow's keys are too long for the DBOS indexes (before writing).
constexpr int kMaxKeyBytes = 2600;
void check_key_sizes(const char *queue, const char *id, const char *dedup, const char *partition,
                     const char *app_name);
// Raises 55000 when a DBOS table we insert into has an INSERT rule.
void check_no_insert_rule(const Profile *p);
// Raises 0A000 when the schema lacks a column an option needs (and checks for rules).
void check_enqueue_features(const Profile *p, bool delay, bool partition, bool application_name);
// Warns once per backend and queue when the queue has no row in the queues table.
void check_queue_registered(const Profile *p, const char *queue);
// Writes the workflow now (or finds it: idempotent ID, return_existing); returns its ID.
const char *enqueue_row(const Profile *p, const EnqueueRow *row);
// Writes the batch now with set-based statements; returns each row's ID (the holder's for
// return_existing) in input order. The outcome is that of enqueue_row on each row in order.
const char **enqueue_batch(const Profile *p, const EnqueueBatch *batch);

// --- wakeups.cpp ----------------------------------------------------------------------------
// What a wait waits for: rows of workflow_events, or of workflow_status / workflow_output.
constexpr uint32 WAKE_EVENTS = 1;
constexpr uint32 WAKE_STATUS = 2;
constexpr uint32 WAKE_STREAMS = 4;
// Installs the commit-time wake-ups; active only when loaded by shared_preload_libraries.
void define_wakeups();
bool wakeups_enabled();
// Registers this backend as waiting for `kinds` until end_waiting() or transaction end.
void begin_waiting(uint32 kinds);
void end_waiting();

// --- waits.cpp ------------------------------------------------------------------------------
// One poll: returns true when the wait is over. Polls run in their own fresh snapshot.
typedef bool (*PollFn)(void *state);
// Polls until done or timeout_ms passes (-1: forever), woken at the commit of rows of `kinds`
// when preloaded, else by a short backoff. Returns whether it ended done.
bool wait_until(PollFn poll, void *state, int64 timeout_ms, uint32 kinds);
// Raises an ERROR when a wait could never see its answer: under a transaction snapshot, or
// for a workflow written by the caller's own open transaction.
void check_can_wait(const char *workflow_id, TransactionId status_xmin, const char *what);

// --- clock.cpp ------------------------------------------------------------------------------
int64 epoch_ms_now();
int64 timestamp_to_epoch_ms(TimestampTz ts);
// created_at of the next `count` rows of this backend: row i (from 0) gets created_at_of(c, i).
struct CreatedAt {
  int64 base, limit;
};
CreatedAt reserve_created_at(int64 count);
// created_at_epoch_ms of the next message this backend sends.
int64 next_message_epoch_ms();
inline int64 created_at_of(CreatedAt c, int64 i) { return c.base + i < c.limit ? c.base + i : c.limit; }

// --- payloads_pg.cpp --------------------------------------------------------------------------
// Decodes a stored payload into a jsonb Datum.
Datum payload_to_jsonb(const char *tag, const char *text, payloads::Kind kind);
// Encodes arguments / a message into a text Datum of the given format.
Datum inputs_to_text(payloads::Format format, Jsonb *args, Jsonb *named_args);
Datum value_to_text(payloads::Format format, Jsonb *value);
// Raises the workflow's own error (SQLSTATE DB001) from its decoded error payload.
[[noreturn]] void raise_workflow_error(const char *workflow_id, Datum error_jsonb);

char *new_uuid();
// The dbos.workflow_info values of an S_STATUS / S_LIST row, payloads decoded, copied into
// the current memory context.
void workflow_info_values(HeapTuple row, TupleDesc desc, Datum *values, bool *nulls);
// DB004: no such workflow.
[[noreturn]] void raise_unknown_workflow(const char *workflow_id);
// Inputs text for a row-change trigger: one positional argument
// {"op", "schema", "table", "new", "old"}; new_json/old_json are JSON text or nullptr.
Datum row_change_inputs_text(const char *op, const char *schema, const char *table,
                             const char *new_json, const char *old_json);

// --- debounce.cpp (1.3) ------------------------------------------------------------------------
// Parameters of the debounce statements.
enum DebounceParam {
  DP_DELAY_UNTIL, DP_SERIALIZATION, DP_NAME, DP_CLASS, DP_QUEUE, DP_DEDUP, DP_APP_NAME, DP_NOW_MS,
  DP_INPUTS, DP_ID, DP_DEADLINE, DP_COUNT
};
void debounce_bounce_text(const Profile *p, StatementId id, StringInfo sql);
void debounce_input_text(const Profile *p, StatementId id, StringInfo sql);
void debounce_holder_text(const Profile *p, StatementId id, StringInfo sql);
void debounce_mark_text(const Profile *p, StatementId id, StringInfo sql);
// One debounce: `row` as for enqueue_row (workflow_id: the ID a new workflow gets, nullptr
// for a new UUID; deduplication_id, delay and return_existing are set here), `key` the
// caller's debounce key. Extends the key's DELAYED workflow or enqueues a debounced one, as
// DebouncerClient.debounce; returns the workflow's ID. Raises 0A000 on an old schema.
const char *debounce_row(const Profile *p, const EnqueueRow *row, const char *key, int64 period_ms,
                         int64 deadline_ms);

// --- schedules.cpp (1.3) -----------------------------------------------------------------------
enum ScheduleParam {
  SC_ID, SC_NAME, SC_WORKFLOW, SC_CLASS, SC_SCHEDULE, SC_STATUS, SC_CONTEXT, SC_BACKFILL, SC_TZ, SC_QUEUE,
  SC_APP, SC_SET_CONTEXT, SC_SET_TZ, SC_SET_QUEUE, SC_STATUSES, SC_NAMES, SC_PATTERNS, SC_APPS, SC_WHEN,
  SC_WORKFLOW_ID, SC_COUNT
};
void schedule_text(const Profile *p, StatementId id, StringInfo sql);

// --- queues.cpp (1.3) --------------------------------------------------------------------------
enum QueueParam {
  QP_NAME, QP_CONCURRENCY, QP_WORKER_CONCURRENCY, QP_RATE_MAX, QP_RATE_PERIOD, QP_PARTITIONED,
  QP_P_CONCURRENCY, QP_P_WORKER_CONCURRENCY, QP_P_RATE_MAX, QP_P_RATE_PERIOD, QP_POLLING, QP_NOW_MS,
  QP_APP, QP_APPS, QP_COUNT
};
void queue_text(const Profile *p, StatementId id, StringInfo sql);

// --- versions.cpp (1.3) ------------------------------------------------------------------------
enum VersionParam { VP_APPS, VP_LIMIT, VP_ID, VP_DELAY_UNTIL, VP_NOW_MS, VP_COUNT };
void version_text(const Profile *p, StatementId id, StringInfo sql);

// --- wait_many.cpp (1.3) -----------------------------------------------------------------------
enum WaitManyParam { WM_IDS, WM_ID, WM_KEY, WM_OFFSET, WM_COUNT };
void wait_many_text(const Profile *p, StatementId id, StringInfo sql);
// Whether a stored stream value is DBOS's close marker (management.cpp).
bool is_stream_end(const char *value);
// The workflow IDs of text[] argument 0, in order: one dimension, no NULL or empty element, each
// ID once (as DBOS's "= ANY($ids)"); with refuse_duplicates a repeat is an error, as in DBOS's
// waitFirst (management.cpp).
char **workflow_ids_arg(FunctionCallInfo fcinfo, bool refuse_duplicates, int *count);
int compare_strings(const void *a, const void *b);  // qsort/bsearch over char *

}  // namespace dbos_client
