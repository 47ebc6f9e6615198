'use strict';
// A real DBOS TypeScript application (dbos-sdk 5.3.0 from test/interop/node_modules) that
// drains the soak queue of the reliability suite and records every execution in app tables
// of the same database, so that lost and duplicated runs are visible:
//   rel_app.starts: one row per execution of a workflow body (a recovery re-executes it)
//   rel_app.done:   one row per completion step (a DBOS step: recorded once per workflow
//                   unless the process dies between the INSERT and the step checkpoint)
//
// Env: DBOS_SYSTEM_DATABASE_URL (required); DBOS__VMID, the executor ID (a worker restarted
// with the same ID recovers the workflows it left PENDING); REL_APP_VERSION (must also stay
// the same across the restart: recovery only takes PENDING workflows of this version).
// Prints READY once launched and the queues are registered. SIGTERM: clean shutdown.

const path = require('node:path');
const MODULES = process.env.REL_NODE_MODULES || path.join(__dirname, '..', 'interop', 'node_modules');
const need = (name) => require(require.resolve(name, { paths: [MODULES] }));
const { DBOS } = need('@dbos-inc/dbos-sdk');
const { Pool } = need('pg');

const URL = process.env.DBOS_SYSTEM_DATABASE_URL;
if (!URL) {
  console.error('worker: DBOS_SYSTEM_DATABASE_URL is not set');
  process.exit(2);
}
const EXECUTOR = process.env.DBOS__VMID || 'local';
const APP_VERSION = process.env.REL_APP_VERSION || 'rel-v1';
const CONCURRENCY = Number(process.env.REL_WORKER_CONCURRENCY || 100);
const RECV_TIMEOUT_S = Number(process.env.REL_RECV_TIMEOUT_S || 900);

const app = new Pool({ connectionString: URL, max: 10 });
app.on('error', () => {});

// Receives nMsgs messages on topic 'soak', publishes how many it got, records completion.
async function soakBody(tag, nMsgs) {
  const wf = DBOS.workflowID;
  await app.query('INSERT INTO rel_app.starts (workflow_id, tag, pid, executor) VALUES ($1, $2, $3, $4)',
    [wf, tag, process.pid, EXECUTOR]);
  const msgs = [];
  for (let i = 0; i < nMsgs; i++) msgs.push(await DBOS.recv('soak', RECV_TIMEOUT_S));
  await DBOS.setEvent('got', msgs.length);
  await DBOS.runStep(
    async () => {
      await app.query('INSERT INTO rel_app.done (workflow_id, tag, pid, executor, msgs) VALUES ($1, $2, $3, $4, $5)',
        [wf, tag, process.pid, EXECUTOR, JSON.stringify(msgs)]);
    },
    { name: 'recordDone' },
  );
  return { tag, msgs };
}

async function soakTask(tag, nMsgs) {
  return soakBody(tag, nMsgs ?? 0);
}
DBOS.registerWorkflow(soakTask, { name: 'soakTask' });

// Enqueued by dbos.enqueue_trigger: the argument is {op, schema, table, new, old}.
async function soakRow(change) {
  return soakBody(change.new.tag, change.new.nmsgs ?? 0);
}
DBOS.registerWorkflow(soakRow, { name: 'soakRow' });

async function soakFast(x) {
  return x;
}
DBOS.registerWorkflow(soakFast, { name: 'soakFast' });

const sleepMs = (ms) => new Promise((r) => setTimeout(r, ms));
let stopping = false;
async function stop(code) {
  if (stopping) return;
  stopping = true;
  try {
    await Promise.race([DBOS.shutdown(), sleepMs(8000)]);
    await Promise.race([app.end(), sleepMs(2000)]);
  } catch (e) {
    console.error('worker: shutdown error', e);
  }
  process.exit(code);
}
process.on('SIGTERM', () => void stop(0));
process.on('SIGINT', () => void stop(0));

async function main() {
  DBOS.setConfig({
    name: 'rel-app',
    applicationVersion: APP_VERSION,
    executorID: EXECUTOR,
    systemDatabaseUrl: URL,
    systemDatabasePoolSize: 30,
    listenQueues: ['rel_soak'],
    logLevel: process.env.REL_WORKER_LOG_LEVEL || 'warn',
    runMigrations: false,
  });
  await DBOS.launch();
  await DBOS.registerQueue('rel_soak', { workerConcurrency: CONCURRENCY, minPollingIntervalMs: 50, onConflict: 'always_update' });
  process.stdout.write(`READY ${EXECUTOR} ${process.pid}\n`);
}

main().catch((e) => {
  console.error('worker: failed to start', e);
  void stop(1);
});
