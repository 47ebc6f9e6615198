'use strict';
// Waits end when they must: a backend blocked in dbos.get_event(id, 'k', 600) or an unbounded
// dbos.get_result ends on pg_cancel_backend, statement_timeout, its own timeout_seconds and
// pg_terminate_backend, and does not hold up a fast shutdown. Every case runs REL_TRIALS
// (default 20) trials.
//
//   node test/reliability/waits.js        (cluster from DBOS_PGPORT/DBOS_PGDATA, db REL_DATABASE)
//
// The bounds only tell "ended at once" from "ended when the wait would have": every trial must
// end within AT_ONCE_MS (10 s) of the event, against waits of 600 s or without limit, so no
// load on the machine can break them. The latencies (min/p50/p95/max) are printed for
// information; they are measured and compared in bench/. Prints PASS/FAIL lines, then
// `suite reliability waits (<preloaded|not preloaded>): N passed, M failed`.

const fs = require('node:fs');
const path = require('node:path');
const L = require('./lib');

const { Client } = L.need('pg');
const TRIALS = Number(process.env.REL_TRIALS || 20);
const SHUTDOWN_TRIALS = Number(process.env.REL_SHUTDOWN_TRIALS || TRIALS);
const IDLE_TRIALS = Number(process.env.REL_SHUTDOWN_IDLE_TRIALS || SHUTDOWN_TRIALS);
const WAITERS = Number(process.env.REL_SHUTDOWN_WAITERS || 20);
const IDLE_SESSIONS_SERIES = process.env.REL_SHUTDOWN_IDLE_SESSIONS === '1';
const OWN_TIMEOUT_TRIALS = Number(process.env.REL_OWN_TIMEOUT_TRIALS || TRIALS);
const WAIT_S = 600; // get_event's timeout; get_result waits without limit
const AT_ONCE_MS = 10000; // "at once": far below the wait, far above what load adds
function within_bound(st) {
  return st.max < AT_ONCE_MS ? { ok: true, note: '' } : { ok: false, note: `; a trial took ${L.fmt(st.max)} ms, not at once` };
}
const STMT_TIMEOUT_MS = 300;
const OWN_TIMEOUT_S = 0.3;
const RUN = Date.now().toString(36);
const TARGET = `rel-wait-${RUN}`; // ENQUEUED on a queue nobody polls: never ends by itself

const res = new L.Results('waits');
const KINDS = {
  get_event: { sql: `SELECT dbos.get_event($1, 'k', ${WAIT_S}) AS v`, own: `SELECT dbos.get_event($1, 'k', $2) AS v` },
  get_result: { sql: `SELECT dbos.get_result($1) AS v`, own: `SELECT dbos.get_result($1, $2) AS v` },
};

let admin = null;

async function openAdmin() {
  admin = await L.connectRetry();
}

// Starts `sql` on client `c`; the promise resolves (never rejects) with the outcome and when.
function start(c, sql, params) {
  const t = L.now();
  return {
    t,
    done: c.query(sql, params).then(
      (r) => ({ ok: true, rows: r.rows, at: L.now() }),
      (e) => ({ ok: false, err: e, code: e.code, at: L.now() }),
    ),
  };
}

