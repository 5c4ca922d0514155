"""Private files (issue "Security, part 1" §1): an HTML or SVG file uploaded through any path —
the portal, the admin, sanction and evaluation documents, the services themselves — is
refused; no private file is ever served as HTML or SVG; every one goes out with the checked
type, as an attachment unless an embedded PDF/image is asked for, nosniff, a sandboxing CSP
and no caching; each role opens each kind of private file as SPEC §1 says; a replaced or
deleted file leaves storage after the commit (and only then)."""

import json
from datetime import date
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse

from appointments import sanctions
from appointments.models import Appointment, Filing, SanctionDocument, SanctionKind
from training import services as training_services
from training.models import EvaluationDocument

from .conftest import HOSTILE_UPLOADS, PDF, PNG, upload

pytestmark = pytest.mark.django_db

NEW_FILING = "/portal/filings/new/"


def stored_files(root) -> list[Path]:
    return sorted(p for p in Path(root).rglob("*") if p.is_file())


# --- Fixtures: one private file of each kind for the home enterprise --------------------------


@pytest.fixture
def letter(media_root, home_appointment):
    home_appointment.letter = upload("张三聘任书.pdf", PDF)
    home_appointment.save()
    return home_appointment


@pytest.fixture
def sanction(media_root, home_appointment, reviewer):
    return sanctions.sanction_record(
        appointment=home_appointment,
        kind=SanctionKind.WARNING,
        reason="履职不到位",
        decided_on=date(2024, 6, 1),
        documents=[upload("警示函.pdf", PDF)],
        actor=reviewer,
    )


@pytest.fixture
def evaluation(media_root, home_appointment, reviewer, enterprise_user):
    evaluation = training_services.evaluation_open(
        appointment=home_appointment, year=2023, actor=reviewer
    )
    training_services.evaluation_save_self_assessment(
        evaluation=evaluation,
        self_assessment="",
        self_scores={},
        documents=[upload("年度报告.png", PNG)],
        actor=enterprise_user,
    )
    return evaluation


def file_urls(letter, sanction, evaluation) -> dict[str, str]:
    document = sanction.documents.get()
    evaluation_document = evaluation.documents.get()
    return {
        "letter": reverse("appointments:letter_download", args=[letter.pk]),
        "letter_inline": reverse("appointments:letter_inline", args=[letter.pk]),
        "sanction_document": reverse(
            "oversight:document_download", args=[sanction.pk, document.pk]
        ),
        "evaluation_document": reverse(
            "evaluations:document", args=[evaluation.pk, evaluation_document.pk]
        ),
    }


# --- Uploads: every write path refuses HTML and SVG ------------------------------------------


@pytest.mark.parametrize("name, content, content_type", HOSTILE_UPLOADS)
def test_portal_filing_refuses_html_and_svg_letters(
    client_for, enterprise_user, media_root, name, content, content_type
):
    from tests.portal.conftest import filing_data

    response = client_for(enterprise_user).post(
        NEW_FILING, {**filing_data(), "draft": "1", "letter": upload(name, content, content_type)}
    )
    assert response.status_code == 200
    assert "不是 PDF、JPG 或 PNG" in response.context["form"].errors["letter"][0]
    assert not Filing.objects.exists()
    assert stored_files(media_root) == []


@pytest.mark.parametrize("name, content, content_type", HOSTILE_UPLOADS)
def test_portal_edit_refuses_html_and_svg_letters(
    client_for, enterprise_user, media_root, name, content, content_type
):
    from tests.portal.conftest import filing_data

    client = client_for(enterprise_user)
    client.post(NEW_FILING, {**filing_data(), "draft": "1", "letter": upload("a.pdf", PDF)})
    filing = Filing.objects.get()
    before = filing.appointment.letter.name
    response = client.post(
        reverse("portal:filing_edit", args=[filing.pk]),
        {**filing_data(), "draft": "1", "letter": upload(name, content, content_type)},
    )
    assert response.status_code == 200
    assert "letter" in response.context["form"].errors
    filing.appointment.refresh_from_db()
    assert filing.appointment.letter.name == before
    assert len(stored_files(media_root)) == 1


