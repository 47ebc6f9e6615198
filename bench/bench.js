#!/usr/bin/env node
// The benchmark suite of dbos_client (started by bench/run.sh, which installs what it needs).
// Starts a private cluster, runs every benchmark side by side (fixed durations, rounds that
// alternate the variants, median and spread), prints the results with their ratios and
// targets, writes them to bench/results/<timestamp>.md and bench/results/latest.md, and
// stops the cluster. See bench/README.md.
'use strict';
const fs = require('fs');
const path = require('path');
const cp = require('child_process');
const os = require('os');
const crypto = require('crypto');

const ROOT = path.resolve(__dirname, '..');
const MODULES = path.join(ROOT, 'test/interop/node_modules');
const { Client } = require(path.join(MODULES, 'pg'));
const PGBIN = '/usr/lib/postgresql/15/bin';
// Fixed, whatever the environment says: test/cluster.sh start wipes the parent directory of
// its data directory, so the bench must never be pointed at another cluster's.
const PORT = '54340';
const PGDATA = '/tmp/dbos_bench/data';
const PGSOCK = '/tmp/dbos_bench/sock';
const DB = 'dbos_bench';
const URL = `postgresql://postgres@127.0.0.1:${PORT}/${DB}`;
const PRELOAD_CONF = "shared_preload_libraries = 'dbos_client'";
// No autovacuum in the bench cluster: every run starts from TRUNCATE + CHECKPOINT anyway, and
// an autovacuum or autoanalyze (even of a catalog) landing in a run adds CPU and XIDs to it.
const BASE_CONF = 'autovacuum = off';
const SO = '/usr/lib/postgresql/15/lib/dbos_client.so';
const CLK_TCK = parseInt(cp.execSync('getconf CLK_TCK').toString(), 10) || 100;


const argv = process.argv.slice(2);
const QUICK = argv.includes('--quick');
const ONLY = (argv.find((a) => a.startsWith('--only=')) || '').slice(7).split(',').filter(Boolean);
const wanted = (n) => ONLY.length === 0 || ONLY.includes(String(n));
const T0 = Date.now();

// Durations. Full: ~10 minutes, quick: under 3 minutes on a quiet machine.
const CFG = QUICK
  ? { mode: 'quick', rounds: 2, T: 1, manyT: 1, manyNs: [1000, 10000], trigRows: 10000, trigRounds: 2,
      sendRounds: 2, wakeTrials: 50, wakeDelay: [20, 150], sdkTrials: 30, idleS: 3, preloadEnqueue: false }
  : { mode: 'full', rounds: 4, T: 3, manyT: 3, manyNs: [1000, 10000], trigRows: 100000, trigRounds: 3,
      sendRounds: 4, wakeTrials: 60, wakeDelay: [20, 150], sdkTrials: 50, idleS: 10, preloadEnqueue: true };

// Development overrides (not needed for a normal run): BENCH_ROUNDS, BENCH_T.
if (process.env.BENCH_ROUNDS) CFG.rounds = CFG.trigRounds = CFG.sendRounds = Number(process.env.BENCH_ROUNDS);
if (process.env.BENCH_T) CFG.T = CFG.manyT = Number(process.env.BENCH_T);

// ---------------------------------------------------------------- helpers

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const now = () => process.hrtime.bigint();
const msSince = (t0, t1) => Number(t1 - t0) / 1e6;
const log = (...a) => console.error(`[bench +${((Date.now() - T0) / 1000).toFixed(0)}s]`, ...a);

