"""Response headers (issue "Security, part 1" §2): the production settings' headers pinned —
CSP, HSTS, frame, referrer, permissions, cache — and every page's, with no template carrying
inline script or style for the policy to block. (A browser walk of every role's pages with
no CSP violation: tests/browser/test_csp_walk.py.)"""

import json
import re
import secrets
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from tests.infra.test_deploy_check import documented_environment, manage

CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'self'",
    "frame-src": "'self'",
    "frame-ancestors": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
}
PERMISSIONS = {
    "accelerometer": "()",
    "camera": "()",
    "display-capture": "()",
    "geolocation": "()",
    "gyroscope": "()",
    "magnetometer": "()",
    "microphone": "()",
    "midi": "()",
    "payment": "()",
    "usb": "()",
}

PROBE = """
import json
from django.test import Client
client = Client()
answers = {}
for name, secure in (("https", True), ("http", False)):
    response = client.get("/no-such-page/", secure=secure, HTTP_HOST="cqo.example.gov.cn")
    answers[name] = {"status": response.status_code, "headers": dict(response.headers)}
print("PROBE" + json.dumps(answers))
"""


def directives(header: str) -> dict[str, str]:
    parts = (part.strip().split(None, 1) for part in header.split(";") if part.strip())
    return {name: value for name, value in parts}


def policy(header: str) -> dict[str, str]:
    return dict(part.strip().split("=", 1) for part in header.split(","))


@pytest.fixture(scope="module")
def production(tmp_path_factory):
    """Headers of a response of the production settings, built in a separate process with the
    documented environment (no database is needed for a 404)."""
    environment = documented_environment()
    environment["DJANGO_SECRET_KEY"] = secrets.token_urlsafe(64)
    environment["DATABASE_URL"] = f"sqlite:///{tmp_path_factory.mktemp('prod') / 'none.db'}"
    result = manage("shell", "-c", PROBE, environment=environment)
    assert result.returncode == 0, result.stdout + result.stderr
    line = next(line for line in result.stdout.splitlines() if line.startswith("PROBE"))
    return json.loads(line.removeprefix("PROBE"))


def test_production_headers_are_pinned(production):
    headers = production["https"]["headers"]
    assert directives(headers["Content-Security-Policy"]) == CSP
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
    assert policy(headers["Permissions-Policy"]) == PERMISSIONS
    assert headers["Cache-Control"] == "private, no-store"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"


def test_production_sends_plain_http_to_https(production):
    answer = production["http"]
    assert answer["status"] == 301
    assert answer["headers"]["Location"] == "https://cqo.example.gov.cn/no-such-page/"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "user, url",
    [
        (None, "/accounts/login/"),
        (None, "/public/"),
        ("enterprise_user", "/portal/"),
        ("reviewer", "/review/"),
        ("leader", "/dashboard/"),
        ("town_officer", "/town/vacancies/"),
        ("bureau_admin", "/admin/"),
    ],
)
def test_every_page_says_what_it_allows_and_is_not_cached(request, client_for, user, url):
    client = client_for(request.getfixturevalue(user) if user else None)
    response = client.get(url)
    assert response.status_code == 200, url
    assert directives(response["Content-Security-Policy"]) == CSP
    assert policy(response["Permissions-Policy"]) == PERMISSIONS
    cache = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"private", "no-store"} <= cache
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.django_db
def test_a_view_that_sets_its_own_cache_control_keeps_it(client):
    response = client.get(reverse("verify:verify", args=["no-such-token"]))
    assert "no-store" in response["Cache-Control"] and "max-age=0" in response["Cache-Control"]


# --- No inline script or style in a page template ----------------------------------------------

# Templates that are not pages: e-mails and the HTML WeasyPrint turns into PDF.
NOT_PAGES = ("emails/", "_pdf.html")
INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "inline <script>"),
    (re.compile(r"<style\b", re.I), "<style> element"),
    (re.compile(r"\sstyle=", re.I), "style attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "inline event handler"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
]


def test_no_page_template_has_inline_script_or_style():
    found = []
    for path in sorted(Path(settings.BASE_DIR, "templates").rglob("*.html")):
        relative = path.relative_to(Path(settings.BASE_DIR, "templates")).as_posix()
        if any(marker in relative for marker in NOT_PAGES):
            continue
        text = path.read_text(encoding="utf-8")
        for pattern, what in INLINE:
            for match in pattern.finditer(text):
                found.append(f"{relative}: {what}: {match.group(0)!r}")
    assert found == []
