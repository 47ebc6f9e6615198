-- psql: enqueue DBOS workflows in the transaction that writes your rows.
--   psql -X -v ON_ERROR_STOP=1 -d <database holding the DBOS system tables> -f enqueue.sql
-- A failed check raises an error (the script stops with a non-zero exit status).
\set QUIET on
\set ON_ERROR_STOP on
CREATE FUNCTION pg_temp.check(ok boolean, what text) RETURNS void LANGUAGE plpgsql
  AS $$ BEGIN IF ok IS NOT TRUE THEN RAISE EXCEPTION 'check failed: %', what; END IF; END $$;
CREATE TABLE IF NOT EXISTS psql_orders (id serial PRIMARY KEY, item text NOT NULL, amount numeric NOT NULL);
SELECT to_hex((extract(epoch FROM clock_timestamp()) * 1000)::bigint) AS run \gset

-- (1) The order row and its workflow commit together; a rollback leaves neither.
BEGIN;
INSERT INTO psql_orders (item, amount) VALUES ('book', 10) RETURNING id AS kept_id \gset
SELECT dbos.enqueue('orders_q', NULL, 'processOrder', jsonb_build_array(:kept_id, 10),
                    workflow_id => format('psql-order-%s-%s', :'run', :kept_id)) AS kept_wf \gset
COMMIT;
BEGIN;
INSERT INTO psql_orders (item, amount) VALUES ('pen', 2) RETURNING id AS dropped_id \gset
SELECT dbos.enqueue('orders_q', NULL, 'processOrder', jsonb_build_array(:dropped_id, 2),
                    workflow_id => format('psql-order-%s-%s', :'run', :dropped_id)) AS dropped_wf \gset
ROLLBACK;
SELECT pg_temp.check((SELECT count(*) FROM psql_orders WHERE id = :dropped_id) = 0
                  AND dbos.get_status(:'dropped_wf') IS NULL
                  AND (SELECT count(*) FROM psql_orders WHERE id = :kept_id) = 1,
                      'the rolled-back order or workflow exists, or the committed one does not') \g /dev/null

-- (2) A batch from a query: one workflow per row (coalesce: array_agg of no rows is NULL).
SELECT dbos.enqueue_many('orders_q', NULL, 'processOrder',
                         coalesce(array_agg(jsonb_build_array(o.id, o.amount) ORDER BY o.id), '{}')) AS ids
  FROM (VALUES (701, 1), (702, 2), (703, 3)) AS o(id, amount) \gset
SELECT pg_temp.check(cardinality(:'ids'::text[]) = 3, 'enqueue_many returned ' || :'ids') \g /dev/null
SELECT (:'ids'::text[])[3] AS last_wf \gset

-- (3) get_status: one row of dbos.workflow_info.
SELECT pg_temp.check(status IN ('ENQUEUED', 'PENDING', 'SUCCESS') AND queue_name = 'orders_q', 'get_status: ' || status)
  FROM dbos.get_status(:'kept_wf') \g /dev/null

-- (4) get_result waits (here up to 60 s) for the worker's result.
SELECT pg_temp.check(dbos.get_result(:'kept_wf', 60) = jsonb_build_object('orderId', :kept_id, 'total', 12), 'result')
     , pg_temp.check(dbos.get_result(:'last_wf', 60) = '{"orderId": 703, "total": 3.6}', 'batch result') \g /dev/null

-- (5) Deduplication conflict: SQLSTATE 23505. ON_ERROR_ROLLBACK wraps each statement in a
-- savepoint, so the transaction goes on; :SQLSTATE tells what the failed statement raised.
BEGIN;
SELECT dbos.enqueue('orders_parked', NULL, 'processOrder', '[1, 1]', deduplication_id => 'psql-dedup-' || :'run') AS first_wf \gset
\set ON_ERROR_STOP off
\set ON_ERROR_ROLLBACK on
SELECT dbos.enqueue('orders_parked', NULL, 'processOrder', '[2, 1]', deduplication_id => 'psql-dedup-' || :'run');
\set ON_ERROR_ROLLBACK off
\set ON_ERROR_STOP on
SELECT pg_temp.check(:'SQLSTATE' = '23505', 'no deduplication conflict: SQLSTATE ' || :'SQLSTATE') \g /dev/null
INSERT INTO psql_orders (item, amount) VALUES ('psql-dedup-' || :'run', 0);
COMMIT;
SELECT pg_temp.check((SELECT status FROM dbos.get_status(:'first_wf')) = 'ENQUEUED'
                  AND (SELECT count(*) FROM psql_orders WHERE item = 'psql-dedup-' || :'run') = 1,
                      'the transaction did not go on after the conflict') \g /dev/null
\echo psql enqueue: ok
