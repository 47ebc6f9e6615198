'use strict';
// Interop cases of waiting on many (1.3): wait_first / wait_all return when a real worker ends
// the workflows, as DBOSClient.waitFirst / waitAll do; read_stream_offset waits for the value a
// worker's DBOS.writeStream writes, as DBOSClient.readStreamOffset does.
const assert = require('node:assert/strict');

module.exports = (test, h) => {
  test('wait_first_and_wait_all_follow_a_real_worker', async () => {
    const slow = h.wid('wf-slow'), fast = h.wid('wf-fast');
    await h.q(`SELECT dbos.enqueue('interop_q', NULL, 'long', '[4000]', workflow_id => $1)`, [slow]);
    await h.q(`SELECT dbos.enqueue('interop_q', NULL, 'long', '[300]', workflow_id => $1)`, [fast]);
    const first = await h.timed(() => h.one(`SELECT dbos.wait_first(ARRAY[$1, $2], 30) AS id`, [slow, fast]));
    assert.equal(first.r.id, fast, 'the short workflow ends first');
    assert.ok(first.ms < 3500, `wait_first returned after ${first.ms} ms, before the slow one could end`);
    assert.equal((await h.statusRow(fast)).status, 'SUCCESS');
    assert.notEqual((await h.statusRow(slow)).status, 'SUCCESS', 'the slow one is still running');
    // DBOSClient agrees on the first one.
    const client = h.dbosClient();
    const handle = await client.waitFirst([client.retrieveWorkflow(slow), client.retrieveWorkflow(fast)]);
    assert.equal(handle.workflowID, fast);
    const all = await h.one(`SELECT dbos.wait_all(ARRAY[$1, $2], 30) AS done`, [slow, fast]);
    assert.equal(all.done, true);
    assert.equal((await h.statusRow(slow)).status, 'SUCCESS', 'wait_all returned only once both ended');
  });

  test('wait_first_and_wait_all_end_with_DB004_when_a_workflow_is_deleted_during_the_wait', async () => {
    // On a queue no worker runs: nothing ends them; a deletion must end the waits, as it ends
    // get_result's (DB004), not leave them waiting for rows that can no longer appear.
    const ids = [1, 2].map((i) => h.wid(`wait-deleted-${i}`));
    for (const id of ids) await h.q(`SELECT dbos.enqueue('interop_parked', NULL, 'record', '[]', workflow_id => $1)`, [id]);
    const started = Date.now();
    const first = h.expectPgError(h.q(`SELECT dbos.wait_first(ARRAY[$1], 60)`, [ids[0]]), 'DB004', 'wait_first of a deleted workflow');
    const all = h.expectPgError(h.q(`SELECT dbos.wait_all(ARRAY[$1, $2], 60)`, ids), 'DB004', 'wait_all of a deleted workflow');
    await h.sleep(300);
    await h.q(`SELECT dbos.delete_workflows($1)`, [ids]);
    await Promise.all([first, all]);
    const ms = Date.now() - started;
    assert.ok(ms < 30000, `the waits ended ${ms} ms after they began, not at their 60 s timeout`);
  });

  test('read_stream_offset_waits_for_the_worker_write', async () => {
    const id = h.wid('stream-offset');
    // DELAYED for a second: the read starts waiting before the worker writes anything.
    await h.q(`SELECT dbos.enqueue('interop_q', NULL, 'streamer', $1::jsonb, workflow_id => $2, delay => '1 second')`,
      [JSON.stringify(['k', [{ a: 1 }, 'two', [3]], true]), id]);
    const read = await h.timed(() => h.one(`SELECT dbos.read_stream_offset($1, 'k', 2, 30) AS v`, [id]));
    assert.deepEqual(read.r.v, [3]);
    assert.ok(read.ms >= 500, `it waited for the worker (${read.ms} ms)`);
    assert.deepEqual(await h.dbosClient().readStreamOffset(id, 'k', 1), 'two');
    assert.deepEqual((await h.one(`SELECT dbos.read_stream_offset($1, 'k', 1) AS v`, [id])).v, 'two');
    // Past the close marker: DB005, as DBOSClient throws DBOSStreamTimeoutError.
    await h.expectPgError(h.q(`SELECT dbos.read_stream_offset($1, 'k', 3, 5)`, [id]), 'DB005', 'past the close marker');
    await assert.rejects(h.dbosClient().readStreamOffset(id, 'k', 3, { timeoutMS: 5000 }));
  });
};
