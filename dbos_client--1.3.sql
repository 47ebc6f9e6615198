\echo Use "CREATE EXTENSION dbos_client" to load this file. \quit

-- dbos_client 1.3, complete: a DBOS client in SQL. Objects live in schema dbos, beside (never
-- in place of) the DBOS system tables; none takes a name DBOS uses. This file is kept by hand
-- beside the upgrade scripts; sql/12_upgrade checks that both paths give the same objects.
--
-- Privileges: every function runs as its caller (SECURITY INVOKER) and reaches the DBOS
-- tables with the caller's own rights, so EXECUTE is granted to PUBLIC: a role without
-- rights on the system tables can call the functions but they fail with 42501.

CREATE TYPE dbos.workflow_info AS (
    workflow_id        text,
    status             text,
    workflow_name      text,
    workflow_class     text,
    config_name        text,
    queue_name         text,
    deduplication_id   text,
    priority           integer,
    partition_key      text,
    app_version        text,
    application_name   text,
    executor_id        text,
    authenticated_user text,
    recovery_attempts  bigint,
    created_at         timestamptz,
    updated_at         timestamptz,
    started_at         timestamptz,
    completed_at       timestamptz,
    timeout            interval,
    deadline           timestamptz,
    delay_until        timestamptz,
    parent_workflow_id text,
    forked_from        text,
    attributes         jsonb,
    input              jsonb,
    output             jsonb,
    error              jsonb,
    serialization      text
);

CREATE FUNCTION dbos.enqueue(
    queue_name         text,
    workflow_class     text,
    workflow_name      text,
    args               jsonb    DEFAULT '[]',
    workflow_id        text     DEFAULT NULL,
    app_version        text     DEFAULT NULL,
    priority           integer  DEFAULT NULL,
    deduplication_id   text     DEFAULT NULL,
    timeout            interval DEFAULT NULL,
    delay              interval DEFAULT NULL,
    partition_key      text     DEFAULT NULL,
    named_args         jsonb    DEFAULT NULL,
    config_name        text     DEFAULT NULL,
    application_name   text     DEFAULT NULL,
    serialization      text     DEFAULT NULL,
    duplication_policy text     DEFAULT 'reject'
) RETURNS text
AS 'MODULE_PATHNAME', 'dbos_enqueue' LANGUAGE C VOLATILE;

CREATE FUNCTION dbos.send(
    destination_id  text,
    message         jsonb,
    topic           text DEFAULT NULL,
    idempotency_key text DEFAULT NULL,
    serialization   text DEFAULT NULL
) RETURNS void
AS 'MODULE_PATHNAME', 'dbos_send' LANGUAGE C VOLATILE;

CREATE FUNCTION dbos.get_event(workflow_id text, key text, timeout_seconds double precision DEFAULT 60)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'dbos_get_event' LANGUAGE C VOLATILE;

CREATE FUNCTION dbos.get_status(workflow_id text)
RETURNS dbos.workflow_info
AS 'MODULE_PATHNAME', 'dbos_get_status' LANGUAGE C STABLE;

CREATE FUNCTION dbos.get_result(workflow_id text, timeout_seconds double precision DEFAULT NULL)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'dbos_get_result' LANGUAGE C VOLATILE;

-- CREATE TRIGGER ... AFTER INSERT OR UPDATE OR DELETE ON t [REFERENCING NEW TABLE AS n OLD TABLE AS o]
--   FOR EACH ROW | STATEMENT EXECUTE FUNCTION dbos.enqueue_trigger('queue', 'Class' or '', 'workflow' [, 'option=value' ...]);
CREATE FUNCTION dbos.enqueue_trigger() RETURNS trigger
AS 'MODULE_PATHNAME', 'dbos_enqueue_trigger' LANGUAGE C;

GRANT USAGE ON TYPE dbos.workflow_info TO PUBLIC;
GRANT EXECUTE ON FUNCTION
    dbos.enqueue(text, text, text, jsonb, text, text, integer, text, interval, interval, text, jsonb, text, text, text, text),
    dbos.send(text, jsonb, text, text, text),
    dbos.get_event(text, text, double precision),
    dbos.get_status(text),
    dbos.get_result(text, double precision),
    dbos.enqueue_trigger()
