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
// Output: one line per test, `PASS <name>` or `FAIL <name>: <reason>`, then
// `interop: N passed, M failed`. Exit code 0 only when M = 0.
// The worker's log goes to $TMPDIR/dbos_interop_worker.log.

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
const SUITE_TIMEOUT_MS = Number(process.env.INTEROP_SUITE_TIMEOUT_MS || 270000);
const TEST_TIMEOUT_MS = Number(process.env.INTEROP_TEST_TIMEOUT_MS || 30000);
const ONLY = process.env.INTEROP_ONLY ? new RegExp(process.env.INTEROP_ONLY) : null;
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
  // The spec says "ERROR, nothing written" without fixing the SQLSTATE: accept any.
  await expectPgError(q(`SELECT dbos.send($1, '1')`, [dest]), undefined, 'send to an unknown workflow');
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
  assert.ok(elapsed < 15000, `get_event took ${elapsed} ms`);
});

test('get_event_timeout_returns_null', async () => {
  const id = await enqueue('interop_q', null, 'add', [0, 0]);
  const t0 = Date.now();
  const v = await getEvent(id, 'never-set', 0.5);
  const elapsed = Date.now() - t0;
  assert.equal(v, null);
  assert.ok(elapsed >= 400 && elapsed < 5000, `timeout of 0.5 s took ${elapsed} ms`);
});

test('get_result_returns_output', async () => {
  const id = await enqueue('interop_q', 'Greeter', 'greet', ['Ann']);
  assert.deepEqual(await getResult(id, null), { greeting: 'Hello, Ann!', opts: null });
  // Already finished: returns at once.
  const t0 = Date.now();
  assert.deepEqual(await getResult(id, 0), { greeting: 'Hello, Ann!', opts: null });
  assert.ok(Date.now() - t0 < 1000);
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
  await expectPgError(getResult(wid('does-not-exist'), 30), 'DB004', 'get_result of an unknown workflow');
  assert.ok(Date.now() - t0 < 2000, `DB004 should be raised at once, took ${Date.now() - t0} ms`);
  const st = await one('SELECT (dbos.get_status($1)).workflow_id AS id', [wid('does-not-exist')]);
  assert.equal(st.id, null, 'get_status of an unknown workflow is NULL');
});

test('get_result_cancelled_raises_DB002', async () => {
  const id = await enqueue('interop_parked', null, 'long', [1000]);
  await dbosClient.cancelWorkflow(id);
  assert.equal((await statusRow(id)).status, 'CANCELLED');
  const t0 = Date.now();
  await expectPgError(getResult(id, 10), 'DB002', 'get_result of a cancelled workflow');
  assert.ok(Date.now() - t0 < 2000);
});

test('get_result_timeout_raises_DB005', async () => {
  const id = await enqueue('interop_parked', null, 'add', [1, 2]);
  const t0 = Date.now();
  await expectPgError(getResult(id, 0.5), 'DB005', 'get_result past its timeout');
  const elapsed = Date.now() - t0;
  assert.ok(elapsed >= 400 && elapsed < 5000, `timeout of 0.5 s took ${elapsed} ms`);
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
  await expectPgError(enqueue('interop_parked', null, 'echo', [1], { workflow_id: id }), undefined, 'same ID under another workflow name');
  const cid = wid('same-id-class');
  assert.equal(await enqueue('interop_parked', 'Greeter', 'greet', ['x'], { workflow_id: cid }), cid);
  assert.equal(await enqueue('interop_parked', 'Greeter', 'greet', ['y'], { workflow_id: cid }), cid);
  await expectPgError(enqueue('interop_parked', null, 'greet', ['x'], { workflow_id: cid }), undefined, 'same ID without the class');
  await expectPgError(enqueue('interop_parked', 'Other', 'greet', ['x'], { workflow_id: cid }), undefined, 'same ID under another class');
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
  await expectPgError(getResult(id, 10), 'DB003', 'get_result of a dead-lettered workflow');
  assert.ok(Date.now() - t0 < 2000);
  let sdkErr = null;
  try {
    await dbosClient.retrieveWorkflow(id).getResult({ pollingIntervalMs: 100 });
  } catch (e) {
    sdkErr = e;
  }
  assert.ok(sdkErr && /maximum recovery attempts/i.test(sdkErr.message), `the SDK agrees: ${sdkErr && sdkErr.message}`);
});

