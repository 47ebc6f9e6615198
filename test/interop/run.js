'use strict';
// Interop suite: the dbos_client SQL API against a real DBOS TypeScript application
// (worker.js, dbos-sdk 5.3.0) and the SDK's own DBOSClient, on one system database.
//
//   node test/interop/run.js
//
// Connection settings come from the usual libpq variables:
//   PGHOST (default 127.0.0.1), PGPORT (default 54329), PGUSER (default postgres),
//   PGPASSWORD (optional), PGDATABASE = the maintenance database used to drop/create the
//   test database (default postgres).
// The test database is INTEROP_DATABASE (default dbos_interop). It is DROPPED and
// re-created on every run, migrated with `npx dbos schema`, then given
// `CREATE EXTENSION dbos_client`.
//
// Output: one line per test, `PASS <name>`, `FAIL <name>: <reason>` or `SKIP <name>`
// (INTEROP_ONLY, or a case that called h.skip), then `suite interop (preloaded|not preloaded): N passed, M failed[, K skipped]`
// (the mode read from the server; DBOS_SUITE_PREFIX is put before the name) and
// `interop: N passed, M failed`. Exit code 0 only when M = 0. A test the suite could not reach
// (setup failure, worker exit, suite timeout) is reported as failed, "not run". Lines starting
// with `INFO` report sizes and timings of the trigger tests (not asserted): timing bounds in
// these tests only tell "at once" from "after the wait" (AT_ONCE_MS against waits of
// LONG_WAIT_S); latencies are measured by bench/.
// Besides the cases of this file, every module test/interop/cases/*.js (in name order) is
// loaded: it exports a function (test, h) that registers cases with test(name, fn, opts); h
// holds the helpers (see `const h` below).
// The worker's log goes to $TMPDIR/dbos_interop_worker.log.
//
// Other settings: INTEROP_ONLY (a regexp: run only the tests whose name matches),
// INTEROP_TIMES=1 (append each test's duration to its line), INTEROP_TRIGGER_ROWS (rows per
// statement of the statement-level trigger tests, default 10000), INTEROP_TRIGGER_ROW_LEVEL_ROWS
// (row-level, default 3000), INTEROP_SUITE_TIMEOUT_MS, INTEROP_TEST_TIMEOUT_MS.

const assert = require('node:assert/strict');
const path = require('node:path');
const fs = require('node:fs');
const os = require('node:os');
const { spawn, execFileSync } = require('node:child_process');
const { Pool, Client } = require('pg');

// The SDK's DBOSClient trips pg's "client.query() while executing" deprecation warning; keep
// the output to the test lines.
process.noDeprecation = true;

const HOST = process.env.PGHOST || '127.0.0.1';
const PORT = Number(process.env.PGPORT || 54329);
const USER = process.env.PGUSER || 'postgres';
const PASSWORD = process.env.PGPASSWORD || undefined;
const ADMIN_DB = process.env.PGDATABASE || 'postgres';
const TEST_DB = process.env.INTEROP_DATABASE || 'dbos_interop';
const SUITE_TIMEOUT_MS = Number(process.env.INTEROP_SUITE_TIMEOUT_MS || 480000); // a guard against hangs
const TEST_TIMEOUT_MS = Number(process.env.INTEROP_TEST_TIMEOUT_MS || 30000);
const ONLY = process.env.INTEROP_ONLY ? new RegExp(process.env.INTEROP_ONLY) : null;
const TIMES = !!process.env.INTEROP_TIMES; // append each test's duration to its line
const WORKER_LOG = path.join(os.tmpdir(), 'dbos_interop_worker.log');

const RUN = Date.now().toString(36); // makes workflow IDs unique per run
const APP_NAME = 'interop-app';
const APP_VERSION = 'interop-v1';

if (TEST_DB === ADMIN_DB || !/interop/.test(TEST_DB)) {
  console.error(`refusing to drop database "${TEST_DB}": its name must contain "interop" and differ from PGDATABASE`);
  process.exit(2);
}

function dbUrl(db) {
  const auth = encodeURIComponent(USER) + (PASSWORD ? ':' + encodeURIComponent(PASSWORD) : '');
  if (HOST.startsWith('/')) {
    return `postgresql://${auth}@localhost:${PORT}/${db}?host=${encodeURIComponent(HOST)}`;
  }
  return `postgresql://${auth}@${HOST}:${PORT}/${db}`;
}
const pgConf = (db) => ({ host: HOST, port: PORT, user: USER, password: PASSWORD, database: db });
const TEST_URL = dbUrl(TEST_DB);

// ---------------------------------------------------------------------------------------------
// Resources (always released in cleanup())

let pool = null;
let dbosClient = null;
let worker = null;
let workerExited = null; // promise
let workerLog = null;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function q(sql, params) {
  return pool.query(sql, params);
}
async function one(sql, params) {
  const r = await pool.query(sql, params);
  return r.rows[0];
}
async function val(sql, params) {
  const r = await pool.query(sql, params);
  return r.rows.length ? r.rows[0][r.fields[0].name] : undefined;
}

// Runs fn(client) on a dedicated connection; collects notices in client.notices.
async function withClient(fn) {
  const c = await pool.connect();
  const notices = [];
  const onNotice = (n) => notices.push(n);
  c.on('notice', onNotice);
  c.notices = notices;
  try {
    return await fn(c);
  } finally {
    c.removeListener('notice', onNotice);
    c.release();
  }
}

async function waitFor(what, fn, timeoutMs = 15000, intervalMs = 100) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await fn();
    if (last) return last;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

async function statusRow(id) {
  return one(
    `SELECT ws.*, wi.inputs AS wi_inputs, wo.output AS wo_output, wo.error AS wo_error
       FROM dbos.workflow_status ws
       LEFT JOIN dbos.workflow_input wi USING (workflow_uuid)
       LEFT JOIN dbos.workflow_output wo USING (workflow_uuid)
      WHERE ws.workflow_uuid = $1`,
    [id],
  );
}

const TERMINAL = ['SUCCESS', 'ERROR', 'CANCELLED', 'MAX_RECOVERY_ATTEMPTS_EXCEEDED'];
async function waitStatus(id, statuses = TERMINAL, timeoutMs = 15000) {
  let last;
  try {
    return await waitFor(`workflow ${id} to reach ${statuses.join('|')}`, async () => {
      last = await statusRow(id);
      return last && statuses.includes(last.status) ? last : null;
    }, timeoutMs);
  } catch (e) {
    e.message += ` (last status: ${last ? last.status : 'no row'})`;
    throw e;
  }
}

// Expects the promise to reject with a PostgreSQL error of the given SQLSTATE.
async function expectPgError(promise, sqlstate, what) {
  let err = null;
  try {
    await promise;
  } catch (e) {
    err = e;
  }
  assert.ok(err, `${what}: expected ${sqlstate ? 'SQLSTATE ' + sqlstate : 'an error'}, but the call succeeded`);
  if (sqlstate) assert.equal(err.code, sqlstate, `${what}: expected SQLSTATE ${sqlstate}, got ${err.code}: ${err.message}`);
  return err;
}

// Waits that must not wait are given this timeout, and must end within AT_ONCE_MS: far
// below the wait, far above what a loaded machine adds. (Latencies are measured in bench/.)
const LONG_WAIT_S = 600;
const AT_ONCE_MS = 10000;
function assertAtOnce(t0, what) {
  const ms = Date.now() - t0;
  assert.ok(ms < AT_ONCE_MS, `${what}: ended after ${ms} ms, not at once (the wait was ${LONG_WAIT_S} s)`);
}

// The writes this backend attempted on the DBOS tables so far. PostgreSQL counts attempted
// inserts, updates and deletes whether they commit or roll back, and shows the counts of the
// current backend (not yet flushed) in pg_stat_xact_all_tables.
async function writeAttempts(c) {
  const r = await c.query(`SELECT relname, n_tup_ins, n_tup_upd, n_tup_del FROM pg_catalog.pg_stat_xact_all_tables
                            WHERE schemaname = 'dbos' ORDER BY relname`);
  return Object.fromEntries(r.rows.map((x) => [x.relname, `${x.n_tup_ins}/${x.n_tup_upd}/${x.n_tup_del}`]));
}

// call(c) must fail with `sqlstate` and write nothing. The check does not rely on the rollback
// that follows the error (a rollback removes whatever was written): the call runs behind a
// savepoint of a transaction that has written nothing; after ROLLBACK TO SAVEPOINT, that
// transaction must still have no transaction ID (writing a row, even one rolled back later,
// assigns one) and the backend's counts of attempted writes on the DBOS tables must not have
// moved.
async function expectNoWrite(call, sqlstate, what) {
  return withClient(async (c) => {
    await c.query('BEGIN');
    try {
      const before = await writeAttempts(c);
      await c.query('SAVEPOINT no_write');
      const err = await expectPgError(call(c), sqlstate, what);
      await c.query('ROLLBACK TO SAVEPOINT no_write');
      const xid = (await c.query('SELECT pg_catalog.pg_current_xact_id_if_assigned()::text AS x')).rows[0].x;
      const after = await writeAttempts(c);
      const moved = Object.keys(after).filter((t) => after[t] !== (before[t] ?? '0/0/0'));
      assert.ok(xid === null && moved.length === 0, `${what}: the failing call wrote before it failed ` +
        `(transaction ID ${xid}; inserted/updated/deleted in ${moved.map((t) => `${t} ${before[t] ?? '0/0/0'} -> ${after[t]}`).join(', ') || 'no table'})`);
      return err;
    } finally {
      await c.query('ROLLBACK');
    }
  });
}

async function enqueue(queue, cls, name, args, opts = {}) {
  const names = ['queue_name', 'workflow_class', 'workflow_name', 'args'];
  const values = [queue, cls, name, args === undefined ? '[]' : JSON.stringify(args)];
  const extra = [];
  for (const [k, v] of Object.entries(opts)) {
    values.push(v !== null && typeof v === 'object' ? JSON.stringify(v) : v);
    extra.push(`${k} => $${values.length}`);
  }
  const sql = `SELECT dbos.enqueue($1, $2, $3, $4::jsonb${extra.length ? ', ' + extra.join(', ') : ''}) AS id`;
  return (await one(sql, values)).id;
}

const getResult = async (id, timeout = 20) => val('SELECT dbos.get_result($1, $2) AS r', [id, timeout]);
const getEvent = async (id, key, timeout = 20) => val('SELECT dbos.get_event($1, $2, $3) AS v', [id, key, timeout]);

// ---------------------------------------------------------------------------------------------
// Setup

async function prepareDatabase() {
  const admin = new Client(pgConf(ADMIN_DB));
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${TEST_DB}" WITH (FORCE)`);
    await admin.query(`CREATE DATABASE "${TEST_DB}"`);
  } finally {
    await admin.end();
  }
  const dbosBin = path.join(__dirname, 'node_modules', '.bin', 'dbos');
  execFileSync(dbosBin, ['schema', TEST_URL], { cwd: __dirname, stdio: ['ignore', 'pipe', 'pipe'], timeout: 60000 });
  const c = new Client(pgConf(TEST_DB));
  await c.connect();
  try {
    await c.query('CREATE EXTENSION dbos_client');
    // What the worker's onRowChange workflow records of each of its executions.
    await c.query(`CREATE TABLE public.trigger_runs (n bigserial PRIMARY KEY, workflow_id text NOT NULL, op text, tbl text,
                     row_id text, change jsonb, ran_at timestamptz NOT NULL)`);
    await c.query(`CREATE INDEX ON public.trigger_runs (tbl, op)`);
  } finally {
    await c.end();
  }
}

async function startWorker() {
  workerLog = fs.createWriteStream(WORKER_LOG, { flags: 'w' });
  worker = spawn(process.execPath, ['--no-deprecation', path.join(__dirname, 'worker.js')], {
    cwd: __dirname,
    env: { ...process.env, DBOS_SYSTEM_DATABASE_URL: TEST_URL, INTEROP_APP_NAME: APP_NAME, INTEROP_APP_VERSION: APP_VERSION },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  workerExited = new Promise((resolve) => worker.once('exit', (code, signal) => resolve({ code, signal })));
  worker.stderr.on('data', (d) => workerLog.write(d));
  const readyP = new Promise((resolve, reject) => {
    let buf = '';
    worker.stdout.on('data', (d) => {
      workerLog.write(d);
      buf += d.toString();
      if (buf.includes('READY\n')) resolve();
    });
    workerExited.then(({ code, signal }) => reject(new Error(`worker exited early (code ${code}, signal ${signal}); see ${WORKER_LOG}`)));
  });
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`worker not ready after 40 s; see ${WORKER_LOG}`)), 40000);
  });
  readyP.catch(() => {}).finally(() => clearTimeout(timer));
  await Promise.race([readyP, timeout]);
}

async function stopWorker() {
  if (!worker) return;
  const w = worker;
  worker = null;
  if (w.exitCode === null && w.signalCode === null) {
    w.kill('SIGTERM');
    const r = await Promise.race([workerExited, sleep(8000).then(() => null)]);
    if (!r) {
      w.kill('SIGKILL');
      await Promise.race([workerExited, sleep(2000)]);
    }
  }
  try {
    w.stdin.destroy();
  } catch {
    /* ignore */
  }
}

let cleanedUp = false;
async function cleanup() {
  if (cleanedUp) return;
  cleanedUp = true;
  const bounded = (p) => Promise.race([Promise.resolve(p).catch(() => {}), sleep(8000)]);
  await bounded(stopWorker());
  if (dbosClient) await bounded(dbosClient.destroy());
  dbosClient = null;
  if (pool) await bounded(pool.end());
  pool = null;
  if (workerLog) await bounded(new Promise((r) => workerLog.end(r)));
}

// ---------------------------------------------------------------------------------------------
// Tests

const tests = [];
const test = (name, fn, opts = {}) => tests.push({ name, fn, timeoutMs: opts.timeoutMs });
const wid = (tag) => `itest-${RUN}-${tag}`;

test('enqueue_free_function_runs_with_args', async () => {
  const id = await enqueue('interop_q', null, 'add', [2, 40]);
  assert.deepEqual(await getResult(id), { sum: 42 });
  const row = await statusRow(id);
  assert.equal(row.status, 'SUCCESS');
  assert.equal(row.name, 'add');
  assert.equal(row.class_name, null);
  assert.equal(row.serialization, 'portable_json');
  assert.deepEqual(JSON.parse(row.wi_inputs).positionalArgs, [2, 40]);
  // '' for the class is stored as NULL and still runs.
  const id2 = await enqueue('interop_q', '', 'add', [1, 1], { config_name: '' });
  assert.deepEqual(await getResult(id2), { sum: 2 });
  const row2 = await statusRow(id2);
  assert.equal(row2.class_name, null, "class '' must be stored as NULL");
  assert.equal(row2.config_name, null, "config '' must be stored as NULL");
});

test('enqueue_class_method_runs_with_args', async () => {
  const id = await enqueue('interop_q', 'Greeter', 'greet', ['Zoë', { punct: '?' }], { workflow_id: wid('greet') });
  assert.equal(id, wid('greet'));
  assert.deepEqual(await getResult(id), { greeting: 'Hello, Zoë?', opts: { punct: '?' } });
  const st = await one('SELECT * FROM dbos.get_status($1)', [id]);
  assert.equal(st.workflow_class, 'Greeter');
  assert.equal(st.workflow_name, 'greet');
  assert.deepEqual(st.input, ['Zoë', { punct: '?' }]);
});

test('enqueue_args_fidelity_nested_strings_unicode', async () => {
  const args = [
    { nested: { deep: [1, { x: 'y' }], empty: {}, emptyList: [], nul: null, t: true } },
    'quote " backslash \\ newline \n tab \t slash / and \u00e9\u0301',
    'unicode: héllo wörld ✓ 日本語 🚀 Ω',
    1.5,
    -7,
    12345678901234,
    true,
    false,
    null,
    [],
    '',
    '{"looks":"like json"}',
  ];
  const id = await enqueue('interop_q', null, 'echo', args);
  const r = await getResult(id);
  assert.deepEqual(r.args, args);
  assert.equal(r.count, args.length);
  assert.deepEqual(r.types, ['object', 'string', 'string', 'number', 'number', 'number', 'boolean', 'boolean', 'null', 'array', 'string', 'string']);
});

test('enqueue_named_args_tolerated', async () => {
  const id = await enqueue('interop_q', null, 'add', [3, 4], { named_args: { extra: 1, why: 'python kwargs' } });
  assert.deepEqual(await getResult(id), { sum: 7 });
  const row = await statusRow(id);
  const inputs = JSON.parse(row.wi_inputs);
  assert.deepEqual(inputs.positionalArgs, [3, 4]);
  assert.deepEqual(inputs.namedArgs, { extra: 1, why: 'python kwargs' });
});

test('priority_order_single_transaction', async () => {
  const plan = [
    ['p5', 5],
    ['p1', 1],
    ['pdefault', null],
    ['p10', 10],
    ['p3', 3],
  ];
  const ids = {};
  await withClient(async (c) => {
    await c.query('BEGIN');
    for (const [tag, prio] of plan) {
      const r = await c.query(`SELECT dbos.enqueue('interop_serial', NULL, 'record', $1::jsonb, workflow_id => $2, priority => $3) AS id`, [
        JSON.stringify([tag]),
        wid('prio-' + tag),
        prio,
      ]);
      ids[tag] = r.rows[0].id;
    }
    await c.query('COMMIT');
  });
  const rows = [];
  for (const tag of Object.keys(ids)) rows.push(await waitStatus(ids[tag], ['SUCCESS'], 20000));
  for (const r of rows) {
    const expectPrio = plan.find(([t]) => wid('prio-' + t) === r.workflow_uuid)[1] ?? 0;
    assert.equal(r.priority, expectPrio, `priority column of ${r.workflow_uuid}`);
  }
  const byStart = rows
    .map((r) => ({ tag: JSON.parse(r.wo_output).tag, started: Number(r.started_at_epoch_ms), ranAt: JSON.parse(r.wo_output).startedAt }))
    .sort((a, b) => a.ranAt - b.ranAt);
  assert.deepEqual(byStart.map((x) => x.tag), ['pdefault', 'p1', 'p3', 'p5', 'p10'], 'run order (by the time each workflow ran)');
  const byDequeue = [...byStart].sort((a, b) => a.started - b.started).map((x) => x.tag);
  assert.deepEqual(byDequeue, ['pdefault', 'p1', 'p3', 'p5', 'p10'], 'dequeue order (started_at_epoch_ms)');
});

