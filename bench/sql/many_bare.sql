-- 2. Many enqueues in one transaction (pgbench -D n=...): one set-based INSERT ... SELECT of
-- the same rows (distinct created_at per row, as the extension), the floor.
WITH r AS MATERIALIZED (
  SELECT gen_random_uuid()::text AS wid, (extract(epoch FROM clock_timestamp()) * 1000)::bigint + i AS ms
  FROM generate_series(1, :n) i),
created AS (
  INSERT INTO dbos.workflow_status (workflow_uuid, status, name, queue_name, recovery_attempts, priority,
      serialization, created_at, updated_at, creator_xid)
  SELECT wid, 'ENQUEUED', 'benchWorkflow', '_dbos_internal_queue', 0, 0, 'portable_json', ms, ms,
         gen_random_uuid()::text FROM r
  ON CONFLICT DO NOTHING)
INSERT INTO dbos.workflow_input (workflow_uuid, inputs, retention_timestamp)
SELECT wid, '{"positionalArgs":[1, "a", {"k": true}]}', ms FROM r
ON CONFLICT DO NOTHING;
