"""The CQO registry (/cqos/): every person who holds or held a CQO appointment — search (the
full ID number exact, for bureau roles only), filters (town, status, trained, excellent), sort,
pages, export; scoped by role like the enterprise registry, with outsider tests and the list's
query count (issue 12)."""

from datetime import date, timedelta
from io import BytesIO

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from appointments.models import EndReason, FilingKind, FilingStatus
from cqo_registry.audit.models import AuditEvent
from tests.factories import (
    AppointmentFactory,
    EnterpriseFactory,
    FilingFactory,
    PersonFactory,
)
from training.models import Nomination, NominationSource, NominationStatus, SelectionCampaign

pytestmark = pytest.mark.django_db

LIST = "/cqos/"
EXPORT = "/cqos/export.xlsx"


def names(response) -> list[str]:
    assert response.status_code == 200
    return [row.name for row in response.context["page"].object_list]


def export_rows(response) -> list[tuple]:
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    return list(load_workbook(BytesIO(body), read_only=True).active.values)


@pytest.fixture
def cast(county, home_town, other_town):
    """The county's three CQOs in post, plus: a dismissed CQO of the home town, a person whose
    first appoint filing waits for review (home town), and a person in a draft only (never
    listed)."""
    dismissed = AppointmentFactory(
        enterprise=EnterpriseFactory(town=home_town, name="城关旧厂"),
        person=PersonFactory(name="离任者"),
        ended_on=date(2023, 5, 1),
        end_reason=EndReason.DISMISSED,
    )
    FilingFactory(appointment=dismissed)
    waiting = AppointmentFactory(
        enterprise=EnterpriseFactory(town=home_town, name="城关新厂"),
        person=PersonFactory(name="待审者"),
        appointed_on=timezone.localdate() - timedelta(days=5),
        filed_on=None,
    )
    FilingFactory(
        appointment=waiting,
        status=FilingStatus.SUBMITTED,
        number=None,
        number_year=None,
        number_seq=None,
        approved_on=None,
    )
    FilingFactory(draft=True, appointment__person=PersonFactory(name="草稿者"))
    return {"dismissed": dismissed, "waiting": waiting}


def in_post(county) -> set[str]:
    return {
        county.home_appointment.person.name,
        county.second_home_appointment.person.name,
        county.outsider_appointment.person.name,
    }


# --- Scope -------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["reviewer", "bureau_admin", "leader"])
def test_bureau_and_leaders_see_the_county_with_those_under_review(
    request, client_for, role, county, cast
):
    listed = set(names(client_for(request.getfixturevalue(role)).get(LIST)))
    assert listed == in_post(county) | {"离任者", "待审者"}


def test_a_town_officer_sees_their_towns_filed_cqos_only(client_for, town_officer, county, cast):
    listed = set(names(client_for(town_officer).get(LIST)))
    # Not the other town's CQO; not the person under review (PIPL: not filed yet).
    assert listed == {
        county.home_appointment.person.name,
        county.second_home_appointment.person.name,
        "离任者",
    }


def test_another_towns_officer_sees_none_of_the_home_town(
    client_for, outsider_town_officer, county, cast
):
    assert names(client_for(outsider_town_officer).get(LIST)) == [
        county.outsider_appointment.person.name
    ]
    exported = export_rows(client_for(outsider_town_officer).get(EXPORT))
    assert [row[0] for row in exported[1:]] == [county.outsider_appointment.person.name]


@pytest.mark.parametrize("role", ["enterprise_user", "outsider_enterprise_user", "no_role_user"])
def test_enterprise_users_and_users_without_a_role_get_403(request, client_for, role, county):
    client = client_for(request.getfixturevalue(role))
    assert client.get(LIST).status_code == 403
    assert client.get(EXPORT).status_code == 403


def test_anonymous_is_sent_to_sign_in(client_for):
    for url in (LIST, EXPORT):
        response = client_for(None).get(url)
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]


# --- Search, filters, sort -------------------------------------------------------------------


