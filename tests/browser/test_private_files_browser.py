"""Private files in a real browser (Playwright on Debian's Chromium, live server): the
reviewer still sees a PDF letter inline although every private file carries
``Content-Security-Policy: sandbox`` (Chromium's PDF viewer renders it), and a page stored as
a letter before uploads were checked is downloaded, never opened as a page on the site."""

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from weasyprint import HTML

from appointments.models import Appointment
from appointments.services import filing_create_appointment, filing_submit
from tests.factories import DEFAULT_PASSWORD, PersonFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PDF_VIEWER = "chrome-extension://"
PAGE = b"<!doctype html><title>x</title><script>document.title = 'ran'</script><p>page</p>"


@pytest.fixture
def submitted(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "private"
    clerk = UserFactory(username="clerk", enterprise_user=True)
    letter = HTML(string="<h1>Appointment letter</h1>").write_pdf()
    draft = filing_create_appointment(
        enterprise=clerk.enterprise,
        person=PersonFactory(),
        position="质量总监",
        appointed_on=timezone.localdate() - timedelta(days=3),
        is_senior_manager=True,
        departments=["management"],
        letter=SimpleUploadedFile("聘任书.pdf", letter, "application/pdf"),
        actor=clerk,
    )
    UserFactory(username="reviewer", reviewer=True)
    return filing_submit(filing=draft, actor=clerk)


def log_in(page, live_server):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "reviewer")
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    with page.expect_navigation():
        page.click("main button[type=submit]")


def test_the_reviewer_sees_a_sandboxed_pdf_letter_inline(new_page, live_server, submitted):
    page = new_page()
    log_in(page, live_server)
    responses = []
    page.on("response", lambda response: responses.append(response))
    page.goto(f"{live_server.url}{reverse('review:filing', args=[submitted.pk])}")
    page.wait_for_selector("#letter-inline")
    for _ in range(150):  # the viewer starts after the page's load event (slower under load)
        if any(frame.url.startswith(PDF_VIEWER) for frame in page.frames):
            break
        page.wait_for_timeout(100)
    letter_url = reverse("appointments:letter_inline", args=[submitted.appointment_id])
    letters = [r for r in responses if r.url.endswith(letter_url)]
    assert letters, [r.url for r in responses]
    headers = letters[0].all_headers()
    assert headers["content-security-policy"] == "sandbox"
    assert headers["content-type"] == "application/pdf"
    assert any(frame.url.startswith(PDF_VIEWER) for frame in page.frames), [
        frame.url for frame in page.frames
    ]


def test_a_page_stored_as_a_letter_is_downloaded_not_opened(new_page, live_server, submitted):
    appointment = Appointment.objects.get(pk=submitted.appointment_id)
    name = appointment.letter.storage.save("legacy/old.html", ContentFile(PAGE))
    Appointment.objects.filter(pk=appointment.pk).update(letter=name)
    page = new_page()
    log_in(page, live_server)
    url = reverse("appointments:letter_inline", args=[appointment.pk])
    with page.expect_download() as download:
        page.evaluate("url => { window.location.href = url; }", f"{live_server.url}{url}")
    assert download.value.suggested_filename.endswith(".bin")
    assert page.title() != "ran"
