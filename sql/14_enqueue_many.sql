-- dbos.enqueue_many: one workflow per element of args, written with set-based statements,
-- the IDs returned in input order; each row ends as dbos.enqueue on it would, in order.
INSERT INTO dbos.queues (name) VALUES ('manyQ');

-- Generated IDs, shared options; the rows equal those of dbos.enqueue.
SELECT cardinality(ids) AS n, ids[1] ~ '^[0-9a-f-]{36}$' AS uuid FROM (
  SELECT dbos.enqueue_many('manyQ', 'Cls', 'gen', ARRAY['[1]', '[2, "b"]', '[{"x": null}]']::jsonb[],
                           priority => 3, app_version => 'v9', config_name => 'cfg') AS ids) x;
SELECT dbos.enqueue('manyQ', 'Cls', 'gen', '[1]', priority => 3, app_version => 'v9', config_name => 'cfg',
                    workflow_id => 'many-single');
SELECT i.inputs, s.status, s.class_name, s.config_name, s.priority, s.application_version, s.serialization,
       s.recovery_attempts, s.created_at = s.updated_at AS updated_is_created,
       i.retention_timestamp = s.created_at AS retention_is_created, s.creator_xid IS NOT NULL AS has_creator
FROM dbos.workflow_status s JOIN dbos.workflow_input i USING (workflow_uuid)
WHERE s.name = 'gen' ORDER BY s.created_at, s.workflow_uuid = 'many-single';

-- Given IDs, per-row deduplication IDs and partition keys; NULL elements mean none / a new UUID.
SELECT dbos.enqueue_many('manyQ', NULL, 'given', ARRAY['[1]', '[2]', '[3]', '[4]']::jsonb[],
                         workflow_ids => ARRAY['many-a', NULL, 'many-c', 'many-d'],
                         deduplication_ids => ARRAY['d-a', NULL, NULL, 'd-d'],
                         partition_keys => ARRAY['p1', NULL, 'p2', NULL]) IS NOT NULL AS enqueued;
