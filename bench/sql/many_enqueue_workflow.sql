-- 2. Many enqueues in one transaction (pgbench -D n=...): DBOS's own SQL function.
SELECT count(dbos.enqueue_workflow('benchWorkflow', '_dbos_internal_queue', ARRAY['1'::json, '"a"'::json, '{"k": true}'::json]))
FROM generate_series(1, :n);
