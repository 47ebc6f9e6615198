// The catalogue of every statement on the DBOS tables: its parameters, named by the enums of
// dbos_client.hpp, and the function that writes its SQL text for a schema profile. Texts name
// their parameters ($id, $queue, ...); the $n of each is generated from its position in the
// statement's parameter list. Plans are prepared once per profile and kept. The plan cache
// re-plans under the caller's search_path, so every operator, function and type below is
// qualified with pg_catalog: no object a caller creates can be picked up.
#include "dbos_client.hpp"

extern "C" {
#include "access/xact.h"
#include "access/xlog.h"
#include "lib/stringinfo.h"
#include "nodes/pg_list.h"
#include "utils/datum.h"
#include "utils/plancache.h"
#include "utils/tuplestore.h"
}

namespace dbos_client {
namespace {

struct Param {
  const char *name;  // as written in the SQL text, after '$'
  Oid type;
};

// Parameter lists, in the order of their enums: entry i is $(i + 1).
const Param kEnqueueParams[] = {
    {"id", TEXTOID},           {"status", TEXTOID},     {"name", TEXTOID},          {"class", TEXTOID},
    {"config", TEXTOID},       {"queue", TEXTOID},      {"app_version", TEXTOID},   {"priority", INT4OID},
    {"dedup", TEXTOID},        {"timeout_ms", INT8OID}, {"serialization", TEXTOID}, {"created_at", INT8OID},
    {"inputs", TEXTOID},       {"partition", TEXTOID},  {"delay_until", INT8OID},   {"app_name", TEXTOID},
    {"creator_xid", TEXTOID}};
static_assert(lengthof(kEnqueueParams) == EP_COUNT, "one entry per EnqueueParam");
const Param kBulkParams[] = {
    {"ids", TEXTARRAYOID},      {"inputs", TEXTARRAYOID},   {"created_at", INT8ARRAYOID}, {"dedups", TEXTARRAYOID},
    {"partitions", TEXTARRAYOID}, {"creators", TEXTARRAYOID}, {"status", TEXTOID},          {"name", TEXTOID},
    {"class", TEXTOID},         {"config", TEXTOID},        {"queue", TEXTOID},           {"app_version", TEXTOID},
    {"priority", INT4OID},      {"timeout_ms", INT8OID},    {"serialization", TEXTOID},   {"delay_until", INT8OID},
    {"app_name", TEXTOID},      {"written", BOOLARRAYOID}};
static_assert(lengthof(kBulkParams) == BP_COUNT, "one entry per BulkParam");
const Param kSendParams[] = {{"dest", TEXTOID},          {"topic", TEXTOID},        {"message", TEXTOID},
                             {"serialization", TEXTOID}, {"message_uuid", TEXTOID}, {"created_at", INT8OID}};
static_assert(lengthof(kSendParams) == SP_COUNT, "one entry per SendParam");
const Param kListParams[] = {{"statuses", TEXTARRAYOID}, {"name", TEXTOID},       {"queue", TEXTOID},
                             {"app_version", TEXTOID},   {"after", INT8OID},      {"before", INT8OID},
                             {"limit", INT8OID},         {"offset", INT8OID},     {"load_input", BOOLOID},
                             {"load_output", BOOLOID}};
static_assert(lengthof(kListParams) == LP_COUNT, "one entry per ListParam");
const Param kManyParams[] = {{"ids", TEXTARRAYOID}, {"queue", TEXTOID}, {"with_children", BOOLOID}, {"now_ms", INT8OID}};
static_assert(lengthof(kManyParams) == MP_COUNT, "one entry per ManyParam");
const Param kPriorityParams[] = {{"id", TEXTOID}, {"priority", INT4OID}, {"now_ms", INT8OID}};
static_assert(lengthof(kPriorityParams) == CP_COUNT, "one entry per ChangeParam");
const Param kForkParams[] = {{"source", TEXTOID}, {"new_id", TEXTOID},   {"app_version", TEXTOID},
                             {"queue", TEXTOID},  {"app_name", TEXTOID}, {"now_ms", INT8OID}};
static_assert(lengthof(kForkParams) == FP_COUNT, "one entry per ForkParam");
const Param kForkCopyParams[] = {{"source", TEXTOID}, {"new_id", TEXTOID}, {"start_step", INT4OID}, {"now_ms", INT8OID}};
static_assert(lengthof(kForkCopyParams) == FC_COUNT, "one entry per ForkCopyParam");
const Param kIdParam[] = {{"id", TEXTOID}};
const Param kEventParams[] = {{"id", TEXTOID}, {"key", TEXTOID}};
const Param kDedupParams[] = {{"queue", TEXTOID}, {"dedup", TEXTOID}};
const Param kQueueParam[] = {{"queue", TEXTOID}};
const Param kStreamParams[] = {{"id", TEXTOID}, {"key", TEXTOID}, {"from_offset", INT4OID}};
const Param kDebounceParams[] = {{"delay_until", INT8OID}, {"serialization", TEXTOID}, {"name", TEXTOID},
                                 {"class", TEXTOID},       {"queue", TEXTOID},         {"dedup", TEXTOID},
                                 {"app_name", TEXTOID},    {"now_ms", INT8OID},        {"inputs", TEXTOID},
                                 {"id", TEXTOID},          {"deadline", INT8OID}};
static_assert(lengthof(kDebounceParams) == DP_COUNT, "one entry per DebounceParam");
const Param kScheduleParams[] = {
    {"id", TEXTOID},         {"name", TEXTOID},          {"workflow", TEXTOID},      {"class", TEXTOID},
    {"schedule", TEXTOID},   {"status", TEXTOID},        {"context", TEXTOID},       {"backfill", BOOLOID},
    {"tz", TEXTOID},         {"queue", TEXTOID},         {"app", TEXTOID},           {"set_context", BOOLOID},
    {"set_tz", BOOLOID},     {"set_queue", BOOLOID},     {"statuses", TEXTARRAYOID}, {"names", TEXTARRAYOID},
    {"patterns", TEXTARRAYOID}, {"apps", TEXTARRAYOID},  {"when", TEXTOID},          {"workflow_id", TEXTOID}};
static_assert(lengthof(kScheduleParams) == SC_COUNT, "one entry per ScheduleParam");
const Param kQueueParams[] = {
    {"name", TEXTOID},         {"concurrency", INT4OID},   {"worker_concurrency", INT4OID}, {"rate_max", INT4OID},
    {"rate_period", FLOAT8OID}, {"partitioned", BOOLOID},   {"p_concurrency", INT4OID},     {"p_worker_concurrency", INT4OID},
    {"p_rate_max", INT4OID},   {"p_rate_period", FLOAT8OID}, {"polling", FLOAT8OID},         {"now_ms", INT8OID},
    {"app", TEXTOID},          {"apps", TEXTARRAYOID}};
static_assert(lengthof(kQueueParams) == QP_COUNT, "one entry per QueueParam");
const Param kVersionParams[] = {{"apps", TEXTARRAYOID}, {"limit", INT8OID}, {"id", TEXTOID}, {"delay_until", INT8OID},
                                {"now_ms", INT8OID}};
static_assert(lengthof(kVersionParams) == VP_COUNT, "one entry per VersionParam");
const Param kWaitManyParams[] = {{"ids", TEXTARRAYOID}, {"id", TEXTOID}, {"key", TEXTOID}, {"offset", INT4OID}};
static_assert(lengthof(kWaitManyParams) == WM_COUNT, "one entry per WaitManyParam");

const char *const kMsToTimestamp = "pg_catalog.to_timestamp(%s::pg_catalog.int8 OPERATOR(pg_catalog./) 1000.0)";
const char *const kNotFinished = "NOT (status OPERATOR(pg_catalog.=) ANY ('{SUCCESS,ERROR}'::pg_catalog.text[]))";

// Appends ", column" and ", value" for each optional status column the profile has.
void optional_status_columns(const Profile *p, StringInfo cols, StringInfo vals, const char *inputs,
                             const char *partition, const char *delay_until, const char *app_name,
                             const char *creator) {
  if (!p->input_table) appendStringInfo(cols, ", inputs"), appendStringInfo(vals, ", %s", inputs);
  if (p->partition) appendStringInfo(cols, ", queue_partition_key"), appendStringInfo(vals, ", %s", partition);
  if (p->delay) appendStringInfo(cols, ", delay_until_epoch_ms"), appendStringInfo(vals, ", %s", delay_until);
  if (p->app_name) appendStringInfo(cols, ", application_name"), appendStringInfo(vals, ", %s", app_name);
  if (p->creator_xid) appendStringInfo(cols, ", creator_xid"), appendStringInfo(vals, ", %s", creator);
}

const char *const kStatusColumns =
    "workflow_uuid, status, name, class_name, config_name, queue_name, application_version, "
    "recovery_attempts, priority, deduplication_id, workflow_timeout_ms, serialization, created_at, updated_at";

// One status row (with inputs before 109). ON CONFLICT DO NOTHING with no target covers the
// primary key and the deduplication index alike: no error, no subtransaction, no lock on
// someone else's row; a fresh UUID without deduplication ID (S_ENQUEUE_NEW) needs none.
// Two plain statements run faster than one data-modifying CTE (its extra nodes and deferred
// ModifyTable cost ~20% of a bulk enqueue).
void enqueue_text(const Profile *p, StatementId id, StringInfo sql) {
  StringInfoData cols, vals;
  initStringInfo(&cols);
  initStringInfo(&vals);
  appendStringInfoString(&cols, kStatusColumns);
  appendStringInfoString(&vals,
                         "$id, $status, $name, $class, $config, $queue, $app_version, 0, $priority, $dedup, "
                         "$timeout_ms, $serialization, $created_at, $created_at");
  optional_status_columns(p, &cols, &vals, "$inputs", "$partition", "$delay_until", "$app_name", "$creator_xid");
  appendStringInfo(sql, "INSERT INTO %s.workflow_status (%s) VALUES (%s)%s", p->quoted_schema, cols.data, vals.data,
                   id == S_ENQUEUE ? " ON CONFLICT DO NOTHING" : "");
}

// The input row, only after this call created the status row (DO NOTHING, as DBOS: the
// first input row of an ID wins).
void enqueue_input_text(const Profile *p, StatementId id, StringInfo sql) {
  appendStringInfo(sql, "INSERT INTO %s.workflow_input (workflow_uuid, inputs%s) VALUES ($id, $inputs%s)%s",
                   p->quoted_schema, p->input_retention ? ", retention_timestamp" : "",
                   p->input_retention ? ", $created_at" : "", id == S_ENQUEUE_INPUT ? " ON CONFLICT DO NOTHING" : "");
}

const char *const kBulkRows =
    "ROWS FROM (pg_catalog.unnest($ids), pg_catalog.unnest($inputs), pg_catalog.unnest($created_at), "
    "pg_catalog.unnest($dedups), pg_catalog.unnest($partitions), pg_catalog.unnest($creators), "
    "pg_catalog.unnest($written)) AS r(id, inputs, created_at, dedup, part, creator, written)";

// Many status rows from parameter arrays, one INSERT ... SELECT. Rows that cannot conflict
// (S_ENQUEUE_BULK_NEW) skip the ON CONFLICT checks (a fifth of a bulk enqueue); otherwise the
// rows written are returned.
void enqueue_bulk_text(const Profile *p, StatementId id, StringInfo sql) {
  StringInfoData cols, vals;
  initStringInfo(&cols);
  initStringInfo(&vals);
  appendStringInfoString(&cols, kStatusColumns);
  appendStringInfoString(&vals,
                         "r.id, $status, $name, $class, $config, $queue, $app_version, 0, $priority, r.dedup, "
                         "$timeout_ms, $serialization, r.created_at, r.created_at");
  optional_status_columns(p, &cols, &vals, "r.inputs", "r.part",
                          "CASE WHEN $delay_until OPERATOR(pg_catalog.>) 0 THEN $delay_until END", "$app_name",
                          "r.creator");
  appendStringInfo(sql, "INSERT INTO %s.workflow_status (%s) SELECT %s FROM %s%s", p->quoted_schema, cols.data,
                   vals.data, kBulkRows,
                   id == S_ENQUEUE_BULK ? " ON CONFLICT DO NOTHING RETURNING workflow_uuid" : "");
}

// The input rows of a bulk enqueue: all of them, or those flagged as written (S_ENQUEUE_BULK_INPUT).
void enqueue_bulk_input_text(const Profile *p, StatementId id, StringInfo sql) {
  appendStringInfo(sql, "INSERT INTO %s.workflow_input (workflow_uuid, inputs%s) SELECT r.id, r.inputs%s FROM %s%s",
                   p->quoted_schema, p->input_retention ? ", retention_timestamp" : "",
                   p->input_retention ? ", r.created_at" : "", kBulkRows,
                   id == S_ENQUEUE_BULK_INPUT ? " WHERE r.written ON CONFLICT DO NOTHING" : "");
}

void input_exists_text(const Profile *p, StatementId, StringInfo sql) {
  appendStringInfo(sql, "SELECT 1 FROM %s.workflow_input WHERE workflow_uuid OPERATOR(pg_catalog.=) $id",
                   p->quoted_schema);
}

void workflow_lookup_text(const Profile *p, StatementId, StringInfo sql) {
  appendStringInfo(sql,
                   "SELECT name, class_name::pg_catalog.text, config_name::pg_catalog.text, status, queue_name "
                   "FROM %s.workflow_status WHERE workflow_uuid OPERATOR(pg_catalog.=) $id",
                   p->quoted_schema);
}

void dedup_lookup_text(const Profile *p, StatementId, StringInfo sql) {
  appendStringInfo(sql,
                   "SELECT workflow_uuid FROM %s.workflow_status "
                   "WHERE queue_name OPERATOR(pg_catalog.=) $queue AND deduplication_id OPERATOR(pg_catalog.=) $dedup",
                   p->quoted_schema);
}

void queue_exists_text(const Profile *p, StatementId, StringInfo sql) {
  appendStringInfo(sql, "SELECT 1 FROM %s.queues WHERE name OPERATOR(pg_catalog.=) $queue", p->quoted_schema);
}

void send_text(const Profile *p, StatementId, StringInfo sql) {
  appendStringInfo(sql,
                   "INSERT INTO %s.notifications (destination_uuid, topic, message, serialization, message_uuid, "
                   "created_at_epoch_ms) SELECT $dest, $topic, $message, $serialization, $message_uuid, $created_at "
                   "WHERE EXISTS (SELECT 1 FROM %s.workflow_status WHERE workflow_uuid OPERATOR(pg_catalog.=) $dest) "
                   "ON CONFLICT (message_uuid) DO NOTHING",
                   p->quoted_schema, p->quoted_schema);
}

void workflow_xmin_text(const Profile *p, StatementId, StringInfo sql) {
  appendStringInfo(sql, "SELECT xmin FROM %s.workflow_status WHERE workflow_uuid OPERATOR(pg_catalog.=) $id",
                   p->quoted_schema);
}

void event_text(const Profile *p, StatementId, StringInfo sql) {
  appendStringInfo(sql,
                   "SELECT value, serialization FROM %s.workflow_events "
                   "WHERE workflow_uuid OPERATOR(pg_catalog.=) $id AND key OPERATOR(pg_catalog.=) $key",
                   p->quoted_schema);
}

void result_text(const Profile *p, StatementId, StringInfo sql) {
  const char *s = p->quoted_schema;
  if (p->input_table)
    appendStringInfo(sql,
                     "SELECT ws.status, COALESCE(wo.output, ws.output), COALESCE(wo.error, ws.error), "
                     "ws.serialization, ws.xmin FROM %s.workflow_status ws LEFT JOIN %s.workflow_output wo "
                     "ON wo.workflow_uuid OPERATOR(pg_catalog.=) ws.workflow_uuid "
                     "WHERE ws.workflow_uuid OPERATOR(pg_catalog.=) $id",
                     s, s);
  else
    appendStringInfo(sql,
                     "SELECT status, output, error, serialization, xmin FROM %s.workflow_status "
                     "WHERE workflow_uuid OPERATOR(pg_catalog.=) $id",
                     s);
}

// The workflow_info columns (24 plain, then input, output, error, serialization) of
// `FROM ... ws`; load_input/load_output are SQL boolean expressions.
void status_columns(const Profile *p, StringInfo sql, const char *load_input, const char *load_output) {
  // Columns in dbos.workflow_info order; absent columns read as NULL of their type. Every
  // column is cast to the workflow_info type: a schema with other column types must give a
  // cast error, never a Datum of the wrong type.
  static const struct {
    const char *column;
    const char *expr;  // %s = the column reference
    const char *type;  // for a missing column
  } cols[kStatusPlainColumns] = {
      {"workflow_uuid", "%s::pg_catalog.text", "text"},
      {"status", "%s::pg_catalog.text", "text"},
      {"name", "%s::pg_catalog.text", "text"},
      {"class_name", "%s::pg_catalog.text", "text"},
      {"config_name", "%s::pg_catalog.text", "text"},
      {"queue_name", "%s::pg_catalog.text", "text"},
      {"deduplication_id", "%s::pg_catalog.text", "text"},
      {"priority", "%s::pg_catalog.int4", "int4"},
      {"queue_partition_key", "%s::pg_catalog.text", "text"},
      {"application_version", "%s::pg_catalog.text", "text"},
      {"application_name", "%s::pg_catalog.text", "text"},
      {"executor_id", "%s::pg_catalog.text", "text"},
      {"authenticated_user", "%s::pg_catalog.text", "text"},
      {"recovery_attempts", "%s::pg_catalog.int8", "int8"},
      {"created_at", kMsToTimestamp, "timestamptz"},
      {"updated_at", kMsToTimestamp, "timestamptz"},
      {"started_at_epoch_ms", kMsToTimestamp, "timestamptz"},
      {"completed_at", kMsToTimestamp, "timestamptz"},
      {"workflow_timeout_ms",
       "pg_catalog.make_interval(secs => %s::pg_catalog.int8 OPERATOR(pg_catalog./) 1000.0)", "interval"},
      {"workflow_deadline_epoch_ms", kMsToTimestamp, "timestamptz"},
      {"delay_until_epoch_ms", kMsToTimestamp, "timestamptz"},
      {"parent_workflow_id", "%s::pg_catalog.text", "text"},
      {"forked_from", "%s::pg_catalog.text", "text"},
      {"attributes", "%s::pg_catalog.jsonb", "jsonb"},
  };
  appendStringInfoString(sql, "SELECT ");
  for (int i = 0; i < kStatusPlainColumns; i++) {
    if (i) appendStringInfoString(sql, ", ");
    if (status_has_column(p, cols[i].column))
      appendStringInfo(sql, cols[i].expr, psprintf("ws.%s", cols[i].column));
    else
      appendStringInfo(sql, "NULL::pg_catalog.%s", cols[i].type);
  }
  const char *s = p->quoted_schema;
  const char *legacy_in = p->legacy_inputs ? "ws.inputs" : "NULL::pg_catalog.text";
  if (p->input_table)
    appendStringInfo(sql,
                     ", CASE WHEN %s THEN COALESCE(wi.inputs, %s) END, "
                     "CASE WHEN %s THEN COALESCE(wo.output, ws.output) END, "
                     "CASE WHEN %s THEN COALESCE(wo.error, ws.error) END, ws.serialization "
                     "FROM %s.workflow_status ws "
                     "LEFT JOIN %s.workflow_input wi ON %s AND wi.workflow_uuid OPERATOR(pg_catalog.=) ws.workflow_uuid "
                     "LEFT JOIN %s.workflow_output wo ON %s AND wo.workflow_uuid OPERATOR(pg_catalog.=) ws.workflow_uuid ",
                     load_input, legacy_in, load_output, load_output, s, s, load_input, s, load_output);
  else
    appendStringInfo(sql,
                     ", CASE WHEN %s THEN %s END, CASE WHEN %s THEN ws.output END, "
                     "CASE WHEN %s THEN ws.error END, ws.serialization FROM %s.workflow_status ws ",
                     load_input, legacy_in, load_output, load_output, s);
}

void status_text(const Profile *p, StatementId, StringInfo sql) {
  status_columns(p, sql, "true", "true");
  appendStringInfoString(sql, "WHERE ws.workflow_uuid OPERATOR(pg_catalog.=) $id");
}

// list_workflows / list_queued_workflows: every filter optional (NULL: no filter).
void list_text(const Profile *p, StatementId id, StringInfo sql) {
  bool queued = id == S_LIST_QUEUED || id == S_LIST_QUEUED_DESC;
  const char *order = id == S_LIST_DESC || id == S_LIST_QUEUED_DESC ? "DESC" : "ASC";
  status_columns(p, sql, "$load_input", "$load_output");
  appendStringInfoString(sql,
                         "WHERE ($statuses IS NULL OR ws.status OPERATOR(pg_catalog.=) ANY ($statuses)) "
                         "AND ($name IS NULL OR ws.name OPERATOR(pg_catalog.=) $name) "
                         "AND ($queue IS NULL OR ws.queue_name OPERATOR(pg_catalog.=) $queue) "
                         "AND ($app_version IS NULL OR ws.application_version OPERATOR(pg_catalog.=) $app_version) "
                         "AND ($after IS NULL OR ws.created_at OPERATOR(pg_catalog.>=) $after) "
                         "AND ($before IS NULL OR ws.created_at OPERATOR(pg_catalog.<=) $before) ");
  if (queued)
    appendStringInfoString(sql,
                           "AND ws.queue_name IS NOT NULL AND ws.status OPERATOR(pg_catalog.=) ANY "
                           "('{ENQUEUED,PENDING,DELAYED}'::pg_catalog.text[]) ");
  appendStringInfo(sql, "ORDER BY ws.created_at %s, ws.workflow_uuid %s LIMIT $limit OFFSET $offset", order, order);
}

// "UPDATE workflow_status SET a = x, b = y WHERE ..." naming only the columns of
// workflow_status that exist (a management UPDATE must not name a column an older schema lacks).
void update_text(const Profile *p, StringInfo sql, const char *const *assignments, int count, const char *ids,
                 const char *where) {
  appendStringInfo(sql, "UPDATE %s.workflow_status", p->quoted_schema);
  bool first = true;
  for (int i = 0; i < count; i += 2) {
    if (!status_has_column(p, assignments[i])) continue;
    appendStringInfo(sql, "%s%s = %s", first ? " SET " : ", ", assignments[i], assignments[i + 1]);
    first = false;
  }
  appendStringInfo(sql, " WHERE workflow_uuid OPERATOR(pg_catalog.=) %s AND %s", ids, where);
}

// "WITH RECURSIVE tree(id)": the IDs, and with $with_children every workflow below them by
// parent_workflow_id (DBOS's #getDirectChildren, repeated to the leaves, through finished ones);
// UNION keeps each ID once, so a cycle a hand-edited table could hold ends too. The statements
// take "= ANY (ARRAY(SELECT id FROM tree))": an array computed at run time, which the planner
// cannot size, so it takes the primary key (whose scan sorts the array) and rows are locked in
// index order. Two bulk calls with the IDs in different orders would otherwise deadlock; DBOS's
// own "= ANY($ids)" with a long constant array is planned as a seq scan and does (heap order
// moves as rows are updated).
void tree_text(const Profile *p, StringInfo sql) {
  appendStringInfoString(sql, "WITH RECURSIVE tree(id) AS (SELECT pg_catalog.unnest($ids)");
  if (status_has_column(p, "parent_workflow_id"))
    appendStringInfo(sql,
                     " UNION SELECT ws.workflow_uuid FROM %s.workflow_status ws JOIN tree "
                     "ON ws.parent_workflow_id OPERATOR(pg_catalog.=) tree.id WHERE $with_children",
                     p->quoted_schema);
  appendStringInfoString(sql, ") ");
}

void cancel_text(const Profile *p, StatementId, StringInfo sql) {
  static const char *const set[] = {"status", "'CANCELLED'", "owner_xid", "NULL", "queue_name", "NULL",
                                    "deduplication_id", "NULL", "started_at_epoch_ms", "NULL",
                                    "updated_at", "$now_ms", "completed_at", "$now_ms"};
  tree_text(p, sql);
  update_text(p, sql, set, lengthof(set), "ANY (ARRAY(SELECT id FROM tree))", kNotFinished);
}

void resume_text(const Profile *p, StatementId, StringInfo sql) {
  static const char *const set[] = {"status", "'ENQUEUED'", "owner_xid", "NULL", "queue_name", "$queue",
                                    "recovery_attempts", "0", "workflow_deadline_epoch_ms", "NULL",
                                    "deduplication_id", "NULL", "started_at_epoch_ms", "NULL",
                                    "updated_at", "$now_ms", "completed_at", "NULL"};
  update_text(p, sql, set, lengthof(set), "ANY (ARRAY(SELECT pg_catalog.unnest($ids)))", kNotFinished);
}

void existing_text(const Profile *p, StatementId, StringInfo sql) {
  appendStringInfo(sql, "SELECT workflow_uuid FROM %s.workflow_status WHERE workflow_uuid OPERATOR(pg_catalog.=) ANY ($ids)",
                   p->quoted_schema);
}

void set_priority_text(const Profile *p, StatementId, StringInfo sql) {
  static const char *const set[] = {"priority", "$priority", "updated_at", "$now_ms"};
  update_text(p, sql, set, lengthof(set), "$id",
              "status OPERATOR(pg_catalog.=) ANY ('{ENQUEUED,DELAYED}'::pg_catalog.text[])");
}

// The payload tables and (from 112) operation_outputs have no foreign key: delete them
// explicitly, for the status rows this statement deletes (not for every ID given: under
// row-level security on workflow_status, a row the caller cannot see keeps its inputs); the
// status delete cascades to notifications, events and streams.
void delete_text(const Profile *p, StatementId, StringInfo sql) {
  const char *s = p->quoted_schema;
  tree_text(p, sql);
  appendStringInfo(sql,
                   ", gone AS (DELETE FROM %s.workflow_status WHERE workflow_uuid OPERATOR(pg_catalog.=) "
                   "ANY (ARRAY(SELECT id FROM tree)) RETURNING workflow_uuid)",
                   s);
  const TableId payload[] = {T_INPUT, T_OUTPUT, T_STEPS};
  const char *const names[] = {"workflow_input", "workflow_output", "operation_outputs"};
  for (int i = 0; i < 3; i++)
    if (OidIsValid(p->relid[payload[i]]))
      appendStringInfo(sql,
                       ", d%d AS (DELETE FROM %s.%s WHERE workflow_uuid OPERATOR(pg_catalog.=) "
                       "ANY (ARRAY(SELECT workflow_uuid FROM gone)))",
                       i, s, names[i]);
  appendStringInfoString(sql, " SELECT count(*) FROM gone");
}

void fork_text(const Profile *p, StatementId, StringInfo sql) {
  const char *s = p->quoted_schema;
  // Copied from the source: [column, expression over src].
  static const char *const copied[] = {
      "name", "src.name", "class_name", "src.class_name", "config_name", "src.config_name",
      "authenticated_user", "src.authenticated_user", "assumed_role", "src.assumed_role",
      "authenticated_roles", "src.authenticated_roles", "application_id", "src.application_id",
      "serialization", "src.serialization", "attributes", "src.attributes",
      "application_version", "COALESCE($app_version, src.application_version)",
      "application_name", "COALESCE(src.application_name, $app_name)", "forked_from", "$source",
  };
  StringInfoData cols, vals;
  initStringInfo(&cols);
  initStringInfo(&vals);
  appendStringInfoString(&cols, "workflow_uuid, status, queue_name, recovery_attempts, priority, created_at, updated_at");
  appendStringInfoString(&vals, "$new_id, 'ENQUEUED', $queue, 0, 0, $now_ms, $now_ms");
  for (size_t i = 0; i < lengthof(copied); i += 2) {
    if (!status_has_column(p, copied[i])) continue;
    appendStringInfo(&cols, ", %s", copied[i]);
    appendStringInfo(&vals, ", %s", copied[i + 1]);
  }
  if (!p->input_table) {
    appendStringInfoString(&cols, ", inputs");
    appendStringInfoString(&vals, ", src.fork_inputs");
  }
  const char *inputs = p->input_table ? (p->legacy_inputs ? "COALESCE(wi.inputs, ws.inputs)" : "wi.inputs") : "ws.inputs";
  const char *join = p->input_table ? psprintf("LEFT JOIN %s.workflow_input wi ON wi.workflow_uuid "
                                               "OPERATOR(pg_catalog.=) ws.workflow_uuid",
                                               s)
                                    : "";
  appendStringInfo(sql,
                   "WITH src AS (SELECT ws.*, %s AS fork_inputs FROM %s.workflow_status ws %s "
                   "WHERE ws.workflow_uuid OPERATOR(pg_catalog.=) $source), "
                   "created AS (INSERT INTO %s.workflow_status (%s) SELECT %s FROM src "
                   "ON CONFLICT DO NOTHING RETURNING workflow_uuid)",
                   inputs, s, join, s, cols.data, vals.data);
  if (p->input_table)
    appendStringInfo(sql,
                     ", input AS (INSERT INTO %s.workflow_input (workflow_uuid, inputs) "
                     "SELECT c.workflow_uuid, src.fork_inputs FROM created c, src ON CONFLICT DO NOTHING)",
                     s);
  if (status_has_column(p, "was_forked_from"))
    appendStringInfo(sql,
                     ", mark AS (UPDATE %s.workflow_status SET was_forked_from = true "
                     "WHERE workflow_uuid OPERATOR(pg_catalog.=) $source AND EXISTS (SELECT 1 FROM created))",
                     s);
  appendStringInfoString(sql, " SELECT workflow_uuid FROM created");
}

// Copies the rows of `table` with function_id below the start step to the fork.
void fork_copy(const Profile *p, StringInfo sql, TableId table, const char *name, const char *const *columns,
               int count) {
  StringInfoData cols, vals;
  initStringInfo(&cols);
  initStringInfo(&vals);
  for (int i = 0; i < count; i += 2) {
    if (!table_has_column(p, table, columns[i])) continue;
    appendStringInfo(&cols, "%s%s", cols.len ? ", " : "", quote_identifier(columns[i]));
    appendStringInfo(&vals, "%s%s", vals.len ? ", " : "", columns[i + 1]);
  }
  appendStringInfo(sql,
                   "INSERT INTO %s.%s (%s) SELECT %s FROM %s.%s t WHERE t.workflow_uuid OPERATOR(pg_catalog.=) "
                   "$source AND t.function_id OPERATOR(pg_catalog.<) $start_step",
                   p->quoted_schema, name, cols.data, vals.data, p->quoted_schema, name);
}

void fork_steps_text(const Profile *p, StatementId, StringInfo sql) {
  // The fork's owner, as its status row got it: the source's, or this application's.
  const char *owner = p->app_name ? psprintf("(SELECT f.application_name FROM %s.workflow_status f "
                                             "WHERE f.workflow_uuid OPERATOR(pg_catalog.=) $new_id)",
                                             p->quoted_schema)
                                  : "NULL";
  const char *const cols[] = {
      "workflow_uuid", "$new_id", "function_id", "t.function_id", "function_name", "t.function_name",
      "output", "t.output", "error", "t.error", "serialization", "t.serialization",
      "child_workflow_id", "t.child_workflow_id", "started_at_epoch_ms", "t.started_at_epoch_ms",
      "completed_at_epoch_ms", "t.completed_at_epoch_ms", "application_name", owner,
      "retention_timestamp", "$now_ms"};
  fork_copy(p, sql, T_STEPS, "operation_outputs", cols, lengthof(cols));
}

void fork_streams_text(const Profile *p, StatementId, StringInfo sql) {
  static const char *const cols[] = {"workflow_uuid", "$new_id", "key", "t.key", "value", "t.value",
                                     "serialization", "t.serialization", "offset", "t.\"offset\"",
                                     "function_id", "t.function_id"};
  fork_copy(p, sql, T_STREAMS, "streams", cols, lengthof(cols));
}

void fork_history_text(const Profile *p, StatementId, StringInfo sql) {
  static const char *const cols[] = {"workflow_uuid", "$new_id", "function_id", "t.function_id", "key", "t.key",
                                     "value", "t.value", "serialization", "t.serialization"};
  fork_copy(p, sql, T_EVENTS_HISTORY, "workflow_events_history", cols, lengthof(cols));
}

// The latest value of each key published before the start step.
void fork_events_text(const Profile *p, StatementId, StringInfo sql) {
  appendStringInfo(sql,
                   "INSERT INTO %s.workflow_events (workflow_uuid, key, value, serialization) "
                   "SELECT DISTINCT ON (h.key) $new_id, h.key, h.value, h.serialization "
                   "FROM %s.workflow_events_history h WHERE h.workflow_uuid OPERATOR(pg_catalog.=) $source "
                   "AND h.function_id OPERATOR(pg_catalog.<) $start_step ORDER BY h.key, h.function_id DESC",
                   p->quoted_schema, p->quoted_schema);
}

void steps_text(const Profile *p, StatementId, StringInfo sql) {
  const char *opt[][2] = {{"child_workflow_id", "pg_catalog.text"},
                          {"started_at_epoch_ms", "pg_catalog.int8"},
                          {"completed_at_epoch_ms", "pg_catalog.int8"},
                          {"serialization", "pg_catalog.text"}};
  appendStringInfoString(sql,
                         "SELECT function_id::pg_catalog.int4, function_name::pg_catalog.text, "
                         "output::pg_catalog.text, error::pg_catalog.text");
  for (auto &o : opt) {
    if (table_has_column(p, T_STEPS, o[0]))
      appendStringInfo(sql, ", %s::%s", o[0], o[1]);
    else
      appendStringInfo(sql, ", NULL::%s", o[1]);
  }
  appendStringInfo(sql,
                   " FROM %s.operation_outputs WHERE workflow_uuid OPERATOR(pg_catalog.=) $id ORDER BY function_id",
                   p->quoted_schema);
}

void events_all_text(const Profile *p, StatementId, StringInfo sql) {
  appendStringInfo(sql,
                   "SELECT key, value, serialization FROM %s.workflow_events "
                   "WHERE workflow_uuid OPERATOR(pg_catalog.=) $id ORDER BY key",
                   p->quoted_schema);
}

void stream_text(const Profile *p, StatementId, StringInfo sql) {
  appendStringInfo(sql,
                   "SELECT \"offset\"::pg_catalog.int4, value, serialization FROM %s.streams "
                   "WHERE workflow_uuid OPERATOR(pg_catalog.=) $id AND key OPERATOR(pg_catalog.=) $key "
                   "AND \"offset\" OPERATOR(pg_catalog.>=) $from_offset ORDER BY \"offset\"",
                   p->quoted_schema);
}

struct StatementDef {
  StatementId id;
  const Param *params;
  int param_count;
  void (*text)(const Profile *p, StatementId id, StringInfo sql);
};
#define PARAMS(list) list, (int)lengthof(list)

// Every statement, in StatementId order.
const StatementDef kCatalogue[] = {
    {S_ENQUEUE, PARAMS(kEnqueueParams), enqueue_text},
    {S_ENQUEUE_NEW, PARAMS(kEnqueueParams), enqueue_text},
    {S_ENQUEUE_INPUT, PARAMS(kEnqueueParams), enqueue_input_text},
    {S_ENQUEUE_INPUT_NEW, PARAMS(kEnqueueParams), enqueue_input_text},
    {S_INPUT_EXISTS, PARAMS(kIdParam), input_exists_text},
    {S_WORKFLOW_LOOKUP, PARAMS(kIdParam), workflow_lookup_text},
    {S_DEDUP_LOOKUP, PARAMS(kDedupParams), dedup_lookup_text},
    {S_QUEUE_EXISTS, PARAMS(kQueueParam), queue_exists_text},
    {S_SEND, PARAMS(kSendParams), send_text},
    {S_WORKFLOW_XMIN, PARAMS(kIdParam), workflow_xmin_text},
    {S_EVENT, PARAMS(kEventParams), event_text},
    {S_RESULT, PARAMS(kIdParam), result_text},
    {S_STATUS, PARAMS(kIdParam), status_text},
    {S_ENQUEUE_BULK, PARAMS(kBulkParams), enqueue_bulk_text},
    {S_ENQUEUE_BULK_INPUT, PARAMS(kBulkParams), enqueue_bulk_input_text},
    {S_ENQUEUE_BULK_NEW, PARAMS(kBulkParams), enqueue_bulk_text},
    {S_ENQUEUE_BULK_NEW_INPUT, PARAMS(kBulkParams), enqueue_bulk_input_text},
    {S_CANCEL, PARAMS(kManyParams), cancel_text},
    {S_RESUME, PARAMS(kManyParams), resume_text},
    {S_DELETE, PARAMS(kManyParams), delete_text},
    {S_EXISTING, PARAMS(kManyParams), existing_text},
    {S_SET_PRIORITY, PARAMS(kPriorityParams), set_priority_text},
    {S_FORK, PARAMS(kForkParams), fork_text},
    {S_FORK_STEPS, PARAMS(kForkCopyParams), fork_steps_text},
    {S_FORK_STREAMS, PARAMS(kForkCopyParams), fork_streams_text},
    {S_FORK_HISTORY, PARAMS(kForkCopyParams), fork_history_text},
    {S_FORK_EVENTS, PARAMS(kForkCopyParams), fork_events_text},
    {S_LIST, PARAMS(kListParams), list_text},
    {S_LIST_DESC, PARAMS(kListParams), list_text},
    {S_LIST_QUEUED, PARAMS(kListParams), list_text},
    {S_LIST_QUEUED_DESC, PARAMS(kListParams), list_text},
    {S_STEPS, PARAMS(kIdParam), steps_text},
    {S_EVENTS_ALL, PARAMS(kIdParam), events_all_text},
    {S_STREAM, PARAMS(kStreamParams), stream_text},
    {S_DEBOUNCE_BOUNCE, PARAMS(kDebounceParams), debounce_bounce_text},
    {S_DEBOUNCE_INPUT, PARAMS(kDebounceParams), debounce_input_text},
    {S_DEBOUNCE_HOLDER, PARAMS(kDebounceParams), debounce_holder_text},
    {S_DEBOUNCE_MARK, PARAMS(kDebounceParams), debounce_mark_text},
    {S_SCHED_OWNER, PARAMS(kScheduleParams), schedule_text},
    {S_SCHED_INSERT, PARAMS(kScheduleParams), schedule_text},
    {S_SCHED_UPSERT, PARAMS(kScheduleParams), schedule_text},
    {S_SCHED_GET, PARAMS(kScheduleParams), schedule_text},
    {S_SCHED_LIST, PARAMS(kScheduleParams), schedule_text},
    {S_SCHED_UPDATE, PARAMS(kScheduleParams), schedule_text},
    {S_SCHED_SET_STATUS, PARAMS(kScheduleParams), schedule_text},
    {S_SCHED_DELETE, PARAMS(kScheduleParams), schedule_text},
    {S_SCHED_TRIGGER_INPUTS, PARAMS(kScheduleParams), schedule_text},
    {S_SCHED_MARK, PARAMS(kScheduleParams), schedule_text},
    {S_QUEUE_OWNER, PARAMS(kQueueParams), queue_text},
    {S_QUEUE_INSERT, PARAMS(kQueueParams), queue_text},
    {S_QUEUE_UPSERT, PARAMS(kQueueParams), queue_text},
    {S_QUEUE_GET, PARAMS(kQueueParams), queue_text},
    {S_QUEUE_LIST, PARAMS(kQueueParams), queue_text},
    {S_QUEUE_DELETE, PARAMS(kQueueParams), queue_text},
    {S_QUEUE_STATS, PARAMS(kQueueParams), queue_text},
    {S_VERSIONS, PARAMS(kVersionParams), version_text},
    {S_SET_DELAY, PARAMS(kVersionParams), version_text},
    {S_WAIT_MANY, PARAMS(kWaitManyParams), wait_many_text},
    {S_STREAM_OFFSET, PARAMS(kWaitManyParams), wait_many_text},
};
static_assert(lengthof(kCatalogue) == S_COUNT, "one catalogue entry per StatementId");

// Replaces each $name of `text` by $n, n being the position of `name` in the parameter list.
char *number_parameters(const StatementDef &def, const char *text) {
  StringInfoData out;
  initStringInfo(&out);
  for (const char *c = text; *c;) {
    if (c[0] != '$' || !(c[1] >= 'a' && c[1] <= 'z')) {
      appendStringInfoChar(&out, *c++);
      continue;
    }
    const char *name = ++c;
    while ((*c >= 'a' && *c <= 'z') || *c == '_') c++;
    int found = -1;
    for (int i = 0; i < def.param_count && found < 0; i++)
      if (strlen(def.params[i].name) == (size_t)(c - name) && strncmp(def.params[i].name, name, c - name) == 0)
        found = i;
    if (found < 0) elog(ERROR, "dbos_client statement %d names an unknown parameter \"$%.*s\"", def.id, (int)(c - name), name);
    appendStringInfo(&out, "$%d", found + 1);
  }
  return out.data;
}

SPIPlanPtr plans[S_COUNT];
uint64 plans_generation = 0;
// Plans of an older profile. A call further up the stack may be running one (a trigger on a
// DBOS table calling dbos.* again after DDL), so they are freed when the transaction ends.
List *retired_plans = NIL;  // in TopMemoryContext

void free_retired_plans(XactEvent event, void *) {
  if (event != XACT_EVENT_COMMIT && event != XACT_EVENT_ABORT && event != XACT_EVENT_PREPARE &&
      event != XACT_EVENT_PARALLEL_COMMIT && event != XACT_EVENT_PARALLEL_ABORT)
    return;
  ListCell *lc;
  foreach (lc, retired_plans) SPI_freeplan((SPIPlanPtr)lfirst(lc));
  list_free(retired_plans);
  retired_plans = NIL;
}

}  // namespace

void register_statement_callbacks() { RegisterXactCallback(free_retired_plans, nullptr); }

SPIPlanPtr statement(const Profile *profile, StatementId id) {
  if (plans_generation != profile->generation) {
    MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);
    for (SPIPlanPtr &plan : plans) {
      if (plan) retired_plans = lappend(retired_plans, plan);
      plan = nullptr;
    }
    MemoryContextSwitchTo(old);
    plans_generation = profile->generation;
  }
  if (plans[id]) return plans[id];

