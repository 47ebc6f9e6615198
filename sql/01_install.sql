-- Installation: objects, privileges, and DROP EXTENSION leaving DBOS tables and rows alone.
CREATE EXTENSION dbos_client;

-- Test helper: runs a statement and shows its error as "SQLSTATE message / DETAIL / HINT".
CREATE SCHEMA regress;
CREATE FUNCTION regress.error_of(statement text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE st text; msg text; det text; hnt text;
BEGIN
  EXECUTE statement;
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
                          det = PG_EXCEPTION_DETAIL, hnt = PG_EXCEPTION_HINT;
  RETURN st || ' ' || msg || coalesce(E'\n  DETAIL: ' || nullif(det, ''), '')
                          || coalesce(E'\n  HINT: ' || nullif(hnt, ''), '');
END $$;
-- Rows in the DBOS tables, to show that failed calls write nothing.
CREATE FUNCTION regress.row_counts() RETURNS text LANGUAGE sql AS $$
  SELECT format('status=%s input=%s notifications=%s',
                (SELECT count(*) FROM dbos.workflow_status),
                (SELECT count(*) FROM dbos.workflow_input),
                (SELECT count(*) FROM dbos.notifications)) $$;

SELECT p.proname, pg_get_function_identity_arguments(p.oid) AS arguments,
       pg_get_function_result(p.oid) AS result, p.provolatile, p.prosecdef
FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.deptype = 'e'
JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'dbos_client'
ORDER BY 1;

-- No object of ours takes a DBOS name; the DBOS tables are not extension members.
SELECT count(*) AS dbos_tables_owned_by_extension
FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'dbos_client'
JOIN pg_class c ON c.oid = d.objid AND d.classid = 'pg_class'::regclass;

-- Everyone may call the functions; they run with the caller's rights on the DBOS tables.
SELECT has_function_privilege('public', 'dbos.enqueue(text,text,text,jsonb,text,text,integer,text,interval,interval,text,jsonb,text,text,text,text)', 'EXECUTE');

-- DROP EXTENSION keeps every DBOS table and row; CREATE EXTENSION works again.
SELECT dbos.enqueue('_dbos_internal_queue', NULL, 'keepMe', '[1]', workflow_id => 'install-keep');
DROP EXTENSION dbos_client;
SELECT workflow_uuid, status, name FROM dbos.workflow_status WHERE workflow_uuid = 'install-keep';
SELECT count(*) AS dbos_tables FROM pg_tables WHERE schemaname = 'dbos';
CREATE EXTENSION dbos_client;
SELECT (dbos.get_status('install-keep')).status;
DELETE FROM dbos.workflow_input WHERE workflow_uuid = 'install-keep';
DELETE FROM dbos.workflow_status WHERE workflow_uuid = 'install-keep';
