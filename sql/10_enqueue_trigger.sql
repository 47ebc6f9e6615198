-- dbos.enqueue_trigger: row- and statement-level, every option, and every refusal.
CREATE TABLE regress.items (id int PRIMARY KEY, name text, price numeric, tag text, note text);

-- Row level: one workflow per changed row, in the same transaction.
CREATE TRIGGER items_enqueue AFTER INSERT OR UPDATE OR DELETE ON regress.items
  FOR EACH ROW EXECUTE FUNCTION dbos.enqueue_trigger('_dbos_internal_queue', '', 'onItem',
    'workflow_id_column=note', 'priority=3', 'app_version=v2');
INSERT INTO regress.items VALUES (1, 'pen', 1.5, 'a', 'item-1-ins');
UPDATE regress.items SET price = 2, note = 'item-1-upd' WHERE id = 1;
DELETE FROM regress.items WHERE id = 1;
BEGIN;
INSERT INTO regress.items VALUES (2, 'cup', 3, 'b', 'item-2-rolled-back');
ROLLBACK;
SELECT s.workflow_uuid, s.status, s.name, s.class_name, s.queue_name, s.priority, s.application_version,
       s.serialization, i.inputs::jsonb
FROM dbos.workflow_status s JOIN dbos.workflow_input i USING (workflow_uuid)
WHERE s.name = 'onItem' ORDER BY s.created_at;
-- The same ID again (a replayed change) is a no-op, as in DBOS.
INSERT INTO regress.items VALUES (1, 'pen', 1.5, 'a', 'item-1-ins');
SELECT count(*) FROM dbos.workflow_status WHERE workflow_uuid = 'item-1-ins';
DROP TRIGGER items_enqueue ON regress.items;
TRUNCATE regress.items;

-- Options: columns, deduplication, partition, delay, timeout, when_changed, application_name.
CREATE TRIGGER items_opts AFTER INSERT OR UPDATE ON regress.items
  FOR EACH ROW EXECUTE FUNCTION dbos.enqueue_trigger('_dbos_internal_queue', 'Shop', 'onItemOpts',
    'columns=id, name', 'deduplication_column=tag', 'partition_column=name', 'delay=1 hour',
    'timeout=30 s', 'when_changed=price', 'application_name=shopApp', 'workflow_id_column=note');
INSERT INTO regress.items VALUES (3, 'ink', 4, 'dd-3', 'item-3');
UPDATE regress.items SET name = 'ink2', note = 'item-3-name' WHERE id = 3;   -- price unchanged: nothing
UPDATE regress.items SET price = 5, tag = 'dd-3b', note = 'item-3-price' WHERE id = 3;
SELECT workflow_uuid, status, class_name, deduplication_id, queue_partition_key, workflow_timeout_ms,
       (delay_until_epoch_ms - created_at + 500) / 1000 AS delay_s, application_name,
       (SELECT inputs::jsonb FROM dbos.workflow_input i WHERE i.workflow_uuid = s.workflow_uuid)
FROM dbos.workflow_status s WHERE name = 'onItemOpts' ORDER BY created_at;
-- A deduplication conflict aborts the change, with the usual 23505.
SELECT regress.error_of($$INSERT INTO regress.items VALUES (4, 'x', 1, 'dd-3b', 'item-4')$$);
SELECT count(*) FROM regress.items WHERE id = 4;
DROP TRIGGER items_opts ON regress.items;
TRUNCATE regress.items;

-- Statement level with transition tables: one workflow per row, written in bulk.
CREATE TRIGGER items_ins_stmt AFTER INSERT ON regress.items REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION dbos.enqueue_trigger('bulkQueue', '', 'onBulk', 'workflow_id_column=note');
CREATE TRIGGER items_upd_stmt AFTER UPDATE ON regress.items REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION dbos.enqueue_trigger('bulkQueue', '', 'onBulk', 'when_changed=price', 'columns=id,price');
CREATE TRIGGER items_del_stmt AFTER DELETE ON regress.items REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION dbos.enqueue_trigger('bulkQueue', '', 'onBulk', 'columns=id');
INSERT INTO dbos.queues (name) VALUES ('bulkQueue');
INSERT INTO regress.items SELECT i, 'n' || i, i, NULL, 'bulk-' || i FROM generate_series(1, 2500) i;
SELECT count(*) AS workflows,
       max(created_at) <= (extract(epoch FROM clock_timestamp()) * 1000)::bigint + 1000 AS within_1s_of_clock,
       min(workflow_uuid) AS first_id, bool_and(status = 'ENQUEUED') AS all_enqueued
