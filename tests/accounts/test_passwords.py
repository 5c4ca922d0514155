"""Passwords people can keep (issue 13): every user changes their own; a password set by
someone else is changed at the first sign-in; bureau, leader and town passwords expire after
90 days (enterprise ones do not, by default); none of the last 5 comes back; a reset by
e-mail, the mail read from the outbox; a session ends 12 hours after sign-in."""

import re
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.sessions.models import Session
from django.core import mail
from django.test import Client
from django.utils import timezone

from cqo_registry.accounts import policy
from cqo_registry.accounts.models import AccountEvent, AccountEventKind, PasswordHistory, User
from enterprises.services import registration_approve, registration_submit
from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

CHANGE_URL = "/accounts/password/change/"
NEW_PASSWORDS = ["Hefei@Shushan88", "Lan7-Qiao9-Shu", "Tea4Two@Lake", "Huaihe-Bridge-47"]


def sign_in(username: str, password: str = DEFAULT_PASSWORD) -> tuple[Client, object]:
    client = Client()
    response = client.post("/accounts/login/", {"username": username, "password": password})
    assert response.status_code == 302, response.content.decode()[:2000]
    return client, response


def change(client: Client, old: str, new: str):
    return client.post(
        CHANGE_URL, {"old_password": old, "new_password1": new, "new_password2": new}
    )


# --- Changing one's password ------------------------------------------------------------------


@pytest.mark.parametrize(
    "role", ["bureau_admin", "reviewer", "leader", "town_officer", "enterprise_user"]
)
def test_every_user_changes_their_password(request, role):
    user = request.getfixturevalue(role)
    client, _ = sign_in(user.username)
    assert client.get(CHANGE_URL).status_code == 200

    response = change(client, DEFAULT_PASSWORD, NEW_PASSWORDS[0])

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORDS[0])
    assert timezone.now() - user.password_changed_at < timedelta(minutes=1)
    assert AccountEvent.objects.filter(kind=AccountEventKind.PASSWORD_CHANGED, user=user).exists()
    # Still signed in after the change.
    assert client.get("/notifications/").status_code == 200


def test_change_needs_the_current_password(reviewer):
    client, _ = sign_in("reviewer")
    response = change(client, "Wrong@Pass2031", NEW_PASSWORDS[0])
    assert response.status_code == 200
    assert "old_password" in response.context["form"].errors
    reviewer.refresh_from_db()
    assert reviewer.check_password(DEFAULT_PASSWORD)


def test_a_guessable_new_password_is_refused_with_advice(reviewer):
    client, _ = sign_in("reviewer")
    response = change(client, DEFAULT_PASSWORD, "Admin@123")
    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors["new_password2"])
    assert "太容易猜测" in errors