test('fifo_within_priority_single_transaction', async () => {
  const tags = ['f0', 'f1', 'f2', 'f3', 'f4', 'f5'];
  await withClient(async (c) => {
    await c.query('BEGIN');
    for (const tag of tags) {
      await c.query(`SELECT dbos.enqueue('interop_serial', NULL, 'record', $1::jsonb, workflow_id => $2, priority => 2)`, [JSON.stringify([tag]), wid('fifo-' + tag)]);
    }
    await c.query('COMMIT');
  });
  const created = await q(`SELECT workflow_uuid, created_at FROM dbos.workflow_status WHERE workflow_uuid = ANY($1)`, [tags.map((t) => wid('fifo-' + t))]);
  const cmap = Object.fromEntries(created.rows.map((r) => [r.workflow_uuid, Number(r.created_at)]));
  for (let i = 1; i < tags.length; i++) {
    const a = cmap[wid('fifo-' + tags[i - 1])];
    const b = cmap[wid('fifo-' + tags[i])];
    assert.ok(b > a, `created_at must increase strictly in enqueue order within one transaction: ${tags[i - 1]}=${a}, ${tags[i]}=${b}`);
  }
  const rows = [];
  for (const t of tags) rows.push(await waitStatus(wid('fifo-' + t), ['SUCCESS'], 25000));
  const order = rows.map((r) => JSON.parse(r.wo_output)).sort((a, b) => a.startedAt - b.startedAt).map((o) => o.tag);
  assert.deepEqual(order, tags, 'run order within one priority');
});

test('partitioned_queue_with_partition_key', async () => {
  const a = await enqueue('interop_part', null, 'add', [1, 2], { partition_key: 'tenant-A' });
  const b = await enqueue('interop_part', null, 'add', [3, 4], { partition_key: 'tenant-B' });
  assert.deepEqual(await getResult(a), { sum: 3 });
  assert.deepEqual(await getResult(b), { sum: 7 });
  const st = await one('SELECT * FROM dbos.get_status($1)', [a]);
  assert.equal(st.partition_key, 'tenant-A');
  assert.equal((await statusRow(b)).queue_partition_key, 'tenant-B');
});

test('delay_runs_after_delay', async () => {
  const t0 = Date.now();
  const id = await enqueue('interop_q', null, 'record', ['delayed'], { delay: '2 s' });
  const row0 = await statusRow(id);
  assert.equal(row0.status, 'DELAYED', 'status right after a delayed enqueue');
  const created = Number(row0.created_at);
  const until = Number(row0.delay_until_epoch_ms);
  assert.ok(Math.abs(until - created - 2000) <= 50, `delay_until_epoch_ms (${until}) should be created_at (${created}) + 2000`);
  const st0 = await one('SELECT status, delay_until FROM dbos.get_status($1)', [id]);
  assert.equal(st0.status, 'DELAYED');
  assert.equal(st0.delay_until.getTime(), until);
  const row = await waitStatus(id, ['SUCCESS'], 12000);
  const started = Number(row.started_at_epoch_ms);
  assert.ok(started - created >= 2000, `dequeued ${started - created} ms after creation, expected >= 2000`);
  const ranAt = JSON.parse(row.wo_output).startedAt;
  assert.ok(ranAt - t0 >= 1950, `ran ${ranAt - t0} ms after the enqueue call, expected about >= 2000`);
});

test('timeout_cancels_long_workflow', async () => {
  const id = await enqueue('interop_q', null, 'long', [60000], { timeout: '1 s' });
  const row0 = await statusRow(id);
  assert.equal(Number(row0.workflow_timeout_ms), 1000);
  const st0 = await one('SELECT extract(epoch FROM timeout) AS s FROM dbos.get_status($1)', [id]);
  assert.equal(Number(st0.s), 1);
  const row = await waitStatus(id, TERMINAL, 15000);
  assert.equal(row.status, 'CANCELLED');
  const e = await expectPgError(getResult(id, 5), 'DB002', 'get_result of a timed-out workflow');
  assert.match(e.message, new RegExp(id));
});

test('send_with_topic_reaches_recv', async () => {
  const id = await enqueue('interop_q', null, 'recvOne', ['t1', 20]);
  await q(`SELECT dbos.send($1, '"wrong topic"', 'other')`, [id]);
  const msg = { hello: 'wörld', n: [1, 2, { deep: null }] };
  await q(`SELECT dbos.send($1, $2::jsonb, 't1')`, [id, JSON.stringify(msg)]);
  assert.deepEqual(await getResult(id), { got: msg });
  const n = await one(`SELECT serialization, topic, consumed FROM dbos.notifications WHERE destination_uuid = $1 AND topic = 't1'`, [id]);
  assert.equal(n.serialization, 'portable_json');
  assert.equal(n.consumed, true);
  const other = await one(`SELECT consumed FROM dbos.notifications WHERE destination_uuid = $1 AND topic = 'other'`, [id]);
  assert.equal(other.consumed, false, 'message on another topic must not be consumed');
});

test('send_null_topic_reaches_recv', async () => {
  const id = await enqueue('interop_q', null, 'recvOne', [null, 20]);
  await q(`SELECT dbos.send($1, '"plain message"')`, [id]);
  assert.deepEqual(await getResult(id), { got: 'plain message' });
  const n = await one(`SELECT topic FROM dbos.notifications WHERE destination_uuid = $1`, [id]);
  assert.equal(n.topic, '__null__topic__');
});

test('send_idempotency_key_delivered_once', async () => {
  const id = await enqueue('interop_q', null, 'recvAll', ['t2', 2, 10]);
  await q(`SELECT dbos.send($1, '"once"', 't2', 'idem-key-1')`, [id]);
  await q(`SELECT dbos.send($1, '"once"', 't2', 'idem-key-1')`, [id]);
  await q(`SELECT dbos.send($1, '"after"', 't2')`, [id]);
  assert.deepEqual(await getResult(id), { got: ['once', 'after'] });
  const rows = await q(`SELECT message_uuid FROM dbos.notifications WHERE destination_uuid = $1 ORDER BY created_at_epoch_ms`, [id]);
  assert.equal(rows.rows.length, 2);
  assert.equal(rows.rows[0].message_uuid, `idem-key-1::${id}`);
});

test('send_unknown_destination_errors', async () => {
  const dest = wid('nobody');
  // README: "An unknown destination is an error (23503) and writes nothing".
  await expectNoWrite((c) => c.query(`SELECT dbos.send($1, '1')`, [dest]), '23503', 'send to an unknown workflow');
  assert.equal(Number(await val(`SELECT count(*) FROM dbos.notifications WHERE destination_uuid = $1`, [dest])), 0);
});

test('set_event_reaches_get_event_values', async () => {
  const id = await enqueue('interop_q', null, 'events', [0, false]);
  assert.deepEqual(await getEvent(id, 'obj'), { a: 1, s: 'héllo ✓', nested: { list: [1, 'two', null, true] } });
  assert.equal(await getEvent(id, 'date'), '2024-01-02T03:04:05.678Z');
  assert.deepEqual(await getEvent(id, 'withDate'), { label: 'epoch', at: '1970-01-01T00:00:00.000Z' });
  assert.equal(await getEvent(id, 'num'), 42);
  // The SDK's portable replacer: BigInt -> decimal string, Map -> object, Set -> array.
  assert.deepEqual(await getEvent(id, 'rich'), { big: '10', m: { k: 1 }, s: ['a'] });
  assert.equal(await getResult(id), 'events-done');
});

test('set_event_superjson_workflow_decoded', async () => {
  // A workflow enqueued as js_superjson publishes its events with the app's default
  // serializer (js_superjson); SQL decodes them (Date -> ISO string).
  const id = await enqueue('interop_q', null, 'events', [0, false], { serialization: 'js_superjson' });
  assert.equal(await getResult(id), 'events-done');
  const ser = await q(`SELECT key, serialization FROM dbos.workflow_events WHERE workflow_uuid = $1 ORDER BY key`, [id]);
  assert.equal(ser.rows.length, 5, 'five events written');
  assert.deepEqual([...new Set(ser.rows.map((r) => r.serialization))], ['js_superjson'], 'events of a superjson workflow are js_superjson');
  assert.deepEqual(await getEvent(id, 'date', 1), '2024-01-02T03:04:05.678Z');
  assert.deepEqual(await getEvent(id, 'withDate', 1), { label: 'epoch', at: '1970-01-01T00:00:00.000Z' });
  assert.deepEqual(await getEvent(id, 'obj', 1), { a: 1, s: 'héllo ✓', nested: { list: [1, 'two', null, true] } });
  assert.deepEqual(await getEvent(id, 'rich', 1), { big: 10, m: { k: 1 }, s: ['a'] });
  assert.equal(await getEvent(id, 'num', 0), 42, 'timeout 0 checks once');
});

test('get_event_waits_for_event', async () => {
  const id = await enqueue('interop_q', null, 'events', [2000, false]);
  const t0 = Date.now();
  const none = await val(`SELECT count(*) AS n FROM dbos.workflow_events WHERE workflow_uuid = $1`, [id]);
  assert.equal(Number(none), 0, 'the event must not exist yet when get_event is called');
  const v = await getEvent(id, 'withDate', 20);
  const elapsed = Date.now() - t0;
  assert.deepEqual(v, { label: 'epoch', at: '1970-01-01T00:00:00.000Z' });
  assert.ok(elapsed >= 1000, `get_event returned after ${elapsed} ms; the workflow sets it after ~2 s`);
});

test('get_event_timeout_returns_null', async () => {
  const id = await enqueue('interop_q', null, 'add', [0, 0]);
  const t0 = Date.now();
  const v = await getEvent(id, 'never-set', 0.5);
  const elapsed = Date.now() - t0;
  assert.equal(v, null);
  assert.ok(elapsed >= 400, `a timeout of 0.5 s returned after ${elapsed} ms`);
  assertAtOnce(t0, 'get_event with timeout_seconds 0.5');
});

test('get_result_returns_output', async () => {
  const id = await enqueue('interop_q', 'Greeter', 'greet', ['Ann']);
  assert.deepEqual(await getResult(id, null), { greeting: 'Hello, Ann!', opts: null });
  // Already finished: returns at once, whatever the timeout.
  const t0 = Date.now();
  assert.deepEqual(await getResult(id, LONG_WAIT_S), { greeting: 'Hello, Ann!', opts: null });
  assertAtOnce(t0, 'get_result of a finished workflow');
});

test('get_result_error_raises_DB001', async () => {
  const id = await enqueue('interop_q', null, 'fail', ['bad input ✗', 'E_BAD']);
  await waitStatus(id, ['ERROR']);
  const e = await expectPgError(getResult(id), 'DB001', 'get_result of a failed workflow');
  assert.match(e.message, /bad input ✗/);
  assert.ok(e.detail && e.detail.includes('E_BAD'), `DETAIL should carry the error code, got: ${e.detail}`);
  const st = await one('SELECT status, error, output FROM dbos.get_status($1)', [id]);
  assert.equal(st.status, 'ERROR');
  assert.equal(st.output, null);
  assert.equal(st.error.message, 'bad input ✗');
  assert.equal(st.error.name, 'Error');
  assert.equal(st.error.code, 'E_BAD');
});

test('get_result_unknown_raises_DB004_at_once', async () => {
  const t0 = Date.now();
  await expectPgError(getResult(wid('does-not-exist'), LONG_WAIT_S), 'DB004', 'get_result of an unknown workflow');
  assertAtOnce(t0, 'DB004');
  const st = await one('SELECT (dbos.get_status($1)).workflow_id AS id', [wid('does-not-exist')]);
  assert.equal(st.id, null, 'get_status of an unknown workflow is NULL');
});

test('get_result_cancelled_raises_DB002', async () => {
  const id = await enqueue('interop_parked', null, 'long', [1000]);
  await dbosClient.cancelWorkflow(id);
  assert.equal((await statusRow(id)).status, 'CANCELLED');
  const t0 = Date.now();
  await expectPgError(getResult(id, LONG_WAIT_S), 'DB002', 'get_result of a cancelled workflow');
  assertAtOnce(t0, 'DB002');
});

test('get_result_timeout_raises_DB005', async () => {
  const id = await enqueue('interop_parked', null, 'add', [1, 2]);
  const t0 = Date.now();
  await expectPgError(getResult(id, 0.5), 'DB005', 'get_result past its timeout');
  const elapsed = Date.now() - t0;
  assert.ok(elapsed >= 400, `a timeout of 0.5 s raised DB005 after ${elapsed} ms`);
  assertAtOnce(t0, 'get_result with timeout_seconds 0.5');
  await dbosClient.cancelWorkflow(id);
});

