'use strict';
// node-postgres: enqueue DBOS workflows in the transaction that writes your rows.
//   DATABASE_URL=postgresql://... node pg.js      (the database holding the DBOS system tables)
const assert = require('node:assert/strict');
const { Pool } = require('pg');

async function main() {
  const pool = new Pool({ connectionString: process.env.DATABASE_URL });
  const run = Date.now().toString(36); // keeps IDs unique when the recipe runs again
  await pool.query('CREATE TABLE IF NOT EXISTS pg_orders (id serial PRIMARY KEY, item text NOT NULL, amount numeric NOT NULL)');

  // (1) The order row and its workflow commit together, or not at all.
  async function placeOrder(item, amount, commit) {
    const c = await pool.connect();
    try {
      await c.query('BEGIN');
      const { rows: [o] } = await c.query('INSERT INTO pg_orders (item, amount) VALUES ($1, $2) RETURNING id', [item, amount]);
      const wf = `pg-order-${run}-${o.id}`;
      await c.query("SELECT dbos.enqueue('orders_q', NULL, 'processOrder', jsonb_build_array($1::int, $2::numeric), workflow_id => $3)",
        [o.id, amount, wf]);
      await c.query(commit ? 'COMMIT' : 'ROLLBACK');
      return { id: o.id, wf };
    } catch (e) {
      await c.query('ROLLBACK');
      throw e;
    } finally {
      c.release();
    }
  }
  const kept = await placeOrder('book', 10, true);
  const dropped = await placeOrder('pen', 2, false);
  const count = async (id) => (await pool.query('SELECT count(*)::int AS n FROM pg_orders WHERE id = $1', [id])).rows[0].n;
  const status = async (wf) => (await pool.query('SELECT status, queue_name, workflow_name FROM dbos.get_status($1)', [wf])).rows[0];
  assert.equal(await count(dropped.id), 0, 'rolled-back order row');
  assert.equal((await status(dropped.wf)).status, null, 'rolled-back workflow exists');
  assert.equal(await count(kept.id), 1, 'committed order row');

  // (2) A batch: one workflow per element of args, IDs returned in input order.
  const { rows: [{ ids }] } = await pool.query(
    "SELECT dbos.enqueue_many('orders_q', NULL, 'processOrder', $1::jsonb[]) AS ids",
    [[JSON.stringify([101, 1]), JSON.stringify([102, 2]), JSON.stringify([103, 3])]]);
  assert.equal(ids.length, 3);

  // (3) get_status: a row of dbos.workflow_info.
  const st = await status(kept.wf);
  assert.ok(['ENQUEUED', 'PENDING', 'SUCCESS'].includes(st.status), `status ${st.status}`);
  assert.equal(st.queue_name, 'orders_q');
  assert.equal(st.workflow_name, 'processOrder');

  // (4) get_result waits (here up to 60 s) for the worker's result, decoded to jsonb.
  const result = async (wf) => (await pool.query('SELECT dbos.get_result($1, 60) AS r', [wf])).rows[0].r;
  assert.deepEqual(await result(kept.wf), { orderId: kept.id, total: 12 });
  assert.deepEqual(await result(ids[2]), { orderId: 103, total: 3.6 });

  // (5) Deduplication: a second enqueue with the same deduplication_id on the same queue, while
  // the first has not finished, fails with SQLSTATE 23505 (unique_violation). A savepoint keeps
  // the transaction going.
  const dedup = `pg-dedup-${run}`;
  const enqueueDedup = (c, n) => c.query(
    "SELECT dbos.enqueue('orders_parked', NULL, 'processOrder', jsonb_build_array($1::int, 1), deduplication_id => $2) AS id", [n, dedup]);
  const c = await pool.connect();
  let conflict = null;
  try {
    await c.query('BEGIN');
    const first = (await enqueueDedup(c, 1)).rows[0].id;
    await c.query('SAVEPOINT dedup');
    try {
      await enqueueDedup(c, 2);
    } catch (e) {
      if (e.code !== '23505') throw e;
      conflict = e;
      await c.query('ROLLBACK TO SAVEPOINT dedup');
    }
    await c.query('INSERT INTO pg_orders (item, amount) VALUES ($1, 0)', [dedup]); // the transaction goes on
    await c.query('COMMIT');
    assert.ok(conflict, 'no deduplication conflict');
    assert.match(conflict.detail, new RegExp(dedup));
    assert.equal((await status(first)).status, 'ENQUEUED');
    assert.equal((await pool.query('SELECT count(*)::int AS n FROM pg_orders WHERE item = $1', [dedup])).rows[0].n, 1);
  } finally {
    c.release();
  }
  await pool.end();
  console.log(`pg: ok (order ${kept.wf}, batch ${ids.length}, dedup conflict: ${conflict.detail})`);
}

main().catch((e) => {
  console.error('pg: FAILED:', e.message);
  process.exit(1);
});
