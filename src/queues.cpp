// Database-backed queues (1.3): the rows of DBOSClient's registerQueue, retrieveQueue,
// deleteQueue and listQueues (TypeScript 5.3) in the DBOS table `queues`, which 5.x workers
// re-read every second to know which queues to dequeue; and dbos.queue_stats, what an operator
// looks at first. Validation is DBOS's (WorkflowQueue.validateQueueRegistration) and so is the
// ownership rule (#resolveRowOwner). Postgres side: only trivially destructible locals.
#include "error_bridge.hpp"
#include "dbos_client.hpp"

extern "C" {
#include "access/htup_details.h"
#include "utils/array.h"
#include "utils/datum.h"
#include "utils/float.h"
}

using namespace dbos_client;

namespace dbos_client {
namespace {

constexpr const char *kReservedPrefix = "_dbos_";

bool has(const Profile *p, const char *column) { return table_has_column(p, T_QUEUES, column); }

// The columns of dbos.queue_info, NULL for those an older schema lacks.
void select_columns(const Profile *p, StringInfo sql) {
  bool part = has(p, "partition_concurrency");
  appendStringInfo(sql,
                   "SELECT name, concurrency, worker_concurrency, rate_limit_max, rate_limit_period_sec, %s, "
                   "%s, %s, %s, %s, polling_interval_sec, %s, "
                   "pg_catalog.to_timestamp(created_at OPERATOR(pg_catalog./) 1000.0), "
                   "pg_catalog.to_timestamp(updated_at OPERATOR(pg_catalog./) 1000.0) FROM %s.queues",
                   // DBOS's queueRecordFromRow: partitioned when any per-partition limit is set.
                   part ? "(partition_concurrency IS NOT NULL OR partition_worker_concurrency IS NOT NULL OR "
                          "(partition_rate_limit_max IS NOT NULL AND partition_rate_limit_period_sec IS NOT NULL))"
                        : "partition_queue",
                   part ? "partition_concurrency" : "NULL::pg_catalog.int4",
                   part ? "partition_worker_concurrency" : "NULL::pg_catalog.int4",
                   part ? "partition_rate_limit_max" : "NULL::pg_catalog.int4",
                   part ? "partition_rate_limit_period_sec" : "NULL::pg_catalog.float8",
                   has(p, "application_name") ? "application_name" : "NULL::pg_catalog.text", p->quoted_schema);
}

}  // namespace

void queue_text(const Profile *p, StatementId id, StringInfo sql) {
  const char *t = p->quoted_schema;
  bool part = has(p, "partition_concurrency"), app = has(p, "application_name");
  switch (id) {
    case S_QUEUE_OWNER:
      appendStringInfo(sql, "SELECT %s FROM %s.queues WHERE name OPERATOR(pg_catalog.=) $name",
                       app ? "application_name" : "NULL::pg_catalog.text", t);
      break;
    case S_QUEUE_INSERT:
    case S_QUEUE_UPSERT:
      // As DBOS's upsertQueue: priority_enabled is vestigial (TRUE), partition_queue says
      // whether any partition limit is set.
      appendStringInfo(sql,
                       "INSERT INTO %s.queues AS q (name, concurrency, worker_concurrency, rate_limit_max, "
                       "rate_limit_period_sec, priority_enabled, partition_queue, polling_interval_sec, updated_at%s%s) "
                       "VALUES ($name, $concurrency, $worker_concurrency, $rate_max, $rate_period, true, $partitioned, "
                       "$polling, $now_ms%s%s) ON CONFLICT (name) ",
                       t,
                       part ? ", partition_concurrency, partition_worker_concurrency, partition_rate_limit_max, "
                              "partition_rate_limit_period_sec"
                            : "",
                       app ? ", application_name" : "",
                       part ? ", $p_concurrency, $p_worker_concurrency, $p_rate_max, $p_rate_period" : "",
                       app ? ", $app" : "");
      if (id == S_QUEUE_INSERT) {
        appendStringInfoString(sql, "DO NOTHING");
        break;
      }
      appendStringInfoString(sql,
                             "DO UPDATE SET concurrency = excluded.concurrency, worker_concurrency = "
                             "excluded.worker_concurrency, rate_limit_max = excluded.rate_limit_max, "
                             "rate_limit_period_sec = excluded.rate_limit_period_sec, priority_enabled = "
                             "excluded.priority_enabled, partition_queue = excluded.partition_queue, "
                             "polling_interval_sec = excluded.polling_interval_sec, updated_at = excluded.updated_at");
      if (part)
        appendStringInfoString(sql,
                               ", partition_concurrency = excluded.partition_concurrency, "
                               "partition_worker_concurrency = excluded.partition_worker_concurrency, "
                               "partition_rate_limit_max = excluded.partition_rate_limit_max, "
                               "partition_rate_limit_period_sec = excluded.partition_rate_limit_period_sec");
      // Claim only an unclaimed row (a registration racing ours keeps the name it took).
      if (app) appendStringInfoString(sql, ", application_name = COALESCE(q.application_name, excluded.application_name)");
      break;
    case S_QUEUE_GET:
      select_columns(p, sql);
      appendStringInfoString(sql, " WHERE name OPERATOR(pg_catalog.=) $name");
      break;
    case S_QUEUE_LIST:
      select_columns(p, sql);
      if (app)
        appendStringInfoString(sql, " WHERE $apps IS NULL OR application_name IS NULL OR "
                                    "application_name OPERATOR(pg_catalog.=) ANY ($apps)");
      appendStringInfoString(sql, " ORDER BY name");
      break;
    case S_QUEUE_DELETE:
      appendStringInfo(sql, "DELETE FROM %s.queues WHERE name OPERATOR(pg_catalog.=) $name", t);
      break;
    case S_QUEUE_STATS:
      // Per queue with unfinished workflows, and per registered queue: the counts an operator
      // reads first. The status index (status, queue_name) serves the filter.
      appendStringInfo(sql,
                       "WITH w AS (SELECT queue_name, "
                       "pg_catalog.count(*) FILTER (WHERE status OPERATOR(pg_catalog.=) 'ENQUEUED') AS enqueued, "
                       "pg_catalog.count(*) FILTER (WHERE status OPERATOR(pg_catalog.=) 'DELAYED') AS delayed, "
                       "pg_catalog.count(*) FILTER (WHERE status OPERATOR(pg_catalog.=) 'PENDING') AS pending, "
                       "pg_catalog.min(created_at) FILTER (WHERE status OPERATOR(pg_catalog.=) 'ENQUEUED') AS oldest "
                       "FROM %s.workflow_status WHERE status OPERATOR(pg_catalog.=) ANY "
                       "('{ENQUEUED,DELAYED,PENDING}'::pg_catalog.text[]) AND queue_name IS NOT NULL "
                       "AND ($name IS NULL OR queue_name OPERATOR(pg_catalog.=) $name) GROUP BY queue_name)",
                       t);
      if (OidIsValid(p->relid[T_QUEUES]))
        appendStringInfo(sql,
                         ", r AS (SELECT name FROM %s.queues WHERE $name IS NULL OR name OPERATOR(pg_catalog.=) $name) "
                         "SELECT COALESCE(w.queue_name, r.name), r.name IS NOT NULL, COALESCE(w.enqueued, 0), "
                         "COALESCE(w.delayed, 0), COALESCE(w.pending, 0), pg_catalog.now() "
                         "OPERATOR(pg_catalog.-) pg_catalog.to_timestamp(w.oldest OPERATOR(pg_catalog./) 1000.0) "
                         "FROM w FULL JOIN r ON r.name OPERATOR(pg_catalog.=) w.queue_name ORDER BY 1",
                         t);
      else
        appendStringInfoString(sql,
                               "SELECT queue_name, false, enqueued, delayed, pending, pg_catalog.now() "
                               "OPERATOR(pg_catalog.-) pg_catalog.to_timestamp(oldest OPERATOR(pg_catalog./) 1000.0) "
                               "FROM w ORDER BY 1");
      break;
    default:
      elog(ERROR, "not a queue statement: %d", (int)id);
  }
}

namespace {

const Profile *connect_queues(bool needs_table) {
  if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "SPI_connect failed");
  const Profile *p = current_profile();
  if (needs_table && !OidIsValid(p->relid[T_QUEUES]))
    ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED), errmsg("table queues needs a newer DBOS system schema"),
                    errdetail("The DBOS schema %s (dbos_migrations version %lld) has no database-backed queues.",
                              p->quoted_schema, (long long)p->version),
                    errhint("Database-backed queues came with DBOS TypeScript 4.x (migration 43) and Python "
                            "(migration 21); launch a current DBOS application to upgrade the tables.")));
  return p;
}

