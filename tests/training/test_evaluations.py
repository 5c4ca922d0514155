"""Yearly duty evaluation pages (/evaluations/): the enterprise's self-assessment with its
documents, the bureau's scoring, the scoped list, and outsiders kept out."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import AppointmentFactory, EnterpriseFactory
from training import services
from training.models import Evaluation, EvaluationStatus, Grade

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
YEAR = 2023


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "private"
    return settings.MEDIA_ROOT


@pytest.fixture
def evaluation(reviewer, county):
    return services.evaluation_open(appointment=county.home_appointment, year=YEAR, actor=reviewer)


@pytest.fixture
def outsider_evaluation(reviewer, county):
    return services.evaluation_open(
        appointment=county.outsider_appointment, year=YEAR, actor=reviewer
    )


def url(name, evaluation, *args):
    return reverse(f"evaluations:{name}", args=[evaluation.pk, *args])


def scores(evaluation):
    return list(evaluation.scores.select_related("item"))


def self_post(evaluation, value="8", text="全年组织质量攻关三项，未发生质量安全事故。", **extra):
    data = {"self_assessment": text, **extra}
    for score in scores(evaluation):
        data[f"self_{score.item_id}"] = value
    return data


def score_post(evaluation, values, comments="履职到位。"):
    data = {"comments": comments}
    for score, value in zip(scores(evaluation), values, strict=True):
        data[f"score_{score.item_id}"] = value
    return data


def submitted(evaluation, enterprise_user):
    services.evaluation_save_self_assessment(
        evaluation=evaluation,
        self_assessment="自评",
        self_scores={s.item_id: Decimal(8) for s in scores(evaluation)},
        actor=enterprise_user,
    )
    return services.evaluation_submit_self(evaluation=evaluation, actor=enterprise_user)


# --- Who sees what -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role, status",
    [
        ("bureau_admin", 200),
        ("reviewer", 200),
        ("leader", 200),
        ("town_officer", 200),
        ("enterprise_user", 200),
        ("outsider_town_officer", 404),
        ("outsider_enterprise_user", 404),
        ("no_role_user", 403),
    ],
)
def test_evaluation_page_by_role(request, client_for, evaluation, role, status):
    user = request.getfixturevalue(role)
    assert client_for(user).get(url("detail", evaluation)).status_code == status


def test_anonymous_goes_to_login(client_for, evaluation):
    for target in (reverse("evaluations:list"), url("detail", evaluation)):
        response = client_for(None).get(target)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_list_is_scoped(
    client_for, evaluation, outsider_evaluation, enterprise_user, town_officer, leader
):
    home = evaluation.appointment.enterprise.name
    outsider = outsider_evaluation.appointment.enterprise.name
    for user in (enterprise_user, town_officer):
        body = client_for(user).get(reverse("evaluations:list")).content.decode()
        assert home in body and outsider not in body
    body = client_for(leader).get(reverse("evaluations:list")).content.decode()
    assert home in body and outsider in body
    assert "open-year" not in body  # leaders read only


def test_no_role_user_gets_403_on_the_list(client_for, no_role_user):
    assert client_for(no_role_user).get(reverse("evaluations:list")).status_code == 403


def test_list_filters(client_for, reviewer, evaluation, outsider_evaluation, enterprise_user):
    submitted(evaluation, enterprise_user)
    client = client_for(reviewer)

    def names(**params):
        response = client.get(reverse("evaluations:list"), params)
        return {e.pk for e in response.context["page"].object_list}

    assert names(year=YEAR) == {evaluation.pk, outsider_evaluation.pk}
    assert names(year=YEAR + 1) == set()
    assert names(status=EvaluationStatus.SELF_SUBMITTED) == {evaluation.pk}
    assert names(town=outsider_evaluation.appointment.enterprise.town_id) == {
        outsider_evaluation.pk
    }
    assert names(grade=Grade.EXCELLENT) == set()


def test_list_query_count_does_not_grow(client_for, reviewer, county):
    client = client_for(reviewer)
    services.evaluation_open_year(year=YEAR, actor=reviewer)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("evaluations:list")).status_code == 200
        return len(queries)

    first = count()
    for _ in range(5):
        AppointmentFactory(enterprise=EnterpriseFactory(town=county.home_enterprise.town))
    services.evaluation_open_year(year=YEAR, actor=reviewer)
    assert Evaluation.objects.count() == 8
    assert count() == first


# --- Opening a year ------------------------------------------------------------------------


def test_bureau_opens_a_year_for_every_filed_current_cqo(client_for, reviewer, county):
    response = client_for(reviewer).post(
        reverse("evaluations:open_year"), {"year": YEAR}, follow=True
    )
    assert "已为 3 名首席质量官开启" in response.content.decode()
    assert Evaluation.objects.filter(year=YEAR).count() == 3


@pytest.mark.parametrize("role", ["leader", "town_officer", "enterprise_user"])
def test_others_cannot_open_a_year(request, client_for, county, role):
    user = request.getfixturevalue(role)
    response = client_for(user).post(reverse("evaluations:open_year"), {"year": YEAR})
    assert response.status_code == 403
    assert not Evaluation.objects.exists()


# --- The enterprise's self-assessment --------------------------------------------------------


def test_enterprise_saves_and_submits_its_self_assessment(
    client_for, enterprise_user, evaluation, media_root
):
    client = client_for(enterprise_user)
    data = self_post(evaluation, documents=[SimpleUploadedFile("年度质量报告.pdf", PDF)])
    response = client.post(url("self_save", evaluation), data)
    assert response.status_code == 302
    evaluation.refresh_from_db()
    assert evaluation.self_assessment.startswith("全年组织质量攻关")
    assert all(s.self_score == Decimal(8) for s in scores(evaluation))
    document = evaluation.documents.get()
    assert document.name == "年度质量报告.pdf"
    assert document.uploaded_by == enterprise_user

    assert client.get(url("self_submit", evaluation)).status_code == 200
    client.post(url("self_submit", evaluation))
    evaluation.refresh_from_db()
    assert evaluation.status == EvaluationStatus.SELF_SUBMITTED
    assert evaluation.history.latest().history_user == enterprise_user
    # Locked once submitted.
    response = client.post(url("self_save", evaluation), self_post(evaluation, value="9"))
    assert response.status_code == 400
    assert not evaluation.scores.filter(self_score=Decimal(9)).exists()


def test_self_score_above_maximum_is_a_form_error(client_for, enterprise_user, evaluation):
    response = client_for(enterprise_user).post(
        url("self_save", evaluation), self_post(evaluation, value="10.5")
    )
    assert response.status_code == 400
    assert not evaluation.scores.filter(self_score__isnull=False).exists()


def test_a_disguised_document_is_refused(client_for, enterprise_user, evaluation, media_root):
    fake = SimpleUploadedFile("报告.pdf", b"<html><script>alert(1)</script></html>" * 10)
    response = client_for(enterprise_user).post(
        url("self_save", evaluation), self_post(evaluation, documents=[fake])
    )
    assert response.status_code == 400
    assert "不是 PDF、JPG 或 PNG" in response.content.decode()
    assert not evaluation.documents.exists()


@pytest.mark.parametrize("role", ["reviewer", "leader", "town_officer"])
def test_only_the_enterprise_writes_the_self_assessment(request, client_for, evaluation, role):
    user = request.getfixturevalue(role)
    client = client_for(user)
    assert client.post(url("self_save", evaluation), self_post(evaluation)).status_code == 403
    assert client.post(url("self_submit", evaluation)).status_code == 403


def test_another_enterprise_gets_404(client_for, outsider_enterprise_user, evaluation):
    client = client_for(outsider_enterprise_user)
    assert client.post(url("self_save", evaluation), self_post(evaluation)).status_code == 404
    assert client.post(url("self_submit", evaluation)).status_code == 404
    assert client.post(url("score", evaluation), {}).status_code == 403


# --- Documents ------------------------------------------------------------------------------


@pytest.fixture
def document(evaluation, enterprise_user, media_root):
    services.evaluation_save_self_assessment(
        evaluation=evaluation,
        self_assessment="",
        self_scores={},
        documents=[SimpleUploadedFile("报告.pdf", PDF)],
        actor=enterprise_user,
    )
    return evaluation.documents.get()


def body_of(response) -> bytes:
    try:
        return b"".join(response.streaming_content)
    finally:
        response.close()


@pytest.mark.parametrize(
    "role, status",
    [
        ("enterprise_user", 200),
        ("reviewer", 200),
        ("leader", 403),
        ("town_officer", 200),
        ("outsider_enterprise_user", 404),
        ("outsider_town_officer", 404),
        ("no_role_user", 403),
    ],
)
def test_document_download_by_role(request, client_for, evaluation, document, role, status):
    user = request.getfixturevalue(role)
    response = client_for(user).get(url("document", evaluation, document.pk))
    assert response.status_code == status
    if status == 200:
        assert body_of(response) == PDF
        assert response["X-Content-Type-Options"] == "nosniff"


def test_document_of_another_evaluation_is_404(
    client_for, outsider_enterprise_user, outsider_evaluation, evaluation, document
):
    # The outsider may see their own evaluation, but not through it the home document.
    response = client_for(outsider_enterprise_user).get(
        url("document", outsider_evaluation, document.pk)
    )
    assert response.status_code == 404


def test_documents_are_stored_privately(evaluation, document, media_root):
    assert document.file.path.startswith(str(media_root))
    assert "报告" not in document.file.name


def test_enterprise_removes_a_document_while_drafting(
    client_for, enterprise_user, evaluation, document, reviewer
):
    assert (
        client_for(reviewer).post(url("document_remove", evaluation, document.pk)).status_code
        == 403
    )
    client_for(enterprise_user).post(url("document_remove", evaluation, document.pk))
    assert not evaluation.documents.exists()


# --- The bureau's scoring -----------------------------------------------------------------------


def test_bureau_scores_and_the_grade_follows(client_for, reviewer, enterprise_user, evaluation):
    submitted(evaluation, enterprise_user)
    response = client_for(reviewer).post(
        url("score", evaluation), score_post(evaluation, ["10"] * 8 + ["9.9", "0"]), follow=True
    )
    assert "89.9" in response.content.decode()
    evaluation.refresh_from_db()
    assert evaluation.total == Decimal("89.9")
    assert evaluation.grade == Grade.QUALIFIED
    assert evaluation.scored_by == reviewer
    # The enterprise sees the result.
    body = client_for(enterprise_user).get(url("detail", evaluation)).content.decode()
    assert "合格" in body and "履职到位" in body
    # Scoring again at 90 makes it excellent; history keeps both.
    client_for(reviewer).post(url("score", evaluation), score_post(evaluation, ["9"] * 10))
    evaluation.refresh_from_db()
    assert (evaluation.total, evaluation.grade) == (Decimal(90), Grade.EXCELLENT)
    assert evaluation.history.filter(grade=Grade.QUALIFIED).exists()


def test_a_score_above_maximum_is_a_form_error(client_for, reviewer, enterprise_user, evaluation):
    submitted(evaluation, enterprise_user)
    response = client_for(reviewer).post(
        url("score", evaluation), score_post(evaluation, ["11"] + ["10"] * 9)
    )
    assert response.status_code == 400
    evaluation.refresh_from_db()
    assert evaluation.status == EvaluationStatus.SELF_SUBMITTED


def test_a_draft_cannot_be_scored(client_for, reviewer, evaluation):
    response = client_for(reviewer).post(
        url("score", evaluation), score_post(evaluation, ["9"] * 10)
    )
    assert response.status_code == 400
    evaluation.refresh_from_db()
    assert evaluation.status == EvaluationStatus.DRAFT


@pytest.mark.parametrize("role", ["leader", "town_officer", "enterprise_user"])
def test_only_the_bureau_scores(request, client_for, enterprise_user, evaluation, role):
    submitted(evaluation, enterprise_user)
    user = request.getfixturevalue(role)
    response = client_for(user).post(url("score", evaluation), score_post(evaluation, ["10"] * 10))
    assert response.status_code == 403
    evaluation.refresh_from_db()
    assert evaluation.status == EvaluationStatus.SELF_SUBMITTED


def test_scoring_form_is_shown_to_the_bureau_only(
    client_for, reviewer, leader, enterprise_user, evaluation
):
    submitted(evaluation, enterprise_user)
    assert "scoring-form" in client_for(reviewer).get(url("detail", evaluation)).content.decode()
    assert "scoring-form" not in client_for(leader).get(url("detail", evaluation)).content.decode()
    body = client_for(enterprise_user).get(url("detail", evaluation)).content.decode()
    assert "scoring-form" not in body and "self-form" not in body


def test_year_defaults_to_this_year_in_the_open_form(client_for, reviewer):
    response = client_for(reviewer).get(reverse("evaluations:list"))
    assert response.context["open_form"].initial["year"] == timezone.localdate().year


# --- Admin ----------------------------------------------------------------------------------


def test_bureau_adjusts_items_and_reads_evaluations_in_the_admin(
    client_for, bureau_admin, enterprise_user, evaluation
):
    submitted(evaluation, enterprise_user)
    client = client_for(bureau_admin)
    assert client.get(reverse("admin:training_evaluationitem_changelist")).status_code == 200
    response = client.get(reverse("admin:training_evaluation_change", args=[evaluation.pk]))
    assert response.status_code == 200
    assert "D1" in response.content.decode()
    item = evaluation.scores.first().item
    # An item in use is switched off, not deleted.
    response = client.get(reverse("admin:training_evaluationitem_delete", args=[item.pk]))
    assert response.status_code == 403


def test_list_rows_print_what_the_instances_printed(client_for, reviewer, county):
    """The list's rows are read as prepared values (issue 15 §1): the person's link, the
    enterprise, its town ("" without one, not "None"), status, total and grade labels."""
    scored = Evaluation.objects.create(
        appointment=county.home_appointment,
        year=2025,
        status=EvaluationStatus.SCORED,
        total=Decimal("86.5"),
        max_total=Decimal("100.0"),
        grade=Grade.choices[0][0],
    )
    townless = AppointmentFactory(enterprise=EnterpriseFactory(town=None, name="无镇 & <企业>"))
    draft = Evaluation.objects.create(appointment=townless, year=2025, max_total=Decimal("100"))

    html = client_for(reviewer).get(reverse("evaluations:list")).content.decode()

    detail = reverse("evaluations:detail", args=[scored.pk])
    person = county.home_appointment.person.name
    assert f'<td><a href="{detail}">{person}</a></td>' in html
    assert f'<td class="text-nowrap">{county.home_appointment.enterprise.town.name}</td>' in html
    assert '<td class="text-end">86.5 / 100.0</td>' in html
    assert f"<td>{Grade.choices[0][1]}</td>" in html
    assert f'<tr data-evaluation="{draft.pk}">' in html
    assert "<td>无镇 &amp; &lt;企业&gt;</td>" in html
    assert '<td class="text-nowrap"></td>' in html and "None" not in html
    assert f'<td class="text-nowrap">{EvaluationStatus.DRAFT.label}</td>' in html
