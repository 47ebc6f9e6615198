'use strict';
// Interop cases of the write paths (issue 7): what dbos.enqueue_many and a COPY-fired
// statement trigger write, a real DBOS worker runs; DBOSClient reads it back; and over the
// extended protocol a portal run with a row limit raises its own conflict, at its Execute.
const assert = require('node:assert/strict');
const net = require('node:net');
const { Client } = require('pg');
const { serialize, parse } = require('pg-protocol');

// A bare protocol session (pg's Client would take the messages of a portal left open).
async function rawSession(conf) {
  const path = conf.host && conf.host.startsWith('/') ? `${conf.host}/.s.PGSQL.${conf.port}` : null;
  const sock = path ? net.connect(path) : net.connect(conf.port, conf.host || '127.0.0.1');
  const inbox = [];
  let wake = () => {};
  parse(sock, (msg) => { inbox.push(msg); wake(); });
  const next = async (what) => {
    for (;;) {
      const i = inbox.findIndex(what);
      if (i >= 0) return inbox.splice(0, i + 1);  // the messages up to and including it
      await new Promise((r) => { wake = r; });
    }
  };
  const ready = () => next((m) => m.name === 'readyForQuery');
  sock.write(serialize.startup({ user: conf.user, database: conf.database }));
  await ready();
  return {
    send: (buf) => sock.write(buf),
    next,
    ready,
    query: async (text) => { sock.write(serialize.query(text)); return ready(); },
    end: () => { sock.write(serialize.end()); sock.end(); },
  };
}