  const StatementDef &def = kCatalogue[id];
  if (def.id != id) elog(ERROR, "dbos_client statement catalogue out of order at %d", (int)id);
  StringInfoData text;
  initStringInfo(&text);
  def.text(profile, id, &text);
  char *sql = number_parameters(def, text.data);
  Oid types[32];
  for (int i = 0; i < def.param_count; i++) types[i] = def.params[i].type;
  SPIPlanPtr plan = SPI_prepare(sql, def.param_count, types);
  if (!plan)
    elog(ERROR, "could not prepare dbos_client statement: %s (%s)", SPI_result_code_string(SPI_result), sql);
  if (SPI_keepplan(plan) != 0) elog(ERROR, "could not keep dbos_client statement");
  plans[id] = plan;
  return plan;
}

// PostgreSQL's own refusal names the INSERT or the function, not where a write can go.
void refuse_write_on_standby() {
  if (!RecoveryInProgress()) return;
  ereport(ERROR, (errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
                  errmsg("cannot write DBOS system tables on a hot standby"),
                  errdetail("This server is in recovery; the standby replays what the primary writes."),
                  errhint("Connect to the primary server to enqueue, send or manage workflows; "
                          "reads and waits work here.")));
}

// Whether a prepared statement changes rows (its own command or a data-modifying WITH).
static bool plan_writes(SPIPlanPtr plan) {
  ListCell *lc;
  foreach (lc, SPI_plan_get_plan_sources(plan)) {
    CachedPlanSource *source = (CachedPlanSource *)lfirst(lc);
    ListCell *qc;
    foreach (qc, source->query_list) {
      Query *query = lfirst_node(Query, qc);
      if (query->commandType != CMD_SELECT || query->hasModifyingCTE) return true;
    }
  }
  return false;
}

