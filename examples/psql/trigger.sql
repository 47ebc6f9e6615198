-- A trigger recipe: every order inserted enqueues a DBOS workflow, in the inserting transaction.
--   psql -X -v ON_ERROR_STOP=1 -d <database holding the DBOS system tables> -f trigger.sql
-- The workflow (onOrderChange) gets one argument: {"op", "schema", "table", "new", "old"}.
-- A failed check raises an error (the script stops with a non-zero exit status).
\set QUIET on
\set ON_ERROR_STOP on
CREATE FUNCTION pg_temp.check(ok boolean, what text) RETURNS void LANGUAGE plpgsql
  AS $$ BEGIN IF ok IS NOT TRUE THEN RAISE EXCEPTION 'check failed: %', what; END IF; END $$;
SELECT to_hex((extract(epoch FROM clock_timestamp()) * 1000)::bigint) AS run \gset

CREATE TABLE IF NOT EXISTS trigger_orders (id serial PRIMARY KEY, order_ref text NOT NULL UNIQUE, item text NOT NULL);
-- Statement-level: one workflow per inserted row, written set-based (the bulk path, as
-- dbos.enqueue_many). The workflow ID is the order_ref: replaying the same insert is a no-op.
CREATE OR REPLACE TRIGGER trigger_orders_enqueue AFTER INSERT ON trigger_orders
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION dbos.enqueue_trigger('orders_q', '', 'onOrderChange', 'workflow_id_column=order_ref');

-- (1) The row and its workflow commit together; a rollback leaves neither.
BEGIN;
INSERT INTO trigger_orders (order_ref, item) VALUES ('trg-' || :'run' || '-1', 'book');
COMMIT;
BEGIN;
INSERT INTO trigger_orders (order_ref, item) VALUES ('trg-' || :'run' || '-2', 'pen');
ROLLBACK;
SELECT pg_temp.check(dbos.get_status('trg-' || :'run' || '-2') IS NULL
                 AND NOT EXISTS (SELECT FROM trigger_orders WHERE order_ref = 'trg-' || :'run' || '-2'),
                     'the rolled-back row or its workflow exists') \g /dev/null

-- (2) A batch: one INSERT of many rows, one workflow each.
INSERT INTO trigger_orders (order_ref, item)
  SELECT 'trg-' || :'run' || '-batch-' || i, 'item ' || i FROM generate_series(1, 3) AS i;

-- (3) get_status, (4) get_result: the worker's result for the first order and the batch.
SELECT pg_temp.check(status IN ('ENQUEUED', 'PENDING', 'SUCCESS') AND queue_name = 'orders_q', 'get_status: ' || status)
  FROM dbos.get_status('trg-' || :'run' || '-1') \g /dev/null
SELECT pg_temp.check(dbos.get_result(order_ref, 60) = jsonb_build_object('op', 'INSERT', 'table', 'trigger_orders', 'ref', order_ref),
                     'result of ' || order_ref)
  FROM trigger_orders WHERE order_ref LIKE 'trg-' || :'run' || '-%' \g /dev/null
SELECT pg_temp.check(count(*) = 4, count(*) || ' workflows') FROM trigger_orders WHERE order_ref LIKE 'trg-' || :'run' || '-%' \g /dev/null

-- (5) Deduplication: at most one unfinished workflow per customer. A second order of the same
-- customer while the first workflow is still queued makes the INSERT fail with 23505;
-- ON_ERROR_ROLLBACK (a savepoint per statement) lets the transaction go on.
CREATE TABLE IF NOT EXISTS trigger_refunds (id serial PRIMARY KEY, customer text NOT NULL);
CREATE OR REPLACE TRIGGER trigger_refunds_enqueue AFTER INSERT ON trigger_refunds
  FOR EACH ROW EXECUTE FUNCTION dbos.enqueue_trigger('orders_parked', '', 'onOrderChange', 'deduplication_column=customer');
BEGIN;
INSERT INTO trigger_refunds (customer) VALUES ('cust-' || :'run');
\set ON_ERROR_STOP off
\set ON_ERROR_ROLLBACK on
INSERT INTO trigger_refunds (customer) VALUES ('cust-' || :'run');
\set ON_ERROR_ROLLBACK off
\set ON_ERROR_STOP on
SELECT pg_temp.check(:'SQLSTATE' = '23505', 'no deduplication conflict: SQLSTATE ' || :'SQLSTATE') \g /dev/null
INSERT INTO trigger_refunds (customer) VALUES ('other-' || :'run');
COMMIT;
SELECT pg_temp.check(count(*) = 2, count(*) || ' refund rows') FROM trigger_refunds WHERE customer LIKE '%-' || :'run' \g /dev/null
SELECT pg_temp.check(count(*) = 2 AND bool_and(status = 'ENQUEUED'), count(*) || ' parked workflows')
  FROM dbos.list_queued_workflows('orders_parked') WHERE deduplication_id LIKE '%-' || :'run' \g /dev/null
\echo psql trigger: ok