function sh(cmd, args, extraEnv = {}) {
  const r = cp.spawnSync(cmd, args, { env: { ...process.env, ...extraEnv }, encoding: 'utf8', cwd: ROOT });
  if (r.status !== 0)
    throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${(r.stderr || '') + (r.stdout || '')}`.trim());
  return r.stdout;
}

function pgConfig() {
  return { host: PGSOCK, port: Number(PORT), user: 'postgres', database: DB };
}

async function connect() {
  const c = new Client(pgConfig());
  c.on('error', () => {});
  await c.connect();
  return c;
}

function median(xs) {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
function percentile(xs, p) {  // nearest rank
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return NaN;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}
const minOf = (xs) => Math.min(...xs.filter(Number.isFinite));
const maxOf = (xs) => Math.max(...xs.filter(Number.isFinite));

function fmt(x, digits = 0) {
  if (!Number.isFinite(x)) return 'n/a';
  const a = Math.abs(x);
  if (digits === 0 && a >= 1000) return Math.round(x).toLocaleString('en-US');
  return x.toFixed(digits);
}
function spread(xs, digits = 0) {  // "median (min–max)"
  if (!xs.length) return 'n/a';
  return `${fmt(median(xs), digits)} (${fmt(minOf(xs), digits)}–${fmt(maxOf(xs), digits)})`;
}
const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? a / b : NaN);
const fx = (r) => (Number.isFinite(r) ? `${r.toFixed(2)}x` : 'n/a');
// A ratio next to its threshold: three decimals when two would hide which side it is on.
const fxAt = (r, threshold) =>
  (Number.isFinite(r) && Math.abs(r - threshold) < 0.005 ? `${r.toFixed(3)}x` : fx(r));

function table(head, rows) {
  const out = [`| ${head.join(' | ')} |`, `|${head.map((h, i) => (i ? '---:' : '---')).join('|')}|`];
  for (const r of rows) out.push(`| ${r.join(' | ')} |`);
  return out.join('\n');
}

// ---------------------------------------------------------------- server CPU

// CPU ticks of the whole cluster: the postmaster (including the children it has reaped:
// cutime/cstime) plus every live child (backends, checkpointer, walwriter, ...).
function postmasterPid() {
  return parseInt(fs.readFileSync(path.join(PGDATA, 'postmaster.pid'), 'utf8').split('\n')[0], 10);
}
function readStat(pid) {
  const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');  // f[0] = state (field 3)
  return { ppid: +f[1], own: +f[11] + +f[12], reaped: +f[13] + +f[14] };  // utime+stime, cutime+cstime
}
// Consistent only if no child was reaped during the scan (the postmaster's cutime did not
// move): a child reaped between reading the postmaster and reading the child would be
// counted nowhere, one reaped after being read would be counted twice.
function cpuSnapshot() {
  const pm = postmasterPid();
  for (let attempt = 0; ; attempt++) {
    const a = readStat(pm);
    let ticks = 0;
    let children = 0;
    for (const d of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(d) || +d === pm) continue;
      try {
        const st = readStat(d);
        if (st.ppid === pm) { ticks += st.own + st.reaped; children++; }
      } catch (e) { /* exited meanwhile */ }
    }
    const b = readStat(pm);
    // bg: the processes alive throughout (postmaster, checkpointer, WAL writer, ...); a
    // finished client's backend has been reaped into b.reaped.
    if (a.reaped === b.reaped || attempt >= 50) return { ticks: ticks + b.own + b.reaped, bg: ticks + b.own, children };
  }
}
// A snapshot taken when no more than `children` children are alive (the backends of a
// finished client have exited and been reaped, so their time sits in the postmaster's cutime).
async function settledSnapshot(children) {
  const deadline = Date.now() + 5000;
  for (;;) {
    const s = cpuSnapshot();
    if (s.children <= children || Date.now() > deadline) return s;
    await sleep(10);
  }
}
const cpuSeconds = (a, b) => (b.ticks - a.ticks) / CLK_TCK;

// ---------------------------------------------------------------- cluster and database

function startCluster(preload) {
  const env = { DBOS_PGPORT: PORT, DBOS_PGDATA: PGDATA, DBOS_PGSOCK: PGSOCK, DBOS_PGCONF: preload ? `${BASE_CONF}\n${PRELOAD_CONF}` : BASE_CONF };
  sh(path.join(ROOT, 'test/cluster.sh'), ['start'], env);
}
function stopCluster() {
  try {
    sh(path.join(ROOT, 'test/cluster.sh'), ['stop'], { DBOS_PGPORT: PORT, DBOS_PGDATA: PGDATA, DBOS_PGSOCK: PGSOCK });
  } catch (e) { /* already stopped */ }
}
function psqlEnv() {
  return { PGHOST: PGSOCK, PGPORT: String(PORT), PGUSER: 'postgres' };
}
function createDatabase() {
  sh(`${PGBIN}/createdb`, [DB], psqlEnv());
  const r = cp.spawnSync('npx', ['--no-install', 'dbos', 'schema', URL],
    { cwd: path.join(ROOT, 'test/interop'), encoding: 'utf8', env: process.env });
  if (r.status !== 0) throw new Error(`dbos schema failed: ${r.stderr}${r.stdout}`);
  sh(`${PGBIN}/psql`, ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', DB, '-c', 'CREATE EXTENSION dbos_client'], psqlEnv());
  sh(`${PGBIN}/psql`, ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', DB, '-f', path.join(__dirname, 'sql/setup.sql')], psqlEnv());
}
function serverLogProblems() {
  try {
    const text = fs.readFileSync(path.join(PGDATA, 'server.log'), 'utf8');
    return text.split('\n').filter((l) => /terminated by signal|PANIC|server process .* exited/.test(l));
  } catch (e) { return []; }
}

const ALL_TABLES = 'dbos.workflow_status, dbos.workflow_input, dbos.workflow_output, dbos.notifications, ' +
  'dbos.workflow_events, dbos.workflow_events_history, dbos.operation_outputs, dbos.streams, ' +
  'bench.t_none, bench.t_row_bare, bench.t_row_ew, bench.t_row_ext, bench.t_stmt_ext, bench.t_stmt_bare';

async function resetTables(admin, extraSql) {
  await admin.query(`TRUNCATE ${ALL_TABLES} CASCADE`);
  if (extraSql) await admin.query(extraSql);
  await admin.query('CHECKPOINT');
}

// How far ahead of the server's clock the newest created_at is, in ms (the extension's
// created_at is max(clock, previous + 1) per backend).
async function createdAtLead(admin) {
  const r = await admin.query(
    "SELECT max(created_at) - (extract(epoch FROM clock_timestamp()) * 1000)::bigint AS lead, count(*) AS n FROM dbos.workflow_status");
  return { lead: Number(r.rows[0].lead), rows: Number(r.rows[0].n) };
}

// ---------------------------------------------------------------- pgbench

async function pgbench(admin, { script, T, sync = 'on', defs = {}, setupSql }) {
  await resetTables(admin, setupSql);
  const args = ['-n', '-M', 'prepared', '-c', '1', '-T', String(T), '-h', PGSOCK, '-p', String(PORT), '-U', 'postgres',
    '-f', path.join(__dirname, 'sql', script)];
  for (const [k, v] of Object.entries(defs)) args.push('-D', `${k}=${v}`);
  args.push(DB);
  const before = await settledSnapshot(cpuSnapshot().children);
  const base = before.children;
  const r = cp.spawnSync(`${PGBIN}/pgbench`, args, {
    encoding: 'utf8', env: { ...process.env, PGOPTIONS: `-c synchronous_commit=${sync}` },
  });
  const after = await settledSnapshot(base);
  const out = `${r.stdout}\n${r.stderr}`;
  const txns = Number((out.match(/number of transactions actually processed: (\d+)/) || [])[1]);
  const tps = Number((out.match(/tps = ([\d.]+) \(without initial connection time\)/) || [])[1]);
  const failed = Number((out.match(/number of failed transactions: (\d+)/) || [0, 0])[1]);
  if (r.status !== 0 || !txns || failed)
    throw new Error(`pgbench ${script} failed (exit ${r.status}): ${out.split('\n').filter((l) => /error|ERROR|abort/.test(l)).slice(0, 3).join(' / ')}`);
  const cpu = cpuSeconds(before, after);
  const bg = (after.bg - before.bg) / CLK_TCK;
  return { txns, tps, cpu, cpuPerTxnUs: (cpu / txns) * 1e6, bgShare: cpu > 0 ? bg / cpu : NaN };
}

// Rounds alternate the order of the variants (round r starts at variant r).
function rotated(list, r) {
  const k = r % list.length;
  return list.slice(k).concat(list.slice(0, k));
}

// ---------------------------------------------------------------- 1. one enqueue per transaction

const B1 = [
  { key: 'enqueue', label: '`dbos.enqueue`', script: 'enqueue.sql' },
  { key: 'bare_two', label: 'bare INSERTs, 2 statements (pipelined)', script: 'bare_two.sql' },
  { key: 'bare_one', label: 'bare INSERTs, 1 statement (CTE)', script: 'bare_one.sql' },
  { key: 'ew', label: '`dbos.enqueue_workflow` (DBOS)', script: 'enqueue_workflow.sql' },
];

async function bench1(admin, variants = B1, syncs = ['on', 'off'], rounds = CFG.rounds) {
  const res = {};
  const configs = [];
  for (const sync of syncs) res[sync] = {};
  for (const v of variants) {
    for (const sync of syncs) { res[sync][v.key] = []; configs.push({ sync, v }); }
  }
  // Every (synchronous_commit, variant) pair alternates with every other one.
  for (let r = 0; r < rounds; r++) {
    for (const { sync, v } of rotated(configs, r * Math.max(1, Math.floor(configs.length / rounds)))) {
      const m = await pgbench(admin, { script: v.script, T: CFG.T, sync });
      if (v.key === 'enqueue') m.lead = (await createdAtLead(admin)).lead;
      res[sync][v.key].push(m);
      log(`1/txn sync=${sync} round ${r + 1} ${v.key}: ${m.tps.toFixed(0)} ops/s, ${m.cpuPerTxnUs.toFixed(1)} us CPU/op`);
    }
  }
  return res;
}

function report1(res, variants = B1) {
  const out = [];
  for (const sync of Object.keys(res)) {
    const R = res[sync];
    const med = (k, f) => median((R[k] || []).map(f));
    const ewOps = med('ew', (m) => m.tps);
    const bareCpu = med('bare_one', (m) => m.cpuPerTxnUs);
    const head = ['variant', 'ops/s median (min–max)', 'server CPU µs/op median (min–max)', 'of which background processes'];
    if (R.ew) head.push('ops/s ÷ enqueue_workflow');
    head.push('CPU/op ÷ bare 1-stmt');
    out.push(`\n**synchronous_commit = ${sync}**\n`);
    out.push(table(head, variants.filter((v) => R[v.key]).map((v) => {
      const row = [v.label, spread(R[v.key].map((m) => m.tps)), spread(R[v.key].map((m) => m.cpuPerTxnUs), 1),
        `${fmt(100 * med(v.key, (m) => m.bgShare))}%`];
      if (R.ew) row.push(fx(ratio(med(v.key, (m) => m.tps), ewOps)));
      row.push(fx(ratio(med(v.key, (m) => m.cpuPerTxnUs), bareCpu)));
      return row;
    })));
    if (R.enqueue && R.enqueue[0] && R.enqueue[0].lead !== undefined)
      out.push(`\n\`dbos.enqueue\` created_at ahead of the server clock at the end of a run: ${spread(R.enqueue.map((m) => m.lead / 1000), 1)} s (median (min–max)).`);
  }
  return out.join('\n');
}

