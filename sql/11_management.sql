-- Management and observability: the row changes of DBOSClient's methods, and their errors.
SET timezone = 'UTC';
SELECT dbos.enqueue('mgmtQueue', NULL, 'job', jsonb_build_array(i), workflow_id => 'm-' || i,
                    deduplication_id => 'md-' || i, priority => i) IS NOT NULL
FROM generate_series(1, 4) i;
UPDATE dbos.workflow_status SET status = 'SUCCESS', queue_name = NULL, deduplication_id = NULL,
  completed_at = created_at + 5 WHERE workflow_uuid = 'm-4';
INSERT INTO dbos.workflow_output (workflow_uuid, output) VALUES ('m-4', '{"done": 4}');

-- cancel: CANCELLED, off its queue, deduplication released; a finished workflow stays as is.
-- (updated: m-1 at or after the cancel began; m-4 left exactly as it was)
SELECT floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint AS before_cancel,
       (SELECT updated_at FROM dbos.workflow_status WHERE workflow_uuid = 'm-4') AS m4_updated \gset
SELECT dbos.cancel_workflow('m-1');
SELECT dbos.cancel_workflow('m-4');
SELECT workflow_uuid, status, queue_name, deduplication_id, started_at_epoch_ms, owner_xid,
       completed_at IS NOT NULL AS completed,
       CASE workflow_uuid WHEN 'm-1' THEN updated_at >= :before_cancel ELSE updated_at = :m4_updated END AS updated
FROM dbos.workflow_status WHERE workflow_uuid IN ('m-1', 'm-4') ORDER BY 1;
SELECT regress.error_of($$SELECT dbos.get_result('m-1', 0)$$);

-- resume: ENQUEUED again, on the internal queue or the one given, attempts reset.
UPDATE dbos.workflow_status SET recovery_attempts = 7 WHERE workflow_uuid = 'm-1';
SELECT dbos.resume_workflow('m-1');
SELECT dbos.resume_workflow('m-2', 'otherQueue');
SELECT dbos.resume_workflow('m-4');  -- finished: unchanged
SELECT workflow_uuid, status, queue_name, recovery_attempts, deduplication_id, completed_at IS NULL AS not_completed
FROM dbos.workflow_status WHERE workflow_uuid IN ('m-1', 'm-2', 'm-4') ORDER BY 1;

-- set_workflow_priority: only ENQUEUED and DELAYED workflows change.
SELECT dbos.set_workflow_priority('m-3', 0);
SELECT dbos.set_workflow_priority('m-4', 9);
SELECT workflow_uuid, priority FROM dbos.workflow_status WHERE workflow_uuid IN ('m-3', 'm-4') ORDER BY 1;

-- list_workflows: filters, order, paging, payloads on request.
SELECT workflow_id, status, workflow_name, queue_name, priority, input, output
FROM dbos.list_workflows(workflow_name => 'job');
SELECT workflow_id FROM dbos.list_workflows(workflow_name => 'job', descending => true, limit_rows => 2, offset_rows => 1);
SELECT workflow_id, status, input, output FROM dbos.list_workflows(status => ARRAY['SUCCESS', 'CANCELLED'], workflow_name => 'job', load_input => true, load_output => true);
SELECT count(*) FROM dbos.list_workflows(queue_name => 'otherQueue', workflow_name => 'job');
SELECT count(*) FROM dbos.list_workflows(created_after => now() + interval '1 day');
-- created_before keeps the earliest job only (an ignored filter would return them all).
SELECT count(*) AS listed, (SELECT count(*) FROM dbos.workflow_status WHERE name = 'job') AS all_jobs
FROM dbos.list_workflows(created_before => (SELECT to_timestamp(min(created_at) / 1000.0) FROM dbos.workflow_status WHERE name = 'job'),
                         workflow_name => 'job');
SELECT count(*) FROM dbos.list_workflows(app_version => 'no-such-version');
-- list_queued_workflows: only queued, unfinished rows.
SELECT workflow_id, status, queue_name FROM dbos.list_queued_workflows() WHERE workflow_id LIKE 'm-%';
SELECT workflow_id, input FROM dbos.list_queued_workflows(queue_name => 'otherQueue', workflow_name => 'job', load_input => true);

-- Steps, events and streams as a TypeScript app leaves them.
INSERT INTO dbos.operation_outputs (workflow_uuid, function_id, function_name, output, error,
  serialization, child_workflow_id, started_at_epoch_ms, completed_at_epoch_ms) VALUES
  ('m-4', 0, 'stepOne', '{"json":{"a":1},"__dbos_serializer":"superjson"}', NULL, 'js_superjson', NULL, 1700000000000, 1700000000100),
  ('m-4', 1, 'DBOS.setEvent', NULL, NULL, 'portable_json', NULL, 1700000000200, 1700000000200),
  ('m-4', 2, 'stepThree', NULL, '{"name":"Error","message":"no"}', 'portable_json', 'child-x', 1700000000300, 1700000000400);
INSERT INTO dbos.workflow_events_history (workflow_uuid, function_id, key, value, serialization) VALUES
  ('m-4', 1, 'progress', '"half"', 'portable_json'), ('m-4', 3, 'progress', '"done"', 'portable_json');
INSERT INTO dbos.workflow_events (workflow_uuid, key, value, serialization) VALUES
  ('m-4', 'progress', '"done"', 'portable_json'), ('m-4', 'when', '{"json":"1970-01-01T00:00:00.000Z","meta":{"values":["Date"]},"__dbos_serializer":"superjson"}', 'js_superjson');
