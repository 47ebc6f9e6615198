'use strict';
// A real DBOS TypeScript-SDK application (dbos-sdk 5.3.0, plain JS) used by the interop
// suite (run.js). It registers queues and workflows, then runs whatever the dbos_client
// SQL functions (or the SDK's own DBOSClient) enqueue in the shared system database.
//
// Usage: DBOS_SYSTEM_DATABASE_URL=postgresql://... node worker.js
// Prints "READY" on stdout once launched and the queues are registered; exits cleanly on
// SIGTERM/SIGINT (or when stdin is closed by its parent).

const { DBOS } = require('@dbos-inc/dbos-sdk');
const { Pool } = require('pg');

const APP_NAME = process.env.INTEROP_APP_NAME || 'interop-app';
const APP_VERSION = process.env.INTEROP_APP_VERSION || 'interop-v1';
const SYSDB_URL = process.env.DBOS_SYSTEM_DATABASE_URL;
if (!SYSDB_URL) {
  console.error('worker: DBOS_SYSTEM_DATABASE_URL is not set');
  process.exit(2);
}

// Queues the worker registers (rows in dbos.queues) and polls.
const QUEUES = {
  interop_q: { workerConcurrency: 10, minPollingIntervalMs: 250 },
  // One at a time, so priority and FIFO order are observable as run order.
  interop_serial: { workerConcurrency: 1, minPollingIntervalMs: 200 },
  // Partitioned: any partition limit makes a TS queue partitioned.
  interop_part: { partitionConcurrency: 1, minPollingIntervalMs: 250 },
  // Fed by dbos.enqueue_trigger: tens of thousands of short workflows per test, so a
  // large per-worker concurrency and a short polling interval.
  interop_trig: {
    workerConcurrency: Number(process.env.INTEROP_TRIG_CONCURRENCY || 500),
    minPollingIntervalMs: Number(process.env.INTEROP_TRIG_POLL_MS || 100),
  },
};
// Registered (row in dbos.queues) but NOT polled by this worker (listenQueues excludes
// it): rows enqueued there stay ENQUEUED, for deduplication/cancel/row-shape tests.
const PARKED_QUEUES = {
  interop_parked: { workerConcurrency: 1 },
};
// Listened to but registered only by the tests, from SQL (dbos.register_queue): the worker obeys
// the limits SQL wrote.
const SQL_REGISTERED_QUEUES = ['interop_sql_serial', 'interop_sql_rate'];

