-- 1. One enqueue per transaction: DBOS's own SQL function.
SELECT dbos.enqueue_workflow('benchWorkflow', '_dbos_internal_queue', ARRAY['1'::json, '"a"'::json, '{"k": true}'::json]);
