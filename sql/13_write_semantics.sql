-- Every call is a plain SQL write: it writes when called, as the current role, in the current
-- subtransaction, raises there, and the caller's next command sees the row, exactly as an
-- INSERT in the same place would.
INSERT INTO dbos.queues (name) VALUES ('semQ');

-- 1. Privileges: the rows are written with the rights in force at the call.
CREATE ROLE regress_sem_user;
GRANT USAGE ON SCHEMA dbos, regress TO regress_sem_user;
GRANT SELECT ON ALL TABLES IN SCHEMA dbos TO regress_sem_user;
CREATE FUNCTION regress.definer_noop() RETURNS int LANGUAGE plpgsql SECURITY DEFINER AS $$
BEGIN PERFORM 1; RETURN 1; END $$;
CREATE FUNCTION regress.definer_enqueue(id text) RETURNS text LANGUAGE plpgsql SECURITY DEFINER AS $$
DECLARE r text;
BEGIN
  r := dbos.enqueue('semQ', NULL, 'viaDefiner', workflow_id => id);
  RETURN r;
END $$;
SET ROLE regress_sem_user;
-- No INSERT right: refused at the call, even beside a SECURITY DEFINER function.
SELECT regress.error_of($$SELECT dbos.enqueue('semQ', NULL, 'noRight', workflow_id => 'sem-noright'), regress.definer_noop()$$);
-- A SECURITY DEFINER wrapper writes with its owner's rights.
SELECT regress.definer_enqueue('sem-definer');
RESET ROLE;
SELECT workflow_uuid, name FROM dbos.workflow_status WHERE workflow_uuid IN ('sem-noright', 'sem-definer') ORDER BY 1;