// Compares dbos.get_status(id) with DBOSClient.getWorkflow(id).
async function compareStatus(id) {
  const s = await one(
    `SELECT s.*, (extract(epoch FROM s.timeout) * 1000)::bigint AS timeout_ms FROM dbos.get_status($1) s`,
    [id],
  );
  const t = await dbosClient.getWorkflow(id);
  assert.ok(t, `DBOSClient.getWorkflow(${id}) found nothing`);
  const ms = (d) => (d === null || d === undefined ? undefined : d.getTime());
  const num = (x) => (x === null || x === undefined ? undefined : Number(x));
  const opt = (x) => (x === null || x === '' ? undefined : x); // TS maps NULL class/config to '' or undefined
  const pairs = [
    ['workflow_id', s.workflow_id, t.workflowID],
    ['status', s.status, t.status],
    ['workflow_name', s.workflow_name, t.workflowName],
    ['workflow_class', opt(s.workflow_class), opt(t.workflowClassName)],
    ['config_name', opt(s.config_name), opt(t.workflowConfigName)],
    ['queue_name', opt(s.queue_name), opt(t.queueName)],
    ['deduplication_id', opt(s.deduplication_id), opt(t.deduplicationID)],
    ['priority', s.priority, t.priority],
    ['partition_key', opt(s.partition_key), opt(t.queuePartitionKey)],
    ['app_version', opt(s.app_version), opt(t.applicationVersion)],
    ['application_name', opt(s.application_name), opt(t.applicationName)],
    ['executor_id', opt(s.executor_id), opt(t.executorId)],
    ['authenticated_user', opt(s.authenticated_user), opt(t.authenticatedUser)],
    ['recovery_attempts', num(s.recovery_attempts), num(t.recoveryAttempts)],
    ['created_at', ms(s.created_at), num(t.createdAt)],
    ['updated_at', ms(s.updated_at), num(t.updatedAt)],
    ['started_at', ms(s.started_at), num(t.dequeuedAt)],
    ['completed_at', ms(s.completed_at), num(t.completedAt)],
    ['timeout', num(s.timeout_ms), num(t.timeoutMS)],
    ['deadline', ms(s.deadline), num(t.deadlineEpochMS)],
    ['delay_until', ms(s.delay_until), num(t.delayUntilEpochMS)],
    ['parent_workflow_id', opt(s.parent_workflow_id), opt(t.parentWorkflowID)],
    ['forked_from', opt(s.forked_from), opt(t.forkedFrom)],
    ['attributes', s.attributes ?? undefined, t.attributes ?? undefined],
    ['input', s.input ?? undefined, t.input ?? undefined],
    ['output', s.output ?? undefined, t.output ?? undefined],
  ];
  const diffs = [];
  for (const [f, a, b] of pairs) {
    try {
      assert.deepEqual(a, b);
    } catch {
      diffs.push(`${f}: sql=${JSON.stringify(a)} sdk=${JSON.stringify(b)}`);
    }
  }
  // Errors: compare name/message/code. SDK 5.3.0 quirk (not ours): for a portable error,
  // getWorkflow's safeParseError catches the PortableWorkflowError that deserializeResError
  // throws and returns `new Error(<raw JSON text>)`, so the record is in its message.
  if (s.error || t.error) {
    let te = t.error || {};
    if (te instanceof Error && /^\s*\{/.test(te.message)) {
      try {
        te = JSON.parse(te.message);
      } catch {
        /* keep as is */
      }
    }
    const se = s.error || {};
    for (const k of ['name', 'message', 'code']) {
      if (se[k] !== te[k]) diffs.push(`error.${k}: sql=${JSON.stringify(se[k])} sdk=${JSON.stringify(te[k])}`);
    }
  }
  assert.equal(diffs.length, 0, `get_status differs from DBOSClient.getWorkflow for ${id}: ${diffs.join('; ')}`);
  return s;
}

test('get_status_matches_DBOSClient', async () => {
  const ok = await enqueue('interop_q', 'Greeter', 'greet', ['Bo', { punct: '.' }], { priority: 4, deduplication_id: wid('st-dedup'), timeout: '30 s' });
  await waitStatus(ok, ['SUCCESS']);
  const s1 = await compareStatus(ok);
  assert.equal(s1.executor_id, 'local');
  assert.equal(s1.app_version, APP_VERSION);
  assert.equal(s1.application_name, APP_NAME);
  assert.equal(Number(s1.recovery_attempts), 1);
  assert.ok(s1.started_at && s1.completed_at && s1.deadline, 'started_at, completed_at and deadline are set');
  const bad = await enqueue('interop_q', null, 'fail', ['status boom', 42]);
  await waitStatus(bad, ['ERROR']);
  const s2 = await compareStatus(bad);
  assert.equal(s2.error.code, 42);
  const parked = await enqueue('interop_parked', null, 'echo', [{ k: [1, 'x'] }, 'y'], {
    priority: 9,
    deduplication_id: wid('st-parked'),
    partition_key: 'pk-1',
    timeout: '90 s',
    app_version: APP_VERSION,
    application_name: APP_NAME,
  });
  const s3 = await compareStatus(parked);
  assert.equal(s3.status, 'ENQUEUED');
  const delayed = await enqueue('interop_parked', null, 'add', [1, 2], { delay: '1 h' });
  const s4 = await compareStatus(delayed);
  assert.equal(s4.status, 'DELAYED');
  await dbosClient.cancelWorkflows([parked, delayed]);
  await compareStatus(parked);
});

test('cross_client_enqueuePortable_read_by_sql', async () => {
  const h = await dbosClient.enqueuePortable({ queueName: 'interop_q', workflowName: 'add', workflowID: wid('cp-add') }, [5, 6]);
  assert.equal(h.workflowID, wid('cp-add'));
  assert.deepEqual(await getResult(h.workflowID), { sum: 11 });
  const st = await one('SELECT * FROM dbos.get_status($1)', [h.workflowID]);
  assert.equal(st.status, 'SUCCESS');
  assert.equal(st.serialization, 'portable_json');
  assert.deepEqual(st.input, [5, 6]);
  assert.deepEqual(st.output, { sum: 11 });
  assert.equal(st.workflow_class, null, "the SDK's NULL class reads as NULL");
  const h2 = await dbosClient.enqueuePortable({ queueName: 'interop_q', workflowName: 'greet', workflowClassName: 'Greeter' }, ['Cy'], { ignored: true });
  assert.deepEqual(await getResult(h2.workflowID), { greeting: 'Hello, Cy!', opts: null });
  const h3 = await dbosClient.enqueuePortable({ queueName: 'interop_q', workflowName: 'fail' }, ['portable boom', 'E_P']);
  const e = await expectPgError(getResult(h3.workflowID), 'DB001', 'get_result of an SDK-enqueued failing workflow');
  assert.match(e.message, /portable boom/);
});

test('cross_client_enqueue_superjson_read_by_sql', async () => {
  const h = await dbosClient.enqueue({ queueName: 'interop_q', workflowName: 'echo' }, 1, 'a', new Date(0), 10n, { k: new Set([1, 2]) }, new Map([['m', 1]]));
  const r = await getResult(h.workflowID);
  assert.deepEqual(r.types, ['number', 'string', 'Date', 'bigint', 'object', 'Map'], 'the worker revived superjson types');
  assert.deepEqual(r.args.slice(0, 4), [1, 'a', '1970-01-01T00:00:00.000Z', '10']);
  const st = await one('SELECT * FROM dbos.get_status($1)', [h.workflowID]);
  assert.equal(st.serialization, 'js_superjson');
  assert.deepEqual(st.input, [1, 'a', '1970-01-01T00:00:00.000Z', 10, { k: [1, 2] }, { m: 1 }]);
  assert.equal(st.output.count, 6);
  // superjson output with rich values, decoded to plain JSON by SQL
  const h2 = await dbosClient.enqueue({ queueName: 'interop_q', workflowName: 'rich' });
  const rich = await getResult(h2.workflowID);
  assert.deepEqual(rich, { d: '1970-01-01T00:00:00.000Z', big: 10, m: { k: 1 }, s: [1, 2], u: null, arr: [1, null, 'x'], str: 'plain' });
  // A superjson error (serialize-error form) raises DB001 with its message.
  const h3 = await dbosClient.enqueue({ queueName: 'interop_q', workflowName: 'fail' }, 'superjson boom', 'E_SJ');
  await waitStatus(h3.workflowID, ['ERROR']);
  const e = await expectPgError(getResult(h3.workflowID), 'DB001', 'get_result of a superjson failing workflow');
  assert.match(e.message, /superjson boom/);
  assert.ok((e.detail || '').includes('E_SJ'), `DETAIL should carry the code: ${e.detail}`);
  const st3 = await one('SELECT error FROM dbos.get_status($1)', [h3.workflowID]);
  assert.equal(st3.error.message, 'superjson boom');
  assert.equal(st3.error.code, 'E_SJ');
});

test('sql_enqueue_read_by_DBOSClient_getResult', async () => {
  const id = await enqueue('interop_q', null, 'add', [20, 22]);
  const r = await dbosClient.retrieveWorkflow(id).getResult({ pollingIntervalMs: 100 });
  assert.deepEqual(r, { sum: 42 });
  const cid = await enqueue('interop_q', 'Greeter', 'greet', ['Di']);
  assert.deepEqual(await dbosClient.retrieveWorkflow(cid).getResult({ pollingIntervalMs: 100 }), { greeting: 'Hello, Di!', opts: null });
  const bad = await enqueue('interop_q', null, 'fail', ['client-side boom', 'E_C']);
  let err = null;
  try {
    await dbosClient.retrieveWorkflow(bad).getResult({ pollingIntervalMs: 100 });
  } catch (e) {
    err = e;
  }
  assert.ok(err, 'DBOSClient getResult of a failed workflow must throw');
  assert.match(String(err.message), /client-side boom/);
  const status = await dbosClient.retrieveWorkflow(id).getStatus();
  assert.equal(status.status, 'SUCCESS');
  assert.deepEqual(status.input, [20, 22]);
});

test('cross_client_getEvent_matches_sql', async () => {
  const id = await enqueue('interop_q', null, 'events', [0, false]);
  for (const key of ['obj', 'date', 'withDate', 'num', 'rich']) {
    const viaSdk = await dbosClient.getEvent(id, key, { timeoutSeconds: 20, pollingIntervalMs: 100 });
    const viaSql = await getEvent(id, key, 20);
    assert.deepEqual(viaSql, viaSdk instanceof Date ? viaSdk.toISOString() : viaSdk, `event ${key}`);
  }
  const sj = await enqueue('interop_q', null, 'events', [0, false], { serialization: 'js_superjson' });
  const viaSdk = await dbosClient.getEvent(sj, 'withDate', { timeoutSeconds: 20, pollingIntervalMs: 100 });
  assert.ok(viaSdk.at instanceof Date, 'the SDK revives the superjson Date');
  assert.deepEqual(await getEvent(sj, 'withDate', 5), { label: 'epoch', at: viaSdk.at.toISOString() });
});

// Compares the rows written by dbos.enqueue and by DBOSClient.enqueuePortable for the same call.
test('enqueue_row_matches_DBOSClient_enqueuePortable', async () => {
  const common = { queue: 'interop_parked', name: 'add', args: [1, 'a', { b: [true, null] }], named: { k: true } };
  const pairs = [
    { tag: 'plain', sqlOpts: {}, sdkOpts: {} },
    {
      tag: 'full',
      sqlOpts: { app_version: APP_VERSION, priority: 7, timeout: '5 s', partition_key: 'pk', application_name: APP_NAME, config_name: 'cfg' },
      sdkOpts: { appVersion: APP_VERSION, priority: 7, workflowTimeoutMS: 5000, queuePartitionKey: 'pk', applicationName: APP_NAME, workflowConfigName: 'cfg' },
    },
    { tag: 'delayed', sqlOpts: { delay: '60 s', priority: 1 }, sdkOpts: { delaySeconds: 60, priority: 1 } },
    { tag: 'class', cls: 'Greeter', name: 'greet', sqlOpts: {}, sdkOpts: {} },
  ];
  // Columns whose values differ by design, with the rule each side must satisfy.
  const isBlank = (v) => v === null || v === '';
  const ACCEPTED = {
    workflow_uuid: () => true, // different IDs
    created_at: () => true, // different moments
    updated_at: () => true,
    creator_xid: () => true, // each insert's own token (SDK: random UUID; SQL: fresh UUID or NULL)
    authenticated_user: (a, b) => isBlank(a) && isBlank(b), // SDK writes '' , SQL NULL
    assumed_role: (a, b) => isBlank(a) && isBlank(b),
    authenticated_roles: (a, b) => (a === null || a === '[]') && (b === null || b === '[]'), // SDK '[]', SQL NULL
    executor_id: (a, b) => isBlank(a) && isBlank(b),
    application_id: (a, b) => isBlank(a) && isBlank(b),
    deduplication_id: (a, b, sqlId, sdkId) => a === `${sqlId}-dd` && b === `${sdkId}-dd`,
    delay_until_epoch_ms: (a, b) => (a === null && b === null) || Math.abs(Number(a) - Number(b)) < 5000,
  };
  for (const p of pairs) {
    const cls = p.cls ?? null;
    const name = p.name ?? common.name;
    const sqlId = wid('row-sql-' + p.tag);
    const sdkId = wid('row-sdk-' + p.tag);
    await enqueue(common.queue, cls, name, common.args, { workflow_id: sqlId, named_args: common.named, deduplication_id: `${sqlId}-dd`, ...p.sqlOpts });
    await dbosClient.enqueuePortable(
      { queueName: common.queue, workflowName: name, workflowClassName: cls ?? undefined, workflowID: sdkId, deduplicationID: `${sdkId}-dd`, ...p.sdkOpts },
      common.args,
      common.named,
    );
    const rows = await q(`SELECT * FROM dbos.workflow_status WHERE workflow_uuid = ANY($1)`, [[sqlId, sdkId]]);
    const sqlRow = rows.rows.find((r) => r.workflow_uuid === sqlId);
    const sdkRow = rows.rows.find((r) => r.workflow_uuid === sdkId);
    assert.ok(sqlRow && sdkRow, 'both rows exist');
    const diffs = [];
    for (const col of Object.keys(sdkRow)) {
      const a = sqlRow[col];
      const b = sdkRow[col];
      if (ACCEPTED[col]) {
        if (!ACCEPTED[col](a, b, sqlId, sdkId)) diffs.push(`${col}: sql=${JSON.stringify(a)} sdk=${JSON.stringify(b)} (outside the accepted difference)`);
        continue;
      }
      try {
        assert.deepEqual(a, b);
      } catch {
        diffs.push(`${col}: sql=${JSON.stringify(a)} sdk=${JSON.stringify(b)}`);
      }
    }
    const inputs = await q(`SELECT workflow_uuid, inputs FROM dbos.workflow_input WHERE workflow_uuid = ANY($1)`, [[sqlId, sdkId]]);
    const si = inputs.rows.find((r) => r.workflow_uuid === sqlId);
    const ti = inputs.rows.find((r) => r.workflow_uuid === sdkId);
    if (!si || !ti) diffs.push(`workflow_input rows: sql=${!!si} sdk=${!!ti}`);
    else {
      try {
        assert.deepEqual(JSON.parse(si.inputs), JSON.parse(ti.inputs));
      } catch {
        diffs.push(`workflow_input.inputs: sql=${si.inputs} sdk=${ti.inputs}`);
      }
    }
    assert.equal(diffs.length, 0, `[${p.tag}] rows differ: ${diffs.join('; ')}`);
  }
  await dbosClient.cancelWorkflows(pairs.flatMap((p) => [wid('row-sql-' + p.tag), wid('row-sdk-' + p.tag)]));
});

test('superjson_serialization_enqueue_runs', async () => {
  const args = [1, 'two', { three: [3, { x: null }] }, null, 'ünï ✓'];
  const id = await enqueue('interop_q', null, 'echo', args, { serialization: 'js_superjson' });
  const row0 = await statusRow(id);
  assert.equal(row0.serialization, 'js_superjson');
  const inputs = JSON.parse(row0.wi_inputs);
  assert.equal(inputs.__dbos_serializer, 'superjson', 'superjson inputs carry the marker');
  const r = await getResult(id);
  assert.deepEqual(r.args, args);
  assert.deepEqual(r.types, ['number', 'string', 'object', 'null', 'string']);
  const row = await statusRow(id);
  assert.equal(row.status, 'SUCCESS');
  assert.equal(JSON.parse(row.wo_output).__dbos_serializer, 'superjson', 'the worker answered in superjson');
  const st = await one('SELECT input, output FROM dbos.get_status($1)', [id]);
  assert.deepEqual(st.input, args);
  assert.deepEqual(st.output, r);
  // Class method, superjson
  const g = await enqueue('interop_q', 'Greeter', 'greet', ['Eve', { punct: '…' }], { serialization: 'js_superjson' });
  assert.deepEqual(await getResult(g), { greeting: 'Hello, Eve…', opts: { punct: '…' } });
  // Rich output decoded
  const rich = await enqueue('interop_q', null, 'rich', [], { serialization: 'js_superjson' });
  assert.deepEqual(await getResult(rich), { d: '1970-01-01T00:00:00.000Z', big: 10, m: { k: 1 }, s: [1, 2], u: null, arr: [1, null, 'x'], str: 'plain' });
  // The same workflow under portable_json: the SDK's portable replacer wrote the output.
  const prich = await enqueue('interop_q', null, 'rich', []);
  assert.deepEqual(await getResult(prich), { d: '1970-01-01T00:00:00.000Z', big: '10', m: { k: 1 }, s: [1, 2], arr: [1, null, 'x'], str: 'plain' });
});

test('deduplication_reject_and_return_existing', async () => {
  const dd = wid('dedup');
  const first = await enqueue('interop_parked', null, 'add', [1, 2], { deduplication_id: dd });
  const e = await expectPgError(enqueue('interop_parked', null, 'add', [3, 4], { deduplication_id: dd }), '23505', 'second enqueue with the same deduplication ID');
  assert.ok(e.message.includes('interop_parked') || (e.detail || '').includes('interop_parked'), `error should name the queue: ${e.message} / ${e.detail}`);
  assert.ok(e.message.includes(dd) || (e.detail || '').includes(dd), `error should name the deduplication ID: ${e.message} / ${e.detail}`);
  const again = await enqueue('interop_parked', null, 'add', [5, 6], { deduplication_id: dd, duplication_policy: 'return_existing' });
  assert.equal(again, first, 'return_existing returns the holder of the slot');
  assert.equal(Number(await val(`SELECT count(*) FROM dbos.workflow_status WHERE deduplication_id = $1`, [dd])), 1);
  // In an explicit transaction, return_existing must not abort the transaction.
  await withClient(async (c) => {
    await c.query('BEGIN');
    const r = await c.query(`SELECT dbos.enqueue('interop_parked', NULL, 'add', '[7,8]', deduplication_id => $1, duplication_policy => 'return_existing') AS id`, [dd]);
    assert.equal(r.rows[0].id, first);
    await c.query('SELECT 1');
    await c.query('COMMIT');
  });
  // The SDK sees the same slot taken.
  let sdkErr = null;
  try {
    await dbosClient.enqueuePortable({ queueName: 'interop_parked', workflowName: 'add', deduplicationID: dd }, [1, 1]);
  } catch (err) {
    sdkErr = err;
  }
  assert.ok(sdkErr && /deduplicated/.test(sdkErr.message), `SDK enqueue with the same dedup ID should be rejected, got ${sdkErr && sdkErr.message}`);
  // Same dedup ID on another queue is fine.
  const other = await enqueue('interop_q', null, 'add', [1, 2], { deduplication_id: dd });
  assert.deepEqual(await getResult(other), { sum: 3 });
  await dbosClient.cancelWorkflow(first);
});

test('same_workflow_id_is_idempotent', async () => {
  const id = wid('same-id');
  assert.equal(await enqueue('interop_parked', null, 'add', [1, 2], { workflow_id: id }), id);
  assert.equal(await enqueue('interop_parked', null, 'add', [9, 9], { workflow_id: id }), id);
  const row = await statusRow(id);
  assert.deepEqual(JSON.parse(row.wi_inputs).positionalArgs, [1, 2], 'the first arguments win');
  await expectPgError(enqueue('interop_parked', null, 'echo', [1], { workflow_id: id }), 'DB006', 'same ID under another workflow name');
  const cid = wid('same-id-class');
  assert.equal(await enqueue('interop_parked', 'Greeter', 'greet', ['x'], { workflow_id: cid }), cid);
  assert.equal(await enqueue('interop_parked', 'Greeter', 'greet', ['y'], { workflow_id: cid }), cid);
  await expectPgError(enqueue('interop_parked', null, 'greet', ['x'], { workflow_id: cid }), 'DB006', 'same ID without the class');
  await expectPgError(enqueue('interop_parked', 'Other', 'greet', ['x'], { workflow_id: cid }), 'DB006', 'same ID under another class');
  await dbosClient.cancelWorkflows([id, cid]);
});

test('unregistered_queue_warns_and_stays_enqueued', async () => {
  const queue = `interop_nowhere_${RUN}`;
  const id = await withClient(async (c) => {
    const r = await c.query(`SELECT dbos.enqueue($1, NULL, 'add', '[1,1]') AS id`, [queue]);
    await sleep(50); // notices arrive with the result, but be generous
    const warnings = c.notices.filter((n) => n.severity === 'WARNING' && n.message.includes(queue));
    assert.equal(warnings.length, 1, `expected one WARNING naming the queue, got: ${JSON.stringify(c.notices.map((n) => `${n.severity}: ${n.message}`))}`);
    c.notices.length = 0;
    await c.query(`SELECT dbos.enqueue($1, NULL, 'add', '[2,2]') AS id`, [queue]);
    await sleep(50);
    assert.equal(c.notices.filter((n) => n.severity === 'WARNING').length, 0, 'the warning is given once per backend and queue');
    return r.rows[0].id;
  });
  await sleep(3000);
  const row = await statusRow(id);
  assert.equal(row.status, 'ENQUEUED', 'nobody dequeues a queue without a queues row');
  // Once the queue is registered (here by the SDK client, owned by the app) the worker would need
  // to listen to it; we only check that the row is runnable by cancelling it cleanly.
  await dbosClient.cancelWorkflows([id]);
});

test('trigger_enqueue_rollback_and_commit', async () => {
  await q(`CREATE TABLE IF NOT EXISTS public.interop_orders (order_id text PRIMARY KEY, item text NOT NULL, qty int NOT NULL)`);
  await q(`CREATE OR REPLACE FUNCTION public.interop_orders_enqueue() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM dbos.enqueue('interop_q', NULL, 'echo',
                           jsonb_build_array(to_jsonb(NEW), TG_OP),
                           workflow_id => 'order-' || NEW.order_id);
      RETURN NEW;
    END $$`);
  await q(`DROP TRIGGER IF EXISTS interop_orders_enqueue ON public.interop_orders`);
  await q(`CREATE TRIGGER interop_orders_enqueue AFTER INSERT ON public.interop_orders FOR EACH ROW EXECUTE FUNCTION public.interop_orders_enqueue()`);
  const rb = `${RUN}-rb`;
  const ok = `${RUN}-ok`;
  await withClient(async (c) => {
    await c.query('BEGIN');
    await c.query(`INSERT INTO public.interop_orders VALUES ($1, 'widget', 3)`, [rb]);
    const seen = await c.query(`SELECT count(*) AS n FROM dbos.workflow_status WHERE workflow_uuid = $1`, ['order-' + rb]);
    assert.equal(Number(seen.rows[0].n), 1, 'the enqueue is visible inside the transaction');
    await c.query('ROLLBACK');
  });
  for (const t of ['workflow_status', 'workflow_input']) {
    assert.equal(Number(await val(`SELECT count(*) FROM dbos.${t} WHERE workflow_uuid = $1`, ['order-' + rb])), 0, `rollback leaves nothing in ${t}`);
  }
  await withClient(async (c) => {
    await c.query('BEGIN');
    await c.query(`INSERT INTO public.interop_orders VALUES ($1, 'gadget ✓', 5)`, [ok]);
    await c.query('COMMIT');
  });
  const r = await getResult('order-' + ok);
  assert.deepEqual(r.args, [{ order_id: ok, item: 'gadget ✓', qty: 5 }, 'INSERT']);
});

test('send_several_in_one_transaction_keep_order', async () => {
  const id = await enqueue('interop_q', null, 'recvAll', ['ord', 2, 10]);
  await withClient(async (c) => {
    await c.query('BEGIN');
    for (const m of ['m1', 'm2', 'm3', 'm4']) await c.query(`SELECT dbos.send($1, $2::jsonb, 'ord')`, [id, JSON.stringify(m)]);
    await c.query('COMMIT');
  });
  assert.deepEqual(await getResult(id), { got: ['m1', 'm2', 'm3', 'm4'] }, 'messages sent in one transaction are received in send order');
});

test('send_js_superjson_reaches_recv', async () => {
  const id = await enqueue('interop_q', null, 'recvOne', ['sj', 20]);
  const msg = { a: 1, list: ['x', null], s: 'ü' };
  await q(`SELECT dbos.send($1, $2::jsonb, 'sj', serialization => 'js_superjson')`, [id, JSON.stringify(msg)]);
  const n = await one(`SELECT serialization, message FROM dbos.notifications WHERE destination_uuid = $1`, [id]);
  assert.equal(n.serialization, 'js_superjson');
  assert.equal(JSON.parse(n.message).__dbos_serializer, 'superjson');
  assert.deepEqual(await getResult(id), { got: msg });
});

test('get_result_dead_letter_raises_DB003', async () => {
  // A dead-lettered row, as the worker would leave it after too many recovery attempts
  // (simulated: making a TS worker exceed its attempts needs crashes).
  const id = await enqueue('interop_parked', null, 'add', [1, 2]);
  await q(`UPDATE dbos.workflow_status SET status = 'MAX_RECOVERY_ATTEMPTS_EXCEEDED', queue_name = NULL, deduplication_id = NULL,
             completed_at = (extract(epoch FROM now()) * 1000)::bigint WHERE workflow_uuid = $1`, [id]);
  const t0 = Date.now();
  await expectPgError(getResult(id, LONG_WAIT_S), 'DB003', 'get_result of a dead-lettered workflow');
  assertAtOnce(t0, 'DB003');
  let sdkErr = null;
  try {
    await dbosClient.retrieveWorkflow(id).getResult({ pollingIntervalMs: 100 });
  } catch (e) {
    sdkErr = e;
  }
  assert.ok(sdkErr && /maximum recovery attempts/i.test(sdkErr.message), `the SDK agrees: ${sdkErr && sdkErr.message}`);
});

test('wait_on_own_uncommitted_workflow_errors_at_once', async () => {
  for (const call of [`dbos.get_result($1, ${LONG_WAIT_S})`, `dbos.get_event($1, 'k', ${LONG_WAIT_S})`]) {
    await withClient(async (c) => {
      await c.query('BEGIN');
      try {
        const r = await c.query(`SELECT dbos.enqueue('interop_q', NULL, 'add', '[1,2]') AS id`);
        const t0 = Date.now();
        await expectPgError(c.query(`SELECT ${call}`, [r.rows[0].id]), '55000', `${call} on a workflow enqueued by the same open transaction`);
        assertAtOnce(t0, call);
      } finally {
        await c.query('ROLLBACK');
      }
    });
  }
});

test('wait_under_repeatable_read_errors_at_once', async () => {
  const parked = await enqueue('interop_parked', null, 'add', [1, 2]);
  const done = await enqueue('interop_q', null, 'add', [2, 2]);
  assert.deepEqual(await getResult(done), { sum: 4 });
  for (const call of [`dbos.get_result($1, ${LONG_WAIT_S})`, `dbos.get_event($1, 'k', ${LONG_WAIT_S})`]) {
    await withClient(async (c) => {
      await c.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
      try {
        const t0 = Date.now();
        const e = await expectPgError(c.query(`SELECT ${call}`, [parked]), '25000', `${call} under REPEATABLE READ`);
        assertAtOnce(t0, call);
        assert.ok(e.hint, `${call} under REPEATABLE READ: the error should carry a hint (${e.message})`);
      } finally {
        await c.query('ROLLBACK');
      }
    });
  }
  // No wait needed: a finished workflow's result can be read under REPEATABLE READ.
  await withClient(async (c) => {
    await c.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    try {
      const r = await c.query(`SELECT dbos.get_result($1, 5) AS r`, [done]);
      assert.deepEqual(r.rows[0].r, { sum: 4 });
    } finally {
      await c.query('ROLLBACK');
    }
  });
  await dbosClient.cancelWorkflow(parked);
});

test('waits_honour_statement_timeout', async () => {
  const parked = await enqueue('interop_parked', null, 'add', [1, 2]);
  await withClient(async (c) => {
    await c.query(`SET statement_timeout = '500ms'`);
    try {
      for (const call of [`dbos.get_event($1, 'never', ${LONG_WAIT_S})`, `dbos.get_result($1, ${LONG_WAIT_S})`]) {
        const t0 = Date.now();
        await expectPgError(c.query(`SELECT ${call}`, [parked]), '57014', `${call} with statement_timeout 500ms`);
        assertAtOnce(t0, `${call} under statement_timeout 500ms`);
      }
    } finally {
      await c.query('RESET statement_timeout');
    }
  });
  await dbosClient.cancelWorkflow(parked);
});

test('enqueue_validation_errors_write_nothing', async () => {
  // Each bad call must fail with the README's SQLSTATE and write nothing; expectNoWrite checks
  // the second part without relying on the rollback that follows the error.
  const bad = [
    ['args not an array', '22023', `SELECT dbos.enqueue('interop_q', NULL, 'add', '{"a":1}')`],
    ['empty queue', '22023', `SELECT dbos.enqueue('', NULL, 'add', '[1,2]')`],
    ['NULL workflow name', '22004', `SELECT dbos.enqueue('interop_q', NULL, NULL, '[1,2]')`],
    ['negative priority', '22003', `SELECT dbos.enqueue('interop_q', NULL, 'add', '[1,2]', priority => -1)`],
    ['negative delay', '22023', `SELECT dbos.enqueue('interop_q', NULL, 'add', '[1,2]', delay => '-1 s')`],
    ['zero timeout', '22023', `SELECT dbos.enqueue('interop_q', NULL, 'add', '[1,2]', timeout => '0 s')`],
    ['unknown serialization', '22023', `SELECT dbos.enqueue('interop_q', NULL, 'add', '[1,2]', serialization => 'xml')`],
    ['unknown duplication policy', '22023', `SELECT dbos.enqueue('interop_q', NULL, 'add', '[1,2]', deduplication_id => 'x', duplication_policy => 'bogus')`],
    ['named_args not an object', '22023', `SELECT dbos.enqueue('interop_q', NULL, 'add', '[1,2]', named_args => '[1]')`],
    ['class name of 256 characters', '22001', `SELECT dbos.enqueue('interop_q', repeat('c', 256), 'add', '[1,2]')`],
    ['send: NULL destination', '22004', `SELECT dbos.send(NULL, '1')`],
    ['send: empty destination', '22023', `SELECT dbos.send('', '1')`],
  ];
  const wrong = [];
  for (const [what, sqlstate, sql] of bad) {
    try {
      await expectNoWrite((c) => c.query(sql), sqlstate, what);
    } catch (e) {
      wrong.push(oneLine(e.message));
    }
  }
  assert.deepEqual(wrong, [], `invalid calls: ${wrong.join(' | ')}`);
});

test('settings_app_version_and_application_name', async () => {
  // Rows are read before the commit: once visible, the worker may claim the unversioned ones,
  // and a claim writes the worker's version into application_version.
  let rows;
  const ids = await withClient(async (c) => {
    const e = async () => (await c.query(`SELECT dbos.enqueue('interop_q', NULL, 'add', '[10, 1]') AS id`)).rows[0].id;
    const out = {};
    await c.query('BEGIN');
    await c.query(`SET dbos.app_version = '${APP_VERSION}'`);
    out.myVersion = await e();
    await c.query(`SET dbos.app_version = 'some-other-version'`);
    out.otherVersion = await e();
    await c.query(`RESET dbos.app_version`);
    await c.query(`SET dbos.application_name = '${APP_NAME}'`);
    out.myApp = await e();
    await c.query(`SET dbos.application_name = 'another-app'`);
    out.otherApp = await e();
    await c.query(`RESET dbos.application_name`);
    out.plain = await e();
    const r = await c.query(`SELECT workflow_uuid, application_version, application_name FROM dbos.workflow_status WHERE workflow_uuid = ANY($1)`, [Object.values(out)]);
    rows = Object.fromEntries(Object.entries(out).map(([k, id]) => [k, r.rows.find((x) => x.workflow_uuid === id)]));
    await c.query('COMMIT');
    return out;
  });
  assert.equal(rows.myVersion.application_version, APP_VERSION);
  assert.equal(rows.otherVersion.application_version, 'some-other-version');
  assert.equal(rows.myApp.application_name, APP_NAME);
  assert.equal(rows.otherApp.application_name, 'another-app');
  assert.equal(rows.plain.application_version, null);
  for (const k of ['myVersion', 'myApp', 'plain']) assert.deepEqual(await getResult(ids[k]), { sum: 11 }, k);
  await sleep(2000);
  for (const k of ['otherVersion', 'otherApp']) assert.equal((await statusRow(ids[k])).status, 'ENQUEUED', `${k} must not be run by ${APP_NAME}/${APP_VERSION}`);
  await dbosClient.cancelWorkflows([ids.otherVersion, ids.otherApp]);
});

test('internal_queue_runs_without_warning', async () => {
  const { id, notices } = await withClient(async (c) => {
    const r = await c.query(`SELECT dbos.enqueue('_dbos_internal_queue', NULL, 'add', '[100, 1]') AS id`);
    await sleep(50);
    return { id: r.rows[0].id, notices: c.notices.map((n) => `${n.severity}: ${n.message}`) };
  });
  assert.deepEqual(notices, [], 'no notice for the internal queue');
  assert.deepEqual(await getResult(id), { sum: 101 });
});

test('unicode_ids_topics_and_large_payload', async () => {
  const id = wid('ünï cödé ✓ "quoted" \\ 🚀');
  assert.equal(await enqueue('interop_q', null, 'recvOne', ['tópico ✓ 🚀', 20], { workflow_id: id }), id);
  await q(`SELECT dbos.send($1, '"unicode topic ok"', 'tópico ✓ 🚀')`, [id]);
  assert.deepEqual(await getResult(id), { got: 'unicode topic ok' });
  const big = 'x'.repeat(300000) + ' ✓ end';
  const bid = await enqueue('interop_q', null, 'echo', [big, { arr: Array.from({ length: 2000 }, (_, i) => i) }]);
  const r = await getResult(bid);
  assert.equal(r.args[0], big);
  assert.equal(r.args[1].arr.length, 2000);
});

test('bulk_enqueue_in_one_statement', async () => {
  const n = 60;
  const res = await q(
    `SELECT i, dbos.enqueue('interop_q', NULL, 'add', jsonb_build_array(i, i), workflow_id => $1 || i) AS id
       FROM generate_series(1, $2::int) i`,
    [wid('bulk-'), n],
  );
  assert.equal(res.rows.length, n);
  const created = await q(`SELECT count(DISTINCT created_at) AS d FROM dbos.workflow_status WHERE workflow_uuid LIKE $1`, [wid('bulk-') + '%']);
  assert.equal(Number(created.rows[0].d), n, 'every row of one statement gets its own created_at');
  await waitFor('all bulk workflows to succeed', async () => {
    const r = await one(`SELECT count(*) FILTER (WHERE status = 'SUCCESS') AS ok, count(*) AS all FROM dbos.workflow_status WHERE workflow_uuid LIKE $1`, [wid('bulk-') + '%']);
    return Number(r.ok) === n;
  }, 25000, 200);
  const outs = await q(
    `SELECT ws.workflow_uuid, wo.output FROM dbos.workflow_status ws JOIN dbos.workflow_output wo USING (workflow_uuid) WHERE ws.workflow_uuid LIKE $1`,
    [wid('bulk-') + '%'],
  );
  for (const row of outs.rows) {
    const i = Number(row.workflow_uuid.slice(wid('bulk-').length));
    assert.deepEqual(JSON.parse(row.output), { sum: 2 * i }, row.workflow_uuid);
  }
});

test('opaque_payloads_wrapped', async () => {
  const id = await enqueue('interop_q', null, 'add', [1, 2]);
  assert.deepEqual(await getResult(id), { sum: 3 });
  const pickle = 'gASVHwAAAAAAAAB9lCiMBGFyZ3OUSwGMAWGUhpSMBmt3YXJnc5R9lHUu';
  await q(`INSERT INTO dbos.workflow_events (workflow_uuid, key, value, serialization) VALUES ($1, 'pickled', $2, 'py_pickle')`, [id, pickle]);
  assert.deepEqual(await getEvent(id, 'pickled', 1), { __dbos_opaque__: { serialization: 'py_pickle', text: pickle } });
});

// ---------------------------------------------------------------------------------------------
// dbos.enqueue_trigger with the real worker: every changed row enqueues one `onRowChange`
// workflow, which the worker runs and records (each execution) in public.trigger_runs. The
// checks are made after the fact: exactly one completed workflow and one execution per
// changed row, none missing, none duplicated, each with the change it was given.

const TRIG_N = Number(process.env.INTEROP_TRIGGER_ROWS || 10000); // rows per statement, statement level
const TRIG_ROW_N = Number(process.env.INTEROP_TRIGGER_ROW_LEVEL_ROWS || 3000); // rows per statement, row level
const TRIG_DRAIN_MS = Number(process.env.INTEROP_TRIGGER_DRAIN_TIMEOUT_MS || 240000); // a guard; see drain()
const TRIG_Q = 'interop_trig';
const info = (what) => console.log(`INFO ${what}`); // timings and sizes, not asserted

// The columns of the trigger test tables, and N rows of them from a key prefix: numbers,
// text with quotes and non-ASCII, numeric, timestamptz, arrays, jsonb, booleans, NULL.
const TRIG_COLUMNS = `id int PRIMARY KEY, wf_key text NOT NULL, v int NOT NULL, note text, amount numeric,
  at timestamptz, tags text[], doc jsonb, flag boolean, nothing text`;
const TRIG_ROWS_SQL = `SELECT i, $3 || i, i, 'row ' || i || E' \\u2713 "q" \\\\ ü', i * 1.25,
  timestamptz '2024-01-01 00:00:00+00' + i * interval '1 second', ARRAY['a', i::text, NULL],
  jsonb_build_object('i', i, 'nested', jsonb_build_array(i, 'x', NULL)), i % 2 = 0, NULL
  FROM generate_series($1::int, $2::int) i`;

// Runs fn(client) on a new connection of its own (a fresh backend), closed afterwards.
async function withOwnConnection(fn) {
  const c = new Client(pgConf(TEST_DB));
  await c.connect();
  c.on('error', () => {});
  try {
    return await fn(c);
  } finally {
    await c.end().catch(() => {});
  }
}

async function timed(fn) {
  const t0 = process.hrtime.bigint();
  const r = await fn();
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, r };
}

