"""Each role's selectors return exactly its scope (SPEC §1): the county for bureau roles and
leaders, one town for a town officer, one enterprise for an enterprise user, nothing for
anybody else."""

import pytest
from django.contrib.auth.models import AnonymousUser

from appointments.models import EndReason
from appointments.selectors import appointment_list, filing_list
from enterprises.selectors import enterprise_list, person_list, town_list
from tests.factories import AppointmentFactory, UserFactory
from training.selectors import attendance_list, session_list

pytestmark = pytest.mark.django_db

COUNTY_ROLES = ["bureau_admin", "reviewer", "leader"]
EVERYONE = "home second outsider"


def visible(county, user):
    """What ``user`` sees, as the set of enterprise names (home / second / outsider) behind the
    rows of each selector."""
    label = {
        county.home_enterprise.pk: "home",
        county.second_home_enterprise.pk: "second",
        county.outsider_enterprise.pk: "outsider",
    }
    person_label = {
        county.home_appointment.person_id: "home",
        county.second_home_appointment.person_id: "second",
        county.outsider_appointment.person_id: "outsider",
    }
    town_label = {
        county.home_enterprise.town_id: "home_town",
        county.outsider_enterprise.town_id: "other_town",
    }

    def names(labels):
        labels = list(labels)
        # Duplicates would show as a repeated label and fail the comparison.
        return " ".join(sorted(labels, key=["home", "second", "outsider"].index))

    return {
        "enterprises": names(label[e.pk] for e in enterprise_list(user)),
        "persons": names(person_label[p.pk] for p in person_list(user)),
        "appointments": names(label[a.enterprise_id] for a in appointment_list(user)),
        "filings": names(label[f.enterprise_id] for f in filing_list(user)),
        "attendances": names(person_label[a.person_id] for a in attendance_list(user)),
        "towns": sorted(town_label[t.pk] for t in town_list(user)),
    }


def everything(enterprises: str, towns: list[str]):
    return {
        "enterprises": enterprises,
        "persons": enterprises,
        "appointments": enterprises,
        "filings": enterprises,
        "attendances": enterprises,
        "towns": towns,
    }


NOTHING = everything("", [])


@pytest.mark.parametrize("role", COUNTY_ROLES)
def test_county_roles_see_everything(request, county, role):
    user = request.getfixturevalue(role)
    assert visible(county, user) == everything(EVERYONE, ["home_town", "other_town"])


def test_superuser_without_role_sees_everything(county):
    user = UserFactory(username="root", is_superuser=True, is_staff=True)
    assert visible(county, user) == everything(EVERYONE, ["home_town", "other_town"])


def test_town_officer_sees_only_own_town(county, town_officer):
    assert visible(county, town_officer) == everything("home second", ["home_town"])


def test_outsider_town_officer_sees_only_the_other_town(county, outsider_town_officer):
    assert visible(county, outsider_town_officer) == everything("outsider", ["other_town"])


def test_enterprise_user_sees_only_own_enterprise(county, enterprise_user):
    assert visible(county, enterprise_user) == everything("home", ["home_town"])


def test_outsider_enterprise_user_sees_only_own_enterprise(county, outsider_enterprise_user):
    assert visible(county, outsider_enterprise_user) == everything("outsider", ["other_town"])


def test_user_without_role_sees_nothing(county, no_role_user):
    assert visible(county, no_role_user) == NOTHING


def test_anonymous_sees_nothing(county):
    assert visible(county, AnonymousUser()) == NOTHING


@pytest.mark.parametrize(
    "role", ["bureau_admin", "leader", "town_officer", "enterprise_user", "reviewer"]
)
def test_inactive_user_sees_nothing(request, county, role):
    user = request.getfixturevalue(role)
    user.is_active = False
    user.save()
    assert visible(county, user) == NOTHING


def test_inactive_superuser_sees_nothing(county):
    user = UserFactory(username="root", is_superuser=True, is_active=False)
    assert visible(county, user) == NOTHING


def test_person_who_served_in_two_towns_is_seen_from_both_once(
    county, town_officer, outsider_town_officer
):
    # The outsider enterprise's CQO used to serve at the home enterprise.
    person = county.outsider_appointment.person
    AppointmentFactory(
        enterprise=county.home_enterprise,
        person=person,
        appointed_on=county.home_appointment.appointed_on.replace(year=2019),
        filed_on=county.home_appointment.appointed_on.replace(year=2019),
        ended_on=county.home_appointment.appointed_on.replace(year=2020),
        end_reason=EndReason.LEFT,
    )
    assert list(person_list(town_officer)).count(person) == 1
    assert list(person_list(outsider_town_officer)).count(person) == 1
    assert list(attendance_list(town_officer).filter(person=person)) == list(
        attendance_list(outsider_town_officer).filter(person=person)
    )


@pytest.mark.parametrize(
    "role", ["bureau_admin", "reviewer", "leader", "town_officer", "enterprise_user"]
)
def test_every_role_sees_training_sessions(request, county, role):
    user = request.getfixturevalue(role)
    assert session_list(user).count() == 3


def test_no_role_and_anonymous_see_no_training_sessions(county, no_role_user):
    assert session_list(no_role_user).count() == 0
    assert session_list(AnonymousUser()).count() == 0


def test_users_of_one_scope_identity_see_the_same_rows(county, users):
    """``access.scope_identity`` keys what is kept per scope (compiled page statements): two
    users with the same identity must see the same rows of every selector (so users who see
    different rows have different identities) — the cast, an inactive reviewer, a superuser,
    a second officer of a town and the anonymous user included."""
    from cqo_registry.accounts import access

    inactive = UserFactory(username="gone", reviewer=True, is_active=False)
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    cast = [*users.values(), inactive, root, AnonymousUser()]
    home_town = county.home_enterprise.town
    second_officer = UserFactory(username="officer2", town_officer=True, town=home_town)
    cast.append(second_officer)
    seen = {}
    for user in cast:
        rows = repr(visible(county, user))
        seen.setdefault(access.scope_identity(user), set()).add(rows)
    assert all(len(rows) == 1 for rows in seen.values()), seen
    assert access.scope_identity(second_officer) == access.scope_identity(users["town_officer"])
