"""What ``/healthz`` reports: each component of the running system and its state.

* ``database`` — ``SELECT 1`` on a fresh connection: ``ok`` or ``down``.
* ``broker`` — a connection to the Celery broker (Redis answers PING): ``ok`` or ``down``;
  ``in_process`` where no broker is configured (``make run``, tests: tasks run in-process).
* ``beat`` — the age of beat's last run, i.e. the latest time beat sent a scheduled task
  (django-celery-beat writes it to the database as it sends, ``CELERY_BEAT_SYNC_EVERY = 1``;
  the email sweep runs every five minutes, so a running beat is never much older):
  ``ok``, or ``degraded`` when it is older than ``CQO_BEAT_SILENT_SECONDS`` or beat never
  ran; ``not_used`` without a broker.

* ``replica`` — where a read replica is configured, ``SELECT 1`` on it: ``ok``, or
  ``degraded`` when it does not answer (the dashboards fail, every other page works).

The site is ``down`` (HTTP 503) when the database or the broker is; ``degraded`` (still 200:
pages and filings work, only scheduled work waits) when beat is silent; ``ok`` otherwise.

The checks run side by side in threads and the answer comes within ``TIMEOUT`` seconds
whatever they do: a component that has not answered by then is reported ``down`` with the
reason ``timeout`` (a half-open connection can otherwise block for minutes). Reasons stay
generic on this public page; the exception is logged.
"""

import logging
import threading
import time
from datetime import datetime

from django.conf import settings
from django.db import connections
from django.db.models import Max
from django.utils import timezone

from .replica import replica_alias

logger = logging.getLogger(__name__)

#: seconds the whole check may take; /healthz answers within a second.
TIMEOUT = 0.8
#: timeouts handed to the clients themselves, so that a thread left behind ends on its own.
CLIENT_TIMEOUT = 3

OK, DOWN, DEGRADED = "ok", "down", "degraded"


def system_health() -> tuple[int, dict]:
    """Check every component; return the HTTP status (200 or 503) and the JSON body:
    ``{"status": "ok"|"degraded"|"down", "components": {name: {"status": ..., ...}}}``."""
    database_alias = "default"
    checks = {"database": lambda: _database(database_alias)}
    broker_url = settings.CELERY_BROKER_URL
    if broker_url:
        checks["broker"] = lambda: _broker(broker_url)
    replica = replica_alias()
    if replica:
        checks["replica"] = lambda: _database(replica)
    results = _run_with_deadline(checks, TIMEOUT)

    database = results["database"]
    components = {"database": {key: v for key, v in database.items() if key != "beat_last_run"}}
    if broker_url:
        components["broker"] = results["broker"]
        components["beat"] = _beat(database)
    else:
        components["broker"] = {"status": "in_process"}
        components["beat"] = {"status": "not_used"}

    if replica:
        # The dashboards fall back on nothing while the replica is down, but every other page
        # works: degraded, not down.
        result = {k: v for k, v in results["replica"].items() if k != "beat_last_run"}
        components["replica"] = result
        if result["status"] == DOWN:
            result["status"], result["reason"] = DEGRADED, result.get("reason", "error")
    if any(c["status"] == DOWN for c in components.values()):
        return 503, {"status": DOWN, "components": components}
    if any(c["status"] == DEGRADED for c in components.values()):
        return 200, {"status": DEGRADED, "components": components}
    return 200, {"status": OK, "components": components}


def _run_with_deadline(checks: dict, timeout: float) -> dict:
    """Run each check in a daemon thread; a check still running at the deadline counts as
    ``down`` (reason ``timeout``) and its thread is left to finish on its own."""
    results: dict[str, dict] = {}
    threads = []
    for name, check in checks.items():

        def run(name=name, check=check):
            started = time.monotonic()
            try:
                outcome = check()
            except Exception:  # noqa: BLE001 — a failing component is the answer
                logger.warning("healthz: %s check failed", name, exc_info=True)
                outcome = {"status": DOWN, "reason": "error"}
            outcome["ms"] = round((time.monotonic() - started) * 1000)
            results[name] = outcome

        thread = threading.Thread(target=run, name=f"healthz-{name}", daemon=True)
        thread.start()
        threads.append(thread)
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    answered = dict(results)  # a late thread may still write; read once
    for name in checks:
        if name not in answered:
            logger.warning("healthz: %s did not answer within %.1fs", name, timeout)
            answered[name] = {"status": DOWN, "reason": "timeout"}
    return answered


def _database(alias: str) -> dict:
    """``SELECT 1`` on this thread's own connection (opened for the check and closed after),
    then the latest run beat recorded, read on the same connection."""
    connection = connections[alias]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            if cursor.fetchone() != (1,):
                return {"status": DOWN, "reason": "error"}
        return {"status": OK, "beat_last_run": _beat_last_run(alias)}
    finally:
        connection.close()


def _beat_last_run(alias: str) -> datetime | None:
    from django_celery_beat.models import PeriodicTask

    try:
        return PeriodicTask.objects.using(alias).aggregate(last=Max("last_run_at"))["last"]
    except Exception:  # noqa: BLE001 — beat's tables missing: beat never ran
        logger.warning("healthz: cannot read beat's schedule", exc_info=True)
        return None


def _broker(url: str) -> dict:
    from kombu import Connection

    transport_options = {"socket_connect_timeout": CLIENT_TIMEOUT, "socket_timeout": CLIENT_TIMEOUT}
    with Connection(
        url, connect_timeout=CLIENT_TIMEOUT, transport_options=transport_options
    ) as connection:
        connection.ensure_connection(max_retries=1, timeout=CLIENT_TIMEOUT)
    return {"status": OK}


def _beat(database: dict) -> dict:
    if database["status"] != OK:
        return {"status": "unknown"}
    last_run = database.get("beat_last_run")
    if last_run is None:
        return {"status": DEGRADED, "reason": "never_ran", "last_run": None, "age_seconds": None}
    age = max(0, round((timezone.now() - last_run).total_seconds()))
    silent = age > settings.CQO_BEAT_SILENT_SECONDS
    return {
        "status": DEGRADED if silent else OK,
        "last_run": last_run.isoformat(),
        "age_seconds": age,
        **({"reason": "silent"} if silent else {}),
    }
