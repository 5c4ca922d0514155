"""The vacancy list's keys (issue 15 §1): the page's keys, the count and the overdue count
come from one statement, and its "vacant since" is the one of SPEC §2 / issue 10 §1 — the
later of the day the registry knows the enterprise existed and the end of its last filed
appointment ended on or before D, never later than D — for every vacancy of a seeded
county; the pages walk the same rows in the same order as the list itself."""

import random
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from appointments.models import Appointment
from appointments.registry import overdue, vacant_enterprises
from enterprises import vacancies as services
from enterprises.models import Enterprise, Scale
from tests.caching import clear_caches
from tests.factories import AppointmentFactory, EnterpriseFactory

from .conftest import make_vacancy

D = date(2021, 6, 30)
LIST_URL = reverse("town:vacancies")

pytestmark = pytest.mark.django_db


def seed_county(towns, count=80, seed=15):
    """Enterprises of every kind around D: established before, on and after D or unknown
    (then the record's creation counts, some created after D), deregistered before, on or
    after D, not required to have a CQO; with none, one or several sequential appointments
    — filed before or after D or never, ended before, on or after D or not at all. Several
    share a name and a start, so the order's later keys decide."""
    rng = random.Random(seed)
    names = ["甲企业", "乙企业", "丙企业"]
    # Each part of the rule at least once: the later of two filed ends, an end later than
    # the establishment, an end earlier than it, an end after D that does not count yet.
    for ends in ([date(2020, 3, 1), date(2020, 9, 1)], [date(2018, 5, 1)], [D + timedelta(1)]):
        enterprise = EnterpriseFactory(town=towns[0], established_on=date(2019, 1, 1))
        appointed = date(2017, 1, 1)
        for ended in ends:
            AppointmentFactory(
                enterprise=enterprise, appointed_on=appointed, ended_on=ended, end_reason="left"
            )
            appointed = ended + timedelta(days=10)
    for i in range(count):
        fields = {"town": rng.choice(towns)}
        fields["established_on"] = rng.choice(
            [None, None, D - timedelta(days=rng.randint(300, 900)), D, D + timedelta(days=3)]
        )
        if rng.random() < 0.1:
            fields["deregistered_on"] = rng.choice([D, D - timedelta(days=1), D + timedelta(1)])
            if fields["established_on"] and fields["deregistered_on"] < fields["established_on"]:
                fields["deregistered_on"] = None
        if rng.random() < 0.1:
            fields.update(scale=Scale.SME, requires_cqo=False)
        if rng.random() < 0.3:
            fields["name"] = f"{rng.choice(names)}{i % 2}"
            while Enterprise.objects.filter(name=fields["name"]).exists():
                fields["name"] += "之"
        enterprise = EnterpriseFactory(**fields)
        # D is 911 days after 2019-01-01; 03:00 UTC + 17 hours is the next local day.
        created = datetime(2019, 1, 1, 3, tzinfo=UTC) + timedelta(
            days=rng.choice([0, 0, 300, 700, 910, 911, 950]), hours=rng.choice([0, 17, 20])
        )
        Enterprise.objects.filter(pk=enterprise.pk).update(created_at=created)
        start = D - timedelta(days=rng.randint(100, 700))
        for _ in range(rng.choice([0, 1, 1, 2, 3])):
            appointed = start
            ended = rng.choice(
                [None, appointed + timedelta(days=rng.randint(0, 60)), D, D + timedelta(days=5)]
            )
            filed = rng.choice(
                [None, appointed + timedelta(days=rng.randint(0, 20)), D + timedelta(days=1)]
            )
            AppointmentFactory(
                enterprise=enterprise,
                appointed_on=appointed,
                filed_on=filed,
                ended_on=ended,
                end_reason="left" if ended else "",
            )
            if ended is None or ended >= D or rng.random() < 0.4:
                break
            start = ended + timedelta(days=rng.randint(1, 30))
            if start > D:
                break


def spec_vacant_since(day: date) -> dict[int, date]:
    """SPEC §2 / issue 10 §1 worked out in Python, enterprise by enterprise: every vacancy
    at ``day`` and its start."""
    result = {}
    for enterprise in Enterprise.objects.all():
        active = (enterprise.established_on is None or enterprise.established_on <= day) and (
            enterprise.deregistered_on is None or enterprise.deregistered_on > day
        )
        appointments = list(Appointment.objects.filter(enterprise=enterprise, post="cqo"))
        filed_current = any(
            a.filed_on is not None
            and a.filed_on <= day
            and a.appointed_on <= day
            and (a.ended_on is None or a.ended_on > day)
            for a in appointments
        )
        if not active or not enterprise.requires_cqo or filed_current:
            continue
        known = enterprise.established_on or timezone.localdate(enterprise.created_at)
        ends = [
            a.ended_on
            for a in appointments
            if a.filed_on is not None
            and a.filed_on <= day
            and a.ended_on is not None
            and a.ended_on <= day
        ]
        result[enterprise.pk] = min(max([known, *ends]), day)
    return result


