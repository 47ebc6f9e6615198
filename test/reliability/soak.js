'use strict';
// Soak with real DBOS workers: nothing lost, nothing duplicated.
//
//   node test/reliability/soak.js [--quick]
//
// REL_CONNS (default 16) connections run a mix of dbos.enqueue (plain, with messages to
// wait for, with deduplication IDs under both policies, with fixed workflow IDs used again
// and again, several in one transaction, inside transactions that roll back, through a
// statement-level dbos.enqueue_trigger), dbos.send with idempotency keys (each key sent 2-3
// times) and dbos.get_event / dbos.get_result reads, for REL_SOAK_SECONDS (60; --quick 20),
// while two DBOS TypeScript workers (worker.js) drain the queue. In the middle one worker is
// killed with SIGKILL and restarted with the same executor ID and app version, which makes
// DBOS recover the workflows it left PENDING. Then: every committed enqueue completed exactly
// once, every rolled-back or rejected one is absent, every idempotent send was delivered
// once, no unexpected error, no 40P01.
// Last (suite "bulk kill -9"), SIGKILLs end a 200,000-row dbos.enqueue statement and a
// 100,000-row INSERT under a statement-level dbos.enqueue_trigger: mid-statement, while the
// COMMIT is in flight (its backend or another one killed), and after the COMMIT returned.
// After crash recovery each trial must leave all or none of the rows, and both outcomes must
// have occurred (see bulkCase).
//
// Prints PASS/FAIL lines with figures, then `suite reliability soak (<mode>): N passed, M
// failed` and `suite reliability bulk kill -9 (<mode>): ...`.

const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');
const L = require('./lib');

const { Client } = L.need('pg');
const QUICK = process.argv.includes('--quick');
const CONNS = Number(process.env.REL_CONNS || 16);
const DURATION_S = Number(process.env.REL_SOAK_SECONDS || (QUICK ? 20 : 60));
const RATE = Number(process.env.REL_ENQUEUE_RATE || 80); // workflows per second, all connections
const DRAIN_S = Number(process.env.REL_DRAIN_SECONDS || 60); // without progress
const KILL_WORKER = process.env.REL_KILL_WORKER !== '0';
const BULK_ROWS = Number(process.env.REL_BULK_ROWS || 200000);
const TRIGGER_ROWS = Number(process.env.REL_TRIGGER_ROWS || 100000);
// Rows of the trials that reach the COMMIT (the whole statement runs): fewer in --quick.
const BULK_COMMIT_ROWS = Number(process.env.REL_BULK_COMMIT_ROWS || (QUICK ? 50000 : BULK_ROWS));
const TRIGGER_COMMIT_ROWS = Number(process.env.REL_TRIGGER_COMMIT_ROWS || (QUICK ? 30000 : TRIGGER_ROWS));
const DEDUP_KEYS = 4;
const FIXED_IDS = 40;
const LOG_DIR = process.env.REL_LOG_DIR || '/tmp/dbos_rel_logs';
const APP_VERSION = 'rel-v1';
const RUN = Date.now().toString(36);
const QUEUE = 'rel_soak';

const res = new L.Results('soak');
const res2 = new L.Results('bulk kill -9');
fs.mkdirSync(LOG_DIR, { recursive: true });

const rand = (n) => Math.floor(Math.random() * n);
const chance = (p) => Math.random() < p;

// ---- workers ----------------------------------------------------------------------------------

const workers = {}; // name -> { proc, pid, exited }
let workerStarts = 0;

