'use strict';
// Wake-up latency on a hot standby (issue 8, item 6); bench/standby.sh starts the clusters.
//
//   node bench/standby.js --measure --where=primary|standby --label=TEXT --db=DB \
//        --primary=SOCK:PORT --standby=SOCK:PORT [--trials=N]      one JSON line per measure
//   node bench/standby.js --report=FILE                            the Markdown table
//
// A trial: one waiter backend in dbos.get_event(id, key, 30) on the primary or the standby; the
// writer commits the event row on the primary after a random 20-150 ms (so a polling waiter is
// at a random point of its backoff); latency = the writer's COMMIT returning -> the waiter's call
// returning (both clocks in this process). "replay" measures the floor: a client polling the
// standby in a tight loop for the row (no dbos_client), commit -> row visible on the standby.
const path = require('node:path');
const fs = require('node:fs');
const { Client } = require(path.join(__dirname, '../test/interop/node_modules/pg'));

const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const a = argv.find((x) => x.startsWith(`--${name}=`));
  return a ? a.slice(name.length + 3) : dflt;
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const now = () => process.hrtime.bigint();
const ms = (a, b) => Number(b - a) / 1e6;
const hostPort = (s) => { const i = s.lastIndexOf(':'); return { host: s.slice(0, i), port: Number(s.slice(i + 1)) }; };
function percentile(xs, p) {  // nearest rank
  const s = [...xs].sort((a, b) => a - b);
  if (!s.length) return NaN;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

async function connect(where, db) {
  const c = new Client({ host: where.host, port: where.port, user: 'postgres', database: db });
  c.on('error', () => {});
  await c.connect();
  return c;
}

async function caughtUp(P, S) {
  const lsn = (await P.query('SELECT pg_current_wal_lsn()::text AS l')).rows[0].l;
  for (let i = 0; i < 3000; i++) {
    if ((await S.query('SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS ok', [lsn])).rows[0].ok) return;
    await sleep(10);
  }
  throw new Error('the standby does not catch up');
}

async function measure() {
  const db = opt('db');
  const P0 = hostPort(opt('primary'));
  const S0 = hostPort(opt('standby'));
  const where = opt('where');
  const label = opt('label');
  const trials = Number(opt('trials', 50));
  const writer = await connect(P0, db);
  const standby = await connect(S0, db);
  const waiter = where === 'replay' ? standby : await connect(where === 'primary' ? P0 : S0, db);
  const id = `bench-standby-${Date.now()}`;
  await writer.query(`INSERT INTO dbos.workflow_status (workflow_uuid, status, name, queue_name, serialization)
                      VALUES ($1, 'PENDING', 'benchWorkflow', '_dbos_internal_queue', 'portable_json')`, [id]);
  await caughtUp(writer, standby);
  const info = (await waiter.query("SELECT pg_is_in_recovery() AS r, current_setting('shared_preload_libraries') AS spl")).rows[0];
  if ((where === 'primary') === info.r) throw new Error(`--where=${where} but pg_is_in_recovery() = ${info.r}`);
  await waiter.query("SELECT dbos.get_event($1, 'warm-up', 0)", [id]);  // loads the library
  const lat = [];
  let failures = 0;
  for (let i = 0; i < trials; i++) {
    const key = `k-${i}`;
    let done = null;
    let p;
    if (where === 'replay') {
      p = (async () => {
        for (;;) {
          const r = await waiter.query('SELECT value FROM dbos.workflow_events WHERE workflow_uuid = $1 AND key = $2', [id, key]);
          if (r.rowCount) { done = now(); return { rows: [{ v: r.rows[0].value }] }; }
        }
      })();
    } else {
      p = waiter.query('SELECT dbos.get_event($1, $2, 30) AS v', [id, key]).then((r) => { done = now(); return r; });
    }
    await sleep(20 + Math.random() * 130);
    if (done !== null) { failures++; await p.catch(() => {}); continue; }
    await writer.query(`INSERT INTO dbos.workflow_events (workflow_uuid, key, value, serialization)
                        VALUES ($1, $2, '{"x": 1}', 'portable_json')`, [id, key]);  // autocommit: returns after COMMIT
    const committed = now();
    const r = await p;
    if (r.rows[0].v === null || r.rows[0].v === undefined) { failures++; continue; }
    lat.push(Math.max(0, ms(committed, done)));
  }
  for (const c of new Set([writer, standby, waiter])) await c.end();
  const out = { label, where, preload: info.spl, n: lat.length, failures,
    p50: percentile(lat, 50), p95: percentile(lat, 95), max: Math.max(...lat) };
  console.log(JSON.stringify(out));
}

function report(file) {
  const rows = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
  const f = (x) => (Number.isFinite(x) ? x.toFixed(2) : '–');
  const base = rows.find((r) => r.where === 'primary' && /dbos_client/.test(r.preload));
  const lines = [
    '| waiter | trials (failed) | p50 ms | p95 ms | max ms | p50 / primary preloaded p50 |',
    '|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const ratio = base && base.p50 > 0 ? `${(r.p50 / base.p50).toFixed(1)}x` : '–';
    lines.push(`| ${r.label} | ${r.n} (${r.failures}) | ${f(r.p50)} | ${f(r.p95)} | ${f(r.max)} | ${ratio} |`);
  }
  console.log(lines.join('\n'));
}

if (opt('report')) report(opt('report'));
else if (argv.includes('--measure')) measure().catch((e) => { console.error(`bench/standby.js: ${e.message}`); process.exit(1); });
else { console.error('usage: see the header of bench/standby.js'); process.exit(2); }
