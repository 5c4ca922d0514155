"""Throttles that need no outside service (issue 13), at the counts the settings give:
failed sign-ins from one address bring a CAPTCHA at 30 and 429 at 60 (the lockout per
username stays django-axes'); the public lookup answers 429 after 60 requests a minute from one
address; self-registration after 5 an hour. And the bureau admin's page to see and lift
lockouts."""

import time

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django_ratelimit.core import _get_window

from cqo_registry.accounts.models import AccountEvent, AccountEventKind
from tests.factories import DEFAULT_PASSWORD, UserFactory, captcha_fields, make_uscc

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def client_at(address: str = "203.0.113.7") -> Client:
    return Client(REMOTE_ADDR=address)


def address_with_window_left(period_seconds: int, needed_seconds: int) -> str:
    """An address (of TEST-NET-3) whose current throttle window has at least
    ``needed_seconds`` left, so that every request of a test is counted in one window — on a
    loaded machine, 60 requests can straddle a window's end and start counting again.

    django-ratelimit's windows are fixed but offset per address (a jitter from the address's
    CRC), so among 254 addresses one always has the time left, and no test has to wait for
    the next window. ``_get_window`` names a window by the whole second it ends in, and during
    that second it still answers the old window: the window really ends one second later."""
    for host in range(1, 255):
        address = f"203.0.113.{host}"
        if _get_window(address, period_seconds) + 1 - time.time() >= needed_seconds:
            return address
    raise AssertionError("no address has a window with enough time left")


def fail_sign_ins(client: Client, times: int, *, start: int = 0):
    """``times`` wrong passwords, each for another username (so that no account locks)."""
    return [
        client.post(LOGIN, {"username": f"guess{start + i}", "password": "Wrong#2031"})
        for i in range(times)
    ]


def needs_captcha(response) -> bool:
    return "captcha" in response.context["form"].fields


# --- Sign-in: CAPTCHA at 30 failures from one address, 429 at 60 ------------------------------


def test_the_captcha_appears_at_the_30th_failure_and_429_at_the_60th(settings, reviewer):
    assert (settings.CQO_LOGIN_IP_CAPTCHA_AFTER, settings.CQO_LOGIN_IP_BLOCK_AFTER) == (30, 60)
    assert settings.CQO_LOGIN_IP_WINDOW_MINUTES == 15
    client = client_at(address_with_window_left(15 * 60, needed_seconds=240))
    responses = fail_sign_ins(client, 29)
    assert [r.status_code for r in responses] == [200] * 29
    assert not any(needs_captcha(r) for r in responses)
    assert not needs_captcha(client.get(LOGIN))

    thirtieth = fail_sign_ins(client, 1, start=29)[0]
    assert needs_captcha(thirtieth)  # shown with the errors of the 30th
    page = client.get(LOGIN)
    assert needs_captcha(page)
    assert 'src="/captcha/image/' in page.content.decode()

    # With the CAPTCHA required, even the right password does not sign in without it — and
    # does not count against the account's lockout.
    response = client.post(LOGIN, {"username": "reviewer", "password": DEFAULT_PASSWORD})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert not AccessAttempt.objects.filter(username="reviewer").exists()
    # With it solved, the right password signs in.
    response = client.post(
        LOGIN, {"username": "reviewer", "password": DEFAULT_PASSWORD, **captcha_fields()}
    )
    assert response.status_code == 302
    client.post("/accounts/logout/")

    # 31 failures so far (the one without the CAPTCHA counted); 28 more make 59.
    for i in range(28):
        response = client.post(
            LOGIN, {"username": f"more{i}", "password": "Wrong#2031", **captcha_fields()}
        )
        assert response.status_code == 200, i
    sixtieth = client.post(
        LOGIN, {"username": "last", "password": "Wrong#2031", **captcha_fields()}
    )
    assert sixtieth.status_code == 429
    assert "请求过于频繁" in sixtieth.content.decode()
    # Now every request of the sign-in page is refused, right password and CAPTCHA included.
    assert client.get(LOGIN).status_code == 429
    response = client.post(
        LOGIN, {"username": "reviewer", "password": DEFAULT_PASSWORD, **captcha_fields()}
    )
    assert response.status_code == 429
    assert response["Retry-After"] == str(15 * 60)


