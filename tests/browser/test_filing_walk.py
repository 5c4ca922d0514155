"""The whole filing path in a real browser (Playwright on Debian's Chromium, live server),
walked through the pages as people would use them — typing, clicking, uploading, downloading;
only the starting data is made with factories: a town, a bureau reviewer, a town officer of
that town, and an enterprise of that town in the registry with no CQO.

 1. the enterprise registers at /register/ with its USCC and sees the waiting page;
 2. the reviewer activates the account from the registrations list;
 3. the enterprise files an appointment with a PDF letter and submits it;
 4. the reviewer opens it from the queue, sees the letter inline and returns it with reasons;
 5. the enterprise sees the reasons, corrects the position and resubmits;
 6. the reviewer approves: 质备〔YYYY〕0001号;
 7. the receipt PDF downloads (number inside), its verify link says genuine and current;
 8. the public lookup, logged out, shows the CQO's name and position and nothing else;
 9. a change of CQO, approved: the lookup shows the new CQO, the old receipt is no longer current;
10. a dismissal, approved: the town officer sees the enterprise among the vacancies.

Each user has a browser context of their own
(their own cookies); the enterprise also logs out once through the navbar. Screenshots of
the main pages — and the receipt turned into a PNG — go to test-artifacts/filing-walk/ for a
person to look at.
"""

import re
import shutil
import subprocess
from datetime import timedelta

import pytest
from django.utils import timezone

from enterprises.models import Enterprise
from tests.browser.conftest import ARTIFACTS, solve_captcha
from tests.factories import (
    DEFAULT_PASSWORD,
    EnterpriseFactory,
    TownFactory,
    UserFactory,
    make_id_number,
)

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

SHOTS = ARTIFACTS / "filing-walk"
ENTERPRISE_USER = "chengguan_jx"
ENTERPRISE_PASSWORD = "Zhiliang#2026walk"
# The approved account's password was set before the approval: changed at the first sign-in.
ENTERPRISE_NEW_PASSWORD = "Chengguan#Walk-2031"
# A CQO's personal data the public must never see.
FIRST = {"name": "张质量", "id_number": make_id_number(4321), "mobile": "13955501234"}
LETTER_TITLE = "聘任书（城关精密机械有限公司）"
SECOND = {"name": "李品质", "id_number": make_id_number(5432), "mobile": "13955505678"}


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "private"
    return settings.MEDIA_ROOT


@pytest.fixture
def shots():
    if SHOTS.exists():
        shutil.rmtree(SHOTS)
    SHOTS.mkdir(parents=True)
    return SHOTS


@pytest.fixture
def letter_pdf(tmp_path):
    """A real one-page appointment letter, made with WeasyPrint (the receipts' PDF engine)."""
    from weasyprint import HTML

    path = tmp_path / "聘任书.pdf"
    HTML(
        string=f"<html><head><title>{LETTER_TITLE}</title></head>"
        "<body style=\"font-family: 'Noto Sans CJK SC', sans-serif\">"
        "<h1>聘任书</h1><p>兹聘任张质量同志为本公司首席质量官。</p>"
        "<p>城关精密机械有限公司</p></body></html>"
    ).write_pdf(str(path))
    assert path.read_bytes().startswith(b"%PDF")
    return path


