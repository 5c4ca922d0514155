"""Browser tests: Playwright for Python driving Debian's Chromium (/usr/bin/chromium), never a
downloaded browser. When Chromium or the playwright package is missing the tests are skipped
on a developer machine and **fail** under ``CI=true`` (see ``tests.conftest.service_missing``).
Screenshots go to ``test-artifacts/`` (git-ignored)."""

import os
from pathlib import Path

import pytest

from tests.conftest import service_missing

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        service_missing(f"Chromium at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        service_missing("The playwright package")
    # Playwright's sync API runs an event loop in this thread; Django's ORM refuses to run
    # there unless told that it is safe (the live server runs in its own thread anyway).
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            yield launched
            launched.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


def _context(browser, viewport=DESKTOP, **options):
    # Reduced motion: Bootstrap then scrolls instantly instead of smoothly — a click that
    # needs a scroll first can otherwise land while the page is still gliding.
    return browser.new_context(
        viewport=viewport,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        reduced_motion="reduce",
        **options,
    )


@pytest.fixture
def page(browser):
    context = _context(browser)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def new_page(browser):
    """``new_page()`` opens a page in a fresh browser context (its own cookies: one per user,
    as if on separate machines) on the shared session browser — a second Playwright session
    cannot start beside it. Options: ``viewport`` (``DESKTOP``, ``PHONE``), ``phone=True``
    (touch, mobile viewport meta honoured), ``storage_state`` (carry a logged-in session
    over). Downloads are accepted; every context is closed after the test."""
    contexts = []

    def make(*, viewport=None, phone=False, storage_state=None):
        options = {"accept_downloads": True}
        if storage_state is not None:
            options["storage_state"] = storage_state
        if phone:
            options.update(is_mobile=True, has_touch=True, device_scale_factor=2)
        context = _context(browser, viewport or (PHONE if phone else DESKTOP), **options)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def solve_captcha(form, name: str = "captcha") -> None:
    """Type the answer of the CAPTCHA shown in ``form`` (a Playwright locator), read from the
    database by its key as a person reads the picture."""
    from captcha.models import CaptchaStore

    key = form.locator(f"input[name={name}_0]").input_value()
    form.locator(f"input[name={name}_1]").fill(CaptchaStore.objects.get(hashkey=key).response)
