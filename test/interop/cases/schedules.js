'use strict';
// Interop cases of the schedule functions (1.3): SQL refuses exactly the cron schedules DBOS
// 5.3.0 refuses, with its reason; DBOSClient reads what SQL registered and SQL reads what
// DBOSClient registered; a real DBOS worker fires a schedule that SQL registered.
const assert = require('node:assert/strict');
const path = require('node:path');
const os = require('node:os');
const fs = require('node:fs');
const { spawn } = require('node:child_process');

// DBOS's own validator (not exported by the package: loaded from its file).
const crontab = require(path.join(path.dirname(require.resolve('@dbos-inc/dbos-sdk')), 'scheduler', 'crontab.js'));

function dbosVerdict(pattern) {
  try {
    crontab.validateCrontab(pattern);
    return 'valid';
  } catch (e) {
    return e.message;
  }
}

// Patterns for the comparison: the documented forms, their edge values, and malformed ones.
function patterns() {
  const fields = [
    ['*', '0', '59', '60', '*/5', '*/0', '5/10', '1-5', '5-1', '50-10/7', '1,2,3', '1,,2', '1,', 'a', '-1', '99999999999'],
    ['*', '0', '23', '24', '22-2', '*/3', '0-23/6', '12,13'],
    ['*', '?', '1', '31', '0', '32', 'L', 'LW', '15W', '1-15W', '32W', 'L-3', 'L-30', 'L-31', 'W', '1-31/10'],
    ['*', '1', '12', '13', '0', 'JAN', 'jan-mar', 'February', 'dec,jan', '2', '4,6', 'foo'],
    ['*', '?', '0', '7', '8', '5-7', 'MON-FRI', 'sunday', 'sat,sun', '1#2', '8#1', '1#6', '5L', 'L', '7L', '0-6/2'],
  ];
  const out = new Set(['', '   ', '@hourly', '@DAILY', ' @weekly ', '@monthly', '@yearly', '@annually', '@midnight',
    '@every_minute', '* * * *', '* * * * * * *', '* * * * * \t', '0 0 * * MON;', '  0   0  *  *  * ', '0 0 29 2 *',
    '0 0 30 2 *', '0 0 31 4,6,9,11 *', '0 0 31 4,5 *', '*/15 * * * * *', '0 0 12 * * ?', '0 15 10 ? * MON-FRI',
    '0 0 L-3 2 *', '59 59 23 31 12 6', '60 * * * * *']);
  // Each field's values with the others at '*', then a deterministic mix.
  for (let f = 0; f < fields.length; f++) {
    for (const v of fields[f]) out.add(fields.map((vals, i) => (i === f ? v : '*')).join(' '));
  }
  let seed = 7;
  const rnd = (n) => ((seed = (seed * 48271) % 2147483647), seed % n);
  for (let k = 0; k < 150; k++) out.add(fields.map((vals) => vals[rnd(vals.length)]).join(' '));
  return [...out];
}