class Walk:
    """The live server's address, the screenshot folder and the steps every user repeats."""

    def __init__(self, base_url, shots):
        self.base = base_url
        self.shots = shots
        self.taken = 0

    def url(self, path):
        return f"{self.base}{path}"

    def shot(self, page, name, *, full_page=True):
        """A screenshot, numbered in the order of the walk."""
        self.taken += 1
        path = self.shots / f"{self.taken:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    def submit(self, page, button):
        """Press a form's button and wait for the page the server answers with (also when
        its address is the one already shown)."""
        with page.expect_navigation():
            button.click()

    def log_in(self, page, username, password, lands_on):
        """The real login form; ``lands_on`` is the role's start page."""
        page.goto(self.url("/accounts/login/"))
        form = page.locator("main form")
        form.locator("input[name=username]").fill(username)
        form.locator("input[name=password]").fill(password)
        self.submit(page, form.locator("button[type=submit]"))
        page.wait_for_url(self.url(lands_on))

    def log_out(self, page):
        self.submit(page, page.locator("nav form[action='/accounts/logout/'] button[type=submit]"))
        page.wait_for_url(self.url("/accounts/login/"))

    def nav(self, page, label, lands_on):
        """Follow a link of the navbar."""
        page.locator("nav.navbar").get_by_role("link", name=label, exact=True).click()
        page.wait_for_url(self.url(lands_on))

    def open_from_queue(self, page, enterprise_name, kind_label, *, shot=None):
        """The reviewer: the queue from the navbar, then the enterprise's filing in it."""
        self.nav(page, "备案审核", "/review/")
        row = page.locator("#queue tbody tr", has_text=enterprise_name)
        assert row.count() == 1, f"the queue should list one filing of {enterprise_name}"
        assert kind_label in row.inner_text()
        if shot:
            self.shot(page, shot)
        row.get_by_role("link", name=enterprise_name).click()
        page.wait_for_url(re.compile(r"/review/filings/\d+/$"))
        page.wait_for_selector("#hints")

    def open_with_letter(self, page, enterprise_name, kind_label, *, shot=None):
        """``open_from_queue``, and the frame of Chromium's PDF viewer that the page's
        ``<object id="letter-inline">`` opens (it navigates while the page loads)."""

        def pdf_viewer(frame):
            parent = frame.parent_frame
            return frame.url.startswith("chrome-extension://") and (
                parent is not None and parent.name == "letter-inline"
            )

        with page.expect_event("framenavigated", predicate=pdf_viewer) as viewer:
            self.open_from_queue(page, enterprise_name, kind_label, shot=shot)
        return viewer.value

    def approve(self, page):
        """From a filing page: 通过备案, then confirm; returns the number shown."""
        page.click("#approve-link")
        page.wait_for_url(re.compile(r"/review/filings/\d+/approve/$"))
        self.submit(page, page.locator("#approve-button"))
        page.wait_for_url(re.compile(r"/review/filings/\d+/$"))
        page.wait_for_selector("#receipt-link")
        number = page.inner_text("#filing-number").strip()
        assert number in page.inner_text("main .alert-success")
        return number

    def portal_home(self, page):
        self.nav(page, "企业首页", "/portal/")

    def fill_appointment(self, page, person, *, position, appointed_on, letter):
        form = page.locator("#filing-form")
        form.locator("[name=person_name]").fill(person["name"])
        form.locator("[name=id_number]").fill(person["id_number"])
        form.locator("[name=mobile]").fill(person["mobile"])
        form.locator("[name=email]").fill("cqo@example.cn")
        form.locator("[name=education]").select_option(label="大学本科")
        form.locator("[name=title]").fill("质量工程师")
        form.locator("[name=years_in_quality]").fill("8")
        form.locator("[name=position]").fill(position)
        form.locator("[name=is_senior_manager]").check()
        form.locator("[name=departments][value=management]").check()
        form.locator("[name=departments][value=inspection]").check()
        form.locator("[name=appointed_on]").fill(appointed_on.isoformat())
        form.locator("[name=letter]").set_input_files(str(letter))

    def submit_filing(self, page, form_id):
        """Press the form's submit button and land on the filing's page, submitted."""
        self.submit(page, page.locator(f"#{form_id} button[name=submit]"))
        page.wait_for_url(re.compile(r"/portal/filings/\d+/$"))
        success = page.locator("main .alert-success")
        assert success.count() == 1, page.inner_text("main")
        assert "已提交" in success.inner_text()

    def pdf_text(self, path):
        return subprocess.run(
            ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
        ).stdout

    def pdf_to_png(self, path, name):
        self.taken += 1
        stem = self.shots / f"{self.taken:02d}-{name}"
        subprocess.run(
            ["pdftoppm", "-png", "-r", "80", "-singlefile", str(path), str(stem)], check=True
        )

    def lookup(self, page, text):
        """The public lookup, searched through its form; returns the result rows."""
        page.locator("#lookup-form [name=q]").fill(text)
        self.submit(page, page.locator("#lookup-form button[type=submit]"))
        page.wait_for_url(re.compile(r"/public/\?q="))
        return page.locator("#lookup-results tbody tr")


