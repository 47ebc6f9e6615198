-- dbos.debounce (1.3): the rows of DebouncerClient.debounce. One DELAYED, debounced workflow
-- per key (deduplication ID "<class>.<name>-<key>" on its queue); each call while it is DELAYED
-- pushes its start to now + period (capped at its deadline) and replaces its inputs.
INSERT INTO dbos.queues (name) VALUES ('debQ');
CREATE TEMP VIEW deb AS
SELECT s.workflow_uuid AS id, s.status, s.name, s.class_name, s.queue_name, s.deduplication_id, s.is_debounced,
       s.serialization, s.application_name, s.application_version, s.workflow_timeout_ms,
       s.debounce_deadline_epoch_ms IS NOT NULL AS has_deadline, i.inputs
FROM dbos.workflow_status s LEFT JOIN dbos.workflow_input i USING (workflow_uuid)
WHERE s.name LIKE 'deb%';
-- Epoch milliseconds now, as the extension's clock reads it.
CREATE FUNCTION regress.now_ms() RETURNS bigint LANGUAGE sql VOLATILE AS
$$ SELECT floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint $$;

-- The first call enqueues: DELAYED until now + period, debounced, keyed, on the internal queue.
SELECT regress.now_ms() AS t0 \gset
SELECT dbos.debounce('k1', '2 seconds', 'debWf', '[1]', workflow_id => 'deb-1');
SELECT regress.now_ms() AS t1 \gset
SELECT * FROM deb;
SELECT delay_until_epoch_ms BETWEEN :t0 + 2000 AND :t1 + 2000 AS delayed_by_period,
       created_at BETWEEN :t0 AND :t1 AS created_now, recovery_attempts, priority
FROM dbos.workflow_status WHERE workflow_uuid = 'deb-1';

-- Again with the key: the same workflow, its start pushed to now + period, the last inputs.
SELECT regress.now_ms() AS t0 \gset
SELECT dbos.debounce('k1', '10 seconds', 'debWf', '[2, "b"]');
SELECT regress.now_ms() AS t1 \gset
SELECT count(*) AS workflows, min(inputs) AS inputs FROM deb;
SELECT delay_until_epoch_ms BETWEEN :t0 + 10000 AND :t1 + 10000 AS pushed, updated_at BETWEEN :t0 AND :t1 AS updated
FROM dbos.workflow_status WHERE workflow_uuid = 'deb-1';
-- A workflow_id given to a later call is unused: the key's workflow is returned.
SELECT dbos.debounce('k1', '10 seconds', 'debWf', '[3]', workflow_id => 'deb-unused');
SELECT count(*) AS unused FROM dbos.workflow_status WHERE workflow_uuid = 'deb-unused';

-- The key is per workflow name, class and queue.
SELECT dbos.debounce('k1', '1 minute', 'debWf2', '[1]', workflow_id => 'deb-2');
SELECT dbos.debounce('k1', '1 minute', 'debWf', '[1]', workflow_class => 'Cls', workflow_id => 'deb-3');
SELECT dbos.debounce('k1', '1 minute', 'debWf', '[1]', queue_name => 'debQ', workflow_id => 'deb-4',
                     app_version => 'v7', timeout => '1 hour', serialization => 'js_superjson');
SELECT * FROM deb ORDER BY id;

-- debounce_timeout: a deadline from the first call; the first delay and every push are capped at it.
SELECT regress.now_ms() AS t0 \gset
SELECT dbos.debounce('k2', '1 hour', 'debWf', '[1]', debounce_timeout => '3 seconds', workflow_id => 'deb-5');
SELECT regress.now_ms() AS t1 \gset
SELECT debounce_deadline_epoch_ms BETWEEN :t0 + 3000 AND :t1 + 3000 AS deadline,
       delay_until_epoch_ms = debounce_deadline_epoch_ms AS capped
