"""Every page of every role on the demo county, in Chinese and in English, says nothing a
developer wrote for developers (issue 12, "Developer text on every dashboard").

Each demo user (``seed_demo``) is walked with the test client from their start page and the
pages of their role no link may reach, following every same-site link breadth first (GET
only; two pages of each kind — the same path with other numbers — are enough). On each page
``tests.pagetext.text_defects`` looks for template syntax, interface text left in Chinese in
English mode, and raw internal codes; each Excel export met on the way is opened and its file
name and sheet names checked for codes (``LATE_ALL``) too."""

import re
from collections import Counter, deque
from io import BytesIO
from urllib.parse import unquote, urldefrag, urlsplit

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from openpyxl import load_workbook

from cqo_registry.accounts.models import User
from tests.conftest import ensure_evaluation_items, ensure_notice_targets
from tests.pagetext import CODE_TOKEN, text_defects

pytestmark = [pytest.mark.django_db, pytest.mark.walk]

ROLES = ["admin", "reviewer", "town_officer", "leader", "enterprise"]
PAGES_PER_ROLE = 160
# Links the walk does not follow: they change state, render a PDF, or stream a private file.
SKIP = (
    "/accounts/logout",
    "/logout",
    "/receipt",
    "/letters/",
    "/documents/",
    ".pdf",
    "/delete/",
    "/i18n/",
    "/admin/password_change",
    "/password/",
    "_popup=",
    "/admin/r/",
)
EXPORTS = ("/export", ".xlsx", "format=xlsx")


@pytest.fixture
def demo_county(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "private"
    ensure_notice_targets()
    ensure_evaluation_items()
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115


def links(html: str) -> list[str]:
    found = []
    for href in re.findall(r'<a\b[^>]*\bhref="([^"#][^"]*)"', html):
        href = urldefrag(href.replace("&amp;", "&")).url
        parts = urlsplit(href)
        if parts.scheme or parts.netloc or not href.startswith("/"):
            continue
        if any(marker in href for marker in SKIP):
            continue
        found.append(href)
    return found


def export_defects(response) -> list[str]:
    """Codes in a download's file name or its sheets' names."""
    defects = []
    disposition = unquote(response.get("Content-Disposition", ""))
    if CODE_TOKEN.search(disposition):
        defects.append(f"file name {disposition}")
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if body[:2] == b"PK":
        for title in load_workbook(BytesIO(body), read_only=True).sheetnames:
            if CODE_TOKEN.search(title):
                defects.append(f"sheet {title}")
    return defects


def usernames() -> frozenset[str]:
    return frozenset(User.objects.values_list("username", flat=True))


def walk(client: Client, start: list[str], *, english: bool) -> tuple[list[str], list[str]]:
    queue, seen, kinds = deque(start), set(), Counter()
    visited, problems = [], []
    while queue and len(visited) < PAGES_PER_ROLE:
        url = queue.popleft()
        kind = re.sub(r"\d+", "N", urlsplit(url).path)
        if url in seen or kinds[kind] >= 2:
            continue
        seen.add(url)
        kinds[kind] += 1
        response = client.get(url, follow=True)
        assert response.status_code < 500, url
        if response.status_code != 200:
            continue
        visited.append(url)
        content_type = response.get("Content-Type", "")
        if any(marker in url for marker in EXPORTS) or "html" not in content_type:
            problems += [f"{url}: {defect}" for defect in export_defects(response)]
            continue
        html = response.content.decode()
        defects = text_defects(html, english=english, allowed_codes=usernames())
        problems += [f"{url}: {kind_}: {text}" for kind_, text in defects]
        queue.extend(links(html))
    return visited, problems


def test_no_page_of_any_role_shows_developer_text(demo_county):
    problems, counts = [], {}
    for language, username in [(lang, name) for lang in ("zh-hans", "en") for name in ROLES]:
        client = Client()
        client.force_login(User.objects.get(username=username))
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        start = client.get("/", follow=True).redirect_chain
        first = start[-1][0] if start else "/"
        extra = ["/admin/"] if username in {"admin", "reviewer"} else []
        visited, found = walk(client, [first, "/", *extra], english=language == "en")
        counts[username, language] = len(visited)
        problems += [f"[{username} {language}] {problem}" for problem in found]
    assert all(count >= 8 for count in counts.values()), counts
    assert problems == [], "\n".join(sorted(set(problems)))
