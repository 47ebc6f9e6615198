'use strict';
// Interop cases of versions, delays and bulk management (1.3): SQL reads the application
// version a real worker registered as DBOSClient does; a delay moved from SQL is obeyed by the
// worker; bulk cancel and resume from SQL are what the worker and DBOSClient see, and
// cancel_children cancels the rows DBOSClient's cancelChildren cancels.
const assert = require('node:assert/strict');

module.exports = (test, h) => {
  test('application_versions_read_as_DBOSClient_reads_them', async () => {
    const client = h.dbosClient();
    const fromClient = (await client.listApplicationVersions()).map((x) => x.versionName).sort();
    const fromSql = (await h.q(`SELECT version_name FROM dbos.list_application_versions()`)).rows.map((x) => x.version_name).sort();
    assert.deepEqual(fromSql, fromClient, 'the same versions');
    assert.ok(fromSql.includes(h.APP_VERSION), `the worker's version ${h.APP_VERSION} is listed`);
    const latest = await h.one(`SELECT * FROM dbos.get_latest_application_version($1)`, [h.APP_NAME]);
    assert.equal(latest.version_name, h.APP_VERSION);
    assert.equal(latest.application_name, h.APP_NAME);
    const own = (await h.q(`SELECT version_name FROM dbos.list_application_versions(ARRAY[$1])`, [h.APP_NAME])).rows;
    assert.ok(own.some((x) => x.version_name === h.APP_VERSION));
  });

  test('set_workflow_delay_from_sql_is_obeyed_by_worker', async () => {
    const id = h.wid('delay-moved');
    await h.q(`SELECT dbos.enqueue('interop_q', NULL, 'record', '["moved"]', workflow_id => $1, delay => '1 hour')`, [id]);
    await h.sleep(1500);
    assert.equal((await h.statusRow(id)).status, 'DELAYED', 'an hour away: the worker leaves it');
    assert.equal((await h.one(`SELECT dbos.set_workflow_delay($1, delay => '1 second') AS moved`, [id])).moved, true);
    const t = await h.timed(() => h.getResult(id, 30));
    assert.equal(t.r.tag, 'moved');
    assert.ok(t.ms < 20000, `ran ${t.ms} ms after the delay was moved to 1 s`);
    assert.equal((await h.one(`SELECT dbos.set_workflow_delay($1, delay => '1 hour') AS moved`, [id])).moved, false,
      'a finished workflow is left alone');
  });

  test('bulk_cancel_and_resume_seen_by_worker_and_DBOSClient', async () => {
    const ids = [1, 2, 3].map((i) => h.wid(`bulkops-${i}`));
    for (const id of ids) await h.q(`SELECT dbos.enqueue('interop_parked', NULL, 'record', $1::jsonb, workflow_id => $2)`, [JSON.stringify([id]), id]);
    await h.q(`SELECT dbos.cancel_workflows($1)`, [[...ids, h.wid('bulkops-unknown')]]);
    const client = h.dbosClient();
    for (const id of ids) assert.equal((await client.getWorkflow(id)).status, 'CANCELLED', `${id} cancelled`);
    // Resumed onto a queue the worker runs.
    const back = await h.one(`SELECT dbos.resume_workflows($1, 'interop_q') AS ids`, [ids]);
    assert.deepEqual(back.ids, ids);
    for (const id of ids) assert.equal((await h.getResult(id, 30)).tag, id, `${id} ran after its resume`);
    await h.q(`SELECT dbos.delete_workflows($1)`, [ids]);
    for (const id of ids) assert.equal(await client.getWorkflow(id), undefined, `${id} deleted`);
  });

  test('cancel_children_cancels_the_tree_DBOSClient_cancelChildren_cancels', async () => {
    // Two copies of one tree on a queue no worker runs: root > a, b; a > c (finished) > d.
    const tree = { root: null, a: 'root', b: 'root', c: 'a', d: 'c' };
    const ids = (copy) => Object.fromEntries(Object.keys(tree).map((k) => [k, h.wid(`cancel-tree-${copy}-${k}`)]));
    const sqlIds = ids('sql'), clientIds = ids('client');
    for (const m of [sqlIds, clientIds]) {
      for (const k of Object.keys(tree)) {
        await h.q(`SELECT dbos.enqueue('interop_parked', NULL, 'record', '[]', workflow_id => $1, deduplication_id => $1)`, [m[k]]);
      }
      for (const [k, parent] of Object.entries(tree)) {
        if (parent) await h.q(`UPDATE dbos.workflow_status SET parent_workflow_id = $2 WHERE workflow_uuid = $1`, [m[k], m[parent]]);
      }
      await h.q(`UPDATE dbos.workflow_status SET status = 'SUCCESS' WHERE workflow_uuid = $1`, [m.c]);
    }
    await h.q(`SELECT dbos.cancel_workflows(ARRAY[$1], cancel_children => true)`, [sqlIds.root]);
    await h.dbosClient().cancelWorkflows([clientIds.root], { cancelChildren: true });
    const row = async (id) => h.one(`SELECT status, queue_name, deduplication_id, started_at_epoch_ms,
        completed_at IS NOT NULL AS completed FROM dbos.workflow_status WHERE workflow_uuid = $1`, [id]);
    for (const k of Object.keys(tree)) {
      const [fromSql, fromClient] = [await row(sqlIds[k]), await row(clientIds[k])];
      if (fromClient.deduplication_id) fromClient.deduplication_id = fromClient.deduplication_id.replace('-client-', '-sql-');
      assert.deepEqual(fromSql, fromClient, `node ${k}: the same row from SQL and DBOSClient`);
      assert.equal(fromSql.status, k === 'c' ? 'SUCCESS' : 'CANCELLED', `node ${k}`);
    }
    await h.q(`SELECT dbos.delete_workflows($1)`, [[...Object.values(sqlIds), ...Object.values(clientIds)]]);
  });
};