def admin_change_data(response) -> dict:
    """The POST data of an admin change form as the browser would send it unchanged."""
    form = response.context["adminform"].form
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None or value is False or name == "letter":
            continue
        if isinstance(value, list):
            value = json.dumps(value)
        data[name] = value
    return data


@pytest.mark.parametrize("name, content, content_type", HOSTILE_UPLOADS)
def test_admin_refuses_html_and_svg_letters(
    client_for, bureau_admin, letter, media_root, name, content, content_type
):
    # The path of the original attack: a letter uploaded in the admin's change form.
    client = client_for(bureau_admin)
    url = reverse("admin:appointments_appointment_change", args=[letter.pk])
    data = admin_change_data(client.get(url))
    data["letter"] = upload(name, content, content_type)
    response = client.post(url, data)
    assert response.status_code == 200  # the form again, with the error
    errors = response.context["adminform"].form.errors
    assert "不是 PDF、JPG 或 PNG" in errors["letter"][0]
    letter.refresh_from_db()
    assert letter.letter.name.endswith(".pdf")
    assert len(stored_files(media_root)) == 1


def test_admin_accepts_a_real_letter_under_a_random_checked_name(
    client_for, bureau_admin, letter, media_root, django_capture_on_commit_callbacks
):
    client = client_for(bureau_admin)
    url = reverse("admin:appointments_appointment_change", args=[letter.pk])
    old = Path(letter.letter.path)
    data = admin_change_data(client.get(url))
    data["letter"] = upload("张三 身份证 340104198501011234.pdf", PNG, "application/pdf")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, data)
    assert response.status_code == 302
    letter.refresh_from_db()
    stored = letter.letter.name
    assert stored.startswith("letters/") and stored.endswith(".png")  # the content decides
    assert "张三" not in stored and "340104" not in stored
    assert not old.exists()  # the replaced letter is gone


@pytest.mark.parametrize("name, content, content_type", HOSTILE_UPLOADS)
def test_sanction_form_refuses_html_and_svg_documents(
    client_for, reviewer, home_enterprise, home_appointment, media_root, name, content, content_type
):
    url = f"{reverse('oversight:sanction_create')}?enterprise={home_enterprise.pk}"
    response = client_for(reviewer).post(
        url,
        {
            "appointment": home_appointment.pk,
            "kind": SanctionKind.INTERVIEW,
            "reason": "约谈",
            "decided_on": "2024-06-01",
            "documents": [upload(name, content, content_type)],
        },
    )
    assert response.status_code == 400
    assert "不是 PDF、JPG 或 PNG" in response.content.decode()
    assert not SanctionDocument.objects.exists()
    assert stored_files(media_root) == []


@pytest.mark.parametrize("name, content, content_type", HOSTILE_UPLOADS)
def test_evaluation_form_refuses_html_and_svg_documents(
    client_for, enterprise_user, evaluation, name, content, content_type
):
    data = {"self_assessment": "自评"}
    data["documents"] = [upload(name, content, content_type)]
    response = client_for(enterprise_user).post(
        reverse("evaluations:self_save", args=[evaluation.pk]), data
    )
    assert response.status_code == 400
    assert "不是 PDF、JPG 或 PNG" in response.content.decode()
    assert evaluation.documents.count() == 1  # the fixture's own


