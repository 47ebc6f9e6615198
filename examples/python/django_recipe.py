"""Django (standalone, psycopg2): enqueue DBOS workflows in the transaction that writes your rows.

    DATABASE_URL=postgresql://user@host:port/db /usr/bin/python3 django_recipe.py
    (the database holding the DBOS system tables; Debian: apt-get install python3-django python3-psycopg2)
In a Django project, keep the model and the functions; settings come from your project.
"""
import json
import os
import sys
import time
from urllib.parse import urlparse

import django
from django.conf import settings

url = urlparse(os.environ["DATABASE_URL"])
settings.configure(
    DATABASES={"default": {"ENGINE": "django.db.backends.postgresql", "NAME": url.path.lstrip("/"),
                           "USER": url.username or "", "PASSWORD": url.password or "",
                           "HOST": url.hostname or "", "PORT": str(url.port or "")}},
    INSTALLED_APPS=[], DEFAULT_AUTO_FIELD="django.db.models.AutoField", USE_TZ=True)
django.setup()

from django.db import IntegrityError, connection, models, transaction  # noqa: E402 (after setup)


class Order(models.Model):
    item = models.TextField()
    amount = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        app_label = "shop"
        db_table = "django_orders"


def enqueue(order_id, amount, queue="orders_q", workflow_id=None, dedup=None):
    with connection.cursor() as c:
        c.execute("""SELECT dbos.enqueue(%s, NULL, 'processOrder', jsonb_build_array(%s::int, %s::numeric),
                                         workflow_id => %s, deduplication_id => %s)""",
                  [queue, order_id, amount, workflow_id, dedup])
        return c.fetchone()[0]


def sql_one(query, params):
    with connection.cursor() as c:
        c.execute(query, params)
        return c.fetchone()


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def main():
    run = format(int(time.time() * 1000), "x")
    if Order._meta.db_table not in connection.introspection.table_names():
        with connection.schema_editor() as editor:  # or makemigrations/migrate in a project
            editor.create_model(Order)

    # (1) The order row and its workflow commit together; a rollback leaves neither.
    with transaction.atomic():
        kept = Order.objects.create(item="book", amount=10)
        kept_wf = enqueue(kept.id, 10, workflow_id=f"django-order-{run}-{kept.id}")
    with transaction.atomic():
        dropped = Order.objects.create(item="pen", amount=2)
        dropped_wf = enqueue(dropped.id, 2, workflow_id=f"django-order-{run}-{dropped.id}")
        transaction.set_rollback(True)
    check(not Order.objects.filter(id=dropped.id).exists(), "rolled-back order row exists")
    check(sql_one("SELECT status FROM dbos.get_status(%s)", [dropped_wf])[0] is None, "rolled-back workflow exists")
    check(Order.objects.filter(id=kept.id).exists(), "committed order row missing")

    # (2) A batch: dbos.enqueue_many, one JSON array of arguments per workflow.
    batch = [json.dumps(a) for a in ([601, 1], [602, 2], [603, 3])]
    ids = sql_one("SELECT dbos.enqueue_many('orders_q', NULL, 'processOrder', %s::jsonb[])", [batch])[0]
    check(len(ids) == 3, f"enqueue_many returned {ids}")

    # (3) get_status, (4) get_result (waits for the worker). Django's psycopg2 backend returns
    # jsonb as text: decode it.
    st, queue = sql_one("SELECT status, queue_name FROM dbos.get_status(%s)", [kept_wf])
    check(st in ("ENQUEUED", "PENDING", "SUCCESS") and queue == "orders_q", f"status {st} {queue}")
    r = json.loads(sql_one("SELECT dbos.get_result(%s, 60)", [kept_wf])[0])
    check(r == {"orderId": kept.id, "total": 12}, f"result {r}")
    r = json.loads(sql_one("SELECT dbos.get_result(%s, 60)", [ids[0]])[0])
    check(r == {"orderId": 601, "total": 1.2}, f"result {r}")

    # (5) Deduplication conflict: Django raises django.db.IntegrityError (psycopg2 pgcode 23505
    # on __cause__). A nested atomic() is a savepoint: the outer transaction goes on.
    dedup = f"django-dedup-{run}"
    conflict = None
    with transaction.atomic():
        first = enqueue(1, 1, queue="orders_parked", dedup=dedup)
        try:
            with transaction.atomic():
                enqueue(2, 1, queue="orders_parked", dedup=dedup)
        except IntegrityError as e:
            if e.__cause__.pgcode != "23505":
                raise
            conflict = e
        Order.objects.create(item=dedup, amount=0)
    check(conflict is not None, "no deduplication conflict")
    check(sql_one("SELECT status FROM dbos.get_status(%s)", [first])[0] == "ENQUEUED", "first deduplicated workflow")
    check(Order.objects.filter(item=dedup).count() == 1, "row after the savepoint")
    print(f"django: ok (order {kept_wf}, batch {len(ids)}, dedup conflict: {conflict.__cause__.diag.message_detail})")


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # a failed check or any error: exit non-zero
        print(f"django: FAILED: {type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(1)
