-- dbos.get_event: decoding every payload format, timeouts, and the waits that cannot work.
SELECT dbos.enqueue('_dbos_internal_queue', NULL, 'publisher', workflow_id => 'ev-1');
INSERT INTO dbos.workflow_events (workflow_uuid, key, value, serialization) VALUES
  ('ev-1', 'portable', '{"step":1,"at":"1970-01-01T00:00:00.000Z"}', 'portable_json'),
  ('ev-1', 'string', '"hello"', 'portable_json'),
  ('ev-1', 'null', 'null', 'portable_json'),
  ('ev-1', 'sj-plain', '{"json":[1,"a"],"__dbos_serializer":"superjson"}', 'js_superjson'),
  ('ev-1', 'sj-undefined', '{"json":null,"meta":{"values":["undefined"]},"__dbos_serializer":"superjson"}', 'js_superjson'),
  ('ev-1', 'sj-date', '{"json":"2024-01-02T03:04:05.678Z","meta":{"values":["Date"]},"__dbos_serializer":"superjson"}', 'js_superjson'),
  ('ev-1', 'sj-bigint', '{"json":["10"],"meta":{"values":{"0":["bigint"]}},"__dbos_serializer":"superjson"}', 'js_superjson'),
  ('ev-1', 'sj-huge-bigint', '{"json":"123456789012345678901234567890","meta":{"values":["bigint"]},"__dbos_serializer":"superjson"}', 'js_superjson'),
  ('ev-1', 'sj-undef-member', '{"json":{"a":null,"b":1},"meta":{"values":{"a":["undefined"]}},"__dbos_serializer":"superjson"}', 'js_superjson'),
  ('ev-1', 'sj-map', '{"json":[["k",1],["j","v"]],"meta":{"values":["map"]},"__dbos_serializer":"superjson"}', 'js_superjson'),
  ('ev-1', 'sj-map-mixed-keys', '{"json":[["k",1],[2,"v"]],"meta":{"values":["map"]},"__dbos_serializer":"superjson"}', 'js_superjson'),
  ('ev-1', 'sj-set', '{"json":[1,"x"],"meta":{"values":["set"]},"__dbos_serializer":"superjson"}', 'js_superjson'),
  ('ev-1', 'sj-buffer', '{"json":[1,2,255],"meta":{"values":[["custom","Buffer"]]},"__dbos_serializer":"superjson"}', 'js_superjson'),
  ('ev-1', 'sj-error', '{"json":{"name":"Error","message":"boom"},"meta":{"values":["Error"]},"__dbos_serializer":"superjson"}', 'js_superjson'),
  ('ev-1', 'sj-numbers', '{"json":["NaN","Infinity","-Infinity","-0"],"meta":{"values":{"0":["number"],"1":["number"],"2":["number"],"3":["number"]}},"__dbos_serializer":"superjson"}', 'js_superjson'),
  ('ev-1', 'sj-nested', '{"json":{"d":"1970-01-01T00:00:00.000Z","m":{"x":[1]}},"meta":{"values":{"d":["Date"],"m.x":["set"]}},"__dbos_serializer":"superjson"}', 'js_superjson'),
  ('ev-1', 'sj-map-of-dates', '{"json":[["k","1970-01-01T00:00:00.000Z"]],"meta":{"values":["map",{"0.1":["Date"]}]},"__dbos_serializer":"superjson"}', 'js_superjson'),
  ('ev-1', 'sj-map-in-object', '{"json":{"m":[["a",["10"]]]},"meta":{"values":{"m":["map",{"0.1.0":["bigint"]}]}},"__dbos_serializer":"superjson"}', 'js_superjson'),
  ('ev-1', 'sj-refs', '{"json":{"a":{"q":1},"b":{"q":1}},"meta":{"referentialEqualities":{"a":["b"]}},"__dbos_serializer":"superjson"}', 'js_superjson'),
  ('ev-1', 'sj-args', '{"json":[1,"a","1970-01-01T00:00:00.000Z","10"],"meta":{"values":{"2":["Date"],"3":["bigint"]}},"__dbos_serializer":"superjson"}', 'js_superjson'),
  ('ev-1', 'sj-no-marker', '{"json":[1]}', 'js_superjson'),
  ('ev-1', 'untagged-superjson', '{"json":"x","meta":{"values":["Date"]},"__dbos_serializer":"superjson"}', NULL),
  ('ev-1', 'untagged-legacy', '{"when":{"dbos_type":"dbos_Date","dbos_data":"2024-01-01T00:00:00.000Z"},"n":1}', NULL),
  ('ev-1', 'pickle', 'gASVHwAAAAAAAAB9lCiMBGFyZ3OUSwGMAWGUhpSMBmt3YXJnc5R9lHUu', 'py_pickle'),
  ('ev-1', 'untagged-pickle', 'gASVHwAAAAAAAAB9lCiMBGFyZ3OUSwGMAWGUhpSMBmt3YXJnc5R9lHUu', NULL),
  ('ev-1', 'go-json', 'eyJhIjoxfQ==', 'DBOS_JSON'),
  ('ev-1', 'go-nil', '__DBOS_NIL', 'DBOS_JSON'),
  ('ev-1', 'custom', 'whatever', 'my_serializer'),
  ('ev-1', 'portable-nan', '[NaN]', 'portable_json'),
  ('ev-1', 'portable-nul', '"a\u0000b"', 'portable_json'),
  ('ev-1', 'portable-garbage', '{"a":', 'portable_json'),
  ('ev-1', 'portable-bom', E'\uFEFF[1]', 'portable_json'),
  ('ev-1', 'portable-huge-number', '0.' || repeat('0', 20000) || '1', 'portable_json'),
  ('ev-1', 'portable-big-int', '[12345678901234567890123456789, 1.5e300]', 'portable_json'),
  ('ev-1', 'unicode', '"h\u00e9llo \ud83d\ude00 \"q\""', 'portable_json');