@pytest.mark.parametrize("name, content, content_type", HOSTILE_UPLOADS)
def test_services_refuse_html_and_svg_whatever_calls_them(
    home_appointment, reviewer, enterprise_user, evaluation, media_root, name, content, content_type
):
    with pytest.raises(ValidationError):
        sanctions.sanction_record(
            appointment=home_appointment,
            kind=SanctionKind.WARNING,
            reason="警示",
            decided_on=date(2024, 6, 1),
            documents=[upload(name, content, content_type)],
            actor=reviewer,
        )
    with pytest.raises(ValidationError):
        training_services.evaluation_save_self_assessment(
            evaluation=evaluation,
            self_assessment="",
            self_scores={},
            documents=[upload(name, content, content_type)],
            actor=enterprise_user,
        )
    # Even a plain save() that skips full_clean() does not store it.
    home_appointment.letter = upload(name, content, content_type)
    with pytest.raises(ValidationError):
        home_appointment.save()
    assert not any(p.suffix in (".html", ".svg") for p in stored_files(media_root))


def test_a_polyglot_is_stored_and_served_as_the_type_of_its_content(
    client_for, reviewer, home_appointment, media_root
):
    # Valid PDF magic with a page appended: stored as .pdf, served as a PDF, never as HTML.
    home_appointment.letter = upload("x.html", PDF + b"<script>alert(1)</script>", "text/html")
    home_appointment.save()
    assert home_appointment.letter.name.endswith(".pdf")
    response = client_for(reviewer).get(
        reverse("appointments:letter_inline", args=[home_appointment.pk])
    )
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Security-Policy"] == "sandbox"
    assert response["X-Content-Type-Options"] == "nosniff"


# --- Serving: checked type, attachment, nosniff, sandbox, no-store ---------------------------


def test_every_private_file_response_carries_the_headers(
    client_for, reviewer, letter, sanction, evaluation
):
    client = client_for(reviewer)
    expected_type = {
        "letter": "application/pdf",
        "letter_inline": "application/pdf",
        "sanction_document": "application/pdf",
        "evaluation_document": "image/png",
    }
    for kind, url in file_urls(letter, sanction, evaluation).items():
        response = client.get(url)
        assert response.status_code == 200, kind
        assert response["Content-Type"] == expected_type[kind], kind
        disposition = response["Content-Disposition"]
        if kind == "letter_inline":
            assert disposition.startswith("inline;"), kind
        else:
            assert disposition.startswith("attachment;"), kind
        assert response["X-Content-Type-Options"] == "nosniff", kind
        assert response["Content-Security-Policy"] == "sandbox", kind
        assert response["Cache-Control"] == "private, no-store", kind
        response.getvalue()  # consumed: the test client then closes it safely


def test_download_names_keep_the_original_name_with_the_checked_extension(
    client_for, reviewer, sanction
):
    document = sanction.documents.get()
    response = client_for(reviewer).get(
        reverse("oversight:document_download", args=[sanction.pk, document.pk])
    )
    assert "filename*=UTF-8''%E8%AD%A6%E7%A4%BA%E5%87%BD.pdf" in response["Content-Disposition"]
    response.getvalue()  # consumed: the test client then closes it safely


@pytest.mark.parametrize(
    "suffix, content", [("html", b"<html><script>x</script>"), ("svg", b"<svg/>")]
)
def test_a_file_stored_before_the_checks_is_never_served_as_html_or_svg(
    client_for, reviewer, letter, sanction, evaluation, suffix, content
):
    # Files stored by an older version (or written into storage by hand) with a page's
    # extension and content: each goes out as an opaque download, even on the inline URL.
    storage = letter.letter.storage
    name = storage.save(f"legacy/old.{suffix}", ContentFile(content))
    Appointment.objects.filter(pk=letter.pk).update(letter=name)
    SanctionDocument.objects.filter(sanction=sanction).update(file=name, name=f"x.{suffix}")
    EvaluationDocument.objects.filter(evaluation=evaluation).update(file=name, name=f"x.{suffix}")
    client = client_for(reviewer)
    for kind, url in file_urls(letter, sanction, evaluation).items():
        response = client.get(url)
        assert response.status_code == 200, kind
        assert response["Content-Type"] == "application/octet-stream", kind
        assert response["Content-Disposition"].startswith("attachment;"), kind
        assert f".{suffix}" not in response["Content-Disposition"], kind
        assert response["Content-Security-Policy"] == "sandbox", kind
        assert response["X-Content-Type-Options"] == "nosniff", kind
        response.getvalue()  # consumed: the test client then closes it safely


