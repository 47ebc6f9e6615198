'use strict';
// Interop cases of dbos.debounce (1.3): a real DBOS worker runs a debounced burst from SQL
// once, after the burst, with the last arguments; SQL and the SDK's DebouncerClient share a
// key both ways (each extends the workflow the other started), and each reads back the other.
const assert = require('node:assert/strict');
const { DebouncerClient } = require('@dbos-inc/dbos-sdk');

module.exports = (test, h) => {
  const PERIOD_MS = 1500;

  test('debounce_burst_runs_once_after_the_burst_with_the_last_arguments', async () => {
    const key = h.wid('burst');
    const ids = [];
    let lastCall = 0;
    for (let i = 1; i <= 5; i++) {
      lastCall = Date.now();
      ids.push(await h.val(`SELECT dbos.debounce($1, $2::interval, 'echo', $3::jsonb, queue_name => 'interop_q') AS id`,
        [key, `${PERIOD_MS} milliseconds`, JSON.stringify([`call-${i}`, i])]));
    }
    assert.equal(new Set(ids).size, 1, `every call of the burst returns one workflow (got ${ids.join(', ')})`);
    const r = await h.getResult(ids[0], 30);
    assert.deepEqual(r.args, ['call-5', 5], 'the workflow ran with the last call\'s arguments');
    const row = await h.statusRow(ids[0]);
    assert.equal(row.status, 'SUCCESS');
    assert.equal(row.is_debounced, true);
    assert.equal(row.deduplication_id, null, 'the worker released the key when the workflow left DELAYED');
    assert.ok(Number(row.started_at_epoch_ms) >= lastCall + PERIOD_MS,
      `started after the period following the last call (started ${Number(row.started_at_epoch_ms) - lastCall} ms after it)`);
    const runs = await h.val(
      `SELECT count(*)::int AS n FROM dbos.workflow_status WHERE name = 'echo' AND workflow_uuid = ANY($1)`, [ids]);
    assert.equal(runs, 1, 'one workflow for the burst');
    // The key is free again: the next call starts a new workflow.
    const next = await h.val(`SELECT dbos.debounce($1, '1 hour', 'echo', '["later"]', queue_name => 'interop_q') AS id`, [key]);
    assert.notEqual(next, ids[0], 'a call after the run starts a fresh workflow');
    await h.q('SELECT dbos.cancel_workflow($1)', [next]);
    // DBOSClient reads what SQL wrote.
    const st = await h.dbosClient().getWorkflow(ids[0]);
    assert.equal(st.status, 'SUCCESS');
    assert.equal(st.workflowName, 'echo');
  });

  test('debounce_sql_extends_a_debouncer_client_workflow_and_back', async () => {
    // DebouncerClient starts, SQL extends: SQL's arguments win, one workflow runs.
    const key1 = h.wid('client-first');
    const deb = new DebouncerClient(h.dbosClient(), { workflowName: 'echo', startWorkflowParams: { queueName: 'interop_q' } });
    const handle = await deb.debounce(key1, 60000, 'from-client');
    const id1 = handle.workflowID;
    const sqlId1 = await h.val(`SELECT dbos.debounce($1, $2::interval, 'echo', '["from-sql", 2]', queue_name => 'interop_q') AS id`,
      [key1, `${PERIOD_MS} milliseconds`]);
    assert.equal(sqlId1, id1, 'SQL extended the workflow DebouncerClient started');
    assert.deepEqual((await h.getResult(id1, 30)).args, ['from-sql', 2], 'it ran with the arguments SQL gave last');

    // SQL starts, DebouncerClient extends: the client's arguments win, one workflow runs.
    const key2 = h.wid('sql-first');
    const id2 = await h.val(`SELECT dbos.debounce($1, '1 hour', 'echo', '["from-sql"]', queue_name => 'interop_q') AS id`, [key2]);
    const st = await h.dbosClient().getWorkflow(id2);
    assert.equal(st.status, 'DELAYED', 'DBOSClient reads the debounced workflow SQL wrote');
    assert.deepEqual(st.input, ['from-sql']);
    const handle2 = await deb.debounce(key2, PERIOD_MS, 'from-client', 3);
    assert.equal(handle2.workflowID, id2, 'DebouncerClient extended the workflow SQL started');
    assert.deepEqual((await h.getResult(id2, 30)).args, ['from-client', 3], 'it ran with the arguments the client gave last');
    const n = await h.val(`SELECT count(*)::int AS n FROM dbos.workflow_status WHERE deduplication_id = ANY($1)
                             OR workflow_uuid = ANY($2)`, [[`.echo-${key1}`, `.echo-${key2}`], [id1, id2]]);
    assert.equal(n, 2, 'one workflow per key');
  });

  test('debounce_trigger_runs_a_burst_of_row_updates_once_after_the_burst', async () => {
    const tbl = `deb_orders_${h.RUN}`;
    await h.q(`CREATE TABLE public.${tbl} (id int PRIMARY KEY, wf text NOT NULL, status text)`);
    try {
      // The workflow ID column is used only when a change starts a new workflow.
      await h.q(`CREATE TRIGGER deb AFTER INSERT OR UPDATE ON public.${tbl} FOR EACH ROW
                   EXECUTE FUNCTION dbos.enqueue_trigger('interop_q', '', 'echo', 'debounce_column=id',
                                                         'debounce_period=1.5 s', 'workflow_id_column=wf')`);
      const wf1 = h.wid('deb-row-1'), wf2 = h.wid('deb-row-2');
      await h.q(`INSERT INTO public.${tbl} VALUES (1, $1, 'new'), (2, $2, 'new')`, [wf1, wf2]);
      let lastCall = 0;
      for (const st of ['paid', 'packed', 'shipped']) {
        lastCall = Date.now();
        await h.q(`UPDATE public.${tbl} SET status = $1, wf = wf || '-unused' WHERE id = 1`, [st]);
      }
      const r1 = await h.getResult(wf1, 30);
      assert.equal(r1.args[0].op, 'UPDATE');
      assert.equal(r1.args[0].new.status, 'shipped', 'row 1 ran once, with its last change');
      const r2 = await h.getResult(wf2, 30);
      assert.equal(r2.args[0].op, 'INSERT', 'row 2 (its own key) ran with its only change');
      const row = await h.statusRow(wf1);
      assert.ok(Number(row.started_at_epoch_ms) >= lastCall + 1500,
        `row 1's workflow started after the period following the last update (${Number(row.started_at_epoch_ms) - lastCall} ms)`);
      const n = await h.val(`SELECT count(*)::int AS n FROM dbos.workflow_status s JOIN dbos.workflow_input i USING (workflow_uuid)
                              WHERE s.name = 'echo' AND i.inputs::jsonb #>> '{positionalArgs,0,table}' = $1`, [tbl]);
      assert.equal(n, 2, 'one workflow per row for the whole burst');
    } finally {
      await h.q(`DROP TABLE IF EXISTS public.${tbl}`);
    }
  });
};
