"""The drill-down pages by keyset (issue 11 §1): following "next" from the first page reaches
every row of the figure exactly once, in the list's order, and "previous" walks back the
same pages; the cursor in the links is signed — altered, cut or made for another list or
user it is a 400 page, never a 500 — and a crafted cursor never leads outside the user's
scope; a page runs the same number of queries wherever it lies."""

import html
import re
from datetime import date, timedelta
from urllib.parse import quote, unquote

import pytest
from django.core import signing
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from enterprises.models import Enterprise
from reports import selectors, statistics
from reports.models import Target
from reports.selectors.keyset import BACKWARD, FORWARD, Cursor
from reports.views import drilldown as drilldown_views
from tests.factories import AppointmentFactory, EnterpriseFactory, FilingFactory
from tests.reports.test_drilldown import INDICATORS, build_county, fetched_count

D = date(2021, 6, 30)
PAGE = 3  # rows per page in these tests, so that small counties have many pages

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def small_pages(monkeypatch):
    monkeypatch.setattr(drilldown_views, "PAGE_SIZE", PAGE)


def url(code, **params):
    params.setdefault("as_of", D.isoformat())
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return f"{reverse('reports:explain', args=[code])}?{query}"


def link(response, rel):
    match = re.search(rf'rel="{rel}" href="([^"]+)"', response.content.decode())
    if not match:
        return None
    return response.request["PATH_INFO"] + html.unescape(match.group(1))


def rows_of(response):
    return [int(pk) for pk in re.findall(r'data-row="(\d+)"', response.content.decode())]


def walk(client, first, rel="next"):
    """The pages from ``first`` by their ``rel`` links: (responses, rows in page order)."""
    responses, target = [], first
    while target:
        response = client.get(target)
        assert response.status_code == 200
        responses.append(response)
        target = link(response, rel)
        assert len(responses) < 500, "the links go round in circles"
    return responses


@pytest.fixture
def county(home_town, other_town):
    build_county([home_town, other_town], size=2)
    # Same names in two towns and within one town (the id breaks the tie), and above-scale
    # enterprises without a town yet (issue 17 §1), listed last.
    for town in (home_town, other_town, home_town, None):
        EnterpriseFactory(town=town, name="同名企业有限公司", scale="above")
    EnterpriseFactory(town=None, name="待完善企业", scale="above")
    return home_town, other_town


def ordered_keys(code, user, show="all", **filters):
    explained = selectors.explained_for_code(code)
    rows = selectors.explain_rows(explained, D, user=user, **filters)
    return list(selectors.explain_keys(rows, show))


@pytest.mark.parametrize("show", ["all", "counted", "missing"])
@pytest.mark.parametrize(
    "code", ["T1", "T2", "T3", selectors.VACANCY_CODE, *INDICATORS, selectors.CONFIRM_CODE]
)
def test_next_links_reach_every_row_once_in_order_and_previous_walks_back(
    code, show, county, leader, client_for, settings
):
    settings.CQO_VACANCY_LIMIT_DAYS = 30
    client = client_for(leader)
    pages = walk(client, url(code, show=show))
    seen = [pk for page in pages for pk in rows_of(page)]
    expected = ordered_keys(code, leader, show)
    assert seen == expected
    assert fetched_count(client, url(code, show=show))["count"] == len(expected)
    assert [p.context["page"].number for p in pages] == list(range(1, len(pages) + 1))
    assert all(len(rows_of(p)) == PAGE for p in pages[:-1])
    if len(pages) > 1:
        back = walk(client, link(pages[-1], "prev"), rel="prev")
        assert [rows_of(p) for p in back] == [rows_of(p) for p in reversed(pages[:-1])]
        assert back[-1].context["page"].number == 1