TO PUBLIC;

CREATE TYPE dbos.step_info AS (
    function_id       integer,
    function_name     text,
    output            jsonb,
    error             jsonb,
    child_workflow_id text,
    started_at        timestamptz,
    completed_at      timestamptz,
    serialization     text
);

CREATE FUNCTION dbos.cancel_workflow(workflow_id text) RETURNS void
AS 'MODULE_PATHNAME', 'dbos_cancel_workflow' LANGUAGE C VOLATILE;

CREATE FUNCTION dbos.resume_workflow(workflow_id text, queue_name text DEFAULT NULL) RETURNS text
AS 'MODULE_PATHNAME', 'dbos_resume_workflow' LANGUAGE C VOLATILE;

CREATE FUNCTION dbos.fork_workflow(workflow_id text, start_step integer, new_workflow_id text DEFAULT NULL,
                                   app_version text DEFAULT NULL, queue_name text DEFAULT NULL) RETURNS text
AS 'MODULE_PATHNAME', 'dbos_fork_workflow' LANGUAGE C VOLATILE;

CREATE FUNCTION dbos.delete_workflow(workflow_id text, delete_children boolean DEFAULT false) RETURNS void
AS 'MODULE_PATHNAME', 'dbos_delete_workflow' LANGUAGE C VOLATILE;

CREATE FUNCTION dbos.set_workflow_priority(workflow_id text, priority integer) RETURNS void
AS 'MODULE_PATHNAME', 'dbos_set_workflow_priority' LANGUAGE C VOLATILE;

CREATE FUNCTION dbos.list_workflows(
    status         text[]      DEFAULT NULL,
    workflow_name  text        DEFAULT NULL,
    queue_name     text        DEFAULT NULL,
    app_version    text        DEFAULT NULL,
    created_after  timestamptz DEFAULT NULL,
    created_before timestamptz DEFAULT NULL,
    limit_rows     integer     DEFAULT NULL,
    offset_rows    integer     DEFAULT NULL,
    descending     boolean     DEFAULT false,
    load_input     boolean     DEFAULT false,
    load_output    boolean     DEFAULT false
) RETURNS SETOF dbos.workflow_info
AS 'MODULE_PATHNAME', 'dbos_list_workflows' LANGUAGE C STABLE;

CREATE FUNCTION dbos.list_queued_workflows(
    queue_name     text        DEFAULT NULL,
    status         text[]      DEFAULT NULL,
    workflow_name  text        DEFAULT NULL,
    created_after  timestamptz DEFAULT NULL,
    created_before timestamptz DEFAULT NULL,
    limit_rows     integer     DEFAULT NULL,
    offset_rows    integer     DEFAULT NULL,
    descending     boolean     DEFAULT false,
    load_input     boolean     DEFAULT false
) RETURNS SETOF dbos.workflow_info
AS 'MODULE_PATHNAME', 'dbos_list_queued_workflows' LANGUAGE C STABLE;

CREATE FUNCTION dbos.list_workflow_steps(workflow_id text) RETURNS SETOF dbos.step_info
AS 'MODULE_PATHNAME', 'dbos_list_workflow_steps' LANGUAGE C STABLE;

CREATE FUNCTION dbos.get_events(workflow_id text) RETURNS TABLE(key text, value jsonb)
AS 'MODULE_PATHNAME', 'dbos_get_events' LANGUAGE C STABLE;

CREATE FUNCTION dbos.read_stream(workflow_id text, key text, from_offset integer DEFAULT 0)
RETURNS TABLE("offset" integer, value jsonb)
AS 'MODULE_PATHNAME', 'dbos_read_stream' LANGUAGE C STABLE;

GRANT USAGE ON TYPE dbos.step_info TO PUBLIC;
GRANT EXECUTE ON FUNCTION
    dbos.cancel_workflow(text),
    dbos.resume_workflow(text, text),
    dbos.fork_workflow(text, integer, text, text, text),
    dbos.delete_workflow(text, boolean),
    dbos.set_workflow_priority(text, integer),
    dbos.list_workflows(text[], text, text, text, timestamptz, timestamptz, integer, integer, boolean, boolean, boolean),
    dbos.list_queued_workflows(text, text[], text, timestamptz, timestamptz, integer, integer, boolean, boolean),
    dbos.list_workflow_steps(text),
    dbos.get_events(text),
    dbos.read_stream(text, text, integer)
