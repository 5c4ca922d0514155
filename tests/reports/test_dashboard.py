"""The leaders' and town officers' dashboards: who may see them, figures at any date,
scoped to the town for town officers, and a query count that does not grow with the data."""

import html
import re
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from appointments.models import Filing
from cqo_registry import data_version
from tests.caching import clear_caches
from tests.factories import (
    AppointmentFactory,
    EnterpriseFactory,
    FilingFactory,
    TrainingAttendanceFactory,
)
from tests.reports.test_drilldown import build_county, fetched_count

D = date(2021, 6, 30)
DASHBOARD = reverse("reports:dashboard")
TOWN_DASHBOARD = reverse("reports:town_dashboard")

pytestmark = pytest.mark.django_db


def cards(response):
    return {card.target.code: card for card in response.context["cards"]}


@pytest.mark.parametrize("role", ["leader", "bureau_admin", "reviewer"])
def test_county_roles_see_the_county_dashboard(role, county, client_for, request):
    response = client_for(request.getfixturevalue(role)).get(DASHBOARD, {"as_of": "2022-12-31"})
    assert response.status_code == 200
    t1 = cards(response)["T1"]
    assert (t1.total.population, t1.total.counted) == (3, 3)
    assert t1.met
    assert [row.label for row in t1.towns] == ["城关镇", "双墩镇"]
    content = response.content.decode()
    assert "vendor/echarts/echarts.min.js" in content
    assert 'id="chart-towns-T1"' in content
    assert f"{reverse('reports:explain', args=['T1'])}?as_of=2022-12-31" in content


@pytest.mark.parametrize("role", ["enterprise_user", "town_officer", "no_role_user"])
def test_other_roles_get_403_on_the_county_dashboard(role, client_for, request):
    assert client_for(request.getfixturevalue(role)).get(DASHBOARD).status_code == 403


@pytest.mark.parametrize("role", ["enterprise_user", "leader", "bureau_admin"])
def test_only_town_officers_use_the_town_dashboard(role, client_for, request):
    assert client_for(request.getfixturevalue(role)).get(TOWN_DASHBOARD).status_code == 403


def test_anonymous_goes_to_login(client_for):
    response = client_for(None).get(DASHBOARD)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_town_officer_sees_only_their_town(county, town_officer, client_for):
    response = client_for(town_officer).get(TOWN_DASHBOARD, {"as_of": "2022-12-31"})
    assert response.status_code == 200
    t1 = cards(response)["T1"]
    assert (t1.total.population, t1.total.counted) == (2, 2)
    assert t1.towns == []
    content = response.content.decode()
    assert "城关镇" in content
    assert "双墩镇" not in content
    assert county.outsider_enterprise.name not in content
    assert f"town={town_officer.town_id}" in content


def test_default_date_is_today(county, leader, client_for):
    response = client_for(leader).get(DASHBOARD)
    assert response.context["day"] == timezone.localdate()


def test_replay_shows_the_old_figure(county, leader, client_for):
    # The factories' appointments start on 2021-01-04 and are filed a week later.
    client = client_for(leader)
    before = cards(client.get(DASHBOARD, {"as_of": "2021-01-05"}))["T1"]
    after = cards(client.get(DASHBOARD, {"as_of": "2021-01-31"}))["T1"]
    assert (before.total.counted, before.total.population) == (0, 3)
    assert not before.met and before.days_to_deadline == 26
    assert (after.total.counted, after.total.population) == (3, 3)
    assert after.met and after.days_to_deadline == 0


def test_deadline_passed_without_meeting_the_goal_is_overdue(county, leader, client_for):
    EnterpriseFactory(town=county.home_enterprise.town)
    t1 = cards(client_for(leader).get(DASHBOARD, {"as_of": "2021-03-02"}))["T1"]
    assert not t1.met
    assert t1.overdue and t1.days_overdue == 30
    assert (
        "逾期未达标" in client_for(leader).get(DASHBOARD, {"as_of": "2021-03-02"}).content.decode()
    )


@pytest.mark.parametrize("bad", ["2021-02-30", "yesterday", "2021/06/30"])
def test_bad_date_is_a_form_error(bad, county, leader, client_for):
    response = client_for(leader).get(DASHBOARD, {"as_of": bad})
    assert response.status_code == 200
    assert response.context["form"].errors["as_of"]
    assert response.context["cards"] == []
    assert "请输入有效日期" in response.content.decode()


def test_future_date_is_refused(county, leader, client_for):
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = client_for(leader).get(DASHBOARD, {"as_of": tomorrow.isoformat()})
    assert response.status_code == 200
    assert response.context["form"].errors["as_of"]


