-- dbos.get_result: outputs of every status and layout, the distinct SQLSTATEs, waits.
CREATE FUNCTION regress.finish(p_id text, p_status text, p_output text, p_error text,
                               p_serialization text DEFAULT 'portable_json')
RETURNS void LANGUAGE sql AS $$
  INSERT INTO dbos.workflow_status (workflow_uuid, status, name, serialization, queue_name)
  VALUES (p_id, p_status, 'wf', p_serialization, NULL);
  INSERT INTO dbos.workflow_output (workflow_uuid, output, error) VALUES (p_id, p_output, p_error);
$$;
SELECT regress.finish('res-ok', 'SUCCESS', '{"sum":3,"when":"1970-01-01T00:00:00.000Z","got":"hi"}', NULL);
SELECT regress.finish('res-null', 'SUCCESS', 'null', NULL);
SELECT regress.finish('res-void', 'SUCCESS', NULL, NULL);
SELECT regress.finish('res-sj', 'SUCCESS', '{"json":{"d":"1970-01-01T00:00:00.000Z","n":["7"]},"meta":{"values":{"d":["Date"],"n.0":["bigint"]}},"__dbos_serializer":"superjson"}', NULL, 'js_superjson');
SELECT regress.finish('res-sj-undefined', 'SUCCESS', '{"json":null,"meta":{"values":["undefined"]},"__dbos_serializer":"superjson"}', NULL, 'js_superjson');
SELECT regress.finish('res-pickle', 'SUCCESS', 'gASVBQAAAAAAAABLAS4=', NULL, 'py_pickle');
SELECT regress.finish('res-err', 'ERROR', NULL, '{"name":"Error","message":"bad input","code":"E_BAD"}');
SELECT regress.finish('res-err-py', 'ERROR', NULL, '{"name":"ValueError","message":"nope","code":null,"data":{"x":1}}');
SELECT regress.finish('res-err-sj', 'ERROR', NULL, '{"json":{"code":"E1","name":"Error","message":"boom","stack":"Error: boom"},"__dbos_serializer":"superjson"}', 'js_superjson');
SELECT regress.finish('res-err-pickle', 'ERROR', NULL, 'gASVBQAAAAAAAABLAS4=', 'py_pickle');
SELECT regress.finish('res-cancelled', 'CANCELLED', NULL, NULL);
SELECT regress.finish('res-maxrec', 'MAX_RECOVERY_ATTEMPTS_EXCEEDED', NULL, NULL);
SELECT regress.finish('res-retries', 'RETRIES_EXCEEDED', NULL, NULL);
-- Pre-109 rows: output and error in the legacy workflow_status columns.
INSERT INTO dbos.workflow_status (workflow_uuid, status, name, serialization, output)
VALUES ('res-legacy', 'SUCCESS', 'wf', 'portable_json', '[1,2]');
INSERT INTO dbos.workflow_status (workflow_uuid, status, name, serialization, error)
VALUES ('res-legacy-err', 'ERROR', 'wf', 'portable_json', '{"name":"Error","message":"old failure"}');

SELECT dbos.get_result('res-ok');
SELECT dbos.get_result('res-null');
SELECT dbos.get_result('res-void') IS NULL AS is_null;
SELECT dbos.get_result('res-sj');
SELECT dbos.get_result('res-sj-undefined');
SELECT dbos.get_result('res-pickle');
SELECT dbos.get_result('res-legacy');

SELECT regress.error_of(s) FROM unnest(ARRAY[
  $$SELECT dbos.get_result('res-err')$$,
  $$SELECT dbos.get_result('res-err-py')$$,
  $$SELECT dbos.get_result('res-err-sj')$$,
  $$SELECT dbos.get_result('res-err-pickle')$$,
  $$SELECT dbos.get_result('res-legacy-err')$$,
  $$SELECT dbos.get_result('res-cancelled')$$,
  $$SELECT dbos.get_result('res-maxrec')$$,
  $$SELECT dbos.get_result('res-retries')$$,
  $$SELECT dbos.get_result('no-such-workflow')$$,
  $$SELECT dbos.get_result('no-such-workflow', 0)$$,
  $$SELECT dbos.get_result(NULL)$$,
  $$SELECT dbos.get_result('')$$,
  $$SELECT dbos.get_result('res-ok', -1)$$,
  $$SELECT dbos.get_result('res-ok', 'NaN')$$
]) s;

-- A workflow still queued: our timeout (DB005); a single check with 0.
SELECT dbos.enqueue('_dbos_internal_queue', NULL, 'slow', workflow_id => 'res-queued');
SELECT regress.error_of($$SELECT dbos.get_result('res-queued', 0)$$);
SELECT regress.error_of($$SELECT dbos.get_result('res-queued', 0.05)$$);

-- The SQLSTATEs can be caught by callers.
DO $$
BEGIN
  PERFORM dbos.get_result('res-err');
EXCEPTION WHEN SQLSTATE 'DB001' THEN
  RAISE NOTICE 'caught workflow error: %', SQLERRM;
END $$;

-- Waits that could never see the result fail at once.
BEGIN ISOLATION LEVEL SERIALIZABLE;
SELECT regress.error_of($$SELECT dbos.get_result('res-queued', 5)$$);
SELECT dbos.get_result('res-ok', 5);  -- already finished: no wait needed
COMMIT;
BEGIN;
SELECT dbos.enqueue('_dbos_internal_queue', NULL, 'slow', workflow_id => 'res-own');
SELECT regress.error_of($$SELECT dbos.get_result('res-own')$$);
ROLLBACK;
BEGIN;
UPDATE dbos.workflow_status SET status = 'PENDING' WHERE workflow_uuid = 'res-queued';
SELECT regress.error_of($$SELECT dbos.get_result('res-queued')$$);
ROLLBACK;

-- statement_timeout ends an unbounded wait with its own 57014 (which plpgsql's WHEN OTHERS
-- does not catch, so the error shows as is).
SET statement_timeout = '200ms';
SELECT regress.error_of($$SELECT dbos.get_result('res-queued')$$);
RESET statement_timeout;
