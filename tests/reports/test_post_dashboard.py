"""The dashboards and drill-downs of a post's targets (issue 19): the post selector (the CQO's
by default, as before), the post's figures per town, the lists behind them — the same sets as
the figures, scoped to the user's town —, their export, and the snapshot's figures."""

from datetime import date

import pytest
from django.urls import reverse

from reports import snapshots, statistics
from reports.models import Criterion, Population, Target
from tests.factories import (
    AppointmentFactory,
    EnterpriseFactory,
    PersonFactory,
    TargetFactory,
    TrainingAttendanceFactory,
    TrainingSessionFactory,
)

pytestmark = pytest.mark.django_db

D = date(2024, 6, 30)
DASHBOARD = reverse("reports:dashboard")
TOWN_DASHBOARD = reverse("reports:town_dashboard")


def explain(code: str) -> str:
    return reverse("reports:explain", args=[code])


def explain_count(code: str) -> str:
    """The count of the list, fetched after its page (no snapshot of the date)."""
    return reverse("reports:explain_count", args=[code])


@pytest.fixture
def food(home_town, other_town):
    """Food-safety officers' targets over three food enterprises: two in the home town (one
    filled by two officers, one vacant), one in the other town (filled); one of the home
    town's officers has this year's 40 hours."""
    filled = EnterpriseFactory(
        town=home_town,
        name="城关食品厂",
        scale="sme",
        requires_cqo=False,
        licence_food_production=True,
    )
    EnterpriseFactory(
        town=home_town,
        name="城关超市",
        scale="micro",
        requires_cqo=False,
        licence_food_trading=True,
    )
    away = EnterpriseFactory(
        town=other_town,
        name="双墩酒厂",
        scale="sme",
        requires_cqo=False,
        licence_food_production=True,
    )
    trained, untrained, far = (
        PersonFactory(name="李食安"),
        PersonFactory(name="王食安"),
        PersonFactory(name="赵食安"),
    )
    for enterprise, person in ((filled, trained), (filled, untrained), (away, far)):
        AppointmentFactory(
            enterprise=enterprise,
            person=person,
            post_id="food_officer",
            position="食品安全员",
            appointed_on=date(2023, 3, 1),
        )
    session = TrainingSessionFactory(starts_on=date(2024, 4, 1), ends_on=date(2024, 4, 5), hours=40)
    TrainingAttendanceFactory(session=session, person=trained, hours=None)
    required = TargetFactory(
        code="FS2",
        name="食品安全员配备到位",
        post_id="food_officer",
        population=Population.POST_REQUIRED,
        criterion=Criterion.POST_FILLED,
        deadline=date(2024, 12, 31),
    )
    holders = TargetFactory(
        code="FS3",
        name="食品安全员年度培训达标",
        post_id="food_officer",
        population=Population.POST_HOLDERS,
        criterion=Criterion.POST_TRAINED,
        deadline=date(2024, 12, 31),
    )
    return {"required": required, "holders": holders, "filled": filled, "away": away}


def cards(response):
    return {card.target.code: card for card in response.context["cards"]}


def test_the_cqo_is_the_default_and_its_page_has_no_post_targets(food, county, client_for, leader):
    response = client_for(leader).get(DASHBOARD, {"as_of": D.isoformat()})
    assert response.status_code == 200
    assert set(cards(response)) == {"T1", "T2", "T3"}
    content = response.content.decode()
    assert "data-post-select" in content and 'value="food_officer"' in content
    assert 'id="indicators-heading"' in content


def test_a_posts_dashboard_shows_its_figures_per_town(food, client_for, leader):
    response = client_for(leader).get(DASHBOARD, {"as_of": D.isoformat(), "post": "food_officer"})
    assert response.status_code == 200
    shown = cards(response)
    assert set(shown) == {"FS2", "FS3"}
    assert shown["FS2"].total == statistics.Figure(3, 2)
    assert {row.label: row.figure for row in shown["FS2"].towns} == {
        "城关镇": statistics.Figure(2, 1),
        "双墩镇": statistics.Figure(1, 1),
    }
    assert shown["FS3"].total == statistics.Figure(3, 1)
    content = response.content.decode()
    assert "全县食品安全员工作统计看板" in content
    assert 'id="indicators-heading"' not in content  # the CQO's other indicators
    assert f"{explain('FS2')}?as_of={D.isoformat()}" in content
    assert "已配备" in content and "培训达标" in content