TO PUBLIC;

CREATE FUNCTION dbos.enqueue_many(
    queue_name         text,
    workflow_class     text,
    workflow_name      text,
    args               jsonb[],
    workflow_ids       text[]   DEFAULT NULL,
    deduplication_ids  text[]   DEFAULT NULL,
    partition_keys     text[]   DEFAULT NULL,
    named_args         jsonb[]  DEFAULT NULL,
    app_version        text     DEFAULT NULL,
    priority           integer  DEFAULT NULL,
    timeout            interval DEFAULT NULL,
    delay              interval DEFAULT NULL,
    config_name        text     DEFAULT NULL,
    application_name   text     DEFAULT NULL,
    serialization      text     DEFAULT NULL,
    duplication_policy text     DEFAULT 'reject'
) RETURNS text[]
AS 'MODULE_PATHNAME', 'dbos_enqueue_many' LANGUAGE C VOLATILE;

GRANT EXECUTE ON FUNCTION
    dbos.enqueue_many(text, text, text, jsonb[], text[], text[], text[], jsonb[], text, integer, interval, interval, text, text, text, text)
TO PUBLIC;

-- psql help: \df+ dbos.* and \dx+ dbos_client read these.
COMMENT ON TYPE dbos.workflow_info IS 'A DBOS workflow as dbos.get_status and dbos.list_workflows return it';
COMMENT ON TYPE dbos.step_info IS 'A checkpointed step of a DBOS workflow (dbos.list_workflow_steps)';
COMMENT ON FUNCTION dbos.enqueue(text, text, text, jsonb, text, text, integer, text, interval, interval, text, jsonb, text, text, text, text) IS
    'Enqueue a DBOS workflow now, in this transaction (DBOSClient.enqueue); returns its ID';
COMMENT ON FUNCTION dbos.enqueue_many(text, text, text, jsonb[], text[], text[], text[], jsonb[], text, integer, interval, interval, text, text, text, text) IS
    'Enqueue one DBOS workflow per element of args with set-based statements; returns the IDs in input order';
COMMENT ON FUNCTION dbos.send(text, jsonb, text, text, text) IS
    'Send a message to a workflow (DBOSClient.send); an idempotency key delivers it once';
COMMENT ON FUNCTION dbos.get_event(text, text, double precision) IS
    'Wait up to timeout_seconds for an event a workflow publishes (DBOSClient.getEvent); NULL when none';
COMMENT ON FUNCTION dbos.get_status(text) IS 'The status of a workflow (DBOSClient.getWorkflow); NULL when unknown';
COMMENT ON FUNCTION dbos.get_result(text, double precision) IS
    'Wait for a workflow to end and return its output; its error, cancellation or a timeout raise DB001..DB005';
COMMENT ON FUNCTION dbos.enqueue_trigger() IS
    'AFTER trigger: enqueue one workflow per changed row (args: queue, class, workflow name, options)';
COMMENT ON FUNCTION dbos.cancel_workflow(text) IS 'Cancel a workflow (DBOSClient.cancelWorkflow)';
COMMENT ON FUNCTION dbos.resume_workflow(text, text) IS 'Enqueue a cancelled or failed workflow again (DBOSClient.resumeWorkflow)';
COMMENT ON FUNCTION dbos.fork_workflow(text, integer, text, text, text) IS
    'Start a copy of a workflow from a step (DBOSClient.forkWorkflow); returns the new ID';
COMMENT ON FUNCTION dbos.delete_workflow(text, boolean) IS 'Delete a workflow and its rows (DBOSClient.deleteWorkflow)';
COMMENT ON FUNCTION dbos.set_workflow_priority(text, integer) IS 'Change the priority of a queued workflow';
COMMENT ON FUNCTION dbos.list_workflows(text[], text, text, text, timestamptz, timestamptz, integer, integer, boolean, boolean, boolean) IS
    'Workflows matching the filters, by created_at (DBOSClient.listWorkflows)';
