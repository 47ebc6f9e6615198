'use strict';
// Drizzle (node-postgres driver): enqueue DBOS workflows in the transaction that writes your rows.
//   DATABASE_URL=postgresql://... node drizzle.js      (the database holding the DBOS system tables)
const assert = require('node:assert/strict');
const { Pool } = require('pg');
const { drizzle } = require('drizzle-orm/node-postgres');
const { pgTable, serial, text, numeric } = require('drizzle-orm/pg-core');
const { sql, eq, TransactionRollbackError } = require('drizzle-orm');

const orders = pgTable('drizzle_orders', {
  id: serial('id').primaryKey(),
  item: text('item').notNull(),
  amount: numeric('amount').notNull(),
});
const pool = new Pool({ connectionString: process.env.DATABASE_URL });
const db = drizzle(pool);

const enqueue = async (tx, orderId, amount, { queue = 'orders_q', workflowId = null, dedup = null } = {}) =>
  (await tx.execute(sql`SELECT dbos.enqueue(${queue}, NULL, 'processOrder', jsonb_build_array(${orderId}::int, ${amount}::numeric),
                                            workflow_id => ${workflowId}, deduplication_id => ${dedup}) AS id`)).rows[0].id;
const status = async (wf) => (await db.execute(sql`SELECT status, queue_name FROM dbos.get_status(${wf})`)).rows[0];
const result = async (wf) => (await db.execute(sql`SELECT dbos.get_result(${wf}, 60) AS r`)).rows[0].r;
// Drizzle wraps driver errors (DrizzleQueryError): the pg error, with its SQLSTATE, is the cause.
const sqlstate = (e) => e.code ?? e.cause?.code;

async function main() {
  const run = Date.now().toString(36);
  await db.execute(sql`CREATE TABLE IF NOT EXISTS drizzle_orders (id serial PRIMARY KEY, item text NOT NULL, amount numeric NOT NULL)`);

  // (1) The order row and its workflow commit together; tx.rollback() leaves neither.
  const kept = await db.transaction(async (tx) => {
    const [{ id }] = await tx.insert(orders).values({ item: 'book', amount: '10' }).returning({ id: orders.id });
    return { id, wf: await enqueue(tx, id, 10, { workflowId: `drizzle-order-${run}-${id}` }) };
  });
  let dropped;
  try {
    await db.transaction(async (tx) => {
      const [{ id }] = await tx.insert(orders).values({ item: 'pen', amount: '2' }).returning({ id: orders.id });
      dropped = { id, wf: await enqueue(tx, id, 2, { workflowId: `drizzle-order-${run}-${id}` }) };
      tx.rollback(); // throws TransactionRollbackError
    });
  } catch (e) {
    if (!(e instanceof TransactionRollbackError)) throw e;
  }
  assert.equal((await db.select().from(orders).where(eq(orders.id, dropped.id))).length, 0, 'rolled-back order row');
  assert.equal((await status(dropped.wf)).status, null, 'rolled-back workflow exists');
  assert.equal((await db.select().from(orders).where(eq(orders.id, kept.id))).length, 1, 'committed order row');

  // (2) A batch: dbos.enqueue_many, one JSON array of arguments per workflow. Drizzle expands a
  // JS array parameter into a row, so pass one JSON document and split it in SQL.
  const batch = JSON.stringify([[301, 1], [302, 2], [303, 3]]);
  const { rows: [{ ids }] } = await db.execute(sql`SELECT dbos.enqueue_many('orders_q', NULL, 'processOrder',
                                                     ARRAY(SELECT jsonb_array_elements(${batch}::jsonb))) AS ids`);
  assert.equal(ids.length, 3);

  // (3) get_status, (4) get_result (waits for the worker).
  const st = await status(kept.wf);
  assert.ok(['ENQUEUED', 'PENDING', 'SUCCESS'].includes(st.status), `status ${st.status}`);
  assert.equal(st.queue_name, 'orders_q');
  assert.deepEqual(await result(kept.wf), { orderId: kept.id, total: 12 });
  assert.deepEqual(await result(ids[0]), { orderId: 301, total: 1.2 });

  // (5) Deduplication conflict (SQLSTATE 23505 on the error's cause). A nested transaction is a
  // savepoint: the conflict rolls it back and the outer transaction goes on.
  const dedup = `drizzle-dedup-${run}`;
  let conflict = null;
  const first = await db.transaction(async (tx) => {
    const id = await enqueue(tx, 1, 1, { queue: 'orders_parked', dedup });
    try {
      await tx.transaction((sp) => enqueue(sp, 2, 1, { queue: 'orders_parked', dedup }));
    } catch (e) {
      if (sqlstate(e) !== '23505') throw e;
      conflict = e;
    }
    await tx.insert(orders).values({ item: dedup, amount: '0' });
    return id;
  });
  assert.ok(conflict, 'no deduplication conflict');
  assert.equal((await status(first)).status, 'ENQUEUED');
  assert.equal((await db.select().from(orders).where(eq(orders.item, dedup))).length, 1);
  await pool.end();
  console.log(`drizzle: ok (order ${kept.wf}, batch ${ids.length}, dedup conflict: ${(conflict.cause ?? conflict).detail})`);
}

main().catch(async (e) => {
  console.error('drizzle: FAILED:', e.message, e.cause ? `(cause: ${e.cause.message})` : '');
  await pool.end();
  process.exit(1);
});
