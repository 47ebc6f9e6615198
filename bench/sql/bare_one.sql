-- 1. One enqueue per transaction: the extension's two INSERTs as one statement (a CTE).
WITH created AS (
  INSERT INTO dbos.workflow_status (workflow_uuid, status, name, queue_name, recovery_attempts, priority,
      serialization, created_at, updated_at, creator_xid)
  SELECT gen_random_uuid()::text, 'ENQUEUED', 'benchWorkflow', '_dbos_internal_queue', 0, 0,
         'portable_json', t.ms, t.ms, gen_random_uuid()::text
  FROM (SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint AS ms) t
  ON CONFLICT DO NOTHING RETURNING workflow_uuid, created_at)
INSERT INTO dbos.workflow_input (workflow_uuid, inputs, retention_timestamp)
SELECT workflow_uuid, '{"positionalArgs":[1, "a", {"k": true}]}', created_at FROM created
ON CONFLICT DO NOTHING;
