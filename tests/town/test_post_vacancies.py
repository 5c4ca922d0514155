"""Vacancies per post (issue 19): the town officer's and the bureau's list filter by post
(the CQO's by default), agree with the enterprise's board, stay scoped to the town; the
overdue reminders of other posts name the post, go to the enterprise and its town's
officers once, and leave the CQO's reminder as it was."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from appointments import posts
from appointments.models import PostType
from cqo_registry.accounts.models import Notification
from cqo_registry.reminders import services as reminders
from cqo_registry.reminders.models import ReminderLog, ReminderType
from tests.factories import AppointmentFactory, FilingFactory, UserFactory

from .conftest import make_vacancy

pytestmark = pytest.mark.django_db

LIST_URL = reverse("town:vacancies")


def food(enterprise, *, cqo=True):
    """Give ``enterprise`` a food production licence and (``cqo``) a filed CQO."""
    enterprise.licence_food_production = True
    enterprise.save()
    if cqo:
        FilingFactory(appointment=AppointmentFactory(enterprise=enterprise))
    return enterprise


@pytest.fixture
def kitchens(home_town, other_town):
    """Three food enterprises with a filed CQO: one in the home town with nobody in its food
    posts (40 days known), one in the home town with its 食品安全总监 filed, one in the
    other town with nothing filed."""
    empty = food(make_vacancy(home_town, days_open=40, name="城关空岗食品厂"))
    staffed = food(make_vacancy(home_town, days_open=40, name="城关有总监食品厂"))
    FilingFactory(
        appointment=AppointmentFactory(
            enterprise=staffed,
            post_id="food_director",
            appointed_on=timezone.localdate() - timedelta(days=10),
        )
    )
    elsewhere = food(make_vacancy(other_town, days_open=40, name="双墩空岗食品厂"))
    return {"empty": empty, "staffed": staffed, "elsewhere": elsewhere}


def listed(client, **query):
    response = client.get(LIST_URL, query)
    assert response.status_code == 200
    return {e.pk for e in response.context["page"].object_list}, response.content.decode()


def test_default_list_is_the_cqo_and_the_food_posts_list_their_vacancies(
    client_for, town_officer, kitchens
):
    client = client_for(town_officer)
    ids, html = listed(client)
    assert not ids & {e.pk for e in kitchens.values()}  # every one has its CQO
    assert 'data-post="cqo"' in html
    ids, html = listed(client, post="food_director")
    assert ids == {kitchens["empty"].pk}  # the staffed one has its director; other town hidden
    assert "食品安全总监空缺企业" in html and "双墩空岗食品厂" not in html
    assert "?post=food_director" in html
    ids, _html = listed(client, post="food_officer")
    assert ids == {kitchens["empty"].pk, kitchens["staffed"].pk}


def test_bureau_sees_the_county_per_post(client_for, reviewer, kitchens):
    ids, _html = listed(client_for(reviewer), post="food_director")
    assert ids == {kitchens["empty"].pk, kitchens["elsewhere"].pk}


def test_unknown_post_falls_back_to_the_cqo(client_for, town_officer, kitchens):
    ids, html = listed(client_for(town_officer), post="nonsense")
    assert not ids & {e.pk for e in kitchens.values()}


@pytest.mark.parametrize("role", ["leader", "enterprise_user"])
def test_other_roles_get_403(request, client_for, role, kitchens):
    user = request.getfixturevalue(role)
    assert client_for(user).get(LIST_URL, {"post": "food_director"}).status_code == 403


def test_list_agrees_with_the_board(kitchens):
    today = timezone.localdate()
    for post in PostType.objects.exclude(code="cqo"):
        vacant = {e.pk: e.vacancy_start for e in posts.post_vacancies(post, today)}
        for enterprise in kitchens.values():
            rows = {r.post.code: r for r in posts.enterprise_board(enterprise, today)}
            row = rows.get(post.code)
            if row is None or row.state == "filled":
                assert enterprise.pk not in vacant
            else:
                assert vacant[enterprise.pk] == row.vacant_since


def test_vacancy_page_shows_the_board(client_for, town_officer, outsider_town_officer, kitchens):
    url = reverse("town:vacancy", args=[kitchens["staffed"].pk])
    html = client_for(town_officer).get(f"{url}?post=food_officer").content.decode()
    assert 'data-post="food_director" data-state="filled"' in html
    assert 'data-post="food_officer" data-state="vacant"' in html
    assert 'id="post-vacancy-state" data-post="food_officer"' in html
    assert "起没有备案在任的食品安全员，已空缺 40 天" in html
    assert client_for(outsider_town_officer).get(url).status_code == 404


def test_overdue_post_reminders_name_the_post(
    kitchens, town_officer, outsider_town_officer, home_town, other_town
):
    user = UserFactory(enterprise_user=True, enterprise=kitchens["empty"])
    sent = reminders.reminders_send(kinds=[ReminderType.POST_VACANCY_OVERDUE])
    # empty: director and officer; staffed: officer; elsewhere: director and officer.
    assert sent[ReminderType.POST_VACANCY_OVERDUE] == 5
    titles = set(Notification.objects.filter(user=user).values_list("title", flat=True))
    assert titles == {
        "贵企业食品安全总监空缺已超期（40 天）",
        "贵企业食品安全员空缺已超期（40 天）",
    }
    officer_titles = set(
        Notification.objects.filter(user=town_officer).values_list("title", flat=True)
    )
    assert "城关空岗食品厂 食品安全总监空缺已超期（40 天）" in officer_titles
    assert not any("双墩" in t for t in officer_titles)
    outsider = set(
        Notification.objects.filter(user=outsider_town_officer).values_list("title", flat=True)
    )
    assert outsider == {
        "双墩空岗食品厂 食品安全总监空缺已超期（40 天）",
        "双墩空岗食品厂 食品安全员空缺已超期（40 天）",
    }
    # Once a day: a second run sends nothing, and the CQO's reminder had nothing to say.
    again = reminders.reminders_send(kinds=[ReminderType.POST_VACANCY_OVERDUE])
    assert again[ReminderType.POST_VACANCY_OVERDUE] == 0
    assert not ReminderLog.objects.filter(kind=ReminderType.VACANCY_OVERDUE).exists()
    # Weekly afterwards.
    later = timezone.localdate() + timedelta(days=7)
    assert (
        reminders.reminders_send(day=later, kinds=[ReminderType.POST_VACANCY_OVERDUE])[
            ReminderType.POST_VACANCY_OVERDUE
        ]
        == 5
    )
