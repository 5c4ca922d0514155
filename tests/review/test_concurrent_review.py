"""Two reviewers acting on one filing at the same moment, through the pages (PostgreSQL only:
it needs real row locks and one connection per thread). Exactly one wins; the other gets the
page back with a clear message, never a server error."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from appointments.models import FilingStatus
from appointments.services import filing_create_appointment, filing_submit
from tests.factories import EnterpriseFactory, PersonFactory, UserFactory, pdf_letter

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

LOST = "不能执行此操作"


@pytest.fixture
def reviewers():
    return [UserFactory(username=f"reviewer{n}", reviewer=True) for n in range(2)]


@pytest.fixture
def filing():
    clerk = UserFactory(username="clerk", enterprise_user=True)
    draft = filing_create_appointment(
        enterprise=EnterpriseFactory(),
        person=PersonFactory(),
        position="副总经理",
        appointed_on=timezone.localdate() - timedelta(days=3),
        is_senior_manager=True,
        actor=clerk,
        letter=pdf_letter(),
    )
    return filing_submit(filing=draft, actor=clerk)


def post_all_at_once(jobs):
    """Each job is (user, url, data): one thread and one client per job, released together.
    Returns (status code, final page html) per job, following the redirect."""
    clients = []
    for user, _url, _data in jobs:
        client = Client()
        client.force_login(user)
        clients.append(client)
    barrier = threading.Barrier(len(jobs))
    outcomes = [None] * len(jobs)

    def run(index, client, url, data):
        try:
            barrier.wait(timeout=10)
            response = client.post(url, data, follow=True)
            outcomes[index] = (response.status_code, response.content.decode())
        except Exception as exc:  # noqa: BLE001 — the outcome is what the test checks
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(index, client, url, data))
        for index, (client, (_user, url, data)) in enumerate(zip(clients, jobs, strict=True))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a request hung"
    return outcomes


def test_two_reviewers_approving_at_once(filing, reviewers):
    url = reverse("review:filing_approve", args=[filing.pk])

    outcomes = post_all_at_once([(reviewers[0], url, {}), (reviewers[1], url, {})])

    assert all(isinstance(o, tuple) and o[0] == 200 for o in outcomes), outcomes
    won = [html for _status, html in outcomes if LOST not in html]
    lost = [html for _status, html in outcomes if LOST in html]
    assert len(won) == 1 and len(lost) == 1, outcomes
    filing.refresh_from_db()
    assert filing.status == FilingStatus.APPROVED
    assert filing.number in won[0]
    assert filing.events.filter(action="approve").count() == 1
    assert filing.reviewed_by in reviewers


def test_approve_and_return_at_once(filing, reviewers):
    approve = reverse("review:filing_approve", args=[filing.pk])
    give_back = reverse("review:filing_return", args=[filing.pk])

    outcomes = post_all_at_once(
        [(reviewers[0], approve, {}), (reviewers[1], give_back, {"reasons": "请补充聘任文件"})]
    )

    assert all(isinstance(o, tuple) and o[0] == 200 for o in outcomes), outcomes
    lost = [index for index, (_status, html) in enumerate(outcomes) if LOST in html]
    assert len(lost) == 1, outcomes
    filing.refresh_from_db()
    winner = 1 if lost == [0] else 0
    assert filing.status == (FilingStatus.RETURNED if winner else FilingStatus.APPROVED)
    assert filing.events.filter(action__in=["approve", "return"]).count() == 1
    if filing.status == FilingStatus.RETURNED:
        assert filing.number is None and filing.return_reasons == "请补充聘任文件"
    else:
        assert filing.number and not filing.return_reasons
