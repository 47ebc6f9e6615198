-- Upgrade path: 1.0 (the first release) updated to the current version equals a fresh
-- install from the complete script of the current version (a separate, hand-kept file).
-- Compared both ways: members, function signatures, volatility, rights and comments, and
-- the columns of our types.
CREATE TEMP VIEW ext_functions AS
SELECT p.oid::regprocedure::text AS signature, pg_get_function_result(p.oid) AS result,
       pg_get_function_arguments(p.oid) AS arguments, p.provolatile, p.prosecdef, p.proacl::text AS acl,
       obj_description(p.oid, 'pg_proc') AS comment
FROM pg_proc p WHERE p.pronamespace = 'dbos'::regnamespace
  AND EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e');
CREATE TEMP VIEW ext_types AS
SELECT t.typname, a.attnum, a.attname, format_type(a.atttypid, a.atttypmod) AS type,
       obj_description(t.oid, 'pg_type') AS comment, t.typacl::text AS acl
FROM pg_type t JOIN pg_attribute a ON a.attrelid = t.typrelid AND a.attnum > 0
WHERE t.typnamespace = 'dbos'::regnamespace
  AND EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = t.oid AND d.deptype = 'e');
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
CREATE TEMP TABLE functions_after_update AS SELECT * FROM ext_functions;
CREATE TEMP TABLE types_after_update AS SELECT * FROM ext_types;
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
(SELECT 'updated only' AS side, * FROM (TABLE functions_after_update EXCEPT TABLE ext_functions) a)
UNION ALL
(SELECT 'fresh only', * FROM (TABLE ext_functions EXCEPT TABLE functions_after_update) b);
(SELECT 'updated only' AS side, * FROM (TABLE types_after_update EXCEPT TABLE ext_types) a)
UNION ALL
(SELECT 'fresh only', * FROM (TABLE ext_types EXCEPT TABLE types_after_update) b);
SELECT count(*) AS functions, count(comment) AS commented FROM ext_functions;
-- Array types of our composite types are members from PostgreSQL 17 on: not counted.
SELECT count(*) AS extension_objects FROM objects_after_update WHERE object NOT LIKE '%[]';
DELETE FROM dbos.workflow_input WHERE workflow_uuid = 'upgrade-1';
DELETE FROM dbos.workflow_status WHERE workflow_uuid = 'upgrade-1';
