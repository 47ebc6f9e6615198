#!/usr/bin/env node
// The benchmark suite of dbos_client (started by bench/run.sh, which installs what it needs).
// Starts two private clusters, one with fsync = on (port 54341) and one with fsync = off
// (port 54340), runs every benchmark on both side by side (rounds alternate the clusters and
// the variants; median and spread), prints the results with their ratios and targets, writes
// them to bench/results/<timestamp>.md and bench/results/latest.md, and stops the clusters.
// See bench/README.md.
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
const DB = 'dbos_bench';
const PRELOAD_CONF = "shared_preload_libraries = 'dbos_client'";
// No autovacuum: every run starts from TRUNCATE + CHECKPOINT anyway, and an autovacuum or
// autoanalyze landing in a run adds CPU and XIDs to it. max_wal_size and checkpoint_timeout
// large enough that no checkpoint starts inside a run (each run starts with a CHECKPOINT).
const BASE_CONF = "autovacuum = off\nshared_buffers = '512MB'\nmax_wal_size = '8GB'\ncheckpoint_timeout = '1h'";
const SO = '/usr/lib/postgresql/15/lib/dbos_client.so';
const CLK_TCK = parseInt(cp.execSync('getconf CLK_TCK').toString(), 10) || 100;

// The two clusters. Fixed, whatever the environment says: test/cluster.sh start wipes the
// parent directory of its data directory, so the bench must never be pointed at another
// cluster's. test/cluster.sh writes `fsync = off`; the conf appended after it wins.
const CLUSTERS_ALL = [
  { key: 'on', label: 'fsync on', fsync: 'on', port: '54341', data: '/tmp/dbos_bench2/data', sock: '/tmp/dbos_bench2/sock' },
  { key: 'off', label: 'fsync off', fsync: 'off', port: '54340', data: '/tmp/dbos_bench/data', sock: '/tmp/dbos_bench/sock' },
];

const argv = process.argv.slice(2);
const QUICK = argv.includes('--quick');
const ONLY = (argv.find((a) => a.startsWith('--only=')) || '').slice(7).split(',').filter(Boolean);
const wanted = (n) => ONLY.length === 0 || ONLY.includes(String(n));
const FSYNC = (argv.find((a) => a.startsWith('--fsync=')) || '--fsync=both').slice(8);
const CLUSTERS = CLUSTERS_ALL.filter((c) => FSYNC === 'both' || FSYNC === c.fsync);
if (!CLUSTERS.length) { console.error('--fsync=on|off|both'); process.exit(2); }
const T0 = Date.now();

// Durations. Full: ~10 minutes, quick: ~3 minutes on a quiet 2-core machine.
const CFG = QUICK
  ? { mode: 'quick', rounds: 2, T: 1, rows: 20000, stmtRounds: 2, sendRounds: 2, sendT: 1,
      wakeTrials: 50, wakeDelay: [20, 150], sdkTrials: 30, idleS: 3 }
  : { mode: 'full', rounds: 3, T: 3, rows: 100000, stmtRounds: 3, sendRounds: 3, sendT: 2,
      wakeTrials: 60, wakeDelay: [20, 150], sdkTrials: 50, idleS: 10 };

// Development overrides (not needed for a normal run): BENCH_ROUNDS, BENCH_T, BENCH_ROWS.
if (process.env.BENCH_ROUNDS) CFG.rounds = CFG.stmtRounds = CFG.sendRounds = Number(process.env.BENCH_ROUNDS);
if (process.env.BENCH_T) CFG.T = CFG.sendT = Number(process.env.BENCH_T);
if (process.env.BENCH_ROWS) CFG.rows = Number(process.env.BENCH_ROWS);

// ---------------------------------------------------------------- helpers

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const now = () => process.hrtime.bigint();
const msSince = (t0, t1) => Number(t1 - t0) / 1e6;
const log = (...a) => console.error(`[bench +${((Date.now() - T0) / 1000).toFixed(0)}s]`, ...a);
const firstLine = (e) => String(e && e.message ? e.message : e).split('\n')[0];