char *queue_name_arg(FunctionCallInfo fcinfo, int i) {
  if (PG_ARGISNULL(i)) ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("queue_name must not be null")));
  char *name = text_to_cstring(PG_GETARG_TEXT_PP(i));
  if (!*name) ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("queue_name must not be empty")));
  // DBOS indexes the name (unique): longer than an index row can hold fails there, so say it first.
  if (strlen(name) > (size_t)kMaxKeyBytes)
    ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED), errmsg("queue_name is too long"),
                    errdetail("It is %zu bytes; DBOS's index on queue names holds at most %d.", strlen(name), kMaxKeyBytes)));
  return name;
}

Datum int_or_null(FunctionCallInfo fcinfo, int i, char *nulls, int at) {
  nulls[at] = PG_ARGISNULL(i) ? 'n' : ' ';
  return PG_ARGISNULL(i) ? (Datum)0 : PG_GETARG_DATUM(i);
}

[[noreturn]] void bad_queue(const char *name, const char *message) {
  ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("invalid options for queue \"%s\"", name),
                  errdetail("DBOS: %s", message)));
}

// DBOS's #resolveRowOwner: the owner to write, or an error when another application owns it.
const char *resolve_owner(const Profile *p, Datum name_datum, const char *name, const char *owner) {
  run_statement(statement(p, S_QUEUE_OWNER), &name_datum, nullptr, false, SPI_OK_SELECT);
  if (SPI_processed == 0) return owner;
  bool isnull;
  Datum d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
  if (isnull) return owner;
  const char *current = TextDatumGetCString(d);
  if (!owner || strcmp(current, owner) == 0) return current;
  ereport(ERROR, (errcode(ERRCODE_UNIQUE_VIOLATION),
                  errmsg("queue \"%s\" is already registered by application \"%s\"", name, current),
                  errdetail("Queue names must be unique across the applications sharing a DBOS system database; "
                            "the caller registers it for \"%s\".",
                            owner),
                  errhint("Give \"%s\" a different queue name, or re-own the queue's rows with dbos "
                          "rename-application if \"%s\" was renamed.",
                          owner, current)));
}

}  // namespace
}  // namespace dbos_client