// ---------------------------------------------------------------- 2. many enqueues per transaction

const B2 = [
  { key: 'enqueue', label: '`dbos.enqueue` × N', script: 'many_enqueue.sql' },
  { key: 'ew', label: '`dbos.enqueue_workflow` × N', script: 'many_enqueue_workflow.sql' },
  { key: 'bare', label: 'set-based INSERT … SELECT (floor)', script: 'many_bare.sql' },
];

async function bench2(admin) {
  const res = {};
  for (const n of CFG.manyNs) {
    res[n] = {};
    for (const v of B2) res[n][v.key] = [];
    for (let r = 0; r < CFG.rounds; r++) {
      for (const v of rotated(B2, r)) {
        const m = await pgbench(admin, { script: v.script, T: CFG.manyT, defs: { n } });
        m.rowsPerS = m.tps * n;
        m.cpuPerRowUs = m.cpuPerTxnUs / n;
        if (v.key === 'enqueue') m.lead = (await createdAtLead(admin)).lead;
        res[n][v.key].push(m);
        log(`many N=${n} round ${r + 1} ${v.key}: ${m.rowsPerS.toFixed(0)} rows/s (${m.txns} txns)`);
      }
    }
  }
  return res;
}

function report2(res) {
  const out = [];
  for (const n of Object.keys(res)) {
    const R = res[n];
    const med = (k, f) => median(R[k].map(f));
    const ew = med('ew', (m) => m.rowsPerS);
    const floor = med('bare', (m) => m.rowsPerS);
    out.push(`\n**N = ${n} rows per transaction**\n`);
    out.push(table(['variant', 'rows/s median (min–max)', 'server CPU µs/row', 'txns/run', '÷ enqueue_workflow', '÷ set-based floor'],
      B2.map((v) => [v.label, spread(R[v.key].map((m) => m.rowsPerS)), fmt(med(v.key, (m) => m.cpuPerRowUs), 1),
        fmt(med(v.key, (m) => m.txns)), fx(ratio(med(v.key, (m) => m.rowsPerS), ew)), fx(ratio(med(v.key, (m) => m.rowsPerS), floor))])));
    if (R.enqueue[0].lead !== undefined)
      out.push(`\n\`dbos.enqueue\` created_at ahead of the server clock at the end of a run: ${spread(R.enqueue.map((m) => m.lead / 1000), 1)} s.`);
  }
  return out.join('\n');
}

// ---------------------------------------------------------------- 3. triggers

const B3 = [
  { key: 'none', label: 'no trigger', table: 't_none' },
  { key: 'row_bare', label: 'plpgsql row trigger, bare INSERTs', table: 't_row_bare' },
  { key: 'row_ew', label: 'plpgsql row trigger → `dbos.enqueue_workflow`', table: 't_row_ew' },
  { key: 'row_ext', label: '`dbos.enqueue_trigger` FOR EACH ROW', table: 't_row_ext' },
  { key: 'stmt_ext', label: '`dbos.enqueue_trigger` FOR EACH STATEMENT', table: 't_stmt_ext' },
  { key: 'stmt_bare', label: 'plpgsql statement trigger, set-based INSERT … SELECT', table: 't_stmt_bare' },
];