FROM dbos.workflow_status WHERE name = 'onBulk';
SELECT inputs::jsonb FROM dbos.workflow_input WHERE workflow_uuid = 'bulk-7';
-- created_at follows the statement's row order (never decreasing; ties beyond 1,000 rows a second).
SELECT bool_and(s.created_at >= s.prev) AS fifo, count(*) FILTER (WHERE s.created_at > s.prev) >= 900 AS mostly_distinct FROM (
  SELECT created_at, lag(created_at) OVER (ORDER BY (i.inputs::jsonb #>> '{positionalArgs,0,new,id}')::int) AS prev
  FROM dbos.workflow_status s JOIN dbos.workflow_input i USING (workflow_uuid) WHERE s.name = 'onBulk') s;
UPDATE regress.items SET price = price + (id % 2) WHERE id <= 10;  -- 5 rows really change
UPDATE regress.items SET note = note WHERE id <= 10;               -- no price change: nothing
SELECT count(*) AS update_workflows FROM dbos.workflow_status s JOIN dbos.workflow_input i USING (workflow_uuid)
WHERE s.name = 'onBulk' AND i.inputs::jsonb #>> '{positionalArgs,0,op}' = 'UPDATE';
SELECT i.inputs::jsonb FROM dbos.workflow_status s JOIN dbos.workflow_input i USING (workflow_uuid)
WHERE s.name = 'onBulk' AND i.inputs::jsonb #>> '{positionalArgs,0,op}' = 'UPDATE' ORDER BY s.created_at LIMIT 1;
DELETE FROM regress.items WHERE id <= 3;
SELECT i.inputs::jsonb FROM dbos.workflow_status s JOIN dbos.workflow_input i USING (workflow_uuid)
WHERE s.name = 'onBulk' AND i.inputs::jsonb #>> '{positionalArgs,0,op}' = 'DELETE' ORDER BY s.created_at;
-- Replaying the same statement: IDs from the column make it idempotent (no error, no new rows).
DELETE FROM regress.items;
INSERT INTO regress.items SELECT i, 'n' || i, i, NULL, 'bulk-' || i FROM generate_series(1, 2500) i;
SELECT count(*) FROM dbos.workflow_status WHERE name = 'onBulk' AND workflow_uuid LIKE 'bulk-%';
-- A transition table spilled to disk (small work_mem) is read correctly (was a crash).
SET work_mem = '64kB';
DELETE FROM regress.items;
INSERT INTO regress.items SELECT i, 'n' || i, i, NULL, 'spill-' || i FROM generate_series(1, 5000) i;
UPDATE regress.items SET price = price + 1;
RESET work_mem;
SELECT count(*) FILTER (WHERE workflow_uuid LIKE 'spill-%') AS inserted,
       count(*) FILTER (WHERE i.inputs::jsonb #>> '{positionalArgs,0,op}' = 'UPDATE') AS updates  -- 5 earlier
FROM dbos.workflow_status s JOIN dbos.workflow_input i USING (workflow_uuid) WHERE s.name = 'onBulk';
DELETE FROM regress.items;
-- when_changed compares values, not stored bytes: rewriting the same (even toasted) value is no change.
CREATE TABLE regress.wc (id int PRIMARY KEY, big text, n numeric);
INSERT INTO regress.wc SELECT 1, string_agg(md5(i::text), ''), 1.0 FROM generate_series(0, 199) i;
CREATE TRIGGER wc_s AFTER UPDATE ON regress.wc REFERENCING NEW TABLE AS n OLD TABLE AS o
  FOR EACH STATEMENT EXECUTE FUNCTION dbos.enqueue_trigger('bulkQueue', '', 'wcStmt', 'when_changed=big,n');
CREATE TRIGGER wc_r AFTER UPDATE ON regress.wc FOR EACH ROW
  EXECUTE FUNCTION dbos.enqueue_trigger('bulkQueue', '', 'wcRow', 'when_changed=big,n');
UPDATE regress.wc SET big = (SELECT string_agg(md5(i::text), '') FROM generate_series(0, 199) i), n = 1.00;
UPDATE regress.wc SET big = big || '';
UPDATE regress.wc SET n = 2;
SELECT name, count(*) FROM dbos.workflow_status WHERE name IN ('wcStmt', 'wcRow') GROUP BY 1 ORDER BY 1;
DROP TABLE regress.wc;

-- A delay counts from the real clock, even after a bulk enqueue ran created_at ahead of it.
SELECT count(dbos.enqueue('_dbos_internal_queue', NULL, 'skew')) FROM generate_series(1, 3000);
SELECT floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint AS before_delay \gset
SELECT dbos.enqueue('_dbos_internal_queue', NULL, 'skewDelay', workflow_id => 'skew-delay', delay => '1 s');
SELECT delay_until_epoch_ms BETWEEN :before_delay + 1000 AND ceil(extract(epoch FROM clock_timestamp()) * 1000)::bigint + 1000
       AS delay_from_clock
FROM dbos.workflow_status WHERE workflow_uuid = 'skew-delay';

-- No subtransaction: the statement used only its own transaction ID.
BEGIN;
INSERT INTO regress.items SELECT i, 'n' || i, i, NULL, 'xid-' || i FROM generate_series(3001, 4000) i;
SELECT count(*) FROM dbos.workflow_status WHERE workflow_uuid LIKE 'xid-%' AND xmin::text::bigint = txid_current() % 4294967296;
ROLLBACK;
DROP TRIGGER items_ins_stmt ON regress.items;
DROP TRIGGER items_upd_stmt ON regress.items;
DROP TRIGGER items_del_stmt ON regress.items;

-- Refusals: named trigger and argument, at the first firing; nothing written.
CREATE TABLE regress.bad (id int, v text);
CREATE FUNCTION regress.try_trigger(args text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE r text;
BEGIN
  EXECUTE 'CREATE TRIGGER bad_trg AFTER INSERT ON regress.bad FOR EACH ROW EXECUTE FUNCTION dbos.enqueue_trigger(' || args || ')';
  r := regress.error_of('INSERT INTO regress.bad VALUES (1, NULL)');
  EXECUTE 'DROP TRIGGER bad_trg ON regress.bad';
  RETURN r;
END $$;
SELECT regress.row_counts() AS before \gset
SELECT regress.try_trigger(a) FROM unnest(ARRAY[
  $$'q', ''$$,
  $$'', '', 'wf'$$,
  $$'q', '', ''$$,
  $$'q', '', 'wf', 'priority'$$,
  $$'q', '', 'wf', 'priority='$$,
  $$'q', '', 'wf', 'priority=-1'$$,
  $$'q', '', 'wf', 'priority=high'$$,
  $$'q', '', 'wf', 'delay=-5 s'$$,
  $$'q', '', 'wf', 'delay=soon'$$,
  $$'q', '', 'wf', 'timeout=0 s'$$,
  $$'q', '', 'wf', 'workflow_id_column=nope'$$,
  $$'q', '', 'wf', 'columns=id,,nope'$$,
  $$'q', '', 'wf', 'columns= , '$$,
  $$'q', '', 'wf', 'columns=id,v,id'$$,
  $$'q', '', 'wf', 'colour=blue'$$,
  $$'q', '', 'wf', 'workflow_id_column=v'$$
]) a;
SELECT regress.row_counts() = :'before' AS nothing_written;
-- BEFORE, TRUNCATE, views, statement level without transition tables, direct calls.
CREATE TRIGGER bad_before BEFORE INSERT ON regress.bad FOR EACH ROW EXECUTE FUNCTION dbos.enqueue_trigger('q', '', 'wf');
SELECT regress.error_of($$INSERT INTO regress.bad VALUES (1, 'x')$$);
DROP TRIGGER bad_before ON regress.bad;
CREATE TRIGGER bad_truncate AFTER TRUNCATE ON regress.bad EXECUTE FUNCTION dbos.enqueue_trigger('q', '', 'wf');
SELECT regress.error_of($$TRUNCATE regress.bad$$);
DROP TRIGGER bad_truncate ON regress.bad;
CREATE TRIGGER bad_stmt AFTER INSERT ON regress.bad FOR EACH STATEMENT EXECUTE FUNCTION dbos.enqueue_trigger('q', '', 'wf');
SELECT regress.error_of($$INSERT INTO regress.bad VALUES (1, 'x')$$);
DROP TRIGGER bad_stmt ON regress.bad;
CREATE VIEW regress.bad_view AS SELECT * FROM regress.bad;
CREATE TRIGGER bad_view INSTEAD OF INSERT ON regress.bad_view FOR EACH ROW EXECUTE FUNCTION dbos.enqueue_trigger('q', '', 'wf');
SELECT regress.error_of($$INSERT INTO regress.bad_view VALUES (1, 'x')$$);
SELECT regress.error_of($$SELECT dbos.enqueue_trigger()$$);
SELECT regress.row_counts() = :'before' AS nothing_written;
DROP VIEW regress.bad_view;
DROP TABLE regress.bad;
