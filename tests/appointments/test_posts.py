"""Posts (岗位, issue 19): seeded posts, which enterprises must fill which, one current holder
per enterprise and post for single-holder posts, the CQO's figures untouched by other posts,
and the enterprise's board (with the outsider)."""

import itertools
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from appointments import posts, registry, services
from appointments.models import CQO_POST, Appointment, FilingStatus, Holders, PostType
from enterprises.models import Industry, Scale
from reports import eligibility, statistics
from tests.factories import (
    AppointmentFactory,
    EnterpriseFactory,
    FilingFactory,
    PersonFactory,
    TrainingAttendanceFactory,
    TrainingSessionFactory,
)

pytestmark = pytest.mark.django_db

SEEDED = [
    "cqo",
    "food_director",
    "food_officer",
    "quality_director",
    "quality_officer",
    "special_equipment_director",
    "special_equipment_officer",
]


def post(code: str) -> PostType:
    return PostType.objects.get(code=code)


def codes(enterprise, day=None) -> list[str]:
    return [p.code for p in posts.posts_required(enterprise, day)]


# --- Seeded posts and their rules ------------------------------------------------------------


def test_the_cqo_and_the_six_safety_posts_are_seeded_with_their_legal_basis():
    assert list(PostType.objects.values_list("code", flat=True)) == SEEDED
    cqo = post(CQO_POST)
    assert (cqo.name, cqo.requires_cqo, cqo.holders) == ("首席质量官", True, Holders.ONE)
    assert cqo.senior_manager_required and not cqo.scales and not cqo.licences
    food_director, food_officer = post("food_director"), post("food_officer")
    assert "企业落实食品安全主体责任监督管理规定" in food_director.legal_basis
    assert (food_director.holders, food_officer.holders) == (Holders.ONE, Holders.AT_LEAST_ONE)
    assert food_director.training_hours == food_officer.training_hours == 40
    assert set(food_officer.licences) == {"food_production", "food_trading"}
    assert set(post("quality_officer").licences) == {"industrial_product", "ccc"}
    assert post("special_equipment_director").licences == ["special_equipment"]
    assert "2023" in post("special_equipment_officer").legal_basis


def test_an_enterprise_without_licences_must_fill_only_the_cqo_post_as_today():
    assert codes(EnterpriseFactory(scale=Scale.ABOVE)) == ["cqo"]
    assert codes(EnterpriseFactory(scale=Scale.SME, requires_cqo=False)) == []
    assert codes(EnterpriseFactory(scale=Scale.MICRO, requires_cqo=True)) == ["cqo"]


def test_licences_bring_their_posts_and_directors_need_some_size():
    food_maker = EnterpriseFactory(
        scale=Scale.SME, requires_cqo=False, licence_food_production=True
    )
    assert codes(food_maker) == ["food_director", "food_officer"]
    small_shop = EnterpriseFactory(scale=Scale.MICRO, requires_cqo=False, licence_food_trading=True)
    assert codes(small_shop) == ["food_officer"]
    factory = EnterpriseFactory(licence_ccc=True, licence_special_equipment=True)
    assert codes(factory) == [
        "cqo",
        "quality_director",
        "quality_officer",
        "special_equipment_director",
        "special_equipment_officer",
    ]


def test_a_deregistered_enterprise_must_fill_nothing():
    gone = EnterpriseFactory(deregistered_on=date(2022, 1, 1), licence_food_trading=True)
    assert codes(gone, date(2023, 1, 1)) == []
    assert "food_officer" in codes(gone, date(2021, 1, 1))


def test_an_inactive_post_is_required_of_nobody():
    PostType.objects.filter(code="food_officer").update(active=False)
    shop = EnterpriseFactory(scale=Scale.MICRO, requires_cqo=False, licence_food_trading=True)
    assert codes(shop) == []


def test_python_and_query_forms_of_the_rules_agree():
    """Every combination of the attributes the conditions read, against every seeded post and
    a post with every kind of condition set."""
    every_kind = PostType.objects.create(
        code="test_all",
        name="测试岗位",
        scales=[Scale.SME, Scale.MICRO],
        requires_cqo=False,
        industries=[Industry.C, Industry.H],
        high_risk=True,
        licences=["food_trading", "ccc"],
    )
    enterprises = []
    for scale, requires, industry, high_risk, food, ccc in itertools.product(
        Scale.values,
        [True, False],
        [Industry.C, Industry.F],
        [True, False],
        [True, False],
        [True, False],
    ):
        if scale == Scale.ABOVE and not requires:
            continue  # a database constraint
        enterprises.append(
            EnterpriseFactory(
                scale=scale,
                requires_cqo=requires,
                industry=industry,
                high_risk=high_risk,
                licence_food_trading=food,
                licence_ccc=ccc,
            )
        )
    for p in [*PostType.objects.exclude(code="test_all"), every_kind]:
        by_query = set(posts.enterprises_requiring(p).values_list("pk", flat=True))
        by_python = {e.pk for e in enterprises if posts.is_required(p, e)}
        assert by_query == by_python, p.code
    assert posts.enterprises_requiring(every_kind).exists()
    # The CQO's post is SPEC §2's rule.
    cqo = set(posts.enterprises_requiring(post(CQO_POST)).values_list("pk", flat=True))
    assert cqo == {e.pk for e in enterprises if e.requires_cqo}