def test_the_selector_offers_the_posts_with_targets(food, client_for, leader):
    response = client_for(leader).get(DASHBOARD)
    assert response.context["posts"] == [("cqo", "首席质量官"), ("food_officer", "食品安全员")]
    # A post without a target is not offered: asking for it says so.
    response = client_for(leader).get(DASHBOARD, {"post": "quality_officer"})
    assert response.status_code == 200
    assert 'id="post-errors"' in response.content.decode()


def test_without_other_posts_targets_the_cqo_page_has_no_selector(county, client_for, leader):
    response = client_for(leader).get(DASHBOARD, {"as_of": D.isoformat()})
    assert "data-post-select" not in response.content.decode()


@pytest.mark.parametrize("value", ["nope", "cqo'--", "9" * 500])
def test_an_unknown_post_is_a_message_not_an_error(value, client_for, leader):
    response = client_for(leader).get(DASHBOARD, {"post": value})
    assert response.status_code == 200
    assert 'id="post-errors"' in response.content.decode()


def test_a_town_officer_sees_their_towns_figures_of_a_post(food, client_for, town_officer):
    response = client_for(town_officer).get(
        TOWN_DASHBOARD, {"as_of": D.isoformat(), "post": "food_officer"}
    )
    assert response.status_code == 200
    shown = cards(response)
    assert shown["FS2"].total == statistics.Figure(2, 1)
    assert shown["FS3"].total == statistics.Figure(2, 1)
    assert "城关镇食品安全员工作看板" in response.content.decode()


def rows(response):
    return [row.name for row in response.context["page"].object_list]


def test_the_enterprises_behind_a_posts_figure(food, client_for, leader):
    client = client_for(leader)
    response = client.get(explain("FS2"), {"as_of": D.isoformat()})
    assert response.status_code == 200
    assert rows(response) == ["城关超市", "城关食品厂", "双墩酒厂"]  # town, then name
    content = response.content.decode()
    assert 'data-holders="2"' in content  # the food factory's two officers
    counted = client.get(explain_count("FS2"), {"as_of": D.isoformat()})
    totals = counted.context["totals"]
    assert (totals.population, totals.counted) == (3, 2)
    assert "须设食品安全员的企业" in counted.content.decode()
    assert f"{DASHBOARD}?as_of={D.isoformat()}&amp;post=food_officer" in content
    missing = client.get(explain("FS2"), {"as_of": D.isoformat(), "show": "missing"})
    assert rows(missing) == ["城关超市"]
    missing_row = missing.context["page"].object_list[0]
    # Vacant since the regulation took effect (the enterprise is older).
    assert missing_row.shown_vacancy_start == date(2022, 11, 1)


def test_the_persons_behind_a_posts_training_figure(food, client_for, reviewer):
    client = client_for(reviewer)
    response = client.get(explain("FS3"), {"as_of": D.isoformat()})
    assert response.status_code == 200
    page = response.context["page"].object_list
    assert [(p.name, p.counted, p.hours) for p in page] == [
        ("李食安", True, 40),
        ("王食安", False, None),
        ("赵食安", False, None),
    ]
    summary = client.get(
        explain_count("FS3"), {"as_of": D.isoformat()}, HTTP_ACCEPT="application/json"
    ).json()["summary"]
    assert "不少于 40 学时" in summary


def test_a_town_officer_lists_only_their_town(food, client_for, town_officer, other_town):
    client = client_for(town_officer)
    response = client.get(explain("FS2"), {"as_of": D.isoformat()})
    assert rows(response) == ["城关超市", "城关食品厂"]
    persons = client.get(explain("FS3"), {"as_of": D.isoformat()})
    assert [p.name for p in persons.context["page"].object_list] == ["李食安", "王食安"]
    assert client.get(explain("FS2"), {"town": other_town.pk}).status_code == 404


