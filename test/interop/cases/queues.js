'use strict';
// Interop cases of database-backed queues (1.3): a real DBOS 5.3 worker obeys the limits SQL
// registered (dbos.register_queue), DBOSClient reads what SQL registered and SQL what DBOSClient
// registered, and dbos.queue_stats counts what is waiting.
const assert = require('node:assert/strict');

module.exports = (test, h) => {
  // Workers re-read the queues table every second: wait until a registration is seen.
  const settle = () => h.sleep(2500);

  test('queue_registered_from_sql_concurrency_obeyed_by_worker', async () => {
    await h.q(`SELECT dbos.register_queue('interop_sql_serial', concurrency => 1, polling_interval_sec => 0.2)`);
    await settle();
    const ids = [1, 2, 3, 4].map((i) => h.wid(`sqlq-serial-${i}`));
    for (const id of ids) await h.q(`SELECT dbos.enqueue('interop_sql_serial', NULL, 'record', $1::jsonb, workflow_id => $2)`, [JSON.stringify([id]), id]);
    const runs = [];
    for (const id of ids) runs.push(await h.getResult(id));
    runs.sort((a, b) => a.startedAt - b.startedAt);
    for (let i = 1; i < runs.length; i++)
      assert.ok(runs[i].startedAt >= runs[i - 1].endedAt,
        `concurrency 1: ${runs[i].tag} started at ${runs[i].startedAt} before ${runs[i - 1].tag} ended at ${runs[i - 1].endedAt}`);
  });

  test('queue_registered_from_sql_rate_limit_obeyed_by_worker', async () => {
    await h.q(`SELECT dbos.register_queue('interop_sql_rate', rate_limit_max => 2, rate_limit_period_sec => 2,
                                          polling_interval_sec => 0.2)`);
    await settle();
    const ids = [1, 2, 3].map((i) => h.wid(`sqlq-rate-${i}`));
    for (const id of ids) await h.q(`SELECT dbos.enqueue('interop_sql_rate', NULL, 'record', $1::jsonb, workflow_id => $2)`, [JSON.stringify([id]), id]);
    const runs = [];
    for (const id of ids) runs.push(await h.getResult(id));
    const starts = runs.map((r) => r.startedAt).sort((a, b) => a - b);
    // Two starts per 2 s: the third waits until the first is 2 s old (the worker's clock).
    assert.ok(starts[2] - starts[0] >= 1900, `third start ${starts[2] - starts[0]} ms after the first, limit 2 per 2 s`);
    assert.ok(starts[1] - starts[0] < 1900, `the second start (${starts[1] - starts[0]} ms) is within the limit`);
  });

  test('queues_dbosclient_and_sql_read_each_others_registrations', async () => {
    const client = h.dbosClient();
    const fromSql = h.wid('sqlq-readback');
    await h.q(`SELECT dbos.register_queue($1, concurrency => 6, worker_concurrency => 3, rate_limit_max => 5,
                  rate_limit_period_sec => 1.5, partition_concurrency => 2, polling_interval_sec => 0.5)`, [fromSql]);
    const q = await client.retrieveQueue(fromSql);
    assert.ok(q, 'DBOSClient.retrieveQueue finds the SQL-registered queue');
    assert.equal(q.concurrency, 6);
    assert.equal(q.workerConcurrency, 3);
    assert.deepEqual(q.rateLimit, { limitPerPeriod: 5, periodSec: 1.5 });
    assert.equal(q.partitionConcurrency, 2);
    assert.equal(q.minPollingIntervalMs, 500);
    assert.ok((await client.listQueues()).some((x) => x.name === fromSql), 'DBOSClient.listQueues lists it');

    const fromClient = h.wid('clientq-readback');
    await client.registerQueue(fromClient, { workerConcurrency: 4, rateLimit: { limitPerPeriod: 7, periodSec: 3 },
      partitionWorkerConcurrency: 2, minPollingIntervalMs: 750 });
    const r = await h.one(`SELECT * FROM dbos.retrieve_queue($1)`, [fromClient]);
    assert.equal(r.queue_name, fromClient);
    assert.equal(r.worker_concurrency, 4);
    assert.equal(r.rate_limit_max, 7);
    assert.equal(r.rate_limit_period_sec, 3);
    assert.equal(r.partitioned, true);
    assert.equal(r.partition_worker_concurrency, 2);
    assert.equal(r.polling_interval_sec, 0.75);
    // The rows themselves match column for column (priority_enabled, partition_queue included).
    const rows = await h.q(`SELECT name, priority_enabled, partition_queue FROM dbos.queues WHERE name = ANY($1) ORDER BY name`,
      [[fromSql, fromClient]]);
    for (const row of rows.rows) assert.deepEqual([row.priority_enabled, row.partition_queue], [true, true], row.name);
    assert.equal((await h.one(`SELECT count(*)::int AS n FROM dbos.list_queues() WHERE queue_name = ANY($1)`,
      [[fromSql, fromClient]])).n, 2);

    // Deleted from SQL: DBOSClient no longer finds it; deleted by DBOSClient: SQL no longer does.
    await h.q(`SELECT dbos.delete_queue($1)`, [fromSql]);
    assert.equal(await client.retrieveQueue(fromSql), null);
    await client.deleteQueue(fromClient);
    assert.equal((await h.one(`SELECT dbos.retrieve_queue($1) IS NULL AS gone`, [fromClient])).gone, true);
  });

  test('queue_stats_counts_what_waits_on_a_queue', async () => {
    // interop_parked is registered by the worker and never dequeued by it.
    const before = await h.one(`SELECT enqueued::int, delayed::int FROM dbos.queue_stats('interop_parked')`);
    const a = h.wid('stats-a'), b = h.wid('stats-b');
    await h.q(`SELECT dbos.enqueue('interop_parked', NULL, 'record', '["s"]', workflow_id => $1)`, [a]);
    await h.q(`SELECT dbos.enqueue('interop_parked', NULL, 'record', '["s"]', workflow_id => $1, delay => '1 hour')`, [b]);
    const after = await h.one(`SELECT registered, enqueued::int, delayed::int, oldest_enqueued_age IS NOT NULL AS aged
                               FROM dbos.queue_stats('interop_parked')`);
    assert.equal(after.registered, true, 'the worker registered interop_parked');
    assert.equal(after.enqueued, before.enqueued + 1);
    assert.equal(after.delayed, before.delayed + 1);
    assert.equal(after.aged, true);
    await h.q(`SELECT dbos.cancel_workflow($1)`, [a]);
    await h.q(`SELECT dbos.cancel_workflow($1)`, [b]);
  });
};
