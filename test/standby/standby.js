'use strict';
// The cases of the read-replica suite (test/standby/run.sh starts the clusters): dbos_client on
// a streaming hot standby of a primary where a real DBOS worker (test/interop/worker.js) runs
// the workflows. One PASS/FAIL line per case, the case names suffixed with the mode.
//
// Usage: node standby.js --mode=preloaded|plain --db=NAME --primary=SOCKDIR:PORT --standby=SOCKDIR:PORT
// Exit status 0 when every case passed.

const path = require('node:path');
const fs = require('node:fs');
const { spawn } = require('node:child_process');
const MODULES = path.join(__dirname, '../interop/node_modules');
const { Client } = require(path.join(MODULES, 'pg'));

const arg = (name) => {
  const a = process.argv.slice(2).find((x) => x.startsWith(`--${name}=`));
  if (!a) { console.error(`standby.js: --${name}= is required`); process.exit(2); }
  return a.slice(name.length + 3);
};
const MODE = arg('mode');
if (MODE !== 'preloaded' && MODE !== 'plain') { console.error('--mode=preloaded|plain'); process.exit(2); }
const DB = arg('db');
const hostPort = (s) => { const i = s.lastIndexOf(':'); return { host: s.slice(0, i), port: Number(s.slice(i + 1)) }; };
const PRIMARY = hostPort(arg('primary'));
const STANDBY = hostPort(arg('standby'));
const LOGDIR = process.env.STANDBY_LOGDIR || '/tmp';
const WORKER_LOG = path.join(LOGDIR, `worker-${MODE}.log`);
const SUFFIX = MODE === 'preloaded' ? ' [standby preloaded]' : ' [standby not preloaded]';