COMMENT ON FUNCTION dbos.list_queued_workflows(text, text[], text, timestamptz, timestamptz, integer, integer, boolean, boolean) IS
    'Workflows waiting or running on a queue (DBOSClient.listQueuedWorkflows)';
COMMENT ON FUNCTION dbos.list_workflow_steps(text) IS 'The checkpointed steps of a workflow (DBOSClient.listWorkflowSteps)';
COMMENT ON FUNCTION dbos.get_events(text) IS 'Every event a workflow has published, with its current value';
COMMENT ON FUNCTION dbos.read_stream(text, text, integer) IS 'The values written to a workflow stream so far, from an offset';

-- schedules and debouncing (1.3)

CREATE FUNCTION dbos.debounce(
    debounce_key     text,
    period           interval,
    workflow_name    text,
    args             jsonb    DEFAULT '[]',
    workflow_class   text     DEFAULT NULL,
    queue_name       text     DEFAULT NULL,
    debounce_timeout interval DEFAULT NULL,
    workflow_id      text     DEFAULT NULL,
    app_version      text     DEFAULT NULL,
    timeout          interval DEFAULT NULL,
    application_name text     DEFAULT NULL,
    serialization    text     DEFAULT NULL,
    named_args       jsonb    DEFAULT NULL
) RETURNS text
AS 'MODULE_PATHNAME', 'dbos_debounce' LANGUAGE C VOLATILE;

GRANT EXECUTE ON FUNCTION
    dbos.debounce(text, interval, text, jsonb, text, text, interval, text, text, interval, text, text, jsonb)
TO PUBLIC;

COMMENT ON FUNCTION dbos.debounce(text, interval, text, jsonb, text, text, interval, text, text, interval, text, text, jsonb) IS
    'Debounce a DBOS workflow by key (DebouncerClient.debounce): it runs once, a period after the last call, with the last arguments; returns its ID';

CREATE TYPE dbos.schedule_info AS (
    schedule_id        text,
    schedule_name      text,
    workflow_name      text,
    workflow_class     text,
    schedule           text,
    status             text,
    context            jsonb,
    last_fired_at      text,
    automatic_backfill boolean,
    cron_timezone      text,
    queue_name         text,
    application_name   text
);

CREATE FUNCTION dbos.create_schedule(
    schedule_name      text,
    workflow_name      text,
    schedule           text,
    context            jsonb   DEFAULT NULL,
    workflow_class     text    DEFAULT NULL,
    automatic_backfill boolean DEFAULT false,
    cron_timezone      text    DEFAULT NULL,
    queue_name         text    DEFAULT NULL,
    application_name   text    DEFAULT NULL
) RETURNS text
AS 'MODULE_PATHNAME', 'dbos_create_schedule' LANGUAGE C VOLATILE;

CREATE FUNCTION dbos.get_schedule(schedule_name text) RETURNS dbos.schedule_info
AS 'MODULE_PATHNAME', 'dbos_get_schedule' LANGUAGE C VOLATILE;

CREATE FUNCTION dbos.list_schedules(
    status               text[] DEFAULT NULL,
    workflow_name        text[] DEFAULT NULL,
    schedule_name_prefix text[] DEFAULT NULL,
    application_name     text[] DEFAULT NULL
) RETURNS SETOF dbos.schedule_info
AS 'MODULE_PATHNAME', 'dbos_list_schedules' LANGUAGE C VOLATILE;

CREATE FUNCTION dbos.update_schedule(
    schedule_name      text,
    schedule           text    DEFAULT NULL,
    context            jsonb   DEFAULT NULL,
    automatic_backfill boolean DEFAULT NULL,
    cron_timezone      text    DEFAULT NULL,
    queue_name         text    DEFAULT NULL
) RETURNS void
AS 'MODULE_PATHNAME', 'dbos_update_schedule' LANGUAGE C VOLATILE;

CREATE FUNCTION dbos.pause_schedule(schedule_name text) RETURNS void
AS 'MODULE_PATHNAME', 'dbos_pause_schedule' LANGUAGE C VOLATILE;
CREATE FUNCTION dbos.resume_schedule(schedule_name text) RETURNS void
AS 'MODULE_PATHNAME', 'dbos_resume_schedule' LANGUAGE C VOLATILE;
CREATE FUNCTION dbos.delete_schedule(schedule_name text) RETURNS void
AS 'MODULE_PATHNAME', 'dbos_delete_schedule' LANGUAGE C VOLATILE;
CREATE FUNCTION dbos.apply_schedules(schedules jsonb) RETURNS void
AS 'MODULE_PATHNAME', 'dbos_apply_schedules' LANGUAGE C VOLATILE;

