"""The count of a drill-down list, fetched after its page (issue 11): the first page of a date
without a snapshot shows its rows without waiting for the count; the count comes from
``reports:explain_count`` — asked for by the page's script, or by the "显示总数" link without
JavaScript — scoped exactly like the page, the same figure as the engine's, counted once and
cached for a short time per figure, date, filters and scope."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reports import selectors, snapshots, statistics
from reports.models import Target
from reports.views import drilldown as drilldown_views
from tests.caching import clear_caches
from tests.factories import EnterpriseFactory
from tests.reports.test_drilldown import INDICATORS, build_county

D = date(2021, 6, 30)
JSON = {"HTTP_ACCEPT": "application/json"}
REGISTRY = ("enterprises_enterprise", "enterprises_person", "appointments_")

pytestmark = pytest.mark.django_db


def list_url(code, **params):
    params.setdefault("as_of", D.isoformat())
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return f"{reverse('reports:explain', args=[code])}?{query}"


def count_url(code, **params):
    params.setdefault("as_of", D.isoformat())
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return f"{reverse('reports:explain_count', args=[code])}?{query}"


def registry_counts(queries):
    return [
        q["sql"]
        for q in queries
        if "COUNT(" in q["sql"] and any(table in q["sql"] for table in REGISTRY)
    ]


@pytest.fixture
def towns(home_town, other_town):
    build_county([home_town, other_town], size=2)
    return home_town, other_town


@pytest.mark.parametrize("code", ["T1", "T3"])
def test_the_first_page_shows_its_rows_and_the_way_to_its_count(code, towns, leader, client_for):
    client = client_for(leader)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(list_url(code))
    assert response.status_code == 200
    assert not registry_counts(queries)  # the page did not count the list
    assert response.context["totals"] is None
    assert response.context["page"].object_list
    body = response.content.decode()
    link = count_url(code).replace("&", "&amp;")
    assert f'data-count-url="{link}"' in body and f'href="{link}"' in body
    assert "显示总数" in body and "js/explain-count.js" in body


@pytest.mark.parametrize("code", ["T1", "T2", "T3", selectors.VACANCY_CODE, *INDICATORS])
def test_the_count_is_the_figure_of_the_list(code, towns, leader, client_for, settings):
    settings.CQO_VACANCY_LIMIT_DAYS = 30
    client = client_for(leader)
    for show in ("all", "counted", "missing"):
        fetched = client.get(count_url(code, show=show), **JSON).json()
        listed = client.get(list_url(code, show=show)).context["page"].object_list
        assert fetched["count"] == len(listed), show  # a county of one page per list
    figure = statistics.Figure(fetched["population"], fetched["counted"])
    assert fetched["count"] == figure.population - figure.counted
    assert "按当前筛选" in fetched["summary"] or "空缺" in fetched["summary"]


@pytest.mark.parametrize("code", ["T1", "T3"])
def test_the_count_matches_the_engine_county_and_town(code, towns, leader, client_for):
    home_town, _other = towns
    client = client_for(leader)
    result = statistics.compute_target(Target.objects.get(code=code), D)
    county = client.get(count_url(code), **JSON).json()
    assert (county["population"], county["counted"]) == (
        result.total.population,
        result.total.counted,
    )
    town = client.get(count_url(code, town=home_town.pk), **JSON).json()
    figure = result.by_town[home_town.name]
    assert (town["population"], town["counted"]) == (figure.population, figure.counted)


def test_the_count_is_counted_once_then_cached_per_list(towns, leader, client_for):
    client = client_for(leader)
    with CaptureQueriesContext(connection) as queries:
        first = client.get(count_url("T1"), **JSON).json()
    assert len(registry_counts(queries)) == 2  # population and counted
    with CaptureQueriesContext(connection) as queries:
        again = client.get(count_url("T1", show="missing"), **JSON).json()
        page = client.get(list_url("T1")).context["page"]
    assert not registry_counts(queries)  # show is not part of the key: both parts are held
    assert again["population"] == first["population"]
    assert page.paginator.count == first["count"]  # the page shows the cached count at once
    # Another filter or another date is another list: counted again.
    for other in (count_url("T1", industry="C"), count_url("T1", as_of="2021-07-01")):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(other, **JSON).status_code == 200
        assert len(registry_counts(queries)) == 2, other


def test_a_count_is_not_shared_across_scopes(towns, leader, town_officer, client_for):
    home_town, _other = towns
    county = client_for(leader).get(count_url("T1"), **JSON).json()
    officer = client_for(town_officer)
    own = officer.get(count_url("T1"), **JSON).json()
    assert own["population"] < county["population"]
    result = statistics.compute_target(Target.objects.get(code="T1"), D)
    assert own["population"] == result.by_town[home_town.name].population
    # The officer's count is theirs with or without their town in the address.
    assert officer.get(count_url("T1", town=home_town.pk), **JSON).json() == own


def test_a_count_becomes_stale_only_for_a_short_time(towns, leader, client_for):
    client = client_for(leader)
    before = client.get(count_url("T1"), **JSON).json()["population"]
    EnterpriseFactory(town=towns[0], scale="above")
    assert client.get(count_url("T1"), **JSON).json()["population"] == before  # cached
    assert drilldown_views.COUNT_CACHE_SECONDS <= 300

    clear_caches()  # as when the entry expires
    assert client.get(count_url("T1"), **JSON).json()["population"] == before + 1


def test_a_snapshots_figure_is_the_count(towns, leader, client_for):
    snapshots.snapshot_take(as_of=D, kind="on_demand")
    client = client_for(leader)
    with CaptureQueriesContext(connection) as queries:
        fetched = client.get(count_url("T3"), **JSON).json()
    assert not registry_counts(queries)
    totals = client.get(list_url("T3")).context["totals"]
    assert (fetched["population"], fetched["counted"]) == (totals.population, totals.counted)


def test_the_count_without_javascript_is_a_page_with_the_way_back(towns, leader, client_for):
    response = client_for(leader).get(count_url("T1", show="missing"))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="explain-summary"' in body and "按当前筛选共" in body
    count = response.context["count"]
    assert f"共 {count} 条" in body
    back = list_url("T1", show="missing").replace("&", "&amp;")
    assert f'href="{back}"' in body


def test_the_two_answers_of_one_address_say_they_vary_by_accept(towns, leader, client_for):
    # JSON for the page's script, HTML for the link: a cache between them must keep both.
    client = client_for(leader)
    page = client.get(count_url("T1", show="missing"))
    data = client.get(count_url("T1", show="missing"), HTTP_ACCEPT="application/json")
    assert page["Content-Type"].startswith("text/html")
    assert data["Content-Type"] == "application/json"
    for response in (page, data):
        varies = {name.strip().lower() for name in response["Vary"].split(",")}
        assert "accept" in varies, response["Vary"]


# --- Scope: exactly the page's ---------------------------------------------------------------


def test_a_town_officer_asking_for_another_town_gets_404(towns, town_officer, client_for):
    _home, other_town = towns
    client = client_for(town_officer)
    for code in ("T1", "T3", *INDICATORS, selectors.VACANCY_CODE):
        assert client.get(count_url(code, town=other_town.pk), **JSON).status_code == 404, code
        assert client.get(count_url(code, town=other_town.pk)).status_code == 404, code
    assert client.get(count_url("T1", town="not-a-town"), **JSON).status_code == 404


def test_enterprise_and_no_role_users_get_403(towns, enterprise_user, no_role_user, client_for):
    assert client_for(enterprise_user).get(count_url("T1"), **JSON).status_code == 403
    assert client_for(no_role_user).get(count_url("T3"), **JSON).status_code == 403


def test_anonymous_goes_to_login(towns, client_for):
    response = client_for(None).get(count_url("T1"), **JSON)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_unknown_code_gives_404(towns, leader, client_for):
    assert client_for(leader).get(count_url("T9"), **JSON).status_code == 404


def test_a_bad_date_is_a_400_or_the_list_page(towns, leader, client_for):
    client = client_for(leader)
    response = client.get(count_url("T1", as_of="2021-13-45"), **JSON)
    assert response.status_code == 400
    assert response.json()["error"]
    response = client.get(count_url("T1", as_of="nope"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("reports:explain", args=["T1"]))


def test_a_bad_show_is_a_400_that_does_not_blame_the_date(towns, leader, client_for):
    # A breaker's find: ``show=<script>`` answered "统计日期无效。" (the date is fine).
    client = client_for(leader)
    response = client.get(count_url("T1", show="<script>"), **JSON)
    assert response.status_code == 400
    assert response.json()["error"] == "筛选条件无效。"
    response = client.get(count_url("T1", as_of="2021-13-45", show="<script>"), **JSON)
    assert response.json()["error"] == "统计日期无效。"
    response = client.get(count_url("T1", show="<script>"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("reports:explain", args=["T1"]))


# --- Queries: a constant number, pinned --------------------------------------------------------

# The count's queries: session and user, the target, the town of the filter, the snapshot
# lookup, the list's two COUNTs (population, counted). No session save: an unchanged session
# is written at most once a minute (cqo_registry/sessions.py). No menu, no badges: the JSON
# renders only the summary sentence. Pinned.
COUNT_QUERIES = {"T1": 7, "T3": 7}


def count_queries(client, url):

    clear_caches()
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, **JSON).status_code == 200
    return len(queries)


@pytest.mark.parametrize("code", ["T1", "T3"])
def test_the_count_runs_a_pinned_number_of_queries_whatever_the_data(
    code, home_town, other_town, leader, client_for
):
    client = client_for(leader)
    build_county([home_town])
    url = count_url(code, town=home_town.pk)
    client.get(url, **JSON)  # warm the session
    small = count_queries(client, url)
    build_county([home_town, other_town], size=5)
    assert count_queries(client, url) == small == COUNT_QUERIES[code]