def test_anonymous_is_sent_to_sign_in():
    response = Client().get(CHANGE_URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


# --- No reuse of the last five ----------------------------------------------------------------


def test_the_current_password_cannot_be_set_again(reviewer):
    client, _ = sign_in("reviewer")
    response = change(client, DEFAULT_PASSWORD, DEFAULT_PASSWORD)
    assert "最近使用过的 5 个密码" in " ".join(response.context["form"].errors["new_password2"])


def test_none_of_the_last_five_comes_back_the_sixth_may(reviewer):
    client, _ = sign_in("reviewer")
    passwords = ["First#Walk2031", *NEW_PASSWORDS]
    current = DEFAULT_PASSWORD
    for new in passwords:
        assert change(client, current, new).status_code == 302, new
        current = new
    # The last five (the current one included) are refused.
    for old in passwords:
        response = change(client, current, old)
        assert response.status_code == 200, old
        assert "最近使用过的" in " ".join(response.context["form"].errors["new_password2"])
    assert PasswordHistory.objects.filter(user=reviewer).count() == 5
    # The one before them (the factory's, never in the history) and the oldest one of the
    # history's six are allowed again.
    assert change(client, current, "Brand#New2032x").status_code == 302
    assert change(client, "Brand#New2032x", "First#Walk2031").status_code == 302


# --- Forced change at the first sign-in --------------------------------------------------------


def test_an_account_opened_in_the_admin_changes_its_password_first(bureau_admin, client_for):
    admin = client_for(bureau_admin)
    response = admin.post(
        "/admin/accounts/user/add/",
        {
            "username": "newclerk",
            "password1": "Temp#Bureau2031",
            "password2": "Temp#Bureau2031",
            "usable_password": "true",
            "role": "reviewer",
            "mobile": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    user = User.objects.get(username="newclerk")
    assert user.must_change_password

    client, response = sign_in("newclerk", "Temp#Bureau2031")
    # Whatever page is asked for, the password comes first.
    for page in ("/", "/review/", "/admin/", "/notifications/"):
        response = client.get(page)
        assert response.status_code == 302
        assert response["Location"].startswith(CHANGE_URL), page
    page = client.get(CHANGE_URL).content.decode()
    assert "请先设置只有您自己知道的新密码" in page

    response = change(client, "Temp#Bureau2031", NEW_PASSWORDS[1])
    assert response.status_code == 302
    user.refresh_from_db()
    assert not user.must_change_password
    assert client.get("/review/").status_code == 200


def test_a_password_set_in_the_admin_is_changed_at_the_next_sign_in(bureau_admin, client_for):
    clerk = UserFactory(username="clerk", leader=True)
    response = client_for(bureau_admin).post(
        f"/admin/accounts/user/{clerk.pk}/password/",
        {"password1": "Reset#Bureau2031", "password2": "Reset#Bureau2031"},
    )
    assert response.status_code == 302
    clerk.refresh_from_db()
    assert clerk.must_change_password and clerk.check_password("Reset#Bureau2031")


def test_an_approved_registration_changes_its_password_first(home_enterprise, reviewer):
    registration = registration_submit(
        uscc=home_enterprise.uscc,
        name=home_enterprise.name,
        contact_name="李联系",
        mobile="13955550001",
        email="li@example.cn",
        username="applicant",
        password="Qiye#Reg2026",
    )
    registration_approve(registration=registration, actor=reviewer)
    client, response = sign_in("applicant", "Qiye#Reg2026")
    assert client.get("/portal/")["Location"].startswith(CHANGE_URL)


def test_the_forced_change_lets_sign_out(reviewer):
    User.objects.filter(pk=reviewer.pk).update(must_change_password=True)
    client, _ = sign_in("reviewer")
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


# --- Maximum age ------------------------------------------------------------------------------


def age(user, days: int) -> None:
    User.objects.filter(pk=user.pk).update(
        password_changed_at=timezone.now() - timedelta(days=days)
    )


@pytest.mark.parametrize("role", ["bureau_admin", "reviewer", "leader", "town_officer"])
def test_bureau_leader_and_town_passwords_expire_after_90_days(request, role, settings):
    assert settings.CQO_PASSWORD_MAX_AGE_DAYS == 90
    user = request.getfixturevalue(role)
    age(user, 89)
    client, _ = sign_in(user.username)
    assert client.get("/notifications/").status_code == 200

    age(user, 90)
    response = client.get("/notifications/")
    assert response.status_code == 302
    assert response["Location"].startswith(CHANGE_URL)
    page = client.get(CHANGE_URL).content.decode()
    assert "已超过 90 天未修改" in page

    assert change(client, DEFAULT_PASSWORD, NEW_PASSWORDS[2]).status_code == 302
    assert client.get("/notifications/").status_code == 200


def test_enterprise_passwords_do_not_expire_by_default(enterprise_user, settings):
    assert settings.CQO_PASSWORD_MAX_AGE_ENTERPRISE_DAYS == 0
    age(enterprise_user, 3000)
    client, _ = sign_in("enterprise_user")
    assert client.get("/portal/").status_code == 200


def test_enterprise_maximum_age_is_a_setting(enterprise_user, settings):
    settings.CQO_PASSWORD_MAX_AGE_ENTERPRISE_DAYS = 180
    age(enterprise_user, 181)
    client, _ = sign_in("enterprise_user")
    assert client.get("/portal/")["Location"].startswith(CHANGE_URL)


def test_bureau_maximum_age_is_a_setting(reviewer, settings):
    settings.CQO_PASSWORD_MAX_AGE_DAYS = 0  # no maximum
    age(reviewer, 1000)
    client, _ = sign_in("reviewer")
    assert client.get("/review/").status_code == 200


def test_demo_accounts_neither_expire_nor_are_forced(reviewer):
    User.objects.filter(pk=reviewer.pk).update(
        is_demo=True,
        must_change_password=True,
        password_changed_at=timezone.now() - timedelta(days=1000),
    )
    client, _ = sign_in("reviewer")
    assert client.get("/review/").status_code == 200


def test_a_password_never_changed_counts_from_the_account_opening(reviewer):
    User.objects.filter(pk=reviewer.pk).update(
        password_changed_at=None, date_joined=timezone.now() - timedelta(days=100)
    )
    reviewer.refresh_from_db()
    assert policy.password_expired(reviewer)


# --- Reset by e-mail --------------------------------------------------------------------------


def reset_link(message) -> str:
    match = re.search(r"http://testserver(/accounts/password/reset/[^/\s]+/[^/\s]+/)", message)
    assert match, message
    return match.group(1)


def test_reset_by_email(reviewer, settings, django_capture_on_commit_callbacks):
    settings.SITE_URL = "http://testserver"
    client = Client()
    assert "找回密码" in client.get("/accounts/password/reset/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/password/reset/", {"email": "REVIEWER@example.cn"})
    assert response["Location"] == "/accounts/password/reset/sent/"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["reviewer@example.cn"]
    assert "重设密码" in message.subject
    assert "我们收到了重设账号 reviewer 密码的申请" in message.body
    assert message.alternatives and "设置新密码" in message.alternatives[0][0]

    link = reset_link(message.body)
    form_page = client.get(link, follow=True)
    assert "设置新密码" in form_page.content.decode()
    url = form_page.redirect_chain[-1][0]
    response = client.post(url, {"new_password1": "Admin@123", "new_password2": "Admin@123"})
    assert "太容易猜测" in " ".join(response.context["form"].errors["new_password2"])
    response = client.post(
        url, {"new_password1": NEW_PASSWORDS[3], "new_password2": NEW_PASSWORDS[3]}
    )
    assert response["Location"] == "/accounts/password/reset/complete/"
    reviewer.refresh_from_db()
    assert reviewer.check_password(NEW_PASSWORDS[3])
    assert AccountEvent.objects.filter(kind=AccountEventKind.PASSWORD_RESET, user=reviewer)
    # The link works once.
    again = client.get(link, follow=True).content.decode()
    assert "链接无效或已过期" in again
    sign_in("reviewer", NEW_PASSWORDS[3])


def test_reset_of_an_unknown_address_says_the_same_and_sends_nothing(
    db, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post("/accounts/password/reset/", {"email": "nobody@example.cn"})
    assert response["Location"] == "/accounts/password/reset/sent/"
    assert mail.outbox == []


def test_reset_lifts_the_lockout(reviewer, settings, django_capture_on_commit_callbacks):
    settings.SITE_URL = "http://testserver"
    for _attempt in range(5):
        Client().post("/accounts/login/", {"username": "reviewer", "password": "Wrong#1"})
    assert AccessAttempt.objects.filter(username="reviewer").exists()
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/password/reset/", {"email": "reviewer@example.cn"})
    url = client.get(reset_link(mail.outbox[0].body), follow=True).redirect_chain[-1][0]
    client.post(url, {"new_password1": NEW_PASSWORDS[0], "new_password2": NEW_PASSWORDS[0]})
    assert not AccessAttempt.objects.filter(username="reviewer").exists()
    sign_in("reviewer", NEW_PASSWORDS[0])


def test_a_mail_server_that_is_down_does_not_fail_the_reset_page(
    reviewer, settings, django_capture_on_commit_callbacks, caplog
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post("/accounts/password/reset/", {"email": "reviewer@example.cn"})
    assert response["Location"] == "/accounts/password/reset/sent/"
    assert "account e-mail to reviewer@example.cn not sent" in caplog.text


def test_reset_mail_is_not_sent_when_the_transaction_rolls_back(reviewer):
    from django.db import transaction

    from cqo_registry.accounts.forms import ResetRequestForm

    with transaction.atomic():
        form = ResetRequestForm({"email": "reviewer@example.cn"})
        assert form.is_valid()
        form.save(domain_override="testserver")
        transaction.set_rollback(True)
    assert mail.outbox == []


# --- Absolute session lifetime ----------------------------------------------------------------


def started(client: Client, hours_ago: float) -> None:
    session = client.session
    session[policy.SESSION_STARTED_KEY] = (timezone.now() - timedelta(hours=hours_ago)).timestamp()
    session.save()


def test_a_session_ends_12_hours_after_sign_in_however_active(reviewer, settings):
    assert settings.SESSION_ABSOLUTE_HOURS == 12
    client, _ = sign_in("reviewer")
    started(client, 11.9)
    assert client.get("/review/").status_code == 200

    started(client, 12)
    response = client.get("/review/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/review/"
    assert "_auth_user_id" not in client.session
    page = client.get(response["Location"]).content.decode()
    assert "登录已超过规定时长" in page


def test_sign_in_starts_the_lifetime(reviewer):
    client, _ = sign_in("reviewer")
    start = client.session[policy.SESSION_STARTED_KEY]
    assert abs(start - timezone.now().timestamp()) < 60


def test_the_absolute_lifetime_is_a_setting(reviewer, settings):
    settings.SESSION_ABSOLUTE_HOURS = 2
    client, _ = sign_in("reviewer")
    started(client, 2.1)
    assert client.get("/review/").status_code == 302
    assert "_auth_user_id" not in client.session


def test_an_idle_session_still_ends_after_30_minutes(reviewer, settings):
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    client, _ = sign_in("reviewer")
    session = Session.objects.get(session_key=client.session.session_key)
    Session.objects.filter(pk=session.pk).update(expire_date=timezone.now() - timedelta(seconds=1))
    assert client.get("/review/")["Location"] == "/accounts/login/?next=/review/"