@pytest.mark.parametrize("code", ["T1", "T3"])
def test_the_pages_match_the_figure_county_town_and_section(code, county, leader, client_for):
    home_town, other_town = county
    client = client_for(leader)
    result = statistics.compute_target(Target.objects.get(code=code), D)
    scopes = [
        ({}, result.total),
        ({"town": home_town.pk}, result.by_town[home_town.name]),
        ({"town": other_town.pk}, result.by_town[other_town.name]),
        ({"industry": "C"}, result.by_industry["C"]),
    ]
    for params, figure in scopes:
        for show, count in (("counted", figure.counted), ("all", figure.population)):
            seen = [
                pk for page in walk(client, url(code, show=show, **params)) for pk in rows_of(page)
            ]
            assert len(seen) == len(set(seen)) == count, (params, show)


REGISTRY = ("enterprises_enterprise", "enterprises_person", "appointments_")


def registry_counts(queries):
    counts = [q["sql"] for q in queries if "COUNT(" in q["sql"]]
    return [sql for sql in counts if any(table in sql for table in REGISTRY)]


@pytest.mark.parametrize("code", ["T1", "T3"])
def test_the_count_without_a_snapshot_is_counted_once_after_the_page(
    code, county, leader, client_for
):
    """No page of a date without a snapshot waits for the list's count: the rows come first;
    the count is fetched afterwards, counted once, and then every page shows it at once
    (the cursor does not carry it)."""
    client = client_for(leader)
    with CaptureQueriesContext(connection) as queries:
        first = client.get(url(code))
    assert not registry_counts(queries)
    assert first.context["page"].paginator.count is None
    with CaptureQueriesContext(connection) as queries:
        count = fetched_count(client, url(code))["count"]
    assert len(registry_counts(queries)) == 2  # population and counted
    with CaptureQueriesContext(connection) as queries:
        assert fetched_count(client, url(code))["count"] == count
        second = client.get(link(first, "next"))
        again = client.get(url(code))
    assert not registry_counts(queries)  # cached: paging does not recount
    assert second.context["page"].paginator.count == again.context["page"].paginator.count
    assert count == len([pk for page in walk(client, url(code)) for pk in rows_of(page)])


def cursor_of(response, rel="next"):
    return re.search(r"cursor=([^&\"]+)", link(response, rel)).group(1)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda token: token[:-2] + ("AA" if token[-2:] != "AA" else "BB"),  # signature
        lambda token: "x" + token[1:],  # payload
        lambda token: token[: len(token) // 2],  # cut
        lambda token: "not-a-cursor",
        lambda token: "9" * 5000,
    ],
)
def test_an_altered_cursor_is_a_400_page_in_chinese(tamper, county, leader, client_for):
    client = client_for(leader)
    token = cursor_of(client.get(url("T1")))
    response = client.get(url("T1") + "&cursor=" + tamper(html.unescape(token)))
    assert response.status_code == 400
    body = response.content.decode()
    assert "翻页链接无效" in body
    assert reverse("reports:explain", args=["T1"]) in body  # the way back to the first page


def test_a_cursor_of_another_list_or_user_is_a_400(county, leader, bureau_admin, client_for):
    client = client_for(leader)
    token = html.unescape(cursor_of(client.get(url("T1"))))
    assert client.get(url("T1") + "&cursor=" + token).status_code == 200
    assert client.get(url("T1", show="missing") + "&cursor=" + token).status_code == 400
    assert client.get(url("T2") + "&cursor=" + token).status_code == 400
    assert client.get(url("T1", as_of="2021-07-01") + "&cursor=" + token).status_code == 400
    assert client_for(bureau_admin).get(url("T1") + "&cursor=" + token).status_code == 400
    # A NUL byte is refused before the view (the site's middleware): a 400 all the same.
    assert client.get(url("T1") + "&cursor=%00" + token).status_code == 400


