"""Every page each role reaches from its navigation, in a real browser, in Chinese and in
English, shows no developer text, no untranslated interface text, no console error, asks no
other host for anything and gets no 5xx (issue 12, "Done when": the Playwright walk).

The data is the demo county (``seed_demo``). Each demo user signs in through the login form
and walks, breadth first, the navbar's links and then the same-site links of every page
visited. Pages are told apart by their URL pattern: each path is resolved with Django's
``resolve()`` and only the first page of each view (``namespace:url_name``) is visited —
``/town/vacancies/7/`` stands for every vacancy — up to ``PAGES_PER_ROLE`` pages (and
``ADMIN_PAGES`` of the admin site, whose every model has its own view names). Links that log
out, change the language, delete, or download a file are not followed; a link whose
``HEAD`` answer is not HTML (an export, a PDF) is a download too.

The Chinese walk finds the pages; the English walk visits the same pages with the
``django_language`` cookie set to ``en``. A screenshot of each page is saved under
``test-artifacts/screenshots/walk/ROLE-LANG-URLNAME.png`` for a person to look at. On each
page the navbar must also fit on one line of the 1366 px screen with its language readable,
and a page the navbar links to must be the navbar's one item marked current.

Heavy (about 300 page loads): it runs in the PostgreSQL pass only."""

import re
import time
from collections import deque
from urllib.parse import urldefrag, urlsplit

import pytest
from django.core.management import call_command
from django.urls import Resolver404, resolve

from cqo_registry.accounts.models import User
from tests.conftest import ensure_evaluation_items, ensure_notice_targets
from tests.factories import DEFAULT_PASSWORD
from tests.pagetext import text_defects

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

ROLES = ["admin", "reviewer", "leader", "town_officer", "enterprise"]
LANGUAGES = ["zh-hans", "en"]
# A guard against a walk that runs away, above what any role reaches (the admin ~65 views).
PAGES_PER_ROLE = 90
ADMIN_PAGES = 4
# Links the walk does not follow: they log out, switch the language, delete, or download.
SKIP = (
    "/logout",
    "/i18n/",
    "/delete/",
    "/export",
    "/receipt",
    "/letters/",
    "/documents/",
    "/files/",
    ".pdf",
    ".xlsx",
    "format=",
    "_popup=",
    "/admin/r/",
    "/admin/password_change",
)
# Only the link of a page's own content and its navigation: not the account menu's forms.
LINKS = "nav a[href], main a[href]"
SCREENSHOTS = "screenshots/walk"

# The navbar on one line inside the screen, its language select wide enough to read (issue 12:
# "the English navbar wraps at 1366 px"). Returns what is wrong.
NAVBAR_FITS = """() => {
  const nav = document.querySelector("#nav");
  if (!nav || !nav.offsetParent) return [];
  const problems = [];
  const screen = document.documentElement.clientWidth;
  const items = [...nav.querySelectorAll(
    ":scope > ul > li > .nav-link, :scope > form, :scope > .dropdown, :scope > .btn")];
  const middle = (box) => box.top + box.height / 2;
  const row = middle(items[0].getBoundingClientRect());
  for (const item of items) {
    const box = item.getBoundingClientRect();
    const label = item.textContent.trim().slice(0, 30) || item.tagName;
    if (box.right > screen + 1) problems.push(`navbar item off the screen: ${label}`);
    if (Math.abs(middle(box) - row) > 8) problems.push(`navbar wraps at: ${label}`);
  }
  const select = nav.querySelector("select[name=language]");
  if (select) {
    const style = getComputedStyle(select);
    const pen = document.createElement("canvas").getContext("2d");
    pen.font = style.font;
    const needed = pen.measureText(select.selectedOptions[0].text).width;
    const padding = parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
    const room = select.clientWidth - padding;
    if (room + 1 < needed) problems.push(`language select too narrow: ${room} < ${needed}`);
  }
  return problems;
}"""
# The navbar's links marked as the current page (app.js): their paths as written (a menu's
# toggle, href="#", once took the mark: its resolved pathname is any page's own).
CURRENT = """() => [...document.querySelectorAll("#nav a[aria-current=page].active")]
  .map((link) => link.getAttribute("href").split("?")[0])"""


@pytest.fixture
def demo_county(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "private"
    ensure_notice_targets()
    ensure_evaluation_items()
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115


def view_name(path: str) -> str | None:
    """``namespace:url_name`` of ``path``; ``None`` for a path no URL pattern matches."""
    try:
        match = resolve(path)
    except Resolver404:
        return None
    return match.view_name


class Watch:
    """What a page does besides showing itself: console errors, uncaught exceptions,
    requests to another host and 5xx answers — cleared before each page."""

    def __init__(self, page, host: str):
        self.host = host
        self.problems: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"uncaught: {error}"))
        page.on("request", self._request)
        page.on("response", self._response)

    def _console(self, message):
        if message.type == "error":
            self.problems.append(f"console error: {message.text}")

    def _request(self, request):
        parts = urlsplit(request.url)
        if parts.scheme in {"http", "https", "ws", "wss"} and parts.netloc != self.host:
            self.problems.append(f"request to another host: {request.url}")

    def _response(self, response):
        if response.status >= 500:
            self.problems.append(f"{response.status} from {response.url}")

    def take(self) -> list[str]:
        found, self.problems = self.problems, []
        return found