INSERT INTO dbos.streams (workflow_uuid, key, value, serialization, "offset", function_id) VALUES
  ('m-4', 's', '"a"', 'portable_json', 0, 1), ('m-4', 's', '{"b":2}', 'portable_json', 1, 2),
  ('m-4', 's', '"__DBOS_STREAM_CLOSED__"', 'portable_json', 2, 4), ('m-4', 'open', '1', 'portable_json', 0, 1),
  ('m-4', 'open', '3', 'portable_json', 2, 1);
SELECT * FROM dbos.list_workflow_steps('m-4');
SELECT * FROM dbos.get_events('m-4');
SELECT * FROM dbos.read_stream('m-4', 's');
SELECT * FROM dbos.read_stream('m-4', 's', 1);
SELECT * FROM dbos.read_stream('m-4', 'open');  -- offset 1 not written yet: stops there
SELECT count(*) FROM dbos.read_stream('m-4', 'no-such-key');
SELECT count(*) FROM dbos.get_events('no-such-workflow');

-- fork: a new ENQUEUED workflow with the same inputs; steps before start_step copied.
SELECT dbos.fork_workflow('m-4', 0, 'm-4-fork0');
SELECT dbos.fork_workflow('m-4', 2, 'm-4-fork2', app_version => 'v9', queue_name => 'forkQueue');
SELECT workflow_uuid, status, name, queue_name, application_version, forked_from, was_forked_from, priority,
       (SELECT inputs::jsonb FROM dbos.workflow_input i WHERE i.workflow_uuid = s.workflow_uuid)
FROM dbos.workflow_status s WHERE workflow_uuid LIKE 'm-4%' ORDER BY 1;
SELECT workflow_uuid, function_id, function_name FROM dbos.operation_outputs WHERE workflow_uuid LIKE 'm-4-fork%' ORDER BY 1, 2;
SELECT * FROM dbos.get_events('m-4-fork2');
SELECT * FROM dbos.read_stream('m-4-fork2', 's');
SELECT dbos.fork_workflow('m-4', 0) ~ '^[0-9a-f-]{36}$' AS generated_id;

-- delete: the workflow, its payloads, steps, events, streams and messages; children on request.
UPDATE dbos.workflow_status SET parent_workflow_id = 'm-4' WHERE workflow_uuid = 'm-4-fork0';
UPDATE dbos.workflow_status SET parent_workflow_id = 'm-4-fork0' WHERE workflow_uuid = 'm-4-fork2';
SELECT dbos.send('m-4', '"bye"');
SELECT dbos.delete_workflow('m-4');
SELECT (SELECT count(*) FROM dbos.workflow_status WHERE workflow_uuid = 'm-4') AS status,
       (SELECT count(*) FROM dbos.workflow_output WHERE workflow_uuid = 'm-4') AS output,
       (SELECT count(*) FROM dbos.workflow_input WHERE workflow_uuid = 'm-4') AS input,
       (SELECT count(*) FROM dbos.operation_outputs WHERE workflow_uuid = 'm-4') AS steps,
       (SELECT count(*) FROM dbos.workflow_events WHERE workflow_uuid = 'm-4') AS events,
       (SELECT count(*) FROM dbos.streams WHERE workflow_uuid = 'm-4') AS streams,
       (SELECT count(*) FROM dbos.notifications WHERE destination_uuid = 'm-4') AS messages,
       (SELECT count(*) FROM dbos.workflow_status WHERE workflow_uuid LIKE 'm-4-fork%') AS children_kept;
INSERT INTO dbos.workflow_status (workflow_uuid, status, name) VALUES ('m-4', 'SUCCESS', 'job');
UPDATE dbos.workflow_status SET parent_workflow_id = 'm-4' WHERE workflow_uuid = 'm-4-fork0';
SELECT dbos.delete_workflow('m-4', delete_children => true);
SELECT count(*) AS left_in_tree FROM dbos.workflow_status WHERE workflow_uuid LIKE 'm-4%';
SELECT dbos.delete_workflow('no-such-workflow');  -- nothing to delete: no error

-- Errors: unknown workflows, bad arguments; nothing written.
SELECT regress.row_counts() AS before \gset
SELECT regress.error_of(s) FROM unnest(ARRAY[
  $$SELECT dbos.cancel_workflow('no-such-workflow')$$,
  $$SELECT dbos.cancel_workflow(NULL)$$,
  $$SELECT dbos.resume_workflow('no-such-workflow')$$,
  $$SELECT dbos.resume_workflow('m-2', '')$$,
  $$SELECT dbos.set_workflow_priority('m-2', -1)$$,
  $$SELECT dbos.set_workflow_priority('m-2', NULL)$$,
  $$SELECT dbos.set_workflow_priority('no-such-workflow', 1)$$,
  $$SELECT dbos.fork_workflow('no-such-workflow', 0)$$,
  $$SELECT dbos.fork_workflow('m-2', -1)$$,
  $$SELECT dbos.fork_workflow('m-2', NULL)$$,
  $$SELECT dbos.fork_workflow('m-2', 0, 'm-3')$$,
  $$SELECT dbos.fork_workflow('m-2', 0, '')$$,
  $$SELECT dbos.delete_workflow('')$$,
  $$SELECT * FROM dbos.list_workflows(limit_rows => -1)$$,
  $$SELECT * FROM dbos.list_workflows(offset_rows => -5)$$,
  $$SELECT * FROM dbos.list_workflow_steps('no-such-workflow')$$,
  $$SELECT * FROM dbos.read_stream('no-such-workflow', 'k')$$,
  $$SELECT * FROM dbos.read_stream('m-2', NULL)$$,
  $$SELECT * FROM dbos.read_stream('m-2', 'k', -1)$$,
  $$SELECT * FROM dbos.get_events(NULL)$$
]) s;
SELECT regress.row_counts() = :'before' AS nothing_written;
RESET timezone;