async function triggerRun(admin, v, rows) {
  await resetTables(admin);
  const c = await connect();
  try {
    await c.query('SELECT 1');
    const x0 = BigInt((await c.query('SELECT txid_current() AS x')).rows[0].x);
    const s0 = cpuSnapshot();
    const t0 = now();
    await c.query(`INSERT INTO bench.${v.table} SELECT i, 'customer-' || (i % 1000), (i % 100) + 0.5, 'note ' || i
                   FROM generate_series(1, ${rows}) i`);
    const t1 = now();
    const s1 = cpuSnapshot();
    const x1 = BigInt((await c.query('SELECT txid_current() AS x')).rows[0].x);
    const seconds = msSince(t0, t1) / 1000;
    const created = Number((await admin.query('SELECT count(*) AS n FROM dbos.workflow_input')).rows[0].n);
    const expected = v.key === 'none' ? 0 : rows;
    if (created !== expected) throw new Error(`${v.key}: ${created} workflows written, expected ${expected}`);
    return { seconds, rowsPerS: rows / seconds, extraXids: Number(x1 - x0) - 2, cpu: cpuSeconds(s0, s1) };
  } finally {
    await c.end();
  }
}

async function bench3(admin) {
  const res = {};
  for (const v of B3) res[v.key] = [];
  for (let r = 0; r < CFG.trigRounds; r++) {
    for (const v of rotated(B3, r)) {
      const m = await triggerRun(admin, v, CFG.trigRows);
      res[v.key].push(m);
      log(`trigger round ${r + 1} ${v.key}: ${m.seconds.toFixed(2)} s, ${m.extraXids} extra XIDs`);
    }
  }
  return res;
}

function report3(res) {
  const med = (k, f) => median(res[k].map(f));
  const none = med('none', (m) => m.seconds);
  const rowEw = med('row_ew', (m) => m.rowsPerS);
  return table(['variant', 'time s median (min–max)', 'rows/s', 'trigger overhead s', 'server CPU s', 'extra XIDs', '÷ enqueue_workflow row trigger'],
    B3.map((v) => [v.label, spread(res[v.key].map((m) => m.seconds), 2), fmt(med(v.key, (m) => m.rowsPerS)),
      v.key === 'none' ? '–' : fmt(med(v.key, (m) => m.seconds) - none, 2), fmt(med(v.key, (m) => m.cpu), 2),
      fmt(maxOf(res[v.key].map((m) => m.extraXids))), v.key === 'none' ? '–' : fx(ratio(med(v.key, (m) => m.rowsPerS), rowEw))]));
}

// ---------------------------------------------------------------- 4. send

const SEND_SETUP = "INSERT INTO dbos.workflow_status (workflow_uuid, status, name, queue_name, serialization) " +
  "VALUES ('bench-dest', 'PENDING', 'benchWorkflow', '_dbos_internal_queue', 'portable_json')";
const B4 = [
  { key: 'send', label: '`dbos.send`', script: 'send.sql' },
  { key: 'bare', label: 'bare INSERT into notifications', script: 'send_bare.sql' },
  { key: 'sm', label: '`dbos.send_message` (DBOS)', script: 'send_message.sql' },
];

async function bench4(admin) {
  const res = {};
  for (const v of B4) res[v.key] = [];
  for (let r = 0; r < CFG.sendRounds; r++) {
    for (const v of rotated(B4, r)) {
      const m = await pgbench(admin, { script: v.script, T: CFG.T, setupSql: SEND_SETUP });
      res[v.key].push(m);
      log(`send round ${r + 1} ${v.key}: ${m.tps.toFixed(0)} ops/s, ${m.cpuPerTxnUs.toFixed(1)} us CPU/op`);
    }
  }
  return res;
}

function report4(res) {
  const med = (k, f) => median(res[k].map(f));
  const sm = med('sm', (m) => m.tps);
  const bare = med('bare', (m) => m.cpuPerTxnUs);
  return table(['variant', 'ops/s median (min–max)', 'server CPU µs/op median (min–max)', 'ops/s ÷ send_message', 'CPU/op ÷ bare INSERT'],
    B4.map((v) => [v.label, spread(res[v.key].map((m) => m.tps)), spread(res[v.key].map((m) => m.cpuPerTxnUs), 1),
      fx(ratio(med(v.key, (m) => m.tps), sm)), fx(ratio(med(v.key, (m) => m.cpuPerTxnUs), bare))]));
}

// ---------------------------------------------------------------- 5. wake-up latency

async function prepareWaitRows(admin, tag, n) {
  await resetTables(admin);
  await admin.query(`INSERT INTO dbos.workflow_status (workflow_uuid, status, name, queue_name, serialization)
    SELECT 'bench-wait', 'PENDING', 'benchWorkflow', '_dbos_internal_queue', 'portable_json'
    UNION ALL
    SELECT 'bench-res-${tag}-' || i, 'PENDING', 'benchWorkflow', '_dbos_internal_queue', 'portable_json'
    FROM generate_series(0, ${n - 1}) i`);
}

// The writer's commit: an event row, or the end of a workflow (output row + SUCCESS).
async function commitWrite(writer, kind, id, key) {
  await writer.query('BEGIN');
  if (kind === 'event') {
    await writer.query(`INSERT INTO dbos.workflow_events (workflow_uuid, key, value, serialization)
                        VALUES ($1, $2, '{"x": 1}', 'portable_json')`, [id, key]);
  } else {
    await writer.query("INSERT INTO dbos.workflow_output (workflow_uuid, output) VALUES ($1, '42')", [id]);
    await writer.query(`UPDATE dbos.workflow_status SET status = 'SUCCESS',
                          updated_at = (extract(epoch FROM clock_timestamp()) * 1000)::bigint,
                          completed_at = (extract(epoch FROM clock_timestamp()) * 1000)::bigint
                        WHERE workflow_uuid = $1`, [id]);
  }
  await writer.query('COMMIT');
  return now();
}