test('wait_on_own_uncommitted_workflow_errors_at_once', async () => {
  for (const call of [`dbos.get_result($1, 5)`, `dbos.get_event($1, 'k', 5)`]) {
    await withClient(async (c) => {
      await c.query('BEGIN');
      try {
        const r = await c.query(`SELECT dbos.enqueue('interop_q', NULL, 'add', '[1,2]') AS id`);
        const t0 = Date.now();
        await expectPgError(c.query(`SELECT ${call}`, [r.rows[0].id]), undefined, `${call} on a workflow enqueued by the same open transaction`);
        assert.ok(Date.now() - t0 < 1500, `${call} should fail at once, took ${Date.now() - t0} ms`);
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
  for (const call of [`dbos.get_result($1, 5)`, `dbos.get_event($1, 'k', 5)`]) {
    await withClient(async (c) => {
      await c.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
      try {
        const t0 = Date.now();
        const e = await expectPgError(c.query(`SELECT ${call}`, [parked]), undefined, `${call} under REPEATABLE READ`);
        assert.ok(Date.now() - t0 < 1500, `${call} should fail at once, took ${Date.now() - t0} ms`);
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
      for (const call of [`dbos.get_event($1, 'never', 60)`, `dbos.get_result($1, 60)`]) {
        const t0 = Date.now();
        await expectPgError(c.query(`SELECT ${call}`, [parked]), '57014', `${call} with statement_timeout 500ms`);
        const took = Date.now() - t0;
        assert.ok(took < 3000, `${call} was cancelled after ${took} ms`);
      }
    } finally {
      await c.query('RESET statement_timeout');
    }
  });
  await dbosClient.cancelWorkflow(parked);
});

test('enqueue_validation_errors_write_nothing', async () => {
  const before = Number(await val(`SELECT count(*) FROM dbos.workflow_status`));
  const bad = [
    ['args not an array', `SELECT dbos.enqueue('interop_q', NULL, 'add', '{"a":1}')`],
    ['empty queue', `SELECT dbos.enqueue('', NULL, 'add', '[1,2]')`],
    ['NULL workflow name', `SELECT dbos.enqueue('interop_q', NULL, NULL, '[1,2]')`],
    ['negative priority', `SELECT dbos.enqueue('interop_q', NULL, 'add', '[1,2]', priority => -1)`],
    ['negative delay', `SELECT dbos.enqueue('interop_q', NULL, 'add', '[1,2]', delay => '-1 s')`],
    ['zero timeout', `SELECT dbos.enqueue('interop_q', NULL, 'add', '[1,2]', timeout => '0 s')`],
    ['unknown serialization', `SELECT dbos.enqueue('interop_q', NULL, 'add', '[1,2]', serialization => 'xml')`],
    ['unknown duplication policy', `SELECT dbos.enqueue('interop_q', NULL, 'add', '[1,2]', deduplication_id => 'x', duplication_policy => 'bogus')`],
    ['named_args not an object', `SELECT dbos.enqueue('interop_q', NULL, 'add', '[1,2]', named_args => '[1]')`],
  ];
  const noError = [];
  for (const [what, sql] of bad) {
    try {
      await q(sql);
      noError.push(what);
    } catch {
      /* expected */
    }
  }
  assert.deepEqual(noError, [], `these invalid enqueues did not raise an ERROR: ${noError.join(', ')}`);
  assert.equal(Number(await val(`SELECT count(*) FROM dbos.workflow_status`)), before, 'nothing written');
});

test('settings_app_version_and_application_name', async () => {
  const ids = await withClient(async (c) => {
    const e = async () => (await c.query(`SELECT dbos.enqueue('interop_q', NULL, 'add', '[10, 1]') AS id`)).rows[0].id;
    const out = {};
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
    return out;
  });
  const rows = Object.fromEntries(await Promise.all(Object.entries(ids).map(async ([k, id]) => [k, await statusRow(id)])));
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
// Main

let passed = 0;
let failed = 0;
let aborted = false; // set by the suite timeout: stop reporting
const oneLine = (s) => String(s).replace(/\s+/g, ' ').trim();

async function runTests() {
  for (const t of tests) {
    if (aborted) return;
    if (ONLY && !ONLY.test(t.name)) continue;
    try {
      await Promise.race([
        t.fn(),
        sleep(t.timeoutMs || TEST_TIMEOUT_MS).then(() => {
          throw new Error(`test timed out after ${t.timeoutMs || TEST_TIMEOUT_MS} ms`);
        }),
      ]);
      if (aborted) return;
      passed++;
      console.log(`PASS ${t.name}`);
    } catch (e) {
      if (aborted) return;
      failed++;
      console.log(`FAIL ${t.name}: ${oneLine(e && e.message ? e.message : e)}`);
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
      console.log(`interop: ${passed} passed, ${failed} failed`);
      process.exit(1);
    });
  }, SUITE_TIMEOUT_MS);
  overall.unref();
  try {
    try {
      await prepareDatabase();
    } catch (e) {
      const detail = e.stderr ? ` ${e.stderr.toString()}` : '';
      throw new Error(`setup: preparing database ${TEST_DB} failed: ${e.message}${detail}`);
    }
    pool = new Pool({ ...pgConf(TEST_DB), max: 12 });
    pool.on('error', () => {}); // idle-client errors during teardown
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
  console.log(`interop: ${passed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
}

process.on('SIGINT', () => {
  void cleanup().finally(() => process.exit(130));
});

main();
