'use strict';
// Knex: enqueue DBOS workflows in the transaction that writes your rows.
//   DATABASE_URL=postgresql://... node knex.js      (the database holding the DBOS system tables)
const assert = require('node:assert/strict');
const knex = require('knex')({ client: 'pg', connection: process.env.DATABASE_URL });

const enqueue = (db, orderId, amount, opts = {}) => db.raw(
  `SELECT dbos.enqueue(?, NULL, 'processOrder', jsonb_build_array(?::int, ?::numeric),
                       workflow_id => ?, deduplication_id => ?) AS id`,
  [opts.queue ?? 'orders_q', orderId, amount, opts.workflowId ?? null, opts.dedup ?? null]
).then((r) => r.rows[0].id);
const status = (wf) => knex.raw('SELECT status, queue_name FROM dbos.get_status(?)', [wf]).then((r) => r.rows[0]);
const result = (wf) => knex.raw('SELECT dbos.get_result(?, 60) AS r', [wf]).then((r) => r.rows[0].r);

async function main() {
  const run = Date.now().toString(36);
  if (!(await knex.schema.hasTable('knex_orders'))) {
    await knex.schema.createTable('knex_orders', (t) => {
      t.increments('id');
      t.text('item').notNullable();
      t.decimal('amount').notNullable();
    });
  }

  // (1) The order row and its workflow commit together; a rollback leaves neither.
  const kept = await knex.transaction(async (trx) => {
    const [{ id }] = await trx('knex_orders').insert({ item: 'book', amount: 10 }).returning('id');
    return { id, wf: await enqueue(trx, id, 10, { workflowId: `knex-order-${run}-${id}` }) };
  });
  // Throwing from the callback rolls the transaction back; catch only that throw, so a failed
  // insert or enqueue still reaches you.
  let dropped;
  const rollBack = new Error('roll back this order');
  await knex.transaction(async (trx) => {
    const [{ id }] = await trx('knex_orders').insert({ item: 'pen', amount: 2 }).returning('id');
    dropped = { id, wf: await enqueue(trx, id, 2, { workflowId: `knex-order-${run}-${id}` }) };
    throw rollBack;
  }).catch((e) => { if (e !== rollBack) throw e; });
  assert.equal((await knex('knex_orders').where({ id: dropped.id })).length, 0, 'rolled-back order row');
  assert.equal((await status(dropped.wf)).status, null, 'rolled-back workflow exists');
  assert.equal((await knex('knex_orders').where({ id: kept.id })).length, 1, 'committed order row');

  // (2) A batch: dbos.enqueue_many with one JSON array of arguments per workflow.
  const batch = [[201, 1], [202, 2], [203, 3]];
  const ids = (await knex.raw("SELECT dbos.enqueue_many('orders_q', NULL, 'processOrder', ?::jsonb[]) AS ids",
    [batch.map((a) => JSON.stringify(a))])).rows[0].ids;
  assert.equal(ids.length, 3);

  // (3) get_status, (4) get_result (waits for the worker).
  const st = await status(kept.wf);
  assert.ok(['ENQUEUED', 'PENDING', 'SUCCESS'].includes(st.status), `status ${st.status}`);
  assert.equal(st.queue_name, 'orders_q');
  assert.deepEqual(await result(kept.wf), { orderId: kept.id, total: 12 });
  assert.deepEqual(await result(ids[1]), { orderId: 202, total: 2.4 });

  // (5) Deduplication conflict: pg's error, code 23505, reaches you through Knex. A nested
  // transaction is a savepoint: the conflict rolls it back and the outer transaction goes on.
  const dedup = `knex-dedup-${run}`;
  let conflict = null;
  const first = await knex.transaction(async (trx) => {
    const id = await enqueue(trx, 1, 1, { queue: 'orders_parked', dedup });
    try {
      await trx.transaction((sp) => enqueue(sp, 2, 1, { queue: 'orders_parked', dedup }));
    } catch (e) {
      if (e.code !== '23505') throw e;
      conflict = e;
    }
    await trx('knex_orders').insert({ item: dedup, amount: 0 });
    return id;
  });
  assert.ok(conflict, 'no deduplication conflict');
  assert.equal((await status(first)).status, 'ENQUEUED');
  assert.equal((await knex('knex_orders').where({ item: dedup })).length, 1);
  await knex.destroy();
  console.log(`knex: ok (order ${kept.wf}, batch ${ids.length}, dedup conflict: ${conflict.detail})`);
}

main().catch(async (e) => {
  console.error('knex: FAILED:', e.message);
  await knex.destroy();
  process.exit(1);
});
