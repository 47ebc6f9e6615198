-- dbos.enqueue with bad input: a clear error with its own SQLSTATE, and nothing written.
SELECT regress.row_counts() AS before \gset
SELECT regress.error_of(s) FROM unnest(ARRAY[
  $$SELECT dbos.enqueue(NULL, NULL, 'f')$$,
  $$SELECT dbos.enqueue('', NULL, 'f')$$,
  $$SELECT dbos.enqueue('q', NULL, NULL)$$,
  $$SELECT dbos.enqueue('q', NULL, '')$$,
  $$SELECT dbos.enqueue('q', NULL, 'f', NULL)$$,
  $$SELECT dbos.enqueue('q', NULL, 'f', '{"a": 1}')$$,
  $$SELECT dbos.enqueue('q', NULL, 'f', '1')$$,
  $$SELECT dbos.enqueue('q', NULL, 'f', '"[1]"')$$,
  $$SELECT dbos.enqueue('q', NULL, 'f', 'null')$$,
  $$SELECT dbos.enqueue('q', NULL, 'f', workflow_id => '')$$,
  $$SELECT dbos.enqueue('q', NULL, 'f', workflow_id => '   ')$$,
  $$SELECT dbos.enqueue('q', NULL, 'f', priority => -1)$$,
  $$SELECT dbos.enqueue('q', NULL, 'f', priority => -2147483648)$$,
  $$SELECT dbos.enqueue('q', NULL, 'f', deduplication_id => '')$$,
  $$SELECT dbos.enqueue('q', NULL, 'f', timeout => '-1 s')$$,
  $$SELECT dbos.enqueue('q', NULL, 'f', timeout => '0 s')$$,
  $$SELECT dbos.enqueue('q', NULL, 'f', timeout => '1 day -25 hours')$$,
  $$SELECT dbos.enqueue('q', NULL, 'f', delay => '-1 ms')$$,
  $$SELECT dbos.enqueue('q', NULL, 'f', delay => '178000000 years')$$,
  $$SELECT dbos.enqueue('q', NULL, 'f', partition_key => '')$$,
  $$SELECT dbos.enqueue('q', NULL, 'f', named_args => '[1]')$$,
  $$SELECT dbos.enqueue('q', NULL, 'f', named_args => '"x"')$$,
  $$SELECT dbos.enqueue('q', NULL, 'f', serialization => 'py_pickle')$$,
  $$SELECT dbos.enqueue('q', NULL, 'f', serialization => '')$$,
  $$SELECT dbos.enqueue('q', NULL, 'f', serialization => 'js_superjson', named_args => '{}')$$,
  $$SELECT dbos.enqueue('q', NULL, 'f', duplication_policy => 'ignore')$$,
  $$SELECT dbos.enqueue('q', NULL, 'f', duplication_policy => 'return_existing')$$,
  $$SELECT dbos.enqueue('q', repeat('C', 256), 'f')$$
]) s;
SELECT regress.row_counts() = :'before' AS nothing_written;

-- Settings and schemas that cannot be served.
SET dbos.system_schema = 'no_such_schema';
SELECT regress.error_of($$SELECT dbos.enqueue('q', NULL, 'f')$$);
SET dbos.system_schema = '';
SELECT regress.error_of($$SELECT dbos.enqueue('q', NULL, 'f')$$);
SET dbos.system_schema = 'regress';
SELECT regress.error_of($$SELECT dbos.enqueue('q', NULL, 'f')$$);
RESET dbos.system_schema;
SELECT regress.row_counts() = :'before' AS nothing_written;

-- A huge but valid payload is fine; the transaction is the limit, not us.
SELECT dbos.enqueue('_dbos_internal_queue', NULL, 'f', jsonb_build_array(repeat('x', 1100000)), workflow_id => 'big-1');
SELECT length(inputs) > 1100000 AS big_input FROM dbos.workflow_input WHERE workflow_uuid = 'big-1';
