"""Every role's pages in a real browser (Playwright on Debian's Chromium, live server) under
the site's Content-Security-Policy, with no violation: no inline script or style blocked, no
resource refused (issue "Security, part 1" §2).

The demo county (``seed_demo``) is the data, plus what it does not make: a submitted filing
with a PDF letter and one with an image letter (the review page embeds them), a sanction
document and an evaluation document. Each demo user logs in through the login form and
walks their pages: the start page, every page linked from it and from those (same site,
GET only, no downloads), and the pages of their role the links do not reach (the admin's
lists, forms, import, export and history; a chart's tooltip). A violation is caught twice:
from the browser's console and from ``securitypolicyviolation`` events in the page."""

import re
from collections import Counter, deque
from datetime import date
from urllib.parse import urldefrag, urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from appointments import risk, sanctions
from appointments.models import Appointment, Filing, FilingStatus, SanctionKind
from appointments.services import filing_create_appointment, filing_submit
from confirmations.models import ConfirmationRound
from cqo_registry.accounts.models import User
from cqo_registry.importing.models import ImportJob
from enterprises.models import Enterprise
from tests.conftest import ensure_evaluation_items, ensure_notice_targets
from tests.factories import DEFAULT_PASSWORD, PersonFactory
from training import services as training_services
from training.models import Evaluation, EvaluationStatus

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.walk,
]

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360f8cf00000301010018dd8db40000000049454e44ae426082"
)
PAGES_PER_ROLE = 45
# Links a walk must not follow: they change state, download a file, or repeat a list.
SKIP = (
    "/accounts/logout",
    "/export",
    "/receipt",
    "/letters/",
    "/documents/",
    ".pdf",
    ".xlsx",
    "/delete/",
    "/i18n/",
    "/admin/logout",
    "/admin/password_change",
    "page=",
    "o=",  # admin sort orders
    "_popup=",
)

# Recorded in every page of the walk, before the page's own scripts run.
LISTEN = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(
    `${event.violatedDirective} blocked ${event.blockedURI || "inline"} at ` +
    `${event.sourceFile}:${event.lineNumber} ${event.sample || ""}`
  );
});
"""


def extra_files():
    """What the demo county has no files for: letters to embed, documents to list."""
    reviewer = User.objects.get(username="reviewer")
    filed = Appointment.objects.filter(filed_on__isnull=False, ended_on__isnull=True)
    no_open_filing = Enterprise.objects.filter(requires_cqo=True).exclude(
        filings__status__in=[FilingStatus.DRAFT, FilingStatus.SUBMITTED, FilingStatus.RETURNED]
    )
    vacant = no_open_filing.exclude(appointments__in=filed).order_by("pk")
    for letter in (
        SimpleUploadedFile("聘任书.pdf", PDF, "application/pdf"),
        SimpleUploadedFile("聘任书.png", PNG, "image/png"),
    ):
        enterprise = vacant.first()
        clerk = User.objects.filter(enterprise=enterprise).first()
        draft = filing_create_appointment(
            enterprise=enterprise,
            person=PersonFactory(),
            position="质量总监",
            appointed_on=date.today(),
            is_senior_manager=True,
            departments=["management"],
            letter=letter,
            actor=clerk or reviewer,
        )
        filing_submit(filing=draft, actor=clerk or reviewer)
    enterprise_user = User.objects.get(username="enterprise")
    current = filed.filter(enterprise=enterprise_user.enterprise).first()
    sanctions.sanction_record(
        appointment=current,
        kind=SanctionKind.WARNING,
        reason="履职不到位",
        decided_on=date.today(),
        documents=[SimpleUploadedFile("警示函.pdf", PDF)],
        actor=reviewer,
    )
    evaluation = Evaluation.objects.filter(
        appointment__enterprise=enterprise_user.enterprise, status=EvaluationStatus.DRAFT
    ).first() or training_services.evaluation_open(
        appointment=current, year=date.today().year, actor=reviewer
    )
    training_services.evaluation_save_self_assessment(
        evaluation=evaluation,
        self_assessment="自评",
        self_scores={},
        documents=[SimpleUploadedFile("年度报告.png", PNG)],
        actor=enterprise_user,
    )


@pytest.fixture
def county(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "private"
    ensure_notice_targets()
    ensure_evaluation_items()
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    extra_files()


def role_pages(username: str) -> list[str]:
    """Pages of a role that its start page's links may not reach."""
    review = [
        reverse("review:filing", args=[f.pk])
        for f in Filing.objects.filter(status=FilingStatus.SUBMITTED, appointment__letter__gt="")
    ]
    first_enterprise = Enterprise.objects.order_by("pk").first()
    admin = [
        "/admin/",
        "/admin/enterprises/enterprise/",
        f"/admin/enterprises/enterprise/{first_enterprise.pk}/change/",
        f"/admin/enterprises/enterprise/{first_enterprise.pk}/history/",
        "/admin/enterprises/enterprise/import/",
        "/admin/enterprises/enterprise/export/",
        "/admin/enterprises/enterprise/add/",
        "/admin/appointments/appointment/",
        f"/admin/appointments/appointment/{Appointment.objects.order_by('pk').first().pk}/change/",
        "/admin/appointments/filing/",
        "/admin/training/trainingattendance/",
        "/admin/training/evaluation/",
        "/admin/accounts/user/",
        f"/admin/accounts/user/{User.objects.get(username='enterprise').pk}/change/",
        "/admin/accounts/user/add/",
        "/admin/reports/target/",
        "/admin/django_celery_beat/periodictask/",
    ]
    evaluation_pages = [
        reverse("evaluations:detail", args=[e.pk])
        for e in Evaluation.objects.filter(documents__isnull=False)
    ]
    # Keeping the registry true (issue 17): the reconciliation's preview, the risk list and
    # its interview, the confirmation rounds, the reminder schedule and an enterprise's history.
    this_year = ConfirmationRound.objects.get(closed_at__isnull=True).year
    risky = risk.risk_list(User.objects.get(username="reviewer"))
    interview = [
        reverse("oversight:risk_interview", args=[row.pk])
        for row in risky
        if risk.suggests_interview(row)
    ][:1]
    keeping = [
        reverse("importing:job", args=[ImportJob.objects.get(kind="above_scale").pk]),
        "/enterprises/incomplete/",
        "/oversight/risk/",
        *interview,
        "/confirmations/",
        reverse("confirmations:round", args=[this_year]),
        f"{reverse('confirmations:round', args=[this_year])}?status=late",
        reverse("reports:explain", args=["CONFIRM"]) + "?show=missing",
    ]
    reminders = ["/reminders/", reverse("reminders:enterprise", args=[first_enterprise.pk])]
    return {
        "admin": [*admin, *review, *evaluation_pages, *keeping, *reminders],
        "reviewer": [*review, *evaluation_pages, "/dashboard/assessment/", *keeping],
        "town_officer": [
            "/town/",
            "/town/vacancies/",
            "/oversight/risk/",
            reverse("confirmations:round", args=[this_year]) + "?status=late",
        ],
        "leader": ["/dashboard/", "/dashboard/assessment/", "/confirmations/"],
        "enterprise": ["/portal/", "/portal/confirmation/", *evaluation_pages],
    }[username]


