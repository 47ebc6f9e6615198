#!/usr/bin/env bash
# The main job, from a fresh clone: install what is needed, build and install the extension,
# start a private cluster with a real DBOS worker, and show through psql a workflow enqueued
# by SQL running, a message sent, an event and a result read back.
set -euo pipefail
cd "$(dirname "$0")/.."
. test/lib.sh

setup_machine
build_and_install
test/cluster.sh start
worker=""
cleanup() { [ -n "$worker" ] && kill "$worker" 2>/dev/null; wait 2>/dev/null; test/cluster.sh stop; }
trap cleanup EXIT

createdb demo
(cd test/interop && npx --no-install dbos schema "postgresql://postgres@127.0.0.1:$DBOS_PGPORT/demo" >/dev/null)
psql -X -q -d demo -c 'CREATE EXTENSION dbos_client'

DBOS_SYSTEM_DATABASE_URL="postgresql://postgres@127.0.0.1:$DBOS_PGPORT/demo" \
  node test/interop/demo_worker.js & worker=$!
for _ in $(seq 1 60); do
  [ "$(psql -X -At -d demo -c "SELECT count(*) FROM dbos.queues WHERE name = 'orders'")" = 1 ] && break
  kill -0 "$worker" 2>/dev/null || { echo "the DBOS worker did not start"; exit 1; }
  sleep 0.5
done

psql -X -e -v ON_ERROR_STOP=1 -d demo <<'SQL'
-- 1. Enqueue a workflow from SQL (a trigger could do the same, in the same transaction).
SELECT dbos.enqueue('orders', NULL, 'processOrder', '[{"id": 42, "item": "book"}]',
                    workflow_id => 'order-42');
-- 2. Wait (up to 30 s) for the event the running workflow publishes.
SELECT dbos.get_event('order-42', 'status', 30);
-- 3. Send it the message it waits for.
SELECT dbos.send('order-42', '"alice"', 'approval');
-- 4. Wait for its result.
SELECT jsonb_pretty(dbos.get_result('order-42', 30));
-- 5. Its status, as DBOS reports it.
SELECT workflow_id, status, workflow_name, queue_name, application_name, app_version,
       recovery_attempts, input, output
FROM dbos.get_status('order-42') \gx
-- 6. Many workflows at once, set-based, in one transaction; then each result.
SELECT dbos.enqueue_many('orders', NULL, 'shipOrder', ARRAY['[1]', '[2]', '[3]']::jsonb[],
                         workflow_ids => ARRAY['ship-1', 'ship-2', 'ship-3']);
SELECT id, dbos.get_result(id, 30) AS result FROM unnest(ARRAY['ship-1', 'ship-2', 'ship-3']) id;
SQL
psql -X -e -d demo <<'SQL'
-- 7. Bad input gets a clear error and writes nothing.
SELECT dbos.enqueue('orders', NULL, 'processOrder', '{"not": "an array"}');
SQL
echo "demo finished: a workflow enqueued from SQL ran in a real DBOS worker"
