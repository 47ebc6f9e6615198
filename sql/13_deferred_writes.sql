-- Enqueues are buffered and written in bulk when the statement ends; nothing is lost,
-- nothing outlives a rolled-back (sub)transaction, and our own functions see them at once.
SELECT regress.row_counts() AS before \gset

-- Many rows, mixed parameters, more than one batch: all written, in order.
SELECT count(dbos.enqueue(CASE WHEN i % 3 = 0 THEN 'defQ1' ELSE '_dbos_internal_queue' END, NULL, 'def',
                          jsonb_build_array(i), workflow_id => 'def-' || i, priority => i % 2))
FROM generate_series(1, 2500) i;
SELECT count(*) AS rows, count(DISTINCT created_at) AS distinct_times,
       count(*) FILTER (WHERE queue_name = 'defQ1') AS on_q1, count(*) FILTER (WHERE priority = 1) AS prio1
FROM dbos.workflow_status WHERE name = 'def';
SELECT bool_and(ordered) AS fifo FROM (
  SELECT (i.inputs::jsonb #>> '{positionalArgs,0}')::int = row_number() OVER (ORDER BY s.created_at) AS ordered
  FROM dbos.workflow_status s JOIN dbos.workflow_input i USING (workflow_uuid) WHERE s.name = 'def') x;

-- Our other functions see the statement's own enqueues (the writers and waiters, which take a
-- fresh snapshot; STABLE readers like get_status see the statement's snapshot, as any SQL).
SELECT dbos.enqueue('_dbos_internal_queue', NULL, 'def2', workflow_id => 'def-msg'),
       dbos.send('def-msg', '"hello"');
SELECT count(*) FROM dbos.notifications WHERE destination_uuid = 'def-msg';

-- Conflicts found when the rows are written are the usual errors, and abort the statement.
SELECT regress.error_of($$SELECT dbos.enqueue('_dbos_internal_queue', NULL, 'def3', workflow_id => 'def-dd-' || i, deduplication_id => 'def-dd') FROM generate_series(1, 2) i$$);
SELECT regress.error_of($$SELECT dbos.enqueue('_dbos_internal_queue', NULL, n, workflow_id => 'def-same') FROM unnest(ARRAY['a', 'b']) n$$);
SELECT count(*) FROM dbos.workflow_status WHERE workflow_uuid = 'def-same' OR deduplication_id = 'def-dd';
-- The same workflow twice in one statement is one workflow.
SELECT count(dbos.enqueue('_dbos_internal_queue', NULL, 'def4', workflow_id => 'def-twice')) FROM generate_series(1, 2);
SELECT count(*) FROM dbos.workflow_status WHERE workflow_uuid = 'def-twice';

-- Savepoints and plpgsql exception blocks take their own buffered rows with them.
BEGIN;
SELECT dbos.enqueue('_dbos_internal_queue', NULL, 'def5', workflow_id => 'def-sp-kept');
SAVEPOINT a;
SELECT dbos.enqueue('_dbos_internal_queue', NULL, 'def5', workflow_id => 'def-sp-gone');
ROLLBACK TO a;
COMMIT;
SELECT workflow_uuid FROM dbos.workflow_status WHERE name = 'def5' ORDER BY 1;
CREATE FUNCTION regress.enqueue_then_fail(i int) RETURNS int LANGUAGE plpgsql AS $$
BEGIN
  BEGIN
    PERFORM dbos.enqueue('_dbos_internal_queue', NULL, 'def6', workflow_id => 'def-inner-' || i);
    PERFORM 1 / 0;
  EXCEPTION WHEN division_by_zero THEN NULL;
  END;
  RETURN i;
END $$;
SELECT dbos.enqueue('_dbos_internal_queue', NULL, 'def6', workflow_id => 'def-outer-' || i) AS id,
       regress.enqueue_then_fail(i)
FROM generate_series(1, 3) i;
SELECT workflow_uuid FROM dbos.workflow_status WHERE name = 'def6' ORDER BY 1;

-- A plpgsql assignment runs no query of its own: the next query still sees the row.
DO $$ DECLARE r text; n int; BEGIN
  r := dbos.enqueue('_dbos_internal_queue', NULL, 'def10', workflow_id => 'def-assigned');
  SELECT count(*) INTO n FROM dbos.workflow_status WHERE workflow_uuid = 'def-assigned';
  RAISE NOTICE 'visible to the next query: %', n;
END $$;

-- A cursor's enqueues are visible to the next statement and committed with the transaction.
BEGIN;
DECLARE c CURSOR FOR SELECT dbos.enqueue('_dbos_internal_queue', NULL, 'def7', workflow_id => 'def-cur-' || i)
  FROM generate_series(1, 5) i;
FETCH 2 FROM c;
SELECT count(*) AS visible_before_close FROM dbos.workflow_status WHERE name = 'def7';
FETCH 1 FROM c;
COMMIT;
SELECT count(*) AS committed FROM dbos.workflow_status WHERE name = 'def7';

-- A rolled-back transaction leaves nothing; COPY-like utility paths flush too.
BEGIN;
SELECT count(dbos.enqueue('_dbos_internal_queue', NULL, 'def8')) FROM generate_series(1, 1200);
ROLLBACK;
DO $$ BEGIN PERFORM dbos.enqueue('_dbos_internal_queue', NULL, 'def9', workflow_id => 'def-do'); END $$;
SELECT (SELECT count(*) FROM dbos.workflow_status WHERE name = 'def8') AS rolled_back,
       (SELECT count(*) FROM dbos.workflow_status WHERE name = 'def9') AS from_do;