def test_industry_breakdown_uses_section_names(county, leader, client_for):
    response = client_for(leader).get(DASHBOARD, {"as_of": "2022-12-31"})
    assert [row.label for row in cards(response)["T1"].industries] == ["C 制造业"]


def test_indicators(home_town, leader, client_for, settings):
    settings.CQO_VACANCY_LIMIT_DAYS = 30
    principal = AppointmentFactory(enterprise=EnterpriseFactory(town=home_town), is_principal=True)
    TrainingAttendanceFactory(person=principal.person)
    AppointmentFactory(enterprise=EnterpriseFactory(town=home_town))
    FilingFactory(appointment=principal, is_late=True)
    Filing.objects.update(submitted_at=timezone.make_aware(timezone.datetime(2021, 3, 1)))
    vacant = EnterpriseFactory(town=home_town)
    vacant.__class__.objects.filter(pk=vacant.pk).update(
        created_at=timezone.make_aware(timezone.datetime(2021, 1, 1))
    )
    response = client_for(leader).get(DASHBOARD, {"as_of": D.isoformat()})
    indicators = response.context["indicators"]
    assert (indicators.principal.counted, indicators.principal.population) == (1, 2)
    assert (indicators.late_in_year.counted, indicators.late_in_year.population) == (1, 1)
    assert indicators.vacancies == 1 and indicators.overdue_vacancies == 1
    training = response.context["training"]
    assert (training.total.counted, training.total.population) == (0, 2)
    assert response.context["principal_rate"] == "50.0%"


def count_queries(client, url, params):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, params).status_code == 200
    return len(queries)


@pytest.mark.parametrize("user, url", [("leader", DASHBOARD), ("town_officer", TOWN_DASHBOARD)])
def test_query_count_does_not_grow_with_the_data(
    user, url, home_town, other_town, client_for, request
):
    client = client_for(request.getfixturevalue(user))
    params = {"as_of": D.isoformat()}
    build_county([home_town])  # 8 enterprises
    client.get(url, params)  # warm the session
    small = count_queries(client, url, params)
    build_county([home_town, other_town], size=4)  # 72 more
    assert count_queries(client, url, params) == small


REGISTRY_TABLES = (
    "enterprises_enterprise",
    "enterprises_person",
    "appointments_appointment",
    "appointments_filing",
    "training_trainingattendance",
)


def test_from_a_snapshot_the_dashboard_runs_no_query_over_the_registry(
    home_town, other_town, leader, client_for
):
    """The figures and the other indicators of a stored date are read from the snapshot: the
    number of queries is constant and none of them reads the registry itself."""
    from reports import snapshots

    client = client_for(leader)
    params = {"as_of": D.isoformat()}
    build_county([home_town])
    snapshots.snapshot_take(as_of=D, kind="on_demand")
    client.get(DASHBOARD, params)  # warm the session
    # The figures' fragments are cached, and what the page reads first is kept per process:
    # measure the page that builds them.
    clear_caches()
    data_version.forget_kept()
    with CaptureQueriesContext(connection) as small:
        response = client.get(DASHBOARD, params)
    assert not [q["sql"] for q in small if any(t in q["sql"] for t in REGISTRY_TABLES)]
    build_county([home_town, other_town], size=4)
    snapshots.snapshot_take(as_of=D, kind="on_demand")
    clear_caches()
    assert count_queries(client, DASHBOARD, params) == len(small)
    # Every explain link points at the explain page of its code and the date.
    content = response.content.decode()
    for code in ("T1", "T2", "T3", "VACANCY", "PRINCIPAL", "LATE", "LATE_ALL"):
        assert f'href="{reverse("reports:explain", args=[code])}?as_of={D.isoformat()}' in content


def figures_of(response):
    """Each card's town figure and its industry rows, as the page shows them."""
    return {
        code: (card.result.total, [(row.label, row.figure) for row in card.industries])
        for code, card in cards(response).items()
    }


