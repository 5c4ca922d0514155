"""Only bureau admins and reviewers reach /review/ (SPEC §1): leaders, town officers,
enterprise users and users without a role get 403, anonymous users the login page — on every
URL and for every method, so a leader cannot approve by posting directly."""

import pytest
from django.urls import reverse

from appointments.models import FilingStatus
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

REFUSED = ["leader", "town_officer", "enterprise_user", "outsider_enterprise_user", "no_role_user"]


@pytest.fixture
def registration(db, home_town):
    from enterprises.models import EnterpriseRegistration
    from tests.factories import make_uscc

    user = UserFactory(username="applicant", enterprise_user=False, is_active=False)
    return EnterpriseRegistration.objects.create(
        uscc=make_uscc(90001),
        name="新注册科技有限公司",
        contact_name="李四",
        mobile="13900000001",
        email="li@example.cn",
        town=home_town,
        scale="sme",
        industry="C",
        user=user,
    )


@pytest.fixture
def review_urls(submitted, registration):
    pk = submitted.pk
    return [
        ("get", reverse("review:queue")),
        ("get", reverse("review:filing", args=[pk])),
        ("get", reverse("review:filing_approve", args=[pk])),
        ("post", reverse("review:filing_approve", args=[pk])),
        ("get", reverse("review:filing_return", args=[pk])),
        ("post", reverse("review:filing_return", args=[pk])),
        ("get", reverse("review:registrations")),
        ("get", reverse("review:registration", args=[registration.pk])),
        ("post", reverse("review:registration_approve", args=[registration.pk])),
        ("post", reverse("review:registration_reject", args=[registration.pk])),
    ]


@pytest.mark.parametrize("role", REFUSED)
def test_every_review_url_refuses_other_roles(request, client_for, review_urls, role):
    client = client_for(request.getfixturevalue(role))
    for method, url in review_urls:
        data = {"reasons": "x", "reason": "x"} if method == "post" else None
        response = getattr(client, method)(url, data)
        assert response.status_code == 403, (role, method, url)


def test_every_review_url_sends_anonymous_users_to_login(client_for, review_urls):
    client = client_for(None)
    for method, url in review_urls:
        response = getattr(client, method)(url)
        assert response.status_code == 302, (method, url)
        assert response["Location"].startswith(reverse("login")), (method, url)


def test_leader_posting_approve_changes_nothing(client_for, leader, submitted, registration):
    response = client_for(leader).post(reverse("review:filing_approve", args=[submitted.pk]))

    assert response.status_code == 403
    submitted.refresh_from_db()
    assert submitted.status == FilingStatus.SUBMITTED
    assert submitted.number is None
    assert not submitted.events.filter(action="approve").exists()


def test_town_officer_posting_return_changes_nothing(client_for, town_officer, submitted):
    response = client_for(town_officer).post(
        reverse("review:filing_return", args=[submitted.pk]), {"reasons": "材料不全"}
    )

    assert response.status_code == 403
    submitted.refresh_from_db()
    assert submitted.status == FilingStatus.SUBMITTED


@pytest.mark.parametrize("role", ["bureau_admin", "reviewer"])
def test_bureau_roles_open_every_review_page(request, client_for, review_urls, role):
    client = client_for(request.getfixturevalue(role))
    for method, url in review_urls:
        if method == "get":
            response = client.get(url, follow=True)
            assert response.status_code == 200, (role, url)


def test_draft_filing_is_not_shown_to_the_bureau(client_for, reviewer, home_enterprise):
    from tests.factories import FilingFactory

    draft = FilingFactory(draft=True, appointment__enterprise=home_enterprise)

    response = client_for(reviewer).get(reverse("review:filing", args=[draft.pk]))

    assert response.status_code == 404
