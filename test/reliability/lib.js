'use strict';
// Shared helpers of the reliability suite (waits.js, soak.js): connection settings, the
// npm packages of test/interop, PASS/FAIL bookkeeping, percentiles, cluster control.

const path = require('node:path');
const fs = require('node:fs');
const { execFileSync } = require('node:child_process');

// The pinned packages live in test/interop/node_modules (never edited here).
const MODULES = process.env.REL_NODE_MODULES || path.join(__dirname, '..', 'interop', 'node_modules');
const need = (name) => require(require.resolve(name, { paths: [MODULES] }));

const PORT = Number(process.env.DBOS_PGPORT || 54360);
const PGDATA = process.env.DBOS_PGDATA || '/tmp/dbos_rel/data';
const PGSOCK = process.env.DBOS_PGSOCK || '/tmp/dbos_rel/sock';
const DB = process.env.REL_DATABASE || 'dbos_rel';
const PGBIN = process.env.PGBIN || '/usr/lib/postgresql/15/bin';
const FORBIDDEN_PORTS = [54329, 54330, 54331, 54340, 54350];
if (FORBIDDEN_PORTS.includes(PORT)) {
  console.error(`refusing to use port ${PORT}: reserved for other clusters`);
  process.exit(2);
}

// TCP on 127.0.0.1 (as the DBOS worker connects): a closed socket is seen at once.
const pgConf = (extra = {}) => ({ host: '127.0.0.1', port: PORT, user: 'postgres', database: DB, ...extra });
const DB_URL = `postgresql://postgres@127.0.0.1:${PORT}/${DB}`;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const now = () => Number(process.hrtime.bigint()) / 1e6; // ms, monotonic

// ---- results ------------------------------------------------------------------------------

// One suite's checks. The closing line, `suite reliability <suite> (<mode>): N passed, M
// failed`, names the mode of the server (library preloaded or not: setMode); DBOS_SUITE_PREFIX
// is put before it (e.g. by the sanitizer suite). Setup steps are not checks: a failed one
// counts as a failure, a passed one is not counted.
class Results {
  constructor(suite) {
    this.suite = suite;
    this.mode = 'preload unknown';
    this.passed = 0;
    this.failed = 0;
  }
  async setMode(client) {
    const r = await client.query(`SELECT current_setting('shared_preload_libraries') ~ '(^|[ ,])dbos_client($|[ ,])' AS p`);
    this.mode = r.rows[0].p ? 'preloaded' : 'not preloaded';
    console.log(`# ${this.suite}: library ${this.mode}`);
  }
  setup(name, ok, detail = '') {
    if (!ok) {
      this.failed++;
      console.log(`FAIL setup ${name}${detail ? ': ' + detail : ''}`);
    }
    return ok;
  }
  check(name, ok, detail = '') {
    if (ok) {
      this.passed++;
      console.log(`PASS ${name}${detail ? ' (' + detail + ')' : ''}`);
    } else {
      this.failed++;
      console.log(`FAIL ${name}${detail ? ': ' + detail : ''}`);
    }
    return ok;
  }
  summary() {
    const failed = this.passed + this.failed === 0 ? 1 : this.failed; // no check ran: a failure
    console.log(`suite ${process.env.DBOS_SUITE_PREFIX || ''}reliability ${this.suite} (${this.mode}): ${this.passed} passed, ${failed} failed`);
    return failed === 0 ? 0 : 1;
  }
}

// ---- statistics ---------------------------------------------------------------------------

function pct(sorted, p) {
  if (!sorted.length) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}
function stats(values) {
  const s = [...values].sort((a, b) => a - b);
  return { n: s.length, min: s[0], p50: pct(s, 50), p95: pct(s, 95), max: s[s.length - 1] };
}
const fmt = (v) => (Number.isFinite(v) ? v.toFixed(1) : String(v));
const fmtStats = (st, unit = 'ms') =>
  `n=${st.n} min=${fmt(st.min)} p50=${fmt(st.p50)} p95=${fmt(st.p95)} max=${fmt(st.max)} ${unit}`;

// ---- cluster control (the cluster runs as the postgres user) --------------------------------

function asPostgres(args, opts = {}) {
  const isPg = process.getuid && process.getuid() !== 0;
  const cmd = isPg ? args[0] : 'runuser';
  const argv = isPg ? args.slice(1) : ['-u', 'postgres', '--', ...args];
  return execFileSync(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 120000, ...opts }).toString();
}
function postmasterPid() {
  try {
    return Number(fs.readFileSync(path.join(PGDATA, 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return null;
  }
}
// A zombie (exited, not yet reaped by whoever adopted the daemon) counts as gone.
function alive(pid) {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if (e.code !== 'EPERM') return false;
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}
function clusterStart() {
  asPostgres([path.join(PGBIN, 'pg_ctl'), '-D', PGDATA, '-l', path.join(PGDATA, 'server.log'), '-w', '-t', '60', 'start']);
}
// `pg_ctl -m fast stop` without -w (it polls only every 100 ms); we watch, every 2 ms, for
// what `pg_ctl -w` waits for: postmaster.pid removed (the postmaster's last act) or the
// postmaster process gone. Returns the milliseconds from the stop request.
async function clusterFastStopTimed(limitMs = 60000) {
  const pid = postmasterPid();
  if (!pid) throw new Error('no postmaster.pid');
  const t0 = now();
  asPostgres([path.join(PGBIN, 'pg_ctl'), '-D', PGDATA, '-m', 'fast', '-W', 'stop']);
  while (postmasterPid() === pid && alive(pid)) {
    if (now() - t0 > limitMs) throw new Error(`postmaster ${pid} still alive after ${limitMs} ms`);
    await sleep(2);
  }
  return now() - t0;
}

// Connects, retrying while the server is starting or in crash recovery.
async function connectRetry(conf = pgConf(), timeoutMs = 60000) {
  const { Client } = need('pg');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const c = new Client(conf);
    c.on('error', () => {});
    try {
      await c.connect();
      return c;
    } catch (e) {
      try {
        await c.end();
      } catch {
        /* ignore */
      }
      if (Date.now() > deadline) throw e;
      await sleep(200);
    }
  }
}

module.exports = {
  MODULES,
  need,
  PORT,
  PGDATA,
  PGSOCK,
  DB,
  DB_URL,
  pgConf,
  sleep,
  now,
  Results,
  stats,
  fmt,
  fmtStats,
  asPostgres,
  postmasterPid,
  alive,
  clusterStart,
  clusterFastStopTimed,
  connectRetry,
};
