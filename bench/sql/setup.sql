-- Objects of the benchmark database, created after `dbos schema` and CREATE EXTENSION dbos_client.
-- The bare-INSERT baselines write the same rows as the extension (see bench/README.md):
-- workflow_status (id, ENQUEUED, name, queue, recovery_attempts 0, priority 0,
-- serialization 'portable_json', created_at = updated_at = clock ms, creator_xid = fresh UUID;
-- class, config, app version, dedup, timeout, partition, delay, application_name NULL)
-- and workflow_input (id, inputs text, retention_timestamp = created_at).
\set ON_ERROR_STOP on
SET client_min_messages = warning;

-- The queue of the trigger benchmarks, registered (an unregistered queue only warns).
INSERT INTO dbos.queues (name) VALUES ('bench_q') ON CONFLICT DO NOTHING;

CREATE SCHEMA bench;

-- Benchmark 3: one user table per variant (no DDL between rounds), same columns.
CREATE TABLE bench.t_none      (id int, customer text, amount numeric, note text);
CREATE TABLE bench.t_row_bare  (LIKE bench.t_none);
CREATE TABLE bench.t_row_ew    (LIKE bench.t_none);
CREATE TABLE bench.t_row_ext   (LIKE bench.t_none);
CREATE TABLE bench.t_stmt_ext  (LIKE bench.t_none);
CREATE TABLE bench.t_stmt_bare (LIKE bench.t_none);

-- Row trigger doing the bare INSERTs the extension does (input row only when the status
-- row was created, as the extension), inputs byte-identical to dbos.enqueue_trigger's.
CREATE FUNCTION bench.row_bare() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  wid text := gen_random_uuid()::text;
  ms bigint := (extract(epoch FROM clock_timestamp()) * 1000)::bigint;
BEGIN
  INSERT INTO dbos.workflow_status (workflow_uuid, status, name, queue_name, recovery_attempts,
      priority, serialization, created_at, updated_at, creator_xid)
    VALUES (wid, 'ENQUEUED', 'onRow', 'bench_q', 0, 0, 'portable_json', ms, ms, gen_random_uuid()::text)
    ON CONFLICT DO NOTHING;
  IF FOUND THEN
    INSERT INTO dbos.workflow_input (workflow_uuid, inputs, retention_timestamp)
      VALUES (wid, format('{"positionalArgs":[{"op":"%s","schema":%s,"table":%s,"new":%s,"old":null}]}',
                          TG_OP, to_json(TG_TABLE_SCHEMA::text), to_json(TG_TABLE_NAME::text), row_to_json(NEW)),
              ms)
      ON CONFLICT DO NOTHING;
  END IF;
  RETURN NULL;
END $$;

-- Row trigger calling DBOS's own SQL function (an exception block: a subtransaction per call).
CREATE FUNCTION bench.row_ew() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM dbos.enqueue_workflow('onRow', 'bench_q',
    ARRAY[json_build_object('op', TG_OP, 'schema', TG_TABLE_SCHEMA, 'table', TG_TABLE_NAME,
                            'new', row_to_json(NEW), 'old', NULL)]);
  RETURN NULL;
END $$;

-- Set-based statement trigger: the same rows from the transition table, written the way
-- the extension's statement-level trigger writes them (distinct created_at in row order,
-- input rows joined to the status rows actually created).
CREATE FUNCTION bench.stmt_bare() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  base bigint := (extract(epoch FROM clock_timestamp()) * 1000)::bigint;
BEGIN
  WITH r AS MATERIALIZED (
         SELECT gen_random_uuid()::text AS wid, base + row_number() OVER () - 1 AS ms,
                format('{"positionalArgs":[{"op":"%s","schema":%s,"table":%s,"new":%s,"old":null}]}',
                       TG_OP, to_json(TG_TABLE_SCHEMA::text), to_json(TG_TABLE_NAME::text), row_to_json(n)) AS inputs
         FROM new_rows n),
       created AS (
         INSERT INTO dbos.workflow_status (workflow_uuid, status, name, queue_name, recovery_attempts,
             priority, serialization, created_at, updated_at, creator_xid)
         SELECT wid, 'ENQUEUED', 'onRow', 'bench_q', 0, 0, 'portable_json', ms, ms, gen_random_uuid()::text FROM r
         ON CONFLICT DO NOTHING RETURNING workflow_uuid)
  INSERT INTO dbos.workflow_input (workflow_uuid, inputs, retention_timestamp)
  SELECT r.wid, r.inputs, r.ms FROM r JOIN created c ON c.workflow_uuid = r.wid
  ON CONFLICT DO NOTHING;
  RETURN NULL;
END $$;

CREATE TRIGGER bench_row_bare AFTER INSERT ON bench.t_row_bare
  FOR EACH ROW EXECUTE FUNCTION bench.row_bare();
CREATE TRIGGER bench_row_ew AFTER INSERT ON bench.t_row_ew
  FOR EACH ROW EXECUTE FUNCTION bench.row_ew();
CREATE TRIGGER bench_row_ext AFTER INSERT ON bench.t_row_ext
  FOR EACH ROW EXECUTE FUNCTION dbos.enqueue_trigger('bench_q', '', 'onRow');
CREATE TRIGGER bench_stmt_ext AFTER INSERT ON bench.t_stmt_ext REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION dbos.enqueue_trigger('bench_q', '', 'onRow');
CREATE TRIGGER bench_stmt_bare AFTER INSERT ON bench.t_stmt_bare REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION bench.stmt_bare();