-- 2. Errors are raised at the call, so the caller's EXCEPTION block catches them.
SELECT dbos.enqueue('semQ', NULL, 'holder', workflow_id => 'sem-holder', deduplication_id => 'sem-held');
CREATE FUNCTION regress.try_enqueue(id text, name text, dedup text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE r text;
BEGIN
  BEGIN
    r := dbos.enqueue('semQ', NULL, name, workflow_id => id, deduplication_id => dedup);
    RETURN 'enqueued ' || r;
  EXCEPTION
    WHEN unique_violation THEN RETURN 'caught 23505';
    WHEN SQLSTATE 'DB006' THEN RETURN 'caught DB006';
    WHEN read_only_sql_transaction THEN RETURN 'caught 25006';
  END;
END $$;
CREATE FUNCTION regress.try_perform(id text, dedup text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  BEGIN
    PERFORM dbos.enqueue('semQ', NULL, 'performed', workflow_id => id, deduplication_id => dedup);
    RETURN 'enqueued';
  EXCEPTION WHEN unique_violation THEN RETURN 'caught 23505';
  END;
END $$;
SELECT regress.try_enqueue('sem-dup', 'other', 'sem-held') AS held_dedup,
       regress.try_enqueue('sem-holder', 'otherName', NULL) AS other_workflow,
       regress.try_perform('sem-dup2', 'sem-held') AS with_perform;
BEGIN READ ONLY;
SELECT regress.try_enqueue('sem-ro', 'ro', NULL) AS in_read_only;
COMMIT;
SELECT count(*) AS nothing_written FROM dbos.workflow_status WHERE workflow_uuid IN ('sem-dup', 'sem-dup2', 'sem-ro');

-- 3. The next command sees the row: plpgsql in a VOLATILE function called from a query.
CREATE FUNCTION regress.enqueue_then_count(id text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE x text; n int; st text; listed int;
BEGIN
  x := dbos.enqueue('semQ', NULL, 'visible', workflow_id => id);
  SELECT count(*) INTO n FROM dbos.workflow_status WHERE workflow_uuid = x;
  SELECT (dbos.get_status(x)).status INTO st;
  SELECT count(*) INTO listed FROM dbos.list_workflows(workflow_name => 'visible') WHERE workflow_id = x;
  RETURN format('count=%s status=%s listed=%s', n, st, listed);
END $$;
SELECT regress.enqueue_then_count('sem-vis-' || i) FROM generate_series(1, 2) i;

-- 4. Later calls of the same statement see earlier ones, also inside EXCEPTION blocks.
CREATE FUNCTION regress.send_in_block(id text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  BEGIN
    PERFORM dbos.send(id, '"hi"');
    RETURN 'sent';
  EXCEPTION WHEN foreign_key_violation THEN RETURN 'destination not found';
  END;
END $$;
SELECT dbos.enqueue('semQ', NULL, 'outer', workflow_id => 'sem-outer') AS enqueued,
       regress.send_in_block('sem-outer') AS send;
SELECT dbos.enqueue('semQ', NULL, 'first', workflow_id => 'sem-first', deduplication_id => 'sem-d1') AS first,
       regress.try_enqueue('sem-second', 'second', 'sem-d1') AS second;
SELECT workflow_uuid FROM dbos.workflow_status WHERE deduplication_id = 'sem-d1';

-- 5. One ID twice in one call or statement: the first arguments stay, in both tables.
SELECT dbos.enqueue_many('semQ', NULL, 'rep', ARRAY['[1]', '[2]', '[3]', '[4]']::jsonb[],
                         workflow_ids => ARRAY['sem-rep', 'sem-rep', 'sem-rep-b', 'sem-rep']);
SELECT count(dbos.enqueue('semQ', NULL, 'rep', jsonb_build_array(i), workflow_id => 'sem-rep-c'))
FROM generate_series(1, 3000) i;
SELECT s.workflow_uuid, i.inputs FROM dbos.workflow_status s JOIN dbos.workflow_input i USING (workflow_uuid)
WHERE s.name = 'rep' ORDER BY 1;

-- A trigger on workflow_status that enqueues (re-entrant enqueue): nothing is lost.
CREATE FUNCTION regress.enqueue_child() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.name = 'parent' THEN
    PERFORM dbos.enqueue('semQ', NULL, 'child', jsonb_build_array(NEW.workflow_uuid));
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER regress_children AFTER INSERT ON dbos.workflow_status
  FOR EACH ROW EXECUTE FUNCTION regress.enqueue_child();
SELECT count(dbos.enqueue('semQ', NULL, 'parent')) FROM generate_series(1, 5);
SELECT cardinality(dbos.enqueue_many('semQ', NULL, 'parent', array_fill('[]'::jsonb, ARRAY[5])));
DROP TRIGGER regress_children ON dbos.workflow_status;
SELECT (SELECT count(*) FROM dbos.workflow_status WHERE name = 'parent') AS parents,
       (SELECT count(*) FROM dbos.workflow_status c JOIN dbos.workflow_input i USING (workflow_uuid)
        JOIN dbos.workflow_status p ON p.workflow_uuid = i.inputs::jsonb #>> '{positionalArgs,0}'
        WHERE c.name = 'child' AND p.name = 'parent') AS children_of_parents;

-- 6. A cursor writes when it fetches: its errors are its own, and the row is there at once.
BEGIN;
DECLARE c CURSOR FOR SELECT dbos.enqueue('semQ', NULL, 'cur', workflow_id => 'sem-cur-' || i) FROM generate_series(1, 3) i;
FETCH 1 FROM c;
SELECT count(*) AS written_at_fetch, pg_current_xact_id_if_assigned() IS NOT NULL AS has_xid
FROM dbos.workflow_status WHERE name = 'cur';
FETCH 1 FROM c;
SELECT count(*) AS after_second_fetch FROM dbos.workflow_status WHERE name = 'cur';
COMMIT;
BEGIN;
DECLARE c CURSOR FOR SELECT dbos.enqueue('semQ', NULL, 'curdup', deduplication_id => 'sem-held') FROM generate_series(1, 3);
SAVEPOINT s;
FETCH 1 FROM c;  -- the conflict is raised by this FETCH
ROLLBACK TO s;
SELECT 'unrelated statement runs' AS later;
COMMIT;
-- Deferred constraint triggers on the DBOS tables fire at commit for rows a cursor wrote
-- (rows written at commit time would queue events that never fire).
CREATE TABLE regress.deferred_seen (id text);
CREATE FUNCTION regress.note_deferred() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN INSERT INTO regress.deferred_seen VALUES (NEW.workflow_uuid); RETURN NULL; END $$;
CREATE CONSTRAINT TRIGGER regress_deferred AFTER INSERT ON dbos.workflow_status
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION regress.note_deferred();
BEGIN;
DECLARE d CURSOR FOR SELECT dbos.enqueue('semQ', NULL, 'deferred', workflow_id => 'sem-deferred-' || i) FROM generate_series(1, 3) i;
FETCH 2 FROM d;
COMMIT;
DROP TRIGGER regress_deferred ON dbos.workflow_status;
SELECT id FROM regress.deferred_seen ORDER BY 1;
-- WITH HOLD cursors: a scrollable one is run again from the start when its transaction
-- commits (PostgreSQL's rule for volatile functions); explicit workflow IDs make that harmless.
BEGIN;
DECLARE h SCROLL CURSOR WITH HOLD FOR
  SELECT dbos.enqueue('semQ', NULL, 'held', workflow_id => 'sem-held-' || i) FROM generate_series(1, 3) i;
FETCH 1 FROM h;
COMMIT;
CLOSE h;
BEGIN;
DECLARE h SCROLL CURSOR WITH HOLD FOR SELECT dbos.enqueue('semQ', NULL, 'heldGen') IS NOT NULL FROM generate_series(1, 3) i;
FETCH 1 FROM h;
COMMIT;
CLOSE h;
BEGIN;
DECLARE h NO SCROLL CURSOR WITH HOLD FOR SELECT dbos.enqueue('semQ', NULL, 'heldNoScroll') IS NOT NULL FROM generate_series(1, 3) i;
FETCH 1 FROM h;
COMMIT;
CLOSE h;
SELECT name, count(*) FROM dbos.workflow_status WHERE name IN ('held', 'heldGen', 'heldNoScroll') GROUP BY 1 ORDER BY 1;

-- 7. COPY into a table with a statement-level trigger: set-based, one INSERT per DBOS table.
CREATE TABLE regress.copied (id int, note text);
CREATE TRIGGER copied_stmt AFTER INSERT ON regress.copied REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION dbos.enqueue_trigger('semQ', '', 'onCopy');
CREATE TABLE regress.insert_statements (tbl text, n int DEFAULT 0);
INSERT INTO regress.insert_statements VALUES ('workflow_status'), ('workflow_input');
CREATE FUNCTION regress.count_insert_statement() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE regress.insert_statements SET n = n + 1 WHERE tbl = TG_TABLE_NAME;
  RETURN NULL;
END $$;
CREATE TRIGGER regress_count_status AFTER INSERT ON dbos.workflow_status
  FOR EACH STATEMENT EXECUTE FUNCTION regress.count_insert_statement();
CREATE TRIGGER regress_count_input AFTER INSERT ON dbos.workflow_input
  FOR EACH STATEMENT EXECUTE FUNCTION regress.count_insert_statement();
COPY regress.copied FROM STDIN;
1	a
2	b
3	c
4	d
5	e
6	f
\.
DROP TRIGGER regress_count_status ON dbos.workflow_status;
DROP TRIGGER regress_count_input ON dbos.workflow_input;
SELECT tbl, n AS insert_statements FROM regress.insert_statements ORDER BY 1;
SELECT count(*) AS workflows FROM dbos.workflow_status WHERE name = 'onCopy';

-- 9. Readers write nothing: every one runs in a READ ONLY transaction and takes no XID.
BEGIN READ ONLY;
SELECT (dbos.get_status('sem-outer')).status,
       (SELECT count(*) FROM dbos.list_workflows(workflow_name => 'visible')) AS listed,
       (SELECT count(*) FROM dbos.list_queued_workflows(queue_name => 'semQ')) > 0 AS queued,
       (SELECT count(*) FROM dbos.list_workflow_steps('sem-outer')) AS steps,
       (SELECT count(*) FROM dbos.get_events('sem-outer')) AS events,
       (SELECT count(*) FROM dbos.read_stream('sem-outer', 'k')) AS stream,
       dbos.get_event('sem-outer', 'k', 0) AS event;
SELECT pg_current_xact_id_if_assigned() IS NULL AS no_xid;
COMMIT;
SELECT p.proname, p.provolatile FROM pg_proc p
WHERE p.pronamespace = 'dbos'::regnamespace AND p.proname IN
  ('get_status', 'list_workflows', 'list_queued_workflows', 'list_workflow_steps', 'get_events', 'read_stream')
ORDER BY 1;

-- Blank workflow IDs are refused on every path that creates a workflow.
CREATE TABLE regress.blank_ids (ref text);
CREATE TRIGGER blank_ids_row AFTER INSERT ON regress.blank_ids
  FOR EACH ROW EXECUTE FUNCTION dbos.enqueue_trigger('semQ', '', 'blank', 'workflow_id_column=ref');
SELECT regress.error_of($$INSERT INTO regress.blank_ids VALUES ('  ')$$);
SELECT regress.error_of($$INSERT INTO regress.blank_ids VALUES ('')$$);
SELECT regress.error_of($$SELECT dbos.fork_workflow('sem-outer', 0, new_workflow_id => '  ')$$);
SELECT regress.error_of($$SELECT dbos.enqueue_many('semQ', NULL, 'blank', ARRAY['[]', '[]']::jsonb[], workflow_ids => ARRAY['ok', ' '])$$);
SELECT count(*) AS blank_written FROM dbos.workflow_status WHERE name = 'blank' OR btrim(workflow_uuid) = '';

-- created_at: strictly increasing in call order while a backend stays within 1 s of the wall
-- clock, and never more than 1 s ahead of it however fast one backend enqueues.
SELECT sum(cardinality(dbos.enqueue_many('semQ', NULL, 'fast', array_fill('[]'::jsonb, ARRAY[5000]))))
FROM generate_series(1, 5);
SELECT max(created_at) <= (extract(epoch FROM clock_timestamp()) * 1000)::bigint + 1000 AS within_1s_of_clock
FROM dbos.workflow_status WHERE name = 'fast';
SELECT dbos.enqueue('semQ', NULL, 'later', workflow_id => 'sem-later');
SELECT (SELECT created_at FROM dbos.workflow_status WHERE workflow_uuid = 'sem-later')
       >= (SELECT max(created_at) FROM dbos.workflow_status WHERE name = 'fast') AS later_not_before;

-- Validation happens before any write: a sequence (not rolled back) counts insert attempts.
CREATE SEQUENCE regress.write_attempts;
CREATE FUNCTION regress.note_attempt() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN PERFORM nextval('regress.write_attempts'); RETURN NEW; END $$;
CREATE TRIGGER regress_attempt_status BEFORE INSERT ON dbos.workflow_status
  FOR EACH ROW EXECUTE FUNCTION regress.note_attempt();
CREATE TRIGGER regress_attempt_input BEFORE INSERT ON dbos.workflow_input
  FOR EACH ROW EXECUTE FUNCTION regress.note_attempt();
CREATE TRIGGER regress_attempt_notification BEFORE INSERT ON dbos.notifications
  FOR EACH ROW EXECUTE FUNCTION regress.note_attempt();
SELECT nextval('regress.write_attempts') AS before;
SELECT regress.error_of($$SELECT dbos.enqueue('semQ', NULL, 'bad', '{"not": "an array"}')$$) IS NOT NULL AS e1,
       regress.error_of($$SELECT dbos.enqueue('semQ', repeat('c', 256), 'bad')$$) IS NOT NULL AS e2,
       regress.error_of($$SELECT dbos.enqueue('semQ', NULL, 'bad', priority => -1)$$) IS NOT NULL AS e3,
       regress.error_of($$SELECT dbos.enqueue('semQ', NULL, 'bad', timeout => '-1 s')$$) IS NOT NULL AS e4,
       regress.error_of($$SELECT dbos.enqueue_many('semQ', NULL, 'bad', ARRAY['[]', '1']::jsonb[])$$) IS NOT NULL AS e5,
       regress.error_of($$SELECT dbos.enqueue_many('semQ', NULL, 'bad', ARRAY['[]']::jsonb[], workflow_ids => ARRAY['a', 'b'])$$) IS NOT NULL AS e6,
       regress.error_of($$SELECT dbos.send('sem-outer', '1', idempotency_key => '')$$) IS NOT NULL AS e7,
       regress.error_of($$SELECT dbos.enqueue('semQ', NULL, 'bad', partition_key => repeat('p', 3000))$$) IS NOT NULL AS e8,
       regress.error_of($$SELECT dbos.fork_workflow('sem-outer', 0, new_workflow_id => repeat('f', 3000))$$) IS NOT NULL AS e9,
       regress.error_of($$SELECT dbos.enqueue_many('semQ', NULL, 'bad', ARRAY['[]', '[]']::jsonb[], deduplication_ids => ARRAY['ok', repeat('d', 3000)])$$) IS NOT NULL AS e10;
-- Keys too long for the DBOS indexes are refused before writing, not by the index.
SELECT regress.error_of($$SELECT dbos.enqueue('semQ', NULL, 'bad', workflow_id => repeat('w', 3000))$$);
SELECT nextval('regress.write_attempts') AS after;  -- one more than before: no attempt between
-- The counter does see writes: a good enqueue is two attempts (status and input rows).
SELECT dbos.enqueue('semQ', NULL, 'good', workflow_id => 'sem-good');
SELECT nextval('regress.write_attempts') AS after_good;
DROP TRIGGER regress_attempt_status ON dbos.workflow_status;
DROP TRIGGER regress_attempt_input ON dbos.workflow_input;
DROP TRIGGER regress_attempt_notification ON dbos.notifications;

DROP FUNCTION regress.definer_enqueue(text);
DROP FUNCTION regress.definer_noop();
REVOKE ALL ON ALL TABLES IN SCHEMA dbos FROM regress_sem_user;
REVOKE ALL ON SCHEMA dbos, regress FROM regress_sem_user;
DROP ROLE regress_sem_user;

-- A backend's messages are not pushed ahead of the clock by its bulk enqueues (receive
-- order across sessions follows created_at_epoch_ms).
SELECT cardinality(dbos.enqueue_many('semQ', NULL, 'pushAhead', array_fill('[]'::jsonb, ARRAY[3000])));
SELECT dbos.send('sem-outer', '"after bulk"', 'order');
SELECT created_at_epoch_ms < (extract(epoch FROM clock_timestamp()) * 1000)::bigint + 500 AS send_not_ahead
FROM dbos.notifications WHERE destination_uuid = 'sem-outer' AND topic = 'order';

-- Re-entrant calls with another dbos.system_schema (a trigger on workflow_status whose
-- function sets it): the outer call keeps its own schema profile and statements.
CREATE FUNCTION regress.mirror() RETURNS trigger LANGUAGE plpgsql SET dbos.system_schema = 'dbos_legacy108' AS $$
BEGIN
  PERFORM dbos.enqueue(NEW.queue_name, NULL, NEW.name, '[]', workflow_id => NEW.workflow_uuid);
  RETURN NULL;
END $$;
CREATE TRIGGER regress_mirror AFTER INSERT ON dbos.workflow_status FOR EACH ROW
  WHEN (NEW.name = 'mirrored') EXECUTE FUNCTION regress.mirror();
SELECT dbos.enqueue('_dbos_internal_queue', NULL, 'mirrored', '[7]', workflow_id => 'sem-m1');
DROP TRIGGER regress_mirror ON dbos.workflow_status;
SELECT (SELECT inputs FROM dbos.workflow_input WHERE workflow_uuid = 'sem-m1') AS outer_input,
       (SELECT inputs FROM dbos_legacy108.workflow_status WHERE workflow_uuid = 'sem-m1') AS mirrored_input;

-- A statement trigger checks every row's keys before it writes any: a bad row anywhere
-- in the statement means no insert was even attempted.
CREATE TABLE regress.keyed (id int, ref text, dd text, part text);
CREATE TRIGGER keyed_stmt AFTER INSERT ON regress.keyed REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION dbos.enqueue_trigger('semQ', '', 'keyed', 'workflow_id_column=ref',
                                                           'deduplication_column=dd', 'partition_column=part');
CREATE TRIGGER regress_attempt_status BEFORE INSERT ON dbos.workflow_status
  FOR EACH ROW EXECUTE FUNCTION regress.note_attempt();
SELECT nextval('regress.write_attempts') AS before_keys;
SELECT regress.error_of($$INSERT INTO regress.keyed SELECT i, CASE WHEN i = 15000 THEN NULL ELSE 'k-' || i END FROM generate_series(1, 20000) i$$);
SELECT regress.error_of($$INSERT INTO regress.keyed SELECT i, 'k-' || i, CASE WHEN i = 12000 THEN '' END FROM generate_series(1, 20000) i$$);
SELECT regress.error_of($$INSERT INTO regress.keyed SELECT i, 'k-' || i, NULL, CASE WHEN i = 11000 THEN '' END FROM generate_series(1, 20000) i$$);
SELECT nextval('regress.write_attempts') AS after_keys;  -- one more: nothing attempted
DROP TRIGGER regress_attempt_status ON dbos.workflow_status;

-- Trigger options that could not do what they say are refused.
CREATE TABLE regress.stamped (id int, at timestamptz, note text);
CREATE TRIGGER stamped_row AFTER INSERT ON regress.stamped
  FOR EACH ROW EXECUTE FUNCTION dbos.enqueue_trigger('semQ', '', 'stamped', 'workflow_id_column=at');
SELECT regress.error_of($$INSERT INTO regress.stamped VALUES (1, now(), 'x')$$);
DROP TRIGGER stamped_row ON regress.stamped;
CREATE TRIGGER stamped_upd AFTER UPDATE ON regress.stamped REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION dbos.enqueue_trigger('semQ', '', 'stamped', 'when_changed=note');
INSERT INTO regress.stamped VALUES (1, now(), 'x');
SELECT regress.error_of($$UPDATE regress.stamped SET id = 2$$);

-- Under row-level security a key held by a row the caller may not see raises what a plain
-- INSERT raises there (23505), catchable as unique_violation.
CREATE ROLE regress_tenant_a LOGIN;
CREATE ROLE regress_tenant_b LOGIN;
GRANT USAGE ON SCHEMA dbos, regress TO regress_tenant_a, regress_tenant_b;
GRANT SELECT, INSERT ON dbos.workflow_status, dbos.workflow_input, dbos.queues TO regress_tenant_a, regress_tenant_b;
ALTER TABLE dbos.workflow_status ENABLE ROW LEVEL SECURITY;
CREATE POLICY regress_tenant ON dbos.workflow_status
  USING (application_name = current_user) WITH CHECK (application_name = current_user);
SET ROLE regress_tenant_a;
SELECT dbos.enqueue('semQ', NULL, 'tenant', workflow_id => 'sem-rls', deduplication_id => 'sem-rls-dd',
                    application_name => 'regress_tenant_a');
SET ROLE regress_tenant_b;
SELECT regress.error_of($$SELECT dbos.enqueue('semQ', NULL, 'tenant', deduplication_id => 'sem-rls-dd', application_name => 'regress_tenant_b')$$) ~ '^23505' AS dedup_23505;
SELECT regress.error_of($$SELECT dbos.enqueue('semQ', NULL, 'tenant', workflow_id => 'sem-rls', application_name => 'regress_tenant_b')$$) ~ '^23505' AS id_23505;
RESET ROLE;
DROP POLICY regress_tenant ON dbos.workflow_status;
ALTER TABLE dbos.workflow_status DISABLE ROW LEVEL SECURITY;

-- A role with only the rights DBOS's own client needs (SELECT, INSERT on the two tables,
-- nothing on dbos_migrations or queues) can enqueue in a fresh session, to any queue.
REVOKE ALL ON dbos.queues FROM regress_tenant_b;
\c - regress_tenant_b
SELECT dbos.enqueue('semQ', NULL, 'minimalRights', workflow_id => 'sem-minimal');
SELECT dbos.enqueue('notRegisteredQ', NULL, 'minimalRights', workflow_id => 'sem-minimal-2');
\c - postgres
REVOKE ALL ON dbos.workflow_status, dbos.workflow_input, dbos.queues FROM regress_tenant_a, regress_tenant_b;
REVOKE ALL ON SCHEMA dbos, regress FROM regress_tenant_a, regress_tenant_b;
DROP ROLE regress_tenant_a;
DROP ROLE regress_tenant_b;

-- An input row suppressed by a BEFORE trigger is an error, as a suppressed status row is.
CREATE FUNCTION regress.suppress() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
CREATE TRIGGER regress_suppress_input BEFORE INSERT ON dbos.workflow_input
  FOR EACH ROW EXECUTE FUNCTION regress.suppress();
SELECT regexp_replace(regress.error_of($$SELECT dbos.enqueue('semQ', NULL, 'noInput')$$), '[0-9a-f-]{36}', '<uuid>');
SELECT regexp_replace(regress.error_of($$SELECT dbos.enqueue_many('semQ', NULL, 'noInput', ARRAY['[]', '[]', '[]']::jsonb[])$$), '[0-9a-f-]{36}', '<uuid>');
SELECT regress.error_of($$SELECT dbos.enqueue('semQ', NULL, 'noInput', workflow_id => 'sem-noinput-id')$$);
SELECT regress.error_of($$SELECT dbos.enqueue('semQ', NULL, 'noInput', workflow_id => 'sem-noinput-dd', deduplication_id => 'sem-noinput-dd')$$);
SELECT regress.error_of($$SELECT dbos.enqueue_many('semQ', NULL, 'noInput', ARRAY['[]', '[]', '[]']::jsonb[], workflow_ids => ARRAY['sem-ni-1', 'sem-ni-2', 'sem-ni-3'])$$);
DROP TRIGGER regress_suppress_input ON dbos.workflow_input;

-- A rule that would rewrite our INSERT (even into another table) is refused.
CREATE TABLE regress.sink (id text);
BEGIN;
CREATE RULE regress_redirect AS ON INSERT TO dbos.workflow_status DO INSTEAD INSERT INTO regress.sink VALUES (NEW.workflow_uuid);
SELECT regress.error_of($$SELECT dbos.enqueue('semQ', NULL, 'redirected', workflow_id => 'sem-redirected')$$);
SELECT regress.error_of($$SELECT dbos.enqueue_many('semQ', NULL, 'redirected', ARRAY['[]', '[]', '[]']::jsonb[])$$);
ROLLBACK;

-- A payload column left NULL by a loosened schema reads as JSON null, never a crash.
BEGIN;
ALTER TABLE dbos.workflow_events ALTER COLUMN value DROP NOT NULL;
INSERT INTO dbos.workflow_events (workflow_uuid, key, value, serialization) VALUES ('sem-outer', 'nullValue', NULL, NULL);
SELECT dbos.get_event('sem-outer', 'nullValue', 0) AS event, (SELECT value FROM dbos.get_events('sem-outer') WHERE key = 'nullValue') AS from_all;
ROLLBACK;

-- A statement trigger's when_changed skips rows before their keys are checked, as a
-- row-level trigger never sees them.
CREATE TABLE regress.sem_orders (id int, ref text, status text, note text);
INSERT INTO regress.sem_orders VALUES (1, NULL, 'new', ''), (2, 'ord-2', 'new', '');
CREATE TRIGGER sem_orders_stmt AFTER UPDATE ON regress.sem_orders REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION dbos.enqueue_trigger('semQ', '', 'orderChanged', 'workflow_id_column=ref', 'when_changed=status');
UPDATE regress.sem_orders SET note = 'touched';  -- no status change: nothing, no error
UPDATE regress.sem_orders SET status = 'paid' WHERE id = 2;
SELECT workflow_uuid FROM dbos.workflow_status WHERE name = 'orderChanged';
SELECT regress.error_of($$UPDATE regress.sem_orders SET status = 'paid' WHERE id = 1$$);

-- A write in a READ ONLY transaction names the function.
BEGIN READ ONLY;
SELECT regress.error_of($$SELECT dbos.fork_workflow('sem-outer', 0)$$);
COMMIT;

-- 8. The first statement of a session (library not preloaded, loaded by that statement)
-- behaves like every later one.
\c
SELECT regress.enqueue_then_count('sem-first-stmt');
SELECT regress.enqueue_then_count('sem-second-stmt');
