"""/healthz: 200 when the database (and, where one is configured, the broker) answers."""

import pytest
from django.test import override_settings

from cqo_registry.celery_app import app

# Nothing listens on port 1: the connection is refused at once, no mock needed.
UNREACHABLE_BROKER = "redis://127.0.0.1:1/0"


@pytest.fixture
def configure_broker():
    """Run the view as a process started with CELERY_BROKER_URL=url would: Django settings and
    the Celery app's configuration (read once from settings at start) both name the broker."""
    saved = app.conf.broker_url
    overrides = []

    def configure(url: str) -> None:
        override = override_settings(CELERY_BROKER_URL=url)
        override.enable()
        overrides.append(override)
        app.conf.broker_url = url

    yield configure
    for override in reversed(overrides):
        override.disable()
    app.conf.broker_url = saved


@pytest.mark.django_db
def test_healthy_database_without_broker_gives_200(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": True}}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_unreachable_broker_gives_503(client, configure_broker):
    configure_broker(UNREACHABLE_BROKER)

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {"database": True, "broker": False},
    }


@pytest.mark.django_db
@pytest.mark.redis
def test_reachable_redis_broker_gives_200(client, configure_broker, redis_url):
    configure_broker(redis_url)

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json()["checks"] == {"database": True, "broker": True}


@pytest.mark.django_db
def test_healthz_needs_no_login_and_only_answers_get(client):
    assert client.get("/healthz").status_code == 200
    assert client.post("/healthz").status_code == 405