// dbos.register_queue(queue_name, concurrency, worker_concurrency, rate_limit_max,
//   rate_limit_period_sec, partition_concurrency, partition_worker_concurrency,
//   partition_rate_limit_max, partition_rate_limit_period_sec, polling_interval_sec DEFAULT 1,
//   on_conflict DEFAULT 'always_update', application_name) RETURNS dbos.queue_info
DBOS_FUNCTION(dbos_register_queue) {
  char *name = queue_name_arg(fcinfo, 0);
  if (strncmp(name, kReservedPrefix, strlen(kReservedPrefix)) == 0)
    ereport(ERROR, (errcode(ERRCODE_RESERVED_NAME), errmsg("queue name \"%s\" is reserved", name),
                    errdetail("Names starting with '%s' belong to DBOS's internal queues.", kReservedPrefix)));
  Datum v[QP_COUNT];
  char n[QP_COUNT];
  memset(n, 'n', sizeof n);
  v[QP_NAME] = CStringGetTextDatum(name), n[QP_NAME] = ' ';
  v[QP_CONCURRENCY] = int_or_null(fcinfo, 1, n, QP_CONCURRENCY);
  v[QP_WORKER_CONCURRENCY] = int_or_null(fcinfo, 2, n, QP_WORKER_CONCURRENCY);
  v[QP_RATE_MAX] = int_or_null(fcinfo, 3, n, QP_RATE_MAX);
  v[QP_RATE_PERIOD] = int_or_null(fcinfo, 4, n, QP_RATE_PERIOD);
  v[QP_P_CONCURRENCY] = int_or_null(fcinfo, 5, n, QP_P_CONCURRENCY);
  v[QP_P_WORKER_CONCURRENCY] = int_or_null(fcinfo, 6, n, QP_P_WORKER_CONCURRENCY);
  v[QP_P_RATE_MAX] = int_or_null(fcinfo, 7, n, QP_P_RATE_MAX);
  v[QP_P_RATE_PERIOD] = int_or_null(fcinfo, 8, n, QP_P_RATE_PERIOD);
  double polling = PG_ARGISNULL(9) ? 1.0 : PG_GETARG_FLOAT8(9);
  v[QP_POLLING] = Float8GetDatum(polling), n[QP_POLLING] = ' ';
  const char *on_conflict = PG_ARGISNULL(10) ? "always_update" : text_to_cstring(PG_GETARG_TEXT_PP(10));
  const char *app = PG_ARGISNULL(11) ? setting_application_name() : text_to_cstring(PG_GETARG_TEXT_PP(11));
  if (app && !*app) app = nullptr;

  // DBOS's checks, in its order and words.
  bool update = strcmp(on_conflict, "always_update") == 0;
  if (strcmp(on_conflict, "update_if_latest_version") == 0)
    ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                    errmsg("on_conflict 'update_if_latest_version' is not supported by a client"),
                    errdetail("Clients are not associated with an application version."),
                    errhint("Use 'always_update' or 'never_update'.")));
  if (!update && strcmp(on_conflict, "never_update") != 0)
    ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("unknown on_conflict \"%s\"", on_conflict),
                    errhint("Use 'always_update' (the default) or 'never_update'.")));
  auto given = [&](int i) { return !PG_ARGISNULL(i); };
  auto num = [&](int i) { return (int64)PG_GETARG_INT32(i); };
  if (given(5) && num(5) < 1) bad_queue(name, "partitionConcurrency must be at least 1");
  if (given(6) && num(6) < 1) bad_queue(name, "partitionWorkerConcurrency must be at least 1");
  if (given(7) != given(8)) bad_queue(name, "partitionRateLimit must specify both limitPerPeriod and periodSec");
  if (given(6) && given(5) && num(6) > num(5))
    bad_queue(name, "partitionConcurrency must be greater than or equal to partitionWorkerConcurrency");
  if (given(6) && given(2) && num(6) > num(2))
    bad_queue(name, "workerConcurrency must be greater than or equal to partitionWorkerConcurrency");
  if (given(2) && given(1) && num(2) > num(1))
    bad_queue(name, "concurrency must be greater than or equal to workerConcurrency");
  if (given(5) && given(1) && num(5) > num(1))
    bad_queue(name, "globalConcurrency must be greater than or equal to partitionConcurrency");
  if (given(6) && given(1) && num(6) > num(1))
    bad_queue(name, "concurrency must be greater than or equal to partitionWorkerConcurrency");
  if (!(polling > 0) || isinf(polling)) bad_queue(name, "minPollingIntervalMs must be positive");
  // Beyond DBOS's own checks (it takes these as given): a limit below 0 or a period that is not a
  // positive finite number would leave the queue unable to run anything.
  for (int i : {1, 2, 3, 5, 6, 7})
    if (given(i) && num(i) < 0)
      ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("invalid options for queue \"%s\"", name),
                      errdetail("Concurrency and rate limits must not be negative.")));
  for (int i : {4, 8})
    if (given(i) && (!(PG_GETARG_FLOAT8(i) > 0) || isinf(PG_GETARG_FLOAT8(i))))
      ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("invalid options for queue \"%s\"", name),
                      errdetail("A rate limit period must be a positive number of seconds.")));
  if (given(3) != given(4)) bad_queue(name, "rateLimit must specify both limitPerPeriod and periodSec");
  bool partitioned = given(5) || given(6) || given(7);
  v[QP_PARTITIONED] = BoolGetDatum(partitioned), n[QP_PARTITIONED] = ' ';
  v[QP_NOW_MS] = Int64GetDatum(epoch_ms_now()), n[QP_NOW_MS] = ' ';
  refuse_write_on_standby();

  TupleDesc desc;
  if (get_call_result_type(fcinfo, nullptr, &desc) != TYPEFUNC_COMPOSITE)
    elog(ERROR, "dbos.register_queue must return a composite type");
  desc = BlessTupleDesc(desc);
  MemoryContext caller = CurrentMemoryContext;
  const Profile *p = connect_queues(true);
  if (partitioned && !has(p, "partition_concurrency"))
    ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED), errmsg("per-partition queue limits need a newer DBOS system schema"),
                    errdetail("The DBOS schema %s (dbos_migrations version %lld) lacks them (migration 108).",
                              p->quoted_schema, (long long)p->version),
                    errhint("Launch a current DBOS application to upgrade the tables.")));
  if (app && !has(p, "application_name"))
    ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED), errmsg("a queue's application_name needs a newer DBOS system schema"),
                    errdetail("The DBOS schema %s (dbos_migrations version %lld) lacks it (migration 101).",
                              p->quoted_schema, (long long)p->version),
                    errhint("Launch a current DBOS application to upgrade the tables.")));
  const char *owner = resolve_owner(p, v[QP_NAME], name, app);
  v[QP_APP] = text_or_null(owner, n, QP_APP);
  run_statement(statement(p, update ? S_QUEUE_UPSERT : S_QUEUE_INSERT), v, n, false, SPI_OK_INSERT);
  // Read back, as DBOS does: a registration racing ours may have claimed the name.
  resolve_owner(p, v[QP_NAME], name, app);
  run_statement(statement(p, S_QUEUE_GET), v, n, false, SPI_OK_SELECT);
  if (SPI_processed != 1) elog(ERROR, "queue \"%s\" missing after its registration", name);
  Datum result = copy_spi_row(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, desc, caller);
  SPI_finish();
  PG_RETURN_DATUM(result);
}

