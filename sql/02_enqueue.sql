-- dbos.enqueue: the rows written, compared with DBOS's own enqueue_workflow, and every option.
SELECT regress.row_counts();

-- Defaults: ENQUEUED, portable envelope in workflow_input, NULL class/config/version/name.
SELECT dbos.enqueue('_dbos_internal_queue', NULL, 'addNumbers', '[1, "a", {"b": [true, null]}]',
                    workflow_id => 'enq-1');
SELECT workflow_uuid, status, name, class_name, config_name, queue_name, application_version,
       application_name, recovery_attempts, priority, deduplication_id, queue_partition_key,
       workflow_timeout_ms, workflow_deadline_epoch_ms, delay_until_epoch_ms, serialization,
       owner_xid, executor_id, inputs, output, error, created_at = updated_at AS same_times,
       creator_xid ~ '^[0-9a-f-]{36}$' AS creator_token
FROM dbos.workflow_status WHERE workflow_uuid = 'enq-1' \gx
SELECT inputs::jsonb, retention_timestamp = (SELECT created_at FROM dbos.workflow_status WHERE workflow_uuid = 'enq-1') AS retention_is_created_at
FROM dbos.workflow_input WHERE workflow_uuid = 'enq-1';

-- The same call through DBOS's own SQL function writes the same row (modulo the by-design
-- differences: owner_xid set by enqueue_workflow, creator_xid set by us).
SELECT dbos.enqueue_workflow('addNumbers', '_dbos_internal_queue',
                             ARRAY['1'::json, '"a"'::json, '{"b": [true, null]}'::json],
                             named_args => NULL, workflow_id => 'enq-1-dbos');
SELECT c.col, c.ours = 'null' AS ours_is_null, c.theirs = 'null' AS theirs_is_null
FROM (SELECT * FROM dbos.workflow_status WHERE workflow_uuid = 'enq-1') a,
     (SELECT * FROM dbos.workflow_status WHERE workflow_uuid = 'enq-1-dbos') b,
     LATERAL (SELECT key AS col, x.value AS ours, y.value AS theirs
              FROM jsonb_each(to_jsonb(a)) x JOIN jsonb_each(to_jsonb(b)) y USING (key)) c
WHERE c.ours IS DISTINCT FROM c.theirs
  AND c.col NOT IN ('workflow_uuid', 'created_at', 'updated_at')
ORDER BY 1;
SELECT (SELECT inputs::jsonb -> 'positionalArgs' FROM dbos.workflow_input WHERE workflow_uuid = 'enq-1')
     = (SELECT inputs::jsonb -> 'positionalArgs' FROM dbos.workflow_input WHERE workflow_uuid = 'enq-1-dbos')
  AS same_arguments;

-- Every option.
SELECT dbos.enqueue('_dbos_internal_queue', 'Greeter', 'greet', '["x"]', workflow_id => 'enq-2',
                    app_version => 'v7', priority => 5, deduplication_id => 'dd-2',
                    timeout => '1.5 s', partition_key => 'p1', named_args => '{"k": 2}',
                    config_name => 'cfg', application_name => 'appA');
SELECT status, name, class_name, config_name, application_version, application_name, priority,
       deduplication_id, queue_partition_key, workflow_timeout_ms, delay_until_epoch_ms
FROM dbos.workflow_status WHERE workflow_uuid = 'enq-2';
SELECT inputs::jsonb FROM dbos.workflow_input WHERE workflow_uuid = 'enq-2';

-- '' class and config are stored as NULL; priority NULL is 0.
SELECT dbos.enqueue('_dbos_internal_queue', '', 'f', workflow_id => 'enq-3', config_name => '', priority => NULL);
SELECT class_name IS NULL AS class_null, config_name IS NULL AS config_null, priority
FROM dbos.workflow_status WHERE workflow_uuid = 'enq-3';

-- Delay: DELAYED until now + delay; zero delay is ENQUEUED, as in DBOS.
SELECT dbos.enqueue('_dbos_internal_queue', NULL, 'f', workflow_id => 'enq-4', delay => '1 hour');
SELECT status, (delay_until_epoch_ms - created_at + 500) / 1000 AS delay_s FROM dbos.workflow_status WHERE workflow_uuid = 'enq-4';
SELECT dbos.enqueue('_dbos_internal_queue', NULL, 'f', workflow_id => 'enq-5', delay => '0 s');
SELECT status, delay_until_epoch_ms FROM dbos.workflow_status WHERE workflow_uuid = 'enq-5';

-- Settings supply application_name and app_version when the call gives none.
SET dbos.application_name = 'fromSetting';
SET dbos.app_version = 'vSetting';
SELECT dbos.enqueue('_dbos_internal_queue', NULL, 'f', workflow_id => 'enq-6');
SELECT dbos.enqueue('_dbos_internal_queue', NULL, 'f', workflow_id => 'enq-7', app_version => 'vCall', application_name => 'appCall');
RESET dbos.application_name;
RESET dbos.app_version;
SELECT workflow_uuid, application_name, application_version FROM dbos.workflow_status
WHERE workflow_uuid IN ('enq-6', 'enq-7') ORDER BY 1;

