"""Honours eligibility (SPEC §6.3): the answer follows the statistics' rules at every edge,
the JSON endpoint has a fixed shape and clear errors, and only bureau staff may ask."""

from datetime import date, timedelta

import pytest
from django.urls import reverse

from enterprises.models import Enterprise
from reports import eligibility, statistics
from reports.eligibility import Reason
from reports.models import Target
from tests.factories import (
    AppointmentFactory,
    EnterpriseFactory,
    FilingFactory,
    make_uscc,
)

D = date(2021, 6, 30)
URLS = ["reports:eligibility", "reports:eligibility_json"]

pytestmark = pytest.mark.django_db


def answer(enterprise, day=D):
    return eligibility.check(enterprise, day)


def test_appointment_starting_on_d_is_eligible():
    appointment = AppointmentFactory(appointed_on=D, filed_on=D)
    filing = FilingFactory(appointment=appointment)
    result = answer(appointment.enterprise)
    assert result.eligible and result.reason_code == Reason.ELIGIBLE
    assert result.appointment == appointment
    assert result.filing_number == filing.number


def test_appointment_ending_on_d_is_not():
    appointment = AppointmentFactory(
        appointed_on=date(2021, 1, 4), ended_on=D, end_reason="dismissed"
    )
    result = answer(appointment.enterprise)
    assert not result.eligible and result.reason_code == Reason.ENDED
    assert "2021-06-30" in result.reason and appointment.person.name in result.reason
    assert answer(appointment.enterprise, D - timedelta(days=1)).eligible


def test_filing_approved_after_d_is_not():
    appointment = AppointmentFactory(appointed_on=date(2021, 6, 1), filed_on=D + timedelta(1))
    result = answer(appointment.enterprise)
    assert not result.eligible and result.reason_code == Reason.NOT_FILED
    assert "2021-07-01" in result.reason
    assert answer(appointment.enterprise, D + timedelta(1)).eligible


def test_appointment_never_filed_is_not():
    appointment = AppointmentFactory(filed_on=None)
    result = answer(appointment.enterprise)
    assert result.reason_code == Reason.NOT_FILED and "尚未备案" in result.reason


def test_enterprise_deregistered_on_d_is_not():
    appointment = AppointmentFactory(enterprise=EnterpriseFactory(deregistered_on=D))
    result = answer(appointment.enterprise)
    assert not result.eligible and result.reason_code == Reason.DEREGISTERED
    assert answer(appointment.enterprise, D - timedelta(days=1)).eligible


def test_enterprise_not_yet_established_is_not():
    enterprise = EnterpriseFactory(established_on=D + timedelta(days=1))
    assert answer(enterprise).reason_code == Reason.NOT_ESTABLISHED


def test_no_appointment_and_later_appointment():
    assert answer(EnterpriseFactory()).reason_code == Reason.NO_APPOINTMENT
    later = AppointmentFactory(appointed_on=D + timedelta(days=10))
    assert answer(later.enterprise).reason_code == Reason.NOT_YET_APPOINTED


def test_answer_agrees_with_the_statistics_population_check():
    """The page and the engine use the same rules: the eligible enterprises of T1 at D are
    exactly its counted ones."""
    AppointmentFactory(appointed_on=D, filed_on=D)
    AppointmentFactory(appointed_on=date(2021, 1, 4), ended_on=D, end_reason="left")
    AppointmentFactory(appointed_on=date(2021, 6, 1), filed_on=D + timedelta(1))
    EnterpriseFactory()
    figures = statistics.compute_target(Target.objects.get(code="T1"), D)
    eligible = sum(answer(e).eligible for e in Enterprise.objects.all())
    assert eligible == figures.total.counted == 1


# --- JSON ---------------------------------------------------------------------------------


def get_json(client, **params):
    return client.get(reverse("reports:eligibility_json"), params)


def test_json_shape_when_eligible(client_for, reviewer, county):
    appointment = county.home_appointment
    filing = appointment.filings.get()
    response = get_json(
        client_for(reviewer), uscc=appointment.enterprise.uscc.lower(), date="2021-06-30"
    )
    assert response.status_code == 200
    assert response.json() == {
        "uscc": appointment.enterprise.uscc,
        "name": "城关精密机械有限公司",
        "date": "2021-06-30",
        "eligible": True,
        "reason": "2021-06-30 有已备案的在任首席质量官。",
        "reason_code": "eligible",
        "cqo": {
            "name": appointment.person.name,
            "position": "副总经理",
            "filing_number": filing.number,
            "filed_on": "2021-01-11",
        },
    }
    # No personal identifiers beyond the CQO's name.
    assert appointment.person.id_number not in response.content.decode()
    assert appointment.person.mobile not in response.content.decode()


