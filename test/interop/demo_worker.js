'use strict';
// The README demo's DBOS application: one queue and one workflow that publishes an event,
// waits for a message, and returns a result, all driven from SQL by test/demo.sh.
const { DBOS } = require('@dbos-inc/dbos-sdk');

async function processOrder(order) {
  await DBOS.setEvent('status', { stage: 'waiting for approval', order: order.id });
  const approver = await DBOS.recv('approval', 60);
  return { order: order.id, item: order.item, approvedBy: approver, at: new Date() };
}
DBOS.registerWorkflow(processOrder, { name: 'processOrder' });

async function shipOrder(id) {
  return { shipped: id };
}
DBOS.registerWorkflow(shipOrder, { name: 'shipOrder' });

async function main() {
  DBOS.setConfig({
    name: 'demo-app',
    applicationVersion: 'demo-v1',
    systemDatabaseUrl: process.env.DBOS_SYSTEM_DATABASE_URL,
    logLevel: 'warn',
  });
  await DBOS.launch();
  await DBOS.registerQueue('orders', { workerConcurrency: 4 });
  console.log('demo worker ready');
  const stop = async () => { await DBOS.shutdown(); process.exit(0); };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
main().catch((e) => { console.error(e); process.exit(1); });
