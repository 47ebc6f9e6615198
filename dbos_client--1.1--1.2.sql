\echo Use "ALTER EXTENSION dbos_client UPDATE TO '1.2'" to load this file. \quit

-- dbos_client 1.2: every call writes at the call (no rows buffered until the statement
-- ends); dbos.enqueue_many, the set-based bulk enqueue; COMMENT ON every object.

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
