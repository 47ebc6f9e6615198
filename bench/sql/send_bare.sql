-- 4. Send a message: the bare INSERT of the row dbos.send writes.
INSERT INTO dbos.notifications (destination_uuid, topic, message, serialization, message_uuid, created_at_epoch_ms)
VALUES ('bench-dest', '__null__topic__', '{"x": 1}', 'portable_json', gen_random_uuid()::text,
        (extract(epoch FROM clock_timestamp()) * 1000)::bigint)
ON CONFLICT (message_uuid) DO NOTHING;