GRANT USAGE ON TYPE dbos.schedule_info TO PUBLIC;
GRANT EXECUTE ON FUNCTION
    dbos.create_schedule(text, text, text, jsonb, text, boolean, text, text, text),
    dbos.get_schedule(text),
    dbos.list_schedules(text[], text[], text[], text[]),
    dbos.update_schedule(text, text, jsonb, boolean, text, text),
    dbos.pause_schedule(text),
    dbos.resume_schedule(text),
    dbos.delete_schedule(text),
    dbos.apply_schedules(jsonb)
TO PUBLIC;

COMMENT ON TYPE dbos.schedule_info IS 'A DBOS workflow schedule as dbos.get_schedule and dbos.list_schedules return it';
COMMENT ON FUNCTION dbos.create_schedule(text, text, text, jsonb, text, boolean, text, text, text) IS
    'Register a cron schedule that DBOS workers fire (DBOSClient.createSchedule); returns its ID';
COMMENT ON FUNCTION dbos.get_schedule(text) IS 'A workflow schedule (DBOSClient.getSchedule); NULL when unknown';
COMMENT ON FUNCTION dbos.list_schedules(text[], text[], text[], text[]) IS
    'Workflow schedules matching the filters, by name (DBOSClient.listSchedules)';
COMMENT ON FUNCTION dbos.update_schedule(text, text, jsonb, boolean, text, text) IS
    'Change the given fields of a schedule (DBOSClient.updateSchedule)';
COMMENT ON FUNCTION dbos.pause_schedule(text) IS 'Stop firing a schedule (DBOSClient.pauseSchedule)';
COMMENT ON FUNCTION dbos.resume_schedule(text) IS 'Fire a paused schedule again (DBOSClient.resumeSchedule)';
COMMENT ON FUNCTION dbos.delete_schedule(text) IS 'Delete a schedule (DBOSClient.deleteSchedule)';
COMMENT ON FUNCTION dbos.apply_schedules(jsonb) IS
    'Create or replace the definitions of several schedules at once (DBOSClient.applySchedules)';

CREATE FUNCTION dbos.trigger_schedule(schedule_name text) RETURNS text
AS 'MODULE_PATHNAME', 'dbos_trigger_schedule' LANGUAGE C VOLATILE;
GRANT EXECUTE ON FUNCTION dbos.trigger_schedule(text) TO PUBLIC;
COMMENT ON FUNCTION dbos.trigger_schedule(text) IS
    'Run a schedule''s workflow now (DBOSClient.triggerSchedule); returns the workflow ID';

CREATE FUNCTION dbos.backfill_schedule(schedule_name text, start_time timestamptz, end_time timestamptz) RETURNS text[]
AS 'MODULE_PATHNAME', 'dbos_backfill_schedule' LANGUAGE C VOLATILE;
GRANT EXECUTE ON FUNCTION dbos.backfill_schedule(text, timestamptz, timestamptz) TO PUBLIC;
COMMENT ON FUNCTION dbos.backfill_schedule(text, timestamptz, timestamptz) IS
    'Enqueue the runs a schedule would have made in a period (DBOSClient.backfillSchedule); returns their IDs';

-- queues (1.3)

CREATE TYPE dbos.queue_info AS (
    queue_name                      text,
    concurrency                     integer,
    worker_concurrency              integer,
    rate_limit_max                  integer,
    rate_limit_period_sec           double precision,
    partitioned                     boolean,
    partition_concurrency           integer,
    partition_worker_concurrency    integer,
    partition_rate_limit_max        integer,
    partition_rate_limit_period_sec double precision,
    polling_interval_sec            double precision,
    application_name                text,
    created_at                      timestamptz,
    updated_at                      timestamptz
);

