\echo Use "ALTER EXTENSION dbos_client UPDATE TO '1.1'" to load this file. \quit

-- dbos_client 1.1: management and observability, with the row changes of the DBOSClient
-- methods of the same names (DBOS TypeScript 5.3). Functions run as the caller.

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
