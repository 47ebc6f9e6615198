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

void enqueue_text(const Profile *p, StringInfo sql) {
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
  if (p->input_table) {
    // The input row is written only when this call created the status row (DO NOTHING,
    // as DBOS: the first input row of an ID wins).
    appendStringInfo(sql,
                     "WITH created AS (INSERT INTO %s.workflow_status (%s) VALUES (%s) "
                     "ON CONFLICT DO NOTHING RETURNING workflow_uuid), "
                     "input AS (INSERT INTO %s.workflow_input (workflow_uuid, inputs%s) "
                     "SELECT workflow_uuid, $13%s FROM created ON CONFLICT DO NOTHING) "
                     "SELECT 1 FROM created",
                     s, cols.data, vals.data, s, p->input_retention ? ", retention_timestamp" : "",
                     p->input_retention ? ", $12" : "");
  } else {
    appendStringInfo(sql, "INSERT INTO %s.workflow_status (%s) VALUES (%s) ON CONFLICT DO NOTHING",
                     s, cols.data, vals.data);
  }
}

// Many rows at once from parameter arrays (statement-level triggers): the same columns
// as enqueue_text, one INSERT ... SELECT FROM unnest per batch.
void enqueue_bulk_text(const Profile *p, StringInfo sql) {
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
                           ", CASE WHEN $16 OPERATOR(pg_catalog.>) 0 "
                           "THEN r.created_at OPERATOR(pg_catalog.+) $16 END");
  }
  if (p->app_name) {
    appendStringInfoString(&cols, ", application_name");
    appendStringInfoString(&vals, ", $17");
  }
  if (p->creator_xid) {
    appendStringInfoString(&cols, ", creator_xid");
    appendStringInfoString(&vals, ", r.creator");
  }
  appendStringInfo(sql,
                   "WITH rows AS (SELECT * FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), "
                   "pg_catalog.unnest($3), pg_catalog.unnest($4), pg_catalog.unnest($5), "
                   "pg_catalog.unnest($6)) AS r(id, inputs, created_at, dedup, part, creator)), "
                   "created AS (INSERT INTO %s.workflow_status (%s) SELECT %s FROM rows r "
                   "ON CONFLICT DO NOTHING RETURNING workflow_uuid)",
                   s, cols.data, vals.data);
  if (p->input_table)
    appendStringInfo(sql,
                     ", input AS (INSERT INTO %s.workflow_input (workflow_uuid, inputs%s) "
                     "SELECT r.id, r.inputs%s FROM rows r JOIN created c "
                     "ON c.workflow_uuid OPERATOR(pg_catalog.=) r.id ON CONFLICT DO NOTHING)",
                     s, p->input_retention ? ", retention_timestamp" : "",
                     p->input_retention ? ", r.created_at" : "");
  appendStringInfoString(sql, " SELECT workflow_uuid FROM created");
}

void status_text(const Profile *p, StringInfo sql) {
  const char *s = p->quoted_schema;
  // Columns in dbos.workflow_info order; absent columns read as NULL of their type.
  static const struct {
    const char *column;
    const char *expr;   // %s = the column reference
    const char *type;   // for a missing column
  } cols[kStatusPlainColumns] = {
      {"workflow_uuid", "%s", "text"},
      {"status", "%s", "text"},
      {"name", "%s", "text"},
      {"class_name", "%s::pg_catalog.text", "text"},
      {"config_name", "%s::pg_catalog.text", "text"},
      {"queue_name", "%s", "text"},
      {"deduplication_id", "%s", "text"},
      {"priority", "%s", "int4"},
      {"queue_partition_key", "%s", "text"},
      {"application_version", "%s", "text"},
      {"application_name", "%s", "text"},
      {"executor_id", "%s", "text"},
      {"authenticated_user", "%s", "text"},
      {"recovery_attempts", "%s::pg_catalog.int8", "int8"},
      {"created_at", "pg_catalog.to_timestamp(%s OPERATOR(pg_catalog./) 1000.0)", "timestamptz"},
      {"updated_at", "pg_catalog.to_timestamp(%s OPERATOR(pg_catalog./) 1000.0)", "timestamptz"},
      {"started_at_epoch_ms", "pg_catalog.to_timestamp(%s OPERATOR(pg_catalog./) 1000.0)", "timestamptz"},
      {"completed_at", "pg_catalog.to_timestamp(%s OPERATOR(pg_catalog./) 1000.0)", "timestamptz"},
      {"workflow_timeout_ms", "pg_catalog.make_interval(secs => %s OPERATOR(pg_catalog./) 1000.0)", "interval"},
      {"workflow_deadline_epoch_ms", "pg_catalog.to_timestamp(%s OPERATOR(pg_catalog./) 1000.0)", "timestamptz"},
      {"delay_until_epoch_ms", "pg_catalog.to_timestamp(%s OPERATOR(pg_catalog./) 1000.0)", "timestamptz"},
      {"parent_workflow_id", "%s", "text"},
      {"forked_from", "%s", "text"},
      {"attributes", "%s", "jsonb"},
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
                     ", COALESCE(wi.inputs, %s), COALESCE(wo.output, ws.output), "
                     "COALESCE(wo.error, ws.error), ws.serialization "
                     "FROM %s.workflow_status ws "
                     "LEFT JOIN %s.workflow_input wi ON wi.workflow_uuid OPERATOR(pg_catalog.=) ws.workflow_uuid "
                     "LEFT JOIN %s.workflow_output wo ON wo.workflow_uuid OPERATOR(pg_catalog.=) ws.workflow_uuid "
                     "WHERE ws.workflow_uuid OPERATOR(pg_catalog.=) $1",
                     legacy_in, s, s, s);
  else
    appendStringInfo(sql,
                     ", %s, ws.output, ws.error, ws.serialization FROM %s.workflow_status ws "
                     "WHERE ws.workflow_uuid OPERATOR(pg_catalog.=) $1",
                     legacy_in, s);
}

Text build(const Profile *p, StatementId id) {
  const char *s = p->quoted_schema;
  StringInfoData sql;
  initStringInfo(&sql);
  Text t;
  t.nargs = 1;
  for (Oid &type : t.types) type = TEXTOID;
  switch (id) {
    case S_ENQUEUE:
      enqueue_text(p, &sql);
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
    case S_ENQUEUE_BULK:
      enqueue_bulk_text(p, &sql);
      t.nargs = BP_COUNT;
      t.types[BP_IDS] = t.types[BP_INPUTS] = t.types[BP_DEDUP] = t.types[BP_PARTITION] =
          t.types[BP_CREATOR_XID] = TEXTARRAYOID;
      t.types[BP_CREATED_AT] = INT8ARRAYOID;
      t.types[BP_PRIORITY] = INT4OID;
      t.types[BP_TIMEOUT_MS] = t.types[BP_DELAY_MS] = INT8OID;
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
  if (rc != expected) elog(ERROR, "dbos_client statement failed: %s", SPI_result_code_string(rc));
}

Datum text_or_null(const char *s, char *nulls, int i) {
  nulls[i] = s ? ' ' : 'n';
  return s ? CStringGetTextDatum(s) : (Datum)0;
}

}  // namespace dbos_client