CREATE FUNCTION dbos.register_queue(
    queue_name                      text,
    concurrency                     integer          DEFAULT NULL,
    worker_concurrency              integer          DEFAULT NULL,
    rate_limit_max                  integer          DEFAULT NULL,
    rate_limit_period_sec           double precision DEFAULT NULL,
    partition_concurrency           integer          DEFAULT NULL,
    partition_worker_concurrency    integer          DEFAULT NULL,
    partition_rate_limit_max        integer          DEFAULT NULL,
    partition_rate_limit_period_sec double precision DEFAULT NULL,
    polling_interval_sec            double precision DEFAULT 1.0,
    on_conflict                     text             DEFAULT 'always_update',
    application_name                text             DEFAULT NULL
) RETURNS dbos.queue_info
AS 'MODULE_PATHNAME', 'dbos_register_queue' LANGUAGE C VOLATILE;

CREATE FUNCTION dbos.retrieve_queue(queue_name text) RETURNS dbos.queue_info
AS 'MODULE_PATHNAME', 'dbos_retrieve_queue' LANGUAGE C STABLE;

CREATE FUNCTION dbos.delete_queue(queue_name text) RETURNS void
AS 'MODULE_PATHNAME', 'dbos_delete_queue' LANGUAGE C VOLATILE;

CREATE FUNCTION dbos.list_queues(application_name text[] DEFAULT NULL) RETURNS SETOF dbos.queue_info
AS 'MODULE_PATHNAME', 'dbos_list_queues' LANGUAGE C STABLE;

CREATE FUNCTION dbos.queue_stats(queue_name text DEFAULT NULL)
RETURNS TABLE(queue_name text, registered boolean, enqueued bigint, delayed bigint, pending bigint,
              oldest_enqueued_age interval)
AS 'MODULE_PATHNAME', 'dbos_queue_stats' LANGUAGE C STABLE;

GRANT EXECUTE ON FUNCTION
    dbos.register_queue(text, integer, integer, integer, double precision, integer, integer, integer,
                        double precision, double precision, text, text),
    dbos.retrieve_queue(text),
    dbos.delete_queue(text),
    dbos.list_queues(text[]),
    dbos.queue_stats(text)
TO PUBLIC;

COMMENT ON TYPE dbos.queue_info IS 'A DBOS database-backed queue as dbos.register_queue, dbos.retrieve_queue and dbos.list_queues return it';
COMMENT ON FUNCTION dbos.register_queue(text, integer, integer, integer, double precision, integer, integer, integer,
                                        double precision, double precision, text, text) IS
    'Register (or update) a database-backed queue that DBOS workers dequeue, with its limits (DBOSClient.registerQueue)';
COMMENT ON FUNCTION dbos.retrieve_queue(text) IS 'A database-backed queue (DBOSClient.retrieveQueue); NULL when unknown';
COMMENT ON FUNCTION dbos.delete_queue(text) IS
    'Delete a database-backed queue (DBOSClient.deleteQueue); workflows left on it are no longer dequeued';
COMMENT ON FUNCTION dbos.list_queues(text[]) IS
    'The database-backed queues of the given applications and unclaimed ones, by name (DBOSClient.listQueues)';
COMMENT ON FUNCTION dbos.queue_stats(text) IS
    'Per queue: how many workflows are ENQUEUED, DELAYED and PENDING, and the age of the oldest ENQUEUED one';

-- versions, delays, bulk management (1.3)

CREATE TYPE dbos.application_version_info AS (
    version_id        text,
    version_name      text,
    version_timestamp timestamptz,
    created_at        timestamptz,
    application_name  text
);

CREATE FUNCTION dbos.list_application_versions(application_name text[] DEFAULT NULL)
RETURNS SETOF dbos.application_version_info
AS 'MODULE_PATHNAME', 'dbos_list_application_versions' LANGUAGE C STABLE;

CREATE FUNCTION dbos.get_latest_application_version(application_name text DEFAULT NULL)
RETURNS dbos.application_version_info
AS 'MODULE_PATHNAME', 'dbos_get_latest_application_version' LANGUAGE C STABLE;

CREATE FUNCTION dbos.set_workflow_delay(workflow_id text, delay interval DEFAULT NULL,
                                        delay_until timestamptz DEFAULT NULL) RETURNS boolean
AS 'MODULE_PATHNAME', 'dbos_set_workflow_delay' LANGUAGE C VOLATILE;

