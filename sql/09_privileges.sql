-- Privileges: functions run as the caller; no search_path or schema trick runs foreign code.
CREATE ROLE regress_nobody;
CREATE ROLE regress_reader;
CREATE ROLE regress_app;
GRANT USAGE ON SCHEMA regress TO PUBLIC;
GRANT USAGE ON SCHEMA dbos TO regress_reader, regress_app;
GRANT SELECT ON ALL TABLES IN SCHEMA dbos TO regress_reader;
GRANT SELECT, INSERT ON dbos.workflow_status, dbos.workflow_input, dbos.notifications,
                        dbos.queues, dbos.dbos_migrations, dbos.workflow_events,
                        dbos.workflow_output TO regress_app;
SELECT regress.row_counts() AS before \gset

-- Without USAGE on schema dbos, the call is refused before it reaches the extension.
SET ROLE regress_nobody;
SELECT regress.error_of($$SELECT dbos.enqueue('_dbos_internal_queue', NULL, 'f', workflow_id => 'priv-1')$$);
SELECT regress.error_of($$SELECT dbos.get_status('enq-1')$$);
RESET ROLE;

-- With USAGE on schema dbos (it holds our functions and the DBOS tables) and no right on any
-- table, each function runs, and its own statements fail with 42501 on a DBOS table: they
-- run with the caller's rights.
GRANT USAGE ON SCHEMA dbos TO regress_nobody;
SET ROLE regress_nobody;
SELECT regress.error_of($$SELECT dbos.enqueue('_dbos_internal_queue', NULL, 'f', workflow_id => 'priv-1')$$);
SELECT regress.error_of($$SELECT dbos.send('enq-1', '1')$$);
SELECT regress.error_of($$SELECT dbos.get_status('enq-1')$$);
SELECT regress.error_of($$SELECT dbos.get_result('enq-1', 0)$$);
SELECT regress.error_of($$SELECT dbos.get_event('enq-1', 'k', 0)$$);
SELECT regress.error_of($$SELECT dbos.cancel_workflow('enq-1')$$);
SELECT regress.error_of($$SELECT * FROM dbos.list_workflows()$$);
RESET ROLE;

-- The system schema is checked the same way: with dbos.system_schema pointing at another
-- schema, USAGE on dbos (our functions) is not enough; with USAGE on it, the tables refuse.
SET dbos.system_schema = 'dbos_legacy108';
SET ROLE regress_nobody;
SELECT regress.error_of($$SELECT dbos.get_status('enq-1')$$);
SELECT regress.error_of($$SELECT dbos.enqueue('_dbos_internal_queue', NULL, 'f', workflow_id => 'priv-1')$$);
RESET ROLE;
GRANT USAGE ON SCHEMA dbos_legacy108 TO regress_nobody;
SET ROLE regress_nobody;
SELECT regress.error_of($$SELECT dbos.get_status('enq-1')$$);
SELECT regress.error_of($$SELECT dbos.enqueue('_dbos_internal_queue', NULL, 'f', workflow_id => 'priv-1')$$);
RESET ROLE;
RESET dbos.system_schema;
REVOKE USAGE ON SCHEMA dbos_legacy108 FROM regress_nobody;

-- Read rights only: the readers work, the writers fail on the table they write.
SET ROLE regress_reader;
SELECT regress.error_of($$SELECT dbos.enqueue('_dbos_internal_queue', NULL, 'f', workflow_id => 'priv-1')$$);
SELECT regress.error_of($$SELECT dbos.send('enq-1', '1')$$);
SELECT (dbos.get_status('enq-1')).workflow_id;
SELECT dbos.get_event('ev-1', 'string', 0);
SELECT dbos.get_result('res-ok', 0);
-- A bulk writer is one UPDATE or DELETE: refused like one, even when no given ID exists.
SELECT regress.error_of($$SELECT dbos.cancel_workflows(ARRAY['priv-unknown'])$$);
SELECT regress.error_of($$SELECT dbos.resume_workflows(ARRAY['enq-1'])$$);
SELECT regress.error_of($$SELECT dbos.delete_workflows(ARRAY['priv-unknown'])$$);
RESET ROLE;
SELECT regress.row_counts() = :'before' AS nothing_written;

-- With SELECT and INSERT, the same calls work.
SET ROLE regress_app;
SELECT dbos.enqueue('_dbos_internal_queue', NULL, 'f', workflow_id => 'priv-1');
SELECT (dbos.get_status('priv-1')).status;
RESET ROLE;