def sign_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    with page.expect_navigation():
        page.click("main button[type=submit]")
    assert "/accounts/login/" not in page.url, f"{username} could not sign in"


def set_language(page, base: str, language: str) -> None:
    page.context.add_cookies([{"name": "django_language", "value": language, "url": base}])


def same_site_links(page, base: str, selector: str) -> list[str]:
    """Paths (with query) of the links under ``selector`` that stay on the site."""
    found = []
    for href in page.eval_on_selector_all(selector, "links => links.map(a => a.href)"):
        href = urldefrag(href).url
        if not href.startswith(base + "/") or any(marker in href for marker in SKIP):
            continue
        found.append(href[len(base) :])
    return found


def is_html(page, base: str, path: str) -> bool:
    """Whether ``path`` answers with a page rather than a file to download (asked with
    ``HEAD`` in the signed-in browser's session; with ``GET`` where a view allows only
    ``GET`` and ``POST``)."""
    answer = page.context.request.head(base + path)
    if answer.status == 405:
        answer = page.context.request.get(base + path)
    disposition = answer.headers.get("content-disposition", "")
    return "text/html" in answer.headers.get("content-type", "") and "attachment" not in (
        disposition
    )


def shot_name(username: str, language: str, name: str) -> str:
    return f"{username}-{language}-{re.sub(r'[^A-Za-z0-9_-]+', '-', name)}.png"


def visit(page, watch, base, path, *, english, allowed, shot, in_navbar) -> tuple[int, list]:
    """Open ``path``, check it, save its screenshot. ``in_navbar``: the path is one of the
    navbar's links, which must then be the one marked current. Returns the status and the
    problems."""
    response = page.goto(base + path)
    page.wait_for_load_state("load")
    if page.locator("script[src*='dashboard.js']").count():
        # The charts are drawn once ECharts says so: the screenshot shows them.
        page.wait_for_selector("body[data-charts-ready]", timeout=5000)
    status = response.status if response else 0
    problems = watch.take()
    if status < 400:
        for kind, text in text_defects(page.content(), english=english, allowed_codes=allowed):
            problems.append(f"{kind}: {text}")
        problems += page.evaluate(NAVBAR_FITS)
        current = page.evaluate(CURRENT)
        # The admin site has its own header; a redirect lands on another page.
        has_navbar = page.locator("#nav").count() > 0
        landed = page.url == base + path
        if in_navbar and has_navbar and landed and current != [urlsplit(path).path]:
            problems.append(f"navbar marks {current} as the current page")
        page.screenshot(path=shot)
    return status, problems


def discover(page, watch, base, username, allowed, folder) -> tuple[list, list[str]]:
    """The Chinese walk: breadth first from the start page and the navbar's links, one page
    per view. Returns ``[(path, view name, whether the navbar links to it)]`` visited and the
    problems found."""
    navbar = same_site_links(page, base, "#nav a.nav-link[href], #nav a.dropdown-item[href]")
    queue = deque([page.url[len(base) :], *same_site_links(page, base, "nav a[href]")])
    names, visited, problems, admin_pages = set(), [], [], 0
    while queue and len(visited) < PAGES_PER_ROLE:
        path = queue.popleft()
        name = view_name(urlsplit(path).path)
        if name is None or name in names:
            continue
        names.add(name)
        is_admin = name.startswith("admin:")
        if is_admin and admin_pages >= ADMIN_PAGES:
            continue
        if not is_html(page, base, path):
            continue
        shot = folder / shot_name(username, "zh-hans", name)
        in_navbar = path in navbar
        status, found = visit(
            page, watch, base, path, english=False, allowed=allowed, shot=shot, in_navbar=in_navbar
        )
        problems += [f"[{username} zh-hans] {path}: {problem}" for problem in found]
        if status >= 400:
            # A link the role is shown must open for it (a 404 or 403 behind a link is a
            # dead end).
            problems.append(f"[{username} zh-hans] {path}: answers {status}")
            continue
        admin_pages += is_admin
        visited.append((path, name, in_navbar))
        queue.extend(same_site_links(page, base, LINKS))
    return visited, problems


def test_every_page_of_every_role_reads_right_in_both_languages(
    new_page, live_server, demo_county, artifacts
):
    started = time.monotonic()
    base = live_server.url
    folder = artifacts / SCREENSHOTS
    folder.mkdir(parents=True, exist_ok=True)
    allowed = frozenset(User.objects.values_list("username", flat=True))
    problems, counts = [], {}
    for username in ROLES:
        page = new_page()
        watch = Watch(page, urlsplit(base).netloc)
        set_language(page, base, "zh-hans")
        sign_in(page, base, username)
        watch.take()
        visited, found = discover(page, watch, base, username, allowed, folder)
        problems += found
        set_language(page, base, "en")
        for path, name, in_navbar in visited:
            shot = folder / shot_name(username, "en", name)
            status, found = visit(
                page,
                watch,
                base,
                path,
                english=True,
                allowed=allowed,
                shot=shot,
                in_navbar=in_navbar,
            )
            problems += [f"[{username} en] {path}: {problem}" for problem in found]
            assert status < 400, f"[{username} en] {path}: {status}"
        counts[username] = len(visited)
        page.context.close()
    print(f"\npage walk: {counts} pages per role, {time.monotonic() - started:.0f} s")
    assert all(count >= 8 for count in counts.values()), counts
    assert problems == [], "\n".join(problems)