function latencyStats(lat, failures, early) {
  const clamped = lat.map((x) => Math.max(0, x));
  return { n: lat.length, failures, early, p50: percentile(clamped, 50), p95: percentile(clamped, 95),
    max: maxOf(clamped), mean: clamped.reduce((a, b) => a + b, 0) / (clamped.length || 1) };
}

// One waiter backend in dbos.get_event / dbos.get_result, one writer; sequential trials, the
// write after a random delay (so the waiter is at a random point of its polling backoff).
async function extWake(admin, kind, tag) {
  const n = CFG.wakeTrials;
  await prepareWaitRows(admin, tag, n);
  const waiter = await connect();
  const writer = await connect();
  const lat = [];
  let failures = 0;
  let early = 0;
  try {
    await waiter.query("SELECT dbos.get_event('bench-wait', 'warm-up', 0), dbos.get_status('bench-wait')");
    for (let i = 0; i < n; i++) {
      const id = kind === 'event' ? 'bench-wait' : `bench-res-${tag}-${i}`;
      const key = `k-${tag}-${i}`;
      let done = null;
      const p = (kind === 'event'
        ? waiter.query('SELECT dbos.get_event($1, $2, 30) AS v', [id, key])
        : waiter.query('SELECT dbos.get_result($1, 30) AS v', [id]))
        .then((r) => { done = now(); return r; });
      await sleep(CFG.wakeDelay[0] + Math.random() * (CFG.wakeDelay[1] - CFG.wakeDelay[0]));
      if (done !== null) { failures++; await p.catch(() => {}); continue; }  // returned before the write
      const committed = await commitWrite(writer, kind, id, key);
      const r = await p;
      const v = r.rows[0].v;
      if (v === null || v === undefined) { failures++; continue; }
      const ms = msSince(committed, done);
      if (ms < 0) early++;
      lat.push(ms);
    }
  } finally {
    await waiter.end();
    await writer.end();
  }
  return latencyStats(lat, failures, early);
}

// DBOSClient with default settings: many waits at once (its polling does not depend on the
// other waits), commits spread uniformly over one polling period and a bit.
async function sdkWake(admin, kind, tag) {
  process.noDeprecation = true;  // pg-pool inside the SDK warns about its own query queueing
  const { DBOSClient } = require(path.join(MODULES, '@dbos-inc/dbos-sdk'));
  const n = CFG.sdkTrials;
  const period = kind === 'event' ? 10000 : 1000;  // SDK defaults: getEvent 10 s, getResult 1 s
  await prepareWaitRows(admin, tag, n);
  const client = await DBOSClient.create({ systemDatabaseUrl: URL });
  const writer = await connect();
  const done = new Array(n).fill(null);
  const committed = new Array(n).fill(null);
  const waits = [];
  let failures = 0;
  try {
    for (let i = 0; i < n; i++) {  // staggered starts, so the polls do not all line up
      const id = kind === 'event' ? 'bench-wait' : `bench-res-${tag}-${i}`;
      const p = kind === 'event' ? client.getEvent(id, `k-${tag}-${i}`) : client.retrieveWorkflow(id).getResult();
      waits.push(p.then((v) => { done[i] = now(); if (v === null || v === undefined) failures++; },
        () => { failures++; }));
      await sleep(1000 / n);
    }
    const start = Date.now();
    const plan = [...Array(n).keys()].map((i) => ({ i, at: 200 + Math.random() * (period + 200) }))
      .sort((a, b) => a.at - b.at);
    for (const { i, at } of plan) {
      const wait = start + at - Date.now();
      if (wait > 0) await sleep(wait);
      const id = kind === 'event' ? 'bench-wait' : `bench-res-${tag}-${i}`;
      committed[i] = await commitWrite(writer, kind, id, `k-${tag}-${i}`);
    }
    await Promise.all(waits);
  } finally {
    await writer.end();
    await client.destroy();
  }
  const lat = [];
  let early = 0;
  for (let i = 0; i < n; i++) {
    if (done[i] === null || committed[i] === null) continue;
    const ms = msSince(committed[i], done[i]);
    if (ms < 0) early++;
    lat.push(ms);
  }
  return latencyStats(lat, failures, early);
}

// CPU the cluster spends while 100 backends wait in get_event (or sit idle, the baseline).
async function idleCpu(admin, waiting) {
  const N = 100;
  await prepareWaitRows(admin, 'idle', 1);
  const clients = [];
  for (let i = 0; i < N; i += 20)
    clients.push(...await Promise.all([...Array(Math.min(20, N - i)).keys()].map(() => connect())));
  const waits = waiting
    ? clients.map((c, i) => c.query('SELECT dbos.get_event($1, $2, $3)', ['bench-wait', `idle-${i}`, CFG.idleS + 60])
      .catch(() => null))
    : [];
  await sleep(1500);  // every backoff at its longest step
  const s0 = cpuSnapshot();
  await sleep(CFG.idleS * 1000);
  const s1 = cpuSnapshot();
  let still = N;
  if (waiting) {
    still = Number((await admin.query(`SELECT count(*) AS n FROM pg_stat_activity
      WHERE query LIKE 'SELECT dbos.get_event%' AND state = 'active'`)).rows[0].n);
    await admin.query(`SELECT pg_cancel_backend(pid) FROM pg_stat_activity
      WHERE query LIKE 'SELECT dbos.get_event%' AND pid <> pg_backend_pid()`);
    await Promise.all(waits);
  }
  await Promise.all(clients.map((c) => c.end()));
  const cpu = cpuSeconds(s0, s1);
  return { cpu, window: CFG.idleS, perSecond: cpu / CFG.idleS, stillWaiting: still, waiting };
}

function reportWake(res) {
  const rows = [];
  for (const [label, r] of res) {
    if (r.error) { rows.push([label, 'error', r.error, '', '', '', '']); continue; }
    rows.push([label, `${r.n}`, fmt(r.p50, 2), fmt(r.p95, 2), fmt(r.max, 2), fmt(r.mean, 2),
      `${r.failures}${r.early ? ` (${r.early} woke before COMMIT returned)` : ''}`]);
  }
  return table(['waiter', 'trials', 'p50 ms', 'p95 ms', 'max ms', 'mean ms', 'failed'], rows);
}

