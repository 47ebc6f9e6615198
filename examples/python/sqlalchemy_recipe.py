"""SQLAlchemy (1.4 or 2.0, psycopg2): enqueue DBOS workflows in the transaction that writes your rows.

    DATABASE_URL=postgresql://... /usr/bin/python3 sqlalchemy_recipe.py
    (the database holding the DBOS system tables; Debian: apt-get install python3-sqlalchemy python3-psycopg2)
"""
import json
import os
import sys
import time

from sqlalchemy import Column, Integer, Numeric, Text, create_engine, select, func, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, declarative_base

Base = declarative_base()


class Order(Base):
    __tablename__ = "sqlalchemy_orders"
    id = Column(Integer, primary_key=True)
    item = Column(Text, nullable=False)
    amount = Column(Numeric, nullable=False)


ENQUEUE = text("""SELECT dbos.enqueue(:queue, NULL, 'processOrder', jsonb_build_array(CAST(:order_id AS int), CAST(:amount AS numeric)),
                                      workflow_id => :workflow_id, deduplication_id => :dedup)""")


def enqueue(session, order_id, amount, queue="orders_q", workflow_id=None, dedup=None):
    return session.execute(ENQUEUE, dict(queue=queue, order_id=order_id, amount=amount,
                                         workflow_id=workflow_id, dedup=dedup)).scalar_one()


def status(session, wf):
    return session.execute(text("SELECT status, queue_name FROM dbos.get_status(:wf)"), {"wf": wf}).one()


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def main():
    engine = create_engine(os.environ["DATABASE_URL"], future=True)
    Base.metadata.create_all(engine)
    run = format(int(time.time() * 1000), "x")

    # (1) The order row and its workflow commit together; a rollback leaves neither.
    with Session(engine) as s, s.begin():
        kept = Order(item="book", amount=10)
        s.add(kept)
        s.flush()  # assigns kept.id
        kept_id = kept.id
        kept_wf = enqueue(s, kept_id, 10, workflow_id=f"sqlalchemy-order-{run}-{kept_id}")
    with Session(engine) as s:  # the session begins a transaction at its first statement
        dropped = Order(item="pen", amount=2)
        s.add(dropped)
        s.flush()
        dropped_id = dropped.id
        dropped_wf = enqueue(s, dropped_id, 2, workflow_id=f"sqlalchemy-order-{run}-{dropped_id}")
        s.rollback()
    with Session(engine) as s:
        check(s.get(Order, dropped_id) is None, "rolled-back order row exists")
        check(status(s, dropped_wf).status is None, "rolled-back workflow exists")
        check(s.get(Order, kept_id) is not None, "committed order row missing")

        # (2) A batch: dbos.enqueue_many, one JSON array of arguments per workflow.
        batch = [json.dumps(a) for a in ([501, 1], [502, 2], [503, 3])]
        ids = s.execute(text("SELECT dbos.enqueue_many('orders_q', NULL, 'processOrder', CAST(:args AS jsonb[]))"),
                        {"args": batch}).scalar_one()
        s.commit()
        check(len(ids) == 3, f"enqueue_many returned {ids}")

        # (3) get_status, (4) get_result (waits for the worker; jsonb arrives as a dict).
        st = status(s, kept_wf)
        check(st.status in ("ENQUEUED", "PENDING", "SUCCESS") and st.queue_name == "orders_q", f"status {st}")
        s.commit()  # get_result waits for other transactions' commits: call it outside a long snapshot
        r = s.execute(text("SELECT dbos.get_result(:wf, 60)"), {"wf": kept_wf}).scalar_one()
        check(r == {"orderId": kept_id, "total": 12}, f"result {r}")
        r = s.execute(text("SELECT dbos.get_result(:wf, 60)"), {"wf": ids[1]}).scalar_one()
        check(r == {"orderId": 502, "total": 2.4}, f"result {r}")
        s.commit()

    # (5) Deduplication conflict: SQLAlchemy raises IntegrityError (psycopg2 pgcode 23505).
    # begin_nested() is a savepoint: the conflict rolls it back and the transaction goes on.
    dedup = f"sqlalchemy-dedup-{run}"
    conflict = None
    with Session(engine) as s, s.begin():
        first = enqueue(s, 1, 1, queue="orders_parked", dedup=dedup)
        try:
            with s.begin_nested():
                enqueue(s, 2, 1, queue="orders_parked", dedup=dedup)
        except IntegrityError as e:
            if e.orig.pgcode != "23505":
                raise
            conflict = e
        s.add(Order(item=dedup, amount=0))
    with Session(engine) as s:
        check(conflict is not None, "no deduplication conflict")
        check(status(s, first).status == "ENQUEUED", "first deduplicated workflow")
        n = s.execute(select(func.count()).select_from(Order).where(Order.item == dedup)).scalar_one()
        check(n == 1, f"{n} rows after the savepoint")
    print(f"sqlalchemy: ok (order {kept_wf}, batch {len(ids)}, dedup conflict: {conflict.orig.diag.message_detail})")


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # a failed check or any error: exit non-zero
        print(f"sqlalchemy: FAILED: {type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(1)