def test_from_a_snapshot_the_town_dashboard_runs_no_query_over_the_registry(
    home_town, other_town, town_officer, client_for
):
    """A town officer's dashboard of a stored date reads its figures, with the town's
    industry breakdown, and its indicators from the snapshot (issue 15 §1): the same figures
    as computed live, a constant number of queries, none over the registry itself."""
    from reports import snapshots

    client = client_for(town_officer)
    params = {"as_of": D.isoformat()}
    build_county([home_town, other_town])
    client.get(TOWN_DASHBOARD, params)  # warm the session
    live = figures_of(client.get(TOWN_DASHBOARD, params))
    snapshots.snapshot_take(as_of=D, kind="on_demand")
    # The figures' fragments are cached, and what the page reads first is kept per process:
    # measure the page that builds them.
    clear_caches()
    data_version.forget_kept()
    with CaptureQueriesContext(connection) as small:
        response = client.get(TOWN_DASHBOARD, params)
    assert not [q["sql"] for q in small if any(t in q["sql"] for t in REGISTRY_TABLES)]
    assert figures_of(response) == live
    assert all(industries for _, industries in live.values())
    # Session, user, town, the figures' data version, run, targets, the fragments' key (the
    # finished runs; the town's indicators stored), confirmation round, notifications, the
    # bureau's profile, figures, one trend per target, indicators. No session save: an
    # unchanged session is written at most once a minute (cqo_registry/sessions.py).
    assert len(small) == 13 + len(live)
    # Cached: neither the figures, the trends nor the indicators are read (nor the bureau's
    # profile of the page's footer, cached too and cleared with the cache above); kept per
    # process while the version stands: the run, the targets and the fragments' key (four).
    assert count_queries(client, TOWN_DASHBOARD, params) == len(small) - 3 - len(live) - 4
    build_county([home_town, other_town], size=4)
    snapshots.snapshot_take(as_of=D, kind="on_demand")
    clear_caches()
    assert count_queries(client, TOWN_DASHBOARD, params) == len(small)


@pytest.mark.parametrize("who", ["leader", "town_officer"])
def test_what_the_dashboard_keeps_follows_every_write(who, home_town, client_for, request):
    """The run, the targets and the fragments' key are kept per process under the data
    version ``figures`` (issue 15 §1): a target renamed by a bulk update (no signal), a new
    snapshot and a renamed town each show on the next request, nothing cleared in between."""
    from reports import snapshots
    from reports.models import Target

    client = client_for(request.getfixturevalue(who))
    path = DASHBOARD if who == "leader" else TOWN_DASHBOARD
    params = {"as_of": D.isoformat()}
    build_county([home_town])
    snapshots.snapshot_take(as_of=D, kind="on_demand")
    first = client.get(path, params)
    assert first.context["fragment_key"] and "T1" in cards(first)
    assert client.get(path, params).context["fragment_key"] == first.context["fragment_key"]

    Target.objects.filter(code="T1").update(name="规上企业首席质量官聘任（改名）")
    renamed = client.get(path, params)
    assert "规上企业首席质量官聘任（改名）" in renamed.content.decode()
    assert renamed.context["fragment_key"] != first.context["fragment_key"]

    newer = snapshots.snapshot_take(as_of=D, kind="on_demand")
    assert (
        client.get(path, params).context["fragment_key"].split(":")[-1]
        != (renamed.context["fragment_key"].split(":")[-1])
    )
    assert snapshots.snapshot_for(D).pk == newer.pk

    type(home_town).objects.filter(pk=home_town.pk).update(name="新城镇")
    assert "新城镇" in client.get(path, params).content.decode()


def test_indicators_are_read_from_the_snapshot_of_the_date(
    home_town, leader, town_officer, client_for
):
    from reports import snapshots

    build_county([home_town])
    live = client_for(leader).get(DASHBOARD, {"as_of": D.isoformat()}).context["indicators"]
    snapshots.snapshot_take(as_of=D, kind="on_demand")
    EnterpriseFactory(town=home_town)  # entered after the snapshot: a new vacancy at D
    county_view = client_for(leader).get(DASHBOARD, {"as_of": D.isoformat()})
    assert county_view.context["indicators"] == live
    town_view = client_for(town_officer).get(TOWN_DASHBOARD, {"as_of": D.isoformat()})
    assert town_view.context["indicators"].vacancies == live.vacancies
    # Another date, without a snapshot, is computed live and sees the new enterprise.
    later = client_for(leader).get(DASHBOARD, {"as_of": "2021-07-01"}).context["indicators"]
    assert later.vacancies == live.vacancies + 1


def test_trend_comes_from_the_snapshots(county, leader, town_officer, client_for, monkeypatch):
    from reports import snapshots
    from reports.statistics import Figure

    asked = []

    def trend(target, *, town=None):
        asked.append((target.code, town))
        return [(date(2021, 1, 31), Figure(4, 1)), (date(2021, 12, 31), Figure(4, 3))]

    monkeypatch.setattr(snapshots, "trend", trend)
    response = client_for(leader).get(DASHBOARD, {"as_of": "2022-12-31"})
    t1 = cards(response)["T1"]
    assert [(row.label, row.rate_text) for row in t1.trend] == [
        ("2021-01-31", "25.0%"),
        ("2021-12-31", "75.0%"),
    ]
    assert 'id="chart-trend-T1"' in response.content.decode()
    assert ("T1", None) in asked
    client_for(town_officer).get(TOWN_DASHBOARD)
    assert ("T1", town_officer.town) in asked