// Expected changes live in public.trig_expect(tbl, op, row_id, change, workflow_id): one row per
// workflow the test expects (workflow_id when the test knows it).
async function ensureExpectTable() {
  await q(`CREATE TABLE IF NOT EXISTS public.trig_expect (tbl text NOT NULL, op text NOT NULL, row_id text NOT NULL,
             change jsonb NOT NULL, workflow_id text, PRIMARY KEY (tbl, op, row_id))`);
}

// Snapshot of a table's rows, as to_jsonb images (row_to_json gives the same JSON values).
async function snapshot(c, tbl, phase) {
  await c.query(`CREATE TABLE IF NOT EXISTS public.trig_snap (tbl text, phase text, id int, j jsonb, PRIMARY KEY (tbl, phase, id))`);
  await c.query(`INSERT INTO public.trig_snap SELECT $1, $2, t.id, to_jsonb(t) FROM public.${tbl} t`, [tbl, phase]);
  await c.query(`ANALYZE public.trig_snap`);
}

// Records the expected change of every row of a snapshot phase (or of the rows `ids`).
// newPhase/oldPhase name the images (none: JSON null); `cols` is the `columns=` projection;
// idPrefix, when the workflow ID is the row's wf_key (prefix || id).
async function expectChanges(c, tbl, op, { newPhase = null, oldPhase = null, cols = null, idPrefix = null, ids = null } = {}) {
  const params = [tbl, op];
  const p = (v) => `$${params.push(v)}`;
  const image = (phase) => {
    const j = `(SELECT s.j FROM public.trig_snap s WHERE s.tbl = $1 AND s.phase = ${p(phase)} AND s.id = k.id)`;
    return cols ? `(SELECT jsonb_object_agg(col, ${j} -> col) FROM unnest(${p(cols)}::text[]) col)` : j;
  };
  const newImage = newPhase ? image(newPhase) : 'NULL::jsonb';
  const oldImage = oldPhase ? image(oldPhase) : 'NULL::jsonb';
  const wfId = idPrefix ? `${p(idPrefix)}::text || k.id` : 'NULL';
  const keyPhase = p(newPhase || oldPhase);
  const only = ids ? `AND k.id = ANY(${p(ids)}::int[])` : '';
  await c.query(
    `INSERT INTO public.trig_expect (tbl, op, row_id, change, workflow_id)
     SELECT $1, $2, k.id::text,
            jsonb_build_object('op', $2::text, 'schema', 'public', 'table', $1::text, 'new', ${newImage}, 'old', ${oldImage}),
            ${wfId}
       FROM public.trig_snap k
      WHERE k.tbl = $1 AND k.phase = ${keyPhase} ${only}`,
    params,
  );
}

// The onRowChange workflows whose input names `tbl` ($1), among those created since the
// table was ($2, epoch ms: only those inputs are parsed; created_at never runs behind the
// clock, so nothing of the table is missed).
const trigSince = {};
async function createTrigTable(tbl, columns) {
  trigSince[tbl] = Date.now() - 2000;
  await q(`CREATE TABLE public.${tbl} (${columns})`);
}
const sinceOf = (tbl) => trigSince[tbl] ?? 0;
const TRIG_WORKFLOWS_SQL = `
  WITH wf0 AS MATERIALIZED (
    SELECT s.workflow_uuid, s.status, s.name, s.class_name, s.queue_name, s.recovery_attempts, s.priority,
           i.inputs AS inputs_text, o.output AS output_text
      FROM dbos.workflow_status s
      JOIN dbos.workflow_input i USING (workflow_uuid)
      LEFT JOIN dbos.workflow_output o USING (workflow_uuid)
     WHERE s.name = 'onRowChange' AND s.created_at >= $2::bigint),
  wf AS MATERIALIZED (
    SELECT w.*, w.inputs_text::jsonb -> 'positionalArgs' AS args FROM wf0 w),
  mine AS MATERIALIZED (SELECT * FROM wf WHERE args -> 0 ->> 'table' = $1)`;

