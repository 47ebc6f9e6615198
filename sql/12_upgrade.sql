-- Upgrade path: 1.0 (the first release) updated to the current version equals a fresh install.
CREATE TEMP TABLE objects_after_update AS
SELECT pg_describe_object(classid, objid, objsubid) AS object
FROM pg_depend WHERE refclassid = 'pg_extension'::regclass AND deptype = 'e'
  AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'dbos_client') LIMIT 0;
DROP EXTENSION dbos_client;
CREATE EXTENSION dbos_client VERSION '1.0';
SELECT extversion FROM pg_extension WHERE extname = 'dbos_client';
SELECT dbos.enqueue('_dbos_internal_queue', NULL, 'beforeUpgrade', workflow_id => 'upgrade-1');
ALTER EXTENSION dbos_client UPDATE;
SELECT extversion FROM pg_extension WHERE extname = 'dbos_client';
INSERT INTO objects_after_update
SELECT pg_describe_object(classid, objid, objsubid) FROM pg_depend
WHERE refclassid = 'pg_extension'::regclass AND deptype = 'e'
  AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'dbos_client');
CREATE TEMP TABLE signatures_after_update AS
SELECT p.oid::regprocedure::text AS signature, pg_get_function_result(p.oid) AS result,
       pg_get_function_arguments(p.oid) AS arguments, p.provolatile, p.prosecdef, p.proacl::text AS acl
FROM pg_proc p WHERE p.pronamespace = 'dbos'::regnamespace
  AND EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e');
SELECT (dbos.get_status('upgrade-1')).status;  -- rows untouched, functions work
SELECT count(*) FROM dbos.list_workflows(workflow_name => 'beforeUpgrade');
DROP EXTENSION dbos_client;
CREATE EXTENSION dbos_client;
-- Differences between the updated and the fresh install (none expected).
(SELECT object FROM objects_after_update
 EXCEPT SELECT pg_describe_object(classid, objid, objsubid) FROM pg_depend
 WHERE refclassid = 'pg_extension'::regclass AND deptype = 'e'
   AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'dbos_client'))
UNION ALL
(SELECT pg_describe_object(classid, objid, objsubid) FROM pg_depend
 WHERE refclassid = 'pg_extension'::regclass AND deptype = 'e'
   AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'dbos_client')
 EXCEPT SELECT object FROM objects_after_update);
SELECT * FROM signatures_after_update
EXCEPT
SELECT p.oid::regprocedure::text, pg_get_function_result(p.oid), pg_get_function_arguments(p.oid),
       p.provolatile, p.prosecdef, p.proacl::text
FROM pg_proc p WHERE p.pronamespace = 'dbos'::regnamespace
  AND EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e');
SELECT count(*) AS extension_objects FROM objects_after_update;
DELETE FROM dbos.workflow_input WHERE workflow_uuid = 'upgrade-1';
DELETE FROM dbos.workflow_status WHERE workflow_uuid = 'upgrade-1';
