-- Queues (1.3): the queues rows of DBOSClient's registerQueue, retrieveQueue, deleteQueue and
-- listQueues, and dbos.queue_stats.
DELETE FROM dbos.queues;

-- register: DBOS's columns (priority_enabled vestigial TRUE, partition_queue when any
-- per-partition limit is set, polling interval 1 s by default), returned as dbos.queue_info.
SELECT queue_name, concurrency, worker_concurrency, rate_limit_max, rate_limit_period_sec, partitioned,
       polling_interval_sec, application_name, created_at <= now() + interval '1 s' AS created
FROM dbos.register_queue('q-a', concurrency => 4, worker_concurrency => 2, rate_limit_max => 10, rate_limit_period_sec => 1.5);
SELECT name, concurrency, worker_concurrency, rate_limit_max, rate_limit_period_sec, priority_enabled, partition_queue,
       partition_concurrency, partition_worker_concurrency, polling_interval_sec, application_name
FROM dbos.queues WHERE name = 'q-a';
SELECT queue_name, partitioned, partition_concurrency, partition_worker_concurrency, partition_rate_limit_max,
       partition_rate_limit_period_sec, polling_interval_sec
FROM dbos.register_queue('q-p', partition_concurrency => 3, partition_worker_concurrency => 1,
                         partition_rate_limit_max => 5, partition_rate_limit_period_sec => 2, polling_interval_sec => 0.25);
SELECT partition_queue FROM dbos.queues WHERE name = 'q-p';

-- on_conflict: 'always_update' (default) replaces the limits; 'never_update' keeps the row.
SELECT concurrency, worker_concurrency FROM dbos.register_queue('q-a', concurrency => 1, on_conflict => 'never_update');
SELECT concurrency, worker_concurrency, rate_limit_max FROM dbos.register_queue('q-a', concurrency => 1);
SELECT updated_at >= created_at AS updated FROM dbos.retrieve_queue('q-a');

-- retrieve: NULL when unknown.
SELECT queue_name, concurrency FROM dbos.retrieve_queue('q-a');
SELECT dbos.retrieve_queue('nope') IS NULL AS unknown_is_null;

-- ownership: the caller's application (argument, else dbos.application_name) claims a new or
-- unclaimed queue; another application's queue is 23505; its owner may update it.
SELECT application_name FROM dbos.register_queue('q-own', application_name => 'appA');
SELECT regress.error_of($$SELECT dbos.register_queue('q-own', application_name => 'appB')$$);
SET dbos.application_name = 'appB';
SELECT regress.error_of($$SELECT dbos.register_queue('q-own')$$);
SELECT application_name FROM dbos.register_queue('q-a');          -- unclaimed: appB claims it
RESET dbos.application_name;
SELECT application_name, concurrency FROM dbos.register_queue('q-own', concurrency => 7);  -- no owner given: kept
SELECT application_name FROM dbos.register_queue('q-own', application_name => 'appA', concurrency => 8);

-- list: by name; the given applications' queues and unclaimed ones; unset, dbos.application_name's.
SELECT queue_name, application_name FROM dbos.list_queues();
SELECT queue_name FROM dbos.list_queues(ARRAY['appA']);
SET dbos.application_name = 'appB';
SELECT queue_name FROM dbos.list_queues();
RESET dbos.application_name;

