'use strict';
// Sequelize: enqueue DBOS workflows in the transaction that writes your rows.
//   DATABASE_URL=postgresql://... node sequelize.js      (the database holding the DBOS system tables)
const assert = require('node:assert/strict');
const { Sequelize, DataTypes, QueryTypes, UniqueConstraintError } = require('sequelize');

const sequelize = new Sequelize(process.env.DATABASE_URL, { logging: false });
const Order = sequelize.define('Order', {
  item: { type: DataTypes.TEXT, allowNull: false },
  amount: { type: DataTypes.DECIMAL, allowNull: false },
}, { tableName: 'sequelize_orders', timestamps: false });

const one = (query, bind, transaction) => sequelize.query(query, { bind, transaction, type: QueryTypes.SELECT, plain: true });
const enqueue = (transaction, orderId, amount, { queue = 'orders_q', workflowId = null, dedup = null } = {}) => one(
  `SELECT dbos.enqueue($1, NULL, 'processOrder', jsonb_build_array($2::int, $3::numeric),
                       workflow_id => $4, deduplication_id => $5) AS id`,
  [queue, orderId, amount, workflowId, dedup], transaction).then((r) => r.id);
const status = (wf) => one('SELECT status, queue_name FROM dbos.get_status($1)', [wf]);
const result = (wf) => one('SELECT dbos.get_result($1, 60) AS r', [wf]).then((r) => r.r);

async function main() {
  const run = Date.now().toString(36);
  await Order.sync();

  // (1) The order row and its workflow commit together; a rollback leaves neither.
  const kept = await sequelize.transaction(async (transaction) => {
    const o = await Order.create({ item: 'book', amount: 10 }, { transaction });
    return { id: o.id, wf: await enqueue(transaction, o.id, 10, { workflowId: `sequelize-order-${run}-${o.id}` }) };
  });
  const t = await sequelize.transaction();
  const o = await Order.create({ item: 'pen', amount: 2 }, { transaction: t });
  const dropped = { id: o.id, wf: await enqueue(t, o.id, 2, { workflowId: `sequelize-order-${run}-${o.id}` }) };
  await t.rollback();
  assert.equal(await Order.findByPk(dropped.id), null, 'rolled-back order row');
  assert.equal((await status(dropped.wf)).status, null, 'rolled-back workflow exists');
  assert.ok(await Order.findByPk(kept.id), 'committed order row');

  // (2) A batch: dbos.enqueue_many, one JSON array of arguments per workflow.
  const batch = [[401, 1], [402, 2], [403, 3]].map((a) => JSON.stringify(a));
  const { ids } = await one("SELECT dbos.enqueue_many('orders_q', NULL, 'processOrder', $1::jsonb[]) AS ids", [batch]);
  assert.equal(ids.length, 3);

  // (3) get_status, (4) get_result (waits for the worker).
  const st = await status(kept.wf);
  assert.ok(['ENQUEUED', 'PENDING', 'SUCCESS'].includes(st.status), `status ${st.status}`);
  assert.equal(st.queue_name, 'orders_q');
  assert.deepEqual(await result(kept.wf), { orderId: kept.id, total: 12 });
  assert.deepEqual(await result(ids[2]), { orderId: 403, total: 3.6 });

  // (5) Deduplication conflict: Sequelize turns SQLSTATE 23505 into UniqueConstraintError. A
  // transaction nested in another ({ transaction: t }) is a savepoint: the outer one goes on.
  const dedup = `sequelize-dedup-${run}`;
  let conflict = null;
  const first = await sequelize.transaction(async (transaction) => {
    const id = await enqueue(transaction, 1, 1, { queue: 'orders_parked', dedup });
    try {
      await sequelize.transaction({ transaction }, (sp) => enqueue(sp, 2, 1, { queue: 'orders_parked', dedup }));
    } catch (e) {
      if (!(e instanceof UniqueConstraintError)) throw e;
      conflict = e;
    }
    await Order.create({ item: dedup, amount: 0 }, { transaction });
    return id;
  });
  assert.ok(conflict, 'no deduplication conflict');
  assert.equal((await status(first)).status, 'ENQUEUED');
  assert.equal(await Order.count({ where: { item: dedup } }), 1);
  await sequelize.close();
  console.log(`sequelize: ok (order ${kept.wf}, batch ${ids.length}, dedup conflict: ${conflict.parent.detail})`);
}

main().catch(async (e) => {
  console.error('sequelize: FAILED:', e.message, e.parent ? `(${e.parent.message})` : '');
  await sequelize.close();
  process.exit(1);
});