@pytest.fixture
def county(home_town, other_town):
    seed_county([home_town, other_town])
    return home_town, other_town


def test_every_vacancy_and_its_start_as_the_one_rule_says(county, reviewer):
    keys = services.vacancy_keys(services.vacancy_list(reviewer, day=D), D)
    expected = list(
        vacant_enterprises(D).order_by(*services.VACANCY_ORDER).values_list("pk", "vacancy_start")
    )
    assert len(expected) > 20  # the seed makes a list worth paging
    assert keys.rows == expected
    assert dict(keys.rows) == spec_vacant_since(D)
    assert keys.total == len(expected)
    assert keys.overdue == vacant_enterprises(D).filter(overdue(D)).count()
    assert 0 < keys.overdue < keys.total
    # The seed reaches each part of the rule: starts at an appointment's end, at D itself.
    starts = dict(keys.rows)
    assert (
        Appointment.objects.filter(
            enterprise_id__in=list(starts), ended_on__isnull=False, ended_on__lt=D
        )
        .exclude(filed_on=None)
        .exists()
    )
    assert date(2020, 9, 1) in starts.values()  # the later of two ends
    assert date(2019, 1, 1) in starts.values()  # established after the end, or the end after D
    assert D in starts.values()  # known from a day after D: never later than D


def test_pages_walk_the_list_with_its_totals(county, reviewer, home_town):
    for town_id in (None, home_town.pk):
        rows = services.vacancy_list(reviewer, day=D, town_id=town_id)
        whole = services.vacancy_keys(rows, D)
        assert [pk for pk, _start in whole.rows] == list(rows.values_list("pk", flat=True))
        walked, offset = [], 0
        while True:
            page = services.vacancy_keys(rows, D, offset=offset, limit=7)
            if not page.rows:
                break
            assert (page.total, page.overdue) == (whole.total, whole.overdue)
            walked += page.rows
            offset += 7
        assert walked == whole.rows
        # Past the end: no rows, and the totals to find the last page by.
        assert (page.total, page.overdue) == (whole.total, whole.overdue)
    overdue_only = services.vacancy_keys(rows.filter(overdue(D)), D)
    assert overdue_only.total == overdue_only.overdue == rows.filter(overdue(D)).count()


def test_an_empty_list_has_no_keys(reviewer, no_role_user, db):
    keys = services.vacancy_keys(services.vacancy_list(reviewer, day=D), D, limit=50)
    assert (keys.rows, keys.total, keys.overdue) == ([], 0, 0)
    # A scope of nothing (``.none()``) is no SQL at all, not an error.
    EnterpriseFactory(established_on=None)
    nothing = services.vacancy_list(no_role_user, day=D)
    assert nothing.query.is_empty()
    keys = services.vacancy_keys(nothing, D, offset=50, limit=50)
    assert (keys.rows, keys.total, keys.overdue) == ([], 0, 0)


def test_page_past_the_end_shows_the_last_page(client_for, town_officer, home_town):
    for days in range(55):
        make_vacancy(home_town, days_open=days)
    client = client_for(town_officer)
    last = client.get(LIST_URL, {"page": 2})
    late = client.get(LIST_URL, {"page": 9})
    assert late.context["page"].number == 2
    assert [e.pk for e in late.context["page"].object_list] == [
        e.pk for e in last.context["page"].object_list
    ]
    assert late.context["page"].paginator.count == 55
    first = client.get(LIST_URL)
    assert first.context["overdue_count"] == late.context["overdue_count"] == 24


def test_page_of_an_empty_list_is_page_one(client_for, town_officer, home_town):
    response = client_for(town_officer).get(LIST_URL, {"page": 3})
    page = response.context["page"]
    assert (page.number, page.paginator.count, page.paginator.num_pages) == (1, 0, 1)
    assert not page.has_previous()


def test_one_statement_reads_the_keys_and_both_counts(client_for, town_officer, home_town):
    for days in range(12):
        make_vacancy(home_town, days_open=days * 5)
    client = client_for(town_officer)
    client.get(LIST_URL)  # warm the session
    clear_caches()  # and measure the request that works the keys out (they are cached)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(LIST_URL)
    windowed = [q["sql"] for q in queries.captured_queries if "COUNT(*) OVER ()" in q["sql"]]
    assert len(windowed) == 1
    if connection.vendor == "postgresql":
        assert " OFFSET 0)" in windowed[0]  # the fence: the start is worked out once
    # The vacancy start (a MAX over the appointments) is worked out by two statements only:
    # the keys with the counts, and the page's rows.
    starts = [q for q in queries.captured_queries if "MAX(" in q["sql"].upper()]
    assert len(starts) == 2
    assert response.context["page"].paginator.count == 12
