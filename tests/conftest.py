"""Suite-wide fixtures and the rules for tests that need a real service.

* ``@pytest.mark.postgres``: the test needs the PostgreSQL backend (row locks, two real
  connections). On another backend it is deselected with a note — CI's second pass runs the
  whole suite on PostgreSQL, where it always runs.
* ``redis_url`` fixture: a reachable Redis. When it is missing the test is skipped on a
  developer machine but **fails** under ``CI=true``: CI must never pass by skipping.
"""

import os

import pytest
from django.conf import settings

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def on_postgres() -> bool:
    return settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


def pytest_collection_modifyitems(config, items):
    if on_postgres():
        return
    deselected = [item for item in items if item.get_closest_marker("postgres")]
    if deselected:
        items[:] = [item for item in items if not item.get_closest_marker("postgres")]
        config.hook.pytest_deselected(items=deselected)
        config._cqo_pg_deselected = len(deselected)


def pytest_terminal_summary(terminalreporter, config):
    count = getattr(config, "_cqo_pg_deselected", 0)
    if count:
        terminalreporter.write_line(
            f"{count} PostgreSQL-only tests deselected on this backend; "
            "they run in the PostgreSQL pass (DATABASE_URL=postgres://...)."
        )


def service_missing(what: str) -> None:
    """Fail under CI, skip elsewhere, with the same message."""
    message = f"{what} is not reachable"
    if IN_CI:
        pytest.fail(f"{message} (CI=true: a missing service is a failure)")
    pytest.skip(message)


@pytest.fixture(scope="session")
def redis_url() -> str:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError:
        service_missing(f"Redis at {REDIS_URL}")
    return REDIS_URL
