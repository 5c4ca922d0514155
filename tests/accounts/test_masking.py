"""ID numbers and mobiles are shown in full to bureau roles only (SPEC §1, PIPL), both
through ``access`` and through the template filters."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.template import Context, Template

from cqo_registry.accounts import access
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

ID_NUMBER = "11010519491231002X"
MASKED_ID_NUMBER = "1101**********002X"
MOBILE = "13912345678"
MASKED_MOBILE = "139****5678"

FULL_VIEW = ["bureau_admin", "reviewer"]
MASKED_VIEW = [
    "leader",
    "town_officer",
    "enterprise_user",
    "outsider_enterprise_user",
    "no_role_user",
]


@pytest.fixture
def person():
    return PersonFactory(id_number=ID_NUMBER, mobile=MOBILE)


def render(person, user) -> str:
    template = Template(
        "{% load registry %}{{ person|id_number_for:user }}|{{ person|mobile_for:user }}"
    )
    return template.render(Context({"person": person, "user": user}))


@pytest.mark.parametrize("role", FULL_VIEW)
def test_bureau_roles_see_full_numbers(request, person, role):
    user = request.getfixturevalue(role)
    assert access.id_number_for(user, person) == ID_NUMBER
    assert access.mobile_for(user, person) == MOBILE
    assert render(person, user) == f"{ID_NUMBER}|{MOBILE}"


@pytest.mark.parametrize("role", MASKED_VIEW)
def test_other_roles_see_masked_numbers(request, person, role):
    user = request.getfixturevalue(role)
    assert access.id_number_for(user, person) == MASKED_ID_NUMBER
    assert access.mobile_for(user, person) == MASKED_MOBILE
    assert render(person, user) == f"{MASKED_ID_NUMBER}|{MASKED_MOBILE}"


def test_anonymous_sees_masked_numbers(person):
    assert render(person, AnonymousUser()) == f"{MASKED_ID_NUMBER}|{MASKED_MOBILE}"


def test_inactive_bureau_admin_sees_masked_numbers(person, bureau_admin):
    bureau_admin.is_active = False
    assert render(person, bureau_admin) == f"{MASKED_ID_NUMBER}|{MASKED_MOBILE}"


def test_person_without_mobile_shows_nothing(bureau_admin, leader):
    person = PersonFactory(mobile="")
    assert access.mobile_for(leader, person) == ""
    assert access.mobile_for(bureau_admin, person) == ""


def test_model_properties_mask(person):
    assert person.masked_id_number == MASKED_ID_NUMBER
    assert person.masked_mobile == MASKED_MOBILE