def test_another_address_is_not_throttled(settings):
    settings.CQO_LOGIN_IP_CAPTCHA_AFTER, settings.CQO_LOGIN_IP_BLOCK_AFTER = 3, 5
    fail_sign_ins(client_at("203.0.113.7"), 5)
    assert client_at("203.0.113.7").get(LOGIN).status_code == 429
    other = client_at("198.51.100.9").get(LOGIN)
    assert other.status_code == 200 and not needs_captcha(other)


def test_the_counts_are_settings(settings):
    settings.CQO_LOGIN_IP_CAPTCHA_AFTER, settings.CQO_LOGIN_IP_BLOCK_AFTER = 2, 4
    client = client_at()
    first, second = fail_sign_ins(client, 2)
    assert not needs_captcha(first) and needs_captcha(second)
    third = client.post(LOGIN, {"username": "x", "password": "Wrong#1", **captcha_fields()})
    assert third.status_code == 200
    fourth = client.post(LOGIN, {"username": "y", "password": "Wrong#1", **captcha_fields()})
    assert fourth.status_code == 429


def test_a_wrong_captcha_counts_as_a_failure(settings):
    settings.CQO_LOGIN_IP_CAPTCHA_AFTER, settings.CQO_LOGIN_IP_BLOCK_AFTER = 1, 3
    client = client_at()
    fail_sign_ins(client, 1)
    wrong = {**captcha_fields(), "captcha_1": "nope"}
    response = client.post(LOGIN, {"username": "a", "password": "b", **wrong})
    assert "验证码不正确" in " ".join(response.context["form"].errors["captcha"])
    wrong = {**captcha_fields(), "captcha_1": "nope"}
    assert client.post(LOGIN, {"username": "a", "password": "b", **wrong}).status_code == 429


def test_the_address_behind_a_proxy_is_the_header_it_sets(settings):
    settings.CQO_LOGIN_IP_CAPTCHA_AFTER, settings.CQO_LOGIN_IP_BLOCK_AFTER = 2, 3
    settings.CQO_CLIENT_IP_HEADER = "HTTP_X_REAL_IP"
    proxy = "10.0.0.2"
    first = Client(REMOTE_ADDR=proxy, HTTP_X_REAL_IP="203.0.113.7")
    fail_sign_ins(first, 3)
    assert first.get(LOGIN).status_code == 429
    # Another person behind the same proxy is not.
    assert Client(REMOTE_ADDR=proxy, HTTP_X_REAL_IP="203.0.113.8").get(LOGIN).status_code == 200


