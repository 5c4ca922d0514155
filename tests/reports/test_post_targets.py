"""Targets per post (issue 19): a post's enterprises (filled when they have a filed current
holder) and its holders (trained when they have the post's yearly hours), with the edges —
at-least-one posts, dismissed holders, holders filed after D, inactive enterprises, hours
outside the year or not attended —, snapshots and replay, and the CQO's T1–T3 figures left as
they were."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from appointments import posts
from appointments.models import CQO_POST, PostType
from reports import snapshots, statistics
from reports.models import Criterion, Population, Target
from tests.factories import (
    AppointmentFactory,
    EnterpriseFactory,
    PersonFactory,
    TargetFactory,
    TownFactory,
    TrainingAttendanceFactory,
    TrainingSessionFactory,
)

pytestmark = pytest.mark.django_db

D = date(2024, 6, 30)


def post(code: str) -> PostType:
    return PostType.objects.get(code=code)


def post_target(code: str, post_code: str, population: str, **extra) -> Target:
    criterion = {
        Population.POST_REQUIRED: Criterion.POST_FILLED,
        Population.POST_HOLDERS: Criterion.POST_TRAINED,
    }[population]
    return TargetFactory(
        code=code,
        name=f"{post_code} {population}",
        post_id=post_code,
        population=population,
        criterion=criterion,
        deadline=extra.pop("deadline", date(2024, 12, 31)),
        **extra,
    )


def food_enterprise(town, **fields):
    fields.setdefault("licence_food_production", True)
    fields.setdefault("requires_cqo", False)
    fields.setdefault("scale", "sme")
    return EnterpriseFactory(town=town, **fields)


def hold(enterprise, code, person=None, **fields):
    fields.setdefault("appointed_on", date(2023, 1, 2))
    return AppointmentFactory(
        enterprise=enterprise, post_id=code, person=person or PersonFactory(), **fields
    )


def session(starts_on, hours=16):
    return TrainingSessionFactory(
        starts_on=starts_on, ends_on=starts_on + timedelta(days=1), hours=hours
    )


@pytest.fixture
def county():
    """Two towns of food enterprises and their food-safety officers (an at-least-one post
    asking for 40 hours a year), with every edge the figures must get right."""
    a, b = TownFactory(name="甲镇"), TownFactory(name="乙镇")
    two = food_enterprise(a, name="两名安全员")  # filled, by two holders
    p1, p2 = PersonFactory(name="学时够"), PersonFactory(name="去年学时")
    hold(two, "food_officer", p1)
    hold(two, "food_officer", p2)
    dismissed = food_enterprise(a, name="已解聘", licence_food_production=False)
    dismissed.licence_food_trading = True
    dismissed.save()
    hold(dismissed, "food_officer", ended_on=date(2024, 3, 1), end_reason="dismissed")
    pending = food_enterprise(a, name="待审核")
    hold(pending, "food_officer", filed_on=None)
    late = food_enterprise(b, name="D后备案")
    hold(late, "food_officer", appointed_on=date(2024, 6, 1), filed_on=D + timedelta(days=1))
    gone = food_enterprise(b, name="已注销", deregistered_on=date(2024, 1, 1))
    hold(gone, "food_officer")
    food_enterprise(b, name="D后成立", established_on=D + timedelta(days=1))
    voluntary = EnterpriseFactory(town=b, name="无许可证自愿设", scale="sme", requires_cqo=False)
    p5 = PersonFactory(name="D后培训")
    hold(voluntary, "food_officer", p5)
    # Hours: p1 24 + 16 (hours of the session: the attendance gives none) = 40 by D;
    # p2 40 last year and 8 not attended this year; p5 48 in a session starting after D.
    TrainingAttendanceFactory(person=p1, session=session(date(2024, 3, 1)), hours=24)
    TrainingAttendanceFactory(person=p1, session=session(date(2024, 6, 30)), hours=None)
    TrainingAttendanceFactory(person=p2, session=session(date(2023, 9, 1)), hours=40)
    TrainingAttendanceFactory(
        person=p2, session=session(date(2024, 2, 1)), hours=8, attended=False, passed=False
    )
    TrainingAttendanceFactory(person=p5, session=session(date(2024, 7, 5)), hours=48)
    return {"a": a, "b": b, "p1": p1, "p2": p2, "p5": p5, "voluntary": voluntary}


def test_a_posts_enterprises_are_the_active_ones_that_must_fill_it(county):
    target = post_target("F1", "food_officer", Population.POST_REQUIRED)
    result = statistics.compute_target(target, D)
    # Two holders, dismissed, pending, filed after D; not the deregistered, the one not yet
    # established or the one without a licence.
    assert (result.total.population, result.total.counted) == (4, 1)
    assert result.by_town["甲镇"] == statistics.Figure(3, 1)
    assert result.by_town["乙镇"] == statistics.Figure(1, 0)
    assert result.by_industry["C"] == statistics.Figure(4, 1)
    # The day after D the late filing counts.
    assert statistics.compute_target(target, D + timedelta(days=1)).total.counted == 2


def test_a_holder_dismissed_on_d_no_longer_fills_the_post(county):
    target = post_target("F1", "food_officer", Population.POST_REQUIRED)
    assert statistics.compute_target(target, date(2024, 2, 29)).total.counted == 2
    assert statistics.compute_target(target, date(2024, 3, 1)).total.counted == 1


def test_a_single_holder_post_counts_its_holder(county):
    director = food_enterprise(county["a"], name="有总监")
    hold(director, "food_director")
    food_enterprise(county["a"], name="无总监")
    food_enterprise(county["a"], name="微型不需总监", scale="micro")
    target = post_target("F2", "food_director", Population.POST_REQUIRED)
    result = statistics.compute_target(target, D)
    # The food enterprises of the fixture are SMEs too (directors: above and SME only).
    assert (result.total.population, result.total.counted) == (6, 1)


def test_a_posts_holders_are_trained_with_the_yearly_hours(county):
    target = post_target("F3", "food_officer", Population.POST_HOLDERS)
    result = statistics.compute_target(target, D)
    # p1, p2 and p5 hold the post at D in active enterprises; p1 alone has 40 hours of 2024.
    assert (result.total.population, result.total.counted) == (3, 1)
    assert result.by_town["甲镇"] == statistics.Figure(2, 1)
    assert result.by_town["乙镇"] == statistics.Figure(1, 0)
    # p5's session starts after D: counted once it has started; the year's hours start over.
    assert statistics.compute_target(target, date(2024, 7, 5)).total.counted == 2
    assert statistics.compute_target(target, date(2025, 1, 1)).total.counted == 0


def test_a_post_without_hours_is_trained_by_a_passed_training(county):
    director = food_enterprise(county["b"], name="质量总监")
    director.licence_ccc = True
    director.save()
    trained, untrained = PersonFactory(), PersonFactory()
    hold(director, "quality_director", trained)
    hold(food_enterprise(county["b"], licence_ccc=True), "quality_director", untrained)
    TrainingAttendanceFactory(person=trained, session=session(date(2020, 5, 1)), passed=True)
    assert post("quality_director").training_hours == 0
    target = post_target("Q3", "quality_director", Population.POST_HOLDERS)
    assert statistics.compute_target(target, D).total == statistics.Figure(2, 1)


def test_the_engine_agrees_with_the_board(county):
    """A holder the statistics count as trained is one whose board row meets the hours."""
    target = post_target("F3", "food_officer", Population.POST_HOLDERS)
    two = county["p1"].appointments.get().enterprise
    (row,) = [r for r in posts.enterprise_board(two, D) if r.post.code == "food_officer"]
    hours = {h.name: h.hours for h in row.holders}
    assert hours == {"学时够": Decimal(40), "去年学时": Decimal(0)}
    assert statistics.compute_target(target, D).by_town["甲镇"].counted == 1


def test_a_town_officers_figures_are_their_towns(county):
    target = post_target("F1", "food_officer", Population.POST_REQUIRED)
    (result,) = statistics.compute_all(D, [target], town=county["b"])
    assert result.total == statistics.Figure(1, 0)
    assert list(result.by_town) == ["乙镇"]


def test_post_targets_are_snapshotted_and_replayed(county):
    required = post_target("F1", "food_officer", Population.POST_REQUIRED)
    holders = post_target("F3", "food_officer", Population.POST_HOLDERS)
    run = snapshots.snapshot_take(as_of=D, kind="on_demand")
    for target in (required, holders):
        live = statistics.compute_target(target, D)
        assert snapshots.stored_figure(run, target) == live.total
        assert snapshots.stored_figure(run, target, town_id=county["a"].pk) == live.by_town["甲镇"]
    stored = {f.target.code: f.total for f in snapshots.dashboard_figures(D)}
    assert stored["F1"] == statistics.Figure(4, 1)
    assert stored["F3"] == statistics.Figure(3, 1)
    assert [figure for _day, figure in snapshots.trend(required)] == [statistics.Figure(4, 1)]


def test_the_cqos_figures_do_not_change_with_posts_and_their_targets(county):
    """T1–T3 with other posts' holders, licences and targets beside them: the same figures,
    whether computed alone or with the post targets."""
    cqo_enterprise = EnterpriseFactory(town=county["a"], licence_food_production=True)
    cqo = hold(cqo_enterprise, CQO_POST)
    EnterpriseFactory(town=county["b"], scale="sme", requires_cqo=True)
    TrainingAttendanceFactory(person=cqo.person, session=session(date(2021, 5, 1)))
    notice = list(Target.objects.filter(code__in=["T1", "T2", "T3"]))
    before = statistics.compute_all(D, notice)
    # The CQO also holds the food officer's post elsewhere; another enterprise's food
    # officer holds nothing else.
    hold(cqo_enterprise, "food_officer", cqo.person)
    hold(cqo_enterprise, "food_director")
    post_target("F1", "food_officer", Population.POST_REQUIRED)
    post_target("F3", "food_officer", Population.POST_HOLDERS)
    post_target("C9", CQO_POST, Population.POST_REQUIRED)
    after = statistics.compute_all(D)
    by_code = {r.target.code: r for r in after}
    for result in before:
        again = by_code[result.target.code]
        assert (again.total, again.by_town, again.by_industry) == (
            result.total,
            result.by_town,
            result.by_industry,
        )
    assert by_code["T1"].total == statistics.Figure(1, 1)
    assert by_code["T3"].total == statistics.Figure(1, 1)
    # The CQO's post as a post target: the enterprises requiring a CQO (T1's and T2's).
    t1, t2 = by_code["T1"].total, by_code["T2"].total
    assert by_code["C9"].total == statistics.Figure(
        t1.population + t2.population, t1.counted + t2.counted
    )


def test_a_cqo_population_is_refused_for_another_post():
    target = Target(
        code="X",
        name="x",
        post_id="food_officer",
        population=Population.ABOVE_SCALE,
        criterion=Criterion.FILED_CURRENT,
        deadline=D,
    )
    with pytest.raises(ValidationError) as error:
        target.full_clean()
    assert "population" in error.value.message_dict
    target.post_id, target.criterion = CQO_POST, Criterion.POST_FILLED
    with pytest.raises(ValidationError) as error:
        target.full_clean()
    assert "criterion" in error.value.message_dict
    target.post_id = "food_officer"
    with pytest.raises(IntegrityError), transaction.atomic():
        target.save()


def test_existing_targets_are_the_cqos():
    assert set(Target.objects.values_list("post", flat=True)) == {CQO_POST}
