"""Scope of the portal: an enterprise user only ever reaches their own enterprise's filings
(another enterprise's filing id is a 404 on every URL, GET and POST); other roles get 403 on
every portal page; anonymous users go to the login page."""

import pytest

from appointments.models import FilingStatus
from tests.factories import FilingFactory

PAGES = [
    "/portal/",
    "/portal/filings/new/",
    "/portal/filings/change/",
    "/portal/filings/dismiss/",
]


def filing_urls(filing):
    return [
        f"/portal/filings/{filing.pk}/",
        f"/portal/filings/{filing.pk}/edit/",
        f"/portal/filings/{filing.pk}/submit/",
        f"/portal/filings/{filing.pk}/withdraw/",
    ]


@pytest.fixture
def outsider_draft(outsider_enterprise):
    return FilingFactory(draft=True, appointment__enterprise=outsider_enterprise)


@pytest.mark.parametrize("method", ["get", "post"])
def test_other_enterprise_filings_are_404(
    client_for, enterprise_user, outsider_draft, outsider_appointment, method
):
    client = client_for(enterprise_user)
    approved = outsider_appointment.filings.get()
    for filing in (outsider_draft, approved):
        for url in filing_urls(filing):
            response = getattr(client, method)(url)
            assert response.status_code == 404, url
    letter_url = f"/files/letters/{outsider_draft.appointment_id}/"
    assert client.get(letter_url).status_code == 404
    outsider_draft.refresh_from_db()
    assert outsider_draft.status == FilingStatus.DRAFT


def test_own_filing_is_reachable(client_for, enterprise_user, home_appointment):
    filing = home_appointment.filings.get()
    assert client_for(enterprise_user).get(f"/portal/filings/{filing.pk}/").status_code == 200


@pytest.mark.parametrize(
    "role", ["leader", "town_officer", "reviewer", "bureau_admin", "no_role_user"]
)
def test_other_roles_get_403_everywhere(client_for, request, role, home_appointment):
    client = client_for(request.getfixturevalue(role))
    filing = home_appointment.filings.get()
    for url in PAGES + filing_urls(filing):
        assert client.get(url).status_code == 403, url
        assert client.post(url).status_code == 403, url


def test_anonymous_goes_to_login_everywhere(client, home_appointment):
    filing = home_appointment.filings.get()
    for url in PAGES + filing_urls(filing):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/login/"), url


def test_inactive_enterprise_user_is_refused(client_for, enterprise_user):
    enterprise_user.is_active = False
    enterprise_user.save()
    # force_login works for inactive users with ModelBackend off; role_of() sees no role.
    response = client_for(enterprise_user).get("/portal/")
    assert response.status_code in (302, 403)