SELECT key, dbos.get_event('ev-1', key, 0) FROM dbos.workflow_events
WHERE workflow_uuid = 'ev-1' AND key <> 'portable-huge-number' ORDER BY key;
-- A number jsonb cannot hold: opaque, not an error.
SELECT dbos.get_event('ev-1', 'portable-huge-number', 0) ? '__dbos_opaque__' AS opaque;

-- No event: NULL after the timeout (0 checks once); a missing workflow is not an error.
SELECT dbos.get_event('ev-1', 'not-set', 0) IS NULL AS is_null;
SELECT dbos.get_event('ev-1', 'not-set', 0.05) IS NULL AS is_null;
SELECT dbos.get_event('no-such-workflow', 'k', 0.01) IS NULL AS is_null;
-- An empty key is a key like any other.
SELECT dbos.get_event('ev-1', '', 0) IS NULL AS is_null;

-- Bad arguments.
SELECT regress.error_of(s) FROM unnest(ARRAY[
  $$SELECT dbos.get_event(NULL, 'k', 0)$$,
  $$SELECT dbos.get_event('', 'k', 0)$$,
  $$SELECT dbos.get_event('ev-1', NULL, 0)$$,
  $$SELECT dbos.get_event('ev-1', 'k', -1)$$,
  $$SELECT dbos.get_event('ev-1', 'k', 'NaN')$$
]) s;

-- Waits that could never see the event fail at once instead of sleeping.
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT regress.error_of($$SELECT dbos.get_event('ev-1', 'not-set', 5)$$);
-- ... but an event already there is returned, and a single check is allowed.
SELECT dbos.get_event('ev-1', 'string', 5);
SELECT dbos.get_event('ev-1', 'not-set', 0) IS NULL AS is_null;
COMMIT;
BEGIN;
SELECT dbos.enqueue('_dbos_internal_queue', NULL, 'publisher', workflow_id => 'ev-own');
SELECT regress.error_of($$SELECT dbos.get_event('ev-own', 'k', 5)$$);
ROLLBACK;

-- statement_timeout interrupts a wait: a 600 s wait under a 200 ms statement_timeout ends
-- with 57014 well before 60 s. (A wait that ignored the interrupt would sleep its 600 s and
-- only then raise the pending cancel, with the same error: the elapsed time tells them apart.)
SELECT clock_timestamp() AS wait_started \gset
SET statement_timeout = '200ms';
SELECT dbos.get_event('ev-1', 'not-set', 600);
\echo :SQLSTATE
RESET statement_timeout;
SELECT clock_timestamp() - :'wait_started'::timestamptz < interval '60 seconds' AS ended_long_before_the_wait;

-- Deeply nested superjson is refused clearly, not by crashing.
INSERT INTO dbos.workflow_events (workflow_uuid, key, value, serialization) VALUES ('ev-1', 'deep',
  '{"json":' || repeat('[', 5000) || repeat(']', 5000) || ',"__dbos_serializer":"superjson"}', 'js_superjson');
SELECT regress.error_of($$SELECT dbos.get_event('ev-1', 'deep', 0)$$);