SELECT workflow_uuid ~ '^many-' AS given_id, deduplication_id, queue_partition_key
FROM dbos.workflow_status WHERE name = 'given' ORDER BY created_at;
-- Rows keep their input order in created_at (the order DBOS dequeues them).
SELECT bool_and(ordered) AS fifo FROM (
  SELECT (i.inputs::jsonb #>> '{positionalArgs,0}')::int = row_number() OVER (ORDER BY s.created_at) AS ordered
  FROM dbos.workflow_status s JOIN dbos.workflow_input i USING (workflow_uuid) WHERE s.name = 'given') x;

-- Named arguments (Python kwargs) per row; js_superjson for TypeScript.
SELECT dbos.enqueue_many('manyQ', NULL, 'named', ARRAY['[1]', '[2]']::jsonb[], workflow_ids => ARRAY['many-n1', 'many-n2'],
                         named_args => ARRAY['{"k": 1}', NULL]::jsonb[]);
SELECT dbos.enqueue_many('manyQ', NULL, 'sj', ARRAY['[1]', '[2]', '[3]']::jsonb[], workflow_ids => ARRAY['many-s1', 'many-s2', 'many-s3'],
                         serialization => 'js_superjson');
SELECT workflow_uuid, inputs FROM dbos.workflow_input WHERE workflow_uuid ~ '^many-[ns]' ORDER BY 1;
SELECT input FROM dbos.get_status('many-s2');

-- Idempotent IDs: an existing workflow with the same name is found, its arguments stay.
SELECT dbos.enqueue_many('manyQ', NULL, 'given', ARRAY['[10]', '[20]', '[30]']::jsonb[],
                         workflow_ids => ARRAY['many-a', 'many-x', 'many-c']);
SELECT workflow_uuid, inputs FROM dbos.workflow_input WHERE workflow_uuid IN ('many-a', 'many-x', 'many-c') ORDER BY 1;

-- Conflicts: another workflow's ID (DB006), a held deduplication ID (23505), each naming the
-- IDs involved; return_existing gives the holder's ID in that row's place. Nothing of a failed call stays.
SELECT regress.error_of($$SELECT dbos.enqueue_many('manyQ', NULL, 'other', ARRAY['[1]', '[2]', '[3]']::jsonb[],
                          workflow_ids => ARRAY['many-new1', 'many-a', 'many-new2'])$$);
SELECT regress.error_of($$SELECT dbos.enqueue_many('manyQ', NULL, 'dd', ARRAY['[1]', '[2]', '[3]']::jsonb[],
                          deduplication_ids => ARRAY['d-new', 'd-a', NULL])$$);
SELECT count(*) AS nothing_of_failed_calls FROM dbos.workflow_status
WHERE workflow_uuid IN ('many-new1', 'many-new2') OR deduplication_id = 'd-new';
SELECT dbos.enqueue_many('manyQ', NULL, 'dd', ARRAY['[1]', '[2]', '[3]']::jsonb[],
                         workflow_ids => ARRAY['many-r1', 'many-r2', 'many-r3'],
                         deduplication_ids => ARRAY['d-r1', 'd-a', 'd-r1'], duplication_policy => 'return_existing');

-- Empty array: nothing to do.
SELECT dbos.enqueue_many('manyQ', NULL, 'none', ARRAY[]::jsonb[]);

-- Bad input: a clear error, before anything is written.
SELECT regress.row_counts() AS before \gset
SELECT regress.error_of($$SELECT dbos.enqueue_many('manyQ', NULL, 'bad', NULL)$$);
SELECT regress.error_of($$SELECT dbos.enqueue_many('manyQ', NULL, 'bad', ARRAY['[]', NULL]::jsonb[])$$);
SELECT regress.error_of($$SELECT dbos.enqueue_many('manyQ', NULL, 'bad', ARRAY['[]', '{"a": 1}']::jsonb[])$$);
SELECT regress.error_of($$SELECT dbos.enqueue_many('manyQ', NULL, 'bad', ARRAY[['[]'], ['[]']]::jsonb[])$$);
SELECT regress.error_of($$SELECT dbos.enqueue_many('manyQ', NULL, 'bad', ARRAY['[]', '[]']::jsonb[], workflow_ids => ARRAY['x'])$$);
SELECT regress.error_of($$SELECT dbos.enqueue_many('manyQ', NULL, 'bad', ARRAY['[]']::jsonb[], deduplication_ids => ARRAY[''])$$);
SELECT regress.error_of($$SELECT dbos.enqueue_many('manyQ', NULL, 'bad', ARRAY['[]']::jsonb[], partition_keys => ARRAY[''])$$);
SELECT regress.error_of($$SELECT dbos.enqueue_many('manyQ', NULL, 'bad', ARRAY['[]']::jsonb[], named_args => ARRAY['[1]']::jsonb[])$$);
SELECT regress.error_of($$SELECT dbos.enqueue_many('manyQ', NULL, 'bad', ARRAY['[]']::jsonb[], named_args => ARRAY['{}']::jsonb[], serialization => 'js_superjson')$$);
SELECT regress.error_of($$SELECT dbos.enqueue_many('manyQ', NULL, 'bad', ARRAY['[]']::jsonb[], duplication_policy => 'return_existing')$$);
SELECT regress.error_of($$SELECT dbos.enqueue_many('manyQ', NULL, 'bad', ARRAY['[]', '[]']::jsonb[], deduplication_ids => ARRAY[NULL, NULL]::text[], duplication_policy => 'return_existing')$$);
SELECT regress.error_of($$SELECT dbos.enqueue_many('manyQ', NULL, 'bad', ARRAY['[]']::jsonb[], priority => -1)$$);
SELECT regress.error_of($$SELECT dbos.enqueue_many('', NULL, 'bad', ARRAY['[]']::jsonb[])$$);
SELECT regress.error_of($$SELECT dbos.enqueue_many('manyQ', NULL, NULL, ARRAY['[]']::jsonb[])$$);
SELECT regress.error_of($$SELECT dbos.enqueue_many('manyQ', NULL, 'bad', ARRAY['[]']::jsonb[], delay => '-1 s')$$);
-- Elements are named by the caller's subscripts.
SELECT regress.error_of($$SELECT dbos.enqueue_many('manyQ', NULL, 'bad', '[0:2]={"[0]","[1]",null}'::jsonb[])$$);
SELECT regress.error_of($$SELECT dbos.enqueue_many('manyQ', NULL, 'bad', '[5:6]={"[]","[]"}'::jsonb[], workflow_ids => '[5:6]={a," "}')$$);
SELECT regress.row_counts() = :'before' AS nothing_written;

-- Many rows: one statement per table, all in the caller's transaction.
BEGIN;
SELECT cardinality(dbos.enqueue_many('manyQ', NULL, 'bulk', array_agg(jsonb_build_array(i)))) FROM generate_series(1, 20000) i;
SELECT count(*) AS visible_in_transaction FROM dbos.workflow_status WHERE name = 'bulk';
ROLLBACK;
SELECT count(*) AS after_rollback FROM dbos.workflow_status WHERE name = 'bulk';