-- dbos.system_schema redirects every write: only superusers, and roles granted SET on it,
-- may change it. (Otherwise a caller could point a SECURITY DEFINER function's dbos.* calls
-- at tables it owns, with triggers that would run with the definer's rights.)
CREATE SCHEMA regress_owned AUTHORIZATION regress_app;
SET ROLE regress_app;
SELECT regress.error_of($$SET dbos.system_schema = 'regress_owned'$$);
SELECT regress.error_of($$SELECT set_config('dbos.system_schema', 'regress_owned', false)$$);
SHOW dbos.system_schema;
SET dbos.application_name = 'anyone may set this';
RESET dbos.application_name;
RESET ROLE;
GRANT SET ON PARAMETER dbos.system_schema TO regress_app;
SET ROLE regress_app;
SET dbos.system_schema = 'regress_owned';
SHOW dbos.system_schema;
RESET dbos.system_schema;
RESET ROLE;
REVOKE SET ON PARAMETER dbos.system_schema FROM regress_app;
DROP SCHEMA regress_owned;

-- A caller's search_path cannot put its own operators or functions into our statements.
CREATE SCHEMA evil;
CREATE TABLE evil.calls (what text);
CREATE FUNCTION evil.texteq(text, text) RETURNS boolean LANGUAGE plpgsql AS
  $$ BEGIN INSERT INTO evil.calls VALUES ('operator'); RETURN $1 OPERATOR(pg_catalog.=) $2; END $$;
CREATE OPERATOR evil.= (LEFTARG = text, RIGHTARG = text, FUNCTION = evil.texteq);
CREATE FUNCTION evil.to_timestamp(numeric) RETURNS timestamptz LANGUAGE plpgsql AS
  $$ BEGIN INSERT INTO evil.calls VALUES ('to_timestamp'); RETURN now(); END $$;
CREATE FUNCTION evil.div(bigint, numeric) RETURNS numeric LANGUAGE plpgsql AS
  $$ BEGIN INSERT INTO evil.calls VALUES ('division'); RETURN 0; END $$;
CREATE OPERATOR evil./ (LEFTARG = bigint, RIGHTARG = numeric, FUNCTION = evil.div);
CREATE DOMAIN evil.text AS pg_catalog.varchar CHECK (evil.texteq(VALUE, VALUE));
CREATE FUNCTION evil.max(bigint) RETURNS bigint LANGUAGE plpgsql AS
  $$ BEGIN INSERT INTO evil.calls VALUES ('max'); RETURN $1; END $$;
CREATE FUNCTION evil.coalesce(text, text) RETURNS text LANGUAGE plpgsql AS
  $$ BEGIN INSERT INTO evil.calls VALUES ('coalesce'); RETURN $1; END $$;
SET search_path = evil, pg_catalog, public;
DISCARD PLANS;
ALTER TABLE dbos.queues ADD COLUMN regress_probe int;  -- forces schema detection again
ALTER TABLE dbos.queues DROP COLUMN regress_probe;
SELECT dbos.enqueue('_dbos_internal_queue', NULL, 'f', workflow_id => 'priv-2') IS NOT NULL AS enqueued;
SELECT dbos.enqueue('_dbos_internal_queue', NULL, 'f', workflow_id => 'priv-2') IS NOT NULL AS again;
SELECT (dbos.get_status('priv-2')).status;
SELECT dbos.get_result('res-ok', 0);
SELECT dbos.get_event('ev-1', 'string', 0);
SELECT dbos.send('priv-2', '1', 'tp', 'k');
RESET search_path;
SELECT count(*) AS foreign_code_calls FROM evil.calls;
DROP SCHEMA evil CASCADE;

-- Row-level security on workflow_status: delete_workflows deletes the payload rows of the
-- status rows it deletes only; a workflow the caller cannot see keeps its inputs.
BEGIN;
SELECT dbos.enqueue('_dbos_internal_queue', NULL, 'f', '[1]', workflow_id => 'rls-' || s) FROM unnest(ARRAY['hidden', 'seen']) s;
ALTER TABLE dbos.workflow_status ENABLE ROW LEVEL SECURITY;
CREATE POLICY regress_seen ON dbos.workflow_status TO regress_app USING (workflow_uuid <> 'rls-hidden');
GRANT SELECT, DELETE ON dbos.workflow_status, dbos.workflow_input, dbos.workflow_output, dbos.operation_outputs TO regress_app;
SET ROLE regress_app;
SELECT dbos.delete_workflows(ARRAY['rls-hidden', 'rls-seen']);
RESET ROLE;
SELECT id, EXISTS (SELECT 1 FROM dbos.workflow_status w WHERE w.workflow_uuid = id) AS status_row,
       (SELECT count(*) FROM dbos.workflow_input i WHERE i.workflow_uuid = id) AS input_rows
FROM unnest(ARRAY['rls-hidden', 'rls-seen']) id;
ROLLBACK;

DELETE FROM dbos.notifications WHERE destination_uuid LIKE 'priv-%';
DELETE FROM dbos.workflow_input WHERE workflow_uuid LIKE 'priv-%';
DELETE FROM dbos.workflow_status WHERE workflow_uuid LIKE 'priv-%';
REVOKE ALL ON ALL TABLES IN SCHEMA dbos FROM regress_app, regress_reader;
REVOKE USAGE ON SCHEMA dbos FROM regress_app, regress_reader, regress_nobody;
DROP ROLE regress_app;
DROP ROLE regress_reader;
DROP ROLE regress_nobody;