def test_search_by_person_enterprise_and_uscc(client_for, reviewer, county, cast):
    client = client_for(reviewer)
    person = county.home_appointment.person.name
    assert names(client.get(LIST, {"q": person})) == [person]
    assert names(client.get(LIST, {"q": "旧厂"})) == ["离任者"]
    uscc = county.outsider_appointment.enterprise.uscc
    assert names(client.get(LIST, {"q": uscc.lower()})) == [county.outsider_appointment.person.name]


def test_full_id_number_is_an_exact_match_for_bureau_roles_only(
    client_for, reviewer, leader, town_officer, county
):
    person = county.home_appointment.person
    spaced = f"{person.id_number[:6]} {person.id_number[6:14]} {person.id_number[14:]}"
    assert names(client_for(reviewer).get(LIST, {"q": spaced})) == [person.name]
    # Part of a number finds nothing: the lookup goes through the keyed hash.
    assert names(client_for(reviewer).get(LIST, {"q": person.id_number[:10]})) == []
    assert names(client_for(leader).get(LIST, {"q": person.id_number})) == []
    assert names(client_for(town_officer).get(LIST, {"q": person.id_number})) == []


def test_status_filter(client_for, reviewer, county, cast):
    client = client_for(reviewer)
    assert set(names(client.get(LIST, {"status": "in_post"}))) == in_post(county)
    assert names(client.get(LIST, {"status": "review"})) == ["待审者"]
    assert names(client.get(LIST, {"status": "dismissed"})) == ["离任者"]


def test_town_trained_and_excellent_filters(
    client_for, reviewer, enterprise_user, county, cast, other_town
):
    client = client_for(reviewer)
    outsider = county.outsider_appointment.person.name
    assert names(client.get(LIST, {"town": other_town.pk})) == [outsider]
    # The county's three CQOs have a passed attendance; the other two none.
    assert set(names(client.get(LIST, {"trained": "yes"}))) == in_post(county)
    assert set(names(client.get(LIST, {"trained": "no"}))) == {"离任者", "待审者"}
    campaign = SelectionCampaign.objects.create(
        year=2024,
        title="2024 年度优秀首席质量官评选",
        period_start=date(2024, 1, 1),
        period_end=date(2024, 12, 31),
    )
    Nomination.objects.create(
        campaign=campaign,
        appointment=county.outsider_appointment,
        source=NominationSource.ENTERPRISE,
        nominated_by=enterprise_user,
        statement="事迹",
        status=NominationStatus.HONOURED,
    )
    assert names(client.get(LIST, {"excellent": "yes"})) == [outsider]
    assert outsider not in names(client.get(LIST, {"excellent": "no"}))


def test_sort_by_name_and_enterprise(client_for, reviewer, county, cast):
    client = client_for(reviewer)
    ascending = names(client.get(LIST, {"sort": "name"}))
    assert ascending == sorted(ascending)
    assert names(client.get(LIST, {"sort": "-name"})) == list(reversed(ascending))
    rows = client.get(LIST, {"sort": "enterprise"}).context["page"].object_list
    enterprises = [row.appointment.enterprise.name for row in rows]
    assert enterprises == sorted(enterprises)


def test_hostile_filters_show_the_list(client_for, reviewer, county):
    response = client_for(reviewer).get(
        LIST, {"town": "x", "status": "nope", "sort": "???", "trained": "1", "page": "-3"}
    )
    assert len(names(response)) == 3
    assert "town" in response.context["form"].errors


def test_rows_link_to_the_person_and_the_enterprise(client_for, town_officer, county):
    html = client_for(town_officer).get(LIST).content.decode()
    appointment = county.home_appointment
    assert f'href="/cqos/{appointment.person_id}/"' in html
    assert f'href="/enterprises/{appointment.enterprise_id}/"' in html
    # The linked pages open for the same user.
    assert client_for(town_officer).get(f"/cqos/{appointment.person_id}/").status_code == 200
    assert (
        client_for(town_officer).get(f"/enterprises/{appointment.enterprise_id}/").status_code
        == 200
    )


