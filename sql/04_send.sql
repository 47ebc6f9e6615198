-- dbos.send: the notification row, idempotency, topics, and errors.
SELECT dbos.enqueue('_dbos_internal_queue', NULL, 'receiver', workflow_id => 'send-dest');

SELECT dbos.send('send-dest', '{"hello": [1, 2]}', 'greetings');
SELECT dbos.send('send-dest', '"no topic"');
SELECT dbos.send('send-dest', NULL, 'nulls');
SELECT dbos.send('send-dest', '42', '', 'key-1');
SELECT dbos.send('send-dest', '42', '', 'key-1');  -- same key: delivered once
SELECT dbos.send('send-dest', '{"a": 1}', 't', NULL, 'js_superjson');
SELECT topic, message, serialization, consumed,
       CASE WHEN message_uuid ~ '^[0-9a-f-]{36}$' THEN '<uuid>' ELSE message_uuid END AS message_uuid
FROM dbos.notifications WHERE destination_uuid = 'send-dest' ORDER BY created_at_epoch_ms;
-- Strictly increasing created_at_epoch_ms: the receive order is the send order.
SELECT count(DISTINCT created_at_epoch_ms) = count(*) AS ordered FROM dbos.notifications WHERE destination_uuid = 'send-dest';

-- The same key to another destination is another message, as in DBOS.
SELECT dbos.enqueue('_dbos_internal_queue', NULL, 'receiver', workflow_id => 'send-dest-2');
SELECT dbos.send('send-dest-2', '42', NULL, 'key-1');
SELECT message_uuid FROM dbos.notifications WHERE message_uuid LIKE 'key-1::%' ORDER BY 1;

-- Same as DBOS's own send_message, except the idempotency key (DBOS clients add ::destination).
SELECT dbos.send_message('send-dest-2', '"m"'::json, NULL, 'dbos-msg-1');
SELECT dbos.send('send-dest-2', '"m"', NULL, NULL);
SELECT topic, message, serialization FROM dbos.notifications
WHERE destination_uuid = 'send-dest-2' AND message = '"m"' ORDER BY message_uuid = 'dbos-msg-1';

-- Errors: nothing written.
SELECT regress.row_counts() AS before \gset
SELECT regress.error_of(s) FROM unnest(ARRAY[
  $$SELECT dbos.send('no-such-workflow', '1')$$,
  $$SELECT dbos.send(NULL, '1')$$,
  $$SELECT dbos.send('', '1')$$,
  $$SELECT dbos.send('send-dest', '1', NULL, '')$$,
  $$SELECT dbos.send('send-dest', '1', NULL, NULL, 'xml')$$,
  $$SELECT dbos.send('send-dest', '1', repeat('t', 8000))$$
]) s;
SELECT regress.row_counts() = :'before' AS nothing_written;

-- A rule that rewrites our INSERT is refused, not silently obeyed.
BEGIN;
CREATE RULE swallow AS ON INSERT TO dbos.notifications DO INSTEAD NOTHING;
SELECT regress.error_of($$SELECT dbos.send('send-dest', '"eaten"')$$);
ROLLBACK;

-- A send inside a rolled-back transaction leaves nothing.
BEGIN;
SELECT dbos.send('send-dest', '"rolled back"', 'rb');
ROLLBACK;
SELECT count(*) FROM dbos.notifications WHERE topic = 'rb';