def test_the_lockout_per_username_is_as_before(reviewer):
    """Five wrong passwords lock the account (django-axes), whatever the address."""
    for address in ("203.0.113.1", "203.0.113.2", "203.0.113.3", "203.0.113.4", "203.0.113.5"):
        client_at(address).post(LOGIN, {"username": "reviewer", "password": "Wrong#2031"})
    response = client_at("198.51.100.1").post(
        LOGIN, {"username": "reviewer", "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 429
    assert "账号已锁定" in response.content.decode()


# --- The public lookup: 60 a minute per address ------------------------------------------------


def test_the_public_lookup_answers_429_after_60_requests_a_minute(settings, home_enterprise):
    assert settings.CQO_PUBLIC_LOOKUP_RATE == "60/m"
    # Counted over an hour instead of a minute: 60 requests on a loaded machine can take longer
    # than a minute, and the count would start again. The limit of 60 is what is tested.
    settings.CQO_PUBLIC_LOOKUP_RATE = "60/h"
    client = client_at(address_with_window_left(3600, needed_seconds=600))
    statuses = [client.get("/public/", {"q": "城关"}).status_code for _ in range(60)]
    assert statuses == [200] * 60
    response = client.get("/public/", {"q": "城关"})
    assert response.status_code == 429
    assert "请求过于频繁" in response.content.decode()
    assert home_enterprise.uscc not in response.content.decode()
    assert client_at("198.51.100.9").get("/public/", {"q": "城关"}).status_code == 200


# --- Self-registration: 5 an hour per address --------------------------------------------------


def registration(n: int, **overrides) -> dict:
    return {
        "uscc": make_uscc(8000 + n),
        "name": f"注册测试{n}有限公司",
        "contact_name": "赵联系",
        "mobile": "13955550002",
        "email": f"r{n}@example.cn",
        "username": f"applicant{n}",
        "password1": "Qiye#Reg2026",
        "password2": "Qiye#Reg2026",
        "town": "",
        "scale": "sme",
        "industry": "C",
        **captcha_fields(),
        **overrides,
    }


def test_registration_answers_429_after_5_an_hour(settings, home_town):
    assert settings.CQO_REGISTRATION_RATE == "5/h"
    client = client_at()
    # A form sent back with errors does not count.
    refused = client.post("/register/", registration(0, password2="Other#Pass2031"))
    assert refused.status_code == 200
    for n in range(1, 6):
        response = client.post("/register/", registration(n, town=home_town.pk))
        assert response.status_code == 302, response.content.decode()[:2000]
    response = client.post("/register/", registration(6, town=home_town.pk))
    assert response.status_code == 429
    assert client.get("/register/").status_code == 200  # the form itself is still shown
    other = client_at("198.51.100.9").post("/register/", registration(7, town=home_town.pk))
    assert other.status_code == 302


# --- Lockout management on the product's page -----------------------------------------------


@pytest.fixture
def locked(reviewer):
    for _attempt in range(5):
        client_at().post(LOGIN, {"username": "reviewer", "password": "Wrong#2031"})
    assert (
        client_at().post(LOGIN, {"username": "reviewer", "password": DEFAULT_PASSWORD}).status_code
        == 429
    )
    return reviewer


def test_a_bureau_admin_who_is_not_a_superuser_sees_and_lifts_a_lockout(
    locked, bureau_admin, client_for
):
    assert not bureau_admin.is_superuser
    admin = client_for(bureau_admin)
    page = admin.get("/accounts/security/")
    assert page.status_code == 200
    assert [a.username for a in page.context["locked"]] == ["reviewer"]
    assert 'data-username="reviewer"' in page.content.decode()

    response = admin.post("/accounts/security/unlock/", {"username": "reviewer"})
    assert response.status_code == 302
    event = AccountEvent.objects.get(kind=AccountEventKind.LOCKOUT_LIFTED)
    assert (event.user, event.actor) == (locked, bureau_admin)
    assert (
        client_at().post(LOGIN, {"username": "reviewer", "password": DEFAULT_PASSWORD}).status_code
        == 302
    )
    assert admin.get("/accounts/security/").context["locked"] == []


def test_lifting_a_lockout_that_is_not_there_says_so(bureau_admin, client_for):
    admin = client_for(bureau_admin)
    response = admin.post("/accounts/security/unlock/", {"username": "nobody"}, follow=True)
    assert "当前未被锁定" in response.content.decode()
    assert not AccountEvent.objects.exists()


@pytest.mark.parametrize("role", ["reviewer", "leader", "town_officer", "enterprise_user"])
def test_only_bureau_admins_see_or_lift_lockouts(request, locked, client_for, role):
    user = request.getfixturevalue(role) if role != "reviewer" else UserFactory(reviewer=True)
    client = client_for(user)
    assert client.get("/accounts/security/").status_code == 403
    assert client.post("/accounts/security/unlock/", {"username": "reviewer"}).status_code == 403
    assert AccessAttempt.objects.filter(username="reviewer").exists()


def test_anonymous_is_sent_to_sign_in_from_the_security_page():
    response = Client().get("/accounts/security/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