def test_without_snapshots_the_trend_says_so(county, leader, client_for, monkeypatch):
    from reports import snapshots

    monkeypatch.setattr(snapshots, "trend", lambda target, *, town=None: [])
    response = client_for(leader).get(DASHBOARD)
    assert 'id="chart-trend-T1"' not in response.content.decode()
    assert "暂无统计快照" in response.content.decode()


def test_bureau_staff_get_the_recompute_button(county, bureau_admin, leader, client_for):
    recompute = reverse("reports:snapshot_recompute")
    assert recompute in client_for(bureau_admin).get(DASHBOARD).content.decode()
    assert recompute not in client_for(leader).get(DASHBOARD).content.decode()


# Every figure of the indicators section, by its data-indicator name: (code, show) of the list
# it links to, and how the number shown is read from that list.
INDICATOR_LINKS = {
    "principal": ("PRINCIPAL", None, "rate"),
    "principal-counted": ("PRINCIPAL", "counted", "count"),
    "principal-population": ("PRINCIPAL", None, "count"),
    "late-year": ("LATE", "counted", "count"),
    "late-year-population": ("LATE", None, "count"),
    "late-year-rate": ("LATE", None, "rate"),
    "late-total": ("LATE_ALL", "counted", "count"),
    "late-total-population": ("LATE_ALL", None, "count"),
    "vacancies": ("VACANCY", None, "count"),
    "overdue-vacancies": ("VACANCY", "counted", "count"),
    "training": ("T3", None, "rate"),
    "training-counted": ("T3", "counted", "count"),
    "training-population": ("T3", None, "count"),
}
LINK = re.compile(r'<a href="([^"]+)"[^>]*data-indicator="([^"]+)"[^>]*>([^<]+)</a>')


@pytest.mark.parametrize("user, url", [("leader", DASHBOARD), ("town_officer", TOWN_DASHBOARD)])
def test_every_indicator_figure_links_to_its_list(
    user, url, home_town, other_town, client_for, request, settings
):
    """Each number of the indicators section is a link to the list behind it, and that list
    (followed as the user) holds exactly that many rows, or that rate."""
    settings.CQO_VACANCY_LIMIT_DAYS = 30
    client = client_for(request.getfixturevalue(user))
    build_county([home_town, other_town])
    content = client.get(url, {"as_of": D.isoformat()}).content.decode()
    section = content.split('id="indicators-heading"')[1].split("</section>")[0]
    found = {
        name: (html.unescape(href), text.strip()) for href, name, text in LINK.findall(section)
    }
    assert set(found) == set(INDICATOR_LINKS)
    for name, (code, show, reading) in INDICATOR_LINKS.items():
        href, shown = found[name]
        assert href.startswith(f"{reverse('reports:explain', args=[code])}?as_of={D.isoformat()}")
        assert (f"&show={show}" in href) == bool(show), name
        assert (f"&town={home_town.pk}" in href) == (user == "town_officer"), name
        response = client.get(href)
        assert response.status_code == 200, name
        # No snapshot of D: the list's count comes after its page, as its script fetches it.
        figure = fetched_count(client, href)
        if reading == "count":
            assert str(figure["count"]) == shown, name
        else:
            assert (figure["rate"] or "—") == shown, name
    # No number of the section is left bare (outside a link).
    # No number of the section is left bare (outside a link) but the year and the vacancy
    # limit (a setting), which are not figures.
    bare = re.sub(r"<a [^>]*>[^<]*</a>|<[^>]+>", "", section)
    bare = bare.replace(f"{D.year} 年", "").replace("超过 30 天", "")
    assert not re.search(r"\d", bare), bare


@pytest.mark.parametrize("user, url", [("leader", DASHBOARD), ("town_officer", TOWN_DASHBOARD)])
def test_every_count_of_the_breakdown_tables_is_a_link(
    user, url, home_town, other_town, client_for, request, monkeypatch
):
    from reports import snapshots
    from reports.statistics import Figure

    monkeypatch.setattr(
        snapshots, "trend", lambda target, *, town=None: [(date(2021, 1, 31), Figure(4, 1))]
    )
    client = client_for(request.getfixturevalue(user))
    build_county([home_town, other_town])
    content = client.get(url, {"as_of": D.isoformat()}).content.decode()
    cells = re.findall(r'<td class="text-end">(.*?)</td>', content, flags=re.S)
    assert cells and all(cell.startswith('<a href="') for cell in cells)
