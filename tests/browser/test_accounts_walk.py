"""Accounts people can keep, in a real browser (issue 13): a password reset by e-mail (the
mail read from the test outbox), the forced change at first sign-in of an account a bureau
admin opened, TOTP enrolment and a sign-in with a code, and an enterprise admin inviting a
colleague who opens the account from the e-mailed link and signs in. The second factor is
required here, as in production. Screenshots go to test-artifacts/accounts-walk/."""

import re

import pytest
from django.core import mail
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from cqo_registry.accounts.models import User
from tests.browser.conftest import ARTIFACTS
from tests.factories import DEFAULT_PASSWORD, EnterpriseFactory, TownFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

CHANGE = "/accounts/password/change/"


def code_now(device: TOTPDevice, drift: int = 0) -> str:
    device.refresh_from_db()
    value = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=drift)
    return f"{value:0{device.digits}d}"


class Walk:
    def __init__(self, base, shots):
        self.base, self.shots, self.taken = base, shots, 0

    def url(self, path):
        return self.base + path

    def shot(self, page, name):
        self.taken += 1
        page.screenshot(path=str(self.shots / f"{self.taken:02d}-{name}.png"), full_page=True)

    def submit(self, page, button):
        with page.expect_navigation():
            button.click()

    def sign_in(self, page, username, password):
        page.goto(self.url("/accounts/login/"))
        form = page.locator("#login-form")
        form.locator("input[name=username]").fill(username)
        form.locator("input[name=password]").fill(password)
        self.submit(page, form.locator("button[type=submit]"))

    def sign_out(self, page):
        self.submit(page, page.locator("nav form[action='/accounts/logout/'] button"))


def outbox_link(pattern: str) -> str:
    assert mail.outbox, "no mail was sent"
    match = re.search(pattern, mail.outbox[-1].body)
    assert match, mail.outbox[-1].body
    return match.group(0)


@pytest.fixture
def shots():
    folder = ARTIFACTS / "accounts-walk"
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    return folder