// Compares workflows, executions and expectations for a table; returns counts that must all
// equal the number of expected workflows (and zeros for the anomaly counters).
async function checkTriggerRuns(tbl) {
  const sql = `${TRIG_WORKFLOWS_SQL},
     runs AS MATERIALIZED (SELECT * FROM public.trigger_runs WHERE tbl = $1),
     exp AS MATERIALIZED (SELECT * FROM public.trig_expect WHERE tbl = $1)
     SELECT (SELECT count(*) FROM exp) AS expected,
            (SELECT count(*) FROM mine) AS workflows,
            (SELECT count(*) FROM mine WHERE status = 'SUCCESS') AS succeeded,
            (SELECT count(*) FROM mine WHERE class_name IS NOT NULL OR queue_name IS DISTINCT FROM '${TRIG_Q}'
                OR jsonb_array_length(args) <> 1 OR recovery_attempts <> 1) AS bad_rows,
            (SELECT count(*) FROM runs) AS executions,
            (SELECT count(DISTINCT workflow_id) FROM runs) AS executed_workflows,
            (SELECT count(*) FROM (SELECT DISTINCT op, row_id FROM runs) x) AS distinct_changes,
            (SELECT count(*) FROM runs r WHERE NOT EXISTS (SELECT 1 FROM mine m WHERE m.workflow_uuid = r.workflow_id)) AS runs_of_unknown_workflows,
            (SELECT count(*) FROM mine m WHERE NOT EXISTS (SELECT 1 FROM runs r WHERE r.workflow_id = m.workflow_uuid)) AS workflows_never_run,
            (SELECT count(*) FROM runs r JOIN exp e USING (op, row_id)
              WHERE r.change = e.change AND (e.workflow_id IS NULL OR e.workflow_id = r.workflow_id)) AS runs_as_expected,
            (SELECT count(*) FROM runs r JOIN mine m ON m.workflow_uuid = r.workflow_id WHERE m.args -> 0 = r.change) AS input_is_what_ran,
            (SELECT count(*) FROM runs r JOIN mine m ON m.workflow_uuid = r.workflow_id
              WHERE m.output_text::jsonb = jsonb_build_object('op', r.op, 'id', r.row_id)) AS outputs_right`;
  // The CTEs carry no statistics: without enable_nestloop = off the planner may pick nested
  // loops over tens of thousands of rows (minutes instead of a second).
  const r = await withClient(async (c) => {
    await c.query('BEGIN');
    try {
      await c.query('SET LOCAL enable_nestloop = off');
      return (await c.query(sql, [tbl, sinceOf(tbl)])).rows[0];
    } finally {
      await c.query('ROLLBACK');
    }
  });
  const out = {};
  for (const [k, v] of Object.entries(r)) out[k] = Number(v);
  return out;
}

async function assertTriggerRuns(tbl, n) {
  const got = await checkTriggerRuns(tbl);
  const want = {
    expected: n,
    workflows: n,
    succeeded: n,
    bad_rows: 0,
    executions: n,
    executed_workflows: n,
    distinct_changes: n,
    runs_of_unknown_workflows: 0,
    workflows_never_run: 0,
    runs_as_expected: n,
    input_is_what_ran: n,
    outputs_right: n,
  };
  if (JSON.stringify(got) !== JSON.stringify(want)) {
    const diff = Object.keys(want).filter((k) => got[k] !== want[k]).map((k) => `${k}=${got[k]} (want ${want[k]})`);
    let sample = '';
    if (got.runs_as_expected !== n) {
      const bad = await one(
        `SELECT r.workflow_id, r.op, r.row_id, r.change, e.change AS expected FROM public.trigger_runs r
           LEFT JOIN public.trig_expect e ON e.tbl = r.tbl AND e.op = r.op AND e.row_id = r.row_id
          WHERE r.tbl = $1 AND (e.change IS DISTINCT FROM r.change OR (e.workflow_id IS NOT NULL AND e.workflow_id <> r.workflow_id)) LIMIT 1`,
        [tbl],
      );
      if (bad) sample = `; e.g. ${JSON.stringify(bad)}`;
    }
    assert.fail(`${tbl}: ${diff.join(', ')}${sample}`);
  }
}

// Waits until `n` executions of `tbl` are recorded and nothing is left to run on the trigger
// queue; returns the time it took. Fails early when no execution was recorded for 30 s.
async function drain(tbl, n, timeoutMs = TRIG_DRAIN_MS) {
  const t0 = Date.now();
  let last = null;
  let progress = { runs: -1, at: Date.now() };
  try {
    await waitFor(`${n} executions for ${tbl}`, async () => {
      last = await one(
        `SELECT (SELECT count(*) FROM public.trigger_runs WHERE tbl = $1) AS runs,
                (SELECT count(*) FROM dbos.workflow_status WHERE queue_name = $2 AND status IN ('ENQUEUED', 'PENDING'))
                + (SELECT count(*) FROM dbos.workflow_status WHERE queue_name = $2 AND status = 'DELAYED') AS active`,
        [tbl, TRIG_Q],
      );
      const runs = Number(last.runs);
      if (runs !== progress.runs) progress = { runs, at: Date.now() };
      else if (Date.now() - progress.at > 30000) throw new Error(`no execution for ${tbl} recorded in 30 s`);
      return runs >= n && Number(last.active) === 0;
    }, timeoutMs, 250);
  } catch (e) {
    e.message += ` (last: ${last ? `${last.runs} of ${n} executions, ${last.active} workflows still queued or running` : 'none'})`;
    throw e;
  }
  return Date.now() - t0;
}

// Counts onRowChange workflows created since `tbl` was (cheap: no input is parsed), to see that
// a statement enqueued nothing.
async function countRecent(c, tbl) {
  return Number((await c.query(`SELECT count(*) AS n FROM dbos.workflow_status WHERE name = 'onRowChange' AND created_at >= $1`, [sinceOf(tbl)])).rows[0].n);
}

// Counts the workflows (in the caller's snapshot) whose input names `tbl`, by operation.
async function countByOp(c, tbl) {
  const r = await c.query(
    `${TRIG_WORKFLOWS_SQL} SELECT args -> 0 ->> 'op' AS op, count(*) AS n FROM mine GROUP BY 1`,
    [tbl, sinceOf(tbl)],
  );
  const out = { INSERT: 0, UPDATE: 0, DELETE: 0 };
  for (const row of r.rows) out[row.op] = Number(row.n);
  return out;
}

test('trigger_statement_level_bulk_insert_update_delete', async () => {
  await ensureExpectTable();
  const N = TRIG_N;
  const key = wid('stmt-');
  await createTrigTable('trig_stmt', TRIG_COLUMNS);
  await createTrigTable('trig_plain', TRIG_COLUMNS);
  await q(`CREATE TRIGGER trig_stmt_ins AFTER INSERT ON public.trig_stmt REFERENCING NEW TABLE AS new_rows
             FOR EACH STATEMENT EXECUTE FUNCTION dbos.enqueue_trigger('${TRIG_Q}', '', 'onRowChange', 'workflow_id_column=wf_key')`);
  await q(`CREATE TRIGGER trig_stmt_upd AFTER UPDATE ON public.trig_stmt REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows
             FOR EACH STATEMENT EXECUTE FUNCTION dbos.enqueue_trigger('${TRIG_Q}', '', 'onRowChange', 'when_changed=v')`);
  await q(`CREATE TRIGGER trig_stmt_del AFTER DELETE ON public.trig_stmt REFERENCING OLD TABLE AS old_rows
             FOR EACH STATEMENT EXECUTE FUNCTION dbos.enqueue_trigger('${TRIG_Q}', '', 'onRowChange')`);
  const t = await withOwnConnection(async (c) => {
    const times = {};
    times.plain = (await timed(() => c.query(`INSERT INTO public.trig_plain ${TRIG_ROWS_SQL}`, [1, N, key]))).ms;
    // INSERT, in an explicit transaction to look at the rows before any worker can.
    await c.query('BEGIN');
    times.insert = (await timed(() => c.query(`INSERT INTO public.trig_stmt ${TRIG_ROWS_SQL}`, [1, N, key]))).ms;
    // created_at (README, "created_at"): one millisecond per row, never more than 1 s ahead
    // of the clock.
    const inTx = (await c.query(
      `SELECT count(*) AS n, count(DISTINCT s.xmin::text) AS xmins, bool_and(s.xmin::text::bigint = txid_current() % 4294967296) AS own_xid,
              max(s.created_at) <= (extract(epoch FROM clock_timestamp()) * 1000)::bigint + 1000 AS created_within_1s_of_clock,
              bool_and(s.status = 'ENQUEUED') AS enqueued
         FROM dbos.workflow_status s WHERE s.workflow_uuid LIKE $1`, [key + '%'])).rows[0];
    assert.deepEqual({ n: Number(inTx.n), xmins: Number(inTx.xmins), own_xid: inTx.own_xid, created_within_1s_of_clock: inTx.created_within_1s_of_clock, enqueued: inTx.enqueued },
      { n: N, xmins: 1, own_xid: true, created_within_1s_of_clock: true, enqueued: true },
      'inside the INSERT transaction: one ENQUEUED workflow per row, written by the statement itself (no subtransaction), created_at at most 1 s ahead of the clock');
    await c.query('COMMIT');
    await snapshot(c, 'trig_stmt', 'inserted');
    // UPDATE every row, with the when_changed column really changing.
    times.update = (await timed(() => c.query(`UPDATE public.trig_stmt SET v = v + 1, note = note || ' ✎', doc = doc || '{"u": true}'`))).ms;
    await snapshot(c, 'trig_stmt', 'updated');
    // An UPDATE that leaves v alone enqueues nothing.
    const before = await countRecent(c, 'trig_stmt');
    await c.query(`UPDATE public.trig_stmt SET amount = amount + 1`);
    assert.equal(await countRecent(c, 'trig_stmt'), before, 'an UPDATE that does not change the when_changed column enqueues nothing');
    await snapshot(c, 'trig_stmt', 'before_delete');
    times.delete = (await timed(() => c.query(`DELETE FROM public.trig_stmt`))).ms;
    assert.deepEqual(await countByOp(c, 'trig_stmt'), { INSERT: N, UPDATE: N, DELETE: N }, 'workflows written per operation');
    await expectChanges(c, 'trig_stmt', 'INSERT', { newPhase: 'inserted', idPrefix: key });
    await expectChanges(c, 'trig_stmt', 'UPDATE', { newPhase: 'updated', oldPhase: 'inserted' });
    await expectChanges(c, 'trig_stmt', 'DELETE', { oldPhase: 'before_delete' });
    return times;
  });
  const drainMs = await drain('trig_stmt', 3 * N);
  await assertTriggerRuns('trig_stmt', 3 * N);
  info(`statement-level ${N}-row INSERT ${t.insert.toFixed(0)} ms (same INSERT without trigger ${t.plain.toFixed(0)} ms), ` +
    `UPDATE ${t.update.toFixed(0)} ms, DELETE ${t.delete.toFixed(0)} ms; worker ran the ${3 * N} workflows in ` +
    `${(drainMs / 1000).toFixed(1)} s after the DELETE (${((3 * N) / (drainMs / 1000)).toFixed(0)}/s)`);
}, { timeoutMs: TRIG_DRAIN_MS + 60000 });

test('trigger_replay_with_workflow_id_column_enqueues_nothing_new', async () => {
  // The statement-level test left trig_stmt empty, its N INSERT workflows done. Inserting
  // the same rows again (same wf_key) is a replay: no new workflow, no new execution; the
  // extra rows of the same statement do enqueue.
  const N = TRIG_N;
  const key = wid('stmt-');
  const extra = 50;
  const before = await one(`SELECT count(*) AS n FROM dbos.workflow_status WHERE workflow_uuid LIKE $1`, [key + '%']);
  assert.equal(Number(before.n), N, 'the statement-level test left its INSERT workflows');
  const ms = await withOwnConnection(async (c) => (await timed(() => c.query(`INSERT INTO public.trig_stmt ${TRIG_ROWS_SQL}`, [1, N + extra, key]))).ms);
  const after = await one(`SELECT count(*) AS n FROM dbos.workflow_status WHERE workflow_uuid LIKE $1`, [key + '%']);
  assert.equal(Number(after.n), N + extra, `replaying ${N} rows with ${extra} new ones adds exactly ${extra} workflows`);
  await withOwnConnection(async (c) => {
    await snapshot(c, 'trig_stmt', 'replayed');
    await expectChanges(c, 'trig_stmt', 'INSERT', { newPhase: 'replayed', idPrefix: key, ids: Array.from({ length: extra }, (_, i) => N + 1 + i) });
  });
  await drain('trig_stmt', 3 * N + extra);
  await sleep(1000); // anything the replay wrongly enqueued would have run by now
  const r = await one(
    `SELECT count(*) AS runs, count(DISTINCT r.workflow_id) AS workflows,
            count(*) FILTER (WHERE e.change = r.change AND e.workflow_id = r.workflow_id) AS as_expected,
            count(*) FILTER (WHERE s.status = 'SUCCESS' AND s.recovery_attempts = 1) AS succeeded_once
       FROM public.trigger_runs r
       LEFT JOIN public.trig_expect e ON e.tbl = r.tbl AND e.op = r.op AND e.row_id = r.row_id
       LEFT JOIN dbos.workflow_status s ON s.workflow_uuid = r.workflow_id
      WHERE r.tbl = 'trig_stmt' AND r.op = 'INSERT'`,
  );
  const n = N + extra;
  assert.deepEqual(
    { runs: Number(r.runs), workflows: Number(r.workflows), as_expected: Number(r.as_expected), succeeded_once: Number(r.succeeded_once) },
    { runs: n, workflows: n, as_expected: n, succeeded_once: n },
    `INSERT executions of trig_stmt after the replay: the ${N} first ones and the ${extra} new rows, each once`,
  );
  info(`replayed ${N}-row INSERT (${N} existing workflow IDs, ${extra} new) took ${ms.toFixed(0)} ms`);
}, { timeoutMs: TRIG_DRAIN_MS + 60000 });

test('trigger_row_level_insert_update_delete', async () => {
  await ensureExpectTable();
  const N = TRIG_ROW_N;
  const cols = ['id', 'wf_key', 'v', 'note', 'at', 'doc'];
  await createTrigTable('trig_row', TRIG_COLUMNS);
  await q(`CREATE TRIGGER trig_row_all AFTER INSERT OR UPDATE OR DELETE ON public.trig_row
             FOR EACH ROW EXECUTE FUNCTION dbos.enqueue_trigger('${TRIG_Q}', '', 'onRowChange', 'when_changed=v', 'columns=${cols.join(',')}')`);
  const t = await withOwnConnection(async (c) => {
    const times = {};
    times.insert = (await timed(() => c.query(`INSERT INTO public.trig_row ${TRIG_ROWS_SQL}`, [1, N, wid('row-')]))).ms;
    await snapshot(c, 'trig_row', 'inserted');
    times.update = (await timed(() => c.query(`UPDATE public.trig_row SET v = v * 2, note = note || ' ✎'`))).ms;
    await snapshot(c, 'trig_row', 'updated');
    const before = await countRecent(c, 'trig_row');
    await c.query(`UPDATE public.trig_row SET amount = amount + 1, note = note || '!'`);
    assert.equal(await countRecent(c, 'trig_row'), before, 'an UPDATE that does not change the when_changed column enqueues nothing');
    await snapshot(c, 'trig_row', 'before_delete');
    times.delete = (await timed(() => c.query(`DELETE FROM public.trig_row`))).ms;
    assert.deepEqual(await countByOp(c, 'trig_row'), { INSERT: N, UPDATE: N, DELETE: N }, 'workflows written per operation');
    await expectChanges(c, 'trig_row', 'INSERT', { newPhase: 'inserted', cols });
    await expectChanges(c, 'trig_row', 'UPDATE', { newPhase: 'updated', oldPhase: 'inserted', cols });
    await expectChanges(c, 'trig_row', 'DELETE', { oldPhase: 'before_delete', cols });
    return times;
  });
  const drainMs = await drain('trig_row', 3 * N);
  await assertTriggerRuns('trig_row', 3 * N);
  info(`row-level ${N}-row INSERT ${t.insert.toFixed(0)} ms, UPDATE ${t.update.toFixed(0)} ms, DELETE ${t.delete.toFixed(0)} ms; ` +
    `worker ran the ${3 * N} workflows in ${(drainMs / 1000).toFixed(1)} s after the DELETE (${((3 * N) / (drainMs / 1000)).toFixed(0)}/s)`);
}, { timeoutMs: TRIG_DRAIN_MS + 60000 });

test('trigger_rolled_back_bulk_insert_leaves_no_workflow', async () => {
  await ensureExpectTable();
  const N = TRIG_N;
  const rbKey = wid('rb-');
  const okKey = wid('sp-');
  await createTrigTable('trig_rb_stmt', TRIG_COLUMNS);
  await createTrigTable('trig_rb_row', TRIG_COLUMNS);
  await q(`CREATE TRIGGER trig_rb_stmt_ins AFTER INSERT ON public.trig_rb_stmt REFERENCING NEW TABLE AS new_rows
             FOR EACH STATEMENT EXECUTE FUNCTION dbos.enqueue_trigger('${TRIG_Q}', '', 'onRowChange', 'workflow_id_column=wf_key')`);
  await q(`CREATE TRIGGER trig_rb_row_ins AFTER INSERT ON public.trig_rb_row
             FOR EACH ROW EXECUTE FUNCTION dbos.enqueue_trigger('${TRIG_Q}', '', 'onRowChange')`);
  const rbTimes = {};
  const savepointRows = await withOwnConnection(async (c) => {
    for (const tbl of ['trig_rb_stmt', 'trig_rb_row']) {
      await c.query('BEGIN');
      rbTimes[tbl] = (await timed(() => c.query(`INSERT INTO public.${tbl} ${TRIG_ROWS_SQL}`, [1, N, rbKey]))).ms;
      assert.deepEqual(await countByOp(c, tbl), { INSERT: N, UPDATE: 0, DELETE: 0 }, `${tbl}: the transaction sees its ${N} workflows`);
      await c.query('ROLLBACK');
    }
    // An N-row INSERT rolled back to a savepoint, between two that commit.
    await c.query('BEGIN');
    await c.query(`INSERT INTO public.trig_rb_stmt ${TRIG_ROWS_SQL}`, [1, 100, okKey]);
    await c.query('SAVEPOINT s');
    await c.query(`INSERT INTO public.trig_rb_stmt ${TRIG_ROWS_SQL}`, [101, 100 + N, okKey]);
    await c.query('ROLLBACK TO SAVEPOINT s');
    await c.query(`INSERT INTO public.trig_rb_stmt ${TRIG_ROWS_SQL}`, [N + 101, N + 120, okKey]);
    await c.query('COMMIT');
    await snapshot(c, 'trig_rb_stmt', 'committed');
    await expectChanges(c, 'trig_rb_stmt', 'INSERT', { newPhase: 'committed', idPrefix: okKey });
    return 120;
  });
  for (const t of ['workflow_status', 'workflow_input']) {
    assert.equal(Number(await val(`SELECT count(*) FROM dbos.${t} WHERE workflow_uuid LIKE $1`, [rbKey + '%'])), 0, `rolled-back statement-level INSERT leaves nothing in ${t}`);
  }
  assert.deepEqual(await countByOp(pool, 'trig_rb_row'), { INSERT: 0, UPDATE: 0, DELETE: 0 }, 'rolled-back row-level INSERT leaves no workflow');
  assert.equal(Number(await val(`SELECT count(*) FROM dbos.workflow_status WHERE workflow_uuid LIKE $1`, [okKey + '%'])), savepointRows,
    'only the rows outside the rolled-back savepoint enqueued');
  await drain('trig_rb_stmt', savepointRows, 30000);
  await sleep(1000);
  await assertTriggerRuns('trig_rb_stmt', savepointRows);
  assert.equal(Number(await val(`SELECT count(*) FROM public.trigger_runs WHERE tbl = 'trig_rb_row' OR workflow_id LIKE $1`, [rbKey + '%'])), 0,
    'the worker ran nothing of the rolled-back statements');
  info(`${N}-row INSERT (rolled back): statement-level trigger ${rbTimes.trig_rb_stmt.toFixed(0)} ms, row-level trigger ${rbTimes.trig_rb_row.toFixed(0)} ms`);
}, { timeoutMs: 60000 });