function typeOf(v) {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (v instanceof Date) return 'Date';
  if (v instanceof Map) return 'Map';
  if (v instanceof Set) return 'Set';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

const sleepMs = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- free-function workflows ------------------------------------------------------------

async function addImpl(a, b) {
  return { sum: a + b };
}
DBOS.registerWorkflow(addImpl, { name: 'add' });

// Returns its arguments as received, plus their JS types (to see Date/BigInt revival).
async function echoImpl(...args) {
  return {
    args: args.map((a) => (a instanceof Date ? a.toISOString() : typeof a === 'bigint' ? a.toString() : a)),
    types: args.map(typeOf),
    count: args.length,
  };
}
DBOS.registerWorkflow(echoImpl, { name: 'echo' });

// Receives one message on `topic` (null/undefined topic = the default topic).
async function recvOneImpl(topic, timeoutSeconds) {
  const msg = await DBOS.recv(topic === null ? undefined : topic, timeoutSeconds ?? 20);
  return { got: msg };
}
DBOS.registerWorkflow(recvOneImpl, { name: 'recvOne' });

// Receives messages on `topic` until one times out after `idleSeconds`; returns them all.
async function recvAllImpl(topic, idleSeconds, maxCount) {
  const got = [];
  for (let i = 0; i < (maxCount ?? 10); i++) {
    const m = await DBOS.recv(topic === null ? undefined : topic, idleSeconds ?? 2);
    if (m === null) break;
    got.push(m);
  }
  return { got };
}
DBOS.registerWorkflow(recvAllImpl, { name: 'recvAll' });

// Waits `holdMs` (durable sleep) then publishes events, waits for an optional 'go' message,
// and returns.
async function eventsImpl(holdMs, waitForGo) {
  if (holdMs) await DBOS.sleep(holdMs);
  await DBOS.setEvent('obj', { a: 1, s: 'héllo ✓', nested: { list: [1, 'two', null, true] } });
  await DBOS.setEvent('date', new Date('2024-01-02T03:04:05.678Z'));
  await DBOS.setEvent('withDate', { label: 'epoch', at: new Date(0) });
  await DBOS.setEvent('num', 42);
  await DBOS.setEvent('rich', { big: 10n, m: new Map([['k', 1]]), s: new Set(['a']) });
  if (waitForGo) await DBOS.recv('go', 20);
  return 'events-done';
}
DBOS.registerWorkflow(eventsImpl, { name: 'events' });

// Throws an Error carrying a code.
async function failImpl(message, code) {
  const e = new Error(message);
  e.code = code;
  throw e;
}
DBOS.registerWorkflow(failImpl, { name: 'fail' });

// Records its execution: returns the tag and the wall-clock time it ran.
async function recordImpl(tag) {
  const startedAt = Date.now();
  await sleepMs(30);
  return { tag, startedAt, endedAt: Date.now(), wf: DBOS.workflowID };
}
DBOS.registerWorkflow(recordImpl, { name: 'record' });

// Sleeps durably for `ms` (default 60 s): for timeout and cancel tests.
async function longImpl(ms) {
  await DBOS.sleep(ms ?? 60000);
  return 'long-finished';
}
DBOS.registerWorkflow(longImpl, { name: 'long' });

// Returns values that need superjson annotations (under js_superjson) or the portable
// replacer (under portable_json).
async function richImpl() {
  return {
    d: new Date(0),
    big: 10n,
    m: new Map([['k', 1]]),
    s: new Set([1, 2]),
    u: undefined,
    arr: [1, undefined, 'x'],
    str: 'plain',
  };
}
DBOS.registerWorkflow(richImpl, { name: 'rich' });

// Run by the row-change triggers (dbos.enqueue_trigger). Every execution (a re-execution
// too) records one row in public.trigger_runs, which the test creates: the suite checks
// after the fact that each changed row ran exactly once, with the change it was given.
// A plain write, not a step (a step's checkpoint would hide a second execution), batched:
// executions queue their row and await a multi-row INSERT that runs every few ms, so
// 10,000s of workflows cost a few hundred round trips, not one each.
let appPool = null;
let pending = [];
let flushTimer = null;
async function flushRuns() {
  flushTimer = null;
  const batch = pending;
  pending = [];
  const cols = ['workflow_id', 'op', 'tbl', 'row_id', 'change'];
  const params = [];
  const tuples = batch.map((r) => {
    const base = params.length;
    params.push(r.workflowId, r.op, r.tbl, r.rowId, r.change);
    return `(${cols.map((_, i) => '$' + (base + i + 1)).join(', ')}, clock_timestamp())`;
  });
  try {
    await appPool.query(`INSERT INTO public.trigger_runs (${cols.join(', ')}, ran_at) VALUES ${tuples.join(', ')}`, params);
    for (const r of batch) r.resolve();
  } catch (e) {
    for (const r of batch) r.reject(e);
  }
}
function recordRun(rec) {
  if (!appPool) {
    appPool = new Pool({ connectionString: SYSDB_URL, max: 4 });
    appPool.on('error', () => {});
  }
  return new Promise((resolve, reject) => {
    pending.push({ ...rec, resolve, reject });
    if (pending.length >= 500) {
      if (flushTimer) clearTimeout(flushTimer);
      void flushRuns();
    } else if (!flushTimer) {
      flushTimer = setTimeout(() => void flushRuns(), 10);
    }
  });
}
async function onRowChangeImpl(change) {
  const row = change && (change.new || change.old);
  const rowId = row && row.id !== undefined && row.id !== null ? String(row.id) : null;
  await recordRun({ workflowId: DBOS.workflowID, op: change.op, tbl: change.table, rowId, change: JSON.stringify(change) });
  return { op: change.op, id: rowId };
}
DBOS.registerWorkflow(onRowChangeImpl, { name: 'onRowChange' });

// ---- workflows for the management tests (cancel/resume/fork/steps/events/streams) -----------

// Three DBOS steps; each returns a per-process execution counter, so a re-executed step gives a
// new value and a step whose checkpoint was copied (fork with start_step > 0) gives the old one.
let stepExecutions = 0;
async function stepsImpl(tag) {
  const a = await DBOS.runStep(async () => ({ step: 'a', n: ++stepExecutions, tag }), { name: 'stepA' });
  const b = await DBOS.runStep(async () => ({ step: 'b', n: ++stepExecutions, prev: a.n }), { name: 'stepB' });
  const c = await DBOS.runStep(async () => ({ step: 'c', n: ++stepExecutions, prev: b.n }), { name: 'stepC' });
  return { tag, ns: [a.n, b.n, c.n], wf: DBOS.workflowID };
}
DBOS.registerWorkflow(stepsImpl, { name: 'steps' });

// Sets one event per entry of `events` (an object), then returns its keys.
async function multiEventsImpl(events) {
  for (const [k, v] of Object.entries(events)) await DBOS.setEvent(k, v);
  return Object.keys(events);
}
DBOS.registerWorkflow(multiEventsImpl, { name: 'multiEvents' });

// Writes each value of `values` to stream `key`, optionally closes it, and returns the count.
async function streamerImpl(key, values, close) {
  for (const v of values) await DBOS.writeStream(key, v);
  if (close !== false) await DBOS.closeStream(key);
  return values.length;
}
DBOS.registerWorkflow(streamerImpl, { name: 'streamer' });

// A child workflow, and a parent that starts it (DBOS.startWorkflow) and awaits it.
async function childImpl(x) {
  return { child: x * 2, wf: DBOS.workflowID };
}
const childWf = DBOS.registerWorkflow(childImpl, { name: 'child' });
async function parentImpl(x) {
  const h = await DBOS.startWorkflow(childWf)(x);
  const r = await h.getResult();
  return { parent: x, childID: h.workflowID, childResult: r };
}
DBOS.registerWorkflow(parentImpl, { name: 'parent' });

// ---- a class-method workflow ----------------------------------------------------------------

class Greeter {
  static async greet(name, opts) {
    const punct = (opts && opts.punct) || '!';
    return { greeting: `Hello, ${name}${punct}`, opts: opts ?? null };
  }
}
Greeter.greet = DBOS.registerWorkflow(Greeter.greet, { name: 'greet', className: 'Greeter', ctorOrProto: Greeter });

// ---- lifecycle ----------------------------------------------------------------------------------

let stopping = false;
async function stop(code) {
  if (stopping) return;
  stopping = true;
  try {
    await Promise.race([DBOS.shutdown(), sleepMs(5000)]);
    if (appPool) await Promise.race([appPool.end(), sleepMs(2000)]);
  } catch (e) {
    console.error('worker: shutdown error', e);
  }
  process.exit(code);
}
process.on('SIGTERM', () => void stop(0));
process.on('SIGINT', () => void stop(0));
process.stdin.on('end', () => void stop(0)); // parent went away
process.stdin.resume();

async function main() {
  DBOS.setConfig({
    name: APP_NAME,
    applicationVersion: APP_VERSION,
    systemDatabaseUrl: SYSDB_URL,
    systemDatabasePoolSize: Number(process.env.INTEROP_SYSDB_POOL_SIZE || 20),
    listenQueues: [...Object.keys(QUEUES), ...SQL_REGISTERED_QUEUES],
    logLevel: process.env.INTEROP_WORKER_LOG_LEVEL || 'warn',
    runMigrations: false,
  });
  await DBOS.launch();
  for (const [name, params] of Object.entries({ ...QUEUES, ...PARKED_QUEUES })) {
    await DBOS.registerQueue(name, { ...params, onConflict: 'always_update' });
  }
  process.stdout.write('READY\n');
}

main().catch((e) => {
  console.error('worker: failed to start', e);
  void stop(1);
});
