'use strict';
// The DBOS application the recipes enqueue to: a real DBOS TypeScript-SDK app (dbos-sdk 5.3.0),
// plain JS. In your application these are your own workflows and queues.
//
//   DBOS_SYSTEM_DATABASE_URL=postgresql://... node examples/worker.js
//
// Prints READY once its queues are registered; stops on SIGTERM/SIGINT or when stdin closes.
// test/examples/run.sh finds @dbos-inc/dbos-sdk through NODE_PATH (test/interop/node_modules).
const { DBOS } = require('@dbos-inc/dbos-sdk');

process.noDeprecation = true; // the SDK trips pg's "client.query() while executing" warning

// processOrder(orderId, amount) -> { orderId, total }: what the recipes enqueue and wait for.
async function processOrder(orderId, amount) {
  return { orderId, total: Math.round(amount * 1.2 * 100) / 100 };
}
DBOS.registerWorkflow(processOrder, { name: 'processOrder' });

// Run by the trigger recipe: gets {op, schema, table, new, old} of one changed row.
async function onOrderChange(change) {
  return { op: change.op, table: change.table, ref: change.new ? change.new.order_ref : null };
}
DBOS.registerWorkflow(onOrderChange, { name: 'onOrderChange' });

async function main() {
  DBOS.setConfig({
    name: 'examples-app',
    systemDatabaseUrl: process.env.DBOS_SYSTEM_DATABASE_URL,
    listenQueues: ['orders_q'], // DBOS 5.x workers dequeue only the queues they listen to
    logLevel: 'warn',
    runMigrations: false,
  });
  await DBOS.launch();
  await DBOS.registerQueue('orders_q', { workerConcurrency: 10, minPollingIntervalMs: 200, onConflict: 'always_update' });
  // Registered but never dequeued here: what is enqueued on it stays ENQUEUED, so the recipes
  // can show a deduplication conflict (the slot is held until the workflow ends).
  await DBOS.registerQueue('orders_parked', { onConflict: 'always_update' });
  process.stdout.write('READY\n');
}

let stopping = false;
async function stop(code) {
  if (stopping) return;
  stopping = true;
  await Promise.race([DBOS.shutdown(), new Promise((r) => setTimeout(r, 5000))]).catch(() => {});
  process.exit(code);
}
process.on('SIGTERM', () => void stop(0));
process.on('SIGINT', () => void stop(0));
process.stdin.on('end', () => void stop(0));
process.stdin.resume();
main().catch((e) => {
  console.error('worker: failed to start', e);
  void stop(1);
});
