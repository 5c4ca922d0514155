"""Operational tasks of the project itself (not of one app).

``check_database`` is the smallest task that proves the whole chain works — web or shell puts a
message on the broker, a worker picks it up, reaches the database and puts a result back. The
CI round-trip test runs it through a real worker; operators can run it by hand:

    python manage.py shell -c "from cqo_registry.tasks import check_database as t; \
print(t.delay().get(timeout=10))"
"""

import socket

from celery import shared_task
from django.db import connection
from django.utils import timezone


@shared_task(bind=True, ignore_result=False)
def check_database(self) -> dict:
    """Run ``SELECT 1`` on the worker's database and say which worker did it, and when.

    Returns only JSON types: the result travels through the result backend as JSON.
    """
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            database_ok = cursor.fetchone() == (1,)
    except Exception:  # noqa: BLE001 — an unreachable database is the answer, not an error
        database_ok = False
    return {
        "database": database_ok,
        "vendor": connection.vendor,
        # In-process (eager) runs happen where no broker is configured: make run, tests.
        "in_process": bool(self.request.is_eager),
        "worker": None if self.request.is_eager else self.request.hostname,
        "host": socket.gethostname(),
        "checked_at": timezone.now().isoformat(),
    }