-- The bulk forms: each ID in array order, as the single call, in the caller's transaction.
CREATE FUNCTION dbos.cancel_workflows(workflow_ids text[], cancel_children boolean DEFAULT false) RETURNS void
AS 'MODULE_PATHNAME', 'dbos_cancel_workflows' LANGUAGE C VOLATILE;

CREATE FUNCTION dbos.resume_workflows(workflow_ids text[], queue_name text DEFAULT NULL) RETURNS text[]
AS 'MODULE_PATHNAME', 'dbos_resume_workflows' LANGUAGE C VOLATILE;

CREATE FUNCTION dbos.delete_workflows(workflow_ids text[], delete_children boolean DEFAULT false) RETURNS void
AS 'MODULE_PATHNAME', 'dbos_delete_workflows' LANGUAGE C VOLATILE;

GRANT EXECUTE ON FUNCTION
    dbos.list_application_versions(text[]),
    dbos.get_latest_application_version(text),
    dbos.set_workflow_delay(text, interval, timestamptz),
    dbos.cancel_workflows(text[], boolean),
    dbos.resume_workflows(text[], text),
    dbos.delete_workflows(text[], boolean)
TO PUBLIC;

COMMENT ON TYPE dbos.application_version_info IS 'A DBOS application version as the application_versions functions return it';
COMMENT ON FUNCTION dbos.list_application_versions(text[]) IS
    'The application versions of the given applications and unclaimed ones, latest first (DBOSClient.listApplicationVersions)';
COMMENT ON FUNCTION dbos.get_latest_application_version(text) IS
    'The latest version of an application (and unclaimed ones) (DBOSClient.getLatestApplicationVersion); NULL when none';
COMMENT ON FUNCTION dbos.set_workflow_delay(text, interval, timestamptz) IS
    'Move the start of a DELAYED workflow (DBOSClient.setWorkflowDelay); returns whether it was DELAYED and changed';
COMMENT ON FUNCTION dbos.cancel_workflows(text[], boolean) IS
    'dbos.cancel_workflow of every ID in one statement, with cancel_children also of every workflow below them; unknown IDs are skipped (DBOSClient.cancelWorkflows)';
COMMENT ON FUNCTION dbos.resume_workflows(text[], text) IS
    'dbos.resume_workflow of every ID in one statement, once all exist; returns the IDs (DBOSClient.resumeWorkflows)';
COMMENT ON FUNCTION dbos.delete_workflows(text[], boolean) IS 'dbos.delete_workflow of every ID in one statement (DBOSClient.deleteWorkflows)';

-- waiting on many (1.3)

CREATE FUNCTION dbos.wait_first(workflow_ids text[], timeout_seconds double precision DEFAULT NULL) RETURNS text
AS 'MODULE_PATHNAME', 'dbos_wait_first' LANGUAGE C VOLATILE;

CREATE FUNCTION dbos.wait_all(workflow_ids text[], timeout_seconds double precision DEFAULT NULL) RETURNS boolean
AS 'MODULE_PATHNAME', 'dbos_wait_all' LANGUAGE C VOLATILE;

CREATE FUNCTION dbos.read_stream_offset(workflow_id text, key text, stream_offset integer,
                                        timeout_seconds double precision DEFAULT NULL) RETURNS jsonb
AS 'MODULE_PATHNAME', 'dbos_read_stream_offset' LANGUAGE C VOLATILE;

GRANT EXECUTE ON FUNCTION
    dbos.wait_first(text[], double precision),
    dbos.wait_all(text[], double precision),
    dbos.read_stream_offset(text, text, integer, double precision)
TO PUBLIC;

COMMENT ON FUNCTION dbos.wait_first(text[], double precision) IS
    'Wait until the first of the workflows ends and return its ID (DBOSClient.waitFirst); NULL on timeout';
COMMENT ON FUNCTION dbos.wait_all(text[], double precision) IS
    'Wait until every one of the workflows has ended (DBOSClient.waitAll); false on timeout';
COMMENT ON FUNCTION dbos.read_stream_offset(text, text, integer, double precision) IS
    'The value at one offset of a workflow''s stream, waiting for it to be written (DBOSClient.readStreamOffset)';
