"""Locking an enterprise locks that enterprise only, not its town (PostgreSQL only: real row
locks, two real connections).

A transaction that files for one enterprise holds its lock until it commits. Other work in the
same town — a filing of another enterprise, an approval, a new enterprise — must not queue
behind it. Each second connection sets ``lock_timeout``: if it had to wait for a lock held by
the first, PostgreSQL cancels it with ``LockNotAvailable`` instead of letting the test hang.
"""

import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from appointments.models import Filing, FilingStatus
from appointments.services import filing_approve, filing_create_appointment, filing_submit
from enterprises.models import Enterprise
from tests.factories import EnterpriseFactory, PersonFactory, TownFactory, UserFactory, pdf_letter

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

HOLD_TIMEOUT = 30  # seconds the first transaction waits for the second at most
LOCK_TIMEOUT = "3s"  # how long the second may wait for a lock before it counts as blocked


def start_filing(enterprise, actor) -> Filing:
    filing = filing_create_appointment(
        enterprise=enterprise,
        person=PersonFactory(),
        position="副总经理",
        appointed_on=timezone.localdate() - timedelta(days=3),
        is_senior_manager=True,
        actor=actor,
        letter=pdf_letter(),
    )
    return filing_submit(filing=filing, actor=actor)


def while_held(first, second):
    """Run ``first()`` in a transaction on one connection and keep that transaction open
    while ``second()`` runs in its own transaction on another connection. Returns what
    ``second`` returned, or raises what it raised."""
    holding = threading.Event()
    release = threading.Event()
    errors = []

    def hold():
        try:
            with transaction.atomic():
                first()
                holding.set()
                release.wait(HOLD_TIMEOUT)
        except Exception as exc:  # noqa: BLE001 — reported below
            errors.append(exc)
            holding.set()
        finally:
            connection.close()

    outcome = {}

    def act():
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
                outcome["value"] = second()
        except Exception as exc:  # noqa: BLE001 — re-raised in the test's thread
            outcome["error"] = exc
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert holding.wait(HOLD_TIMEOUT), "the first transaction did not start"
        assert not errors, errors
        actor = threading.Thread(target=act)
        actor.start()
        actor.join(HOLD_TIMEOUT)
        assert not actor.is_alive(), "the second transaction hung"
    finally:
        release.set()
        holder.join(HOLD_TIMEOUT)
    assert not errors, errors
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


@pytest.fixture
def town():
    return TownFactory(name="城关镇", code="340121100000")


@pytest.fixture
def clerk():
    return UserFactory(username="clerk", enterprise_user=True)


@pytest.fixture
def reviewer():
    return UserFactory(username="reviewer", reviewer=True)


def test_two_filings_in_one_town_do_not_wait_on_each_other(town, clerk):
    first, second = EnterpriseFactory(town=town), EnterpriseFactory(town=town)

    filing = while_held(lambda: start_filing(first, clerk), lambda: start_filing(second, clerk))

    assert filing.status == FilingStatus.SUBMITTED
    assert Filing.objects.filter(enterprise__town=town, status=FilingStatus.SUBMITTED).count() == 2


def test_approval_does_not_wait_for_a_filing_of_another_enterprise_in_the_town(
    town, clerk, reviewer
):
    first, second = EnterpriseFactory(town=town), EnterpriseFactory(town=town)
    submitted = start_filing(second, clerk)

    approved = while_held(
        lambda: start_filing(first, clerk),
        lambda: filing_approve(filing=submitted, actor=reviewer),
    )

    assert approved.status == FilingStatus.APPROVED


def test_a_new_enterprise_in_the_town_does_not_wait_for_a_filing(town, clerk):
    filing_enterprise = EnterpriseFactory(town=town)

    created = while_held(
        lambda: start_filing(filing_enterprise, clerk), lambda: EnterpriseFactory(town=town)
    )

    assert Enterprise.objects.filter(town=town).count() == 2
    assert created.town_id == town.pk


def test_filings_of_one_enterprise_still_queue(town, clerk):
    """The lock that remains is the one that matters: a second filing of the same enterprise
    waits for the first (and then sees it), so it is blocked here."""
    enterprise = EnterpriseFactory(town=town)

    with pytest.raises(Exception) as blocked:
        while_held(lambda: start_filing(enterprise, clerk), lambda: start_filing(enterprise, clerk))

    assert "lock timeout" in str(blocked.value).lower()
