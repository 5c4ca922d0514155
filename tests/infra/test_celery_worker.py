"""A real Celery round trip: this process sends a task over Redis, a real ``celery worker``
subprocess runs it and the result comes back through the result backend.

Test settings run tasks eagerly (no broker), so the sending side is a Celery app configured from
the same settings but pointed at the Redis of the ``redis_url`` fixture.
"""

import pytest
from django.conf import settings

from cqo_registry.tasks import check_database
from tests.infra.celery_workers import celery_worker, wait_until

WORKER_START_TIMEOUT = 60  # seconds; a cold worker start imports Django and every app


@pytest.fixture
def worker(redis_url, tmp_path):
    """A real worker on a queue of its own. The test database lives in this process's
    transaction and is invisible to the worker; the task only needs *a* database to answer
    SELECT 1."""
    with celery_worker(
        redis_url=redis_url,
        log_path=tmp_path / "worker.log",
        environment={"DATABASE_URL": f"sqlite:///{tmp_path / 'worker.sqlite3'}"},
    ) as started:
        yield started


def _wait_for(result, worker) -> dict:
    wait_until(result.ready, worker, timeout=WORKER_START_TIMEOUT, what="no result")
    return result.get(timeout=5)


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