// "At once vs after the wait": a standby wait must end well under WAKE_BOUND_MS after the row
// it waits for is visible on the primary, while its own timeout is WAIT_TIMEOUT_S and the
// session's dbos.wait_recheck_interval is 10 minutes (no fallback can end it in time).
const WAIT_TIMEOUT_S = 60;
const WAKE_BOUND_MS = 2000;
const PROMPT_MS = 5000;  // a cancel, statement_timeout or refusal: well under the 60 s wait

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const now = () => Number(process.hrtime.bigint()) / 1e6;
const uid = (tag) => `sb-${MODE}-${tag}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;

async function connect(where) {
  const c = new Client({ host: where.host, port: where.port, user: 'postgres', database: DB });
  c.on('error', () => {});
  await c.connect();
  return c;
}

// ---- the worker --------------------------------------------------------------------------------

let worker = null;
async function startWorker() {
  const log = fs.createWriteStream(WORKER_LOG, { flags: 'w' });
  const url = `postgresql://postgres@127.0.0.1:${PRIMARY.port}/${DB}`;
  worker = spawn(process.execPath, ['--no-deprecation', path.join(__dirname, '../interop/worker.js')], {
    cwd: path.join(__dirname, '../interop'),
    env: { ...process.env, DBOS_SYSTEM_DATABASE_URL: url, INTEROP_APP_NAME: 'standby-app', INTEROP_APP_VERSION: 'standby-v1' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const exited = new Promise((resolve) => worker.once('exit', (code, signal) => resolve({ code, signal })));
  worker.exited = exited;
  worker.stderr.on('data', (d) => log.write(d));
  let buf = '';
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker not ready after 40 s; see ${WORKER_LOG}`)), 40000);
    worker.stdout.on('data', (d) => {
      log.write(d);
      buf += d.toString();
      if (buf.includes('READY\n')) { clearTimeout(timer); resolve(); }
    });
    exited.then(({ code, signal }) => { clearTimeout(timer); reject(new Error(`worker exited (code ${code}, signal ${signal}); see ${WORKER_LOG}`)); });
  });
}
async function stopWorker() {
  if (!worker) return;
  const w = worker;
  worker = null;
  if (w.exitCode === null && w.signalCode === null) {
    w.kill('SIGTERM');
    if (!(await Promise.race([w.exited, sleep(8000).then(() => null)]))) w.kill('SIGKILL');
  }
  try { w.stdin.destroy(); } catch { /* gone */ }
}

// ---- helpers -----------------------------------------------------------------------------------

let P = null;  // primary connection
let S = null;  // standby connection

async function enqueue(queue, name, args) {
  return (await P.query('SELECT dbos.enqueue($1, NULL, $2, $3::jsonb) AS id', [queue, name, JSON.stringify(args)])).rows[0].id;
}
// Waits on the primary (by polling) until the workflow has finished.
async function finishedOnPrimary(id, seconds = 30) {
  const r = await P.query('SELECT dbos.get_result($1, $2) AS v', [id, seconds]);
  return r.rows[0].v;
}
// Until the standby has replayed everything the primary has written so far.
async function caughtUp(seconds = 30) {
  const lsn = (await P.query('SELECT pg_current_wal_lsn()::text AS l')).rows[0].l;
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end) {
    const r = await S.query('SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS ok', [lsn]);
    if (r.rows[0].ok) return;
    await sleep(10);
  }
  throw new Error(`the standby did not replay up to ${lsn} in ${seconds} s`);
}
// Polls the primary every 5 ms until `sql` returns a row; resolves to the time it saw it.
// Fails when the row is there at the first look: the lag would then be measured from the
// watcher's start, not from the commit.
async function seenOnPrimary(watch, sql, params, seconds = 60) {
  const end = Date.now() + seconds * 1000;
  for (let first = true; Date.now() < end; first = false) {
    if ((await watch.query(sql, params)).rowCount > 0) {
      if (first) throw new Error('the primary had the row before the wait began (the workflow ran before the standby caught up)');
      return now();
    }
    await sleep(5);
  }
  throw new Error('the row never appeared on the primary');
}
async function expectError(promise) {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  return null;
}
function assert(cond, msg) { if (!cond) throw new Error(msg); }
const j = (x) => JSON.stringify(x);

// ---- cases -------------------------------------------------------------------------------------

const cases = [];
const test = (name, fn) => cases.push({ name: name + SUFFIX, fn });

// Rows the read cases compare: a finished workflow of each kind, run by the worker.
const fx = {};

async function fixtures() {
  fx.steps = await enqueue('interop_q', 'steps', ['sb']);
  fx.events = await enqueue('interop_q', 'multiEvents', [{ a: 1, b: 'two', c: { d: [true, null] } }]);
  fx.stream = await enqueue('interop_q', 'streamer', ['s', [1, 'two', { three: 3 }], true]);
  for (const id of [fx.steps, fx.events, fx.stream]) {
    const v = await finishedOnPrimary(id);
    if (v === null) throw new Error(`the worker did not finish ${id} in 30 s; see ${WORKER_LOG}`);
  }
  // Writer targets: one workflow parked (ENQUEUED, not polled), one cancelled.
  fx.parked = await enqueue('interop_parked', 'add', [1, 2]);
  fx.cancelled = await enqueue('interop_parked', 'add', [3, 4]);
  await P.query('SELECT dbos.cancel_workflow($1)', [fx.cancelled]);
  await caughtUp();
}

// Same result on both servers, and not empty.
async function sameOnBoth(sql, params) {
  const a = (await P.query(sql, params)).rows;
  const b = (await S.query(sql, params)).rows;
  assert(a.length > 0, `no rows on the primary: ${sql}`);
  assert(j(a) === j(b), `the standby differs from the primary:\n  primary ${j(a)}\n  standby ${j(b)}`);
  return b;
}

test('read_get_status', async () => {
  const rows = await sameOnBoth('SELECT (dbos.get_status($1)).*', [fx.steps]);
  assert(rows[0].status === 'SUCCESS', `status ${rows[0].status}`);
});
test('read_list_workflows', async () => {
  const rows = await sameOnBoth(`SELECT workflow_id, status, workflow_name FROM dbos.list_workflows(load_input => true, load_output => true)
                                 WHERE workflow_id = ANY($1) ORDER BY workflow_id`, [[fx.steps, fx.events, fx.stream, fx.parked]]);
  assert(rows.length === 4, `${rows.length} rows`);
});
test('read_get_events', async () => {
  const rows = await sameOnBoth('SELECT key, value FROM dbos.get_events($1) ORDER BY key', [fx.events]);
  assert(j(rows.map((r) => r.key)) === j(['a', 'b', 'c']), `keys ${j(rows)}`);
});
test('read_read_stream', async () => {
  const rows = await sameOnBoth('SELECT * FROM dbos.read_stream($1, $2)', [fx.stream, 's']);
  assert(rows.length >= 3, `${rows.length} stream rows`);
});
test('read_list_workflow_steps', async () => {
  const rows = await sameOnBoth('SELECT * FROM dbos.list_workflow_steps($1)', [fx.steps]);
  assert(rows.length === 3, `${rows.length} steps`);
});

// A wait on the standby for a row the worker writes on the primary ends as soon as the commit
// is replayed: well under WAKE_BOUND_MS after the primary shows it, with a 60 s timeout and no
// re-check for 10 minutes.
async function standbyWake(kind, cleanup = false) {
  const hold = cleanup ? 3000 : 1500;
  const id = kind === 'event' ? await enqueue('interop_q', 'events', [hold, false])
                              : await enqueue('interop_q', 'long', [hold]);
  await caughtUp();
  const waiter = await connect(STANDBY);
  const watch = await connect(PRIMARY);
  try {
    await waiter.query("SET dbos.wait_recheck_interval = '600000ms'");
    const t0 = now();
    let tDone = null;
    const wait = (kind === 'event'
      ? waiter.query('SELECT dbos.get_event($1, $2, $3) AS v', [id, 'num', WAIT_TIMEOUT_S])
      : waiter.query('SELECT dbos.get_result($1, $2) AS v', [id, WAIT_TIMEOUT_S]))
      .then((r) => { tDone = now(); return r; });
    wait.catch(() => {});
    if (cleanup) {
      // What a primary does all day: rows updated, then vacuumed (the cleanup records the
      // standby replays remove row versions older than the waiting statement's snapshot).
      await sleep(500);
      for (let i = 0; i < 20; i++) {
        await watch.query('UPDATE dbos.workflow_status SET updated_at = updated_at + 1 WHERE workflow_uuid = $1', [fx.parked]);
      }
      await watch.query('VACUUM dbos.workflow_status');
    }
    const tSeen = await (kind === 'event'
      ? seenOnPrimary(watch, 'SELECT 1 FROM dbos.workflow_events WHERE workflow_uuid = $1 AND key = $2', [id, 'num'])
      : seenOnPrimary(watch, "SELECT 1 FROM dbos.workflow_status WHERE workflow_uuid = $1 AND status = 'SUCCESS'", [id]));
    const r = await wait;
    const v = r.rows[0].v;
    const expected = kind === 'event' ? 42 : 'long-finished';
    assert(j(v) === j(expected), `the wait returned ${j(v)} after ${(tDone - t0).toFixed(0)} ms (expected ${j(expected)})`);
    // The watcher polls every 5 ms: the wait may end before it sees the row (a negative lag).
    const lag = Math.max(0, tDone - tSeen);
    assert(lag < WAKE_BOUND_MS, `the wait returned ${lag.toFixed(0)} ms after the primary showed the row (bound ${WAKE_BOUND_MS} ms, timeout ${WAIT_TIMEOUT_S} s)`);
    return `returned ${lag.toFixed(0)} ms after the primary showed the row, ${((tDone - t0) / 1000).toFixed(1)} s into the wait`;
  } finally {
    await waiter.end();
    await watch.end();
  }
}
test('wait_get_event_wakes_at_replay_worker', () => standbyWake('event'));
test('wait_get_result_wakes_at_replay_worker', () => standbyWake('result'));
// The same while the primary vacuums rows the waiting statement's snapshot could still see:
// the replay must not stall behind the waiter (nor cancel it) until the row it waits for.
test('wait_get_event_wakes_at_replay_after_vacuum_on_primary', () => standbyWake('event', true));

// Every writer fails on the standby with 25006 and a hint naming the primary, not PostgreSQL's
// own read-only error (also 25006) or an XID error.
const WRITERS = [
  ['enqueue', "SELECT dbos.enqueue('interop_q', NULL, 'add', '[1, 2]')", () => []],
  ['enqueue_many', "SELECT dbos.enqueue_many('interop_q', NULL, 'add', ARRAY['[1, 2]'::jsonb, '[3, 4]'])", () => []],
  ['send', "SELECT dbos.send($1, '{\"x\": 1}', 'topic')", () => [fx.parked]],
  ['cancel_workflow', 'SELECT dbos.cancel_workflow($1)', () => [fx.parked]],
  ['resume_workflow', 'SELECT dbos.resume_workflow($1)', () => [fx.cancelled]],
  ['fork_workflow', 'SELECT dbos.fork_workflow($1, 1)', () => [fx.steps]],
  ['delete_workflow', 'SELECT dbos.delete_workflow($1)', () => [fx.parked]],
  ['set_workflow_priority', 'SELECT dbos.set_workflow_priority($1, 7)', () => [fx.parked]],
];
for (const [name, sql, params] of WRITERS) {
  test(`writer_${name}_refused`, async () => {
    const e = await expectError(S.query(sql, params()));
    assert(e, 'no error on the standby');
    const got = `${e.code}: ${e.message}; hint: ${e.hint}`;
    assert(e.code === '25006', `SQLSTATE ${got}`);
    assert(e.message === 'cannot write DBOS system tables on a hot standby', `message ${got}`);
    assert(/primary/.test(e.hint || ''), `hint does not name the primary: ${got}`);
  });
}

// A wait that nothing will end: ended by statement_timeout, or by pg_cancel_backend, promptly.
test('wait_ended_by_statement_timeout', async () => {
  const c = await connect(STANDBY);
  try {
    await c.query("SET statement_timeout = '300ms'");
    const t0 = now();
    const e = await expectError(c.query('SELECT dbos.get_event($1, $2, $3)', [fx.events, 'never', WAIT_TIMEOUT_S]));
    const ms = now() - t0;
    assert(e && e.code === '57014', `expected 57014, got ${e ? `${e.code}: ${e.message}` : 'no error'}`);
    assert(ms < PROMPT_MS, `ended after ${ms.toFixed(0)} ms`);
  } finally {
    await c.end();
  }
});
test('wait_ended_by_pg_cancel_backend', async () => {
  const c = await connect(STANDBY);
  try {
    const pid = (await c.query('SELECT pg_backend_pid() AS p')).rows[0].p;
    const t0 = now();
    const wait = expectError(c.query('SELECT dbos.get_result($1, $2)', [fx.parked, WAIT_TIMEOUT_S]));
    // Cancel once the backend is inside the wait.
    for (let i = 0; i < 500; i++) {
      const r = await S.query("SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND state = 'active'", [pid]);
      if (r.rowCount) break;
      await sleep(5);
    }
    await sleep(200);
    const tCancel = now();
    assert((await S.query('SELECT pg_cancel_backend($1) AS ok', [pid])).rows[0].ok, 'pg_cancel_backend returned false');
    const e = await wait;
    const ms = now() - tCancel;
    assert(e && e.code === '57014', `expected 57014, got ${e ? `${e.code}: ${e.message}` : `no error after ${(now() - t0).toFixed(0)} ms`}`);
    assert(ms < PROMPT_MS, `ended ${ms.toFixed(0)} ms after the cancel`);
  } finally {
    await c.end();
  }
});

// Under REPEATABLE READ the snapshot would never show the row: refused at once, as on a primary.
test('wait_refused_under_repeatable_read', async () => {
  const codes = [];
  for (const where of [PRIMARY, STANDBY]) {
    const c = await connect(where);
    try {
      await c.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
      const t0 = now();
      const e = await expectError(c.query('SELECT dbos.get_event($1, $2, $3)', [fx.events, 'never', WAIT_TIMEOUT_S]));
      const ms = now() - t0;
      await c.query('ROLLBACK');
      assert(e, `no error (${where === STANDBY ? 'standby' : 'primary'})`);
      assert(ms < PROMPT_MS, `refused after ${ms.toFixed(0)} ms`);
      codes.push(`${e.code}: ${e.message}`);
    } finally {
      await c.end();
    }
  }
  assert(codes[0].startsWith('25000:'), `primary: ${codes[0]}`);
  assert(codes[1] === codes[0], `standby "${codes[1]}" differs from primary "${codes[0]}"`);
});

// ---- main --------------------------------------------------------------------------------------

async function main() {
  let failed = 0;
  try {
    P = await connect(PRIMARY);
    S = await connect(STANDBY);
    const inRecovery = (await S.query('SELECT pg_is_in_recovery() AS r')).rows[0].r;
    if (!inRecovery) throw new Error(`the server on port ${STANDBY.port} is not in recovery`);
    const spl = (await S.query('SHOW shared_preload_libraries')).rows[0].shared_preload_libraries;
    if ((MODE === 'preloaded') !== /dbos_client/.test(spl)) throw new Error(`mode ${MODE} but the standby has shared_preload_libraries = '${spl}'`);
    await startWorker();
    await fixtures();
  } catch (e) {
    console.log(`FAIL setup${SUFFIX}: ${String(e.message).split('\n')[0]}`);
    for (const c of cases) console.log(`FAIL ${c.name}: not run (setup failed)`);
    await stopWorker();
    process.exit(1);
  }
  for (const c of cases) {
    const t0 = now();
    try {
      const note = await c.fn();
      console.log(`PASS ${c.name} (${(now() - t0).toFixed(0)} ms)${note ? `: ${note}` : ''}`);
    } catch (e) {
      failed++;
      console.log(`FAIL ${c.name} (${(now() - t0).toFixed(0)} ms): ${e.message}`);
    }
  }
  await stopWorker();
  await P.end();
  await S.end();
  process.exit(failed ? 1 : 0);
}
process.on('SIGTERM', () => { stopWorker().finally(() => process.exit(143)); });
main();