module.exports = (test, h) => {
  test('enqueue_many_runs_every_workflow_in_input_order', async () => {
    const ids = [1, 2, 3, 4, 5].map((i) => h.wid(`many-${i}`));
    const r = await h.one(
      `SELECT dbos.enqueue_many('interop_serial', NULL, 'record', $1::jsonb[], workflow_ids => $2) AS ids`,
      [ids.map((id) => JSON.stringify([id])), ids]);
    assert.deepEqual(r.ids, ids, 'IDs come back in input order');
    for (const id of ids) assert.equal((await h.getResult(id)).tag, id, `${id} ran with its own argument`);
    // interop_serial runs one at a time: input order is run order.
    const started = await h.q(
      `SELECT workflow_uuid FROM dbos.workflow_status WHERE workflow_uuid = ANY($1) ORDER BY started_at_epoch_ms`, [ids]);
    assert.deepEqual(started.rows.map((x) => x.workflow_uuid), ids, 'dequeued in input order');
    // DBOSClient sees what SQL wrote.
    const st = await h.dbosClient().getWorkflow(ids[2]);
    assert.equal(st.status, 'SUCCESS');
    assert.equal(st.workflowName, 'record');
  });

  test('enqueue_many_deduplication_and_return_existing', async () => {
    const holder = h.wid('many-holder');
    const dd = h.wid('many-dd');
    await h.one(`SELECT dbos.enqueue('interop_parked', NULL, 'record', '["h"]', workflow_id => $1, deduplication_id => $2)`, [holder, dd]);
    await h.expectPgError(
      h.q(`SELECT dbos.enqueue_many('interop_parked', NULL, 'record', ARRAY['["a"]', '["b"]']::jsonb[], deduplication_ids => ARRAY[NULL, $1])`, [dd]),
      '23505', 'a held deduplication ID in a batch');
    const r = await h.one(
      `SELECT dbos.enqueue_many('interop_parked', NULL, 'record', ARRAY['["a"]', '["b"]']::jsonb[],
                                deduplication_ids => ARRAY[$2, $1], duplication_policy => 'return_existing') AS ids`,
      [dd, dd + '-new']);
    assert.equal(r.ids[1], holder, 'return_existing gives the holder in its row');
    await h.q(`SELECT dbos.cancel_workflow(x) FROM unnest($1::text[]) x`, [[holder, r.ids[0]]]);
  });

  test('copy_fired_statement_trigger_runs_one_workflow_per_row', async () => {
    const table = `copy_${h.RUN}`;
    await h.q(`CREATE TABLE public.${table} (id int, tag text)`);
    await h.q(`CREATE TRIGGER ${table}_t AFTER INSERT ON public.${table} REFERENCING NEW TABLE AS new_rows
                 FOR EACH STATEMENT EXECUTE FUNCTION dbos.enqueue_trigger('interop_q', '', 'onRowChange')`);
    const N = 500;
    const c = new Client(h.pgConf());
    await c.connect();
    try {
      const before = (await c.query(`SELECT count(*)::int AS n FROM dbos.workflow_status WHERE name = 'onRowChange'`)).rows[0].n;
      // COPY ... FROM a server-side program keeps this test free of a client COPY library.
      await c.query(`COPY public.${table} FROM PROGRAM 'seq 1 ${N} | sed "s/$/\\ttag/"'`);
      await h.waitFor('the worker ran one workflow per copied row', async () => {
        const n = (await c.query(
          `SELECT count(*)::int AS n FROM dbos.workflow_status s JOIN dbos.workflow_input i USING (workflow_uuid)
             WHERE s.name = 'onRowChange' AND s.status = 'SUCCESS' AND i.inputs::jsonb #>> '{positionalArgs,0,table}' = $1`,
          [table])).rows[0].n;
        return n === N;
      }, 60000);
      const total = (await c.query(`SELECT count(*)::int AS n FROM dbos.workflow_status WHERE name = 'onRowChange'`)).rows[0].n;
      assert.equal(total - before, N, 'exactly one workflow per row');
    } finally {
      await c.end();
      await h.q(`DROP TABLE public.${table}`);
    }
  });

  test('extended_protocol_row_limit_raises_conflict_at_execute', async () => {
    const holder = h.wid('portal-holder');
    const dd = h.wid('portal-dd');
    await h.one(`SELECT dbos.enqueue('interop_parked', NULL, 'record', '["h"]', workflow_id => $1, deduplication_id => $2)`, [holder, dd]);
    const c = await rawSession(h.pgConf());
    try {
      await c.query('BEGIN');
      // Parse/Bind/Execute with a limit of 1 row, then Flush (no Sync): the portal stays open.
      c.send(serialize.parse({ name: '', text: `SELECT dbos.enqueue('interop_parked', NULL, 'record', '["p"]', deduplication_id => $1) FROM generate_series(1, 3)`, types: [] }));
      c.send(serialize.bind({ portal: 'p', statement: '', values: [dd] }));
      c.send(serialize.execute({ portal: 'p', rows: 1 }));
      c.send(serialize.flush());
      const got = await c.next((m) => m.name === 'error' || m.name === 'portalSuspended');
      const names = got.map((m) => m.name);
      assert.deepEqual(names, ['parseComplete', 'bindComplete', 'error'], 'the Execute itself fails, with no row sent');
      assert.equal(got[2].code, '23505');
      c.send(serialize.sync());
      await c.ready();
      await c.query('ROLLBACK');
      // The next, unrelated query is untouched.
      const after = await c.query('SELECT 1');
      assert.ok(!after.some((m) => m.name === 'error'), 'a later query runs without error');
      assert.ok(after.some((m) => m.name === 'dataRow'));
    } finally {
      c.end();
      await h.q(`SELECT dbos.cancel_workflow($1)`, [holder]);
    }
  });

  test('commit_prepared_wakes_a_preloaded_waiter', async () => {
    if (h.mode() !== 'preloaded') return h.skip('needs the library preloaded');
    const conf = await h.one(`SELECT current_setting('shared_preload_libraries') AS spl,
                                     current_setting('max_prepared_transactions')::int AS mpt`);
    assert.match(conf.spl, /dbos_client/, 'the interop cluster preloads dbos_client');
    assert.ok(conf.mpt > 0, 'the interop cluster allows prepared transactions');
    const id = h.wid('2pc');
    const gid = `dbos-2pc-${h.RUN}`;
    await h.one(`SELECT dbos.enqueue('interop_parked', NULL, 'record', '["2pc"]', workflow_id => $1)`, [id]);
    const waiter = new Client(h.pgConf());
    const writer = new Client(h.pgConf());
    await waiter.connect();
    await writer.connect();
    try {
      // Only the commit-time wake-up can end this wait in time: no re-check for 600 s.
      await waiter.query(`SET dbos.wait_recheck_interval = '600s'`);
      const pid = (await waiter.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
      const waiting = waiter.query(`SELECT dbos.get_event($1, 'k', ${h.LONG_WAIT_S}) AS v`, [id]);
      await h.waitFor('the waiter sleeps on its latch', async () =>
        (await h.one(`SELECT wait_event_type = 'Extension' AS sleeping FROM pg_stat_activity WHERE pid = $1`, [pid])).sleeping);
      await writer.query('BEGIN');
      await writer.query(`INSERT INTO dbos.workflow_events (workflow_uuid, key, value, serialization)
                          VALUES ($1, 'k', '"v"', 'portable_json')`, [id]);
      await writer.query(`PREPARE TRANSACTION '${gid}'`);
      const t0 = Date.now();
      await writer.query(`COMMIT PREPARED '${gid}'`);
      const r = await waiting;
      assert.equal(r.rows[0].v, 'v');
      // At the commit (about a millisecond), not at a re-check 600 s away; other latch
      // wake-ups of an idle backend (seen ~10 s) must not pass for it, hence 3 s.
      const ms = Date.now() - t0;
      assert.ok(ms < 3000, `get_event ended ${ms} ms after COMMIT PREPARED, not at once`);
    } finally {
      await writer.query(`ROLLBACK PREPARED '${gid}'`).catch(() => {});
      await waiter.end();
      await writer.end();
      await h.q(`SELECT dbos.cancel_workflow($1)`, [id]);
    }
  }, { timeoutMs: 60000 });
};