// ---------------------------------------------------------------- report

function targetsTable(R) {
  const rows = [];
  const add = (name, measured, ok, detail = '') =>
    rows.push([name, measured, ok === null ? 'n/a' : ok ? 'PASS' : 'MISS', detail]);
  if (R.b1) {
    for (const sync of Object.keys(R.b1)) {
      const b = R.b1[sync];
      const med = (k, f) => median(b[k].map(f));
      const cpuR = ratio(med('enqueue', (m) => m.cpuPerTxnUs), med('bare_one', (m) => m.cpuPerTxnUs));
      add(`1/txn (sync ${sync}): server CPU per enqueue ≤ 1.0x bare 1-statement`, fxAt(cpuR, 1.0), Number.isFinite(cpuR) ? cpuR <= 1.0 : null,
        `${fmt(med('enqueue', (m) => m.cpuPerTxnUs), 1)} vs ${fmt(med('bare_one', (m) => m.cpuPerTxnUs), 1)} µs`);
      const opsR = ratio(med('enqueue', (m) => m.tps), med('ew', (m) => m.tps));
      add(`1/txn (sync ${sync}): ops/s ≥ 1.3x enqueue_workflow`, fxAt(opsR, 1.3), Number.isFinite(opsR) ? opsR >= 1.3 : null,
        `${fmt(med('enqueue', (m) => m.tps))} vs ${fmt(med('ew', (m) => m.tps))} ops/s; by server CPU/op ` +
        `${fx(ratio(med('ew', (m) => m.cpuPerTxnUs), med('enqueue', (m) => m.cpuPerTxnUs)))} ` +
        `(the bare 1-statement: ${fx(ratio(med('ew', (m) => m.cpuPerTxnUs), med('bare_one', (m) => m.cpuPerTxnUs)))})`);
    }
  }
  if (R.b2) {
    for (const n of Object.keys(R.b2)) {
      const b = R.b2[n];
      const med = (k) => median(b[k].map((m) => m.rowsPerS));
      const cpu = (k) => median(b[k].map((m) => m.cpuPerRowUs));
      const r1 = ratio(med('enqueue'), med('ew'));
      const r2 = ratio(med('enqueue'), med('bare'));
      add(`many/txn N=${n}: rows/s ≥ 2x enqueue_workflow`, fxAt(r1, 2), Number.isFinite(r1) ? r1 >= 2 : null,
        `by server CPU/row ${fx(ratio(cpu('ew'), cpu('enqueue')))}; the floor itself: ${fx(ratio(med('bare'), med('ew')))} ` +
        `(by CPU ${fx(ratio(cpu('ew'), cpu('bare')))})`);
      add(`many/txn N=${n}: rows/s ≥ 0.9x set-based floor`, fxAt(r2, 0.9), Number.isFinite(r2) ? r2 >= 0.9 : null,
        `by server CPU/row ${fx(ratio(cpu('bare'), cpu('enqueue')))}`);
    }
  }
  if (R.b3) {
    const med = (k) => median(R.b3[k].map((m) => m.rowsPerS));
    const cpu = (k) => median(R.b3[k].map((m) => m.cpu));
    const r1 = ratio(med('stmt_ext'), med('stmt_bare'));
    const r2 = ratio(med('stmt_ext'), med('row_ew'));
    const r3 = ratio(med('row_ext'), med('row_bare'));
    const xids = maxOf(R.b3.stmt_ext.map((m) => m.extraXids));
    add('statement trigger ≥ 1.0x set-based plpgsql statement trigger', fxAt(r1, 1.0), Number.isFinite(r1) ? r1 >= 1.0 : null,
      `by server CPU ${fx(ratio(cpu('stmt_bare'), cpu('stmt_ext')))}`);
    add('statement trigger ≥ 1.9x enqueue_workflow row trigger', fxAt(r2, 1.9), Number.isFinite(r2) ? r2 >= 1.9 : null,
      `by server CPU ${fx(ratio(cpu('row_ew'), cpu('stmt_ext')))}; the set-based plpgsql trigger itself: ` +
      `${fx(ratio(med('stmt_bare'), med('row_ew')))} (by CPU ${fx(ratio(cpu('row_ew'), cpu('stmt_bare')))})`);
    add('statement trigger: zero extra XIDs', String(xids), Number.isFinite(xids) ? xids === 0 : null);
    add('row trigger ≥ 1.2x plpgsql bare-INSERT row trigger', fxAt(r3, 1.2), Number.isFinite(r3) ? r3 >= 1.2 : null,
      `by server CPU ${fx(ratio(cpu('row_bare'), cpu('row_ext')))}`);
  }
  if (R.wakePreload) {
    for (const [label, r] of R.wakePreload) {
      if (r.error) { add(`wake-up ${label}`, 'error', null, r.error); continue; }
      add(`wake-up ${label}: p50 ≤ 2 ms`, `${fmt(r.p50, 2)} ms`, r.p50 <= 2);
      add(`wake-up ${label}: p95 ≤ 10 ms`, `${fmt(r.p95, 2)} ms`, r.p95 <= 10);
    }
  }
  return `${table(['target (informational)', 'measured', 'result', 'detail'], rows)}\n\n` +
    'PASS/MISS judge the measured ratio (medians of throughput); the detail gives the same ratio ' +
    'from server CPU, which other load on the machine disturbs less.';
}

function fileMd5(f) {
  try { return crypto.createHash('md5').update(fs.readFileSync(f)).digest('hex').slice(0, 12); } catch (e) { return 'missing'; }
}
function gitInfo() {
  try {
    const head = cp.execSync('git rev-parse --short HEAD', { cwd: ROOT }).toString().trim();
    const dirty = cp.execSync('git status --porcelain --untracked-files=no -- src sql dbos_client--1.0.sql', { cwd: ROOT })
      .toString().trim() ? ' (src/ has uncommitted changes)' : '';
    return head + dirty;
  } catch (e) { return 'unknown'; }
}

// ---------------------------------------------------------------- main