def test_json_when_not_eligible(client_for, bureau_admin, county):
    response = get_json(
        client_for(bureau_admin), uscc=county.home_enterprise.uscc, date="2021-01-10"
    )
    body = response.json()
    assert response.status_code == 200
    assert body["eligible"] is False and body["cqo"] is None
    assert body["reason_code"] == "not_filed"


@pytest.mark.parametrize(
    "params, field",
    [
        ({"date": "2021-06-30"}, "uscc"),
        ({"uscc": "91340104MA2XXXXX1X", "date": "2021-06-30"}, "uscc"),
        ({"uscc": "not-a-code", "date": "2021-06-30"}, "uscc"),
        ({"uscc": make_uscc(1)}, "date"),
        ({"uscc": make_uscc(1), "date": "2021-02-30"}, "date"),
        ({"uscc": make_uscc(1), "date": "30/06/2021"}, "date"),
    ],
)
def test_json_bad_parameters_give_400(params, field, client_for, reviewer):
    response = get_json(client_for(reviewer), **params)
    assert response.status_code == 400
    body = response.json()
    assert body["error"] and field in body["fields"]


def test_json_unknown_uscc_gives_404(client_for, reviewer, county):
    response = get_json(client_for(reviewer), uscc=make_uscc(987654), date="2021-06-30")
    assert response.status_code == 404
    assert response.json()["error"]


@pytest.mark.parametrize(
    "role",
    ["leader", "town_officer", "outsider_town_officer", "enterprise_user", "no_role_user"],
)
def test_json_refuses_others_with_403(role, request, client_for, county):
    response = get_json(
        client_for(request.getfixturevalue(role)),
        uscc=county.home_enterprise.uscc,
        date="2021-06-30",
    )
    assert response.status_code == 403
    assert response["Content-Type"] == "application/json"
    assert "eligible" not in response.json()


# --- The page -----------------------------------------------------------------------------


def get_page(client, **params):
    return client.get(reverse("reports:eligibility"), params)


@pytest.mark.parametrize("role", ["bureau_admin", "reviewer"])
def test_page_answers_by_uscc(role, request, client_for, county):
    appointment = county.home_appointment
    response = get_page(
        client_for(request.getfixturevalue(role)),
        enterprise=appointment.enterprise.uscc,
        date="2021-06-30",
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "符合" in html and "不符合" not in html
    assert appointment.person.name in html and "副总经理" in html
    assert appointment.filings.get().number in html
    assert appointment.person.id_number not in html


def test_page_without_a_query_shows_the_form(client_for, reviewer):
    response = get_page(client_for(reviewer))
    assert response.status_code == 200
    assert "result" not in response.context


def test_page_by_unique_name_part(client_for, reviewer, county):
    response = get_page(client_for(reviewer), enterprise="精密机械", date="2021-01-10")
    assert response.context["result"].enterprise == county.home_enterprise
    assert "不符合" in response.content.decode()


def test_page_lists_candidates_when_a_name_matches_several(client_for, reviewer, county):
    response = get_page(client_for(reviewer), enterprise="城关", date="2021-06-30")
    assert "result" not in response.context
    assert {e.name for e in response.context["candidates"]} == {
        "城关精密机械有限公司",
        "城关食品有限公司",
    }
    assert f"?enterprise={county.home_enterprise.uscc}&amp;date=2021-06-30" in (
        response.content.decode()
    )


def test_page_unknown_enterprise_and_bad_date_are_form_errors(client_for, reviewer, county):
    client = client_for(reviewer)
    unknown = get_page(client, enterprise=make_uscc(987654), date="2021-06-30")
    assert "未找到统一社会信用代码" in unknown.context["form"].errors["enterprise"][0]
    assert (
        "未找到名称包含"
        in get_page(client, enterprise="不存在").context["form"].errors["enterprise"][0]
    )
    bad_date = get_page(client, enterprise=county.home_enterprise.uscc, date="2021-13-01")
    assert bad_date.context["form"].errors["date"]


@pytest.mark.parametrize(
    "role",
    ["leader", "town_officer", "outsider_town_officer", "enterprise_user", "no_role_user"],
)
def test_page_refuses_others_with_403(role, request, client_for):
    assert get_page(client_for(request.getfixturevalue(role))).status_code == 403


@pytest.mark.parametrize("name", URLS)
def test_anonymous_goes_to_login(name, client_for):
    response = client_for(None).get(reverse(name), {"uscc": make_uscc(1), "date": "2021-06-30"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")
