"""/healthz: 503 when the database or the broker fails, 200 otherwise, within a second; the
body names each component and the age of beat's last run (degraded when beat is silent).

Every failing component here is real: a port where nothing listens (refused at once), a socket
that accepts connections and never answers (a hung server), a database file that cannot be
opened. Transactional tests: the checks open their own connections, which see only committed
rows.
"""

import socket
import time
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from tests.conftest import on_postgres
from tests.ports import free_port

pytestmark = pytest.mark.django_db(transaction=True)

# Nothing listens on port 1: the connection is refused at once, no mock needed.
UNREACHABLE_BROKER = "redis://127.0.0.1:1/0"


@pytest.fixture
def hung_server():
    """A TCP port that accepts connections (the kernel's backlog does) and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    yield listener.getsockname()[1]
    listener.close()


@pytest.fixture
def broker(settings):
    """Run the view as a process started with CELERY_BROKER_URL=url would."""

    def configure(url: str) -> None:
        settings.CELERY_BROKER_URL = url

    return configure


@pytest.fixture
def database_at(monkeypatch):
    """Point new connections of the ``default`` alias (the check opens its own, in a thread)
    somewhere else; the test's own connection is left alone."""

    def point(**changes) -> None:
        monkeypatch.setitem(
            connections.settings, "default", {**connections.settings["default"], **changes}
        )

    return point


def beat_ran(ago: timedelta | None) -> None:
    every, _ = IntervalSchedule.objects.get_or_create(every=5, period="minutes")
    PeriodicTask.objects.update(last_run_at=None)
    PeriodicTask.objects.update_or_create(
        name="test: beat ran",
        defaults={
            "task": "cqo_registry.tasks.check_database",
            "interval": every,
            "last_run_at": None if ago is None else timezone.now() - ago,
        },
    )


def get(client):
    started = time.monotonic()
    response = client.get("/healthz")
    return response, time.monotonic() - started


def test_without_a_broker_tasks_run_in_process_and_the_site_is_ok(client):
    response, took = get(client)

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["components"]["database"]["status"] == "ok"
    assert body["components"]["broker"] == {"status": "in_process"}
    assert body["components"]["beat"] == {"status": "not_used"}
    assert "no-cache" in response["Cache-Control"]
    assert took < 1.0


@pytest.mark.redis
def test_broker_and_beat_answering_gives_200_ok(client, broker, redis_url):
    broker(redis_url)
    beat_ran(timedelta(seconds=30))

    response, took = get(client)

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert {name: c["status"] for name, c in body["components"].items()} == {
        "database": "ok",
        "broker": "ok",
        "beat": "ok",
    }
    assert 30 <= body["components"]["beat"]["age_seconds"] < 90
    assert took < 1.0


@pytest.mark.redis
def test_silent_beat_is_degraded_but_still_200(client, broker, redis_url, settings):
    broker(redis_url)
    settings.CQO_BEAT_SILENT_SECONDS = 900
    beat_ran(timedelta(hours=2))

    response, _took = get(client)

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    beat = body["components"]["beat"]
    assert beat["status"] == "degraded" and beat["reason"] == "silent"
    assert 7200 <= beat["age_seconds"] < 7300
    assert body["components"]["broker"]["status"] == "ok"


@pytest.mark.redis
def test_beat_that_never_ran_is_degraded(client, broker, redis_url):
    broker(redis_url)
    beat_ran(None)

    response, _took = get(client)

    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["components"]["beat"] == {
        "status": "degraded",
        "reason": "never_ran",
        "last_run": None,
        "age_seconds": None,
    }


def test_unreachable_broker_gives_503(client, broker):
    broker(UNREACHABLE_BROKER)

    response, took = get(client)

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "down"
    assert body["components"]["broker"]["status"] == "down"
    assert body["components"]["database"]["status"] == "ok"
    assert took < 1.0


def test_hung_broker_gives_503_within_a_second(client, broker, hung_server):
    broker(f"redis://127.0.0.1:{hung_server}/0")

    response, took = get(client)

    assert response.status_code == 503
    assert response.json()["components"]["broker"] == {"status": "down", "reason": "timeout"}
    assert took < 1.0


def test_database_that_cannot_be_reached_gives_503(client, database_at, tmp_path):
    if on_postgres():
        database_at(HOST="127.0.0.1", PORT=str(free_port()))  # refused
    else:
        database_at(NAME=str(tmp_path / "missing-folder" / "db.sqlite3"))  # cannot be opened

    response, took = get(client)

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "down"
    assert body["components"]["database"]["status"] == "down"
    assert took < 1.0


@pytest.mark.postgres
def test_hung_database_gives_503_within_a_second(client, database_at, hung_server):
    database_at(HOST="127.0.0.1", PORT=str(hung_server), OPTIONS={"connect_timeout": 3})

    response, took = get(client)

    assert response.status_code == 503
    assert response.json()["components"]["database"] == {"status": "down", "reason": "timeout"}
    assert took < 1.0


def test_healthz_needs_no_login_and_only_answers_get(client):
    assert client.get("/healthz").status_code == 200
    assert client.post("/healthz").status_code == 405
