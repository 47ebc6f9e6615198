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