def test_a_person_in_post_shows_the_current_enterprise_not_the_old_one(
    client_for, reviewer, county, home_town
):
    person = county.home_appointment.person
    old = AppointmentFactory(
        person=person,
        enterprise=EnterpriseFactory(town=home_town, name="城关老厂"),
        appointed_on=date(2018, 1, 1),
        ended_on=date(2020, 12, 1),
        end_reason=EndReason.LEFT,
    )
    FilingFactory(appointment=old, kind=FilingKind.APPOINT)
    rows = client_for(reviewer).get(LIST, {"q": person.name}).context["page"].object_list
    assert [row.appointment.enterprise.name for row in rows] == ["城关精密机械有限公司"]


# --- Pages and queries ----------------------------------------------------------------------


def test_the_list_makes_the_same_few_queries_however_many_rows(
    client_for, reviewer, county, home_town, django_assert_max_num_queries
):
    client = client_for(reviewer)
    for _ in range(60):
        FilingFactory(
            appointment=AppointmentFactory(
                enterprise=EnterpriseFactory(town=home_town), person=PersonFactory()
            )
        )
    # session, user, second-factor device, unread notifications, towns of the filter, count,
    # the page's rows (annotated), their appointments with enterprise and town (the session is
    # written at most once a minute, cqo_registry/sessions.py) — the same with 50 rows on the
    # page as with 13.
    with django_assert_max_num_queries(11):
        response = client.get(LIST)
    assert len(names(response)) == 50
    assert response.context["page"].paginator.count == 63
    with django_assert_max_num_queries(11):
        assert len(names(client.get(LIST, {"page": 2}))) == 13


# --- Export -----------------------------------------------------------------------------------


def test_export_is_the_filtered_list_with_id_numbers_in_full_for_the_bureau(
    client_for, reviewer, county, cast
):
    rows = export_rows(client_for(reviewer).get(EXPORT, {"status": "dismissed"}))
    assert rows[0][:3] == ("姓名", "身份证号", "企业名称")
    assert len(rows) == 2
    name, id_number, enterprise, *_rest = rows[1]
    assert (name, enterprise) == ("离任者", "城关旧厂")
    assert id_number == cast["dismissed"].person.id_number
    event = AuditEvent.objects.filter(detail__page="persons:registry_export").get()
    assert event.detail["person_ids"] == [cast["dismissed"].person_id]


def test_export_masks_id_numbers_for_a_town_officer(client_for, town_officer, county):
    rows = export_rows(client_for(town_officer).get(EXPORT))
    assert len(rows) == 3
    for row in rows[1:]:
        assert "*" in row[1]
    assert not AuditEvent.objects.filter(detail__page="persons:registry_export").exists()


@pytest.mark.parametrize(
    ("role", "linked"),
    [
        ("reviewer", True),
        ("bureau_admin", True),
        ("leader", True),
        ("town_officer", True),
        ("enterprise_user", False),
    ],
)
def test_the_navbar_links_the_registry_where_it_links_the_enterprise_registry(
    request, client_for, role, linked, county
):
    html = client_for(request.getfixturevalue(role)).get("/help/").content.decode()
    assert ('href="/cqos/"' in html) is linked
    assert ('href="/enterprises/"' in html) is linked


def test_holders_of_the_other_posts_are_not_listed(client_for, reviewer, county, cast):
    """A 食品安全总监 is not a CQO (issue 19): the registry lists CQO appointments only."""
    food_director = AppointmentFactory(
        enterprise=EnterpriseFactory(town=county.home_appointment.enterprise.town),
        person=PersonFactory(name="食品总监"),
        post_id="food_director",
    )
    FilingFactory(appointment=food_director)
    listed = names(client_for(reviewer).get(LIST))
    assert "食品总监" not in listed
    assert county.home_appointment.person.name in listed
