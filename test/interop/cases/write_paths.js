'use strict';
// Interop cases of the write paths (issue 7): what dbos.enqueue_many and a COPY-fired
// statement trigger write, a real DBOS worker runs; DBOSClient reads it back; and over the
// extended protocol a portal run with a row limit raises its own conflict, at its Execute.
const assert = require('node:assert/strict');
const { Client } = require('pg');

module.exports = (test, h) => {
  test('enqueue_many_runs_every_workflow_in_input_order', async () => {
    const ids = [1, 2, 3, 4, 5].map((i) => h.wid(`many-${i}`));
    const r = await h.one(
      `SELECT dbos.enqueue_many('interop_serial', NULL, 'record', $1::jsonb[], workflow_ids => $2) AS ids`,
      [ids.map((id) => JSON.stringify([id])), ids]);
    assert.deepEqual(r.ids, ids, 'IDs come back in input order');
    for (const id of ids) assert.deepEqual(await h.getResult(id), id, `${id} ran with its own argument`);
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
    const c = new Client(h.pgConf());
    await c.connect();
    try {
      await c.query('BEGIN');
      const con = c.connection;
      const events = [];
      const done = new Promise((resolve) => {
        const on = (name) => (msg) => { events.push({ name, code: msg && msg.code }); if (name !== 'dataRow') resolve(); };
        con.once('portalSuspended', on('portalSuspended'));
        con.once('errorMessage', on('errorMessage'));
        con.on('dataRow', on('dataRow'));
      });
      // Parse/Bind/Execute with a limit of 1 row, then Flush (no Sync): the portal stays open.
      con.parse({ name: '', text: `SELECT dbos.enqueue('interop_parked', NULL, 'record', '["p"]', deduplication_id => $1) FROM generate_series(1, 3)`, types: [] });
      con.bind({ portal: 'p', statement: '', values: [dd] });
      con.execute({ portal: 'p', rows: 1 });
      con.flush();
      await done;
      con.removeAllListeners('dataRow');
      assert.deepEqual(events.map((e) => e.name), ['errorMessage'], 'the Execute itself fails, with no row sent');
      assert.equal(events[0].code, '23505');
      con.sync();
      await new Promise((resolve) => con.once('readyForQuery', resolve));
      await c.query('ROLLBACK');
      // The next, unrelated query is untouched.
      assert.equal((await c.query('SELECT 1 AS one')).rows[0].one, 1);
    } finally {
      await c.end().catch(() => {});
      await h.q(`SELECT dbos.cancel_workflow($1)`, [holder]);
    }
  });
};
