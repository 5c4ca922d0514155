"""The number of queries of each page people load most (issue 15 §1): a ceiling for each, and
the same count whatever the number of rows — no query per row. Counts, not timings, so that a
loaded machine cannot make them flaky; ``bench/bench_pages.py`` measures the speed.

The ceilings are the counts when they were pinned (session, user, account policy,
notifications, the page's own few): a change that adds a query to a page shows here."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from appointments.models import FilingStatus
from cqo_registry import data_version
from reports import snapshots
from tests.caching import clear_caches
from tests.factories import AppointmentFactory, EnterpriseFactory, FilingFactory
from tests.reports.test_drilldown import build_county

pytestmark = pytest.mark.django_db

D = date(2021, 6, 30)

# (page, who, path, ceiling)
PAGES = [
    ("county dashboard from a snapshot", "leader", f"/dashboard/?as_of={D}", 21),
    ("town dashboard", "town_officer", f"/town/?as_of={D}", 18),
    ("review queue", "reviewer", "/review/", 12),
    ("registrations", "reviewer", "/review/registrations/", 10),
    ("enterprise registry", "reviewer", "/enterprises/", 12),
    ("registry search", "reviewer", "/enterprises/?q=%E4%BC%81%E4%B8%9A", 12),
    ("incomplete enterprises", "reviewer", "/enterprises/incomplete/", 9),
    ("vacancy list", "reviewer", "/town/vacancies/", 12),
    ("town's vacancy list", "town_officer", "/town/vacancies/", 11),
    # Keyset pages walk the towns in index order (issue 11): a page reads town after town
    # until it has its 50 rows — here, with a few rows in each, every town of the county.
    ("drill-down", "reviewer", f"/dashboard/explain/T1/?as_of={D}", 18),
    ("training sessions", "reviewer", "/training/", 10),
    ("untrained CQOs", "reviewer", "/training/untrained/", 13),
    ("evaluations", "reviewer", "/evaluations/", 11),
    ("sanctions", "reviewer", "/oversight/", 10),
    ("risk list", "reviewer", "/oversight/risk/", 8),
    ("confirmations", "reviewer", "/confirmations/", 10),
    ("public lookup", None, "/public/?q=%E4%BC%81%E4%B8%9A", 2),
    ("honour roll", None, "/public/honours/", 3),
]


def grow(towns, size: int) -> None:
    """``size`` more of everything the pages list: the drill-down's county (enterprises with
    and without CQOs, training) and filings waiting for review."""
    build_county(towns, size=size)
    for town in towns:
        for _ in range(size):
            appointment = AppointmentFactory(
                enterprise=EnterpriseFactory(
                    town=town, name=f"企业{EnterpriseFactory._meta.model.objects.count()}"
                ),
                filed_on=None,
                appointed_on=timezone.localdate() - timedelta(days=40),
            )
            FilingFactory(
                appointment=appointment,
                status=FilingStatus.SUBMITTED,
                number=None,
                number_year=None,
                number_seq=None,
                approved_on=None,
            )
    snapshots.snapshot_take(as_of=D, kind="on_demand")


class Queries(list):
    """The SQL of one request; compares equal to another request's by count, and shows what
    differs when it does not (``assert many == few``)."""

    def __eq__(self, other):
        return len(self) == len(other)

    def __repr__(self):
        return f"{len(self)} queries"


def count(client, path: str) -> Queries:
    # The dashboard's cached fragments and what it keeps per process: count the page that
    # builds them.
    clear_caches()
    data_version.forget_kept()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200, path
    return Queries(q["sql"] for q in queries)


def _difference(few: Queries, many: Queries) -> str:
    only = [sql[:160] for sql in many if sql not in few] + [
        f"(only with few rows) {sql[:160]}" for sql in few if sql not in many
    ]
    return "\n".join(only)


# Lists read by ``params.page_of_keys``: a short list's first page is its count.
COUNTED_BY_THEIR_FIRST_PAGE = {"registry search"}


@pytest.mark.parametrize(("page", "who", "path", "ceiling"), PAGES, ids=[p[0] for p in PAGES])
def test_each_page_makes_a_few_queries_however_many_rows(
    page, who, path, ceiling, home_town, other_town, client_for, request
):
    client = client_for(request.getfixturevalue(who) if who else None)
    grow([home_town, other_town], size=1)
    client.get(path)  # the session's first request stores what later ones only read
    few = count(client, path)
    grow([home_town, other_town], size=3)
    many = count(client, path)
    if page in COUNTED_BY_THEIR_FIRST_PAGE:
        # A list that ends on its first page is counted by reading it; a longer one asks
        # a COUNT: one query more, and no more however long it grows.
        extra = [sql for sql in many if sql not in few]
        assert len(many) == len(few) + 1 and any("COUNT(" in sql for sql in extra), (
            f"{page}: {len(few)} queries with few rows, {len(many)} with more:\n"
            + _difference(few, many)
        )
    else:
        assert many == few, (
            f"{page}: {len(few)} queries with few rows, {len(many)} with more:\n"
            + _difference(few, many)
        )
    assert len(few) <= ceiling, f"{page}: {len(few)} queries, more than the {ceiling} pinned"


def test_the_cached_dashboard_makes_fewer_queries(home_town, other_town, leader, client_for):
    client = client_for(leader)
    grow([home_town, other_town], size=2)
    path = f"/dashboard/?as_of={D}"
    built = count(client, path)
    with CaptureQueriesContext(connection) as cached:
        assert client.get(path).status_code == 200
    assert len(cached) <= len(built) - 4
    assert len(cached) <= 12
