-- 1. One enqueue per transaction: the extension's two INSERTs as two statements, sent as one
-- pipeline (one round trip, one implicit transaction). The ID comes from the client.
\set r random(1, 999999999999999)
\startpipeline
INSERT INTO dbos.workflow_status (workflow_uuid, status, name, queue_name, recovery_attempts, priority,
    serialization, created_at, updated_at, creator_xid)
VALUES ('bench-' || :client_id || '-' || :r, 'ENQUEUED', 'benchWorkflow', '_dbos_internal_queue', 0, 0, 'portable_json',
        (extract(epoch FROM clock_timestamp()) * 1000)::bigint, (extract(epoch FROM clock_timestamp()) * 1000)::bigint,
        gen_random_uuid()::text)
ON CONFLICT DO NOTHING;
INSERT INTO dbos.workflow_input (workflow_uuid, inputs, retention_timestamp)
VALUES ('bench-' || :client_id || '-' || :r, '{"positionalArgs":[1, "a", {"k": true}]}',
        (extract(epoch FROM clock_timestamp()) * 1000)::bigint)
ON CONFLICT DO NOTHING;
\endpipeline