def test_a_town_officer_cannot_page_into_another_town(county, leader, town_officer, client_for):
    home_town, other_town = county
    other_rows = ordered_keys("T1", leader, town_id=other_town.pk)
    # A leader's cursor that points into the other town, handed to the officer: refused.
    pages = walk(client_for(leader), url("T1"))
    into_other = next(p for p in pages if set(rows_of(p)) & set(other_rows))
    token = html.unescape(cursor_of(into_other))
    officer = client_for(town_officer)
    assert officer.get(url("T1") + "&cursor=" + token).status_code == 400
    # A cursor crafted for the officer's own list (signed with the server's key, as only an
    # insider could) that starts before the other town's rows: still only their town's.
    own = signing.loads(
        unquote(html.unescape(cursor_of(officer.get(url("T1"))))),
        salt=drilldown_views.CURSOR_SALT,
    )
    first_other = Enterprise.objects.select_related("town").get(pk=other_rows[0])
    for direction, values in (
        (FORWARD, ["", "", "", 0]),  # before every town
        (FORWARD, [first_other.town.code, first_other.town.name, "", 0]),
        (BACKWARD, [None, None, "~", 10**9]),  # after every row, walking back
    ):
        crafted = Cursor(direction, values, 2, own["s"], own["x"])
        token = quote(crafted.sign(drilldown_views.CURSOR_SALT))
        response = officer.get(url("T1") + "&cursor=" + token)
        assert response.status_code == 200
        listed = rows_of(response)
        assert listed and not set(listed) & set(other_rows)
        assert {e.town_id for e in Enterprise.objects.filter(pk__in=listed)} == {home_town.pk}


def count_queries(client, target):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(target).status_code == 200
    return len(queries)


@pytest.mark.parametrize("code", ["T1", "T3", selectors.VACANCY_CODE, *INDICATORS])
def test_every_page_runs_the_same_queries_whatever_its_depth(
    code, home_town, other_town, leader, client_for
):
    client = client_for(leader)
    build_county([home_town, other_town], size=5)
    first = url(code, town=home_town.pk)
    pages = walk(client, first)
    assert len(pages) > 3
    client.get(first)  # warm the session
    deeper = {
        count_queries(client, page.request["PATH_INFO"] + "?" + page.request["QUERY_STRING"])
        for page in pages[1:]
    }
    assert len(deeper) == 1, deeper
    # The first page of a date without a snapshot no longer counts the list (the count is
    # fetched after it): it runs the queries of any other page.
    assert count_queries(client, first) == deeper.pop()


def test_county_pages_read_at_most_one_query_per_town_more(county, leader, client_for):
    client = client_for(leader)
    first = url("T1")
    client.get(first)
    base = count_queries(client, first)
    towns = 2
    for page in walk(client, first):
        target = page.request["PATH_INFO"] + "?" + page.request["QUERY_STRING"]
        assert count_queries(client, target) <= base + towns + 1


def test_a_cursor_past_the_rows_shows_the_first_page(home_town, leader, client_for):
    EnterpriseFactory.create_batch(5, town=home_town, scale="above")
    client = client_for(leader)
    first = client.get(url("T1"))
    token = html.unescape(cursor_of(first))
    Enterprise.objects.exclude(pk__in=rows_of(first)).delete()  # the next rows are gone
    response = client.get(url("T1") + "&cursor=" + token)
    assert response.status_code == 200
    assert response.context["page"].number == 1
    assert rows_of(response) == rows_of(first)


def test_late_filings_page_newest_first_across_equal_times(home_town, leader, client_for):
    appointment = AppointmentFactory(enterprise=EnterpriseFactory(town=home_town))
    when = D - timedelta(days=3)
    filings = [
        FilingFactory(appointment=appointment, submitted_at=f"{when}T10:00:00+08:00", is_late=True)
        for _ in range(7)
    ]
    client = client_for(leader)
    seen = [pk for page in walk(client, url(selectors.LATE_ALL_CODE)) for pk in rows_of(page)]
    mine = [pk for pk in seen if pk in {f.pk for f in filings}]
    assert mine == sorted(mine, reverse=True) and len(mine) == 7