// Inserts expected changes given as JS objects: [{ op, row_id, new, old, workflow_id }].
async function expectJs(tbl, list) {
  await ensureExpectTable();
  for (const e of list) {
    const change = { op: e.op, schema: 'public', table: tbl, new: e.new ?? null, old: e.old ?? null };
    await q(`INSERT INTO public.trig_expect (tbl, op, row_id, change, workflow_id) VALUES ($1, $2, $3, $4, $5)`,
      [tbl, e.op, String(e.row_id), JSON.stringify(change), e.workflow_id ?? null]);
  }
}

test('trigger_options_columns_and_when_changed_statement_level', async () => {
  await createTrigTable('trig_cols', 'id int PRIMARY KEY, v int NOT NULL, note text, flag boolean, maybe text');
  await q(`INSERT INTO public.trig_cols SELECT i, i, 'n' || i, false, NULL FROM generate_series(1, 20) i`);
  await q(`CREATE TRIGGER trig_cols_upd AFTER UPDATE ON public.trig_cols REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows
             FOR EACH STATEMENT EXECUTE FUNCTION dbos.enqueue_trigger('${TRIG_Q}', '', 'onRowChange', 'when_changed=v, maybe', 'columns=id,v')`);
  await q(`UPDATE public.trig_cols SET v = v + (id % 2), note = note || '!'`); // odd ids change v
  await q(`UPDATE public.trig_cols SET note = 'only note', flag = true`); // no watched column changes
  await q(`UPDATE public.trig_cols SET maybe = 'now set' WHERE id = 20`); // NULL -> value is a change
  await q(`UPDATE public.trig_cols SET v = v WHERE id = 20`); // same value: no change
  const list = [];
  for (let id = 1; id <= 19; id += 2) list.push({ op: 'UPDATE', row_id: id, new: { id, v: id + 1 }, old: { id, v: id } });
  list.push({ op: 'UPDATE', row_id: 20, new: { id: 20, v: 20 }, old: { id: 20, v: 20 } });
  await expectJs('trig_cols', list);
  await drain('trig_cols', list.length, 20000);
  await sleep(500);
  await assertTriggerRuns('trig_cols', list.length);
});

test('trigger_option_priority_observed_by_worker', async () => {
  // Two statement-level triggers on one table, on the serial queue (one at a time): the one
  // that fires first (triggers fire in name order) has priority 9, the other priority 1. All
  // priority-1 workflows must run first, each priority in row order.
  await createTrigTable('trig_prio', 'id int PRIMARY KEY, v int');
  await q(`CREATE TRIGGER trig_prio_a AFTER INSERT ON public.trig_prio REFERENCING NEW TABLE AS new_rows
             FOR EACH STATEMENT EXECUTE FUNCTION dbos.enqueue_trigger('interop_serial', '', 'onRowChange', 'priority=9')`);
  await q(`CREATE TRIGGER trig_prio_b AFTER INSERT ON public.trig_prio REFERENCING NEW TABLE AS new_rows
             FOR EACH STATEMENT EXECUTE FUNCTION dbos.enqueue_trigger('interop_serial', '', 'onRowChange', 'priority=1')`);
  await q(`INSERT INTO public.trig_prio SELECT i, i * 10 FROM generate_series(1, 4) i`);
  await waitFor('8 executions of trig_prio', async () => Number(await val(`SELECT count(*) FROM public.trigger_runs WHERE tbl = 'trig_prio'`)) >= 8, 20000, 200);
  const rows = (await q(
    `SELECT r.row_id, s.priority, s.status, s.created_at, s.started_at_epoch_ms FROM public.trigger_runs r
       JOIN dbos.workflow_status s ON s.workflow_uuid = r.workflow_id WHERE r.tbl = 'trig_prio' ORDER BY r.n`)).rows;
  assert.deepEqual(rows.map((r) => `${r.priority}:${r.row_id}`), ['1:1', '1:2', '1:3', '1:4', '9:1', '9:2', '9:3', '9:4'], 'execution order');
  const byStart = [...rows].sort((a, b) => Number(a.started_at_epoch_ms) - Number(b.started_at_epoch_ms));
  assert.deepEqual(byStart.map((r) => `${r.priority}:${r.row_id}`), ['1:1', '1:2', '1:3', '1:4', '9:1', '9:2', '9:3', '9:4'], 'dequeue order');
  const prio9 = rows.filter((r) => r.priority === 9).map((r) => Number(r.created_at));
  const prio1 = rows.filter((r) => r.priority === 1).map((r) => Number(r.created_at));
  assert.ok(Math.max(...prio9) < Math.min(...prio1), 'the priority-9 rows were enqueued first (so order comes from priority)');
});

test('trigger_option_delay_and_timeout_observed_by_worker', async () => {
  // Statement- and row-level, delay 2 s (and a 30 s timeout on the statement-level one), on a
  // fresh connection. Every workflow is DELAYED at commit and runs no earlier than 2 s later.
  const n = 20;
  await createTrigTable('trig_delay_stmt', 'id int PRIMARY KEY, v int');
  await createTrigTable('trig_delay_row', 'id int PRIMARY KEY, v int');
  await q(`CREATE TRIGGER trig_delay_stmt_ins AFTER INSERT ON public.trig_delay_stmt REFERENCING NEW TABLE AS new_rows
             FOR EACH STATEMENT EXECUTE FUNCTION dbos.enqueue_trigger('${TRIG_Q}', '', 'onRowChange', 'delay=2 s', 'timeout=30 s')`);
  await q(`CREATE TRIGGER trig_delay_row_ins AFTER INSERT ON public.trig_delay_row
             FOR EACH ROW EXECUTE FUNCTION dbos.enqueue_trigger('${TRIG_Q}', '', 'onRowChange', 'delay=2 s')`);
  const t = await withOwnConnection(async (c) => {
    const before = Date.now();
    await c.query('BEGIN');
    await c.query(`INSERT INTO public.trig_delay_stmt SELECT i, i FROM generate_series(1, ${n}) i`);
    await c.query(`INSERT INTO public.trig_delay_row SELECT i, i FROM generate_series(1, ${n}) i`);
    // What the triggers wrote, seen before any worker can see it: every workflow DELAYED.
    const st = (await c.query(`SELECT s.status, count(*)::int AS n FROM dbos.workflow_status s JOIN dbos.workflow_input i USING (workflow_uuid)
                                WHERE s.name = 'onRowChange' AND s.created_at >= $1
                                  AND i.inputs::jsonb #>> '{positionalArgs,0,table}' IN ('trig_delay_stmt', 'trig_delay_row') GROUP BY 1`,
    [sinceOf('trig_delay_stmt')])).rows;
    await c.query('COMMIT');
    return { before, committed: Date.now(), st };
  });
  assert.deepEqual(t.st, [{ status: 'DELAYED', n: 2 * n }], 'in the transaction of the INSERTs, every workflow is DELAYED');
  const rowsSql = `SELECT r.tbl, s.workflow_uuid, s.status, s.created_at, s.delay_until_epoch_ms, s.started_at_epoch_ms,
                          s.workflow_timeout_ms, s.workflow_deadline_epoch_ms, (extract(epoch FROM r.ran_at) * 1000)::bigint AS ran_ms
                     FROM dbos.workflow_status s JOIN dbos.workflow_input i USING (workflow_uuid)
                     LEFT JOIN public.trigger_runs r ON r.workflow_id = s.workflow_uuid
                    WHERE s.name = 'onRowChange' AND s.created_at >= ${sinceOf('trig_delay_stmt')}
                      AND i.inputs::jsonb #>> '{positionalArgs,0,table}' IN ('trig_delay_stmt', 'trig_delay_row')`;
  const at0 = (await q(rowsSql)).rows;
  assert.equal(at0.length, 2 * n);
  for (const r of at0) {
    const created = Number(r.created_at);
    const until = Number(r.delay_until_epoch_ms);
    // delay_until counts from the real clock (created_at may run ahead after a bulk enqueue).
    assert.ok(until - created <= 2000 + 1000, `delay_until_epoch_ms - created_at of ${r.workflow_uuid}: ${until - created}`);
    assert.ok(until >= t.before + 2000, `delay_until ${until} is at least 2 s after the statement began (${t.before})`);
    assert.ok(until <= t.committed + 2000 + 1000, `delay_until ${until - t.committed} ms after the commit, expected about 2000`);
  }
  await waitFor('the delayed workflows to run', async () => {
    const r = await one(`SELECT count(*) AS n FROM public.trigger_runs WHERE tbl IN ('trig_delay_stmt', 'trig_delay_row')`);
    return Number(r.n) >= 2 * n;
  }, 20000, 200);
  await waitFor('the delayed workflows to finish', async () => (await q(rowsSql)).rows.every((r) => r.status === 'SUCCESS'), 10000, 200);
  const done = (await q(rowsSql)).rows;
  for (const r of done) {
    const until = Number(r.delay_until_epoch_ms);
    assert.ok(Number(r.started_at_epoch_ms) >= until, `${r.workflow_uuid} dequeued ${until - Number(r.started_at_epoch_ms)} ms before its delay ended`);
    assert.ok(Number(r.ran_ms) >= until, `${r.workflow_uuid} ran ${until - Number(r.ran_ms)} ms before its delay ended`);
    assert.ok(Number(r.ran_ms) - t.committed >= 1900, `${r.workflow_uuid} ran ${Number(r.ran_ms) - t.committed} ms after the commit`);
    if (r.tbl === 'trig_delay_stmt') {
      assert.equal(Number(r.workflow_timeout_ms), 30000, 'timeout=30 s');
      assert.equal(Number(r.workflow_deadline_epoch_ms) - Number(r.started_at_epoch_ms), 30000, 'the worker set the deadline from the timeout at dequeue');
    } else {
      assert.equal(r.workflow_timeout_ms, null);
    }
  }
  const counts = {};
  for (const r of done) counts[r.tbl] = (counts[r.tbl] || 0) + 1;
  assert.deepEqual(counts, { trig_delay_stmt: n, trig_delay_row: n });
});

test('trigger_option_partition_column_observed_by_worker', async () => {
  await createTrigTable('trig_part', 'id int PRIMARY KEY, grp text');
  await q(`CREATE TRIGGER trig_part_ins AFTER INSERT ON public.trig_part REFERENCING NEW TABLE AS new_rows
             FOR EACH STATEMENT EXECUTE FUNCTION dbos.enqueue_trigger('interop_part', '', 'onRowChange', 'partition_column=grp')`);
  await q(`INSERT INTO public.trig_part SELECT i, 'tenant-' || (i % 3) FROM generate_series(1, 9) i`);
  await waitFor('9 executions of trig_part', async () => Number(await val(`SELECT count(*) FROM public.trigger_runs WHERE tbl = 'trig_part'`)) >= 9, 20000, 200);
  const rows = (await q(
    `SELECT r.row_id, r.change, s.queue_partition_key FROM public.trigger_runs r JOIN dbos.workflow_status s ON s.workflow_uuid = r.workflow_id
      WHERE r.tbl = 'trig_part' ORDER BY r.row_id::int`)).rows;
  assert.equal(rows.length, 9, 'each row ran once');
  for (const r of rows) assert.equal(r.queue_partition_key, `tenant-${Number(r.row_id) % 3}`, `partition key of row ${r.row_id}`);
});

test('trigger_option_deduplication_column', async () => {
  // On the parked queue the holders stay active: a second row with the same value is refused
  // with 23505 (across statements and within one), and the whole statement writes nothing.
  await createTrigTable('trig_dedup', 'id int PRIMARY KEY, dd text');
  await q(`CREATE TRIGGER trig_dedup_ins AFTER INSERT ON public.trig_dedup REFERENCING NEW TABLE AS new_rows
             FOR EACH STATEMENT EXECUTE FUNCTION dbos.enqueue_trigger('interop_parked', '', 'onRowChange', 'deduplication_column=dd')`);
  const dd = wid('dd-');
  await q(`INSERT INTO public.trig_dedup VALUES (1, $1 || 'a'), (2, $1 || 'b')`, [dd]);
  const holders = (await q(`SELECT workflow_uuid FROM dbos.workflow_status WHERE deduplication_id LIKE $1`, [dd + '%'])).rows.map((r) => r.workflow_uuid);
  assert.equal(holders.length, 2);
  try {
    await expectPgError(q(`INSERT INTO public.trig_dedup VALUES (3, $1 || 'c'), (4, $1 || 'a')`, [dd]), '23505', 'a row whose value is held by an active workflow');
    await expectPgError(q(`INSERT INTO public.trig_dedup VALUES (5, $1 || 'z'), (6, $1 || 'z')`, [dd]), '23505', 'two rows with the same value in one statement');
    assert.equal(Number(await val(`SELECT count(*) FROM public.trig_dedup`)), 2, 'the refused statements inserted nothing');
    assert.equal(Number(await val(`SELECT count(*) FROM dbos.workflow_status WHERE deduplication_id LIKE $1`, [dd + '%'])), 2, 'and enqueued nothing');
  } finally {
    await dbosClient.cancelWorkflows(holders);
  }
  // With the real worker: the ID is released when the workflow ends, and can be used again.
  await createTrigTable('trig_dedup_run', 'id int PRIMARY KEY, dd text');
  await q(`CREATE TRIGGER trig_dedup_run_ins AFTER INSERT ON public.trig_dedup_run REFERENCING NEW TABLE AS new_rows
             FOR EACH STATEMENT EXECUTE FUNCTION dbos.enqueue_trigger('${TRIG_Q}', '', 'onRowChange', 'deduplication_column=dd')`);
  await q(`INSERT INTO public.trig_dedup_run VALUES (1, $1)`, [dd + 'run']);
  await drain('trig_dedup_run', 1, 15000);
  await waitFor('the first holder to end', async () => Number(await val(`SELECT count(*) FROM dbos.workflow_status WHERE deduplication_id = $1`, [dd + 'run'])) === 0, 10000);
  await q(`INSERT INTO public.trig_dedup_run VALUES (2, $1)`, [dd + 'run']);
  await drain('trig_dedup_run', 2, 15000);
  const runs = (await q(`SELECT row_id FROM public.trigger_runs WHERE tbl = 'trig_dedup_run' ORDER BY n`)).rows.map((r) => r.row_id);
  assert.deepEqual(runs, ['1', '2']);
});

test('trigger_options_app_version_and_application_name', async () => {
  // One trigger names this worker's application and version (runs), another a version no
  // worker runs (stays ENQUEUED).
  await createTrigTable('trig_own', 'id int PRIMARY KEY');
  await q(`CREATE TRIGGER trig_own_a AFTER INSERT ON public.trig_own REFERENCING NEW TABLE AS new_rows
             FOR EACH STATEMENT EXECUTE FUNCTION dbos.enqueue_trigger('${TRIG_Q}', '', 'onRowChange', 'app_version=${APP_VERSION}', 'application_name=${APP_NAME}')`);
  await q(`CREATE TRIGGER trig_own_b AFTER INSERT ON public.trig_own
             FOR EACH ROW EXECUTE FUNCTION dbos.enqueue_trigger('${TRIG_Q}', '', 'onRowChange', 'app_version=not-this-version')`);
  await q(`INSERT INTO public.trig_own SELECT generate_series(1, 3)`);
  const rows = (await q(`${TRIG_WORKFLOWS_SQL} SELECT m.workflow_uuid, s.application_version, s.application_name FROM mine m
                          JOIN dbos.workflow_status s USING (workflow_uuid)`, ['trig_own', sinceOf('trig_own')])).rows;
  const mineRows = rows.filter((r) => r.application_version === APP_VERSION);
  const others = rows.filter((r) => r.application_version === 'not-this-version');
  assert.equal(mineRows.length, 3);
  assert.equal(others.length, 3);
  try {
    for (const r of mineRows) assert.equal(r.application_name, APP_NAME);
    for (const r of others) assert.equal(r.application_name, null);
    await waitFor('the three workflows of this version to run', async () => Number(await val(`SELECT count(*) FROM public.trigger_runs WHERE tbl = 'trig_own'`)) >= 3, 15000, 200);
    await sleep(1500);
    const ran = (await q(`SELECT workflow_id FROM public.trigger_runs WHERE tbl = 'trig_own'`)).rows.map((r) => r.workflow_id).sort();
    assert.deepEqual(ran, mineRows.map((r) => r.workflow_uuid).sort(), 'only the workflows of this version ran');
    for (const r of others) assert.equal((await statusRow(r.workflow_uuid)).status, 'ENQUEUED');
  } finally {
    await dbosClient.cancelWorkflows(others.map((r) => r.workflow_uuid));
  }
});

