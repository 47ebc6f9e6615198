-- Waiting on many workflows and on one stream offset (1.3): wait_first, wait_all,
-- read_stream_offset. Time bounds only tell "at once" from "after the wait".
SELECT dbos.enqueue('_dbos_internal_queue', NULL, 'w', workflow_id => 'wm-' || i) FROM generate_series(1, 3) i;

-- Nothing ended: the timeout passes (NULL / false).
SELECT dbos.wait_first(ARRAY['wm-1', 'wm-2', 'wm-3'], 0.05) IS NULL AS timed_out;
SELECT dbos.wait_all(ARRAY['wm-1', 'wm-2'], 0.05) AS all_ended;
-- One ended: wait_first returns it at once; wait_all still waits for the others.
UPDATE dbos.workflow_status SET status = 'SUCCESS', updated_at = updated_at + 1 WHERE workflow_uuid = 'wm-2';
SELECT dbos.wait_first(ARRAY['wm-1', 'wm-2', 'wm-3']);
SELECT dbos.wait_all(ARRAY['wm-1', 'wm-2'], 0.05) AS all_ended;
-- Any end counts (CANCELLED, ERROR, ...); repeated IDs are one for wait_all, as in DBOS.
UPDATE dbos.workflow_status SET status = 'CANCELLED' WHERE workflow_uuid = 'wm-1';
SELECT dbos.wait_all(ARRAY['wm-1', 'wm-2', 'wm-2']) AS all_ended;
SELECT dbos.wait_all('{}') AS none_is_all;

-- Errors.
SELECT regress.error_of($$SELECT dbos.wait_first('{}')$$);
SELECT regress.error_of($$SELECT dbos.wait_first(ARRAY['wm-3', 'wm-3'])$$);
SELECT regress.error_of($$SELECT dbos.wait_first(NULL)$$);
SELECT regress.error_of($$SELECT dbos.wait_first(ARRAY['wm-3', NULL])$$);
SELECT regress.error_of($$SELECT dbos.wait_all(ARRAY['wm-3', ''])$$);
SELECT regress.error_of($$SELECT dbos.wait_first(ARRAY['wm-3', 'wm-unknown'], 1)$$);
SELECT regress.error_of($$SELECT dbos.wait_all(ARRAY['wm-unknown'])$$);
-- ... also with timeout 0, a check without waiting (a typo must not read as "not ended").
SELECT regress.error_of($$SELECT dbos.wait_first(ARRAY['wm-3', 'wm-unknown'], 0)$$);
SELECT regress.error_of($$SELECT dbos.wait_all(ARRAY['wm-unknown'], 0)$$);
SELECT regress.error_of($$SELECT dbos.wait_first(ARRAY['wm-3'], -1)$$);
-- Long lists: each ID once; a repeat far apart is found, and so is the one unknown ID.
SELECT count(dbos.enqueue('_dbos_internal_queue', NULL, 'w', workflow_id => 'wl-' || i)) FROM generate_series(1, 10000) i;
UPDATE dbos.workflow_status SET status = 'SUCCESS' WHERE workflow_uuid LIKE 'wl-%';
SELECT dbos.wait_all(array_agg('wl-' || i) || array_agg('wl-' || (10001 - i))) AS all_of_20000 FROM generate_series(1, 10000) i;
SELECT dbos.wait_first(array_agg('wl-' || i ORDER BY i DESC)) IN ('wl-9999', 'wl-10000') AS one_of_them
  FROM generate_series(1, 10000) i WHERE i > 9998;
SELECT regress.error_of(format('SELECT dbos.wait_first(%L)', array_agg('wl-' || i) || ARRAY['wl-17'])) FROM generate_series(1, 10000) i;
UPDATE dbos.workflow_status SET status = 'ENQUEUED' WHERE workflow_uuid = 'wl-1';
SELECT regress.error_of(format('SELECT dbos.wait_all(%L, 0.05)', ARRAY['wl-1'] || array_agg('wl-' || (i + 2)))) FROM generate_series(1, 10000) i;
DELETE FROM dbos.workflow_status WHERE workflow_uuid LIKE 'wl-%';
-- The caller's own open workflow could never end: refused at once.
BEGIN;
SELECT dbos.enqueue('_dbos_internal_queue', NULL, 'w', workflow_id => 'wm-own');
SELECT regress.error_of($$SELECT dbos.wait_first(ARRAY['wm-own'])$$);
ROLLBACK;
-- Under REPEATABLE READ a wait would never see a commit: refused unless already over.
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT regress.error_of($$SELECT dbos.wait_all(ARRAY['wm-3'])$$);
SELECT dbos.wait_first(ARRAY['wm-3', 'wm-2']) AS already_over;
ROLLBACK;

-- read_stream_offset: the value at that offset, decoded; waits for it.
INSERT INTO dbos.streams (workflow_uuid, key, value, "offset", serialization)
VALUES ('wm-3', 's', '{"n": 1}', 0, 'portable_json'), ('wm-3', 's', '"two"', 1, 'portable_json');
SELECT dbos.read_stream_offset('wm-3', 's', 0), dbos.read_stream_offset('wm-3', 's', 1);
SELECT regress.error_of($$SELECT dbos.read_stream_offset('wm-3', 's', 2, 0.05)$$);   -- not written yet
-- The close marker at that offset, or a workflow that ended without writing it: DB005.
INSERT INTO dbos.streams (workflow_uuid, key, value, "offset", serialization)
VALUES ('wm-3', 's', '"__DBOS_STREAM_CLOSED__"', 2, 'portable_json');
SELECT regress.error_of($$SELECT dbos.read_stream_offset('wm-3', 's', 2)$$);
UPDATE dbos.workflow_status SET status = 'SUCCESS' WHERE workflow_uuid = 'wm-3';
SELECT regress.error_of($$SELECT dbos.read_stream_offset('wm-3', 'other', 0)$$);
SELECT regress.error_of($$SELECT dbos.read_stream_offset('wm-unknown', 's', 0)$$);
SELECT regress.error_of($$SELECT dbos.read_stream_offset('wm-3', 's', -1)$$);
SELECT regress.error_of($$SELECT dbos.read_stream_offset('wm-3', 's', NULL)$$);
SELECT regress.error_of($$SELECT dbos.read_stream_offset('wm-3', NULL, 0)$$);

DELETE FROM dbos.workflow_status WHERE workflow_uuid LIKE 'wm-%';