void run_statement(SPIPlanPtr plan, Datum *values, const char *nulls, bool read_only, int expected) {
  if (RecoveryInProgress() && plan_writes(plan)) refuse_write_on_standby();
  int rc = SPI_execute_plan(plan, values, nulls, read_only, 0);
  if (rc == SPI_OK_REWRITTEN)
    ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
                    errmsg("a rule on a DBOS system table rewrote a dbos_client statement"),
                    errdetail("DBOS tables must store what is written to them."),
                    errhint("Drop the rule from the DBOS system table.")));
  if (rc != expected) elog(ERROR, "dbos_client statement failed: %s", SPI_result_code_string(rc));
}

Datum text_or_null(const char *s, char *nulls, int i) {
  nulls[i] = s ? ' ' : 'n';
  return s ? CStringGetTextDatum(s) : (Datum)0;
}

void copy_spi_columns(HeapTuple row, TupleDesc spi_desc, TupleDesc out, Datum *values, bool *nulls) {
  for (int c = 0; c < out->natts; c++) {
    Form_pg_attribute a = TupleDescAttr(out, c);
    Datum d = SPI_getbinval(row, spi_desc, c + 1, &nulls[c]);
    values[c] = nulls[c] ? (Datum)0 : datumCopy(d, a->attbyval, a->attlen);
  }
}