@pytest.mark.parametrize("role", ["enterprise_user", "no_role_user"])
def test_other_roles_may_not_list_a_posts_figure(role, food, client_for, request):
    client = client_for(request.getfixturevalue(role))
    assert client.get(explain("FS2")).status_code == 403
    assert client.get(DASHBOARD, {"post": "food_officer"}).status_code == 403


def test_the_lists_count_what_the_snapshot_stored(food, client_for, leader):
    snapshots.snapshot_take(as_of=D, kind="on_demand")
    response = client_for(leader).get(explain("FS3"), {"as_of": D.isoformat()})
    assert response.context["totals_run"] is not None
    assert response.context["totals"] == statistics.Figure(3, 1)
    dashboard = client_for(leader).get(DASHBOARD, {"as_of": D.isoformat(), "post": "food_officer"})
    assert cards(dashboard)["FS2"].total == statistics.Figure(3, 2)
    assert [row.figure for row in cards(dashboard)["FS2"].trend] == [statistics.Figure(3, 2)]


def test_a_posts_list_exports_its_rows(food, client_for, leader):
    response = client_for(leader).get(
        reverse("reports:explain_export", args=["FS3"]), {"as_of": D.isoformat()}
    )
    assert response.status_code == 200
    import io

    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    names = [row[0] for row in values]
    assert {"李食安", "王食安", "赵食安"} <= set(names)
    header = next(row for row in values if "本年度培训学时" in row)
    hours = header.index("本年度培训学时")
    assert [row[hours] for row in values if row[0] == "李食安"] == [40]


@pytest.mark.parametrize("code", ["FS2", "FS3"])
def test_each_post_list_is_its_figures_set(code, food, client_for, leader):
    """The post kinds' lists against their figures (as tests/reports/test_drilldown.py does
    for the CQO's kinds): every row, the counted ones, the missing ones."""
    from reports import selectors

    explained = selectors.explained_for_code(code)
    assert explained.kind in selectors.POST_KINDS.values()
    figure = statistics.compute_target(explained.target, D).total
    listed = selectors.explain_rows(explained, D, user=leader)
    assert selectors.explain_totals(listed) == figure
    counted = selectors.filter_show(listed, selectors.SHOW_COUNTED)
    page = selectors.explain_page_rows(
        explained, D, list(listed.values_list("pk", flat=True)), user=leader
    )
    assert {row.pk for row in page if row.counted} == set(counted.values_list("pk", flat=True))
    headers = [header for header, _width, _value in explained.kind.columns(explained, D, leader)]
    assert len(headers) == len(set(headers))


def test_the_bureau_admin_defines_a_post_target_in_the_admin(client_for, bureau_admin, leader):
    client = client_for(bureau_admin)
    add = reverse("admin:reports_target_add")
    form = {
        "code": "SE2",
        "name": "特种设备安全员配备到位",
        "post": "special_equipment_officer",
        "population": Population.ABOVE_SCALE,
        "criterion": Criterion.FILED_CURRENT,
        "deadline": "2026-12-31",
        "goal_rate": "1",
    }
    # A CQO population for another post is refused in words, and nothing is saved.
    refused = client.post(add, form)
    assert refused.status_code == 200
    assert "该统计对象只适用于首席质量官岗位" in refused.content.decode()
    assert not Target.objects.filter(code="SE2").exists()
    form.update(population=Population.POST_REQUIRED, criterion=Criterion.POST_FILLED)
    assert client.post(add, form).status_code == 302
    target = Target.objects.get(code="SE2")
    assert (target.post_id, target.population) == ("special_equipment_officer", "post_required")
    response = client_for(leader).get(DASHBOARD, {"post": "special_equipment_officer"})
    assert list(cards(response)) == ["SE2"]