module.exports = (test, h) => {
  test('schedules_cron_validation_matches_dbos', async () => {
    const list = patterns();
    // A schedule that does not exist: a valid pattern ends in 42704, an invalid one in 22023
    // (checked first), so nothing is written either way.
    const mismatches = [];
    await h.withClient(async (c) => {
      await c.query('BEGIN');
      for (const p of list) {
        let verdict = 'valid';
        await c.query('SAVEPOINT v');
        try {
          await c.query(`SELECT dbos.update_schedule('no-such-schedule', schedule => $1)`, [p]);
        } catch (e) {
          if (e.code === '22023') verdict = (e.detail || '').replace(/^DBOS: /, '').replace(/\.$/, '');
          else if (e.code !== '42704') verdict = `unexpected ${e.code}: ${e.message}`;
        }
        await c.query('ROLLBACK TO SAVEPOINT v');
        const expected = dbosVerdict(p);
        if (verdict !== expected) mismatches.push(`${JSON.stringify(p)}: SQL ${verdict} / DBOS ${expected}`);
      }
      await c.query('ROLLBACK');
    });
    assert.deepEqual(mismatches, [], `${mismatches.length} of ${list.length} patterns judged differently`);
    const valid = list.filter((p) => dbosVerdict(p) === 'valid').length;
    h.info(`cron: ${list.length} patterns, ${valid} valid, all judged as DBOS judges them`);
  });

  test('schedules_time_zones_accepted_as_dbos_accepts_them', async () => {
    // Every name of PostgreSQL's time zone database, in its case and lower case, and specs
    // PostgreSQL would take: SQL accepts a zone exactly when DBOS's validateTimezone does.
    const names = (await h.q(`SELECT name FROM pg_catalog.pg_timezone_names`)).rows.map((r) => r.name);
    const list = [...names, ...names.slice(0, 200).map((n) => n.toLowerCase()),
      'UTC+3', '+05:00', 'GMT+3', 'GMT-3', 'EST5', '<+03>-3', ':Europe/Paris', 'Z', 'Europe/Nowhere', 'Mars/Olympus'];
    const dbosAccepts = (tz) => { try { crontab.validateTimezone(tz); return true; } catch { return false; } };
    const mismatches = [];
    await h.withClient(async (c) => {
      await c.query('BEGIN');
      for (const tz of list) {
        let accepted = true;
        await c.query('SAVEPOINT v');
        try {
          await c.query(`SELECT dbos.update_schedule('no-such-schedule', cron_timezone => $1)`, [tz]);
        } catch (e) {
          if (e.code === '22023') accepted = false;
          else if (e.code !== '42704') throw e;
        }
        await c.query('ROLLBACK TO SAVEPOINT v');
        if (accepted !== dbosAccepts(tz)) mismatches.push(`${tz}: SQL ${accepted} / DBOS ${dbosAccepts(tz)}`);
      }
      await c.query('ROLLBACK');
    });
    assert.deepEqual(mismatches, [], `${mismatches.length} of ${list.length} time zones judged differently`);
    h.info(`time zones: ${list.length} names, ${list.filter(dbosAccepts).length} valid, all judged as DBOS judges them`);
  });

  test('schedules_sql_and_dbosclient_read_each_other', async () => {
    const client = h.dbosClient();
    const a = h.wid('sched-sql');
    const id = await h.val(`SELECT dbos.create_schedule($1, 'echo', '0 30 9 * * MON-FRI', '{"n": 1, "tags": ["x"]}',
                              workflow_class => 'Jobs', automatic_backfill => true, cron_timezone => 'Europe/Paris',
                              queue_name => 'interop_q') AS id`, [a]);
    const s = await client.getSchedule(a);
    assert.ok(s, 'DBOSClient finds the schedule SQL created');
    assert.deepEqual(
      { id: s.scheduleId, wf: s.workflowName, cls: s.workflowClassName, cron: s.schedule, status: s.status, ctx: s.context,
        bf: s.automaticBackfill, tz: s.cronTimezone, q: s.queueName, last: s.lastFiredAt },
      { id, wf: 'echo', cls: 'Jobs', cron: '0 30 9 * * MON-FRI', status: 'ACTIVE', ctx: { n: 1, tags: ['x'] },
        bf: true, tz: 'Europe/Paris', q: 'interop_q', last: null });
    await h.q(`SELECT dbos.pause_schedule($1)`, [a]);
    await h.q(`SELECT dbos.update_schedule($1, schedule => '@hourly', context => '[2]')`, [a]);
    const s2 = (await client.listSchedules({ scheduleNamePrefix: a })).find((x) => x.scheduleName === a);
    assert.equal(s2.status, 'PAUSED');
    assert.equal(s2.schedule, '@hourly');
    assert.deepEqual(s2.context, [2]);

    // DBOSClient writes, SQL reads; SQL's applySchedules keeps its ID and status.
    const b = h.wid('sched-client');
    await client.createSchedule({ scheduleName: b, workflowName: 'echo', schedule: '*/10 * * * *',
      context: { when: new Date('2026-01-02T03:04:05.000Z'), k: 'v' }, options: { queueName: 'interop_q', cronTimezone: 'UTC' } });
    const row = await h.one(`SELECT * FROM dbos.get_schedule($1)`, [b]);
    assert.equal(row.workflow_name, 'echo');
    assert.equal(row.schedule, '*/10 * * * *');
    assert.equal(row.status, 'ACTIVE');
    assert.equal(row.cron_timezone, 'UTC');
    assert.equal(row.queue_name, 'interop_q');
    assert.deepEqual(row.context, { when: '2026-01-02T03:04:05.000Z', k: 'v' }, 'the superjson context decoded (a Date as its ISO text)');
    const before = (await client.getSchedule(b)).scheduleId;
    await client.pauseSchedule(b);
    await h.q(`SELECT dbos.apply_schedules($1::jsonb)`, [JSON.stringify([{ schedule_name: b, workflow_name: 'echo', schedule: '@daily', context: { k: 'w' } }])]);
    const after = await client.getSchedule(b);
    assert.equal(after.scheduleId, before, 'apply_schedules kept the ID');
    assert.equal(after.status, 'PAUSED', 'and the status');
    assert.equal(after.schedule, '@daily');
    assert.deepEqual(after.context, { k: 'w' });
    await h.q(`SELECT dbos.delete_schedule($1), dbos.delete_schedule($2)`, [a, b]);
    assert.equal(await client.getSchedule(a), null, 'DBOSClient sees the deletion');
  });

  test('schedules_a_worker_fires_a_schedule_sql_registered', async () => {
    // A second worker of the suite's application, freshly started: it polls schedules every
    // second for its first minute (the suite's worker, later, every 30 s). Whichever fires
    // first, DBOS's schedule workflow IDs make the other's firing a no-op.
    const app = h.APP_NAME;
    const name = h.wid('sched-fire');
    await h.q(`SELECT dbos.create_schedule($1, 'echo', '* * * * * *', '{"from": "sql"}', queue_name => 'interop_q',
                                          application_name => $2)`, [name, app]);
    const log = fs.createWriteStream(path.join(os.tmpdir(), 'dbos_interop_sched_worker.log'), { flags: 'w' });
    const w = spawn(process.execPath, ['--no-deprecation', path.join(__dirname, '..', 'worker.js')], {
      cwd: path.join(__dirname, '..'),
      env: { ...process.env, DBOS_SYSTEM_DATABASE_URL: h.TEST_URL, INTEROP_APP_NAME: app, INTEROP_APP_VERSION: h.APP_VERSION },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const exited = new Promise((resolve) => w.once('exit', resolve));
    w.stderr.on('data', (d) => log.write(d));
    try {
      await new Promise((resolve, reject) => {
        let buf = '';
        w.stdout.on('data', (d) => {
          log.write(d);
          buf += d.toString();
          if (buf.includes('READY\n')) resolve();
        });
        exited.then(() => reject(new Error('the schedule worker exited early')));
      });
      const fired = await h.waitFor(`a workflow of schedule ${name}`, async () => {
        const r = await h.q(`SELECT workflow_uuid, status, application_name FROM dbos.workflow_status
                              WHERE schedule_name = $1 AND status = 'SUCCESS' ORDER BY created_at LIMIT 1`, [name]);
        return r.rows[0];
      }, 20000, 200);
      assert.ok(fired.workflow_uuid.startsWith(`sched-${name}-`), `DBOS's ID for a fired schedule (${fired.workflow_uuid})`);
      // On time: a whole second of the schedule, and the workflow not started before it.
      const at = Date.parse(fired.workflow_uuid.slice(`sched-${name}-`.length));
      assert.equal(at % 1000, 0, 'fired for a whole second');
      const st = await h.statusRow(fired.workflow_uuid);
      assert.ok(Number(st.created_at) >= at, `enqueued at or after its time (${Number(st.created_at) - at} ms)`);
      assert.equal(fired.application_name, app);
      const out = await h.getResult(fired.workflow_uuid);
      assert.deepEqual(out.types, ['Date', 'object'], 'run with the scheduled time and the context');
      assert.deepEqual(out.args[1], { from: 'sql' });
    } finally {
      await h.q(`SELECT dbos.delete_schedule($1)`, [name]);
      w.stdin.end();
      w.kill('SIGTERM');
      await Promise.race([exited, h.sleep(10000)]);
      log.end();
    }
  });

  test('schedules_trigger_from_sql_runs_like_dbosclient_trigger', async () => {
    const client = h.dbosClient();
    // DBOSClient registers (a Date in the context), SQL triggers: the worker gets a Date and
    // the context with its Date revived.
    const a = h.wid('sched-trig-a');
    await client.createSchedule({ scheduleName: a, workflowName: 'echo', schedule: '@yearly',
      context: { when: new Date('2026-01-02T03:04:05.000Z') }, options: { queueName: 'interop_q' } });
    const before = Date.now();
    const id = await h.val(`SELECT dbos.trigger_schedule($1) AS id`, [a]);
    assert.match(id, new RegExp(`^sched-${a}-trigger-\\d{4}-`));
    const out = await h.getResult(id);
    assert.deepEqual(out.types, ['Date', 'object'], 'the scheduled time arrives as a Date');
    assert.ok(Math.abs(Date.parse(out.args[0]) - before) < 60000, 'the time of the trigger');
    assert.deepEqual(out.args[1], { when: '2026-01-02T03:04:05.000Z' });
    const row = await h.statusRow(id);
    assert.equal(row.schedule_name, a);
    assert.equal(row.serialization, 'js_superjson');
    // SQL registers, DBOSClient triggers: the same rows, from the context SQL wrote.
    const b = h.wid('sched-trig-b');
    await h.q(`SELECT dbos.create_schedule($1, 'echo', '@yearly', '{"from": "sql"}', queue_name => 'interop_q')`, [b]);
    const handle = await client.triggerSchedule(b);
    const out2 = await handle.getResult();
    assert.deepEqual(out2.types, ['Date', 'object']);
    assert.deepEqual(out2.args[1], { from: 'sql' });
    // The SQL-triggered and DBOSClient-triggered rows agree on everything but the IDs and times.
    const id3 = await h.val(`SELECT dbos.trigger_schedule($1) AS id`, [b]);
    await h.getResult(id3);
    const cols = 'name, class_name, queue_name, schedule_name, serialization, status, priority, deduplication_id';
    const viaClient = await h.one(`SELECT ${cols} FROM dbos.workflow_status WHERE workflow_uuid = $1`, [handle.workflowID]);
    const viaSql = await h.one(`SELECT ${cols} FROM dbos.workflow_status WHERE workflow_uuid = $1`, [id3]);
    assert.deepEqual({ ...viaSql, class_name: viaSql.class_name || '' }, { ...viaClient, class_name: viaClient.class_name || '' });
    await h.q(`SELECT dbos.delete_schedule($1), dbos.delete_schedule($2)`, [a, b]);
  });

  test('schedules_backfill_from_sql_matches_dbosclient_backfill', async () => {
    // The same schedules backfilled by SQL and by DBOSClient give the same runs (DBOS's IDs
    // carry the instants): local wall-clock matching, DST gaps and repeats, L/W/# days. On a
    // queue no worker polls, then removed.
    const cases = [
      ['0 30 2 * * *', 'America/New_York', '2026-03-06T00:00:00Z', '2026-03-11T00:00:00Z'],
      ['0 30 1 * * *', 'America/New_York', '2026-10-30T00:00:00Z', '2026-11-04T00:00:00Z'],
      ['*/20 * * * *', 'Asia/Kolkata', '2026-01-01T00:00:00Z', '2026-01-01T06:00:00Z'],
      ['0 0 L * *', 'UTC', '2026-01-01T00:00:00Z', '2027-01-01T00:00:00Z'],
      ['0 0 15W * *', 'Europe/Paris', '2026-01-01T00:00:00Z', '2027-01-01T00:00:00Z'],
      ['0 0 LW * *', 'Europe/Paris', '2026-01-01T00:00:00Z', '2027-01-01T00:00:00Z'],
      ['0 0 L-3 * *', 'UTC', '2026-01-01T00:00:00Z', '2027-01-01T00:00:00Z'],
      ['0 0 * * 1#2', 'Australia/Lord_Howe', '2026-01-01T00:00:00Z', '2027-01-01T00:00:00Z'],
      ['0 0 0 29 2 *', 'UTC', '2024-01-01T00:00:00Z', '2033-01-01T00:00:00Z'],
      ['30 59 23 * * 5L', 'Pacific/Chatham', '2026-01-01T00:00:00Z', '2026-07-01T00:00:00Z'],
      ['0 */7 22-2 * * *', 'Europe/London', '2026-03-27T00:00:00Z', '2026-03-31T00:00:00Z'],
      ['15 10 * * sat,sun', 'America/Sao_Paulo', '2026-01-01T00:00:00Z', '2026-02-01T00:00:00Z'],
    ];
    const client = h.dbosClient();
    const names = [];
    let total = 0;
    try {
      for (const [i, [cron, tz, start, end]] of cases.entries()) {
        const name = h.wid(`bf-${i}`);
        names.push(name);
        await h.q(`SELECT dbos.create_schedule($1, 'echo', $2, '{"i": 1}', cron_timezone => $3, queue_name => 'interop_parked')`,
          [name, cron, tz]);
        const sql = await h.val(`SELECT dbos.backfill_schedule($1, $2::timestamptz, $3::timestamptz) AS ids`, [name, start, end]);
        const viaClient = (await client.backfillSchedule(name, new Date(start), new Date(end))).map((x) => x.workflowID);
        assert.deepEqual(sql, viaClient, `${cron} in ${tz} from ${start} to ${end}`);
        assert.ok(sql.length > 0, `${cron} in ${tz} runs at least once`);
        total += sql.length;
      }
      h.info(`backfill: ${cases.length} schedules, ${total} runs, the same from SQL and DBOSClient`);
    } finally {
      await h.q(`DELETE FROM dbos.workflow_input WHERE workflow_uuid IN
                   (SELECT workflow_uuid FROM dbos.workflow_status WHERE schedule_name = ANY($1))`, [names]);
      await h.q(`DELETE FROM dbos.workflow_status WHERE schedule_name = ANY($1)`, [names]);
      await h.q(`SELECT dbos.delete_schedule(n) FROM unnest($1::text[]) n`, [names]);
    }
  });
};