def test_filing_walk_from_registration_to_vacancy(
    new_page, live_server, settings, media_root, shots, letter_pdf
):
    from playwright.sync_api import expect

    # The receipt's QR code and printed link point at this server.
    settings.SITE_URL = live_server.url
    today = timezone.localdate()
    year = today.year
    town = TownFactory(name="城关镇", code="340121100000")
    enterprise = EnterpriseFactory(town=town, name="城关精密机械有限公司")
    # In the registry for years (a vacancy never starts before an enterprise entered it).
    Enterprise.objects.filter(pk=enterprise.pk).update(
        created_at=timezone.now() - timedelta(days=3 * 365)
    )
    UserFactory(username="reviewer", reviewer=True)
    UserFactory(username="town_officer", town_officer=True, town=town)
    walk = Walk(live_server.url, shots)

    # --- 1. The enterprise registers with its USCC (it is in the registry) -------------------
    ent = new_page()
    ent.goto(walk.url("/"))  # anonymous: the login page, with 企业注册 in the navbar
    ent.wait_for_url(re.compile(r"/accounts/login/"))
    ent.locator("nav.navbar").get_by_role("link", name="企业注册").click()
    ent.wait_for_url(walk.url("/register/"))
    form = ent.locator("#registration-form")
    form.locator("[name=uscc]").fill(enterprise.uscc)
    form.locator("[name=name]").fill(enterprise.name)
    form.locator("[name=contact_name]").fill("王联系")
    form.locator("[name=mobile]").fill("13800001111")
    form.locator("[name=email]").fill("contact@chengguan-jx.cn")
    form.locator("[name=username]").fill(ENTERPRISE_USER)
    form.locator("[name=password1]").fill(ENTERPRISE_PASSWORD)
    form.locator("[name=password2]").fill(ENTERPRISE_PASSWORD)
    solve_captcha(form)
    walk.shot(ent, "registration")
    walk.submit(ent, form.get_by_role("button", name="提交注册申请"))
    ent.wait_for_url(walk.url("/register/submitted/"))
    expect(ent.locator("main h1")).to_contain_text("等待审核")
    summary = ent.locator("#registration-summary")
    expect(summary).to_contain_text(enterprise.uscc)
    expect(summary).to_contain_text(ENTERPRISE_USER)
    expect(ent.locator("main")).to_contain_text("激活您的账号")
    walk.shot(ent, "registration-waiting")

    # Not active yet: the login form refuses the account.
    ent.get_by_role("link", name="前往登录").click()
    ent.wait_for_url(walk.url("/accounts/login/"))
    ent.locator("main input[name=username]").fill(ENTERPRISE_USER)
    ent.locator("main input[name=password]").fill(ENTERPRISE_PASSWORD)
    walk.submit(ent, ent.locator("main button[type=submit]"))
    assert ent.url == walk.url("/accounts/login/"), "an inactive account must not log in"
    expect(ent.locator("main .alert-danger, main .invalid-feedback").first).to_be_visible()

    # --- 2. The reviewer activates the account ----------------------------------------------
    rev = new_page()
    walk.log_in(rev, "reviewer", DEFAULT_PASSWORD, "/review/")
    expect(rev.locator("#pending-registrations")).to_have_text("1")
    rev.locator(".nav-tabs").get_by_role("link", name=re.compile("企业注册申请")).click()
    rev.wait_for_url(walk.url("/review/registrations/"))
    row = rev.locator("#registrations tbody tr", has_text=enterprise.uscc)
    expect(row).to_contain_text("已在名录")
    walk.shot(rev, "review-registrations")
    row.get_by_role("link", name=enterprise.name).click()
    rev.wait_for_url(re.compile(r"/review/registrations/\d+/$"))
    expect(rev.locator("#registry-card")).to_contain_text(enterprise.name)
    walk.submit(rev, rev.locator("#registration-approve-button"))
    rev.wait_for_url(walk.url("/review/registrations/"))
    expect(rev.locator("main .alert-success")).to_contain_text("账号已激活")

    # --- 3. The enterprise logs in and files an appointment with a PDF letter ---------------
    # The account was opened by the approval: its password is changed first (issue 13).
    walk.log_in(ent, ENTERPRISE_USER, ENTERPRISE_PASSWORD, "/accounts/password/change/?next=%2F")
    change = ent.locator("#password-change-form")
    change.locator("[name=old_password]").fill(ENTERPRISE_PASSWORD)
    change.locator("[name=new_password1]").fill(ENTERPRISE_NEW_PASSWORD)
    change.locator("[name=new_password2]").fill(ENTERPRISE_NEW_PASSWORD)
    walk.submit(ent, change.locator("button[type=submit]"))
    ent.wait_for_url(walk.url("/portal/"))
    expect(ent.locator("main h1")).to_have_text(enterprise.name)
    expect(ent.locator("#cqo-status")).to_contain_text("空缺")
    expect(ent.locator("#cqo-status")).to_contain_text("已超期")
    walk.shot(ent, "portal-vacant")
    ent.locator("main").get_by_role("link", name="聘任备案").first.click()
    ent.wait_for_url(walk.url("/portal/filings/new/"))
    appointed_on = today - timedelta(days=6)
    walk.fill_appointment(
        ent, FIRST, position="质量部经理", appointed_on=appointed_on, letter=letter_pdf
    )
    walk.shot(ent, "portal-filing-form")
    walk.submit_filing(ent, "filing-form")
    expect(ent.locator("#letter-link")).to_be_visible()
    walk.portal_home(ent)
    expect(ent.locator("#status-submitted")).to_contain_text(FIRST["name"])
    walk.shot(ent, "portal-submitted")

    # --- 4. The reviewer sees the letter inline and returns the filing ----------------------
    viewer = walk.open_with_letter(rev, enterprise.name, "聘任备案", shot="review-queue")
    letter = rev.locator("object#letter-inline")
    expect(letter).to_have_attribute("type", "application/pdf")
    box = letter.bounding_box()
    assert box and box["width"] > 600 and box["height"] > 400, "the letter is not shown inline"
    # Chromium's own PDF viewer shows the uploaded letter (its title, its one page).
    expect(viewer.locator("viewer-toolbar #title")).to_have_text(LETTER_TITLE)
    expect(viewer.locator("viewer-toolbar #pageSelector")).to_have_value("1")
    served = rev.context.request.get(walk.url(letter.get_attribute("data")))
    assert served.status == 200
    assert served.headers["content-type"] == "application/pdf"
    assert served.body() == letter_pdf.read_bytes(), "the inline letter is not the uploaded one"
    # Same-origin framing is allowed for the letter (the site-wide policy is DENY).
    assert served.headers.get("x-frame-options", "").upper() == "SAMEORIGIN"
    expect(rev.locator("#person-card")).to_contain_text(FIRST["id_number"])
    walk.shot(rev, "review-filing")
    letter.scroll_into_view_if_needed()
    walk.shot(rev, "review-filing-letter", full_page=False)
    reasons = "职务“质量部经理”不属于企业高层管理人员，请更正为实际担任的高层职务后重新提交。"
    rev.locator("#return-card textarea[name=reasons]").fill(reasons)
    walk.submit(rev, rev.locator("#return-card").get_by_role("button", name="退回"))
    rev.wait_for_url(re.compile(r"/review/filings/\d+/$"))
    expect(rev.locator("main .alert-success")).to_contain_text("已退回")
    expect(rev.locator("#filing-status")).to_have_text("已退回")

    # --- 5. The enterprise sees the reasons, corrects the position and resubmits ------------
    walk.portal_home(ent)
    returned = ent.locator("#status-returned")
    expect(returned).to_contain_text(reasons)
    walk.shot(ent, "portal-returned")
    returned.get_by_role("link", name="修改并重新提交").click()
    ent.wait_for_url(re.compile(r"/portal/filings/\d+/edit/$"))
    expect(ent.locator("#return-reasons")).to_contain_text(reasons)
    position = ent.locator("#filing-form [name=position]")
    expect(position).to_have_value("质量部经理")
    position.fill("副总经理")
    walk.submit_filing(ent, "filing-form")
    walk.portal_home(ent)
    expect(ent.locator("#status-submitted")).to_contain_text(FIRST["name"])
    expect(ent.locator("#status-returned")).to_have_count(0)

    # --- 6. The reviewer approves: the first number of the year ------------------------------
    walk.open_from_queue(rev, enterprise.name, "聘任备案")
    expect(rev.locator("#appointment-card")).to_contain_text("副总经理")
    expect(rev.locator("#events")).to_contain_text("重新提交")
    first_number = walk.approve(rev)
    assert first_number == f"质备〔{year}〕0001号"
    walk.shot(rev, "review-approved")

    # --- 7. The receipt: PDF with the number, verify link genuine and current ---------------
    walk.portal_home(ent)
    status = ent.locator("#cqo-status")
    expect(status).to_contain_text("已备案")
    expect(status).to_contain_text(FIRST["name"])
    expect(status).to_contain_text("副总经理")
    expect(status).to_contain_text(first_number)
    walk.shot(ent, "portal-filed")
    # The same page on a phone: nothing wider than the screen, the menu folded away.
    phone = new_page(phone=True, storage_state=ent.context.storage_state())
    phone.goto(walk.url("/portal/"))
    expect(phone.locator("#cqo-status")).to_contain_text(first_number)
    expect(phone.locator(".navbar-toggler")).to_be_visible()
    expect(phone.locator("nav.navbar").get_by_role("link", name="企业首页")).to_be_hidden()
    overflow = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the portal scrolls sideways on a phone ({overflow}px too wide)"
    walk.shot(phone, "portal-filed-phone", full_page=False)
    walk.shot(phone, "portal-filed-phone-full")
    phone.locator(".navbar-toggler").click()  # the menu unfolds (Bootstrap's own script)
    expect(phone.locator("nav.navbar").get_by_role("link", name="企业首页")).to_be_visible()

    # The enterprise's own copy, from its filing page.
    ent.locator("#filing-history tbody a", has_text="聘任备案").first.click()
    ent.wait_for_url(re.compile(r"/portal/filings/\d+/$"))
    with ent.expect_download() as download_info:
        ent.click("#receipt-link")
    download = download_info.value
    assert download.suggested_filename == f"备案回执-{first_number}.pdf"
    receipt = shots / "receipt-appoint.pdf"
    download.save_as(str(receipt))
    assert receipt.read_bytes().startswith(b"%PDF")
    text = walk.pdf_text(receipt)
    assert first_number in text, text
    assert enterprise.name in text and FIRST["name"] in text
    assert FIRST["id_number"] not in text, "the receipt shows the ID number unmasked"
    walk.pdf_to_png(receipt, "receipt")
    # The bureau's copy, from the link on its filing page, is the same receipt.
    with rev.expect_download() as bureau_download:
        rev.click("#receipt-link")
    assert first_number in walk.pdf_text(bureau_download.value.path())
    # The link printed under the QR code, opened by anyone (no login).
    printed = re.search(r"/verify/([\w-]+)/", re.sub(r"\s+", "", text))
    assert printed, f"no verify link in the receipt:\n{text}"
    verify_url = walk.url(printed.group(0))
    assert verify_url in re.sub(r"\s+", "", text), "the printed link is not this site's"
    assert rev.get_attribute("main a[href^='/verify/']", "href") == printed.group(0)
    anyone = new_page()
    anyone.goto(verify_url)
    result = anyone.locator("#verify-result")
    expect(result).to_have_attribute("data-current", "true")
    expect(anyone.locator("#genuine")).to_contain_text("回执真实有效")
    expect(anyone.locator("#current-status")).to_have_text("目前在任")
    expect(anyone.locator("#verify-number")).to_have_text(first_number)
    expect(anyone.locator("#verify-person")).to_have_text(FIRST["name"])
    walk.shot(anyone, "verify-genuine-current")

    # --- 8. The public lookup, logged out ---------------------------------------------------
    walk.log_out(ent)
    walk.nav(ent, "公开查询", "/public/")
    rows = walk.lookup(ent, "城关精密")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(enterprise.name)
    expect(rows.first).to_contain_text(f"首席质量官：{FIRST['name']}（副总经理）")
    html = ent.content()
    for secret in (FIRST["id_number"], FIRST["mobile"], FIRST["id_number"][-4:]):
        assert secret not in html, f"the public lookup shows {secret}"
    walk.shot(ent, "public-lookup")

    # --- 9. A change of CQO -----------------------------------------------------------------
    walk.log_in(ent, ENTERPRISE_USER, ENTERPRISE_NEW_PASSWORD, "/portal/")
    ent.locator("main").get_by_role("link", name="变更首席质量官").click()
    ent.wait_for_url(walk.url("/portal/filings/change/"))
    expect(ent.locator("main .alert-info")).to_contain_text(FIRST["name"])
    changed_on = today - timedelta(days=3)
    walk.fill_appointment(
        ent, SECOND, position="副总经理（分管质量）", appointed_on=changed_on, letter=letter_pdf
    )
    ent.locator("#filing-form [name=end_reason]").select_option(label="调岗")
    walk.submit_filing(ent, "filing-form")
    walk.portal_home(ent)
    expect(ent.locator("#status-submitted")).to_contain_text(SECOND["name"])

    walk.open_from_queue(rev, enterprise.name, "变更备案")
    expect(rev.locator("#replaces")).to_contain_text(FIRST["name"])
    second_number = walk.approve(rev)
    assert second_number == f"质备〔{year}〕0002号"

    walk.portal_home(ent)
    expect(ent.locator("#cqo-status")).to_contain_text(SECOND["name"])
    expect(ent.locator("#cqo-status")).to_contain_text(second_number)
    walk.shot(ent, "portal-after-change")
    anyone.goto(walk.url("/public/"))
    rows = walk.lookup(anyone, enterprise.uscc)
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(f"首席质量官：{SECOND['name']}（副总经理（分管质量））")
    expect(rows.first).not_to_contain_text(FIRST["name"])
    walk.shot(anyone, "public-lookup-after-change")
    anyone.goto(verify_url)
    expect(anyone.locator("#verify-result")).to_have_attribute("data-current", "false")
    expect(anyone.locator("#genuine")).to_contain_text("回执真实有效")
    expect(anyone.locator("#current-status")).to_have_text("已不在任")
    expect(anyone.locator("#verify-result")).to_contain_text(
        f"已于 {changed_on:%Y-%m-%d} 变更首席质量官"
    )
    walk.shot(anyone, "verify-no-longer-current")

    # --- 10. A dismissal, and the vacancy the town officer sees -----------------------------
    ent.locator("main").get_by_role("link", name="解聘备案").click()
    ent.wait_for_url(walk.url("/portal/filings/dismiss/"))
    expect(ent.locator("main .alert-warning")).to_contain_text(SECOND["name"])
    dismissed_on = today - timedelta(days=1)
    dismiss = ent.locator("#dismiss-form")
    dismiss.locator("[name=end_date]").fill(dismissed_on.isoformat())
    dismiss.locator("[name=end_reason]").select_option(label="离职")
    walk.shot(ent, "portal-dismiss-form")
    walk.submit_filing(ent, "dismiss-form")

    walk.open_from_queue(rev, enterprise.name, "解聘备案")
    expect(rev.locator("#dismiss-date")).to_have_text(f"{dismissed_on:%Y-%m-%d}")
    third_number = walk.approve(rev)
    assert third_number == f"质备〔{year}〕0003号"

    walk.portal_home(ent)
    expect(ent.locator("#cqo-status")).to_contain_text("空缺")
    expect(ent.locator("#cqo-status")).to_contain_text(f"自 {dismissed_on:%Y-%m-%d} 起")
    walk.shot(ent, "portal-vacant-after-dismissal")

    officer = new_page()
    walk.log_in(officer, "town_officer", DEFAULT_PASSWORD, "/town/")
    walk.nav(officer, "空缺企业", "/town/vacancies/")
    vacancy = officer.locator(f"#vacancies tbody tr[data-enterprise='{enterprise.pk}']")
    expect(vacancy).to_contain_text(enterprise.name)
    expect(vacancy).to_contain_text("1 天")
    expect(vacancy).to_contain_text(f"自 {dismissed_on:%Y-%m-%d}")
    expect(vacancy.locator(".overdue-flag")).to_have_count(0)
    walk.shot(officer, "town-vacancies")