// Until backend `pid` sleeps in our wait loop (wait_event_type Extension).
async function untilWaiting(pids, timeoutMs = 10000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await admin.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE pid = ANY($1) AND state = 'active' AND wait_event_type = 'Extension'`,
      [pids],
    );
    if (r.rows[0].n === pids.length) return;
    if (Date.now() > deadline) throw new Error(`backends ${pids} not all waiting after ${timeoutMs} ms`);
    await L.sleep(5);
  }
}

const within = (p, ms) => Promise.race([p, L.sleep(ms).then(() => null)]);

async function backendPid(c) {
  return (await c.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
}

// ---- cancel -------------------------------------------------------------------------------

async function cancelTrials(kind) {
  const c = new Client(L.pgConf());
  c.on('error', () => {});
  await c.connect();
  const pid = await backendPid(c);
  const lat = [];
  const bad = [];
  for (let i = 0; i < TRIALS; i++) {
    const w = start(c, KINDS[kind].sql, [TARGET]);
    await untilWaiting([pid]);
    const t0 = L.now();
    await admin.query('SELECT pg_cancel_backend($1)', [pid]);
    const r = await within(w.done, AT_ONCE_MS);
    if (!r) {
      bad.push(`trial ${i}: still waiting ${AT_ONCE_MS} ms after pg_cancel_backend`);
      await admin.query('SELECT pg_terminate_backend($1)', [pid]);
      break;
    }
    lat.push(r.at - t0);
    if (r.ok || r.code !== '57014') bad.push(`trial ${i}: ended with ${r.ok ? 'a result' : r.code + ' ' + r.err.message}`);
    // The session stays usable after a cancel.
    const one = await c.query('SELECT 1 AS one').catch((e) => ({ rows: [{ one: e.message }] }));
    if (one.rows[0].one !== 1) bad.push(`trial ${i}: session unusable after cancel: ${one.rows[0].one}`);
  }
  await c.end().catch(() => {});
  const st = L.stats(lat);
  const b = within_bound(st);
  res.check(`cancel_${kind}_ends_57014_at_once`, bad.length === 0 && st.n === TRIALS && b.ok,
    `latency ${L.fmtStats(st)}${b.note}${bad.length ? '; ' + bad.slice(0, 3).join('; ') : ''}`);
  return st;
}

// ---- statement_timeout ----------------------------------------------------------------------

async function statementTimeoutTrials(kind) {
  const c = new Client(L.pgConf());
  c.on('error', () => {});
  await c.connect();
  await c.query(`SET statement_timeout = '${STMT_TIMEOUT_MS}ms'`);
  const over = [];
  const bad = [];
  for (let i = 0; i < TRIALS; i++) {
    const w = start(c, KINDS[kind].sql, [TARGET]);
    const r = await within(w.done, STMT_TIMEOUT_MS + AT_ONCE_MS);
    if (!r) {
      bad.push(`trial ${i}: still waiting ${AT_ONCE_MS} ms after a ${STMT_TIMEOUT_MS} ms statement_timeout`);
      break;
    }
    over.push(r.at - w.t - STMT_TIMEOUT_MS);
    if (r.ok || r.code !== '57014') bad.push(`trial ${i}: ended with ${r.ok ? 'a result' : r.code + ' ' + r.err.message}`);
  }
  await c.end().catch(() => {});
  const st = L.stats(over);
  const b = within_bound(st);
  res.check(`statement_timeout_${kind}_ends_57014_at_once`, bad.length === 0 && st.n === TRIALS && b.ok,
    `overshoot beyond ${STMT_TIMEOUT_MS} ms: ${L.fmtStats(st)}${b.note}${bad.length ? '; ' + bad.slice(0, 3).join('; ') : ''}`);
  return st;
}

// ---- the call's own timeout_seconds -------------------------------------------------------------

async function ownTimeoutTrials(kind) {
  const c = new Client(L.pgConf());
  c.on('error', () => {});
  await c.connect();
  const over = [];
  const bad = [];
  // get_event returns NULL on its timeout; get_result raises DB005.
  const want = kind === 'get_event' ? 'NULL' : 'DB005';
  for (let i = 0; i < OWN_TIMEOUT_TRIALS; i++) {
    const w = start(c, KINDS[kind].own, [TARGET, OWN_TIMEOUT_S]);
    const r = await within(w.done, OWN_TIMEOUT_S * 1000 + AT_ONCE_MS);
    if (!r) {
      bad.push(`trial ${i}: still waiting ${AT_ONCE_MS} ms after timeout_seconds => ${OWN_TIMEOUT_S}`);
      break;
    }
    over.push(r.at - w.t - OWN_TIMEOUT_S * 1000);
    if (r.at - w.t < OWN_TIMEOUT_S * 1000 - 5) bad.push(`trial ${i}: ended after ${(r.at - w.t).toFixed(1)} ms, before its timeout`);
    const got = r.ok ? (r.rows[0].v === null ? 'NULL' : JSON.stringify(r.rows[0].v)) : r.code;
    if (got !== want) bad.push(`trial ${i}: ended with ${got}${r.ok ? '' : ' ' + r.err.message}`);
  }
  await c.end().catch(() => {});
  const st = L.stats(over);
  const b = within_bound(st);
  res.check(`own_timeout_${kind}_${want}_when_it_runs_out`, bad.length === 0 && st.n === OWN_TIMEOUT_TRIALS && b.ok,
    `overshoot beyond ${OWN_TIMEOUT_S * 1000} ms: ${L.fmtStats(st)}${b.note}${bad.length ? '; ' + bad.slice(0, 3).join('; ') : ''}`);
  return st;
}

// ---- pg_terminate_backend ---------------------------------------------------------------------

// kind null: an idle session, the baseline for how long a backend takes to exit.
async function terminateTrials(kind) {
  const toError = [];
  const toClose = [];
  const toGone = [];
  const bad = [];
  for (let i = 0; i < TRIALS; i++) {
    const c = new Client(L.pgConf());
    let errored = null;
    c.on('error', () => {});
    await c.connect();
    const closed = new Promise((r) => c.connection.stream.once('close', () => r(L.now())));
    const pid = await backendPid(c);
    const errorP = new Promise((r) => c.once('error', (e) => r({ ok: false, err: e, code: e.code, at: L.now() })));
    const w = kind ? start(c, KINDS[kind].sql, [TARGET]) : { done: errorP };
    if (kind) await untilWaiting([pid]);
    const t0 = L.now();
    await admin.query('SELECT pg_terminate_backend($1)', [pid]);
    const r = await within(w.done, AT_ONCE_MS);
    const closedAt = await within(closed, AT_ONCE_MS);
    if (!r || !closedAt) {
      bad.push(`trial ${i}: ${!r ? 'query' : 'connection'} still open ${AT_ONCE_MS} ms after pg_terminate_backend`);
      break;
    }
    errored = r.ok ? 'a result' : r.code || r.err.message;
    if (r.ok || !(r.code === '57P01' || /terminat/i.test(r.err.message))) bad.push(`trial ${i}: ended with ${errored}`);
    toError.push(r.at - t0);
    toClose.push(closedAt - t0);
    // The backend process is gone (no longer in pg_stat_activity).
    for (;;) {
      const n = (await admin.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = $1', [pid])).rows[0].n;
      if (n === 0) break;
      if (L.now() - t0 > AT_ONCE_MS) {
        bad.push(`trial ${i}: backend ${pid} still listed ${AT_ONCE_MS} ms after pg_terminate_backend`);
        break;
      }
      await L.sleep(2);
    }
    toGone.push(L.now() - t0);
    await c.end().catch(() => {});
  }
  const se = L.stats(toError);
  const sc = L.stats(toClose);
  const sg = L.stats(toGone);
  const detail = `57P01 received: ${L.fmtStats(se)}; socket closed: ${L.fmtStats(sc)}; backend gone: ${L.fmtStats(sg)}` +
    (bad.length ? '; ' + bad.slice(0, 3).join('; ') : '');
  if (!kind) {
    // A baseline, not a check of the extension: printed, and a failure only if it fails.
    if (res.setup('terminate_idle_session_baseline', bad.length === 0 && sc.n === TRIALS, detail)) console.log(`# idle session baseline: ${detail}`);
  } else {
    // The wait hears the signal at once, closes its socket and exits (compare the latencies
    // with the idle baseline).
    const b = within_bound(sg);
    res.check(`terminate_${kind}_57P01_and_exits_at_once`, bad.length === 0 && sc.n === TRIALS && b.ok, detail + b.note);
  }
  return sc;
}