# --- One current holder per enterprise and post ----------------------------------------------


def test_two_current_cqos_of_one_enterprise_are_refused_by_the_database():
    first = AppointmentFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        AppointmentFactory(enterprise=first.enterprise)


def test_a_cqo_and_a_food_director_may_both_be_current():
    cqo = AppointmentFactory()
    director = AppointmentFactory(enterprise=cqo.enterprise, post_id="food_director")
    assert director.single_holder and cqo.single_holder
    with pytest.raises(IntegrityError), transaction.atomic():
        AppointmentFactory(enterprise=cqo.enterprise, post_id="food_director")


def test_a_post_of_at_least_one_holder_takes_several():
    first = AppointmentFactory(post_id="food_officer")
    second = AppointmentFactory(enterprise=first.enterprise, post_id="food_officer")
    assert not first.single_holder and not second.single_holder
    assert Appointment.objects.filter(enterprise=first.enterprise, ended_on=None).count() == 2


def test_changing_a_posts_holders_rule_follows_its_appointments(bureau_admin):
    officer = post("food_officer")
    appointment = AppointmentFactory(post_id="food_officer")
    officer.holders = Holders.ONE
    posts.post_type_save(post=officer, actor=bureau_admin)
    appointment.refresh_from_db()
    assert appointment.single_holder
    with pytest.raises(IntegrityError), transaction.atomic():
        AppointmentFactory(enterprise=appointment.enterprise, post_id="food_officer")


def test_a_post_with_two_current_holders_cannot_become_single_holder(bureau_admin):
    first = AppointmentFactory(post_id="food_officer")
    AppointmentFactory(enterprise=first.enterprise, post_id="food_officer")
    officer = post("food_officer")
    officer.holders = Holders.ONE
    with pytest.raises(Exception, match="多名在任人员"):
        posts.post_type_save(post=officer, actor=bureau_admin)
    assert not Appointment.objects.filter(post="food_officer", single_holder=True).exists()


def test_the_cqo_post_keeps_one_holder_and_its_code(bureau_admin):
    cqo = post(CQO_POST)
    cqo.holders = Holders.AT_LEAST_ONE
    with pytest.raises(Exception, match="首席质量官岗位限一人"):
        posts.post_type_save(post=cqo, actor=bureau_admin)
    with pytest.raises(IntegrityError), transaction.atomic():
        PostType.objects.filter(code=CQO_POST).update(holders=Holders.AT_LEAST_ONE)
    food = post("food_director")
    food.code = "renamed"
    with pytest.raises(Exception, match="不可修改"):
        posts.post_type_save(post=food, actor=bureau_admin)


# --- The CQO's figures do not see other posts ------------------------------------------------


def test_other_posts_change_no_cqo_figure_vacancy_or_lookup():
    """T1–T3 county-wide and per town and section, the vacancy list and its dates, the
    enterprise's current CQO and its honours eligibility: the same before and after food
    posts are filled — at a vacant enterprise, at one with a CQO, and by a trained person."""
    day = date(2021, 6, 30)
    filled = AppointmentFactory(appointed_on=date(2021, 1, 4))
    vacant = EnterpriseFactory(licence_food_production=True)
    ended = AppointmentFactory(
        appointed_on=date(2020, 3, 1), ended_on=date(2021, 2, 1), end_reason="left"
    )
    sme = EnterpriseFactory(scale=Scale.SME, requires_cqo=True, industry=Industry.H)
    TrainingAttendanceFactory(person=filled.person, session__starts_on=date(2021, 3, 1))

    def snapshot():
        results = statistics.compute_all(day)
        figures = {r.target.code: (r.total, dict(r.by_town), dict(r.by_industry)) for r in results}
        vacancies = dict(registry.vacant_enterprises(day).values_list("pk", "vacancy_start"))
        lookups = {
            e.pk: (
                getattr(services.current_appointment(e), "pk", None),
                eligibility.check(e, day).eligible,
            )
            for e in (filled.enterprise, vacant, ended.enterprise, sme)
        }
        return figures, vacancies, lookups

    before = snapshot()
    assert before[1]  # something is vacant, so the check can see a change
    trained = PersonFactory()
    TrainingAttendanceFactory(person=trained, session__starts_on=date(2021, 3, 1))
    for enterprise in (vacant, filled.enterprise, ended.enterprise, sme):
        AppointmentFactory(
            enterprise=enterprise,
            person=trained,
            post_id="food_officer",
            appointed_on=date(2021, 1, 4),
        )
        AppointmentFactory(
            enterprise=enterprise, post_id="food_director", appointed_on=date(2021, 1, 4)
        )
    # A food director who left after the CQO did: no CQO vacancy starts later because of it.
    AppointmentFactory(
        enterprise=ended.enterprise,
        post_id="special_equipment_director",
        appointed_on=date(2020, 3, 1),
        ended_on=date(2021, 5, 1),
        end_reason="left",
    )
    assert snapshot() == before