test('trigger_when_changed_compares_values_not_storage', async () => {
  // An UPDATE that writes the same value again (as ORMs do for every column) does not change
  // it, whatever its storage: here a large text stored out of line. Only the real change runs.
  // 6,400 hex digits: barely compressible, so stored out of line (TOAST).
  const big = Array.from({ length: 200 }, (_, i) => require('node:crypto').createHash('md5').update(String(i)).digest('hex')).join('');
  await createTrigTable('trig_toast', 'id int PRIMARY KEY, big text, note text');
  await q(`INSERT INTO public.trig_toast VALUES (1, $1, 'n')`, [big]);
  const stored = Number(await val(`SELECT pg_column_size(big) FROM public.trig_toast`));
  await q(`CREATE TRIGGER trig_toast_stmt AFTER UPDATE ON public.trig_toast REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows
             FOR EACH STATEMENT EXECUTE FUNCTION dbos.enqueue_trigger('${TRIG_Q}', '', 'onRowChange', 'when_changed=big', 'columns=id,note')`);
  await q(`CREATE TRIGGER trig_toast_row AFTER UPDATE ON public.trig_toast
             FOR EACH ROW EXECUTE FUNCTION dbos.enqueue_trigger('${TRIG_Q}', '', 'onRowChange', 'when_changed=big', 'columns=id,note')`);
  await q(`UPDATE public.trig_toast SET big = $1, note = 'same value written again'`, [big]); // no change of big
  await q(`UPDATE public.trig_toast SET big = big || '', note = 'same value recomputed'`); // no change of big
  await q(`UPDATE public.trig_toast SET big = big || '!', note = 'really changed'`); // the one change
  await drain('trig_toast', 2, 20000);
  await sleep(500);
  const ran = (await q(`SELECT change -> 'new' ->> 'note' AS note FROM public.trigger_runs WHERE tbl = 'trig_toast' ORDER BY n`)).rows.map((r) => r.note);
  assert.deepEqual(ran, ['really changed', 'really changed'],
    `UPDATEs that leave a ${big.length}-character text (${stored} bytes stored) as it was must not count as a change of when_changed=big ` +
    '(one workflow per trigger for the real change)');
});

