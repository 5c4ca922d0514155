"""Several accounts per enterprise (issue 13): the enterprise admin invites a colleague by an
e-mail link, deactivates and reactivates accounts, and hands the admin role over; colleagues
see each other; another enterprise's accounts are out of reach; the portal shows who filed
what."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone

from appointments.services import filing_create_appointment, filing_submit
from cqo_registry.accounts.models import (
    AccountEvent,
    AccountEventKind,
    EnterpriseInvitation,
    User,
)
from tests.factories import DEFAULT_PASSWORD, PersonFactory, UserFactory

pytestmark = pytest.mark.django_db

MEMBERS = "/portal/users/"
COLLEAGUE_PASSWORD = "Tea4Two@Lake"


@pytest.fixture
def admin_user(enterprise_user):
    User.objects.filter(pk=enterprise_user.pk).update(is_enterprise_admin=True)
    enterprise_user.refresh_from_db()
    return enterprise_user


@pytest.fixture
def colleague(admin_user):
    return UserFactory(username="colleague", enterprise_user=True, enterprise=admin_user.enterprise)


def invite(client: Client, email="xiao@example.cn", name="肖同事", capture=None):
    with capture(execute=True):
        return client.post(f"{MEMBERS}invite/", {"email": email, "name": name})


def invitation_path(message) -> str:
    return re.search(r"http://testserver(/accounts/invitations/[^/\s]+/)", message.body).group(1)


def test_the_admin_invites_a_colleague_who_opens_an_account_and_signs_in(
    admin_user, client_for, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "http://testserver"
    admin = client_for(admin_user)
    page = admin.get(MEMBERS)
    assert page.status_code == 200 and page.context["is_admin"]
    response = invite(admin, capture=django_capture_on_commit_callbacks)
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["xiao@example.cn"]
    assert admin_user.enterprise.name in message.subject
    path = invitation_path(message)
    invitation = EnterpriseInvitation.objects.get()
    assert path.split("/")[-2] not in invitation.token_hash  # only the hash is stored
    assert "xiao@example.cn" in admin.get(MEMBERS).content.decode()

    visitor = Client()
    form = visitor.get(path)
    assert form.status_code == 200 and "开通企业账号" in form.content.decode()
    weak = visitor.post(
        path,
        {
            "name": "肖同事",
            "mobile": "13955550003",
            "username": "xiao",
            "password1": "Admin@123",
            "password2": "Admin@123",
        },
    )
    assert "太容易猜测" in weak.content.decode()
    response = visitor.post(
        path,
        {
            "name": "肖同事",
            "mobile": "13955550003",
            "username": "xiao",
            "password1": COLLEAGUE_PASSWORD,
            "password2": COLLEAGUE_PASSWORD,
        },
    )
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    user = User.objects.get(username="xiao")
    assert (user.enterprise, user.role, user.is_active) == (
        admin_user.enterprise,
        "enterprise",
        True,
    )
    assert not user.is_enterprise_admin and not user.must_change_password
    assert user.email == "xiao@example.cn"
    assert AccountEvent.objects.filter(kind=AccountEventKind.INVITATION_ACCEPTED, user=user)

    signed_in = Client()
    response = signed_in.post(
        "/accounts/login/", {"username": "xiao", "password": COLLEAGUE_PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/portal/"
    # The link works once.
    assert visitor.get(path).status_code == 404


def test_an_expired_or_revoked_link_does_not_open_an_account(
    admin_user, client_for, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "http://testserver"
    admin = client_for(admin_user)
    invite(admin, capture=django_capture_on_commit_callbacks)
    path = invitation_path(mail.outbox[0])
    EnterpriseInvitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = Client().get(path)
    assert response.status_code == 404 and "邀请链接已失效" in response.content.decode()

    invite(admin, email="other@example.cn", capture=django_capture_on_commit_callbacks)
    invitation = EnterpriseInvitation.objects.get(email="other@example.cn")
    admin.post(f"{MEMBERS}invitations/{invitation.pk}/revoke/")
    assert Client().get(invitation_path(mail.outbox[1])).status_code == 404
    assert Client().get("/accounts/invitations/not-a-token/").status_code == 404


def test_inviting_again_replaces_the_open_invitation(
    admin_user, client_for, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "http://testserver"
    admin = client_for(admin_user)
    invite(admin, capture=django_capture_on_commit_callbacks)
    invite(admin, capture=django_capture_on_commit_callbacks)
    assert Client().get(invitation_path(mail.outbox[0])).status_code == 404
    assert Client().get(invitation_path(mail.outbox[1])).status_code == 200


def test_a_colleague_who_is_not_admin_sees_but_cannot_invite(colleague, client_for):
    client = client_for(colleague)
    page = client.get(MEMBERS)
    assert page.status_code == 200 and not page.context["is_admin"]
    assert "enterprise_user" in page.content.decode()
    assert client.post(f"{MEMBERS}invite/", {"email": "a@b.cn", "name": "x"}).status_code == 403
    assert not EnterpriseInvitation.objects.exists()


@pytest.mark.parametrize("role", ["reviewer", "leader", "town_officer"])
def test_other_roles_have_no_enterprise_accounts_page(request, client_for, role):
    assert client_for(request.getfixturevalue(role)).get(MEMBERS).status_code == 403


def test_deactivate_and_reactivate_a_colleague(admin_user, colleague, client_for):
    admin = client_for(admin_user)
    assert admin.post(f"{MEMBERS}{colleague.pk}/deactivate/").status_code == 302
    colleague.refresh_from_db()
    assert not colleague.is_active
    response = Client().post(
        "/accounts/login/", {"username": "colleague", "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 200  # refused
    event = AccountEvent.objects.get(kind=AccountEventKind.USER_DEACTIVATED)
    assert (event.user, event.actor) == (colleague, admin_user)

    admin.post(f"{MEMBERS}{colleague.pk}/reactivate/")
    colleague.refresh_from_db()
    assert colleague.is_active


def test_a_deactivated_colleague_is_signed_out(admin_user, colleague, client_for):
    signed_in = client_for(colleague)
    assert signed_in.get("/portal/").status_code == 200
    client_for(admin_user).post(f"{MEMBERS}{colleague.pk}/deactivate/")
    assert signed_in.get("/portal/").status_code == 302


def test_the_admin_cannot_deactivate_themselves(admin_user, client_for):
    response = client_for(admin_user).post(f"{MEMBERS}{admin_user.pk}/deactivate/", follow=True)
    assert "不能停用自己的账号" in response.content.decode()
    admin_user.refresh_from_db()
    assert admin_user.is_active


def test_another_enterprises_account_is_404(admin_user, outsider_enterprise_user, client_for):
    admin = client_for(admin_user)
    for action in ("deactivate", "reactivate", "hand-over"):
        url = f"{MEMBERS}{outsider_enterprise_user.pk}/{action}/"
        assert admin.post(url).status_code == 404, action
    outsider_enterprise_user.refresh_from_db()
    assert outsider_enterprise_user.is_active


def test_the_admin_hands_the_role_over(admin_user, colleague, client_for):
    admin = client_for(admin_user)
    url = f"{MEMBERS}{colleague.pk}/hand-over/"
    assert "确认移交" in admin.get(url).content.decode()
    assert admin.post(url).status_code == 302
    admin_user.refresh_from_db()
    colleague.refresh_from_db()
    assert colleague.is_enterprise_admin and not admin_user.is_enterprise_admin
    assert admin.post(f"{MEMBERS}invite/", {"email": "a@b.cn", "name": "x"}).status_code == 403
    event = AccountEvent.objects.get(kind=AccountEventKind.ENTERPRISE_ADMIN_HANDED_OVER)
    assert (event.user, event.actor) == (colleague, admin_user)


def test_one_enterprise_admin_per_enterprise_is_a_database_rule(admin_user, colleague):
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(pk=colleague.pk).update(is_enterprise_admin=True)


def test_the_portal_shows_who_filed_what(admin_user, colleague, client_for, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    from django.core.files.uploadedfile import SimpleUploadedFile

    User.objects.filter(pk=colleague.pk).update(first_name="肖同事")
    colleague.refresh_from_db()
    draft = filing_create_appointment(
        enterprise=admin_user.enterprise,
        person=PersonFactory(name="王质量"),
        position="副总经理",
        appointed_on=timezone.localdate() - timedelta(days=3),
        is_senior_manager=True,
        is_principal=False,
        departments=["management"],
        letter=SimpleUploadedFile(
            "letter.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf"
        ),
        actor=admin_user,
    )
    filing_submit(filing=draft, actor=colleague)
    page = client_for(admin_user).get("/portal/").content.decode()
    assert '<td class="filer">肖同事（colleague）</td>' in page