// dbos.retrieve_queue(queue_name) RETURNS dbos.queue_info, NULL when there is no such row.
DBOS_FUNCTION(dbos_retrieve_queue) {
  char *name = queue_name_arg(fcinfo, 0);
  TupleDesc desc;
  if (get_call_result_type(fcinfo, nullptr, &desc) != TYPEFUNC_COMPOSITE)
    elog(ERROR, "dbos.retrieve_queue must return a composite type");
  desc = BlessTupleDesc(desc);
  MemoryContext caller = CurrentMemoryContext;
  const Profile *p = connect_queues(true);
  Datum v[QP_COUNT];
  char n[QP_COUNT];
  memset(n, 'n', sizeof n);
  v[QP_NAME] = CStringGetTextDatum(name), n[QP_NAME] = ' ';
  run_statement(statement(p, S_QUEUE_GET), v, n, true, SPI_OK_SELECT);
  if (SPI_processed == 0) {
    SPI_finish();
    PG_RETURN_NULL();
  }
  Datum result = copy_spi_row(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, desc, caller);
  SPI_finish();
  PG_RETURN_DATUM(result);
}

// dbos.delete_queue(queue_name) RETURNS void. Workflows left on it are never dequeued.
DBOS_FUNCTION(dbos_delete_queue) {
  char *name = queue_name_arg(fcinfo, 0);
  refuse_write_on_standby();
  const Profile *p = connect_queues(true);
  Datum v[QP_COUNT];
  char n[QP_COUNT];
  memset(n, 'n', sizeof n);
  v[QP_NAME] = CStringGetTextDatum(name), n[QP_NAME] = ' ';
  run_statement(statement(p, S_QUEUE_DELETE), v, n, false, SPI_OK_DELETE);
  SPI_finish();
  PG_RETURN_VOID();
}