// ---- fast shutdown ----------------------------------------------------------------------------

// One stop: `waiters` sessions blocked in a wait (half get_event, half get_result), or
// `idleSessions` connected sessions doing nothing, or neither (an idle cluster).
async function shutdownTrial(waiters, idleSessions = 0) {
  const clients = [];
  const waits = [];
  const n = waiters || idleSessions;
  for (let i = 0; i < n; i++) {
    const c = new Client(L.pgConf());
    c.on('error', () => {});
    clients.push(c);
  }
  await Promise.all(clients.map((c) => c.connect()));
  if (waiters > 0) {
    const pids = await Promise.all(clients.map(backendPid));
    clients.forEach((c, i) => waits.push(start(c, KINDS[i % 2 ? 'get_result' : 'get_event'].sql, [TARGET])));
    await untilWaiting(pids);
  }
  await admin.end().catch(() => {});
  admin = null;
  const t0 = L.now();
  const ms = await L.clusterFastStopTimed();
  const outcomes = await Promise.all(waits.map((w) => within(w.done, AT_ONCE_MS)));
  const wrong = outcomes.filter((r) => !r || r.ok).length;
  const ended = outcomes.filter((r) => r).map((r) => r.at - t0);
  L.clusterStart();
  await openAdmin();
  await Promise.all(clients.map((c) => c.end().catch(() => {})));
  return { ms, wrong, ended };
}

