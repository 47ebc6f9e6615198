-- 1. One enqueue per transaction: the extension.
SELECT dbos.enqueue('_dbos_internal_queue', NULL, 'benchWorkflow', '[1,"a",{"k": true}]');