function startWorker(name) {
  const log = fs.createWriteStream(path.join(LOG_DIR, `${name}-${++workerStarts}.log`));
  const proc = spawn(process.execPath, ['--no-deprecation', path.join(__dirname, 'worker.js')], {
    cwd: __dirname,
    env: { ...process.env, DBOS_SYSTEM_DATABASE_URL: L.DB_URL, DBOS__VMID: name, REL_APP_VERSION: APP_VERSION },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const w = { name, proc, pid: proc.pid, log };
  w.exited = new Promise((r) => proc.once('exit', (code, signal) => r({ code, signal })));
  proc.stderr.on('data', (d) => log.write(d));
  w.ready = new Promise((resolve, reject) => {
    let buf = '';
    proc.stdout.on('data', (d) => {
      log.write(d);
      buf += d;
      if (buf.includes('READY')) resolve();
    });
    w.exited.then(({ code, signal }) => reject(new Error(`worker ${name} exited early (${code}, ${signal}); see ${LOG_DIR}`)));
    setTimeout(() => reject(new Error(`worker ${name} not ready after 60 s`)), 60000).unref();
  });
  w.ready.catch(() => {});
  workers[name] = w;
  return w;
}

async function stopWorker(w) {
  if (w.proc.exitCode !== null || w.proc.signalCode !== null) return;
  w.proc.kill('SIGTERM');
  if (!(await Promise.race([w.exited, L.sleep(12000).then(() => null)]))) {
    w.proc.kill('SIGKILL');
    await w.exited;
  }
}

process.on('exit', () => {
  for (const w of Object.values(workers)) {
    try {
      if (w.proc.exitCode === null && w.proc.signalCode === null) w.proc.kill('SIGKILL');
    } catch {
      /* ignore */
    }
  }
});

// ---- bookkeeping --------------------------------------------------------------------------------

const committed = new Map(); // workflow ID -> { tag, n, kind }
const committedIds = [];
const absent = new Set(); // rolled back or rejected: must not exist
const absentSendKeys = new Set(); // sends rolled back: must not exist
const pendingSends = []; // { dest, key, msg, copies }
const sentKeys = new Map(); // message_uuid -> { dest, copies sent }
const expectedMsgs = new Map(); // dest -> [msg]
const returnedHolders = []; // IDs returned by duplication_policy => 'return_existing'
const ops = {}; // kind -> count
const errors = {}; // 'kind:SQLSTATE' -> count
const unexpected = []; // first unexpected errors
const readMismatch = [];
let seq = 0;
const newTag = (ci) => `${RUN}-${ci}-${++seq}`;
const countOp = (k, n = 1) => (ops[k] = (ops[k] || 0) + n);

function noteCommitted(id, tag, n, kind) {
  if (!committed.has(id)) {
    committedIds.push(id);
    committed.set(id, { tag, n, kind });
  }
  if (n > 0 && !expectedMsgs.has(id)) {
    const msgs = [];
    for (let j = 0; j < n; j++) {
      const msg = { t: tag, j };
      msgs.push(msg);
      pendingSends.push({ dest: id, key: `${tag}-k${j}`, msg, copies: 2 + rand(2) });
    }
    expectedMsgs.set(id, msgs);
  }
}

// Token bucket on enqueued workflows, so that two workers on this machine keep up.
let tokens = 0;
let tokensAt = L.now();
function takeTokens(n) {
  const t = L.now();
  tokens = Math.min(RATE, tokens + ((t - tokensAt) * RATE) / 1000);
  tokensAt = t;
  if (tokens < n) return false;
  tokens -= n;
  return true;
}

const ENQ = `SELECT dbos.enqueue('${QUEUE}', NULL, 'soakTask', $1::jsonb) AS id`;
const ENQ_ID = `SELECT dbos.enqueue('${QUEUE}', NULL, 'soakTask', $1::jsonb, workflow_id => $2) AS id`;
const ENQ_DEDUP = `SELECT dbos.enqueue('${QUEUE}', NULL, 'soakTask', $1::jsonb, workflow_id => $2,
                                       deduplication_id => $3, duplication_policy => $4) AS id`;
const args = (tag, n) => JSON.stringify([tag, n]);
const fixedId = (k) => `fx-${RUN}-${k}`;

// An error an operation may legitimately get is returned as 'allowed:<code>'; anything else
// is thrown to the loop, which records it as unexpected.
class Allowed extends Error {}

// ---- operations (each on its own connection `c`, `ci` its index) --------------------------------

const OPS = {
  // A plain enqueue (generated ID), sometimes expecting 1-3 messages.
  async enqueue(c, ci) {
    const n = chance(0.3) ? 1 + rand(3) : 0;
    if (!takeTokens(1)) return false;
    const tag = newTag(ci);
    const r = await c.query(ENQ, [args(tag, n)]);
    noteCommitted(r.rows[0].id, tag, n, 'enqueue');
    countOp(n ? 'enqueue_with_messages' : 'enqueue');
    return true;
  },
  // Deduplication ID from a small pool, either policy; our own ID tells whether we created it.
  async enqueue_dedup(c, ci) {
    if (!takeTokens(1)) return false;
    const tag = newTag(ci);
    const wid = `dd-${tag}`;
    const policy = chance(0.5) ? 'reject' : 'return_existing';
    let id;
    try {
      id = (await c.query(ENQ_DEDUP, [args(tag, 0), wid, `ddk-${RUN}-${rand(DEDUP_KEYS)}`, policy])).rows[0].id;
    } catch (e) {
      if (e.code === '23505' && policy === 'reject') {
        absent.add(wid);
        countOp('enqueue_dedup_rejected_23505');
        throw new Allowed('23505');
      }
      throw e;
    }
    if (id === wid) {
      noteCommitted(wid, tag, 0, 'dedup');
      countOp('enqueue_dedup_created');
    } else {
      absent.add(wid);
      returnedHolders.push(id);
      countOp('enqueue_dedup_returned_existing');
    }
    return true;
  },
  // A fixed ID from a small pool, enqueued again and again (same arguments): one workflow.
  async enqueue_fixed(c) {
    const k = rand(FIXED_IDS);
    const id = fixedId(k);
    const r = await c.query(ENQ_ID, [args(`fixed-${RUN}-${k}`, 0), id]);
    if (r.rows[0].id !== id) throw new Error(`enqueue with workflow_id ${id} returned ${r.rows[0].id}`);
    noteCommitted(id, `fixed-${RUN}-${k}`, 0, 'fixed');
    countOp('enqueue_fixed_id');
    return true;
  },
  // Several enqueues (and sometimes a trigger insert and a send) in one transaction.
  async txn_multi(c, ci) {
    const k = 2 + rand(4);
    const trig = chance(0.3) ? 1 + rand(3) : 0;
    if (!takeTokens(k + trig)) return false;
    const pend = [];
    await c.query('BEGIN');
    try {
      for (let i = 0; i < k; i++) {
        const tag = newTag(ci);
        const n = chance(0.2) ? 1 : 0;
        const r = await c.query(ENQ, [args(tag, n)]);
        pend.push([r.rows[0].id, tag, n]);
      }
      if (trig) {
        const rows = [];
        for (let i = 0; i < trig; i++) {
          const tag = newTag(ci);
          rows.push({ wid: `tr-${tag}`, tag, n: 0 });
        }
        await c.query(`INSERT INTO rel_app.trg_src (wid, tag, nmsgs) SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(wid text, tag text, n int)`,
          [JSON.stringify(rows)]);
        for (const r of rows) pend.push([r.wid, r.tag, 0]);
      }
      const s = pickSend();
      if (s) await sendOne(c, s);
      await c.query('COMMIT');
    } catch (e) {
      await c.query('ROLLBACK').catch(() => {});
      for (const [id] of pend) absent.add(id);
      throw e;
    }
    for (const [id, tag, n] of pend) noteCommitted(id, tag, n, 'txn_multi');
    countOp('txn_multi_commit');
    countOp('txn_multi_workflows', pend.length);
    return true;
  },
  // Enqueues (some with a deduplication ID), a trigger insert, a send: then ROLLBACK.
  async txn_rollback(c, ci) {
    await c.query('BEGIN');
    const ids = [];
    try {
      const k = 1 + rand(3);
      // Shared deduplication keys are taken in sorted order, as any transaction taking several
      // unique keys must to avoid deadlocks (two plain INSERTs in opposite orders deadlock
      // too): a 40P01 left in this soak is then the extension's own.
      const dedups = [];
      for (let i = 0; i < k; i++) dedups.push(chance(0.3) ? `ddk-${RUN}-${rand(DEDUP_KEYS)}` : null);
      dedups.sort((a, b) => (a === null) - (b === null) || (a < b ? -1 : a > b ? 1 : 0));
      for (let i = 0; i < k; i++) {
        const tag = newTag(ci);
        const wid = `rb-${tag}`;
        ids.push(wid);
        if (dedups[i]) await c.query(ENQ_DEDUP, [args(tag, 0), wid, dedups[i], 'return_existing']);
        else await c.query(ENQ_ID, [args(tag, 0), wid]);
      }
      if (chance(0.4)) {
        const tag = newTag(ci);
        ids.push(`rbtr-${tag}`);
        await c.query(`INSERT INTO rel_app.trg_src (wid, tag, nmsgs) VALUES ($1, $2, 0)`, [`rbtr-${tag}`, tag]);
      }
      const dest = expectedMsgs.size ? randomMessageDest() : null;
      if (dest) {
        const key = `rb-${newTag(ci)}`;
        absentSendKeys.add(`${key}::${dest}`);
        await c.query(`SELECT dbos.send($1, $2::jsonb, 'soak', $3)`, [dest, JSON.stringify({ rolledBack: key }), key]);
      }
    } finally {
      for (const id of ids) absent.add(id);
      await c.query('ROLLBACK');
    }
    countOp('txn_rollback');
    countOp('txn_rollback_workflows', ids.length);
    return true;
  },
  // Rows through the statement-level trigger (workflow_id_column): one workflow per row.
  async trigger_insert(c, ci) {
    const k = 1 + rand(5);
    if (!takeTokens(k)) return false;
    const rows = [];
    for (let i = 0; i < k; i++) {
      const tag = newTag(ci);
      rows.push({ wid: `tr-${tag}`, tag, n: chance(0.2) ? 1 : 0 });
    }
    await c.query(`INSERT INTO rel_app.trg_src (wid, tag, nmsgs) SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(wid text, tag text, n int)`,
      [JSON.stringify(rows)]);
    for (const r of rows) noteCommitted(r.wid, r.tag, r.n, 'trigger');
    countOp('trigger_insert_statements');
    countOp('trigger_insert_workflows', k);
    return true;
  },
  async send(c) {
    const s = pickSend();
    if (!s) return false;
    await sendOne(c, s);
    return true;
  },
  async get_event(c) {
    if (!committedIds.length) return false;
    const id = committedIds[rand(committedIds.length)];
    const v = (await c.query(`SELECT dbos.get_event($1, 'got', 0.2) AS v`, [id])).rows[0].v;
    const want = committed.get(id).n;
    if (v !== null && v !== want) readMismatch.push(`get_event(${id}, 'got') = ${JSON.stringify(v)}, expected ${want}`);
    countOp(v === null ? 'get_event_null' : 'get_event_value');
    return true;
  },
  async get_result(c) {
    if (!committedIds.length) return false;
    const id = committedIds[rand(committedIds.length)];
    let v;
    try {
      v = (await c.query(`SELECT dbos.get_result($1, 0.5) AS v`, [id])).rows[0].v;
    } catch (e) {
      if (e.code === 'DB005') {
        countOp('get_result_timeout_DB005');
        throw new Allowed('DB005');
      }
      throw e;
    }
    const want = committed.get(id);
    if (!v || v.tag !== want.tag || !Array.isArray(v.msgs) || v.msgs.length !== want.n)
      readMismatch.push(`get_result(${id}) = ${JSON.stringify(v)}, expected tag ${want.tag} and ${want.n} messages`);
    countOp('get_result_value');
    return true;
  },
};

function randomMessageDest() {
  let i = 0;
  const skip = rand(expectedMsgs.size);
  for (const k of expectedMsgs.keys()) if (i++ === skip) return k;
  return null;
}
function pickSend() {
  if (!pendingSends.length) return null;
  const i = rand(pendingSends.length);
  const s = pendingSends[i];
  if (--s.copies <= 0) pendingSends.splice(i, 1);
  return s;
}
async function sendOne(c, s) {
  await c.query(`SELECT dbos.send($1, $2::jsonb, 'soak', $3)`, [s.dest, JSON.stringify(s.msg), s.key]);
  const uuid = `${s.key}::${s.dest}`;
  const e = sentKeys.get(uuid) || { dest: s.dest, copies: 0 };
  e.copies++;
  sentKeys.set(uuid, e);
  countOp('send');
}

const WEIGHTS = [
  ['enqueue', 22],
  ['enqueue_dedup', 8],
  ['enqueue_fixed', 8],
  ['txn_multi', 6],
  ['txn_rollback', 6],
  ['trigger_insert', 5],
  ['send', 25],
  ['get_event', 10],
  ['get_result', 10],
];
const WEIGHT_SUM = WEIGHTS.reduce((a, [, w]) => a + w, 0);
function pickOp() {
  let r = rand(WEIGHT_SUM);
  for (const [k, w] of WEIGHTS) if ((r -= w) < 0) return k;
  return 'send';
}

function noteError(kind, e) {
  const code = e.code || 'no SQLSTATE';
  const key = `${kind}:${code}`;
  errors[key] = (errors[key] || 0) + 1;
  if (unexpected.length < 20) unexpected.push(`${kind}: ${code} ${e.message}`);
}

// Runs one operation; returns whether it ran (false: no token, nothing to send or read).
async function runOp(kind, c, ci) {
  try {
    return await OPS[kind](c, ci);
  } catch (e) {
    if (e instanceof Allowed) {
      const k = `${kind}:${e.message} (allowed)`;
      errors[k] = (errors[k] || 0) + 1;
      return true;
    }
    noteError(kind, e);
    return true;
  }
}

async function connLoop(ci, endAt) {
  const c = new Client(L.pgConf({ application_name: `rel_soak_${ci}` }));
  let broken = false;
  c.on('error', (e) => {
    broken = true;
    noteError('connection', e);
  });
  await c.connect();
  while (L.now() < endAt && !broken) {
    // No token left (or nothing to send/read): a send or a read instead, else a short nap.
    const done = (await runOp(pickOp(), c, ci)) ||
      (await runOp(chance(0.5) ? 'send' : chance(0.5) ? 'get_event' : 'get_result', c, ci));
    if (!done) await L.sleep(5);
    await L.sleep(2 + rand(8));
  }
  // The rest of the sends: every key gets all its copies.
  if (ci === 0) {
    for (let s; (s = pickSend()); ) {
      try {
        await sendOne(c, s);
      } catch (e) {
        noteError('send', e);
      }
    }
  }
  await c.end().catch(() => {});
}

// ---- soak -----------------------------------------------------------------------------------------

async function setup(admin) {
  await admin.query(`
    CREATE SCHEMA IF NOT EXISTS rel_app;
    DROP TABLE IF EXISTS rel_app.starts, rel_app.done, rel_app.trg_src, rel_app.bulk_src;
    CREATE TABLE rel_app.starts (workflow_id text NOT NULL, tag text, pid int, executor text, at timestamptz DEFAULT clock_timestamp());
    CREATE TABLE rel_app.done (workflow_id text NOT NULL, tag text, pid int, executor text, msgs jsonb, at timestamptz DEFAULT clock_timestamp());
    CREATE INDEX ON rel_app.starts (workflow_id);
    CREATE INDEX ON rel_app.done (workflow_id);
    CREATE TABLE rel_app.trg_src (wid text PRIMARY KEY, tag text NOT NULL, nmsgs int NOT NULL DEFAULT 0);
    CREATE TRIGGER trg_src_enqueue AFTER INSERT ON rel_app.trg_src REFERENCING NEW TABLE AS new_rows
      FOR EACH STATEMENT EXECUTE FUNCTION dbos.enqueue_trigger('${QUEUE}', '', 'soakRow', 'workflow_id_column=wid');
    CREATE TABLE rel_app.bulk_src (id int NOT NULL, payload text);
    CREATE TRIGGER bulk_src_enqueue AFTER INSERT ON rel_app.bulk_src REFERENCING NEW TABLE AS new_rows
      FOR EACH STATEMENT EXECUTE FUNCTION dbos.enqueue_trigger('rel_bulk_trg', '', 'soakFast');
    -- Leftovers of an earlier run on the same database.
    DELETE FROM dbos.workflow_input WHERE workflow_uuid IN
      (SELECT workflow_uuid FROM dbos.workflow_status WHERE queue_name IN ('${QUEUE}', 'rel_bulk', 'rel_bulk_trg'));
    DELETE FROM dbos.workflow_status WHERE queue_name IN ('${QUEUE}', 'rel_bulk', 'rel_bulk_trg');`);
}

// Waits until nothing of the soak queue is ENQUEUED/PENDING; gives up after DRAIN_S without
// progress (a loaded machine drains slowly, a lost message never).
async function drain(admin) {
  const t0 = L.now();
  let best = Infinity;
  let progressAt = t0;
  for (;;) {
    const n = (await admin.query(
      `SELECT count(*)::int AS n FROM dbos.workflow_status WHERE queue_name = $1 AND status IN ('ENQUEUED', 'PENDING', 'DELAYED')`,
      [QUEUE])).rows[0].n;
    if (n < best) {
      best = n;
      progressAt = L.now();
    }
    if (n === 0 || L.now() - progressAt > DRAIN_S * 1000 || L.now() - t0 > 600000) return { left: n, ms: L.now() - t0 };
    await L.sleep(250);
  }
}

async function killAndRestartWorker(admin, name) {
  // Kill it while it runs something (workflows waiting for messages keep it busy): at 5
  // PENDING workflows, or at 1 after 10 s; otherwise the recovery check has nothing to see.
  // Those can all finish between the look and the kill: then restart and try again (3 times).
  for (let attempt = 1; ; attempt++) {
    const w = workers[name];
    for (const t = L.now(); L.now() - t < 30000; await L.sleep(20)) {
      const n = (await admin.query(
        `SELECT count(*)::int AS n FROM dbos.workflow_status WHERE executor_id = $1 AND status = 'PENDING' AND queue_name = $2`,
        [name, QUEUE])).rows[0].n;
      if (n >= 5 || (n >= 1 && L.now() - t > 10000)) break;
    }
    const pid = w.pid;
    w.proc.kill('SIGKILL');
    await w.exited;
    const killedAt = L.now();
    await L.sleep(300);
    const orphans = (await admin.query(
      `SELECT workflow_uuid FROM dbos.workflow_status WHERE executor_id = $1 AND status = 'PENDING' AND queue_name = $2`,
      [name, QUEUE])).rows.map((r) => r.workflow_uuid);
    if (orphans.length === 0 && attempt < 3) {
      const again = startWorker(name);
      await again.ready;
      continue;
    }
    await L.sleep(1700);
    // Nobody else takes them: they wait for their executor.
    const still = (await admin.query(
      `SELECT count(*)::int AS n FROM dbos.workflow_status WHERE workflow_uuid = ANY($1) AND status = 'PENDING' AND executor_id = $2`,
      [orphans, name])).rows[0].n;
    const w2 = startWorker(name);
    await w2.ready;
    return { pid, orphans, stillPendingBeforeRestart: still, downMs: L.now() - killedAt };
  }
}

async function soak(admin) {
  for (const name of ['rel-w1', 'rel-w2']) startWorker(name);
  await Promise.all(Object.values(workers).map((w) => w.ready));
  const t0 = L.now();
  const endAt = t0 + DURATION_S * 1000;
  const loops = [];
  for (let ci = 0; ci < CONNS; ci++) loops.push(connLoop(ci, endAt));
  let kill = null;
  if (KILL_WORKER) {
    await L.sleep(DURATION_S * 400);
    kill = await killAndRestartWorker(admin, 'rel-w1');
  }
  await Promise.all(loops);
  const soakMs = L.now() - t0;
  const d = await drain(admin);
  return { soakMs, drain: d, kill };
}

// REL_SABOTAGE=1 tests the test: it fakes a lost, a stuck and a duplicated workflow, a lost
// message and a leaked rolled-back enqueue, each of which some check must report.
async function sabotage(admin) {
  const plain = committedIds.filter((id) => committed.get(id).n === 0);
  const [lost, stuck, dup] = plain;
  await admin.query(`DELETE FROM dbos.workflow_status WHERE workflow_uuid = $1`, [lost]);
  await admin.query(`UPDATE dbos.workflow_status SET status = 'ENQUEUED' WHERE workflow_uuid = $1`, [stuck]);
  await admin.query(`INSERT INTO rel_app.done (workflow_id, tag, pid, executor, msgs)
                     SELECT workflow_id, tag, pid + 1, executor, msgs FROM rel_app.done WHERE workflow_id = $1`, [dup]);
  const key = [...sentKeys.keys()][0];
  await admin.query(`DELETE FROM dbos.notifications WHERE message_uuid = $1`, [key]);
  const leak = [...absent][0];
  await admin.query(`INSERT INTO dbos.workflow_status (workflow_uuid, status, name, queue_name) VALUES ($1, 'SUCCESS', 'soakTask', $2)`,
    [leak, QUEUE]);
  console.log(`# sabotage: lost ${lost}, stuck ${stuck}, duplicated ${dup}, message ${key} deleted, ${leak} leaked`);
}

async function verify(admin, run) {
  const totalOps = Object.entries(ops).reduce((a, [k, v]) => a + (/_workflows$/.test(k) ? 0 : v), 0);
  console.log(`# soak: ${CONNS} connections, ${(run.soakMs / 1000).toFixed(1)} s, ${totalOps} operations ` +
    `(${(totalOps / (run.soakMs / 1000)).toFixed(0)}/s); drain ${(run.drain.ms / 1000).toFixed(1)} s`);
  for (const [k, v] of Object.entries(ops).sort()) console.log(`#   ${k}: ${v}`);
  console.log(`#   errors: ${JSON.stringify(errors)}`);

  const ids = [...committed.keys()];
  const rows = (await admin.query(
    `SELECT workflow_uuid AS id, status, executor_id, recovery_attempts FROM dbos.workflow_status WHERE queue_name = $1`,
    [QUEUE])).rows;
  const byId = new Map(rows.map((r) => [r.id, r]));
  const missing = ids.filter((id) => !byId.has(id));
  const notSuccess = ids.filter((id) => byId.has(id) && byId.get(id).status !== 'SUCCESS');
  const holders = new Set(returnedHolders);
  const extra = rows.filter((r) => !committed.has(r.id));
  const leaked = rows.filter((r) => absent.has(r.id)).map((r) => r.id);
  // Rows outside our books: neither committed by us nor... (a rolled-back or rejected ID showing
  // up is `leaked`; anything else is a phantom).
  const phantom = extra.filter((r) => !absent.has(r.id));
  const badHolders = [...holders].filter((id) => !committed.has(id));

  const done = (await admin.query(`SELECT workflow_id, pid, msgs FROM rel_app.done`)).rows;
  const starts = (await admin.query(`SELECT workflow_id, pid FROM rel_app.starts`)).rows;
  const killedPid = run.kill ? run.kill.pid : -1;
  const group = (list) => {
    const m = new Map();
    for (const r of list) {
      const e = m.get(r.workflow_id) || { live: [], killed: [] };
      (r.pid === killedPid ? e.killed : e.live).push(r);
      m.set(r.workflow_id, e);
    }
    return m;
  };
  const doneBy = group(done);
  const startsBy = group(starts);
  const notDone = ids.filter((id) => !doneBy.has(id));
  const dupDone = [...doneBy].filter(([, e]) => e.live.length > 1 || e.killed.length > 1).map(([id]) => id);
  const dupStarts = [...startsBy].filter(([, e]) => e.live.length > 1).map(([id]) => id);
  const reDone = [...doneBy].filter(([, e]) => e.live.length === 1 && e.killed.length === 1).length;
  const reStarts = [...startsBy].filter(([, e]) => e.killed.length > 0 && e.live.length > 0).length;
  const ranAbsent = [...new Set([...done, ...starts].map((r) => r.workflow_id))].filter((id) => absent.has(id));
  const ranUnknown = [...new Set([...done, ...starts].map((r) => r.workflow_id))].filter((id) => !committed.has(id) && !absent.has(id));

  // Messages: each idempotency key stored once and consumed; each workflow got exactly its own.
  const dests = [...expectedMsgs.keys()];
  const notes = (await admin.query(
    `SELECT message_uuid, destination_uuid, consumed FROM dbos.notifications WHERE destination_uuid = ANY($1)`, [dests])).rows;
  const noteCount = new Map();
  for (const n of notes) noteCount.set(n.message_uuid, (noteCount.get(n.message_uuid) || 0) + 1);
  const keysMissing = [...sentKeys.keys()].filter((k) => !noteCount.has(k));
  const keysDup = [...noteCount].filter(([, c]) => c > 1).map(([k]) => k);
  const keysUnconsumed = notes.filter((n) => !n.consumed).map((n) => n.message_uuid);
  const keysRolledBack = notes.filter((n) => absentSendKeys.has(n.message_uuid)).map((n) => n.message_uuid);
  const keysUnknown = notes.filter((n) => !sentKeys.has(n.message_uuid) && !absentSendKeys.has(n.message_uuid)).map((n) => n.message_uuid);
  const copies = [...sentKeys.values()].reduce((a, e) => a + e.copies, 0);
  const wrongMsgs = [];
  for (const [dest, want] of expectedMsgs) {
    const e = doneBy.get(dest);
    const got = e ? (e.live[0] || e.killed[0]).msgs : null;
    // Receive order follows send order, which the connections interleave: compare as sets.
    const norm = (l) => JSON.stringify((l || []).map((m) => (m && typeof m === 'object' ? `${m.t}#${m.j}` : JSON.stringify(m))).sort());
    if (!got || norm(got) !== norm(want)) wrongMsgs.push(`${dest}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
  }

  const unexpectedCount = Object.entries(errors).filter(([k]) => !k.endsWith('(allowed)')).reduce((a, [, v]) => a + v, 0);
  const deadlocks = Object.entries(errors).filter(([k]) => k.endsWith(':40P01')).reduce((a, [, v]) => a + v, 0);
  const show = (l) => (l.length ? `${l.length}: ${l.slice(0, 5).join(', ')}` : '0');

  res.check('soak_ran_operations', totalOps > CONNS * 10 && ids.length > 0,
    `${totalOps} operations, ${ids.length} committed workflows, ${absent.size} rolled back or rejected, ` +
      `${sentKeys.size} idempotency keys sent ${copies} times`);
  res.check('no_40P01_deadlock', deadlocks === 0, `${deadlocks} deadlocks`);
  res.check('no_unexpected_error', unexpectedCount === 0,
    `allowed: 23505 on dedup with duplication_policy 'reject', DB005 on get_result(id, 0.5); unexpected ${unexpectedCount}` +
      (unexpected.length ? ': ' + unexpected.slice(0, 5).join(' | ') : ''));
  res.check('every_committed_enqueue_exists', missing.length === 0, `lost ${show(missing)} of ${ids.length}`);
  res.check('every_committed_enqueue_completed_SUCCESS', notSuccess.length === 0 && run.drain.left === 0,
    `not SUCCESS after a ${(run.drain.ms / 1000).toFixed(1)} s drain (${run.drain.left} left): ${show(notSuccess.map((id) => `${id}=${byId.get(id).status}`))}`);
  res.check('every_committed_enqueue_ran_to_completion', notDone.length === 0, `no completion record: ${show(notDone)}`);
  res.check('no_duplicate_execution', dupDone.length === 0 && dupStarts.length === 0,
    `completed twice: ${show(dupDone)}; started twice by live workers: ${show(dupStarts)}; ` +
      `re-executed after kill -9 (DBOS recovery, expected): ${reStarts} bodies, ${reDone} completion steps`);
  res.check('rolled_back_and_rejected_enqueues_absent', leaked.length === 0 && ranAbsent.length === 0,
    `${absent.size} IDs; present: ${show(leaked)}; ran: ${show(ranAbsent)}`);
  res.check('no_phantom_workflow', phantom.length === 0 && ranUnknown.length === 0,
    `rows nobody enqueued: ${show(phantom.map((r) => r.id))}; runs of unknown IDs: ${show(ranUnknown)}`);
  res.check('return_existing_returns_a_committed_holder', badHolders.length === 0,
    `${returnedHolders.length} returns; unknown holders: ${show(badHolders)}`);
  res.check('idempotent_sends_stored_once', keysMissing.length === 0 && keysDup.length === 0 && keysUnknown.length === 0,
    `${sentKeys.size} keys, ${copies} sends; missing ${show(keysMissing)}; stored twice ${show(keysDup)}; unknown ${show(keysUnknown)}`);
  res.check('rolled_back_sends_absent', keysRolledBack.length === 0, `${absentSendKeys.size} rolled back; present ${show(keysRolledBack)}`);
  res.check('idempotent_sends_delivered_exactly_once', keysUnconsumed.length === 0 && wrongMsgs.length === 0,
    `${expectedMsgs.size} receiving workflows; unconsumed ${show(keysUnconsumed)}; wrong messages ${show(wrongMsgs)}`);
  res.check('reads_consistent', readMismatch.length === 0, show(readMismatch));
  if (run.kill) {
    const k = run.kill;
    const recovered = k.orphans.filter((id) => byId.get(id) && byId.get(id).status === 'SUCCESS');
    const reran = k.orphans.filter((id) => (startsBy.get(id) || { live: [] }).live.length === 1);
    res.check('killed_worker_workflows_recovered_once', k.orphans.length > 0 && recovered.length === k.orphans.length &&
      reran.length === k.orphans.length && k.stillPendingBeforeRestart === k.orphans.length,
      `kill -9 of worker rel-w1 (pid ${k.pid}) left ${k.orphans.length} PENDING; ${k.stillPendingBeforeRestart} still PENDING ` +
        `until the restart (${(k.downMs / 1000).toFixed(1)} s down, same executor ID and app version); ` +
        `${recovered.length} SUCCESS, ${reran.length} re-executed once by the restarted worker`);
  }
  console.log(`# soak figures: ${ids.length} workflows committed, lost ${missing.length + notSuccess.length}, ` +
    `duplicated ${dupDone.length + dupStarts.length}, leaked ${leaked.length}, sends ${copies} for ${sentKeys.size} keys, ` +
    `messages lost ${keysMissing.length}, duplicated ${keysDup.length}`);
}

// ---- SIGKILL in bulk statements: all or none ----------------------------------------------------

async function backendPid(c) {
  return (await c.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
}

function killPid(pid) {
  try {
    process.kill(pid, 'SIGKILL');
    return true;
  } catch {
    return false; // already gone
  }
}

// After a SIGKILL the postmaster resets every backend and runs crash recovery. Returns a
// connection made after that: none of `pids` is listed any more (a SIGKILLed backend stays in
// pg_stat_activity until the reset; a connection made before the reset is ended by it).
async function reconnectAfterCrash(pids) {
  const deadline = L.now() + 180000;
  for (;;) {
    const a = await L.connectRetry(L.pgConf(), 180000);
    a.on('error', () => {});
    try {
      const n = (await a.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = ANY($1)', [pids])).rows[0].n;
      if (n === 0) return a;
    } catch {
      /* ended by the reset: connect again */
    }
    await a.end().catch(() => {});
    if (L.now() > deadline) throw new Error(`backends ${pids} still listed 180 s after the SIGKILL`);
    await L.sleep(200);
  }
}

// One bulk statement `sql` in an explicit transaction on a fresh connection, ended by a SIGKILL:
//   at 'statement'     its backend, while the statement waits for a lock on
//                      dbos.workflow_input that another session holds (SHARE: reads pass,
//                      inserts wait), i.e. partway through its writes, whatever the speed of
//                      the machine: the transaction cannot have committed;
//   at 'commit'        once the statement is done, COMMIT is sent and, without waiting for
//                      its answer (after delayMs), its backend (victim 'self') or an idle
//                      backend of another connection ('other': the postmaster then resets the
//                      committing backend too) is killed: the commit may or may not be done;
//   at 'after_commit'  another backend, once the COMMIT is acknowledged: it must survive.
// Then counts(admin) after crash recovery, and whether the COMMIT was acknowledged.
async function bulkTrial(sql, params, counts, how, setupSql = null) {
  const c = await L.connectRetry();
  c.on('error', () => {});
  const pid = await backendPid(c);
  if (setupSql) await c.query(setupSql);
  let helper = null;
  let helperPid = null;
  if (how.victim === 'other' || how.at === 'after_commit' || how.at === 'statement') {
    helper = await L.connectRetry();
    helper.on('error', () => {});
    helperPid = await backendPid(helper);
  }
  if (how.at === 'statement') {
    await helper.query('BEGIN');
    await helper.query('LOCK TABLE dbos.workflow_input IN SHARE MODE');
  }
  await c.query('BEGIN');
  const t0 = L.now();
  const stmt = c.query(sql, params).then((r) => ({ ok: true, r, at: L.now() }), (e) => ({ ok: false, err: e, at: L.now() }));
  let stillRunning = null;
  let acked = false;
  let victim = pid;
  let stmtErr = null;
  if (how.at === 'statement') {
    // Until the statement waits for the lock (it has written what comes before its first
    // workflow_input row), or ends.
    const a = await L.connectRetry();
    let settled = false;
    stmt.then(() => { settled = true; });
    for (const t = L.now(); !settled && L.now() - t < 120000; await L.sleep(5)) {
      const w = (await a.query(`SELECT state, wait_event_type FROM pg_stat_activity WHERE pid = $1`, [pid])).rows[0];
      if (w && w.state === 'active' && w.wait_event_type === 'Lock') {
        stillRunning = true;
        break;
      }
    }
    await a.end().catch(() => {});
    if (!killPid(pid)) stillRunning = false; // the backend is already gone (it crashed by itself)
    await stmt;
  } else {
    const r = await stmt;
    if (!r.ok) stmtErr = r.err;
    if (how.at === 'after_commit') {
      acked = await c.query('COMMIT').then(() => true, () => false);
      victim = helperPid;
      killPid(victim);
    } else {
      const commit = c.query('COMMIT').then(() => true, () => false);
      if (how.delayMs) await L.sleep(how.delayMs);
      victim = how.victim === 'other' ? helperPid : pid;
      killPid(victim);
      acked = await commit;
    }
  }
  const tKill = L.now();
  const a = await reconnectAfterCrash([pid, helperPid].filter(Boolean));
  const recoveryMs = L.now() - tKill;
  const n = await counts(a);
  await a.end().catch(() => {});
  await c.end().catch(() => {});
  if (helper) await helper.end().catch(() => {});
  return { n, acked, stillRunning, stmtErr, ms: L.now() - t0, recoveryMs, victim, pids: [pid, helperPid].filter(Boolean) };
}

// Runs the trials of one bulk case; each must leave all `rows` or none (in every count of
// counts()); a trial killed mid-statement must leave none, an acknowledged COMMIT all; and both
// outcomes must have happened, or the check could not tell "all or none" from either.
async function bulkCase(label, rows, makeSql, counts, trials, killedPids) {
  const outcomes = [];
  const bad = [];
  let base = null;
  for (const how of trials) {
    const nRows = how.at === 'statement' ? rows.statement : rows.commit;
    const { sql, params, setupSql } = makeSql(nRows, how);
    const a0 = await L.connectRetry();
    base = await counts(a0);
    await a0.end().catch(() => {});
    const r = await bulkTrial(sql, params, counts, how, setupSql);
    killedPids.push(r.victim);
    const d = Object.fromEntries(Object.entries(r.n).map(([k, v]) => [k, v - base[k]]));
    const all = Object.values(d).every((v) => v === nRows);
    const none = Object.values(d).every((v) => v === 0);
    const outcome = all ? 'all' : none ? 'none' : 'partial';
    const name = how.at === 'statement' ? 'killed while the statement waited for workflow_input' : how.at === 'after_commit'
      ? 'another backend killed after the COMMIT returned' : `${how.victim === 'other' ? 'another backend' : 'its backend'} killed ${how.delayMs || 0} ms after COMMIT was sent`;
    outcomes.push(`${name}: ${outcome}${r.acked ? ' (COMMIT acknowledged)' : ''}`);
    console.log(`# ${label}, ${nRows} rows, ${name}: ${outcome} ${JSON.stringify(d)}; COMMIT acknowledged: ${r.acked}; ` +
      `${(r.ms / 1000).toFixed(1)} s, recovery ${(r.recoveryMs / 1000).toFixed(1)} s`);
    if (r.stmtErr) bad.push(`${name}: the statement failed before the kill: ${r.stmtErr.code || ''} ${r.stmtErr.message}`);
    if (outcome === 'partial') bad.push(`${name}: partial ${JSON.stringify(d)} of ${nRows}`);
    if (how.at === 'statement' && !r.stillRunning) bad.push(`${name}: the statement never waited for the lock (it ended first)`);
    if (how.at === 'statement' && outcome !== 'none') bad.push(`${name}: ${outcome} although the transaction never committed`);
    if (r.acked && outcome !== 'all') bad.push(`${name}: COMMIT acknowledged but ${outcome} after recovery`);
    how.outcome = outcome;
  }
  const seen = new Set(trials.map((t) => t.outcome));
  res2.check(`${label}_sigkill_leaves_all_or_none`, bad.length === 0, `${outcomes.join('; ')}${bad.length ? ' -- ' + bad.join('; ') : ''}`);
  res2.check(`${label}_sigkill_outcomes_include_all_and_none`, seen.has('all') && seen.has('none'),
    `outcomes over ${trials.length} trials: ${[...seen].join(', ')}`);
}

// The kill moments of each case: mid-statement (none), COMMIT in flight (either), COMMIT done (all).
function killTrials() {
  const t = [{ at: 'statement' }];
  for (const delayMs of QUICK ? [0] : [0, 1, 5]) {
    t.push({ at: 'commit', victim: 'self', delayMs }, { at: 'commit', victim: 'other', delayMs });
  }
  t.push({ at: 'after_commit' });
  return t;
}

async function bulkTests() {
  const killedPids = [];
  // REL_SABOTAGE=1: each INSERT into dbos.workflow_input loses one of its rows in the same
  // transaction (as a writer that drops part of a batch would): the checks must see "partial".
  if (process.env.REL_SABOTAGE === '1') {
    const a = await L.connectRetry();
    await a.query(`CREATE OR REPLACE FUNCTION rel_app.sabotage_drop_one() RETURNS trigger LANGUAGE plpgsql AS $$
                     BEGIN DELETE FROM dbos.workflow_input WHERE workflow_uuid = (SELECT workflow_uuid FROM new_rows LIMIT 1); RETURN NULL; END $$;
                   DROP TRIGGER IF EXISTS rel_sabotage ON dbos.workflow_input;
                   CREATE TRIGGER rel_sabotage AFTER INSERT ON dbos.workflow_input REFERENCING NEW TABLE AS new_rows
                     FOR EACH STATEMENT EXECUTE FUNCTION rel_app.sabotage_drop_one()`);
    await a.end();
    console.log('# REL_SABOTAGE: each INSERT into dbos.workflow_input drops one of its rows');
  }
  // (1) SELECT dbos.enqueue(...) FROM generate_series(1, N): one statement, one transaction.
  let trial = 0;
  const enqSql = (rows) => ({
    sql: `SELECT count(dbos.enqueue('rel_bulk', NULL, 'soakFast', jsonb_build_array(i), workflow_id => $1 || i)) AS n
            FROM generate_series(1, ${rows}) i`,
    params: [`bulk-${RUN}-${++trial}-`],
  });
  const enqCounts = async (a) => (await a.query(
    `SELECT (SELECT count(*) FROM dbos.workflow_status WHERE queue_name = 'rel_bulk')::int AS status_rows,
            (SELECT count(*) FROM dbos.workflow_input i JOIN dbos.workflow_status s USING (workflow_uuid)
              WHERE s.queue_name = 'rel_bulk')::int AS input_rows`)).rows[0];
  await bulkCase(`bulk_enqueue`, { statement: BULK_ROWS, commit: BULK_COMMIT_ROWS }, enqSql, enqCounts, killTrials(), killedPids);

  // (2) INSERT under a statement-level enqueue_trigger. At the default work_mem (4MB) the
  // transition table spills to a temporary file; with work_mem 64MB it stays in memory.
  const TRG_SQL = (rows) => `INSERT INTO rel_app.bulk_src SELECT i, 'row ' || i FROM generate_series(1, ${rows}) i`;
  const trgCounts = async (a) => (await a.query(
    `SELECT (SELECT count(*) FROM rel_app.bulk_src)::int AS table_rows,
            (SELECT count(*) FROM dbos.workflow_status WHERE queue_name = 'rel_bulk_trg')::int AS status_rows,
            (SELECT count(*) FROM dbos.workflow_input i JOIN dbos.workflow_status s USING (workflow_uuid)
              WHERE s.queue_name = 'rel_bulk_trg')::int AS input_rows`)).rows[0];
  // A transition table that spilled to disk (work_mem 64kB, 2,000 rows), committed: all rows enqueued.
  {
    const a0 = await L.connectRetry();
    const base = await trgCounts(a0);
    let err = null;
    try {
      await a0.query(`SET work_mem = '64kB'`);
      await a0.query(TRG_SQL(2000));
    } catch (e) {
      err = e;
    }
    await a0.end().catch(() => {});
    const a1 = await L.connectRetry(L.pgConf(), 120000);
    const n = await trgCounts(a1);
    await a1.end().catch(() => {});
    const d = Object.fromEntries(Object.entries(n).map(([k, v]) => [k, v - base[k]]));
    res2.check('trigger_insert_transition_table_on_disk', !err && Object.values(d).every((v) => v === 2000),
      `INSERT of 2000 rows under work_mem 64kB: ${err ? `${err.code} ${err.message}` : 'committed'}; new rows: ${JSON.stringify(d)}` +
        (err ? ' (see the server log: a backend crash restarts the cluster)' : ''));
  }
  for (const [label, setupSql] of [['', null], ['_work_mem_64MB', `SET work_mem = '64MB'`]]) {
    const trials = label ? [{ at: 'statement' }, { at: 'after_commit' }] : killTrials();
    await bulkCase(`trigger_insert${label}`, { statement: TRIGGER_ROWS, commit: TRIGGER_COMMIT_ROWS },
      (rows) => ({ sql: TRG_SQL(rows), params: [], setupSql }), trgCounts, trials, killedPids);
  }
  // After the crashes, the extension works in the new backends.
  const a = await L.connectRetry();
  const id = (await a.query(`SELECT dbos.enqueue('rel_bulk', NULL, 'soakFast', '[1]') AS id`)).rows[0].id;
  const st = (await a.query(`SELECT status FROM dbos.get_status($1)`, [id])).rows[0];
  await a.end();
  res2.check('extension_works_after_crash_recovery', st && st.status === 'ENQUEUED', `status ${st && st.status}`);
  return killedPids;
}

// ---- main -----------------------------------------------------------------------------------------

function logCrashes(text, allowedPids) {
  return text.split('\n').filter((l) => {
    if (!/terminated by signal|PANIC|TRAP:|exited with exit code [^0]/.test(l)) return false;
    const m = /server process \(PID (\d+)\) was terminated by signal 9/.exec(l);
    return !(m && allowedPids.includes(Number(m[1])));
  });
}

// REL_SOAK=0 skips the soak, REL_BULK=0 the bulk kills; each part reports its own suite.
const SOAK = process.env.REL_SOAK !== '0';
const BULK = process.env.REL_BULK !== '0';
let phase = SOAK ? 'soak' : 'bulk'; // the suite an unexpected error is charged to

async function main() {
  const logFile = path.join(L.PGDATA, 'server.log');
  const logStart = fs.existsSync(logFile) ? fs.statSync(logFile).size : 0;
  const admin = await L.connectRetry();
  admin.on('error', () => {});
  await res.setMode(admin);
  res2.mode = res.mode;
  await setup(admin);
  if (SOAK) {
    console.log(`# soak mode: ${QUICK ? 'quick' : 'full'}; ${CONNS} connections, ${DURATION_S} s, enqueue rate cap ${RATE}/s, worker logs in ${LOG_DIR}`);
    const run = await soak(admin);
    if (process.env.REL_SABOTAGE === '1') await sabotage(admin);
    await verify(admin, run);
    await Promise.all(Object.values(workers).map(stopWorker));
    const midLog = fs.readFileSync(logFile, 'utf8').slice(logStart);
    const soakCrashes = logCrashes(midLog, []);
    res.check('server_log_no_crash_during_soak', soakCrashes.length === 0, soakCrashes.slice(0, 3).join(' | '));
  }
  await admin.end().catch(() => {});
  if (!BULK) return;
  phase = 'bulk';
  const logMid = fs.statSync(logFile).size;
  const killed = await bulkTests();
  const after = logCrashes(fs.readFileSync(logFile, 'utf8').slice(logMid), killed);
  res2.check('server_log_only_the_killed_backends', after.length === 0, after.slice(0, 3).join(' | '));
}

main()
  .catch((e) => (phase === 'bulk' ? res2 : res).check('suite_ran', false, e.stack || String(e)))
  .finally(() => {
    const a = SOAK ? res.summary() : 0;
    const b = BULK ? res2.summary() : 0;
    process.exit(a || b);
  });