# --- The board --------------------------------------------------------------------------------


@pytest.fixture
def food_enterprise(home_enterprise):
    home_enterprise.licence_food_production = True
    home_enterprise.established_on = date(2015, 1, 1)
    home_enterprise.save()
    return home_enterprise


def test_the_board_shows_filled_vacant_and_under_review_posts_with_hours(food_enterprise):
    today = timezone.localdate()
    cqo = AppointmentFactory(enterprise=food_enterprise, appointed_on=today - timedelta(days=300))
    officers = [
        AppointmentFactory(
            enterprise=food_enterprise,
            post_id="food_officer",
            appointed_on=today - timedelta(days=100),
            filed_on=today - timedelta(days=90),
        )
        for _ in range(2)
    ]
    session = TrainingSessionFactory(starts_on=today, ends_on=today, hours=16)
    TrainingAttendanceFactory(session=session, person=officers[0].person, hours=Decimal(40))
    TrainingAttendanceFactory(session=session, person=officers[1].person, hours=None)
    last_year = TrainingSessionFactory(starts_on=date(today.year - 1, 6, 1))
    TrainingAttendanceFactory(session=last_year, person=officers[1].person, hours=Decimal(30))
    left = today - timedelta(days=12)
    AppointmentFactory(
        enterprise=food_enterprise,
        post_id="food_director",
        appointed_on=today - timedelta(days=400),
        filed_on=today - timedelta(days=390),
        ended_on=left,
        end_reason="left",
    )

    board = {row.post.code: row for row in posts.enterprise_board(food_enterprise, today)}
    assert list(board) == ["cqo", "food_director", "food_officer"]
    assert board["cqo"].state == "filled"
    assert [h.name for h in board["cqo"].holders] == [cqo.person.name]
    director = board["food_director"]
    assert (director.state, director.vacant_since, director.days_vacant) == ("vacant", left, 12)
    officer = board["food_officer"]
    assert officer.state == "filled"
    assert [(h.name, h.hours) for h in officer.holders] == [
        (officers[0].person.name, Decimal(40)),
        (officers[1].person.name, Decimal(16)),  # the session's hours; last year's not counted
    ]
    assert officer.hours_met is False

    # A director filed and waiting for the bureau: under review.
    waiting = AppointmentFactory(
        enterprise=food_enterprise, post_id="food_director", appointed_on=today, filed_on=None
    )
    FilingFactory(
        appointment=waiting,
        status=FilingStatus.SUBMITTED,
        number=None,
        number_year=None,
        number_seq=None,
        approved_on=None,
    )
    board = {row.post.code: row for row in posts.enterprise_board(food_enterprise, today)}
    assert board["food_director"].state == "under_review"


def test_a_post_never_filled_is_vacant_from_its_regulation_not_from_the_enterprise(
    food_enterprise,
):
    today = timezone.localdate()
    board = {row.post.code: row for row in posts.enterprise_board(food_enterprise, today)}
    assert food_enterprise.established_on == date(2015, 1, 1)
    assert board["food_director"].vacant_since == date(2022, 11, 1)  # the 2022 regulation
    assert board["food_officer"].days_vacant == (today - date(2022, 11, 1)).days
    assert board["cqo"].vacant_since == date(2015, 1, 1)  # SPEC §2, as before


def test_the_cqo_row_of_the_board_says_what_the_vacancy_list_says(food_enterprise):
    today = timezone.localdate()
    AppointmentFactory(
        enterprise=food_enterprise,
        appointed_on=date(2020, 1, 6),
        ended_on=today - timedelta(days=45),
        end_reason="dismissed",
    )
    (row,) = [r for r in posts.enterprise_board(food_enterprise, today) if r.post.code == "cqo"]
    expected = registry.vacant_enterprises(today).get(pk=food_enterprise.pk).vacancy_start
    assert (row.state, row.vacant_since, row.overdue) == ("vacant", expected, True)


