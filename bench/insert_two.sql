\set id random(1, 1000000000)
INSERT INTO dbos.workflow_status (workflow_uuid, status, name, queue_name, recovery_attempts, priority, serialization, created_at, updated_at, creator_xid)
  VALUES (:client_id || '-' || :id || '-' || random(), 'ENQUEUED', 'benchWorkflow', '_dbos_internal_queue', 0, 0, 'portable_json', 1795663396786, 1795663396786, 'c0ffee00-0000-4000-8000-000000000000') ON CONFLICT DO NOTHING;
INSERT INTO dbos.workflow_input (workflow_uuid, inputs, retention_timestamp)
  VALUES (:client_id || '-' || :id || '-' || random(), '{"positionalArgs":[1, "a", {"k": true}]}', 1795663396786) ON CONFLICT DO NOTHING;