-- DBOS's checks, each an error with nothing written.
SELECT regress.error_of($$SELECT dbos.register_queue(NULL)$$);
SELECT regress.error_of($$SELECT dbos.register_queue('')$$);
SELECT regress.error_of($$SELECT dbos.register_queue('_dbos_mine')$$);
SELECT regress.error_of($$SELECT dbos.register_queue('x', on_conflict => 'update_if_latest_version')$$);
SELECT regress.error_of($$SELECT dbos.register_queue('x', on_conflict => 'sometimes')$$);
SELECT regress.error_of($$SELECT dbos.register_queue('x', partition_concurrency => 0)$$);
SELECT regress.error_of($$SELECT dbos.register_queue('x', partition_worker_concurrency => 0)$$);
SELECT regress.error_of($$SELECT dbos.register_queue('x', partition_rate_limit_max => 1)$$);
SELECT regress.error_of($$SELECT dbos.register_queue('x', partition_concurrency => 1, partition_worker_concurrency => 2)$$);
SELECT regress.error_of($$SELECT dbos.register_queue('x', worker_concurrency => 1, partition_worker_concurrency => 2)$$);
SELECT regress.error_of($$SELECT dbos.register_queue('x', concurrency => 1, worker_concurrency => 2)$$);
SELECT regress.error_of($$SELECT dbos.register_queue('x', concurrency => 1, partition_concurrency => 2)$$);
SELECT regress.error_of($$SELECT dbos.register_queue('x', concurrency => 1, partition_worker_concurrency => 2)$$);
SELECT regress.error_of($$SELECT dbos.register_queue('x', polling_interval_sec => 0)$$);
SELECT regress.error_of($$SELECT dbos.register_queue('x', polling_interval_sec => 'NaN')$$);
SELECT regress.error_of($$SELECT dbos.register_queue('x', rate_limit_max => 3)$$);
-- Beyond DBOS's checks: negative limits and non-finite periods could never run anything.
SELECT regress.error_of($$SELECT dbos.register_queue('x', concurrency => -1)$$);
SELECT regress.error_of($$SELECT dbos.register_queue('x', partition_worker_concurrency => -2)$$);
SELECT regress.error_of($$SELECT dbos.register_queue('x', rate_limit_max => 5, rate_limit_period_sec => 'NaN')$$);
SELECT regress.error_of($$SELECT dbos.register_queue('x', rate_limit_max => 5, rate_limit_period_sec => 'Infinity')$$);
SELECT regress.error_of($$SELECT dbos.register_queue('x', partition_rate_limit_max => 5, partition_rate_limit_period_sec => 0)$$);
SELECT regress.error_of($$SELECT dbos.retrieve_queue(NULL)$$);
SELECT count(*) AS nothing_written FROM dbos.queues WHERE name = 'x';

-- A registered queue no longer draws the "not registered" warning from enqueue.
SELECT dbos.enqueue('q-a', NULL, 'qwork') IS NOT NULL AS enqueued;

-- queue_stats: per queue registered or holding unfinished workflows.
DELETE FROM dbos.workflow_status WHERE queue_name IN ('q-a', 'q-p', 'q-stats');
SELECT dbos.enqueue('q-a', NULL, 'qwork', workflow_id => 'qs-1');
SELECT dbos.enqueue('q-a', NULL, 'qwork', workflow_id => 'qs-2', delay => '1 hour');
SELECT dbos.enqueue('q-stats', NULL, 'qwork', workflow_id => 'qs-3');
UPDATE dbos.workflow_status SET status = 'PENDING' WHERE workflow_uuid = 'qs-3';
UPDATE dbos.workflow_status SET created_at = created_at - 60000 WHERE workflow_uuid = 'qs-1';
SELECT queue_name, registered, enqueued, delayed, pending,
       oldest_enqueued_age BETWEEN interval '59 s' AND interval '10 min' AS oldest_about_a_minute
FROM dbos.queue_stats() WHERE queue_name IN ('q-a', 'q-p', 'q-own', 'q-stats');
SELECT queue_name, enqueued FROM dbos.queue_stats('q-a');

-- delete: the row goes; unknown names are a no-op; workflows stay where they are.
SELECT dbos.delete_queue('q-p');
SELECT dbos.delete_queue('q-p');
SELECT dbos.retrieve_queue('q-p') IS NULL AS deleted;
SELECT count(*) AS workflows_kept FROM dbos.workflow_status WHERE queue_name = 'q-a';

-- In the caller's transaction: a rollback leaves nothing.
BEGIN;
SELECT queue_name FROM dbos.register_queue('q-rolled-back');
ROLLBACK;
SELECT dbos.retrieve_queue('q-rolled-back') IS NULL AS rolled_back;

-- Older DBOS schemas: no queues table is 0A000 (queue_stats still counts); no partition or
-- application columns refuse only the options that need them.
SET dbos.system_schema = 'dbos_legacy108';
BEGIN;
DROP TABLE dbos_legacy108.queues;
SELECT regress.error_of($$SELECT dbos.register_queue('x')$$);
SELECT regress.error_of($$SELECT * FROM dbos.list_queues()$$);
SELECT count(*) >= 0 AS stats_work FROM dbos.queue_stats();
ROLLBACK;
BEGIN;
ALTER TABLE dbos_legacy108.queues DROP COLUMN partition_concurrency, DROP COLUMN partition_worker_concurrency,
  DROP COLUMN partition_rate_limit_max, DROP COLUMN partition_rate_limit_period_sec, DROP COLUMN application_name;
SELECT regress.error_of($$SELECT dbos.register_queue('x', partition_concurrency => 2)$$);
SELECT regress.error_of($$SELECT dbos.register_queue('x', application_name => 'appA')$$);
SELECT queue_name, partitioned, partition_concurrency, application_name FROM dbos.register_queue('x', concurrency => 2);
ROLLBACK;
RESET dbos.system_schema;

DELETE FROM dbos.workflow_status WHERE queue_name IN ('q-a', 'q-p', 'q-stats');
DELETE FROM dbos.queues;
