SELECT dbos.enqueue('_dbos_internal_queue', NULL, 'benchWorkflow', '[1, "a", {"k": true}]');