FROM dbos.workflow_status WHERE workflow_uuid = 'deb-5';
SELECT dbos.debounce('k2', '1 hour', 'debWf', '[2]');
SELECT delay_until_epoch_ms = debounce_deadline_epoch_ms AS still_capped FROM dbos.workflow_status WHERE workflow_uuid = 'deb-5';
SELECT dbos.debounce('k2', '1 second', 'debWf', '[3]');
SELECT delay_until_epoch_ms < debounce_deadline_epoch_ms AS shorter_kept FROM dbos.workflow_status WHERE workflow_uuid = 'deb-5';

-- Once a worker moves it to ENQUEUED (DBOS clears a debounced workflow's key then), the
-- next call starts a fresh workflow.
UPDATE dbos.workflow_status SET status = 'ENQUEUED', deduplication_id = NULL WHERE workflow_uuid = 'deb-1';
SELECT dbos.debounce('k1', '2 seconds', 'debWf', '[9]', workflow_id => 'deb-6');
SELECT id, status, deduplication_id, inputs FROM deb WHERE id IN ('deb-1', 'deb-6') ORDER BY id;

-- Applications: a call extends its application's workflow or an unclaimed one (claiming it);
-- another application's holder is a conflict; a call without an application extends any.
SELECT dbos.debounce('k3', '1 minute', 'debWf', '[1]', workflow_id => 'deb-7');
SELECT dbos.debounce('k3', '1 minute', 'debWf', '[2]', application_name => 'appA');
SELECT application_name FROM dbos.workflow_status WHERE workflow_uuid = 'deb-7';
SELECT regress.error_of($$SELECT dbos.debounce('k3', '1 minute', 'debWf', '[3]', application_name => 'appB')$$);
SET dbos.application_name = 'appB';
SELECT regress.error_of($$SELECT dbos.debounce('k3', '1 minute', 'debWf', '[3]')$$);
RESET dbos.application_name;
SELECT dbos.debounce('k3', '1 minute', 'debWf', '[4]');
SELECT application_name, inputs FROM deb WHERE id = 'deb-7';
SET dbos.application_name = 'appC';
SELECT dbos.debounce('k4', '1 minute', 'debWf', '[1]', workflow_id => 'deb-8');
RESET dbos.application_name;
SELECT application_name FROM dbos.workflow_status WHERE workflow_uuid = 'deb-8';

-- A key held by a workflow that is not debounced (or under a colliding key) is a conflict.
SELECT dbos.enqueue('_dbos_internal_queue', NULL, 'other', workflow_id => 'deb-plain', deduplication_id => '.debWf-k5');
SELECT regress.error_of($$SELECT dbos.debounce('k5', '1 minute', 'debWf', '[1]')$$);
SELECT dbos.debounce('x-k6', '1 minute', 'debWf', '[1]', workflow_class => 'A', workflow_id => 'deb-9');
SELECT regress.error_of($$SELECT dbos.debounce('k6', '1 minute', 'debWf-x', '[1]', workflow_class => 'A')$$);
-- A holder of this workflow that left DELAYED but kept the key is looked at again, a bounded
-- number of times.
UPDATE dbos.workflow_status SET status = 'PENDING' WHERE workflow_uuid = 'deb-9';
SELECT regress.error_of($$SELECT dbos.debounce('x-k6', '1 minute', 'debWf', '[1]', workflow_class => 'A')$$);
-- An ID used by another workflow is DB006, as in dbos.enqueue.
SELECT regress.error_of($$SELECT dbos.debounce('k7', '1 minute', 'debWf', '[1]', workflow_id => 'deb-plain')$$);

-- Bad input: an error that writes nothing.
SELECT regress.row_counts() AS before \gset
SELECT regress.error_of($$SELECT dbos.debounce(NULL, '1 minute', 'debWf')$$);
SELECT regress.error_of($$SELECT dbos.debounce('k', NULL, 'debWf')$$);
SELECT regress.error_of($$SELECT dbos.debounce('k', '0 seconds', 'debWf')$$);
SELECT regress.error_of($$SELECT dbos.debounce('k', '-1 second', 'debWf')$$);
SELECT regress.error_of($$SELECT dbos.debounce('k', '1 day -86400 seconds', 'debWf')$$);
SELECT regress.error_of($$SELECT dbos.debounce('k', '200000 years', 'debWf')$$);
SELECT regress.error_of($$SELECT dbos.debounce('k', '1 minute', 'debWf', debounce_timeout => '0 seconds')$$);
SELECT regress.error_of($$SELECT dbos.debounce('k', '1 minute', NULL)$$);
SELECT regress.error_of($$SELECT dbos.debounce('k', '1 minute', '')$$);
SELECT regress.error_of($$SELECT dbos.debounce('k', '1 minute', 'debWf', NULL)$$);
SELECT regress.error_of($$SELECT dbos.debounce('k', '1 minute', 'debWf', '{"a": 1}')$$);
SELECT regress.error_of($$SELECT dbos.debounce('k', '1 minute', 'debWf', workflow_id => ' ')$$);
SELECT regress.error_of($$SELECT dbos.debounce('k', '1 minute', 'debWf', timeout => '-1 second')$$);
SELECT regress.error_of($$SELECT dbos.debounce('k', '1 minute', 'debWf', serialization => 'pickle')$$);
SELECT regress.error_of($$SELECT dbos.debounce('k', '1 minute', 'debWf', named_args => '[1]')$$);
SELECT regress.error_of($$SELECT dbos.debounce(repeat('k', 3000), '1 minute', 'debWf')$$);
SELECT regress.row_counts() = :'before' AS nothing_written;

-- In the caller's transaction: visible inside it, gone after a rollback.
BEGIN;
SELECT dbos.debounce('k8', '1 minute', 'debWf', '[1]', workflow_id => 'deb-10');
SELECT dbos.debounce('k8', '1 minute', 'debWf', '[2]');
SELECT id, inputs FROM deb WHERE id = 'deb-10';
ROLLBACK;
SELECT count(*) AS after_rollback FROM dbos.workflow_status WHERE workflow_uuid = 'deb-10';

-- Before migration 109 the inputs live in workflow_status.
SET dbos.system_schema = 'dbos_legacy108';
SELECT dbos.debounce('k1', '1 minute', 'debWf', '[1]', workflow_id => 'deb-legacy');
SELECT dbos.debounce('k1', '1 minute', 'debWf', '[2]');
SELECT workflow_uuid, status, deduplication_id, is_debounced, inputs FROM dbos_legacy108.workflow_status
WHERE workflow_uuid = 'deb-legacy';
-- A DBOS schema without the debouncer's columns (TypeScript migration 64) is 0A000.
BEGIN;
ALTER TABLE dbos_legacy108.workflow_status DROP COLUMN is_debounced;
SELECT regress.error_of($$SELECT dbos.debounce('k9', '1 minute', 'debWf')$$);
ROLLBACK;
DELETE FROM dbos_legacy108.workflow_status WHERE workflow_uuid = 'deb-legacy';
RESET dbos.system_schema;

-- dbos.enqueue_trigger with debounce_column: a burst of changes to one key runs the workflow
-- once, after the burst, with the last change; each key has its own workflow.
CREATE TABLE regress.deb_items (id int PRIMARY KEY, item text, qty int);
CREATE TRIGGER deb_row AFTER INSERT OR UPDATE ON regress.deb_items FOR EACH ROW
  EXECUTE FUNCTION dbos.enqueue_trigger('_dbos_internal_queue', '', 'debItem', 'debounce_column=item',
                                        'debounce_period=1 minute', 'debounce_timeout=1 hour', 'columns=id,qty');
INSERT INTO regress.deb_items VALUES (1, 'apple', 1), (2, 'pear', 1);
UPDATE regress.deb_items SET qty = qty + 1 WHERE id = 1;
UPDATE regress.deb_items SET qty = qty + 10 WHERE id = 1;
SELECT deduplication_id, status, is_debounced, has_deadline, inputs::jsonb #> '{positionalArgs,0}' AS change FROM deb
WHERE name = 'debItem' ORDER BY deduplication_id;
-- A statement-level trigger: every row of the statement in order, so the last change per key wins.
DROP TRIGGER deb_row ON regress.deb_items;
CREATE TRIGGER deb_stmt AFTER UPDATE ON regress.deb_items REFERENCING NEW TABLE AS n FOR EACH STATEMENT
  EXECUTE FUNCTION dbos.enqueue_trigger('_dbos_internal_queue', '', 'debItem', 'debounce_column=item',
                                        'debounce_period=1 minute', 'columns=id,qty');
UPDATE regress.deb_items SET qty = qty * 2;
SELECT deduplication_id, inputs::jsonb #> '{positionalArgs,0,new}' AS last_new FROM deb WHERE name = 'debItem' ORDER BY 1;
SELECT count(*) AS workflows FROM dbos.workflow_status WHERE name = 'debItem';
-- A NULL key in any row: an error before anything is written.
DROP TRIGGER deb_stmt ON regress.deb_items;
CREATE TRIGGER deb_stmt AFTER INSERT ON regress.deb_items REFERENCING NEW TABLE AS n FOR EACH STATEMENT
  EXECUTE FUNCTION dbos.enqueue_trigger('_dbos_internal_queue', '', 'debItem', 'debounce_column=item',
                                        'debounce_period=1 minute');
SELECT regress.row_counts() AS before \gset
SELECT regress.error_of($$INSERT INTO regress.deb_items VALUES (3, 'fig', 1), (4, NULL, 1)$$);
SELECT regress.row_counts() = :'before' AS nothing_written;
DROP TRIGGER deb_stmt ON regress.deb_items;
-- Options a debounce owns, or half a debounce, are refused when the trigger first fires.
CREATE TRIGGER deb_bad AFTER INSERT ON regress.deb_items FOR EACH ROW
  EXECUTE FUNCTION dbos.enqueue_trigger('_dbos_internal_queue', '', 'debItem', 'debounce_column=item');
SELECT regress.error_of($$INSERT INTO regress.deb_items VALUES (5, 'kiwi', 1)$$);
DROP TRIGGER deb_bad ON regress.deb_items;
CREATE TRIGGER deb_bad AFTER INSERT ON regress.deb_items FOR EACH ROW
  EXECUTE FUNCTION dbos.enqueue_trigger('_dbos_internal_queue', '', 'debItem', 'debounce_column=item',
                                        'debounce_period=1 minute', 'delay=5 s');
SELECT regress.error_of($$INSERT INTO regress.deb_items VALUES (5, 'kiwi', 1)$$);
DROP TRIGGER deb_bad ON regress.deb_items;
CREATE TRIGGER deb_bad AFTER INSERT ON regress.deb_items FOR EACH ROW
  EXECUTE FUNCTION dbos.enqueue_trigger('_dbos_internal_queue', '', 'debItem', 'debounce_column=item',
                                        'debounce_period=0 s');
SELECT regress.error_of($$INSERT INTO regress.deb_items VALUES (5, 'kiwi', 1)$$);
DROP TABLE regress.deb_items;

DELETE FROM dbos.workflow_input WHERE workflow_uuid IN
  (SELECT workflow_uuid FROM dbos.workflow_status WHERE name LIKE 'deb%' OR workflow_uuid = 'deb-plain');
DELETE FROM dbos.workflow_status WHERE name LIKE 'deb%' OR workflow_uuid = 'deb-plain';
DELETE FROM dbos.queues WHERE name = 'debQ';
DROP VIEW deb;
DROP FUNCTION regress.now_ms();

