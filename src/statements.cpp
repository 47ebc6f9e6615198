// The SQL text of every statement on the DBOS tables, prepared once per schema profile and
// kept. The plan cache re-plans under the caller's search_path, so every operator, function
// and type below is qualified with pg_catalog: no object a caller creates can be picked up.
#include "dbos_client.hpp"

extern "C" {
#include "lib/stringinfo.h"
}

namespace dbos_client {
namespace {

SPIPlanPtr plans[S_COUNT];
uint64 plans_generation = 0;

struct Text {
  const char *sql;
  int nargs;
  Oid types[32];  // at least EP_COUNT, BP_COUNT and SP_COUNT
};

void enqueue_text(const Profile *p, StringInfo sql, bool can_conflict) {
  const char *s = p->quoted_schema;
  StringInfoData cols, vals;
  initStringInfo(&cols);
  initStringInfo(&vals);
  appendStringInfoString(&cols,
                         "workflow_uuid, status, name, class_name, config_name, queue_name, "
                         "application_version, recovery_attempts, priority, deduplication_id, "
                         "workflow_timeout_ms, serialization, created_at, updated_at");
  appendStringInfoString(&vals, "$1, $2, $3, $4, $5, $6, $7, 0, $8, $9, $10, $11, $12, $12");
  if (!p->input_table) {
    appendStringInfoString(&cols, ", inputs");
    appendStringInfoString(&vals, ", $13");
  }
  if (p->partition) {
    appendStringInfoString(&cols, ", queue_partition_key");
    appendStringInfoString(&vals, ", $14");
  }
  if (p->delay) {
    appendStringInfoString(&cols, ", delay_until_epoch_ms");
    appendStringInfoString(&vals, ", $15");
  }
  if (p->app_name) {
    appendStringInfoString(&cols, ", application_name");
    appendStringInfoString(&vals, ", $16");
  }
  if (p->creator_xid) {
    appendStringInfoString(&cols, ", creator_xid");
    appendStringInfoString(&vals, ", $17");
  }
  // ON CONFLICT DO NOTHING with no target covers the primary key and the deduplication
  // index alike: no error, no subtransaction, and no lock on someone else's row.
  // Two plain statements run faster than one data-modifying CTE (measured: the CTE's
  // extra nodes and its deferred ModifyTable cost ~20% of a bulk enqueue).
  appendStringInfo(sql, "INSERT INTO %s.workflow_status (%s) VALUES (%s)%s", s, cols.data, vals.data,
                   can_conflict ? " ON CONFLICT DO NOTHING" : "");
}

// Many rows at once from parameter arrays (statement-level triggers): the same columns
// as enqueue_text, one INSERT ... SELECT FROM unnest per batch.
void enqueue_bulk_text(const Profile *p, StringInfo sql, bool can_conflict) {
  const char *s = p->quoted_schema;
  StringInfoData cols, vals;
  initStringInfo(&cols);
  initStringInfo(&vals);
  appendStringInfoString(&cols,
                         "workflow_uuid, status, name, class_name, config_name, queue_name, "
                         "application_version, recovery_attempts, priority, deduplication_id, "
                         "workflow_timeout_ms, serialization, created_at, updated_at");
  appendStringInfoString(&vals,
                         "r.id, $7, $8, $9, $10, $11, $12, 0, $13, r.dedup, $14, $15, r.created_at, "
                         "r.created_at");
  if (!p->input_table) {
    appendStringInfoString(&cols, ", inputs");
    appendStringInfoString(&vals, ", r.inputs");
  }
  if (p->partition) {
    appendStringInfoString(&cols, ", queue_partition_key");
    appendStringInfoString(&vals, ", r.part");
  }
  if (p->delay) {
    appendStringInfoString(&cols, ", delay_until_epoch_ms");
    appendStringInfoString(&vals,
                           ", CASE WHEN $16 OPERATOR(pg_catalog.>) 0 THEN $16 END");  // delay until
  }
  if (p->app_name) {
    appendStringInfoString(&cols, ", application_name");
    appendStringInfoString(&vals, ", $17");
  }
  if (p->creator_xid) {
    appendStringInfoString(&cols, ", creator_xid");
    appendStringInfoString(&vals, ", r.creator");
  }
  // New UUIDs and no deduplication IDs meet no unique index: a plain INSERT (the ON CONFLICT
  // checks cost a fifth of a bulk enqueue). Otherwise the rows written are returned.
  appendStringInfo(sql,
                   "INSERT INTO %s.workflow_status (%s) SELECT %s FROM ROWS FROM (pg_catalog.unnest($1), "
                   "pg_catalog.unnest($2), pg_catalog.unnest($3), pg_catalog.unnest($4), "
                   "pg_catalog.unnest($5), pg_catalog.unnest($6)) AS r(id, inputs, created_at, dedup, part, creator)%s",
                   s, cols.data, vals.data, can_conflict ? " ON CONFLICT DO NOTHING RETURNING workflow_uuid" : "");
}

const char *const kMsToTimestamp = "pg_catalog.to_timestamp(%s::pg_catalog.int8 OPERATOR(pg_catalog./) 1000.0)";

// The workflow_info columns (24 plain, then input, output, error, serialization) of
// `FROM ... ws`; load_input/load_output are SQL boolean expressions.
void status_columns(const Profile *p, StringInfo sql, const char *load_input, const char *load_output) {
  // Columns in dbos.workflow_info order; absent columns read as NULL of their type.
  static const struct {
    const char *column;
    const char *expr;   // %s = the column reference
    const char *type;   // for a missing column
  } cols[kStatusPlainColumns] = {
      // Every column is cast to the workflow_info type: a schema with other column types
      // must give a cast error, never a Datum of the wrong type.
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
    if (status_has_column(p, cols[i].column)) {
      char *ref = psprintf("ws.%s", cols[i].column);
      appendStringInfo(sql, cols[i].expr, ref);
    } else {
      appendStringInfo(sql, "NULL::pg_catalog.%s", cols[i].type);
    }
  }
  const char *legacy_in = p->legacy_inputs ? "ws.inputs" : "NULL::pg_catalog.text";
  if (p->input_table)
    appendStringInfo(sql,
                     ", CASE WHEN %s THEN COALESCE(wi.inputs, %s) END, "
                     "CASE WHEN %s THEN COALESCE(wo.output, ws.output) END, "
                     "CASE WHEN %s THEN COALESCE(wo.error, ws.error) END, ws.serialization "
                     "FROM %s.workflow_status ws "
                     "LEFT JOIN %s.workflow_input wi ON %s AND wi.workflow_uuid OPERATOR(pg_catalog.=) ws.workflow_uuid "
                     "LEFT JOIN %s.workflow_output wo ON %s AND wo.workflow_uuid OPERATOR(pg_catalog.=) ws.workflow_uuid ",
                     load_input, legacy_in, load_output, load_output, p->quoted_schema, p->quoted_schema,
                     load_input, p->quoted_schema, load_output);
  else
    appendStringInfo(sql,
                     ", CASE WHEN %s THEN %s END, CASE WHEN %s THEN ws.output END, "
                     "CASE WHEN %s THEN ws.error END, ws.serialization FROM %s.workflow_status ws ",
                     load_input, legacy_in, load_output, load_output, p->quoted_schema);
}

void status_text(const Profile *p, StringInfo sql) {
  status_columns(p, sql, "true", "true");
  appendStringInfoString(sql, "WHERE ws.workflow_uuid OPERATOR(pg_catalog.=) $1");
}

// list_workflows / list_queued_workflows: every filter optional (NULL: no filter).
void list_text(const Profile *p, StringInfo sql, bool queued, bool descending) {
  status_columns(p, sql, "$9", "$10");
  appendStringInfoString(sql,
                         "WHERE ($1 IS NULL OR ws.status OPERATOR(pg_catalog.=) ANY ($1)) "
                         "AND ($2 IS NULL OR ws.name OPERATOR(pg_catalog.=) $2) "
                         "AND ($3 IS NULL OR ws.queue_name OPERATOR(pg_catalog.=) $3) "
                         "AND ($4 IS NULL OR ws.application_version OPERATOR(pg_catalog.=) $4) "
                         "AND ($5 IS NULL OR ws.created_at OPERATOR(pg_catalog.>=) $5) "
                         "AND ($6 IS NULL OR ws.created_at OPERATOR(pg_catalog.<=) $6) ");
  if (queued)
    appendStringInfoString(sql,
                           "AND ws.queue_name IS NOT NULL AND ws.status OPERATOR(pg_catalog.=) ANY "
                           "('{ENQUEUED,PENDING,DELAYED}'::pg_catalog.text[]) ");
  appendStringInfo(sql, "ORDER BY ws.created_at %s, ws.workflow_uuid %s LIMIT $7 OFFSET $8",
                   descending ? "DESC" : "ASC", descending ? "DESC" : "ASC");
}

// "SET a = x, b = y" for the columns of workflow_status that exist (a management UPDATE
// must not name a column an older schema lacks).
void set_list(const Profile *p, StringInfo sql, const char *const *assignments, int count) {
  bool first = true;
  for (int i = 0; i < count; i += 2) {
    if (!status_has_column(p, assignments[i])) continue;
    appendStringInfo(sql, "%s%s = %s", first ? " SET " : ", ", assignments[i], assignments[i + 1]);
    first = false;
  }
}

const char *kNotFinished =
    "NOT (status OPERATOR(pg_catalog.=) ANY ('{SUCCESS,ERROR}'::pg_catalog.text[]))";

void fork_text(const Profile *p, StringInfo sql) {
  const char *s = p->quoted_schema;
  // Copied from the source: [column, expression over src].
  static const char *const copied[] = {
      "name", "src.name", "class_name", "src.class_name", "config_name", "src.config_name",
      "authenticated_user", "src.authenticated_user", "assumed_role", "src.assumed_role",
      "authenticated_roles", "src.authenticated_roles", "application_id", "src.application_id",
      "serialization", "src.serialization", "attributes", "src.attributes",
      "application_version", "COALESCE($3, src.application_version)",
      "application_name", "COALESCE(src.application_name, $5)", "forked_from", "$1",
  };
  StringInfoData cols, vals;
  initStringInfo(&cols);
  initStringInfo(&vals);
  appendStringInfoString(&cols, "workflow_uuid, status, queue_name, recovery_attempts, priority, created_at, updated_at");
  appendStringInfoString(&vals, "$2, 'ENQUEUED', $4, 0, 0, $6, $6");
  for (size_t i = 0; i < lengthof(copied); i += 2) {
    if (!status_has_column(p, copied[i])) continue;
    appendStringInfo(&cols, ", %s", copied[i]);
    appendStringInfo(&vals, ", %s", copied[i + 1]);
  }
  if (!p->input_table) {
    appendStringInfoString(&cols, ", inputs");
    appendStringInfoString(&vals, ", src.fork_inputs");
  }
  appendStringInfo(sql,
                   "WITH src AS (SELECT ws.*, %s AS fork_inputs FROM %s.workflow_status ws %s "
                   "WHERE ws.workflow_uuid OPERATOR(pg_catalog.=) $1), "
                   "created AS (INSERT INTO %s.workflow_status (%s) SELECT %s FROM src "
                   "ON CONFLICT DO NOTHING RETURNING workflow_uuid)",
                   p->input_table ? (p->legacy_inputs ? "COALESCE(wi.inputs, ws.inputs)" : "wi.inputs")
                                  : "ws.inputs",
                   s,
                   p->input_table ? psprintf("LEFT JOIN %s.workflow_input wi ON wi.workflow_uuid "
                                             "OPERATOR(pg_catalog.=) ws.workflow_uuid", s)
                                  : "",
                   s, cols.data, vals.data);
  if (p->input_table)
    appendStringInfo(sql,
                     ", input AS (INSERT INTO %s.workflow_input (workflow_uuid, inputs) "
                     "SELECT c.workflow_uuid, src.fork_inputs FROM created c, src ON CONFLICT DO NOTHING)",
                     s);
  if (status_has_column(p, "was_forked_from"))
    appendStringInfo(sql,
                     ", mark AS (UPDATE %s.workflow_status SET was_forked_from = true "
                     "WHERE workflow_uuid OPERATOR(pg_catalog.=) $1 AND EXISTS (SELECT 1 FROM created))",
                     s);
  appendStringInfoString(sql, " SELECT workflow_uuid FROM created");
}

// Copies the rows of `table` with function_id below the start step to the fork.
void fork_copy_text(const Profile *p, StringInfo sql, TableId table, const char *const *columns, int count) {
  StringInfoData cols, vals;
  initStringInfo(&cols);
  initStringInfo(&vals);
  for (int i = 0; i < count; i += 2) {
    if (!table_has_column(p, table, columns[i])) continue;
    appendStringInfo(&cols, "%s%s", cols.len ? ", " : "", quote_identifier(columns[i]));
    appendStringInfo(&vals, "%s%s", vals.len ? ", " : "", columns[i + 1]);
  }
  static const char *const names[T_COUNT] = {nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr,
                                             "operation_outputs", "streams", "workflow_events_history"};
  appendStringInfo(sql,
                   "INSERT INTO %s.%s (%s) SELECT %s FROM %s.%s t "
                   "WHERE t.workflow_uuid OPERATOR(pg_catalog.=) $1 AND t.function_id OPERATOR(pg_catalog.<) $3",
                   p->quoted_schema, names[table], cols.data, vals.data, p->quoted_schema, names[table]);
}

Text build(const Profile *p, StatementId id) {
  const char *s = p->quoted_schema;
  StringInfoData sql;
  initStringInfo(&sql);
  Text t;
  t.nargs = 1;
  for (Oid &type : t.types) type = TEXTOID;
  switch (id) {
    case S_ENQUEUE_INPUT:
    case S_ENQUEUE_INPUT_NEW:
      // Only after this call created the status row (DO NOTHING, as DBOS: the first
      // input row of an ID wins).
      appendStringInfo(&sql,
                       "INSERT INTO %s.workflow_input (workflow_uuid, inputs%s) VALUES ($1, $13%s)%s",
                       s, p->input_retention ? ", retention_timestamp" : "", p->input_retention ? ", $12" : "",
                       id == S_ENQUEUE_INPUT ? " ON CONFLICT DO NOTHING" : "");
      t.nargs = EP_COUNT;
      t.types[EP_PRIORITY] = INT4OID;
      t.types[EP_TIMEOUT_MS] = INT8OID;
      t.types[EP_CREATED_AT] = INT8OID;
      t.types[EP_DELAY_UNTIL] = INT8OID;
      break;
    case S_ENQUEUE:
    case S_ENQUEUE_NEW:
      enqueue_text(p, &sql, id == S_ENQUEUE);
      t.nargs = EP_COUNT;
      t.types[EP_PRIORITY] = INT4OID;
      t.types[EP_TIMEOUT_MS] = INT8OID;
      t.types[EP_CREATED_AT] = INT8OID;
      t.types[EP_DELAY_UNTIL] = INT8OID;
      break;
    case S_WORKFLOW_LOOKUP:
      appendStringInfo(&sql,
                       "SELECT name, class_name::pg_catalog.text, config_name::pg_catalog.text, status, queue_name "
                       "FROM %s.workflow_status WHERE workflow_uuid OPERATOR(pg_catalog.=) $1",
                       s);
      break;
    case S_DEDUP_LOOKUP:
      appendStringInfo(&sql,
                       "SELECT workflow_uuid FROM %s.workflow_status "
                       "WHERE queue_name OPERATOR(pg_catalog.=) $1 AND deduplication_id OPERATOR(pg_catalog.=) $2",
                       s);
      t.nargs = 2;
      break;
    case S_QUEUE_EXISTS:
      appendStringInfo(&sql, "SELECT 1 FROM %s.queues WHERE name OPERATOR(pg_catalog.=) $1", s);
      break;
    case S_SEND:
      appendStringInfo(&sql,
                       "INSERT INTO %s.notifications (destination_uuid, topic, message, "
                       "serialization, message_uuid, created_at_epoch_ms) "
                       "SELECT $1, $2, $3, $4, $5, $6 WHERE EXISTS "
                       "(SELECT 1 FROM %s.workflow_status WHERE workflow_uuid OPERATOR(pg_catalog.=) $1) "
                       "ON CONFLICT (message_uuid) DO NOTHING",
                       s, s);
      t.nargs = SP_COUNT;
      t.types[SP_CREATED_AT] = INT8OID;
      break;
    case S_WORKFLOW_XMIN:
      appendStringInfo(&sql, "SELECT xmin FROM %s.workflow_status WHERE workflow_uuid OPERATOR(pg_catalog.=) $1", s);
      break;
    case S_EVENT:
      appendStringInfo(&sql,
                       "SELECT value, serialization FROM %s.workflow_events "
                       "WHERE workflow_uuid OPERATOR(pg_catalog.=) $1 AND key OPERATOR(pg_catalog.=) $2",
                       s);
      t.nargs = 2;
      break;
    case S_RESULT:
      if (p->input_table)
        appendStringInfo(&sql,
                         "SELECT ws.status, COALESCE(wo.output, ws.output), "
                         "COALESCE(wo.error, ws.error), ws.serialization, ws.xmin "
                         "FROM %s.workflow_status ws LEFT JOIN %s.workflow_output wo "
                         "ON wo.workflow_uuid OPERATOR(pg_catalog.=) ws.workflow_uuid WHERE ws.workflow_uuid OPERATOR(pg_catalog.=) $1",
                         s, s);
      else
        appendStringInfo(&sql,
                         "SELECT status, output, error, serialization, xmin "
                         "FROM %s.workflow_status WHERE workflow_uuid OPERATOR(pg_catalog.=) $1",
                         s);
      break;
    case S_STATUS:
      status_text(p, &sql);
      break;
    case S_CANCEL: {
      static const char *const set[] = {
          "status", "'CANCELLED'", "owner_xid", "NULL", "queue_name", "NULL",
          "deduplication_id", "NULL", "started_at_epoch_ms", "NULL", "updated_at", "$2",
          "completed_at", "$2"};
      appendStringInfo(&sql, "UPDATE %s.workflow_status", s);
      set_list(p, &sql, set, lengthof(set));
      appendStringInfo(&sql, " WHERE workflow_uuid OPERATOR(pg_catalog.=) $1 AND %s", kNotFinished);
      t.nargs = 2;
      t.types[1] = INT8OID;
      break;
    }
    case S_RESUME: {
      static const char *const set[] = {
          "status", "'ENQUEUED'", "owner_xid", "NULL", "queue_name", "$2", "recovery_attempts", "0",
          "workflow_deadline_epoch_ms", "NULL", "deduplication_id", "NULL",
          "started_at_epoch_ms", "NULL", "updated_at", "$3", "completed_at", "NULL"};
      appendStringInfo(&sql, "UPDATE %s.workflow_status", s);
      set_list(p, &sql, set, lengthof(set));
      appendStringInfo(&sql, " WHERE workflow_uuid OPERATOR(pg_catalog.=) $1 AND %s", kNotFinished);
      t.nargs = 3;
      t.types[2] = INT8OID;
      break;
    }
    case S_SET_PRIORITY:
      appendStringInfo(&sql,
                       "UPDATE %s.workflow_status SET priority = $2, updated_at = $3 "
                       "WHERE workflow_uuid OPERATOR(pg_catalog.=) $1 AND status OPERATOR(pg_catalog.=) "
                       "ANY ('{ENQUEUED,DELAYED}'::pg_catalog.text[])",
                       s);
      t.nargs = 3;
      t.types[1] = INT4OID;
      t.types[2] = INT8OID;
      break;
    case S_DELETE: {
      // The payload tables and (from 112) operation_outputs have no foreign key: delete them
      // explicitly; the status delete cascades to notifications, events and streams.
      appendStringInfo(&sql, "WITH RECURSIVE tree(id) AS (SELECT $1::pg_catalog.text");
      if (status_has_column(p, "parent_workflow_id"))
        appendStringInfo(&sql,
                         " UNION SELECT ws.workflow_uuid FROM %s.workflow_status ws JOIN tree "
                         "ON ws.parent_workflow_id OPERATOR(pg_catalog.=) tree.id WHERE $2",
                         s);
      appendStringInfoString(&sql, ")");
      const TableId payload[] = {T_INPUT, T_OUTPUT, T_STEPS};
      const char *const names[] = {"workflow_input", "workflow_output", "operation_outputs"};
      for (int i = 0; i < 3; i++)
        if (OidIsValid(p->relid[payload[i]]))
          appendStringInfo(&sql,
                           ", d%d AS (DELETE FROM %s.%s WHERE workflow_uuid OPERATOR(pg_catalog.=) "
                           "ANY (SELECT id FROM tree))",
                           i, s, names[i]);
      appendStringInfo(&sql,
                       " DELETE FROM %s.workflow_status WHERE workflow_uuid OPERATOR(pg_catalog.=) "
                       "ANY (SELECT id FROM tree)",
                       s);
      t.nargs = 2;
      t.types[1] = BOOLOID;
      break;
    }
    case S_FORK:
      fork_text(p, &sql);
      t.nargs = 6;
      t.types[5] = INT8OID;
      break;
    case S_FORK_STEPS: {
      // The fork's owner, as its status row got it: the source's, or this application's.
      const char *owner = p->app_name ? psprintf("(SELECT f.application_name FROM %s.workflow_status f "
                                                 "WHERE f.workflow_uuid OPERATOR(pg_catalog.=) $2)", s)
                                      : "NULL";
      const char *const cols[] = {
          "workflow_uuid", "$2", "function_id", "t.function_id", "function_name", "t.function_name",
          "output", "t.output", "error", "t.error", "serialization", "t.serialization",
          "child_workflow_id", "t.child_workflow_id", "started_at_epoch_ms", "t.started_at_epoch_ms",
          "completed_at_epoch_ms", "t.completed_at_epoch_ms", "application_name", owner,
          "retention_timestamp", "$4"};
      fork_copy_text(p, &sql, T_STEPS, cols, lengthof(cols));
      t.nargs = 4;
      t.types[2] = INT4OID;
      t.types[3] = INT8OID;
      break;
    }
    case S_FORK_STREAMS: {
      static const char *const cols[] = {"workflow_uuid", "$2", "key", "t.key", "value", "t.value",
                                         "serialization", "t.serialization", "offset", "t.\"offset\"",
                                         "function_id", "t.function_id"};
      fork_copy_text(p, &sql, T_STREAMS, cols, lengthof(cols));
      t.nargs = 3;
      t.types[2] = INT4OID;
      break;
    }
    case S_FORK_HISTORY: {
      static const char *const cols[] = {"workflow_uuid", "$2", "function_id", "t.function_id", "key", "t.key",
                                         "value", "t.value", "serialization", "t.serialization"};
      fork_copy_text(p, &sql, T_EVENTS_HISTORY, cols, lengthof(cols));
      t.nargs = 3;
      t.types[2] = INT4OID;
      break;
    }
    case S_FORK_EVENTS:
      // The latest value of each key published before the start step.
      appendStringInfo(&sql,
                       "INSERT INTO %s.workflow_events (workflow_uuid, key, value, serialization) "
                       "SELECT DISTINCT ON (h.key) $2, h.key, h.value, h.serialization "
                       "FROM %s.workflow_events_history h WHERE h.workflow_uuid OPERATOR(pg_catalog.=) $1 "
                       "AND h.function_id OPERATOR(pg_catalog.<) $3 "
                       "ORDER BY h.key, h.function_id DESC",
                       s, s);
      t.nargs = 3;
      t.types[2] = INT4OID;
      break;
    case S_LIST:
    case S_LIST_DESC:
    case S_LIST_QUEUED:
    case S_LIST_QUEUED_DESC:
      list_text(p, &sql, id == S_LIST_QUEUED || id == S_LIST_QUEUED_DESC,
                id == S_LIST_DESC || id == S_LIST_QUEUED_DESC);
      t.nargs = LP_COUNT;
      t.types[LP_STATUS] = TEXTARRAYOID;
      t.types[LP_CREATED_AFTER] = t.types[LP_CREATED_BEFORE] = t.types[LP_LIMIT] = t.types[LP_OFFSET] = INT8OID;
      t.types[LP_LOAD_INPUT] = t.types[LP_LOAD_OUTPUT] = BOOLOID;
      break;
    case S_STEPS: {
      const char *opt[][2] = {{"child_workflow_id", "pg_catalog.text"},
                              {"started_at_epoch_ms", "pg_catalog.int8"},
                              {"completed_at_epoch_ms", "pg_catalog.int8"},
                              {"serialization", "pg_catalog.text"}};
      appendStringInfoString(&sql,
                             "SELECT function_id::pg_catalog.int4, function_name::pg_catalog.text, "
                             "output::pg_catalog.text, error::pg_catalog.text");
      for (auto &o : opt) {
        if (table_has_column(p, T_STEPS, o[0]))
          appendStringInfo(&sql, ", %s::%s", o[0], o[1]);
        else
          appendStringInfo(&sql, ", NULL::%s", o[1]);
      }
      appendStringInfo(&sql,
                       " FROM %s.operation_outputs WHERE workflow_uuid OPERATOR(pg_catalog.=) $1 "
                       "ORDER BY function_id",
                       s);
      break;
    }
    case S_EVENTS_ALL:
      appendStringInfo(&sql,
                       "SELECT key, value, serialization FROM %s.workflow_events "
                       "WHERE workflow_uuid OPERATOR(pg_catalog.=) $1 ORDER BY key",
                       s);
      break;
    case S_STREAM:
      appendStringInfo(&sql,
                       "SELECT \"offset\"::pg_catalog.int4, value, serialization FROM %s.streams "
                       "WHERE workflow_uuid OPERATOR(pg_catalog.=) $1 AND key OPERATOR(pg_catalog.=) $2 "
                       "AND \"offset\" OPERATOR(pg_catalog.>=) $3 ORDER BY \"offset\"",
                       s);
      t.nargs = 3;
      t.types[2] = INT4OID;
      break;
    case S_ENQUEUE_BULK_NEW_INPUT:
    case S_ENQUEUE_BULK_INPUT:
      // S_ENQUEUE_BULK_INPUT: only the rows flagged as written by S_ENQUEUE_BULK.
      appendStringInfo(&sql,
                       "INSERT INTO %s.workflow_input (workflow_uuid, inputs%s) SELECT r.id, r.inputs%s "
                       "FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), pg_catalog.unnest($3)%s) "
                       "AS r(id, inputs, created_at%s)%s",
                       s, p->input_retention ? ", retention_timestamp" : "", p->input_retention ? ", r.created_at" : "",
                       id == S_ENQUEUE_BULK_INPUT ? ", pg_catalog.unnest($18)" : "",
                       id == S_ENQUEUE_BULK_INPUT ? ", written" : "",
                       id == S_ENQUEUE_BULK_INPUT ? " WHERE r.written ON CONFLICT DO NOTHING" : "");
      t.nargs = BP_COUNT;
      t.types[BP_IDS] = t.types[BP_INPUTS] = t.types[BP_DEDUP] = t.types[BP_PARTITION] =
          t.types[BP_CREATOR_XID] = TEXTARRAYOID;
      t.types[BP_CREATED_AT] = INT8ARRAYOID;
      t.types[BP_PRIORITY] = INT4OID;
      t.types[BP_TIMEOUT_MS] = t.types[BP_DELAY_MS] = INT8OID;
      t.types[BP_CREATED] = BOOLARRAYOID;
      break;
    case S_ENQUEUE_BULK_NEW:
    case S_ENQUEUE_BULK:
      enqueue_bulk_text(p, &sql, id == S_ENQUEUE_BULK);
      t.nargs = BP_COUNT;
      t.types[BP_IDS] = t.types[BP_INPUTS] = t.types[BP_DEDUP] = t.types[BP_PARTITION] =
          t.types[BP_CREATOR_XID] = TEXTARRAYOID;
      t.types[BP_CREATED_AT] = INT8ARRAYOID;
      t.types[BP_PRIORITY] = INT4OID;
      t.types[BP_TIMEOUT_MS] = t.types[BP_DELAY_MS] = INT8OID;
      t.types[BP_CREATED] = BOOLARRAYOID;
      break;
    case S_COUNT:
      elog(ERROR, "invalid statement id");
  }
  t.sql = sql.data;
  return t;
}

}  // namespace

SPIPlanPtr statement(const Profile *profile, StatementId id) {
  if (plans_generation != profile->generation) {
    for (SPIPlanPtr &plan : plans) {
      if (plan) SPI_freeplan(plan);
      plan = nullptr;
    }
    plans_generation = profile->generation;
  }
  if (plans[id]) return plans[id];

  Text t = build(profile, id);
  SPIPlanPtr plan = SPI_prepare(t.sql, t.nargs, t.types);
  if (!plan)
    elog(ERROR, "could not prepare dbos_client statement: %s (%s)", SPI_result_code_string(SPI_result),
         t.sql);
  if (SPI_keepplan(plan) != 0) elog(ERROR, "could not keep dbos_client statement");
  plans[id] = plan;
  return plan;
}

void run_statement(SPIPlanPtr plan, Datum *values, const char *nulls, bool read_only, int expected) {
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

}  // namespace dbos_client
