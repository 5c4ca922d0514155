"""The public verification page behind the receipt's QR code: genuine or not, and whether
the appointment is still current — without any personal data beyond the name."""

import pytest
from django.urls import reverse

from appointments.services import filing_approve

from .conftest import make_dismissal, make_submitted

pytestmark = pytest.mark.django_db


def verify_url(filing_or_token) -> str:
    token = getattr(filing_or_token, "verify_token", filing_or_token)
    return reverse("verify:verify", args=[token])


def test_genuine_and_current(client_for, approved):
    response = client_for(None).get(verify_url(approved))

    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-genuine="true"' in html and 'data-current="true"' in html
    assert "回执真实有效" in html and "目前在任" in html
    assert approved.number in html
    assert approved.enterprise.name in html
    person = approved.appointment.person
    assert person.name in html and approved.appointment.position in html
    assert person.id_number not in html
    assert person.masked_id_number not in html
    assert person.mobile not in html
    assert response["X-Robots-Tag"] == "noindex, nofollow"


def test_no_login_needed_and_signed_in_users_see_the_same(client_for, leader, approved):
    response = client_for(leader).get(verify_url(approved))
    assert response.status_code == 200
    assert 'data-genuine="true"' in response.content.decode()


def test_superseded_by_a_change(client_for, reviewer, approved, enterprise_user):
    change = make_submitted(approved.enterprise, replace=True, actor=enterprise_user)
    filing_approve(filing=change, actor=reviewer)

    response = client_for(None).get(verify_url(approved))

    html = response.content.decode()
    assert 'data-genuine="true"' in html and 'data-current="false"' in html
    assert "已不在任" in html and "变更首席质量官" in html
    assert change.appointment.appointed_on.isoformat() in html
    # The new receipt is current.
    new = client_for(None).get(verify_url(change)).content.decode()
    assert 'data-current="true"' in new


def test_ended_by_a_dismissal(client_for, reviewer, approved, enterprise_user):
    dismissal = make_dismissal(approved.enterprise, actor=enterprise_user, end_reason="left")
    dismissal = filing_approve(filing=dismissal, actor=reviewer)

    response = client_for(None).get(verify_url(approved))

    html = response.content.decode()
    assert 'data-current="false"' in html
    assert "解聘备案" in html and "离职" in html
    assert dismissal.end_date.isoformat() in html
    # The dismissal's own receipt is genuine and says what it records.
    own = client_for(None).get(verify_url(dismissal)).content.decode()
    assert 'data-genuine="true"' in own and "解聘备案回执" in own


def test_ended_otherwise(client_for, approved):
    from appointments.services import appointment_end

    appointment = approved.appointment
    appointment_end(appointment=appointment, ended_on=appointment.appointed_on, reason="exit")

    html = client_for(None).get(verify_url(approved)).content.decode()

    assert 'data-current="false"' in html and "退出" in html


def test_unknown_token_is_404_saying_not_genuine(client_for, approved):
    response = client_for(None).get(verify_url("not-a-real-token"))

    assert response.status_code == 404
    html = response.content.decode()
    assert 'data-genuine="false"' in html and "回执可能不是真实的" in html


@pytest.mark.parametrize("state", ["submitted", "returned"])
def test_token_of_a_filing_not_approved_is_not_genuine(client_for, reviewer, submitted, state):
    if state == "returned":
        from appointments.services import filing_return

        filing_return(filing=submitted, reasons="补充材料", actor=reviewer)

    response = client_for(None).get(verify_url(submitted))

    assert response.status_code == 404
