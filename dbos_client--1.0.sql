\echo Use "CREATE EXTENSION dbos_client" to load this file. \quit

-- dbos_client 1.0: a DBOS client in SQL. Objects live in schema dbos, beside (never in
-- place of) the DBOS system tables; none takes a name DBOS uses.
--
-- Privileges: every function runs as its caller (SECURITY INVOKER) and reaches the DBOS
-- tables with the caller's own rights, so EXECUTE is granted to PUBLIC: a role without
-- rights on the system tables can call the functions but they fail with 42501.
-- Statements are parsed with search_path = pg_catalog, pg_temp, whatever the caller's.

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
