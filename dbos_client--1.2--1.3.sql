\echo Use "ALTER EXTENSION dbos_client UPDATE TO '1.3'" to load this file. \quit

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
