-- dbos.get_status: every field of dbos.workflow_info, for our rows and for rows apps wrote.
SELECT dbos.enqueue('_dbos_internal_queue', 'Greeter', 'greet', '["x", {"n": 1}]', workflow_id => 'st-1',
                    app_version => 'v7', priority => 5, deduplication_id => 'st-dd', timeout => '1.5 s',
                    delay => '1 hour', partition_key => 'p1', named_args => '{"k": 2}', config_name => 'cfg',
                    application_name => 'appA');
SELECT workflow_id, status, workflow_name, workflow_class, config_name, queue_name, deduplication_id,
       priority, partition_key, app_version, application_name, executor_id, authenticated_user,
       recovery_attempts, created_at = updated_at AS same_times,
       abs(extract(epoch FROM created_at - clock_timestamp())) < 60 AS created_now,
       started_at, completed_at, timeout, deadline, date_trunc('second', delay_until - created_at + interval '0.5 s') AS delay,
       parent_workflow_id, forked_from, attributes, input, output, error, serialization
FROM dbos.get_status('st-1') \gx

-- A finished workflow as a TypeScript app leaves it.
INSERT INTO dbos.workflow_status (workflow_uuid, status, name, class_name, queue_name, serialization,
  executor_id, application_version, application_name, recovery_attempts, created_at, updated_at,
  started_at_epoch_ms, completed_at, workflow_timeout_ms, workflow_deadline_epoch_ms, attributes,
  authenticated_user, parent_workflow_id, forked_from)
VALUES ('st-2', 'SUCCESS', 'wfAdd', NULL, NULL, 'js_superjson', 'local', 'vA', 'appA', 1,
  1700000000000, 1700000001500, 1700000000100, 1700000001500, 60000, 1700000060100, '{"team": "x"}',
  'alice', 'parent-1', 'orig-1');
INSERT INTO dbos.workflow_input VALUES ('st-2', '{"json":[1,"a","1970-01-01T00:00:00.000Z","10"],"meta":{"values":{"2":["Date"],"3":["bigint"]}},"__dbos_serializer":"superjson"}');
INSERT INTO dbos.workflow_output (workflow_uuid, output) VALUES ('st-2', '{"json":{"sum":3},"__dbos_serializer":"superjson"}');
SET timezone = 'UTC';
SELECT * FROM dbos.get_status('st-2') \gx
RESET timezone;

-- Python's pickled inputs come back opaque, never mangled.
INSERT INTO dbos.workflow_status (workflow_uuid, status, name, serialization, inputs)
VALUES ('st-3', 'ENQUEUED', 'py_wf', 'py_pickle', 'gASVHwAAAAAAAAB9lCiMBGFyZ3OUSwGMAWGUhpSMBmt3YXJnc5R9lHUu');
SELECT input, serialization FROM dbos.get_status('st-3');

-- Arguments come back digit for digit.
SELECT dbos.enqueue('_dbos_internal_queue', NULL, 'exact', '[12345678901234567890123456789, 0.1, -0, 1e2]', workflow_id => 'st-4');
SELECT input FROM dbos.get_status('st-4');

-- Unknown workflow: NULL; bad arguments: errors.
SELECT dbos.get_status('no-such-workflow') IS NULL AS is_null;
SELECT regress.error_of($$SELECT dbos.get_status(NULL)$$);
SELECT regress.error_of($$SELECT dbos.get_status('')$$);

-- Numbers beyond a double's range that jsonb holds (the fuzzer found 1e-1000 read back as
-- opaque) read back as they were written; a number jsonb cannot hold stays opaque.
SELECT dbos.enqueue('_dbos_internal_queue', NULL, 'bigNumbers', '[1e-1000, 1e400, -1.5e999, "1e999 in a string"]',
                    workflow_id => 'status-big-numbers');
SELECT input = '[1e-1000, 1e400, -1.5e999, "1e999 in a string"]'::jsonb AS same_numbers
FROM dbos.get_status('status-big-numbers');
INSERT INTO dbos.workflow_events (workflow_uuid, key, value, serialization)
VALUES ('status-big-numbers', 'too-big', '[1e1001]', 'portable_json');
SELECT dbos.get_event('status-big-numbers', 'too-big', 0);