-- js_superjson writes the TypeScript-native format.
SELECT dbos.enqueue('_dbos_internal_queue', NULL, 'f', '[1, "a"]', workflow_id => 'enq-8', serialization => 'js_superjson');
SELECT s.serialization, i.inputs::jsonb FROM dbos.workflow_status s JOIN dbos.workflow_input i USING (workflow_uuid)
WHERE workflow_uuid = 'enq-8';

-- Same ID, same workflow: idempotent, the first arguments stay.
SELECT dbos.enqueue('_dbos_internal_queue', NULL, 'addNumbers', '[99]', workflow_id => 'enq-1');
SELECT inputs::jsonb FROM dbos.workflow_input WHERE workflow_uuid = 'enq-1';
-- ... also when '' and NULL class are mixed, as in DBOS.
SELECT dbos.enqueue('_dbos_internal_queue', '', 'addNumbers', workflow_id => 'enq-1');
-- Same ID, another workflow or class: an error, nothing written.
SELECT regress.error_of($$SELECT dbos.enqueue('_dbos_internal_queue', NULL, 'other', workflow_id => 'enq-1')$$);
SELECT regress.error_of($$SELECT dbos.enqueue('_dbos_internal_queue', 'Other', 'addNumbers', workflow_id => 'enq-1')$$);
SELECT regress.error_of($$SELECT dbos.enqueue('_dbos_internal_queue', NULL, 'addNumbers', workflow_id => 'enq-1', config_name => 'c')$$);

-- Deduplication: 23505 naming queue and ID, or the holder's ID with return_existing.
SELECT regress.error_of($$SELECT dbos.enqueue('_dbos_internal_queue', NULL, 'g', deduplication_id => 'dd-2')$$);
SELECT dbos.enqueue('_dbos_internal_queue', NULL, 'g', deduplication_id => 'dd-2', duplication_policy => 'return_existing');
SELECT dbos.enqueue('_dbos_internal_queue', NULL, 'g', deduplication_id => 'dd-2', duplication_policy => 'return-existing');
-- The same deduplication ID on another queue is free.
SELECT dbos.enqueue('otherQueue', NULL, 'g', workflow_id => 'enq-9', deduplication_id => 'dd-2') IS NOT NULL AS enqueued;
-- A released slot (the holder finished) can be taken again.
UPDATE dbos.workflow_status SET status = 'SUCCESS', deduplication_id = NULL WHERE workflow_uuid = 'enq-9';
SELECT dbos.enqueue('otherQueue', NULL, 'g', workflow_id => 'enq-10', deduplication_id => 'dd-2');

-- A queue without a queues row: a WARNING once per session and queue; registered queues: none.
SELECT dbos.enqueue('notRegistered', NULL, 'f', workflow_id => 'enq-11');
SELECT dbos.enqueue('notRegistered', NULL, 'f', workflow_id => 'enq-12');
INSERT INTO dbos.queues (name) VALUES ('registeredQueue');
SELECT dbos.enqueue('registeredQueue', NULL, 'f', workflow_id => 'enq-13');

-- Strictly increasing created_at within one transaction keeps FIFO order.
BEGIN;
SELECT count(DISTINCT dbos.enqueue('fifo', NULL, 'f', jsonb_build_array(i))) FROM generate_series(1, 200) i;
SELECT count(*) AS rows, count(DISTINCT created_at) AS distinct_created_at,
       bool_and(created_at = updated_at) AS updated_is_created
FROM dbos.workflow_status WHERE queue_name = 'fifo';
SELECT bool_and(ordered) AS fifo_matches_argument_order FROM (
  SELECT (i.inputs::jsonb -> 'positionalArgs' ->> 0)::int
         = row_number() OVER (ORDER BY s.created_at) AS ordered
  FROM dbos.workflow_status s JOIN dbos.workflow_input i USING (workflow_uuid)
  WHERE s.queue_name = 'fifo') x;
ROLLBACK;
-- A rollback leaves nothing.
SELECT count(*) FROM dbos.workflow_status WHERE queue_name = 'fifo';

-- Generated IDs are UUIDs; an enqueue inside a trigger lands with the row change.
CREATE TABLE regress.orders (id int PRIMARY KEY, item text);
CREATE FUNCTION regress.orders_enqueue() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM dbos.enqueue('_dbos_internal_queue', NULL, 'processOrder', jsonb_build_array(to_jsonb(NEW)),
                       workflow_id => 'order-' || NEW.id);
  RETURN NEW;
END $$;
CREATE TRIGGER orders_enqueue AFTER INSERT ON regress.orders FOR EACH ROW EXECUTE FUNCTION regress.orders_enqueue();
BEGIN;
INSERT INTO regress.orders VALUES (1, 'book');
ROLLBACK;
SELECT count(*) FROM dbos.workflow_status WHERE workflow_uuid = 'order-1';
INSERT INTO regress.orders VALUES (1, 'book');
SELECT s.status, i.inputs::jsonb FROM dbos.workflow_status s JOIN dbos.workflow_input i USING (workflow_uuid)
WHERE workflow_uuid = 'order-1';
SELECT dbos.enqueue('_dbos_internal_queue', NULL, 'f') ~ '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$' AS uuid_v4;