async function shutdownTrials() {
  const idle = [];
  const busy = [];
  const sessions = [];
  const ended = [];
  let wrong = 0;
  // Interleaved, so that drift (page cache, log growth) affects every series alike.
  for (let i = 0; i < SHUTDOWN_TRIALS; i++) {
    if (i % Math.max(1, Math.round(SHUTDOWN_TRIALS / IDLE_TRIALS)) === 0) idle.push((await shutdownTrial(0)).ms);
    if (IDLE_SESSIONS_SERIES) sessions.push((await shutdownTrial(0, WAITERS)).ms);
    const b = await shutdownTrial(WAITERS);
    busy.push(b.ms);
    ended.push(...b.ended);
    wrong += b.wrong;
  }
  const si = L.stats(idle);
  const sb = L.stats(busy);
  const se = L.stats(ended);
  const ss = sessions.length ? `; ${WAITERS} idle sessions: ${L.fmtStats(L.stats(sessions))}` : '';
  // Held up by the waits, a stop would take their 600 s (or forever): it must end at once,
  // every wait ended by an error. The idle figures are the baseline, printed only.
  res.check(`fast_shutdown_with_${WAITERS}_waiters_at_once`,
    wrong === 0 && sb.n === SHUTDOWN_TRIALS && sb.max < AT_ONCE_MS,
    `stop until postmaster gone, idle cluster: ${L.fmtStats(si)}${ss}; ${WAITERS} waiting: ${L.fmtStats(sb)}; ` +
      `waits ended (57P01) after: ${L.fmtStats(se)}${wrong ? `; ${wrong} waits did not end with an error` : ''}`);
}

// ---- main -------------------------------------------------------------------------------------

async function main() {
  const logFile = path.join(L.PGDATA, 'server.log');
  const logStart = fs.existsSync(logFile) ? fs.statSync(logFile).size : 0;
  await openAdmin();
  await res.setMode(admin);
  await admin.query(
    `SELECT dbos.enqueue('rel_parked', NULL, 'neverRuns', '[]', workflow_id => $1)`, [TARGET]);
  const st = (await admin.query('SELECT status FROM dbos.workflow_status WHERE workflow_uuid = $1', [TARGET])).rows[0];
  if (!res.setup('target_enqueued', st && st.status === 'ENQUEUED', `workflow ${TARGET}: ${st && st.status}`)) return;

  for (const kind of Object.keys(KINDS)) await cancelTrials(kind);
  for (const kind of Object.keys(KINDS)) await statementTimeoutTrials(kind);
  for (const kind of Object.keys(KINDS)) await ownTimeoutTrials(kind);
  await terminateTrials(null);
  for (const kind of Object.keys(KINDS)) await terminateTrials(kind);
  await shutdownTrials();

  // Nothing crashed meanwhile (a crash would restart every backend).
  const log = fs.readFileSync(logFile, 'utf8').slice(logStart);
  const crashes = log.split('\n').filter((l) => /terminated by signal|PANIC|TRAP:|server process .* exited with exit code [^0]/.test(l));
  res.check('server_log_no_crash', crashes.length === 0, crashes.slice(0, 3).join(' | '));
  const left = (await admin.query('SELECT status FROM dbos.workflow_status WHERE workflow_uuid = $1', [TARGET])).rows[0];
  res.check('target_untouched', left && left.status === 'ENQUEUED', `status ${left && left.status}`);
  await admin.end().catch(() => {});
}

main()
  .catch((e) => res.check('waits_suite_ran', false, e.stack || String(e)))
  .finally(() => process.exit(res.summary()));
