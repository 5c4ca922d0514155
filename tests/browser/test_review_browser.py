"""A reviewer in a real browser (Playwright on Debian's Chromium): the queue with its late
flag, a filing with an image letter shown inline, approval, the receipt link and the public
verification page. (The whole path, with a PDF letter, is test_filing_walk.py; this one keeps
what the walk does not see: a late filing and a letter that is an image.) It lives here, on
the session's shared browser fixture: a second Playwright session cannot start beside it.
Screenshots go to test-artifacts/ for a person to look at."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from appointments.models import FilingStatus
from appointments.services import filing_create_appointment, filing_submit
from enterprises.models import Education
from tests.factories import (
    DEFAULT_PASSWORD,
    EnterpriseFactory,
    PersonFactory,
    TownFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PNG_1PX = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360f8cf00000301010018dd8db40000000049454e44ae426082"
)


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "private"
    return settings.MEDIA_ROOT


def submitted_filing(letter):
    town = TownFactory(name="城关镇", code="340121100000")
    clerk = UserFactory(username="clerk", enterprise_user=True)
    draft = filing_create_appointment(
        enterprise=EnterpriseFactory(town=town, name="城关精密机械有限公司"),
        person=PersonFactory(
            name="王质量", education=Education.BACHELOR, title="质量工程师", years_in_quality=6
        ),
        position="副总经理",
        appointed_on=timezone.localdate() - timedelta(days=40),
        is_senior_manager=True,
        is_principal=False,
        departments=["management", "inspection", "standards"],
        letter=letter,
        actor=clerk,
    )
    return filing_submit(filing=draft, actor=clerk)


def log_in(tab, live_server, username):
    tab.goto(f"{live_server.url}/accounts/login/")
    tab.fill("input[name=username]", username)
    tab.fill("input[name=password]", DEFAULT_PASSWORD)
    with tab.expect_navigation():
        tab.click("main button[type=submit]")
    tab.wait_for_url(f"{live_server.url}/review/**")


def test_reviewer_approves_in_the_browser(page, live_server, artifacts, media_root):
    filing = submitted_filing(SimpleUploadedFile("聘任书.png", PNG_1PX, content_type="image/png"))
    UserFactory(username="reviewer", reviewer=True)
    log_in(page, live_server, "reviewer")

    assert page.locator("#queue tbody tr").count() == 1
    assert page.locator("#queue .late-flag").count() == 1
    page.screenshot(path=str(artifacts / "review-queue.png"), full_page=True)

    page.click("#queue tbody tr a")
    page.wait_for_selector("#hints")
    # The image loads after the page: give it time (a loaded machine) before judging it.
    try:
        page.wait_for_function(
            "() => { const i = document.querySelector('#letter-inline'); "
            "return i && i.complete && i.naturalWidth > 0; }",
            timeout=15000,
        )
    except PlaywrightTimeoutError:
        pytest.fail("the letter image did not load inline")
    page.screenshot(path=str(artifacts / "review-filing.png"), full_page=True)

    page.click("#approve-link")
    page.wait_for_url("**/approve/")
    with page.expect_navigation():
        page.click("#approve-button")
    page.wait_for_selector("#receipt-link")
    filing.refresh_from_db()
    assert filing.status == FilingStatus.APPROVED
    assert filing.number in page.inner_text(".alert-success")
    page.screenshot(path=str(artifacts / "review-approved.png"), full_page=True)

    page.goto(f"{live_server.url}/verify/{filing.verify_token}/")
    assert "回执真实有效" in page.inner_text("#verify-result")
    page.screenshot(path=str(artifacts / "verify-genuine.png"), full_page=True)