async function main() {
  const t0 = Date.now();
  const R = { notes: [], errors: [] };
  const soBefore = fileMd5(SO);
  const soTime = (() => { try { return fs.statSync(SO).mtime.toISOString(); } catch (e) { return '?'; } })();
  const load0 = os.loadavg();
  R.sections = {};
  const guard = async (label, fn) => {
    const started = Date.now();
    const load = os.loadavg()[0];
    try { return await fn(); } catch (e) {
      R.errors.push(`${label}: ${e.message.split('\n')[0]}`);
      log(`ERROR in ${label}: ${e.message}`);
      return undefined;
    } finally {
      R.sections[label] = { seconds: (Date.now() - started) / 1000, load };
    }
  };
  const took = (...labels) => {
    const xs = labels.map((l) => R.sections[l]).filter(Boolean);
    if (!xs.length) return '';
    const secs = xs.reduce((a, x) => a + x.seconds, 0);
    return `_(${secs.toFixed(0)} s; load average ${xs.map((x) => x.load.toFixed(1)).join(', ')} at start)_`;
  };
  let pgVersion = '';
  let settings = '';

  process.on('SIGINT', () => { stopCluster(); process.exit(130); });
  process.on('SIGTERM', () => { stopCluster(); process.exit(143); });

  try {
    // ------------------------------------------------ phase A: the cluster as is
    log(`mode ${CFG.mode}: starting the cluster on port ${PORT}`);
    startCluster(false);
    log('cluster started; creating the database');
    createDatabase();
    log('database ready');
    let admin = await connect();
    pgVersion = (await admin.query('SHOW server_version')).rows[0].server_version;
    settings = (await admin.query(`SELECT string_agg(name || '=' || setting, ', ' ORDER BY name) AS s FROM pg_settings
      WHERE name IN ('fsync', 'synchronous_commit', 'shared_buffers', 'wal_level', 'max_connections', 'full_page_writes')`)).rows[0].s;

    if (wanted(1)) R.b1 = await guard('benchmark 1', () => bench1(admin));
    if (wanted(2)) R.b2 = await guard('benchmark 2', () => bench2(admin));
    if (wanted(3)) R.b3 = await guard('benchmark 3', () => bench3(admin));
    if (wanted(4)) R.b4 = await guard('benchmark 4', () => bench4(admin));
    if (wanted(5)) {
      R.wakePlain = [];
      for (const kind of ['event', 'result']) {
        const r = await guard(`wake-up ${kind} (no preload)`, () => extWake(admin, kind, `plain-${kind}`));
        R.wakePlain.push([`\`dbos.get_${kind}\`, polling (no preload)`, r || { error: 'failed' }]);
        log(`wake ${kind} no preload: p50 ${r && fmt(r.p50, 2)} ms p95 ${r && fmt(r.p95, 2)} ms`);
      }
      R.wakeSdk = [];
      for (const kind of ['event', 'result']) {
        const r = await guard(`SDK wake-up ${kind}`, () => sdkWake(admin, kind, `sdk-${kind}`));
        R.wakeSdk.push([kind === 'event' ? '`DBOSClient.getEvent` (defaults)' : '`retrieveWorkflow(id).getResult()` (defaults)', r || { error: 'failed' }]);
        log(`SDK wake ${kind}: p50 ${r && fmt(r.p50, 2)} ms p95 ${r && fmt(r.p95, 2)} ms`);
      }
      R.idle = [];
      if (!QUICK) R.idle.push(['100 idle connections (baseline), no preload', await guard('idle baseline', () => idleCpu(admin, false))]);
      R.idle.push(['100 backends in `dbos.get_event`, no preload', await guard('idle wait', () => idleCpu(admin, true))]);
    }
    const problemsA = serverLogProblems();
    if (problemsA.length) R.errors.push(`server log (no preload): ${problemsA.slice(0, 3).join(' / ')}`);
    await admin.end();

    // ------------------------------------------------ phase B: shared_preload_libraries
    if (wanted(5) || (wanted(1) && CFG.preloadEnqueue)) {
      log(`restarting the cluster with ${PRELOAD_CONF}`);
      stopCluster();
      const started = await guard('preloaded cluster start', async () => { startCluster(true); createDatabase(); return true; });
      if (started) {
        admin = await connect();
        R.preloadSetting = (await admin.query('SHOW shared_preload_libraries')).rows[0].shared_preload_libraries;
        R.preloadGucs = (await admin.query("SELECT string_agg(name || '=' || setting, ', ' ORDER BY name) AS s FROM pg_settings WHERE name LIKE 'dbos.%'")).rows[0].s;
        if (wanted(5)) {
          R.wakePreload = [];
          for (const kind of ['event', 'result']) {
            const r = await guard(`wake-up ${kind} (preload)`, () => extWake(admin, kind, `pre-${kind}`));
            R.wakePreload.push([`\`dbos.get_${kind}\`, preloaded`, r || { error: 'failed' }]);
            log(`wake ${kind} preload: p50 ${r && fmt(r.p50, 2)} ms p95 ${r && fmt(r.p95, 2)} ms`);
          }
          if (!QUICK) R.idle.push(['100 idle connections (baseline), preloaded', await guard('idle baseline (preload)', () => idleCpu(admin, false))]);
          R.idle.push(['100 backends in `dbos.get_event`, preloaded', await guard('idle wait (preload)', () => idleCpu(admin, true))]);
        }
        if (wanted(1) && CFG.preloadEnqueue) {
          R.b1Preload = await guard('benchmark 1 (preload)', () => bench1(admin, B1.filter((v) => ['enqueue', 'bare_one'].includes(v.key)), ['on'], 3));
        }
        const problemsB = serverLogProblems();
        if (problemsB.length) R.errors.push(`server log (preload): ${problemsB.slice(0, 3).join(' / ')}`);
        await admin.end();
      }
    }
  } catch (e) {
    R.errors.push(`aborted: ${e.message.split('\n')[0]}`);
    log(`ABORTED: ${e.stack}`);
  } finally {
    stopCluster();
  }

  // ------------------------------------------------ report
  const soAfter = fileMd5(SO);
  const load1 = os.loadavg();
  const minutes = (Date.now() - t0) / 60000;
  const md = [];
  md.push(`# dbos_client benchmarks — ${new Date(t0).toISOString()} (${CFG.mode} mode, ${minutes.toFixed(1)} min)`);
  md.push('');
  md.push(`- Repository HEAD ${gitInfo()}; installed \`dbos_client.so\` md5 ${soBefore} (mtime ${soTime})` +
    (soAfter !== soBefore ? ` — **the installed extension changed during the run (now ${soAfter})**` : ''));
  md.push(`- PostgreSQL ${pgVersion}; private cluster on port ${PORT}: ${settings}. **fsync = off**: a commit writes WAL but never ` +
    'waits for the disk, so synchronous_commit on/off differ only by the WAL write/flush call path.');
  md.push(`- Machine: ${os.cpus().length} CPUs (${os.cpus()[0] ? os.cpus()[0].model : '?'}), load average ${load0[0].toFixed(2)} at start, ` +
    `${load1[0].toFixed(2)} at end (other processes share the machine: expect noise; compare within a table, not across runs).`);
  md.push('- pgbench: `-n -M prepared -c 1`, fixed `-T`; one client over the Unix socket. Rounds alternate the order of the variants; ' +
    'cells are median (min–max) over rounds. Before every run: TRUNCATE of the DBOS and bench tables, then CHECKPOINT; ' +
    'autovacuum = off in the cluster (no autovacuum or autoanalyze landing in a run, no XIDs but ours).');
  md.push(`- Server CPU: utime+stime (+ reaped children) of the postmaster and all its children from /proc, before/after each run, ` +
    `divided by the transactions (or rows); includes the checkpointer, WAL writer etc. Clock tick ${1000 / CLK_TCK} ms.`);
  md.push(`- Durations: ${CFG.rounds} rounds × ${CFG.T} s per variant (1, 4), ${CFG.rounds} × ${CFG.manyT} s (2), ${CFG.trigRounds} rounds of a ` +
    `${CFG.trigRows.toLocaleString('en-US')}-row INSERT (3), ${CFG.wakeTrials} wake-up trials per extension case, ${CFG.sdkTrials} per SDK case (5).`);
  if (R.errors.length) {
    md.push('', '**Errors:**', '');
    for (const e of R.errors) md.push(`- ${e}`);
  }
  if (R.b1) {
    md.push('', '## 1. One enqueue per transaction', '', took('benchmark 1'), report1(R.b1));
  }
  if (R.b1Preload) {
    md.push('', '**The same with `shared_preload_libraries = \'dbos_client\'` (commit-time wake-up hooks, if any, in every ' +
      'backend; 3 rounds, run minutes later than the tables above: compare the two rows with each other, not with those tables)**',
      report1(R.b1Preload, B1.filter((v) => ['enqueue', 'bare_one'].includes(v.key))));
  }
  if (R.b2) md.push('', '## 2. Many enqueues in one transaction', '', took('benchmark 2'), report2(R.b2));
  if (R.b3) {
    md.push('', `## 3. A ${CFG.trigRows.toLocaleString('en-US')}-row INSERT into a user table, by trigger`, '', took('benchmark 3'), '',
      'Extra XIDs: txid_current() before and after (separate transactions) minus 2 (the statement\'s own XID and the "after" one); ' +
      'max over rounds. Trigger overhead: median time minus the no-trigger median. Every run checks that one workflow per row was written.', '',
      report3(R.b3));
  }
  if (R.b4) md.push('', '## 4. Send a message (synchronous_commit on)', '', took('benchmark 4'), '', report4(R.b4));
  if (R.wakePlain || R.wakePreload || R.wakeSdk) {
    md.push('', '## 5. Wake-up latency', '',
      'From the writer\'s COMMIT returning (event row inserted / workflow_output row + status SUCCESS) to the waiter\'s call returning. ' +
      `Extension: one waiter, sequential trials, write after a random ${CFG.wakeDelay[0]}–${CFG.wakeDelay[1]} ms. ` +
      'SDK: concurrent waiters (staggered starts), commits spread uniformly over one polling period. ' +
      'A negative latency (the waiter returned before the writer saw its COMMIT return) counts as 0.', '');
    const all = [...(R.wakePlain || []), ...(R.wakePreload || []), ...(R.wakeSdk || [])];
    md.push(took('wake-up event (no preload)', 'wake-up result (no preload)', 'wake-up event (preload)',
      'wake-up result (preload)', 'SDK wake-up event', 'SDK wake-up result'), '');
    md.push(reportWake(all));
    if (R.preloadSetting !== undefined)
      md.push('', `Preloaded cluster: shared_preload_libraries = '${R.preloadSetting}'; dbos.* settings: ${R.preloadGucs || 'none'}.`);
    if (R.idle && R.idle.length) {
      md.push('', `**Idle CPU: cluster CPU over ${CFG.idleS} s while 100 backends wait in \`dbos.get_event(..., ${CFG.idleS + 60})\`**`, '');
      md.push(table(['case', 'CPU s in window', 'CPU % of one core', 'backends still waiting at the end'],
        R.idle.map(([label, r]) => (r ? [label, fmt(r.cpu, 2), fmt(r.perSecond * 100, 1), r.waiting ? String(r.stillWaiting) : '–'] : [label, 'error', '', '']))));
    }
  }
  md.push('', '## Targets', '', targetsTable(R));
  md.push('');
  const text = md.join('\n');
  console.log(text);
  const dir = path.join(__dirname, 'results');
  fs.mkdirSync(dir, { recursive: true });
  const stamp = new Date(t0).toISOString().replace(/[:]/g, '').replace(/\..*/, '');
  const file = path.join(dir, `${stamp}${QUICK ? '-quick' : ''}.md`);
  fs.writeFileSync(file, text);
  fs.writeFileSync(path.join(dir, 'latest.md'), text);
  console.log(`results written to ${path.relative(ROOT, file)} and bench/results/latest.md`);
  return R.errors.length ? 1 : 0;
}

main().then((code) => process.exit(code), (e) => { console.error(e); stopCluster(); process.exit(1); });