def test_a_file_missing_from_storage_is_a_404(client_for, reviewer, letter):
    Path(letter.letter.path).unlink()
    response = client_for(reviewer).get(reverse("appointments:letter_download", args=[letter.pk]))
    assert response.status_code == 404


def test_the_review_page_embeds_the_inline_url(client_for, reviewer, letter):
    from appointments.views.review import _letter

    assert _letter(letter)["url"] == reverse("appointments:letter_inline", args=[letter.pk])


# --- Who opens which kind of private file (SPEC §1) ------------------------------------------

EXPECTED = {
    "bureau_admin": 200,
    "reviewer": 200,
    "town_officer": 200,  # the home town's enterprise
    "enterprise_user": 200,  # their own enterprise
    "leader": 403,  # dashboards and reports, not personal documents
    "outsider_town_officer": 404,
    "outsider_enterprise_user": 404,
}


@pytest.mark.parametrize(
    "kind", ["letter", "letter_inline", "sanction_document", "evaluation_document"]
)
@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_each_role_opens_each_kind_of_private_file_as_spec_says(
    request, client_for, letter, sanction, evaluation, role, kind
):
    url = file_urls(letter, sanction, evaluation)[kind]
    response = client_for(request.getfixturevalue(role)).get(url)
    assert response.status_code == EXPECTED[role]
    if response.status_code == 200:
        assert b"".join(response.streaming_content)[:4] in (PDF[:4], PNG[:4])


@pytest.mark.parametrize(
    "kind", ["letter", "letter_inline", "sanction_document", "evaluation_document"]
)
def test_no_role_and_anonymous_users_open_no_private_file(
    client_for, no_role_user, letter, sanction, evaluation, kind
):
    url = file_urls(letter, sanction, evaluation)[kind]
    assert client_for(no_role_user).get(url).status_code in (403, 404)
    response = client_for(None).get(url)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_leaders_see_no_document_links(client_for, leader, sanction, evaluation):
    client = client_for(leader)
    sanction_page = client.get(reverse("oversight:sanction_detail", args=[sanction.pk]))
    evaluation_page = client.get(reverse("evaluations:detail", args=[evaluation.pk]))
    assert sanction_page.status_code == evaluation_page.status_code == 200
    for page in (sanction_page, evaluation_page):
        html = page.content.decode()
        assert 'id="documents"' not in html and "/documents/" not in html


# --- Storage: replaced and deleted files go after the commit ----------------------------------


def test_a_replaced_letter_leaves_storage_after_commit(
    letter, media_root, django_capture_on_commit_callbacks
):
    old = Path(letter.letter.path)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        letter.letter = upload("new.pdf", PDF)
        letter.save()
    assert old.exists()  # not before the commit
    for callback in callbacks:
        callback()
    assert not old.exists()
    assert Path(letter.letter.path).exists()


def test_a_rolled_back_replacement_keeps_the_old_letter(letter, media_root):
    old = Path(letter.letter.path)
    with pytest.raises(RuntimeError), transaction.atomic():
        letter.letter = upload("new.pdf", PDF)
        letter.save()
        raise RuntimeError
    assert old.exists()
    assert Appointment.objects.get(pk=letter.pk).letter.path == str(old)


def test_deleted_documents_leave_storage_after_commit(
    sanction, evaluation, media_root, django_capture_on_commit_callbacks, enterprise_user
):
    sanction_file = Path(sanction.documents.get().file.path)
    evaluation_document = evaluation.documents.get()
    evaluation_file = Path(evaluation_document.file.path)
    with django_capture_on_commit_callbacks(execute=True):
        training_services.evaluation_remove_document(
            document=evaluation_document, actor=enterprise_user
        )
        sanction.delete()  # its documents go with it (cascade)
    assert not evaluation_file.exists()
    assert not sanction_file.exists()