Datum copy_spi_row(HeapTuple row, TupleDesc spi_desc, TupleDesc out, MemoryContext caller) {
  MemoryContext spi = MemoryContextSwitchTo(caller);
  Datum *values = (Datum *)palloc(sizeof(Datum) * out->natts);
  bool *nulls = (bool *)palloc(sizeof(bool) * out->natts);
  copy_spi_columns(row, spi_desc, out, values, nulls);
  Datum result = HeapTupleGetDatum(heap_form_tuple(out, values, nulls));
  MemoryContextSwitchTo(spi);
  return result;
}

void materialize_spi_result(FunctionCallInfo fcinfo, MemoryContext caller, RowFn convert, int64 max_rows) {
  ReturnSetInfo *rsinfo = (ReturnSetInfo *)fcinfo->resultinfo;
  TupleDesc out = rsinfo->setDesc;
  Datum *values = (Datum *)palloc(sizeof(Datum) * out->natts);
  bool *nulls = (bool *)palloc(sizeof(bool) * out->natts);
  uint64 n = SPI_processed;
  SPITupleTable *table = SPI_tuptable;
  for (uint64 i = 0; i < n && (max_rows < 0 || (int64)i < max_rows); i++) {
    MemoryContext spi = MemoryContextSwitchTo(caller);
    if (convert)
      convert(table->vals[i], table->tupdesc, values, nulls);
    else
      copy_spi_columns(table->vals[i], table->tupdesc, out, values, nulls);
    tuplestore_putvalues(rsinfo->setResult, out, values, nulls);
    MemoryContextSwitchTo(spi);
  }
}

}  // namespace dbos_client
