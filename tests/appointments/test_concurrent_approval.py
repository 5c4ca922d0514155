"""Reviewers approving at the same moment (PostgreSQL only: it needs real row locks and one
connection per thread). Each thread uses its own database connection, opened by Django for
that thread, and closes it when done."""

import threading
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from appointments.models import Filing, FilingStatus
from appointments.services import filing_approve, filing_create_appointment, filing_submit
from tests.factories import EnterpriseFactory, PersonFactory, UserFactory, pdf_letter

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def submitted_filing(*, enterprise=None, actor) -> Filing:
    filing = filing_create_appointment(
        enterprise=enterprise or EnterpriseFactory(),
        person=PersonFactory(),
        position="副总经理",
        appointed_on=timezone.localdate() - timedelta(days=3),
        is_senior_manager=True,
        actor=actor,
        letter=pdf_letter(),
    )
    return filing_submit(filing=filing, actor=actor)


def approve_all_at_once(jobs):
    """Run ``filing_approve`` for each (filing, actor) pair in its own thread, all released
    together; return one outcome per job: the approved filing or the exception raised."""
    barrier = threading.Barrier(len(jobs))
    outcomes = [None] * len(jobs)

    def run(index, filing, actor):
        try:
            barrier.wait(timeout=10)
            outcomes[index] = filing_approve(filing=filing, actor=actor)
        except Exception as exc:  # noqa: BLE001 — the outcome is what the test checks
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(index, filing, actor))
        for index, (filing, actor) in enumerate(jobs)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "an approval hung"
    return outcomes


@pytest.fixture
def clerk():
    return UserFactory(username="clerk", enterprise_user=True)


@pytest.fixture
def reviewers():
    return [UserFactory(username=f"reviewer{n}", reviewer=True) for n in range(8)]


def test_two_reviewers_approving_one_filing_exactly_one_succeeds(clerk, reviewers):
    filing = submitted_filing(actor=clerk)

    outcomes = approve_all_at_once([(filing, reviewers[0]), (filing, reviewers[1])])

    approved = [o for o in outcomes if isinstance(o, Filing)]
    refused = [o for o in outcomes if isinstance(o, ValidationError)]
    assert len(approved) == 1, outcomes
    assert len(refused) == 1, outcomes
    assert refused[0].code == "wrong_status"
    filing.refresh_from_db()
    assert filing.status == FilingStatus.APPROVED
    assert filing.number_seq == 1
    assert filing.events.filter(action="approve").count() == 1


@pytest.mark.parametrize("rounds", [1, 2])
def test_filings_approved_at_once_get_distinct_consecutive_numbers(clerk, reviewers, rounds):
    # Round one starts with no counter row for the year (the first approvals of a year race
    # to create it); round two starts from an existing row.
    count = len(reviewers)
    for round_number in range(rounds):
        filings = [submitted_filing(actor=clerk) for _ in range(count)]

        outcomes = approve_all_at_once(list(zip(filings, reviewers, strict=True)))

        assert all(isinstance(o, Filing) for o in outcomes), outcomes
        first = round_number * count + 1
        assert sorted(o.number_seq for o in outcomes) == list(range(first, first + count))
    numbers = list(Filing.objects.values_list("number", flat=True))
    assert len(set(numbers)) == len(numbers) == rounds * count


def test_two_filings_of_one_enterprise_started_at_once(clerk):
    """Two people of one enterprise start a filing at the same moment: one gets it, the
    other gets the domain error (not a database error that a view would turn into a 500)."""
    enterprise = EnterpriseFactory()
    barrier = threading.Barrier(2)
    outcomes = [None, None]

    def run(index):
        try:
            barrier.wait(timeout=10)
            outcomes[index] = submitted_filing(enterprise=enterprise, actor=clerk)
        except Exception as exc:  # noqa: BLE001 — the outcome is what the test inspects
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    started = [o for o in outcomes if isinstance(o, Filing)]
    assert len(started) == 1, outcomes
    refused = [o for o in outcomes if not isinstance(o, Filing)]
    assert isinstance(refused[0], ValidationError), outcomes
    assert refused[0].code == "open_filing_exists"
    assert Filing.objects.filter(enterprise=enterprise).count() == 1
