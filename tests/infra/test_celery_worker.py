"""A real Celery round trip: this process sends a task over Redis, a real ``celery worker``
subprocess runs it and the result comes back through the result backend.

Test settings run tasks eagerly (no broker), so the sending side is a Celery app configured from
the same settings but pointed at the Redis of the ``redis_url`` fixture.
"""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from celery import Celery
from django.conf import settings

from cqo_registry.tasks import check_database

WORKER_START_TIMEOUT = 60  # seconds; a cold worker start imports Django and every app
SHUTDOWN_TIMEOUT = 15


@pytest.fixture
def sender(redis_url):
    """A Celery app configured like the project's (serialisers, time limits: the same
    settings) but with the broker and result backend pointed at the test Redis.

    A separate app rather than the project's one reconfigured: Celery caches its connection
    pool and result backend on first use and has no public way to rebuild them, so switching
    the global app back and forth would leak state into other tests.
    """
    sender = Celery("cqo_registry", set_as_current=False)
    sender.config_from_object("django.conf:settings", namespace="CELERY")
    sender.conf.update(broker_url=redis_url, result_backend=redis_url, task_always_eager=False)
    with sender:  # closes the app (and its broker pool) afterwards
        yield sender


@pytest.fixture
def worker(redis_url, tmp_path):
    """A real worker on a queue of its own, so that no other worker or stale message of an
    earlier run can answer in its place. Always stopped, even when the test fails."""
    name = f"cqo-test-{uuid.uuid4().hex[:8]}"
    queue = name
    log_path = tmp_path / "worker.log"
    env = {
        **os.environ,
        # local settings take the broker from the environment (test settings force eager).
        "DJANGO_SETTINGS_MODULE": "cqo_registry.settings.local",
        "DJANGO_DEBUG": "false",
        "CELERY_BROKER_URL": redis_url,
        "CELERY_RESULT_BACKEND": redis_url,
        # The test database lives in this process's transaction and is invisible to the
        # worker; the task only needs *a* database to answer SELECT 1.
        "DATABASE_URL": f"sqlite:///{tmp_path / 'worker.sqlite3'}",
    }
    command = [
        sys.executable, "-m", "celery", "-A", "cqo_registry", "worker",
        "--pool", "solo", "--concurrency", "1",
        "--hostname", f"{name}@%h", "--queues", queue,
        "--include", "cqo_registry.tasks",
        "--without-gossip", "--without-mingle", "--without-heartbeat",
        "--loglevel", "INFO",
    ]  # fmt: skip
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command, cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        yield {"name": name, "queue": queue, "process": process, "log": log_path}
    finally:
        process.terminate()  # SIGTERM: warm shutdown
        try:
            process.wait(timeout=SHUTDOWN_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=SHUTDOWN_TIMEOUT)


def _wait_for(result, worker) -> dict:
    deadline = time.monotonic() + WORKER_START_TIMEOUT
    while not result.ready():
        if worker["process"].poll() is not None:
            pytest.fail(f"the worker exited early:\n{_tail(worker['log'])}")
        if time.monotonic() > deadline:
            pytest.fail(f"no result within {WORKER_START_TIMEOUT}s:\n{_tail(worker['log'])}")
        time.sleep(0.2)
    return result.get(timeout=5)


def _tail(path: Path, lines: int = 40) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


@pytest.mark.redis
def test_task_round_trip_through_a_real_worker(sender, worker):
    result = sender.send_task(check_database.name, queue=worker["queue"])

    payload = _wait_for(result, worker)

    assert payload["database"] is True
    # Ran in the worker we started, not in-process.
    assert payload["in_process"] is False
    assert payload["worker"].startswith(worker["name"] + "@")
    assert result.status == "SUCCESS"


def test_task_runs_in_process_without_a_broker(db):
    """make run and the test settings have no broker: the same task runs eagerly."""
    assert settings.CELERY_TASK_ALWAYS_EAGER is True

    payload = check_database.delay().get(timeout=5)

    assert payload["database"] is True
    assert payload["in_process"] is True