def board_html(response) -> str:
    content = response.content.decode()
    start = content.index('id="post-board"')
    return content[start : content.index("</table>", start)]


def test_the_registry_page_shows_the_board_and_licences(client_for, reviewer, food_enterprise):
    AppointmentFactory(enterprise=food_enterprise, post_id="food_officer")
    response = client_for(reviewer).get(f"/enterprises/{food_enterprise.pk}/")
    assert response.status_code == 200
    board = board_html(response)
    assert 'data-post="food_director" data-state="vacant"' in board
    assert 'data-post="food_officer" data-state="filled"' in board
    assert "食品安全总监" in board
    assert "食品生产许可证" in response.content.decode()


def test_the_enterprise_user_sees_its_own_board_on_the_portal(
    client_for, enterprise_user, food_enterprise
):
    holder = AppointmentFactory(enterprise=food_enterprise, post_id="food_officer")
    response = client_for(enterprise_user).get("/portal/")
    assert response.status_code == 200
    board = board_html(response)
    assert 'data-post="food_officer" data-state="filled"' in board
    assert holder.person.name in board


def test_another_enterprises_user_sees_neither_board(
    client_for, outsider_enterprise_user, food_enterprise
):
    holder = AppointmentFactory(enterprise=food_enterprise, post_id="food_officer")
    client = client_for(outsider_enterprise_user)
    assert client.get(f"/enterprises/{food_enterprise.pk}/").status_code in (403, 404)
    portal = client.get("/portal/")
    assert portal.status_code == 200
    assert holder.person.name not in portal.content.decode()
    assert 'data-post="food_officer"' not in board_html(portal)


def test_town_officer_of_another_town_gets_404(client_for, outsider_town_officer, food_enterprise):
    response = client_for(outsider_town_officer).get(f"/enterprises/{food_enterprise.pk}/")
    assert response.status_code == 404


# --- Managing posts ---------------------------------------------------------------------------


def test_only_the_bureau_admin_changes_posts(bureau_admin, reviewer, leader):
    assert bureau_admin.has_perm("appointments.change_posttype")
    assert bureau_admin.has_perm("appointments.add_posttype")
    assert reviewer.has_perm("appointments.view_posttype")
    assert not reviewer.has_perm("appointments.change_posttype")
    assert not leader.has_perm("appointments.view_posttype")


def test_admin_edits_a_posts_conditions_and_refuses_the_cqo_holders_change(
    client_for, bureau_admin
):
    client = client_for(bureau_admin)
    food = post("food_officer")
    url = f"/admin/appointments/posttype/{food.pk}/change/"
    assert client.get(url).status_code == 200
    data = {
        "name": food.name,
        "name_en": food.name_en,
        "legal_basis": food.legal_basis,
        "active": "on",
        "sort_order": food.sort_order,
        "scales": ["sme", "micro"],
        "requires_cqo": "unknown",
        "industries": ["C"],
        "high_risk": "unknown",
        "licences": ["food_trading"],
        "holders": "at_least_one",
        "training_hours": 48,
        "exam_required": "on",
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    food.refresh_from_db()
    assert (food.scales, food.industries, food.licences) == (
        ["sme", "micro"],
        ["C"],
        ["food_trading"],
    )
    assert food.training_hours == 48
    assert food.history.latest("history_date").history_user == bureau_admin

    cqo = post(CQO_POST)
    response = client.post(
        f"/admin/appointments/posttype/{cqo.pk}/change/",
        {**data, "name": cqo.name, "requires_cqo": "true", "licences": [], "scales": []}
        | {"industries": [], "holders": "at_least_one"},
    )
    assert response.status_code == 200
    assert "首席质量官岗位限一人" in response.content.decode()
    assert post(CQO_POST).holders == Holders.ONE


def test_reviewer_cannot_change_a_post_in_the_admin(client_for, reviewer):
    food = post("food_officer")
    client = client_for(reviewer)
    response = client.post(f"/admin/appointments/posttype/{food.pk}/change/", {"name": "x"})
    assert response.status_code == 403
    assert post("food_officer").name == "食品安全员"


def test_the_posts_admin_pages_mark_the_chinese_names_as_chinese_in_english(
    client_for, bureau_admin, reviewer
):
    from django.conf import settings

    from tests.pagetext import text_defects

    cqo = post(CQO_POST)
    for user in (bureau_admin, reviewer):
        client = client_for(user)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        for url in (
            "/admin/appointments/posttype/",
            f"/admin/appointments/posttype/{cqo.pk}/change/",
        ):
            response = client.get(url)
            assert response.status_code == 200
            html = response.content.decode()
            assert "Chief Quality Officer" in html
            defects = text_defects(html, english=True, allowed_codes=frozenset({user.username}))
            assert defects == [], (user, url)