test('trigger_statement_level_survives_a_concurrent_analyze', async () => {
  // A relation-cache invalidation of the table (here from an ANALYZE in another session) that
  // arrives while a statement-level trigger is writing its batches must not change what it
  // writes. The invalidation is made to arrive during the first batch: a third session holds
  // a lock that batch needs until the ANALYZE has committed. (Autovacuum does the same at
  // random times: a 10,000-row UPDATE once enqueued only its first 8,000 workflows.)
  const N = 3000;
  await createTrigTable('trig_inval', 'id int PRIMARY KEY, v int NOT NULL, note text');
  await q(`INSERT INTO public.trig_inval SELECT i, i, 'n' || i FROM generate_series(1, ${N}) i`);
  await q(`CREATE TRIGGER trig_inval_upd AFTER UPDATE ON public.trig_inval REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows
             FOR EACH STATEMENT EXECUTE FUNCTION dbos.enqueue_trigger('${TRIG_Q}', '', 'onRowChange', 'when_changed=v')`);
  await withOwnConnection(async (a) => {
    await snapshot(a, 'trig_inval', 'before');
    await withOwnConnection(async (b) => {
      await b.query('BEGIN');
      await b.query('LOCK TABLE dbos.workflow_input IN ACCESS EXCLUSIVE MODE');
      const aPid = (await a.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
      let settled = false;
      const update = a.query(`UPDATE public.trig_inval SET v = v + 1`).then(() => null, (e) => e).finally(() => {
        settled = true;
      });
      try {
        await waitFor('the UPDATE to wait for the lock', async () =>
          settled || (await one(`SELECT wait_event_type FROM pg_stat_activity WHERE pid = $1`, [aPid])).wait_event_type === 'Lock', 10000, 50);
        if (settled) {
          const e = await update;
          assert.fail(`the UPDATE ended without waiting for the lock on dbos.workflow_input${e ? `: ${e.message}` : ''}`);
        }
        await q(`ANALYZE public.trig_inval`);
      } finally {
        await b.query('COMMIT');
      }
      const err = await update;
      if (err) assert.fail(`the ${N}-row UPDATE failed: ${err.message} (SQLSTATE ${err.code})`);
    });
    await snapshot(a, 'trig_inval', 'after');
    await expectChanges(a, 'trig_inval', 'UPDATE', { newPhase: 'after', oldPhase: 'before' });
    assert.deepEqual(await countByOp(a, 'trig_inval'), { INSERT: 0, UPDATE: N, DELETE: 0 }, `the ${N}-row UPDATE enqueued one workflow per row`);
  });
  await drain('trig_inval', N, 60000);
  await assertTriggerRuns('trig_inval', N);
}, { timeoutMs: 90000 });

test('trigger_bulk_statement_leaves_later_delays_on_time', async () => {
  // A bulk statement gives its N rows N distinct milliseconds of created_at, from a per-backend
  // clock. The delay of a later enqueue in the same backend must still count from now.
  await createTrigTable('trig_clock', 'id int PRIMARY KEY');
  await q(`CREATE TRIGGER trig_clock_ins AFTER INSERT ON public.trig_clock REFERENCING NEW TABLE AS new_rows
             FOR EACH STATEMENT EXECUTE FUNCTION dbos.enqueue_trigger('interop_parked', '', 'onRowChange')`);
  const r = await withOwnConnection(async (c) => {
    await c.query('BEGIN');
    await c.query(`INSERT INTO public.trig_clock SELECT generate_series(1, ${TRIG_N})`);
    await c.query('ROLLBACK');
    const before = Date.now();
    const id = (await c.query(`SELECT dbos.enqueue('interop_q', NULL, 'record', '["after-bulk"]', delay => '1 s') AS id`)).rows[0].id;
    return { before, after: Date.now(), id };
  });
  const row = await statusRow(r.id);
  const until = Number(row.delay_until_epoch_ms);
  try {
    // The delay counts from the clock during the call: between before + 1 s and after + 1 s
    // (5 ms for rounding), however long the call took.
    assert.ok(until >= r.before + 1000 - 5 && until <= r.after + 1000 + 5, `an enqueue with delay '1 s' right after a rolled-back ${TRIG_N}-row trigger statement ` +
      `(same backend) becomes runnable ${until - r.before} ms after the call began (it returned after ${r.after - r.before} ms; ` +
      `created_at ${Number(row.created_at) - r.before} ms after it began)`);
    await waitStatus(r.id, ['SUCCESS'], 8000);
  } finally {
    await dbosClient.cancelWorkflow(r.id).catch(() => {});
  }
});

// ---------------------------------------------------------------------------------------------
// Management and observability functions (1.1) against the real worker and DBOSClient

// IDs in list order; workflows with the same created_at (a tie, which both sides order as they
// like: DBOS orders by created_at alone) in ID order among themselves.
function tieOrdered(list, idOf, tsOf) {
  const out = [];
  for (let i = 0; i < list.length;) {
    let j = i;
    while (j < list.length && tsOf(list[j]) === tsOf(list[i])) j++;
    out.push(...list.slice(i, j).map(idOf).sort());
    i = j;
  }
  return out;
}
const ids = (rows) => tieOrdered(rows, (r) => r.workflow_id, (r) => (r.created_at ? new Date(r.created_at).getTime() : null));
const sdkIds = (list) => tieOrdered(list, (w) => w.workflowID, (w) => (w.createdAt === undefined ? null : Number(w.createdAt)));

async function sqlSteps(id) {
  return (await q(`SELECT function_id, function_name, output, error, child_workflow_id FROM dbos.list_workflow_steps($1) ORDER BY function_id`, [id])).rows;
}

test('mgmt_cancel_then_resume_long_runs_to_success', async () => {
  const id = await enqueue('interop_q', null, 'long', [2500], { workflow_id: wid('mg-cancel-long') });
  await waitStatus(id, ['PENDING'], 10000);
  await q('SELECT dbos.cancel_workflow($1)', [id]);
  const t = await dbosClient.getWorkflow(id);
  assert.equal(t.status, 'CANCELLED', 'DBOSClient.getWorkflow sees CANCELLED after dbos.cancel_workflow');
  await expectPgError(getResult(id, 5), 'DB002', 'get_result of a workflow cancelled by dbos.cancel_workflow');
  await sleep(3000); // the worker must not finish it on its own
  assert.equal((await dbosClient.getWorkflow(id)).status, 'CANCELLED', 'still CANCELLED after its sleep would have ended');
  const r = await val('SELECT dbos.resume_workflow($1) AS r', [id]);
  assert.equal(r, id, 'resume_workflow returns the ID');
  assert.equal(await getResult(id, 20), 'long-finished', 'resumed workflow runs to SUCCESS on the worker');
  const t2 = await dbosClient.getWorkflow(id);
  assert.equal(t2.status, 'SUCCESS');
  assert.equal(t2.output, 'long-finished');
});

test('mgmt_fork_from_step0_reexecutes_all_steps', async () => {
  const orig = await enqueue('interop_q', null, 'steps', ['f0'], { workflow_id: wid('mg-steps-f0') });
  const out = await getResult(orig);
  const fid = await val('SELECT dbos.fork_workflow($1, 0, $2) AS f', [orig, wid('mg-steps-f0-fork')]);
  assert.equal(fid, wid('mg-steps-f0-fork'));
  const fout = await getResult(fid, 20);
  assert.equal(fout.tag, 'f0', 'fork has the same input');
  assert.equal(fout.wf, fid);
  for (let i = 0; i < 3; i++) assert.ok(fout.ns[i] > out.ns[2], `step ${i} re-executed (fork ${fout.ns} vs original ${out.ns})`);
  const t = await dbosClient.getWorkflow(fid);
  assert.equal(t.status, 'SUCCESS');
  assert.equal(t.forkedFrom, orig, 'DBOSClient sees forkedFrom');
  assert.equal(await val('SELECT forked_from FROM dbos.get_status($1)', [fid]), orig);
  assert.deepEqual(t.output, fout);
});

test('mgmt_fork_from_later_step_reuses_copied_steps', async () => {
  const orig = await enqueue('interop_q', null, 'steps', ['f2'], { workflow_id: wid('mg-steps-f2') });
  const out = await getResult(orig);
  const fid = await val('SELECT dbos.fork_workflow($1, 2) AS f', [orig]);
  assert.notEqual(fid, orig);
  const fout = await getResult(fid, 20);
  assert.deepEqual(fout.ns.slice(0, 2), out.ns.slice(0, 2), `steps 0-1 copied, not re-run (fork ${fout.ns} vs original ${out.ns})`);
  assert.ok(fout.ns[2] > out.ns[2], `step 2 re-executed (fork ${fout.ns} vs original ${out.ns})`);
  const t = await dbosClient.getWorkflow(fid);
  assert.equal(t.status, 'SUCCESS');
  assert.equal(t.forkedFrom, orig);
  // The same fork made by DBOSClient gives the same copied steps.
  const sdkFork = await dbosClient.forkWorkflow(orig, 2, { newWorkflowID: wid('mg-steps-f2-sdkfork') });
  const sout = await dbosClient.retrieveWorkflow(sdkFork).getResult({ pollingIntervalMs: 100 });
  assert.deepEqual(sout.ns.slice(0, 2), out.ns.slice(0, 2));
  const a = (await sqlSteps(fid)).map((s) => [s.function_id, s.function_name]);
  const b = (await sqlSteps(sdkFork)).map((s) => [s.function_id, s.function_name]);
  assert.deepEqual(a, b, 'SQL fork and DBOSClient fork have the same steps');
});

test('mgmt_list_workflow_steps_matches_DBOSClient', async () => {
  const sid = await enqueue('interop_q', null, 'steps', ['ls'], { workflow_id: wid('mg-ls-steps') });
  await getResult(sid);
  const pid = await enqueue('interop_q', null, 'parent', [21], { workflow_id: wid('mg-ls-parent') });
  await getResult(pid);
  const eid = await enqueue('interop_q', null, 'events', [0, false], { workflow_id: wid('mg-ls-events') });
  await getResult(eid);
  for (const id of [sid, pid, eid]) {
    const sql = await sqlSteps(id);
    const sdk = await dbosClient.listWorkflowSteps(id);
    assert.ok(sdk && sdk.length > 0, `DBOSClient lists steps of ${id}`);
    assert.deepEqual(sql.map((s) => s.function_id), sdk.map((s) => s.functionID), `function ids of ${id}`);
    assert.deepEqual(sql.map((s) => s.function_name), sdk.map((s) => s.name), `function names of ${id}`);
    assert.deepEqual(sql.map((s) => s.child_workflow_id), sdk.map((s) => s.childWorkflowID ?? null), `child workflow ids of ${id}`);
    // Outputs: compare the JSON forms (the SDK revives Dates etc.).
    const norm = (v) => (v === undefined ? null : JSON.parse(JSON.stringify(v)));
    assert.deepEqual(sql.map((s) => s.output), sdk.map((s) => norm(s.output)), `outputs of ${id}`);
    assert.deepEqual(sql.map((s) => s.error === null), sdk.map((s) => s.error === null), `errors of ${id}`);
    const ep = (t) => (t === null || t === undefined ? null : new Date(t).getTime());
    const tm = (await q(`SELECT started_at, completed_at FROM dbos.list_workflow_steps($1) ORDER BY function_id`, [id])).rows;
    assert.deepEqual(tm.map((s) => [ep(s.started_at), ep(s.completed_at)]), sdk.map((s) => [s.startedAtEpochMs ?? null, s.completedAtEpochMs ?? null]), `step times of ${id}`);
  }
  await expectPgError(q('SELECT * FROM dbos.list_workflow_steps($1)', [wid('mg-no-such')]), 'DB004', 'list_workflow_steps of an unknown workflow');
});

test('mgmt_get_events_matches_setEvent_and_getEvent', async () => {
  const events = { alpha: 1, beta: 'two', gamma: { nested: [1, null, true] }, delta: null, 'ü key': ['x'] };
  const id = await enqueue('interop_q', null, 'multiEvents', [events], { workflow_id: wid('mg-events') });
  await getResult(id);
  const rows = (await q('SELECT key, value FROM dbos.get_events($1) ORDER BY key', [id])).rows;
  const got = Object.fromEntries(rows.map((r) => [r.key, r.value]));
  assert.deepEqual(got, events, 'get_events returns every event the workflow set');
  for (const k of Object.keys(events)) {
    const viaSdk = await dbosClient.getEvent(id, k, { timeoutSeconds: 5, pollingIntervalMs: 100 });
    assert.deepEqual(got[k], viaSdk, `event ${k}: get_events vs DBOSClient.getEvent`);
  }
  // The rich TS-typed events of the 'events' workflow, too.
  const eid = await enqueue('interop_q', null, 'events', [0, false], { workflow_id: wid('mg-events2') });
  await getResult(eid);
  const rows2 = (await q('SELECT key, value FROM dbos.get_events($1)', [eid])).rows;
  assert.deepEqual(rows2.map((r) => r.key).sort(), ['date', 'num', 'obj', 'rich', 'withDate']);
  for (const r of rows2) assert.deepEqual(r.value, await getEvent(eid, r.key), `get_events vs get_event for ${r.key}`);
  assert.equal((await q('SELECT * FROM dbos.get_events($1)', [await enqueue('interop_q', null, 'add', [1, 1])])).rows.length, 0);
});

test('mgmt_read_stream_matches_DBOSClient_readStream', async () => {
  const values = [1, 'two', { three: [3] }, null, true, 'ü'];
  const id = await enqueue('interop_q', null, 'streamer', ['s1', values], { workflow_id: wid('mg-stream') });
  assert.equal(await getResult(id), values.length);
  const rows = (await q('SELECT "offset", value FROM dbos.read_stream($1, $2)', [id, 's1'])).rows;
  assert.deepEqual(rows.map((r) => r.offset), values.map((_, i) => i), 'offsets 0..n-1');
  assert.deepEqual(rows.map((r) => r.value), values, 'read_stream returns exactly the values written, in order');
  const sdk = [];
  for await (const v of dbosClient.readStream(id, 's1')) sdk.push(v);
  assert.deepEqual(rows.map((r) => r.value), sdk, 'read_stream vs DBOSClient.readStream');
  const from = (await q('SELECT value FROM dbos.read_stream($1, $2, 3)', [id, 's1'])).rows.map((r) => r.value);
  assert.deepEqual(from, values.slice(3), 'from_offset');
  assert.equal((await q('SELECT * FROM dbos.read_stream($1, $2)', [id, 'nokey'])).rows.length, 0, 'unknown key: no rows');
});

test('mgmt_list_workflows_filters_match_DBOSClient', async () => {
  const tag = wid('mg-list');
  const done = [];
  for (let i = 0; i < 5; i++) done.push(await enqueue('interop_q', null, 'steps', [`${tag}-${i}`]));
  for (const id of done) await getResult(id);
  const cases = [
    [{ workflow_name: 'steps' }, { workflowName: 'steps' }],
    [{ workflow_name: 'steps', status: ['SUCCESS'] }, { workflowName: 'steps', status: ['SUCCESS'] }],
    [{ workflow_name: 'steps', limit_rows: 3, offset_rows: 2 }, { workflowName: 'steps', limit: 3, offset: 2 }],
    [{ workflow_name: 'steps', descending: true, limit_rows: 4 }, { workflowName: 'steps', sortDesc: true, limit: 4 }],
    [{ status: ['CANCELLED', 'ERROR'] }, { status: ['CANCELLED', 'ERROR'] }],
    [{ queue_name: 'interop_q', workflow_name: 'steps' }, { queueName: 'interop_q', workflowName: 'steps' }],
    [{ queue_name: 'interop_serial' }, { queueName: 'interop_serial' }],
    [{ queue_name: 'interop_q', workflow_name: 'add', descending: true }, { queueName: 'interop_q', workflowName: 'add', sortDesc: true }],
    [{ app_version: APP_VERSION, workflow_name: 'steps' }, { applicationVersion: APP_VERSION, workflowName: 'steps' }],
  ];
  // Time windows whose bounds are exactly the created_at of two of the workflows.
  const c1 = new Date(Number((await statusRow(done[1])).created_at));
  const c3 = new Date(Number((await statusRow(done[3])).created_at));
  cases.push([{ workflow_name: 'steps', created_after: c1, created_before: c3 }, { workflowName: 'steps', startTime: c1.toISOString(), endTime: c3.toISOString() }]);
  cases.push([{ created_after: c1 }, { startTime: c1.toISOString() }]);
  for (const [sqlArgs, sdkArgs] of cases) {
    const names = [];
    const vals = [];
    for (const [k, v] of Object.entries(sqlArgs)) {
      vals.push(v);
      names.push(`${k} => $${vals.length}`);
    }
    const rows = (await q(`SELECT workflow_id, created_at FROM dbos.list_workflows(${names.join(', ')})`, vals)).rows;
    const sdk = await dbosClient.listWorkflows(sdkArgs);
    if (sqlArgs.workflow_name === 'steps') assert.ok(rows.length > 0, `case ${JSON.stringify(sqlArgs)} matched something`);
    assert.deepEqual(ids(rows), sdkIds(sdk), `list_workflows(${JSON.stringify(sqlArgs)}) vs listWorkflows(${JSON.stringify(sdkArgs)})`);
  }
  // load_input / load_output
  const rows = (await q(`SELECT workflow_id, input, output FROM dbos.list_workflows(workflow_name => 'steps', load_input => true, load_output => true)`)).rows;
  const sdk = await dbosClient.listWorkflows({ workflowName: 'steps', loadInput: true, loadOutput: true });
  assert.deepEqual(rows.map((r) => [r.workflow_id, r.input, r.output]), sdk.map((w) => [w.workflowID, w.input, w.output]), 'loaded input/output');
  const bare = (await q(`SELECT input, output FROM dbos.list_workflows(workflow_name => 'steps', limit_rows => 1)`)).rows[0];
  assert.deepEqual(bare, { input: null, output: null }, 'input/output not loaded by default');
});

test('mgmt_list_queued_workflows_match_DBOSClient', async () => {
  const parked = [];
  for (let i = 0; i < 4; i++) parked.push(await enqueue('interop_parked', null, i % 2 ? 'add' : 'record', i % 2 ? [i, i] : [`pk${i}`], { workflow_id: wid(`mg-lq-${i}`) }));
  try {
    const cases = [
      [{ queue_name: 'interop_parked' }, { queueName: 'interop_parked' }],
      [{ queue_name: 'interop_parked', workflow_name: 'add' }, { queueName: 'interop_parked', workflowName: 'add' }],
      [{ queue_name: 'interop_parked', descending: true, limit_rows: 2, offset_rows: 1 }, { queueName: 'interop_parked', sortDesc: true, limit: 2, offset: 1 }],
      [{ status: ['ENQUEUED'] }, { status: ['ENQUEUED'] }],
      [{}, {}],
    ];
    for (const [sqlArgs, sdkArgs] of cases) {
      const names = [];
      const vals = [];
      for (const [k, v] of Object.entries(sqlArgs)) {
        vals.push(v);
        names.push(`${k} => $${vals.length}`);
      }
      const rows = (await q(`SELECT workflow_id, created_at FROM dbos.list_queued_workflows(${names.join(', ')})`, vals)).rows;
      const sdk = await dbosClient.listQueuedWorkflows(sdkArgs);
      assert.deepEqual(ids(rows), sdkIds(sdk), `list_queued_workflows(${JSON.stringify(sqlArgs)}) vs listQueuedWorkflows(${JSON.stringify(sdkArgs)})`);
    }
    const mine = (await q(`SELECT workflow_id, input FROM dbos.list_queued_workflows(queue_name => 'interop_parked', load_input => true)`)).rows
      .filter((r) => parked.includes(r.workflow_id));
    assert.deepEqual(mine.map((r) => r.workflow_id), parked, 'the parked workflows, in order');
    const sdk = (await dbosClient.listQueuedWorkflows({ queueName: 'interop_parked', loadInput: true })).filter((w) => parked.includes(w.workflowID));
    assert.deepEqual(mine.map((r) => r.input), sdk.map((w) => w.input), 'loaded inputs');
  } finally {
    await dbosClient.cancelWorkflows(parked);
  }
});

test('mgmt_set_workflow_priority_changes_run_order', async () => {
  // The blocker holds the serial queue until it gets its message (sent once the priorities
  // are set), so the order does not depend on how fast this machine is.
  const blocker = await enqueue('interop_serial', null, 'recvOne', ['go', 60], { workflow_id: wid('mg-prio-block') });
  await waitStatus(blocker, ['PENDING'], 10000);
  const tags = ['A', 'B', 'C', 'D'];
  const idsBy = {};
  for (const t of tags) idsBy[t] = await enqueue('interop_serial', null, 'record', [t], { workflow_id: wid('mg-prio-' + t), priority: 5 });
  await q('SELECT dbos.set_workflow_priority($1, 1)', [idsBy.C]);
  await q('SELECT dbos.set_workflow_priority($1, 9)', [idsBy.A]);
  await dbosClient.setWorkflowPriority(idsBy.D, 3);
  assert.equal((await dbosClient.getWorkflow(idsBy.C)).priority, 1, 'DBOSClient sees the new priority');
  assert.equal(await val('SELECT priority FROM dbos.get_status($1)', [idsBy.D]), 3);
  await q(`SELECT dbos.send($1, '"go"', 'go')`, [blocker]);
  const rows = [];
  for (const t of tags) rows.push(await waitStatus(idsBy[t], ['SUCCESS'], 20000));
  const order = rows.map((r) => JSON.parse(r.wo_output)).sort((a, b) => a.startedAt - b.startedAt).map((o) => o.tag);
  assert.deepEqual(order, ['C', 'D', 'B', 'A'], 'run order after set_workflow_priority');
  // A finished workflow does not change.
  await q('SELECT dbos.set_workflow_priority($1, 7)', [idsBy.A]);
  assert.equal((await statusRow(idsBy.A)).priority, 9, 'a SUCCESS workflow keeps its priority');
});

test('mgmt_fork_to_parked_queue_copies_what_DBOSClient_copies', async () => {
  // Forks left on the unpolled queue, so the copied rows can be compared before anything runs.
  const sid = await enqueue('interop_q', null, 'streamer', ['fk', [10, 20, 30, 40]], { workflow_id: wid('mg-fk-stream') });
  await getResult(sid);
  const eid = await enqueue('interop_q', null, 'multiEvents', [{ e0: 0, e1: 'one', e2: [2], e3: { three: 3 } }], { workflow_id: wid('mg-fk-events') });
  await getResult(eid);
  const forks = [];
  try {
    for (const [orig, step] of [[sid, 0], [sid, 2], [sid, 5], [eid, 2], [eid, 4]]) {
      const a = await val(`SELECT dbos.fork_workflow($1, $2, queue_name => 'interop_parked') AS f`, [orig, step]);
      const b = await dbosClient.forkWorkflow(orig, step, { queueName: 'interop_parked' });
      forks.push(a, b);
      const what = `fork of ${orig} at ${step}`;
      const ra = await statusRow(a);
      const rb = await statusRow(b);
      for (const col of ['status', 'name', 'class_name', 'config_name', 'queue_name', 'forked_from', 'priority', 'application_version',
        'application_name', 'authenticated_user', 'recovery_attempts', 'workflow_timeout_ms', 'serialization', 'wi_inputs', 'parent_workflow_uuid']) {
        assert.deepEqual(ra[col], rb[col], `${what}: column ${col} (SQL ${JSON.stringify(ra[col])}, DBOSClient ${JSON.stringify(rb[col])})`);
      }
      const steps = async (id) => (await q(`SELECT function_id, function_name, output, error FROM dbos.operation_outputs WHERE workflow_uuid = $1 ORDER BY function_id`, [id])).rows;
      assert.deepEqual(await steps(a), await steps(b), `${what}: copied operation_outputs`);
      const strm = async (id) => (await q(`SELECT key, "offset", value FROM dbos.streams WHERE workflow_uuid = $1 ORDER BY key, "offset"`, [id])).rows;
      assert.deepEqual(await strm(a), await strm(b), `${what}: copied streams`);
      const ev = async (id) => (await q(`SELECT key, value FROM dbos.workflow_events WHERE workflow_uuid = $1 ORDER BY key`, [id])).rows;
      assert.deepEqual(await ev(a), await ev(b), `${what}: copied events`);
      assert.deepEqual((await q('SELECT key, value FROM dbos.get_events($1) ORDER BY key', [a])).rows,
        (await q('SELECT key, value FROM dbos.get_events($1) ORDER BY key', [b])).rows, `${what}: get_events of the two forks`);
    }
    // A stream copied without its close marker: read_stream stops at the last value written.
    const partial = forks[2];
    assert.deepEqual((await q('SELECT value FROM dbos.read_stream($1, $2)', [partial, 'fk'])).rows.map((r) => r.value), [10, 20]);
  } finally {
    await dbosClient.cancelWorkflows(forks);
  }
});

test('mgmt_cancel_and_resume_rows_match_DBOSClient', async () => {
  const a = await enqueue('interop_parked', null, 'add', [1, 2], { workflow_id: wid('mg-cr-sql'), deduplication_id: wid('mg-cr-dd-sql'), priority: 4, timeout: '30 s' });
  const b = await enqueue('interop_parked', null, 'add', [1, 2], { workflow_id: wid('mg-cr-sdk'), deduplication_id: wid('mg-cr-dd-sdk'), priority: 4, timeout: '30 s' });
  await q('SELECT dbos.cancel_workflow($1)', [a]);
  await dbosClient.cancelWorkflow(b);
  const cols = ['status', 'queue_name', 'deduplication_id', 'priority', 'recovery_attempts', 'workflow_timeout_ms', 'started_at_epoch_ms', 'executor_id', 'queue_partition_key'];
  const cmp = async (what) => {
    const ra = await statusRow(a);
    const rb = await statusRow(b);
    for (const col of cols) assert.deepEqual(ra[col], rb[col], `${what}: column ${col} (SQL ${JSON.stringify(ra[col])}, DBOSClient ${JSON.stringify(rb[col])})`);
    assert.equal(ra.workflow_deadline_epoch_ms === null, rb.workflow_deadline_epoch_ms === null, `${what}: deadline set or not`);
    return ra;
  };
  const c = await cmp('after cancel');
  assert.equal(c.status, 'CANCELLED');
  // The deduplication ID is free again.
  const again = await enqueue('interop_parked', null, 'add', [3, 4], { deduplication_id: wid('mg-cr-dd-sql') });
  await dbosClient.cancelWorkflow(again);
  // Resume both onto the internal queue: they run on the worker.
  await q('SELECT dbos.resume_workflow($1)', [a]);
  await dbosClient.resumeWorkflow(b);
  assert.deepEqual(await getResult(a), { sum: 3 });
  assert.deepEqual(await getResult(b), { sum: 3 });
  await cmp('after resume');
  // Cancelling a finished workflow leaves it as is.
  await q('SELECT dbos.cancel_workflow($1)', [a]);
  assert.equal((await dbosClient.getWorkflow(a)).status, 'SUCCESS');
  await expectPgError(q('SELECT dbos.cancel_workflow($1)', [wid('mg-cr-none')]), 'DB004', 'cancel_workflow of an unknown workflow');
});

test('mgmt_delete_workflow_and_children', async () => {
  const id = await enqueue('interop_q', null, 'streamer', ['d', [1, 2]], { workflow_id: wid('mg-del-one') });
  await getResult(id);
  await q('SELECT dbos.delete_workflow($1)', [id]);
  assert.equal(await dbosClient.getWorkflow(id), undefined, 'DBOSClient.getWorkflow finds nothing after delete_workflow');
  assert.equal((await q('SELECT 1 FROM dbos.operation_outputs WHERE workflow_uuid = $1', [id])).rows.length, 0, 'no steps left');
  assert.equal((await q('SELECT 1 FROM dbos.streams WHERE workflow_uuid = $1', [id])).rows.length, 0, 'no stream rows left');
  await q('SELECT dbos.delete_workflow($1)', [id]); // unknown: no-op
  // Parent without delete_children: the child stays.
  const p1 = await enqueue('interop_q', null, 'parent', [4], { workflow_id: wid('mg-del-p1') });
  const r1 = await getResult(p1);
  assert.equal(r1.childResult.child, 8);
  const c1 = r1.childID;
  assert.equal((await dbosClient.getWorkflow(c1)).parentWorkflowID, p1);
  await q('SELECT dbos.delete_workflow($1)', [p1]);
  assert.equal(await dbosClient.getWorkflow(p1), undefined);
  assert.ok(await dbosClient.getWorkflow(c1), 'child kept without delete_children');
  // Parent with delete_children: both go.
  const p2 = await enqueue('interop_q', null, 'parent', [5], { workflow_id: wid('mg-del-p2') });
  const r2 = await getResult(p2);
  const c2 = r2.childID;
  assert.ok(await dbosClient.getWorkflow(c2));
  await q('SELECT dbos.delete_workflow($1, true)', [p2]);
  assert.equal(await dbosClient.getWorkflow(p2), undefined, 'parent deleted');
  assert.equal(await dbosClient.getWorkflow(c2), undefined, 'child deleted with delete_children');
});

// ---------------------------------------------------------------------------------------------
// More cases: every module test/interop/cases/*.js (in name order) exports a function
// (test, h) that registers cases with test(name, fn, opts), as above; h holds the helpers.

// A case that cannot run here (e.g. it needs the library preloaded) calls h.skip(why): it is
// reported as skipped, never as passed.
class SkipTest extends Error {}

const h = {
  skip: (why) => {
    throw new SkipTest(why);
  },
  mode: () => mode, // 'preloaded' or 'not preloaded', once the database is prepared
  assert, sleep, q, one, val, withClient, withOwnConnection, waitFor, waitStatus, statusRow, compareStatus,
  expectPgError, expectNoWrite, writeAttempts, assertAtOnce, enqueue, getResult, getEvent, wid, info, timed,
  createTrigTable, sinceOf, drain, countRecent, countByOp, snapshot, expectChanges, expectJs, ensureExpectTable,
  checkTriggerRuns, assertTriggerRuns,
  RUN, APP_NAME, APP_VERSION, TEST_DB, TEST_URL, TERMINAL, LONG_WAIT_S, AT_ONCE_MS, TRIG_Q, TRIG_N, TRIG_ROW_N,
  pgConf: () => pgConf(TEST_DB),
  pool: () => pool, // the pg.Pool on the test database (created once the database is)
  dbosClient: () => dbosClient, // the SDK's DBOSClient on the same database
  worker: () => worker, // the child process running worker.js
};
const loadErrors = [];
const CASES_DIR = path.join(__dirname, 'cases');
if (fs.existsSync(CASES_DIR)) {
  for (const f of fs.readdirSync(CASES_DIR).filter((n) => n.endsWith('.js')).sort()) {
    try {
      const mod = require(path.join(CASES_DIR, f));
      const register = typeof mod === 'function' ? mod : mod && mod.default;
      if (typeof register !== 'function') throw new Error('it does not export a function (test, h)');
      const n = tests.length;
      register(test, h);
      if (tests.length === n) throw new Error('it registered no test');
    } catch (e) {
      loadErrors.push(`cases/${f}: ${e.message}`);
    }
  }
}
{
  const seen = new Set();
  for (const t of tests) {
    if (seen.has(t.name)) loadErrors.push(`two tests are named ${t.name}`);
    seen.add(t.name);
  }
}

// ---------------------------------------------------------------------------------------------
// Main

let passed = 0;
let failed = 0;
let skipped = 0;
let aborted = false; // set by the suite timeout: stop reporting
let mode = 'preload unknown'; // preloaded or not: read from the server, part of the suite name
const reported = new Set();
const oneLine = (s) => String(s).replace(/\s+/g, ' ').trim();
const suiteName = () => `${process.env.DBOS_SUITE_PREFIX || ''}interop (${mode})`;

// Every registered test is reported once: PASS, FAIL, SKIP (INTEROP_ONLY), or FAIL "not run"
// when the suite stopped before it (setup failure, worker exit, suite timeout).
function report() {
  for (const t of tests) {
    if (reported.has(t.name)) continue;
    failed++;
    console.log(`FAIL ${t.name}: not run (the suite stopped before it)`);
  }
  console.log(`suite ${suiteName()}: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  console.log(`interop: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
}

// An exception nobody catches (e.g. an 'error' event of a client without a listener) fails the
// test that runs, instead of ending the process before the suite reports.
let onUncaught = null;
function uncaught(e) {
  if (onUncaught) return onUncaught(e);
  failed++;
  console.log(`FAIL uncaught_exception: ${oneLine(e && e.stack ? e.stack : e)}`);
}
process.on('uncaughtException', uncaught);
process.on('unhandledRejection', uncaught);

async function runTests() {
  for (const t of tests) {
    if (aborted) return;
    if (ONLY && !ONLY.test(t.name)) {
      skipped++;
      reported.add(t.name);
      console.log(`SKIP ${t.name} (INTEROP_ONLY)`);
      continue;
    }
    const started = Date.now();
    try {
      await Promise.race([
        t.fn(),
        sleep(t.timeoutMs || TEST_TIMEOUT_MS).then(() => {
          throw new Error(`test timed out after ${t.timeoutMs || TEST_TIMEOUT_MS} ms`);
        }),
        new Promise((_, reject) => {
          onUncaught = (e) => reject(new Error(`uncaught exception during the test: ${e && e.message ? e.message : e}`));
        }),
      ]);
      if (aborted) return;
      passed++;
      reported.add(t.name);
      console.log(`PASS ${t.name}${TIMES ? ` (${Date.now() - started} ms)` : ''}`);
    } catch (e) {
      if (aborted) return;
      reported.add(t.name);
      if (e instanceof SkipTest) {
        skipped++;
        console.log(`SKIP ${t.name}: ${e.message}`);
        continue;
      }
      failed++;
      console.log(`FAIL ${t.name}: ${oneLine(e && e.message ? e.message : e)}${TIMES ? ` (${Date.now() - started} ms)` : ''}`);
    } finally {
      onUncaught = null;
    }
    if (worker && (worker.exitCode !== null || worker.signalCode !== null)) {
      console.log(`FAIL worker_alive: the worker exited (code ${worker.exitCode}, signal ${worker.signalCode}); see ${WORKER_LOG}`);
      failed++;
      worker = null;
      break;
    }
  }
}

async function main() {
  const overall = setTimeout(() => {
    aborted = true;
    console.log(`FAIL suite_timeout: the suite did not finish within ${SUITE_TIMEOUT_MS} ms`);
    failed++;
    void cleanup().finally(() => {
      report();
      process.exit(1);
    });
  }, SUITE_TIMEOUT_MS);
  overall.unref();
  try {
    if (loadErrors.length) throw new Error(`setup: ${loadErrors.join('; ')}`);
    try {
      await prepareDatabase();
    } catch (e) {
      const detail = e.stderr ? ` ${e.stderr.toString()}` : '';
      throw new Error(`setup: preparing database ${TEST_DB} failed: ${e.message}${detail}`);
    }
    pool = new Pool({ ...pgConf(TEST_DB), max: 12 });
    pool.on('error', () => {}); // idle-client errors during teardown
    mode = (await val(`SELECT current_setting('shared_preload_libraries') ~ '(^|[ ,])dbos_client($|[ ,])' AS p`)) ? 'preloaded' : 'not preloaded';
    await startWorker();
    const { DBOSClient } = require('@dbos-inc/dbos-sdk');
    dbosClient = await DBOSClient.create({ systemDatabaseUrl: TEST_URL });
    await runTests();
  } catch (e) {
    failed++;
    console.log(`FAIL setup: ${oneLine(e && e.message ? e.message : e)}`);
  } finally {
    await cleanup();
  }
  clearTimeout(overall);
  if (aborted) return; // the suite timeout reports
  report();
  process.exit(failed === 0 ? 0 : 1);
}

process.on('SIGINT', () => {
  void cleanup().finally(() => process.exit(130));
});

main();
