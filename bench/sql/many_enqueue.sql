-- 2. Many enqueues in one transaction (pgbench -D n=...): the extension.
SELECT count(dbos.enqueue('_dbos_internal_queue', NULL, 'benchWorkflow', '[1,"a",{"k": true}]'))
FROM generate_series(1, :n);
