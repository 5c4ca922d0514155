"""Suite-wide fixtures and the rules for tests that need a real service.

* ``@pytest.mark.postgres``: the test needs the PostgreSQL backend (row locks, two real
  connections). On another backend it is deselected with a note — CI's second pass runs the
  whole suite on PostgreSQL, where it always runs.
* ``@pytest.mark.walk``: a walk of every page of every role (the browser's CSP walk, hostile
  parameters, developer text) — minutes each, and what it checks does not depend on the
  database. It runs once, in the PostgreSQL pass, and is deselected on SQLite the same way, so
  that CI's two passes stay within their time (``DATABASE_URL=postgres://… make test`` runs it
  on a developer machine).
* ``redis_url`` fixture: a reachable Redis. When it is missing the test is skipped on a
  developer machine but **fails** under ``CI=true``: CI must never pass by skipping.

The shared cast (like healthchecks' alice/bob/charlie), built with ``tests/factories.py``:

* ``home_town`` with ``home_enterprise`` and ``second_home_enterprise``; ``other_town`` with
  ``outsider_enterprise``; each enterprise has a filed current appointment
  (``home_appointment``, ``second_home_appointment``, ``outsider_appointment``) with its
  approved filing and a passed training attendance of its CQO (``county`` builds them all);
* one user per role: ``bureau_admin``, ``reviewer``, ``leader``, ``town_officer``
  (home_town), ``enterprise_user`` (home_enterprise); the outsiders
  ``outsider_town_officer`` (other_town) and ``outsider_enterprise_user``
  (outsider_enterprise); ``no_role_user``;
* ``users``: that cast by name, for tests that go through every role;
* ``client_for(user)``: a test client logged in as ``user``.
"""

import os
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.test import Client

from tests.factories import (
    AppointmentFactory,
    EnterpriseFactory,
    FilingFactory,
    TownFactory,
    TrainingAttendanceFactory,
    UserFactory,
)

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def on_postgres() -> bool:
    return settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


def _postgres_pass_only(item) -> bool:
    return bool(item.get_closest_marker("postgres") or item.get_closest_marker("walk"))


def pytest_collection_modifyitems(config, items):
    if on_postgres():
        return
    deselected = [item for item in items if _postgres_pass_only(item)]
    if deselected:
        items[:] = [item for item in items if not _postgres_pass_only(item)]
        config.hook.pytest_deselected(items=deselected)
        config._cqo_pg_deselected = len(deselected)


def pytest_terminal_summary(terminalreporter, config):
    count = getattr(config, "_cqo_pg_deselected", 0)
    if count:
        terminalreporter.write_line(
            f"{count} PostgreSQL-only tests and page walks deselected on this backend; "
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


@pytest.fixture(autouse=True)
def fresh_cache():
    """Each test starts with an empty cache: the throttles count in it (issue 13), and a
    count left by one test must not throttle the next. The test settings' cache is each
    process's memory, never a shared Redis."""
    from cqo_registry.bureau import profile
    from tests.caching import clear_caches

    clear_caches()
    # Every test starts with no bureau profile saved: known without a query, so that the
    # page header's bureau name adds none to the query counts tests assert.
    profile.assume_unsaved()
    yield


@pytest.fixture(autouse=True)
def default_language():
    """Each test starts in the site's default language (zh-hans): a request in English
    leaves English active in the test's thread, and a service called directly by the next
    test would then word its messages in English."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


# --- The shared cast ------------------------------------------------------------------------


@pytest.fixture
def home_town(db):
    return TownFactory(name="城关镇", code="340121100000")


@pytest.fixture
def other_town(db):
    return TownFactory(name="双墩镇", code="340121101000")


@pytest.fixture
def home_enterprise(home_town):
    return EnterpriseFactory(town=home_town, name="城关精密机械有限公司")


@pytest.fixture
def second_home_enterprise(home_town):
    return EnterpriseFactory(town=home_town, name="城关食品有限公司", high_risk=True)


@pytest.fixture
def outsider_enterprise(other_town):
    return EnterpriseFactory(town=other_town, name="双墩电子有限公司")


def _filed_appointment(enterprise):
    appointment = AppointmentFactory(enterprise=enterprise)
    FilingFactory(appointment=appointment)
    TrainingAttendanceFactory(person=appointment.person)
    return appointment


@pytest.fixture
def home_appointment(home_enterprise):
    return _filed_appointment(home_enterprise)


@pytest.fixture
def second_home_appointment(second_home_enterprise):
    return _filed_appointment(second_home_enterprise)


@pytest.fixture
def outsider_appointment(outsider_enterprise):
    return _filed_appointment(outsider_enterprise)


@pytest.fixture
def county(home_appointment, second_home_appointment, outsider_appointment):
    """The whole cast of records: three enterprises in two towns, each with a filed CQO, an
    approved filing and a passed training attendance."""
    return SimpleNamespace(
        home_appointment=home_appointment,
        second_home_appointment=second_home_appointment,
        outsider_appointment=outsider_appointment,
        home_enterprise=home_appointment.enterprise,
        second_home_enterprise=second_home_appointment.enterprise,
        outsider_enterprise=outsider_appointment.enterprise,
    )


@pytest.fixture
def bureau_admin(db):
    return UserFactory(username="bureau_admin", bureau_admin=True)


@pytest.fixture
def reviewer(db):
    return UserFactory(username="reviewer", reviewer=True)


@pytest.fixture
def leader(db):
    return UserFactory(username="leader", leader=True)


@pytest.fixture
def town_officer(home_town):
    return UserFactory(username="town_officer", town_officer=True, town=home_town)


@pytest.fixture
def outsider_town_officer(other_town):
    return UserFactory(username="outsider_town_officer", town_officer=True, town=other_town)


@pytest.fixture
def enterprise_user(home_enterprise):
    return UserFactory(username="enterprise_user", enterprise_user=True, enterprise=home_enterprise)


@pytest.fixture
def outsider_enterprise_user(outsider_enterprise):
    return UserFactory(
        username="outsider_enterprise_user", enterprise_user=True, enterprise=outsider_enterprise
    )


@pytest.fixture
def no_role_user(db):
    return UserFactory(username="no_role_user")


CAST_ROLES = [
    "bureau_admin",
    "reviewer",
    "leader",
    "town_officer",
    "enterprise_user",
    "outsider_town_officer",
    "outsider_enterprise_user",
    "no_role_user",
]


@pytest.fixture
def users(request):
    """The whole cast of users by fixture name (``CAST_ROLES``), for tests that go through
    every role and the outsiders."""
    return {name: request.getfixturevalue(name) for name in CAST_ROLES}


@pytest.fixture
def client_for(db):
    """``client_for(user)`` returns a new test client logged in as ``user`` (``None``: an
    anonymous client)."""

    def make(user) -> Client:
        client = Client()
        if user is not None:
            client.force_login(user)
        return client

    return make


def ensure_notice_targets() -> None:
    """Re-create the notice's targets T1–T3 where a transactional test's flush removed the
    rows the data migration made (Django flushes, it does not re-run migrations)."""
    import importlib

    from django.apps import apps

    seed = importlib.import_module("reports.migrations.0002_seed_notice_targets").seed
    seed(apps, None)


def ensure_evaluation_items() -> None:
    """Re-create the evaluation items the data migration made, where a transactional test's
    flush removed them (as ``ensure_notice_targets`` does for the targets)."""
    import importlib

    from django.apps import apps

    seed = importlib.import_module("training.migrations.0003_seed_evaluation_items").seed
    seed(apps, None)
