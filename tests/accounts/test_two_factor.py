"""Two factors for bureau admins and reviewers (issue 13): TOTP with recovery codes, required
when ``CQO_TWO_FACTOR_REQUIRED`` is on; enrolment, the code after the password, recovery, and
a bureau admin resetting a lost authenticator (recorded). Codes are computed from the device's
key as an authenticator app computes them (RFC 6238), never mocked."""

import re
import time

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from cqo_registry.accounts.models import AccountEvent, AccountEventKind
from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

SETUP = "/accounts/two-factor/"
VERIFY = "/accounts/two-factor/verify/"
RECOVERY = "/accounts/two-factor/recovery/"


@pytest.fixture
def required(settings):
    settings.CQO_TWO_FACTOR_REQUIRED = True


def code_for(device: TOTPDevice, *, offset: int = 0) -> str:
    """What the authenticator app shows now (``offset`` steps later)."""
    device.refresh_from_db()
    value = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=offset)
    return f"{value:0{device.digits}d}"


def sign_in(username: str) -> Client:
    client = Client()
    response = client.post("/accounts/login/", {"username": username, "password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    return client


def enrol(client: Client, user) -> list[str]:
    """Enrol as a person does: open the page, scan (read the key), type the code."""
    page = client.get(SETUP)
    assert page.status_code == 200
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post(SETUP, {"code": code_for(device)})
    assert response.status_code == 200
    return re.findall(
        r"<li class=\"list-group-item\">([a-z2-7]{4}-[a-z2-7]{4})</li>", response.content.decode()
    )


def test_a_reviewer_enrols_at_first_sign_in_when_required(required, reviewer):
    client = sign_in("reviewer")
    response = client.get("/review/")
    assert response.status_code == 302
    assert response["Location"].startswith(SETUP)
    page = client.get(SETUP).content.decode()
    assert "须启用两步验证" in page and "两步验证二维码" in page
    device = TOTPDevice.objects.get(user=reviewer, confirmed=False)
    secret = re.search(r'id="two-factor-secret">([A-Z2-7 ]+)<', page).group(1)
    from base64 import b32encode

    assert secret.replace(" ", "") == b32encode(device.bin_key).decode().rstrip("=")
    qr = client.get("/accounts/two-factor/qr.svg")
    assert qr.status_code == 200 and qr["Content-Type"] == "image/svg+xml"
    assert "no-store" in qr["Cache-Control"]
    assert b"<svg" in qr.content

    wrong = client.post(SETUP, {"code": "000000" if code_for(device) != "000000" else "111111"})
    assert "验证码不正确" in wrong.content.decode()
    time.sleep(1.1)  # django-otp's throttle after a wrong code
    codes = enrol(client, reviewer)
    assert len(codes) == 10
    assert AccountEvent.objects.filter(kind=AccountEventKind.TWO_FACTOR_ENROLLED, user=reviewer)
    # Enrolled and verified in this session: the registry opens.
    assert client.get("/review/").status_code == 200


def test_sign_in_asks_for_the_code_after_the_password(required, reviewer):
    enrol(sign_in("reviewer"), reviewer)
    device = TOTPDevice.objects.get(user=reviewer, confirmed=True)
    client = sign_in("reviewer")
    for page in ("/review/", "/admin/", "/accounts/password/change/", "/accounts/security/"):
        response = client.get(page)
        assert response.status_code == 302
        assert response["Location"].startswith(VERIFY), page
    assert client.post(VERIFY, {"code": "12345"}).status_code == 200
    time.sleep(1.1)  # django-otp's throttle after a wrong code (see below)
    response = client.post(VERIFY + "?next=/review/", {"code": code_for(device, offset=1)})
    assert response.status_code == 302 and response["Location"] == "/review/"
    assert client.get("/review/").status_code == 200


def test_a_code_is_asked_even_when_not_required_once_enrolled(settings, reviewer):
    settings.CQO_TWO_FACTOR_REQUIRED = False
    client = sign_in("reviewer")
    assert client.get("/review/").status_code == 200  # not required: no enrolment forced
    enrol(client, reviewer)
    second = sign_in("reviewer")
    assert second.get("/review/")["Location"].startswith(VERIFY)


def test_a_recovery_code_signs_in_once(required, reviewer):
    codes = enrol(sign_in("reviewer"), reviewer)
    client = sign_in("reviewer")
    assert "使用恢复码" in client.get(VERIFY).content.decode()
    response = client.post(RECOVERY, {"code": codes[0].upper()})
    assert response.status_code == 302
    assert client.get("/review/").status_code == 200
    assert StaticToken.objects.filter(device__user=reviewer).count() == 9
    assert AccountEvent.objects.filter(kind=AccountEventKind.RECOVERY_CODE_USED, user=reviewer)

    again = sign_in("reviewer")
    response = again.post(RECOVERY, {"code": codes[0]})
    assert response.status_code == 200
    assert "恢复码不正确或已使用过" in response.content.decode()
    assert again.get("/review/")["Location"].startswith(VERIFY)


def test_new_recovery_codes_replace_the_old(required, reviewer):
    client = sign_in("reviewer")
    old = enrol(client, reviewer)
    response = client.post("/accounts/two-factor/recovery-codes/")
    new = re.findall(r"([a-z2-7]{4}-[a-z2-7]{4})</li>", response.content.decode())
    assert len(new) == 10 and not set(new) & set(old)
    other = sign_in("reviewer")
    assert other.post(RECOVERY, {"code": old[1]}).status_code == 200
    time.sleep(1.1)  # django-otp's throttle after a wrong code
    assert other.post(RECOVERY, {"code": new[1]}).status_code == 302


def test_a_bureau_admin_is_also_asked(required, bureau_admin):
    client = sign_in("bureau_admin")
    assert client.get("/review/")["Location"].startswith(SETUP)


@pytest.mark.parametrize("role", ["leader", "town_officer", "enterprise_user"])
def test_other_roles_have_no_second_factor(required, request, role):
    user = request.getfixturevalue(role)
    client = sign_in(user.username)
    assert client.get("/notifications/").status_code == 200
    assert client.get(SETUP).status_code == 403
    assert client.get("/accounts/two-factor/qr.svg").status_code == 403


def test_signing_out_stays_open_before_the_code(required, reviewer):
    enrol(sign_in("reviewer"), reviewer)
    client = sign_in("reviewer")
    client.post("/accounts/logout/")
    assert "_auth_user_id" not in client.session


def test_the_code_comes_before_a_forced_password_change(required, reviewer):
    enrol(sign_in("reviewer"), reviewer)
    reviewer.must_change_password = True
    reviewer.save()
    client = sign_in("reviewer")
    assert client.get("/review/")["Location"].startswith(VERIFY)
    device = TOTPDevice.objects.get(user=reviewer)
    client.post(VERIFY, {"code": code_for(device, offset=1)})
    assert client.get("/review/")["Location"].startswith("/accounts/password/change/")


def test_guessing_codes_is_slowed_down(required, reviewer):
    enrol(sign_in("reviewer"), reviewer)
    device = TOTPDevice.objects.get(user=reviewer)
    client = sign_in("reviewer")
    right = code_for(device, offset=1)
    wrong = "000000" if right != "000000" else "111111"
    client.post(VERIFY, {"code": wrong})
    response = client.post(VERIFY, {"code": right})
    # django-otp's throttle: after a failure the next try must wait (1 s, then 2, 4…).
    assert "错误次数过多" in response.content.decode()
    time.sleep(1.1)
    assert client.post(VERIFY, {"code": code_for(device, offset=1)}).status_code == 302


# --- A bureau admin resets a lost authenticator -------------------------------------------------


def test_a_bureau_admin_resets_a_second_factor_and_it_is_recorded(
    settings, reviewer, bureau_admin, client_for
):
    enrol(sign_in("reviewer"), reviewer)
    admin = client_for(bureau_admin)
    page = admin.get("/accounts/security/").content.decode()
    assert f'data-user="{reviewer.pk}"' in page and "已启用" in page
    url = f"/accounts/security/users/{reviewer.pk}/two-factor-reset/"
    assert "确认重置" in admin.get(url).content.decode()
    assert admin.post(url).status_code == 302
    assert not TOTPDevice.objects.filter(user=reviewer).exists()
    assert not StaticToken.objects.filter(device__user=reviewer).exists()
    event = AccountEvent.objects.get(kind=AccountEventKind.TWO_FACTOR_RESET)
    assert (event.user, event.actor) == (reviewer, bureau_admin)
    assert event.at is not None
    # At the next sign-in the reviewer enrols again.
    settings.CQO_TWO_FACTOR_REQUIRED = True
    assert sign_in("reviewer").get("/review/")["Location"].startswith(SETUP)


def test_only_a_bureau_admin_resets(reviewer, client_for):
    enrol(sign_in("reviewer"), reviewer)
    colleague = UserFactory(username="colleague", reviewer=True)
    url = f"/accounts/security/users/{reviewer.pk}/two-factor-reset/"
    assert client_for(colleague).post(url).status_code == 403
    assert TOTPDevice.objects.filter(user=reviewer).exists()


def test_reset_of_a_user_outside_the_bureau_is_404(bureau_admin, enterprise_user, client_for):
    url = f"/accounts/security/users/{enterprise_user.pk}/two-factor-reset/"
    assert client_for(bureau_admin).get(url).status_code == 404


def test_local_settings_do_not_require_it_and_production_does():
    import subprocess
    import sys

    from django.conf import settings

    def value(module: str) -> str:
        result = subprocess.run(
            [
                sys.executable,
                "-c",
                "import django; django.setup(); from django.conf import settings; "
                "print(settings.CQO_TWO_FACTOR_REQUIRED)",
            ],
            cwd=settings.BASE_DIR,
            env={
                "DJANGO_SETTINGS_MODULE": module,
                "DJANGO_SECRET_KEY": "x" * 60,
                "DJANGO_ALLOWED_HOSTS": "localhost",
                "SITE_URL": "https://localhost",
                "DATABASE_URL": "sqlite:///unused.sqlite3",
                "CELERY_BROKER_URL": "redis://127.0.0.1:6399/0",  # not contacted
                "CQO_DATA_KEYS": "Jb8wJ3a1QmO6m2yQ1lXx3Xl0oWq7k9cZ5u8s3fR2t4E=",
                "CQO_DATA_HMAC_KEY": "a-lookup-hash-key",
                "PATH": "/usr/bin:/bin",
            },
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    assert value("cqo_registry.settings.local") == "False"
    assert value("cqo_registry.settings.production") == "True"