// dbos.list_queues(application_name text[] DEFAULT NULL) RETURNS SETOF dbos.queue_info: the
// given applications' queues and unclaimed ones; unset, dbos.application_name's (every queue
// when it is empty), as DBOSClient.listQueues.
DBOS_FUNCTION(dbos_list_queues) {
  Datum v[QP_COUNT];
  char n[QP_COUNT];
  memset(n, 'n', sizeof n);
  if (!PG_ARGISNULL(0)) {
    v[QP_APPS] = PG_GETARG_DATUM(0), n[QP_APPS] = ' ';
  } else if (const char *app = setting_application_name()) {
    Datum e = CStringGetTextDatum(app);
    v[QP_APPS] = PointerGetDatum(construct_array(&e, 1, TEXTOID, -1, false, TYPALIGN_INT));
    n[QP_APPS] = ' ';
  }
  InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC | MAT_SRF_BLESS);
  MemoryContext caller = CurrentMemoryContext;
  const Profile *p = connect_queues(true);
  run_statement(statement(p, S_QUEUE_LIST), v, n, true, SPI_OK_SELECT);
  materialize_spi_result(fcinfo, caller, nullptr, -1);
  SPI_finish();
  return (Datum)0;
}

// dbos.queue_stats(queue_name DEFAULT NULL) RETURNS TABLE(queue_name, registered, enqueued,
// delayed, pending, oldest_enqueued_age): per queue with unfinished workflows or a queues row.
DBOS_FUNCTION(dbos_queue_stats) {
  Datum v[QP_COUNT];
  char n[QP_COUNT];
  memset(n, 'n', sizeof n);
  if (!PG_ARGISNULL(0)) v[QP_NAME] = PG_GETARG_DATUM(0), n[QP_NAME] = ' ';
  InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC | MAT_SRF_BLESS);
  MemoryContext caller = CurrentMemoryContext;
  const Profile *p = connect_queues(false);
  run_statement(statement(p, S_QUEUE_STATS), v, n, true, SPI_OK_SELECT);
  materialize_spi_result(fcinfo, caller, nullptr, -1);
  SPI_finish();
  return (Datum)0;
}