function sh(cmd, args, extraEnv = {}) {
  const r = cp.spawnSync(cmd, args, { env: { ...process.env, ...extraEnv }, encoding: 'utf8', cwd: ROOT });
  if (r.status !== 0)
    throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${(r.stderr || '') + (r.stdout || '')}`.trim());
  return r.stdout;
}

const urlOf = (cl) => `postgresql://postgres@127.0.0.1:${cl.port}/${DB}`;

async function connect(cl) {
  const c = new Client({ host: cl.sock, port: Number(cl.port), user: 'postgres', database: DB });
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

// Rounds alternate the order of the variants (round r starts at variant r).
function rotated(list, r) {
  const k = r % list.length;
  return list.slice(k).concat(list.slice(0, k));
}

// Results of one variant on one cluster: its runs, or why it has none.
const newEntry = () => ({ runs: [], error: null, missing: null });
const med = (entry, f) => (entry && entry.runs.length ? median(entry.runs.map(f)) : NaN);
// A cell that says why a variant has no number.
const why = (entry) => (!entry ? 'n/a' : entry.missing ? `skipped: ${entry.missing}` : entry.error ? `error: ${entry.error}` : null);

// ---------------------------------------------------------------- server CPU

// CPU ticks of a whole cluster: the postmaster (including the children it has reaped:
// cutime/cstime) plus every live child (backends, checkpointer, walwriter, ...).
function postmasterPid(cl) {
  return parseInt(fs.readFileSync(path.join(cl.data, 'postmaster.pid'), 'utf8').split('\n')[0], 10);
}
function readStat(pid) {
  const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');  // f[0] = state (field 3)
  return { ppid: +f[1], own: +f[11] + +f[12], reaped: +f[13] + +f[14] };  // utime+stime, cutime+cstime
}
// Consistent only if no child was reaped during the scan (the postmaster's cutime did not
// move): a child reaped between reading the postmaster and reading the child would be
// counted nowhere, one reaped after being read would be counted twice.
function cpuSnapshot(cl) {
  const pm = postmasterPid(cl);
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
async function settledSnapshot(cl, children) {
  const deadline = Date.now() + 5000;
  for (;;) {
    const s = cpuSnapshot(cl);
    if (s.children <= children || Date.now() > deadline) return s;
    await sleep(10);
  }
}
const cpuSeconds = (a, b) => (b.ticks - a.ticks) / CLK_TCK;

// ---------------------------------------------------------------- clusters and database

function clusterEnv(cl, preload = false) {
  const conf = [BASE_CONF, `fsync = ${cl.fsync}`];
  if (preload) conf.push(PRELOAD_CONF);
  return { DBOS_PGPORT: cl.port, DBOS_PGDATA: cl.data, DBOS_PGSOCK: cl.sock, DBOS_PGCONF: conf.join('\n') };
}
function startCluster(cl, preload = false) {
  sh(path.join(ROOT, 'test/cluster.sh'), ['start'], clusterEnv(cl, preload));
}
function stopCluster(cl) {
  try { sh(path.join(ROOT, 'test/cluster.sh'), ['stop'], clusterEnv(cl)); } catch (e) { /* already stopped */ }
}
function psqlEnv(cl) {
  return { PGHOST: cl.sock, PGPORT: String(cl.port), PGUSER: 'postgres' };
}
// The file COPY reads: CFG.rows rows of the bench tables' columns, written by the server
// itself next to the cluster's data directory (so the server can read it back).
const copyFile = (cl) => path.join(path.dirname(cl.data), 'rows.copy');
const ROW_SELECT = (n) => `SELECT i, 'customer-' || (i % 1000), (i % 100) + 0.5, 'note ' || i FROM generate_series(1, ${n}) i`;

async function createDatabase(cl) {
  sh(`${PGBIN}/createdb`, [DB], psqlEnv(cl));
  const r = cp.spawnSync('npx', ['--no-install', 'dbos', 'schema', urlOf(cl)],
    { cwd: path.join(ROOT, 'test/interop'), encoding: 'utf8', env: process.env });
  if (r.status !== 0) throw new Error(`dbos schema failed: ${r.stderr}${r.stdout}`);
  sh(`${PGBIN}/psql`, ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', DB, '-c', 'CREATE EXTENSION dbos_client'], psqlEnv(cl));
  sh(`${PGBIN}/psql`, ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', DB, '-f', path.join(__dirname, 'sql/setup.sql')], psqlEnv(cl));
  const admin = await connect(cl);
  try {
    const s = (await admin.query('SHOW fsync')).rows[0].fsync;
    if (s !== cl.fsync) throw new Error(`cluster ${cl.port}: fsync is ${s}, expected ${cl.fsync}`);
    cl.extVersion = (await admin.query("SELECT extversion FROM pg_extension WHERE extname = 'dbos_client'")).rows[0].extversion;
    const fns = (await admin.query(`SELECT p.oid::regprocedure::text AS f FROM pg_proc p
      WHERE p.pronamespace = 'dbos'::regnamespace AND p.proname = 'enqueue_many'`)).rows.map((x) => x.f);
    cl.enqueueMany = fns.length ? fns.join(', ') : null;
    await admin.query(`COPY (${ROW_SELECT(CFG.rows)}) TO '${copyFile(cl)}'`);
  } finally {
    await admin.end();
  }
}
function serverLogProblems(cl) {
  try {
    const text = fs.readFileSync(path.join(cl.data, 'server.log'), 'utf8');
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

// How far ahead of the server's clock the newest created_at is, in ms.
async function createdAtLead(admin) {
  const r = await admin.query(
    "SELECT max(created_at) - (extract(epoch FROM clock_timestamp()) * 1000)::bigint AS lead FROM dbos.workflow_status");
  return Number(r.rows[0].lead);
}

// Every (cluster, variant) pair of every round, alternating: round r starts at a different
// cluster and, within a cluster, at a different variant. A variant that failed (or whose
// function is missing) is not run again on that cluster.
async function roundRobin(clusters, variants, rounds, run, label) {
  const res = {};
  for (const c of clusters) {
    res[c.cl.key] = {};
    for (const v of variants) {
      const e = newEntry();
      if (v.needs && !v.needs(c.cl)) e.missing = v.missingNote;
      res[c.cl.key][v.key] = e;
    }
  }
  for (let r = 0; r < rounds; r++) {
    for (const c of rotated(clusters, r)) {
      for (const v of rotated(variants, r)) {
        const e = res[c.cl.key][v.key];
        if (e.missing || e.error) continue;
        try {
          const m = await run(c, v);
          e.runs.push(m);
          log(`${label} ${c.cl.label} round ${r + 1} ${v.key}: ${m.summary}`);
        } catch (err) {
          e.error = firstLine(err);
          log(`${label} ${c.cl.label} ${v.key}: ERROR ${e.error}`);
        }
      }
    }
  }
  return res;
}

// ---------------------------------------------------------------- pgbench

async function pgbench(cl, admin, { script, T, defs = {}, setupSql }) {
  await resetTables(admin, setupSql);
  const args = ['-n', '-M', 'prepared', '-c', '1', '-T', String(T), '-h', cl.sock, '-p', String(cl.port), '-U', 'postgres',
    '-f', path.join(__dirname, 'sql', script)];
  for (const [k, v] of Object.entries(defs)) args.push('-D', `${k}=${v}`);
  args.push(DB);
  const before = await settledSnapshot(cl, cpuSnapshot(cl).children);
  const base = before.children;
  const r = cp.spawnSync(`${PGBIN}/pgbench`, args, { encoding: 'utf8', env: process.env });
  const after = await settledSnapshot(cl, base);
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

// ---------------------------------------------------------------- one big statement

// Runs `sql` (one statement, autocommit: the time includes its COMMIT and, with fsync on,
// the WAL flush) on a fresh connection after TRUNCATE + CHECKPOINT. Extra XIDs:
// txid_current() in a transaction before and one after, minus 2 (the statement's own XID and
// the "after" one). Checks that `expect` workflows (status + input rows) were written.
async function statementRun(cl, admin, sql, expect) {
  await resetTables(admin);
  const c = await connect(cl);
  try {
    await c.query('SELECT 1');
    const x0 = BigInt((await c.query('SELECT txid_current() AS x')).rows[0].x);
    const s0 = cpuSnapshot(cl);
    const t0 = now();
    await c.query(sql);
    const t1 = now();
    const s1 = cpuSnapshot(cl);
    const x1 = BigInt((await c.query('SELECT txid_current() AS x')).rows[0].x);
    const seconds = msSince(t0, t1) / 1000;
    const w = (await admin.query(`SELECT (SELECT count(*) FROM dbos.workflow_status WHERE status = 'ENQUEUED') AS s,
                                         (SELECT count(*) FROM dbos.workflow_input) AS i`)).rows[0];
    if (Number(w.s) !== expect || Number(w.i) !== expect)
      throw new Error(`${Number(w.s)} ENQUEUED status rows and ${Number(w.i)} input rows written, expected ${expect}`);
    const cpu = cpuSeconds(s0, s1);
    return { seconds, rowsPerS: CFG.rows / seconds, extraXids: Number(x1 - x0) - 2, cpu, cpuPerRowUs: (cpu / CFG.rows) * 1e6,
      summary: `${seconds.toFixed(2)} s, ${(cpu).toFixed(2)} s CPU, ${Number(x1 - x0) - 2} extra XIDs` };
  } finally {
    await c.end();
  }
}

// ---------------------------------------------------------------- 1. one enqueue per transaction

const B1 = [
  { key: 'enqueue', label: '`dbos.enqueue`', script: 'enqueue.sql' },
  { key: 'bare_one', label: 'bare INSERTs, 1 statement (CTE)', script: 'bare_one.sql' },
  { key: 'bare_two', label: 'bare INSERTs, 2 statements (pipelined)', script: 'bare_two.sql' },
  { key: 'ew', label: '`dbos.enqueue_workflow` (DBOS)', script: 'enqueue_workflow.sql' },
];

async function bench1(clusters) {
  return roundRobin(clusters, B1, CFG.rounds, async ({ cl, admin }, v) => {
    const m = await pgbench(cl, admin, { script: v.script, T: CFG.T });
    if (v.key === 'enqueue') m.lead = await createdAtLead(admin);
    m.summary = `${m.tps.toFixed(0)} ops/s, ${m.cpuPerTxnUs.toFixed(1)} us CPU/op`;
    return m;
  }, '1/txn');
}

function report1(res) {
  const out = [];
  for (const cl of CLUSTERS) {
    const R = res[cl.key];
    if (!R) continue;
    const ewOps = med(R.ew, (m) => m.tps);
    const bareCpu = med(R.bare_one, (m) => m.cpuPerTxnUs);
    out.push(`\n**${cl.label}** (synchronous_commit = on)\n`);
    out.push(table(['variant', 'ops/s median (min–max)', 'server CPU µs/op median (min–max)', 'of which background processes',
      'ops/s ÷ enqueue_workflow', 'CPU/op ÷ bare 1-stmt'],
    B1.map((v) => {
      const e = R[v.key];
      if (why(e)) return [v.label, why(e), '', '', '', ''];
      return [v.label, spread(e.runs.map((m) => m.tps)), spread(e.runs.map((m) => m.cpuPerTxnUs), 1),
        `${fmt(100 * med(e, (m) => m.bgShare))}%`, fx(ratio(med(e, (m) => m.tps), ewOps)),
        fx(ratio(med(e, (m) => m.cpuPerTxnUs), bareCpu))];
    })));
    if (R.enqueue && R.enqueue.runs.length)
      out.push(`\n\`dbos.enqueue\` created_at ahead of the server clock at the end of a run: ${spread(R.enqueue.runs.map((m) => m.lead / 1000), 1)} s.`);
  }
  return out.join('\n');
}

// ---------------------------------------------------------------- 2. bulk: N workflows in one statement

// The arguments of row i, as a jsonb array (the same in every variant).
const ARGS = "jsonb_build_array(i, 'a', '{\"k\": true}'::jsonb)";
const B2 = [
  { key: 'many', label: '`dbos.enqueue_many`',
    sql: (n) => `SELECT cardinality(dbos.enqueue_many('bench_q', NULL, 'benchWorkflow', array_agg(${ARGS} ORDER BY i)))
                 FROM generate_series(1, ${n}) i`,
    needs: (cl) => !!cl.enqueueMany, missingNote: 'function dbos.enqueue_many missing in the installed extension' },
  { key: 'bare', label: 'set-based INSERT … SELECT (status + input, 1 statement)',
    sql: (n) => `WITH r AS MATERIALIZED (
                   SELECT gen_random_uuid()::text AS wid, (extract(epoch FROM clock_timestamp()) * 1000)::bigint + i AS ms,
                          ${ARGS} AS args
                   FROM generate_series(1, ${n}) i),
                 created AS (
                   INSERT INTO dbos.workflow_status (workflow_uuid, status, name, queue_name, recovery_attempts, priority,
                       serialization, created_at, updated_at, creator_xid)
                   SELECT wid, 'ENQUEUED', 'benchWorkflow', 'bench_q', 0, 0, 'portable_json', ms, ms, gen_random_uuid()::text FROM r
                   ON CONFLICT DO NOTHING)
                 INSERT INTO dbos.workflow_input (workflow_uuid, inputs, retention_timestamp)
                 SELECT wid, '{"positionalArgs":' || args::text || '}', ms FROM r
                 ON CONFLICT DO NOTHING` },
  { key: 'enqueue', label: '`dbos.enqueue` × N in one statement',
    sql: (n) => `SELECT count(dbos.enqueue('bench_q', NULL, 'benchWorkflow', ${ARGS})) FROM generate_series(1, ${n}) i` },
  { key: 'ew', label: '`dbos.enqueue_workflow` × N in one statement (DBOS)',
    sql: (n) => `SELECT count(dbos.enqueue_workflow('benchWorkflow', 'bench_q', ARRAY[to_json(i), '"a"'::json, '{"k": true}'::json]))
                 FROM generate_series(1, ${n}) i` },
];

async function bench2(clusters) {
  return roundRobin(clusters, B2, CFG.stmtRounds,
    ({ cl, admin }, v) => statementRun(cl, admin, v.sql(CFG.rows), CFG.rows), 'bulk');
}

// ---------------------------------------------------------------- 3. triggers

const INSERT_SQL = (t) => `INSERT INTO bench.${t} ${ROW_SELECT(CFG.rows)}`;
const COPY_SQL = (t, cl) => `COPY bench.${t} FROM '${copyFile(cl)}'`;
const B3 = [
  { key: 'none_ins', label: 'no trigger — INSERT … SELECT', table: 't_none', via: 'insert', expect: 0 },
  { key: 'none_copy', label: 'no trigger — COPY', table: 't_none', via: 'copy', expect: 0 },
  { key: 'stmt_ext_ins', label: '`enqueue_trigger` FOR EACH STATEMENT — INSERT … SELECT', table: 't_stmt_ext', via: 'insert' },
  { key: 'stmt_bare_ins', label: 'plpgsql statement trigger, set-based — INSERT … SELECT', table: 't_stmt_bare', via: 'insert' },
  { key: 'stmt_ext_copy', label: '`enqueue_trigger` FOR EACH STATEMENT — COPY', table: 't_stmt_ext', via: 'copy' },
  { key: 'stmt_bare_copy', label: 'plpgsql statement trigger, set-based — COPY', table: 't_stmt_bare', via: 'copy' },
  { key: 'row_ext', label: '`enqueue_trigger` FOR EACH ROW — INSERT … SELECT', table: 't_row_ext', via: 'insert' },
  { key: 'row_bare', label: 'plpgsql row trigger, bare INSERTs — INSERT … SELECT', table: 't_row_bare', via: 'insert' },
  { key: 'row_ew', label: 'plpgsql row trigger → `dbos.enqueue_workflow` — INSERT … SELECT', table: 't_row_ew', via: 'insert' },
];

async function bench3(clusters) {
  return roundRobin(clusters, B3, CFG.stmtRounds, ({ cl, admin }, v) =>
    statementRun(cl, admin, v.via === 'copy' ? COPY_SQL(v.table, cl) : INSERT_SQL(v.table), v.expect === 0 ? 0 : CFG.rows), 'trigger');
}

// A table of big-statement variants, one group of columns per cluster; `base` names, per
// variant key, the variant its ratio is taken against.
function reportStatements(res, variants, base, baseLabel) {
  const head = ['variant'];
  for (const cl of CLUSTERS) {
    if (!res[cl.key]) continue;
    head.push(`${cl.label}: rows/s median (min–max)`, 'CPU µs/row', 'extra XIDs', baseLabel);
  }
  const rows = variants.map((v) => {
    const row = [v.label];
    for (const cl of CLUSTERS) {
      const R = res[cl.key];
      if (!R) continue;
      const e = R[v.key];
      if (why(e)) { row.push(why(e), '', '', ''); continue; }
      const b = base(v) && R[base(v)];
      row.push(spread(e.runs.map((m) => m.rowsPerS)), fmt(med(e, (m) => m.cpuPerRowUs), 1),
        fmt(maxOf(e.runs.map((m) => m.extraXids))),
        b && b !== e ? fx(ratio(med(e, (m) => m.rowsPerS), med(b, (m) => m.rowsPerS))) : '–');
    }
    return row;
  });
  return table(head, rows);
}

// ---------------------------------------------------------------- 4. send

const SEND_SETUP = "INSERT INTO dbos.workflow_status (workflow_uuid, status, name, queue_name, serialization) " +
  "VALUES ('bench-dest', 'PENDING', 'benchWorkflow', '_dbos_internal_queue', 'portable_json')";
const B4 = [
  { key: 'send', label: '`dbos.send`', script: 'send.sql' },
  { key: 'bare', label: 'bare INSERT into notifications', script: 'send_bare.sql' },
  { key: 'sm', label: '`dbos.send_message` (DBOS)', script: 'send_message.sql' },
];

async function bench4(clusters) {
  return roundRobin(clusters, B4, CFG.sendRounds, async ({ cl, admin }, v) => {
    const m = await pgbench(cl, admin, { script: v.script, T: CFG.sendT, setupSql: SEND_SETUP });
    m.summary = `${m.tps.toFixed(0)} ops/s, ${m.cpuPerTxnUs.toFixed(1)} us CPU/op`;
    return m;
  }, 'send');
}

function report4(res) {
  const out = [];
  for (const cl of CLUSTERS) {
    const R = res[cl.key];
    if (!R) continue;
    const sm = med(R.sm, (m) => m.tps);
    const bare = med(R.bare, (m) => m.cpuPerTxnUs);
    out.push(`\n**${cl.label}**\n`);
    out.push(table(['variant', 'ops/s median (min–max)', 'server CPU µs/op median (min–max)', 'ops/s ÷ send_message', 'CPU/op ÷ bare INSERT'],
      B4.map((v) => {
        const e = R[v.key];
        if (why(e)) return [v.label, why(e), '', '', ''];
        return [v.label, spread(e.runs.map((m) => m.tps)), spread(e.runs.map((m) => m.cpuPerTxnUs), 1),
          fx(ratio(med(e, (m) => m.tps), sm)), fx(ratio(med(e, (m) => m.cpuPerTxnUs), bare))];
      })));
  }
  return out.join('\n');
}

// ---------------------------------------------------------------- 5. wake-up latency (fsync off cluster)

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
async function extWake(cl, admin, kind, tag) {
  const n = CFG.wakeTrials;
  await prepareWaitRows(admin, tag, n);
  const waiter = await connect(cl);
  const writer = await connect(cl);
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
async function sdkWake(cl, admin, kind, tag) {
  process.noDeprecation = true;  // pg-pool inside the SDK warns about its own query queueing
  const { DBOSClient } = require(path.join(MODULES, '@dbos-inc/dbos-sdk'));
  const n = CFG.sdkTrials;
  const period = kind === 'event' ? 10000 : 1000;  // SDK defaults: getEvent 10 s, getResult 1 s
  await prepareWaitRows(admin, tag, n);
  const client = await DBOSClient.create({ systemDatabaseUrl: urlOf(cl) });
  const writer = await connect(cl);
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
async function idleCpu(cl, admin, waiting) {
  const N = 100;
  await prepareWaitRows(admin, 'idle', 1);
  const clients = [];
  for (let i = 0; i < N; i += 20)
    clients.push(...await Promise.all([...Array(Math.min(20, N - i)).keys()].map(() => connect(cl))));
  const waits = waiting
    ? clients.map((c, i) => c.query('SELECT dbos.get_event($1, $2, $3)', ['bench-wait', `idle-${i}`, CFG.idleS + 60])
      .catch(() => null))
    : [];
  await sleep(1500);  // every backoff at its longest step
  const s0 = cpuSnapshot(cl);
  await sleep(CFG.idleS * 1000);
  const s1 = cpuSnapshot(cl);
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

// ---------------------------------------------------------------- targets

// One row per target, one cell per cluster: "1.05x met" / "0.72x **missed**" / why not run.
function targetsTable(R) {
  const rows = [];
  const verdict = (value, shown, ok) => (Number.isFinite(value) ? `${shown} ${ok ? 'met' : '**missed**'}` : 'n/a');
  // f(clusterKey) -> { cell, detail } ; a target row over both clusters.
  const add = (name, target, f) => {
    const cells = [];
    const details = [];
    for (const cl of CLUSTERS) {
      const x = f(cl.key);
      cells.push(x.cell);
      if (x.detail) details.push(`${cl.fsync}: ${x.detail}`);
    }
    rows.push([name, target, ...cells, details.join('; ')]);
  };
  // A throughput ratio of two big-statement variants (higher is better).
  const stmtRatio = (res, k, b, threshold) => (key) => {
    const R = res[key];
    if (!R) return { cell: 'not run' };
    const bad = why(R[k]) || why(R[b]);
    if (bad) return { cell: bad };
    const r = ratio(med(R[k], (m) => m.rowsPerS), med(R[b], (m) => m.rowsPerS));
    const rc = ratio(med(R[b], (m) => m.cpuPerRowUs), med(R[k], (m) => m.cpuPerRowUs));
    return { cell: verdict(r, fxAt(r, threshold), r >= threshold),
      detail: `${fmt(med(R[k], (m) => m.rowsPerS))} vs ${fmt(med(R[b], (m) => m.rowsPerS))} rows/s, by server CPU ${fx(rc)}` };
  };
  const xids = (res, keys) => (key) => {
    const R = res[key];
    if (!R) return { cell: 'not run' };
    const runs = keys.flatMap((k) => (R[k] ? R[k].runs : []));
    if (!runs.length) return { cell: keys.map((k) => why(R[k])).filter(Boolean)[0] || 'n/a' };
    const x = maxOf(runs.map((m) => m.extraXids));
    return { cell: verdict(x, String(x), x === 0) };
  };
  const n = CFG.rows.toLocaleString('en-US');
  if (R.b3) {
    add(`a. statement trigger, ${n}-row INSERT … SELECT ÷ plpgsql set-based statement trigger`, '≥ 1.0x',
      stmtRatio(R.b3, 'stmt_ext_ins', 'stmt_bare_ins', 1.0));
    add(`a. statement trigger, ${n}-row COPY ÷ the same plpgsql trigger fired by COPY`, '≥ 1.0x',
      stmtRatio(R.b3, 'stmt_ext_copy', 'stmt_bare_copy', 1.0));
    add('a. statement trigger: XIDs beyond the statement\'s own (INSERT and COPY, max)', '0',
      xids(R.b3, ['stmt_ext_ins', 'stmt_ext_copy']));
  }
  if (R.b2) {
    add(`b. \`dbos.enqueue_many\` of ${n} rows ÷ set-based INSERT … SELECT`, '≥ 1.0x', stmtRatio(R.b2, 'many', 'bare', 1.0));
  }
  if (R.b3) {
    add(`c. row trigger, ${n}-row INSERT ÷ plpgsql row trigger doing the bare INSERTs`, '≥ 1.0x',
      stmtRatio(R.b3, 'row_ext', 'row_bare', 1.0));
  }
  if (R.b1) {
    add('d. 1 enqueue/txn: server CPU per op ÷ the same rows by one plain statement', '≤ 1.0x', (key) => {
      const b = R.b1[key];
      if (!b) return { cell: 'not run' };
      const bad = why(b.enqueue) || why(b.bare_one);
      if (bad) return { cell: bad };
      const e = med(b.enqueue, (m) => m.cpuPerTxnUs);
      const o = med(b.bare_one, (m) => m.cpuPerTxnUs);
      const r = ratio(e, o);
      return { cell: verdict(r, fxAt(r, 1.0), r <= 1.0), detail: `${fmt(e, 1)} vs ${fmt(o, 1)} µs` };
    });
    add('d. 1 enqueue/txn: ops/s ÷ `dbos.enqueue_workflow`', '≥ 1.0x', (key) => {
      const b = R.b1[key];
      if (!b) return { cell: 'not run' };
      const bad = why(b.enqueue) || why(b.ew);
      if (bad) return { cell: bad };
      const r = ratio(med(b.enqueue, (m) => m.tps), med(b.ew, (m) => m.tps));
      const rc = ratio(med(b.ew, (m) => m.cpuPerTxnUs), med(b.enqueue, (m) => m.cpuPerTxnUs));
      return { cell: verdict(r, fxAt(r, 1.0), r >= 1.0),
        detail: `${fmt(med(b.enqueue, (m) => m.tps))} vs ${fmt(med(b.ew, (m) => m.tps))} ops/s, by server CPU ${fx(rc)}` };
    });
  }
  if (R.wakePreload) {
    for (const [label, r] of R.wakePreload) {
      const one = (f) => (key) => (key !== 'off' ? { cell: '–' } : r.error ? { cell: `error: ${r.error}` } : f());
      add(`wake-up ${label}: p50`, '≤ 2 ms', one(() => ({ cell: verdict(r.p50, `${fmt(r.p50, 2)} ms`, r.p50 <= 2) })));
      add(`wake-up ${label}: p95`, '≤ 10 ms', one(() => ({ cell: verdict(r.p95, `${fmt(r.p95, 2)} ms`, r.p95 <= 10) })));
    }
  }
  return `${table(['benchmark', 'target', ...CLUSTERS.map((c) => c.label), 'detail'], rows)}\n\n` +
    'met/missed judge the ratio of median throughputs (time includes COMMIT); the detail gives the same ratio ' +
    'from server CPU, which other load on the machine disturbs less.';
}

function fileMd5(f) {
  try { return crypto.createHash('md5').update(fs.readFileSync(f)).digest('hex'); } catch (e) { return 'missing'; }
}
function gitInfo() {
  try {
    const head = cp.execSync('git rev-parse --short HEAD', { cwd: ROOT }).toString().trim();
    const dirty = cp.execSync('git status --porcelain --untracked-files=no -- src sql', { cwd: ROOT })
      .toString().trim() ? ' (src/ or sql/ has uncommitted changes)' : '';
    return head + dirty;
  } catch (e) { return 'unknown'; }
}

// ---------------------------------------------------------------- main

async function main() {
  const t0 = Date.now();
  const R = { errors: [] };
  const soBefore = fileMd5(SO);
  const soTime = (() => { try { return fs.statSync(SO).mtime.toISOString(); } catch (e) { return '?'; } })();
  const load0 = os.loadavg();
  R.sections = {};
  const guard = async (label, fn) => {
    const started = Date.now();
    const load = os.loadavg()[0];
    try { return await fn(); } catch (e) {
      R.errors.push(`${label}: ${firstLine(e)}`);
      log(`ERROR in ${label}: ${e.stack || e.message}`);
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
  const settings = {};
  const stopAll = () => { for (const cl of CLUSTERS) stopCluster(cl); };
  const off = CLUSTERS.find((c) => c.key === 'off');

  process.on('SIGINT', () => { stopAll(); process.exit(130); });
  process.on('SIGTERM', () => { stopAll(); process.exit(143); });

  const live = [];  // { cl, admin } of the running clusters
  try {
    // ------------------------------------------------ phase A: both clusters, no preload
    for (const cl of CLUSTERS) {
      log(`mode ${CFG.mode}: starting the ${cl.label} cluster on port ${cl.port}`);
      startCluster(cl);
      await createDatabase(cl);
      const admin = await connect(cl);
      pgVersion = (await admin.query('SHOW server_version')).rows[0].server_version;
      settings[cl.key] = (await admin.query(`SELECT string_agg(name || '=' || current_setting(name), ', ' ORDER BY name) AS s
        FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'wal_sync_method', 'shared_buffers', 'full_page_writes',
                                         'max_wal_size', 'checkpoint_timeout', 'autovacuum')`)).rows[0].s;
      live.push({ cl, admin });
      log(`${cl.label}: database ready (dbos_client ${cl.extVersion}; enqueue_many: ${cl.enqueueMany || 'missing'})`);
    }

    if (wanted(3)) R.b3 = await guard('benchmark 3', () => bench3(live));
    if (wanted(2)) R.b2 = await guard('benchmark 2', () => bench2(live));
    if (wanted(1)) R.b1 = await guard('benchmark 1', () => bench1(live));
    if (wanted(4)) R.b4 = await guard('benchmark 4', () => bench4(live));

    const offLive = live.find((x) => x.cl.key === 'off');
    if (wanted(5) && offLive) {
      const { cl, admin } = offLive;
      R.wakePlain = [];
      for (const kind of ['event', 'result']) {
        const r = await guard(`wake-up ${kind} (no preload)`, () => extWake(cl, admin, kind, `plain-${kind}`));
        R.wakePlain.push([`\`dbos.get_${kind}\`, no preload`, r || { error: 'failed' }]);
        log(`wake ${kind} no preload: p50 ${r && fmt(r.p50, 2)} ms p95 ${r && fmt(r.p95, 2)} ms`);
      }
      R.wakeSdk = [];
      for (const kind of ['event', 'result']) {
        const r = await guard(`SDK wake-up ${kind}`, () => sdkWake(cl, admin, kind, `sdk-${kind}`));
        R.wakeSdk.push([kind === 'event' ? '`DBOSClient.getEvent` (defaults)' : '`retrieveWorkflow(id).getResult()` (defaults)', r || { error: 'failed' }]);
        log(`SDK wake ${kind}: p50 ${r && fmt(r.p50, 2)} ms p95 ${r && fmt(r.p95, 2)} ms`);
      }
      R.idle = [];
      if (!QUICK) R.idle.push(['100 idle connections (baseline), no preload', await guard('idle baseline', () => idleCpu(cl, admin, false))]);
      R.idle.push(['100 backends in `dbos.get_event`, no preload', await guard('idle wait', () => idleCpu(cl, admin, true))]);
    }
    for (const { cl, admin } of live) {
      const problems = serverLogProblems(cl);
      if (problems.length) R.errors.push(`server log (${cl.label}): ${problems.slice(0, 3).join(' / ')}`);
      await admin.end();
    }

    // ------------------------------------------------ phase B: fsync off cluster, preloaded
    if (wanted(5) && off) {
      log(`restarting the ${off.label} cluster with ${PRELOAD_CONF}`);
      stopCluster(off);
      const started = await guard('preloaded cluster start', async () => { startCluster(off, true); await createDatabase(off); return true; });
      if (started) {
        const admin = await connect(off);
        R.preloadSetting = (await admin.query('SHOW shared_preload_libraries')).rows[0].shared_preload_libraries;
        R.preloadGucs = (await admin.query("SELECT string_agg(name || '=' || setting, ', ' ORDER BY name) AS s FROM pg_settings WHERE name LIKE 'dbos.%'")).rows[0].s;
        R.wakePreload = [];
        for (const kind of ['event', 'result']) {
          const r = await guard(`wake-up ${kind} (preload)`, () => extWake(off, admin, kind, `pre-${kind}`));
          R.wakePreload.push([`\`dbos.get_${kind}\`, preloaded`, r || { error: 'failed' }]);
          log(`wake ${kind} preload: p50 ${r && fmt(r.p50, 2)} ms p95 ${r && fmt(r.p95, 2)} ms`);
        }
        if (!QUICK) R.idle.push(['100 idle connections (baseline), preloaded', await guard('idle baseline (preload)', () => idleCpu(off, admin, false))]);
        R.idle.push(['100 backends in `dbos.get_event`, preloaded', await guard('idle wait (preload)', () => idleCpu(off, admin, true))]);
        const problems = serverLogProblems(off);
        if (problems.length) R.errors.push(`server log (preload): ${problems.slice(0, 3).join(' / ')}`);
        await admin.end();
      }
    }
  } catch (e) {
    R.errors.push(`aborted: ${firstLine(e)}`);
    log(`ABORTED: ${e.stack}`);
  } finally {
    stopAll();
  }

  // Variants that errored are listed among the errors too.
  for (const [b, res] of [['1', R.b1], ['2', R.b2], ['3', R.b3], ['4', R.b4]]) {
    if (!res) continue;
    for (const [ck, vs] of Object.entries(res))
      for (const [vk, e] of Object.entries(vs)) if (e.error) R.errors.push(`benchmark ${b}, fsync ${ck}, ${vk}: ${e.error}`);
  }

  // ------------------------------------------------ report
  const soAfter = fileMd5(SO);
  const load1 = os.loadavg();
  const minutes = (Date.now() - t0) / 60000;
  const n = CFG.rows.toLocaleString('en-US');
  const md = [];
  md.push(`# dbos_client benchmarks — ${new Date(t0).toISOString()} (${CFG.mode} mode, ${minutes.toFixed(1)} min)`);
  md.push('');
  md.push(`- Repository HEAD ${gitInfo()}; installed \`dbos_client.so\` md5 ${soBefore} (mtime ${soTime})` +
    (soAfter !== soBefore ? ` — **the installed extension changed during the run (now ${soAfter})**` : '') +
    `; extension version ${CLUSTERS.map((c) => c.extVersion).filter(Boolean)[0] || '?'}; ` +
    `\`dbos.enqueue_many\`: ${CLUSTERS.map((c) => c.enqueueMany).filter(Boolean)[0] || '**missing** (its variants are skipped)'}.`);
  md.push(`- PostgreSQL ${pgVersion}, two private clusters side by side, rounds alternating between them:`);
  for (const cl of CLUSTERS) md.push(`  - **${cl.label}**: port ${cl.port}, ${path.dirname(cl.data)}; ${settings[cl.key] || '?'}`);
  md.push('  fsync on is what a user\'s server does: every COMMIT waits for the WAL to reach the disk ' +
    `(here ${diskNote()}). Each run starts after TRUNCATE + CHECKPOINT; no checkpoint starts inside a run.`);
  md.push(`- Machine: ${os.cpus().length} CPUs (${os.cpus()[0] ? os.cpus()[0].model : '?'}), load average ${load0[0].toFixed(2)} at start, ` +
    `${load1[0].toFixed(2)} at end (other processes share the machine: compare within a table, not across runs).`);
  md.push(`- Big statements (2, 3): ${n} rows each` + (QUICK ? ' (**--quick: fewer rows than the full run\'s 100,000**)' : '') +
    `, ${CFG.stmtRounds} rounds, one autocommit statement on a fresh connection (time includes COMMIT). ` +
    'Extra XIDs: txid_current() before and after, minus 2. Each run checks that one ENQUEUED workflow with its input row per row was written.');
  md.push(`- pgbench (1, 4): \`-n -M prepared -c 1\`, ${CFG.rounds} rounds × ${CFG.T} s (1), ${CFG.sendRounds} × ${CFG.sendT} s (4), ` +
    'one client over the Unix socket, synchronous_commit = on.');
  md.push(`- Server CPU: utime+stime (+ reaped children) of the postmaster and all its children from /proc, before/after each run; ` +
    `includes the checkpointer, WAL writer etc. Clock tick ${1000 / CLK_TCK} ms. Cells are median (min–max) over rounds.`);
  if (R.errors.length) {
    md.push('', '**Errors:**', '');
    for (const e of R.errors) md.push(`- ${e}`);
  }
  md.push('', '## Targets', '', targetsTable(R));
  if (R.b3) {
    md.push('', `## 3. Triggers: a ${n}-row INSERT … SELECT or COPY into a user table`, '', took('benchmark 3'), '',
      reportStatements(R.b3, B3, (v) => ({ stmt_ext_ins: 'stmt_bare_ins', stmt_ext_copy: 'stmt_bare_copy', row_ext: 'row_bare',
        row_ew: 'row_bare', stmt_bare_ins: 'stmt_bare_ins', stmt_bare_copy: 'stmt_bare_copy', row_bare: 'row_bare' })[v.key],
      '÷ its plpgsql baseline'));
  }
  if (R.b2) {
    md.push('', `## 2. Bulk: ${n} workflows in one statement`, '', took('benchmark 2'), '',
      `Arguments of row i: \`${ARGS}\`; \`enqueue_many\` gets them as \`array_agg\` over generate_series and returns the IDs ` +
      '(the bench reads their count).', '', reportStatements(R.b2, B2, () => 'bare', '÷ set-based INSERT … SELECT'));
  }
  if (R.b1) md.push('', '## 1. One enqueue per transaction', '', took('benchmark 1'), report1(R.b1));
  if (R.b4) md.push('', '## 4. Send a message', '', took('benchmark 4'), report4(R.b4));
  if (R.wakePlain || R.wakePreload || R.wakeSdk) {
    md.push('', '## 5. Wake-up latency (fsync off cluster)', '',
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

// Where the fsync on cluster's WAL lives: filesystem and device.
function diskNote() {
  try {
    const dir = path.dirname(CLUSTERS_ALL[0].data);
    const out = cp.execSync(`df --output=source,fstype ${dir}`).toString().trim().split('\n').pop();
    const [dev, fstype] = out.trim().split(/\s+/);
    return `${fstype} on ${dev}`;
  } catch (e) { return 'disk unknown'; }
}

main().then((code) => process.exit(code), (e) => {
  console.error(e);
  for (const cl of CLUSTERS) stopCluster(cl);
  process.exit(1);
});
