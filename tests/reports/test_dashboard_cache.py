"""The county's and a town's dashboard figures, drawn from a snapshot, are cached as HTML
(issue 15 §1): the cached page is the page, and whatever it shows — a new snapshot, a
target's goal or name, a town's name, the language — changes it at once."""

import re
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reports import snapshots
from reports.models import Target
from tests.caching import clear_caches
from tests.factories import TargetFactory, UserFactory
from tests.reports.test_drilldown import build_county

pytestmark = pytest.mark.django_db

D = date(2021, 6, 30)
DASHBOARD = reverse("reports:dashboard")
TOWN_DASHBOARD = reverse("reports:town_dashboard")
PARAMS = {"as_of": D.isoformat()}


def page(client, url=DASHBOARD, **headers) -> str:
    response = client.get(url, PARAMS, **headers)
    assert response.status_code == 200
    # The per-request tokens are the only parts that differ between two renders.
    return re.sub(r'(value|nonce|content)="[^"]{20,}"', r'\1="-"', response.content.decode())


def fresh(client, url=DASHBOARD, **headers) -> str:
    clear_caches()
    return page(client, url, **headers)


@pytest.fixture
def county(home_town, other_town):
    build_county([home_town, other_town])
    snapshots.snapshot_take(as_of=D, kind="on_demand")


def test_the_cached_page_is_the_page_and_reads_no_figures(county, leader, client_for):
    client = client_for(leader)
    built = fresh(client)
    with CaptureQueriesContext(connection) as queries:
        cached = page(client)
    assert cached == built
    read = " ".join(q["sql"] for q in queries)
    # The key only asks whether the run holds each target and its indicators (EXISTS).
    assert '"reports_snapshotfigure"."population"' not in read
    assert '"reports_snapshotindicator"."principal_population"' not in read
    assert 'data-target="T1"' in cached and "dashboard-charts" in cached


def test_a_new_snapshot_of_the_day_shows_at_once(county, home_town, leader, client_for):
    client = client_for(leader)
    before = page(client)
    build_county([home_town], size=3)
    snapshots.snapshot_take(as_of=D, kind="on_demand")
    after = page(client)
    assert after != before
    assert after == fresh(client)


def test_a_snapshot_of_another_day_adds_to_the_trend_at_once(county, leader, client_for):
    client = client_for(leader)
    before = page(client)
    snapshots.snapshot_take(as_of=date(2021, 3, 31), kind="on_demand")
    after = page(client)
    assert "2021-03-31" not in before and "2021-03-31" in after
    assert after == fresh(client)


def test_a_target_or_a_town_edited_shows_at_once(county, home_town, leader, client_for):
    client = client_for(leader)
    page(client)
    Target.objects.filter(code="T1").update(name="改名后的目标")
    assert "改名后的目标" in page(client)
    home_town.name = "改名镇"
    home_town.save()
    assert "改名镇" in page(client)


def test_each_language_has_its_own_fragments(county, leader, client_for):
    client = client_for(leader)
    chinese = page(client)
    client.cookies["django_language"] = "en"
    english = page(client)
    assert english != chinese
    assert english == fresh(client)
    assert "工作目标完成情况" in chinese and "工作目标完成情况" not in english


def test_a_day_without_snapshot_is_not_cached(county, leader, town_officer, client_for):
    live = client_for(leader).get(DASHBOARD, {"as_of": "2021-07-01"})
    assert live.context["fragment_key"] == ""
    town_live = client_for(town_officer).get(TOWN_DASHBOARD, {"as_of": "2021-07-01"})
    assert town_live.context["fragment_key"] == ""
    snapshot_day = client_for(leader).get(DASHBOARD, PARAMS)
    assert snapshot_day.context["fragment_key"].startswith("dashboard:")


def test_a_town_dashboard_from_a_snapshot_is_cached_per_town(
    county, home_town, other_town, leader, town_officer, client_for
):
    """A town officer's figures are the snapshot's since it stores the towns' sections
    (issue 15 §1): cached like the county's, under a key of their own for each town."""
    client = client_for(town_officer)
    built = fresh(client, url=TOWN_DASHBOARD)
    with CaptureQueriesContext(connection) as queries:
        cached = page(client, url=TOWN_DASHBOARD)
    assert cached == built
    read = " ".join(q["sql"] for q in queries)
    assert '"reports_snapshotfigure"."population"' not in read
    assert '"reports_snapshotindicator"."principal_population"' not in read
    assert 'data-target="T1"' in cached and "dashboard-charts" in cached
    keys = {
        client.get(TOWN_DASHBOARD, PARAMS).context["fragment_key"],
        client_for(UserFactory(town_officer=True, town=other_town))
        .get(TOWN_DASHBOARD, PARAMS)
        .context["fragment_key"],
        client_for(leader).get(DASHBOARD, PARAMS).context["fragment_key"],
    }
    assert len(keys) == 3 and "" not in keys
    # A new snapshot of the day, and the town renamed, show at once.
    build_county([home_town], size=2)
    snapshots.snapshot_take(as_of=D, kind="on_demand")
    after = page(client, url=TOWN_DASHBOARD)
    assert after != cached and after == fresh(client, url=TOWN_DASHBOARD)
    home_town.name = "改名镇"
    home_town.save()
    assert "改名镇首席质量官工作看板" in page(client, url=TOWN_DASHBOARD)


def test_a_town_dashboard_from_a_snapshot_without_the_towns_sections_is_not_cached(
    home_town, other_town, town_officer, client_for, monkeypatch
):
    """Taken before snapshots stored the towns' sections: its figures are computed live."""
    from reports import statistics

    build_county([home_town, other_town])
    real = statistics.compute_all

    def without_crossings(*args, **kwargs):
        kwargs.pop("by_town_industry", None)
        return real(*args, **kwargs)

    monkeypatch.setattr(statistics, "compute_all", without_crossings)
    snapshots.snapshot_take(as_of=D, kind="on_demand")
    monkeypatch.undo()
    response = client_for(town_officer).get(TOWN_DASHBOARD, PARAMS)
    assert response.context["fragment_key"] == ""
    assert response.context["cards"][0].industries


def test_a_target_the_snapshot_lacks_is_never_cached(county, leader, client_for):
    """Its figure is computed live (it would go stale in a cached fragment)."""
    t1 = Target.objects.get(code="T1")
    TargetFactory(
        code="T9",
        name="快照之后新增的目标",
        population=t1.population,
        criterion=t1.criterion,
        deadline=t1.deadline,
        goal_rate=t1.goal_rate,
    )
    response = client_for(leader).get(DASHBOARD, PARAMS)
    assert response.context["fragment_key"] == ""
    assert "快照之后新增的目标" in response.content.decode()