def test_accounts_walk(new_page, live_server, settings, shots):
    settings.SITE_URL = live_server.url
    settings.CQO_TWO_FACTOR_REQUIRED = True
    walk = Walk(live_server.url, shots)
    town = TownFactory(name="城关镇", code="340121100000")
    enterprise = EnterpriseFactory(town=town, name="城关精密机械有限公司")
    UserFactory(username="chief", bureau_admin=True, first_name="局管理员")
    UserFactory(
        username="qiye_admin",
        enterprise_user=True,
        enterprise=enterprise,
        is_enterprise_admin=True,
        email="admin@chengguan-jx.cn",
    )

    # --- 1. The bureau admin enrols an authenticator at the first sign-in --------------------
    boss = new_page()
    walk.sign_in(boss, "chief", DEFAULT_PASSWORD)
    boss.wait_for_url(re.compile(r"/accounts/two-factor/\?next="))
    assert "须启用两步验证" in boss.locator("main").inner_text()
    assert boss.evaluate(
        "() => { const i = document.querySelector('#two-factor-qr');"
        " return i.complete && i.naturalWidth > 0; }"
    ), "the QR code must load from this server"
    walk.shot(boss, "two-factor-enrol")
    device = TOTPDevice.objects.get(user__username="chief", confirmed=False)
    form = boss.locator("#two-factor-setup-form")
    form.locator("input[name=code]").fill(code_now(device))
    walk.submit(boss, form.locator("button[type=submit]"))
    codes = boss.locator("#recovery-codes li")
    assert codes.count() == 10
    walk.shot(boss, "two-factor-recovery-codes")
    walk.submit(boss, boss.locator("#codes-saved"))
    boss.wait_for_url(walk.url("/review/"))

    # ... and opens an account for a new reviewer in the admin.
    boss.goto(walk.url("/admin/accounts/user/add/"))
    boss.locator("input[name=username]").fill("xiaoli")
    boss.locator("input[name=password1]").fill("Temp#Bureau-2031")
    boss.locator("input[name=password2]").fill("Temp#Bureau-2031")
    boss.locator("select[name=role]").select_option("reviewer")
    walk.submit(boss, boss.locator("input[name=_save]"))
    assert User.objects.get(username="xiaoli").must_change_password

    # --- 2. The new reviewer: a code, then the forced change at the first sign-in -----------
    User.objects.filter(username="xiaoli").update(email="xiaoli@example.gov.cn")
    rev = new_page()
    walk.sign_in(rev, "xiaoli", "Temp#Bureau-2031")
    rev.wait_for_url(re.compile(r"/accounts/two-factor/"))
    device = TOTPDevice.objects.get(user__username="xiaoli", confirmed=False)
    rev.locator("input[name=code]").fill(code_now(device))
    walk.submit(rev, rev.locator("#two-factor-setup-form button[type=submit]"))
    walk.submit(rev, rev.locator("#codes-saved"))
    rev.wait_for_url(re.compile(CHANGE))
    assert rev.locator("#password-forced").is_visible()
    walk.shot(rev, "forced-password-change")
    form = rev.locator("#password-change-form")
    form.locator("[name=old_password]").fill("Temp#Bureau-2031")
    form.locator("[name=new_password1]").fill("Admin@123")
    form.locator("[name=new_password2]").fill("Admin@123")
    walk.submit(rev, form.locator("button[type=submit]"))
    assert "太容易猜测" in rev.locator("main").inner_text()
    form.locator("[name=old_password]").fill("Temp#Bureau-2031")
    form.locator("[name=new_password1]").fill("Xiaoli#Review-2031")
    form.locator("[name=new_password2]").fill("Xiaoli#Review-2031")
    walk.submit(rev, form.locator("button[type=submit]"))
    rev.wait_for_url(walk.url("/review/"))
    walk.sign_out(rev)

    # --- 3. She forgets it: a reset by e-mail, then a sign-in with the authenticator's code --
    rev.goto(walk.url("/accounts/login/"))
    walk.submit(rev, rev.locator("#forgot-password"))
    rev.locator("input[name=email]").fill("xiaoli@example.gov.cn")
    walk.shot(rev, "password-reset-request")
    mail.outbox.clear()
    walk.submit(rev, rev.locator("#password-reset-form button[type=submit]"))
    rev.wait_for_url(walk.url("/accounts/password/reset/sent/"))
    assert "重设密码" in mail.outbox[0].subject
    link = outbox_link(re.escape(live_server.url) + r"/accounts/password/reset/\S+/")
    rev.goto(link)
    rev.wait_for_url(re.compile(r"/accounts/password/reset/.+/set-password/"))
    form = rev.locator("#password-reset-confirm-form")
    form.locator("[name=new_password1]").fill("Xiaoli#Reset-2032")
    form.locator("[name=new_password2]").fill("Xiaoli#Reset-2032")
    walk.shot(rev, "password-reset-new")
    walk.submit(rev, form.locator("button[type=submit]"))
    assert rev.locator("#password-reset-complete").is_visible()

    walk.sign_in(rev, "xiaoli", "Xiaoli#Reset-2032")
    rev.wait_for_url(re.compile(r"/accounts/two-factor/verify/"))
    walk.shot(rev, "two-factor-code")
    device = TOTPDevice.objects.get(user__username="xiaoli", confirmed=True)
    rev.locator("input[name=code]").fill(code_now(device, drift=1))
    walk.submit(rev, rev.locator("#two-factor-verify-form button[type=submit]"))
    rev.wait_for_url(walk.url("/review/"))

    # --- 4. The enterprise admin invites a colleague, who opens the account and signs in -----
    ent = new_page()
    walk.sign_in(ent, "qiye_admin", DEFAULT_PASSWORD)
    ent.wait_for_url(walk.url("/portal/"))
    ent.locator("#account-menu").click()
    ent.get_by_role("link", name="企业账号").click()
    ent.wait_for_url(walk.url("/portal/users/"))
    form = ent.locator("#invite-form")
    form.locator("input[name=name]").fill("肖同事")
    form.locator("input[name=email]").fill("xiao@chengguan-jx.cn")
    mail.outbox.clear()
    walk.submit(ent, form.locator("button[type=submit]"))
    assert "已向 xiao@chengguan-jx.cn 发出邀请" in ent.locator("main").inner_text()
    walk.shot(ent, "enterprise-accounts")
    assert mail.outbox[0].to == ["xiao@chengguan-jx.cn"]
    link = outbox_link(re.escape(live_server.url) + r"/accounts/invitations/\S+/")

    colleague = new_page()
    colleague.goto(link)
    form = colleague.locator("#invitation-accept-form")
    assert form.locator("input[name=name]").input_value() == "肖同事"
    form.locator("input[name=mobile]").fill("13955550003")
    form.locator("input[name=username]").fill("xiao")
    form.locator("input[name=password1]").fill("Tea4Two@Lake")
    form.locator("input[name=password2]").fill("Tea4Two@Lake")
    walk.shot(colleague, "invitation-accept")
    walk.submit(colleague, form.locator("button[type=submit]"))
    colleague.wait_for_url(walk.url("/accounts/login/"))
    walk.sign_in(colleague, "xiao", "Tea4Two@Lake")
    colleague.wait_for_url(walk.url("/portal/"))
    assert enterprise.name in colleague.locator("main h1").inner_text()
    walk.shot(colleague, "colleague-portal")

    ent.reload()
    row = ent.locator("#members tr[data-member=xiao]")
    assert "已启用" in row.inner_text()