def log_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    with page.expect_navigation():
        page.click("main button[type=submit]")


def same_site_links(page, base: str) -> list[str]:
    hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
    links = []
    for href in hrefs:
        href = urldefrag(href).url
        if not href.startswith(base) or any(marker in href for marker in SKIP):
            continue
        links.append(href)
    return links


def walk(page, base: str, start: list[str]) -> tuple[list[str], list[str]]:
    """Visit ``start`` and the pages linked from them, breadth first, up to the budget.
    Returns the pages visited and the violations found."""
    violations, visited = [], []
    console = []
    page.on("console", lambda message: console.append(message.text))
    queue = deque(start)
    seen, kinds = set(), Counter()
    budget = PAGES_PER_ROLE + len(start)
    while queue and len(visited) < budget:
        url = queue.popleft()
        path = urlsplit(url).path + (("?" + urlsplit(url).query) if urlsplit(url).query else "")
        # Pages of one kind (/town/vacancies/<id>/, a list with other filters) are the same
        # template: two of each are enough.
        kind = re.sub(r"\d+", "N", urlsplit(url).path)
        if path in seen or kinds[kind] >= 2:
            continue
        seen.add(path)
        kinds[kind] += 1
        console.clear()
        response = page.goto(url if url.startswith("http") else base + url)
        page.wait_for_load_state("load")
        if response is None or response.status >= 400:
            continue
        if page.locator("[id^=chart-]").count() and page.locator("body[data-charts-ready]").count():
            # The tooltip of a chart is HTML that ECharts writes into the page.
            box = page.locator("[id^=chart-] canvas").first.bounding_box()
            if box:
                page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
                page.wait_for_timeout(200)
        visited.append(path)
        found = page.evaluate("window.__cspViolations || []")
        found += [text for text in console if "Content Security Policy" in text]
        violations += [f"{path}: {text}" for text in found]
        queue.extend(same_site_links(page, base))
    return visited, violations


@pytest.mark.parametrize("username", ["admin", "reviewer", "town_officer", "leader", "enterprise"])
def test_no_page_of_any_role_breaks_the_content_security_policy(
    new_page, live_server, county, username
):
    page = new_page()
    page.add_init_script(LISTEN)
    base = live_server.url
    log_in(page, base, username)
    start = [page.url, *(base + url for url in role_pages(username))]
    visited, violations = walk(page, base, start)
    assert len(visited) >= 8, visited
    assert violations == []
