"""The question bank (issue 20): the Excel import (all or nothing, row errors, re-import
changes nothing, an edited row writes a new version), its blank form, and the reviewer's
list and edit pages, where an edit keeps the version past papers point at."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from cqo_registry.importing import read_workbook, run_import
from cqo_registry.importing.blank_forms import blank_form
from cqo_registry.importing.models import ImportJob
from exams import bank
from exams.importers import QuestionImporter
from exams.models import Question, QuestionVersion
from tests.factories import QuestionFactory

from .conftest import HEADER, question_row, xlsx

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "private"
    return settings.MEDIA_ROOT


def run(content: bytes, *, dry_run=False, user=None):
    workbook = read_workbook(content, filename="题库.xlsx")
    return run_import(QuestionImporter(user=user), workbook, dry_run=dry_run)


def test_import_creates_questions_of_every_type():
    result = run(
        xlsx(
            [
                question_row(1),
                question_row(2, qtype="多选", answer="A、C"),
                question_row(3, qtype="判断", answer="错误", post="food_officer"),
            ]
        )
    )
    assert result.ok, result.errors
    assert Question.objects.count() == 3
    multiple = Question.objects.get(qtype="multiple")
    assert multiple.current.answer == "AC" and len(multiple.current.options) == 4
    judge = Question.objects.get(qtype="judge")
    assert judge.post_id == "food_officer"
    assert judge.current.options == ["正确", "错误"] and judge.current.answer == "B"
    assert judge.difficulty == "easy"


def test_a_bad_row_imports_nothing_and_every_bad_row_is_named():
    rows = [
        question_row(1),
        question_row(2, answer="E"),  # no option E
        question_row(3, qtype="多选", answer="B"),  # a multiple needs two
        question_row(4, post="无此岗位"),
        ["填空", "题干", "A", "B", "", "", "A", "", "首席质量官", "", ""],
        question_row(6, qtype="判断", answer="也许"),
    ]
    result = run(xlsx(rows))
    assert not result.ok
    assert {e.row for e in result.errors} == {3, 4, 5, 6, 7}
    assert not Question.objects.exists()
    reasons = " ".join(e.reason for e in result.errors)
    assert "不在已填的选项中" in reasons and "无此岗位" in reasons and "填空" in reasons


def test_reimport_changes_nothing_and_an_edited_row_writes_a_new_version():
    content = xlsx([question_row(1), question_row(2)])
    assert run(content).ok
    again = run(content)
    assert again.counts["试题"]["unchanged"] == 2 and again.counts["试题"]["created"] == 0
    assert QuestionVersion.objects.count() == 2
    edited = question_row(1)
    edited[6] = "B"
    result = run(xlsx([edited, question_row(2)]))
    assert result.counts["试题"]["updated"] == 1
    question = Question.objects.get(current__stem__startswith="第1题")
    assert question.current.number == 2 and question.current.answer == "B"
    assert question.versions.get(number=1).answer == "A"


def test_the_same_question_twice_with_different_answers_is_an_error():
    other = question_row(1)
    other[6] = "B"
    result = run(xlsx([question_row(1), other]))
    assert not result.ok and result.errors[0].row == 3


def test_blank_form_has_the_columns_and_drop_downs():
    workbook = load_workbook(io.BytesIO(blank_form("questions")))
    sheet = workbook.worksheets[0]
    header = [c.value for c in sheet[1]]
    assert header[:2] == ["题型", "题干"] and "选项F" in header and "难度" in header
    formulas = {v.formula1 for v in sheet.data_validations.dataValidation}
    assert '"单选,多选,判断"' in formulas and '"易,中,难"' in formulas


def test_import_through_the_pages(client_for, reviewer):
    client = client_for(reviewer)
    response = client.post(
        "/imports/new/questions/",
        {"file": SimpleUploadedFile("题库.xlsx", xlsx([question_row(1), question_row(2)]))},
    )
    assert response.status_code == 302
    job = ImportJob.objects.get()
    assert job.can_confirm and not Question.objects.exists()
    client.post(f"/imports/{job.pk}/confirm/")
    assert Question.objects.count() == 2
    assert client.get("/imports/blank/questions.xlsx").status_code == 200
    assert HEADER


# --- the reviewer's pages ---------------------------------------------------------------------


def form_data(**over):
    data = {
        "post": "cqo",
        "qtype": "single",
        "category": "法律法规",
        "difficulty": "medium",
        "stem": "首席质量官由谁聘任？",
        "option_A": "企业",
        "option_B": "监管局",
        "answer": "a",
        "explanation": "",
        "active": "on",
    }
    data.update(over)
    return data


def test_reviewer_creates_and_edits_a_question_keeping_old_versions(client_for, reviewer):
    client = client_for(reviewer)
    response = client.post("/exams/questions/new/", form_data())
    assert response.status_code == 302
    question = Question.objects.get()
    assert question.current.answer == "A" and question.current.number == 1
    first = question.current
    # Only category changes: no new version.
    client.post(f"/exams/questions/{question.pk}/", form_data(category="质量管理"))
    question.refresh_from_db()
    assert question.current == first and question.category == "质量管理"
    # The answer changes: a new version; the old one is unchanged for past papers.
    client.post(f"/exams/questions/{question.pk}/", form_data(answer="B"))
    question.refresh_from_db()
    assert question.current.number == 2 and question.current.answer == "B"
    first.refresh_from_db()
    assert first.answer == "A"
    page = client.get(f"/exams/questions/{question.pk}/").content.decode()
    assert "v1" in page and "v2" in page


def test_a_bad_question_is_refused_with_the_reason(client_for, reviewer):
    response = client_for(reviewer).post(
        "/exams/questions/new/", form_data(qtype="multiple", answer="A")
    )
    assert response.status_code == 200
    assert "多选题至少有两个答案" in response.content.decode()
    assert not Question.objects.exists()


def test_a_version_cannot_be_changed():
    question = QuestionFactory()
    version = question.current
    version.answer = "B"
    with pytest.raises(ValueError):
        version.save()


def test_list_filters(client_for, reviewer):
    QuestionFactory(category="法律法规")
    QuestionFactory(category="质量管理", post_id="food_officer")
    client = client_for(reviewer)
    page = client.get("/exams/questions/?post=food_officer").content.decode()
    assert page.count("data-question=") == 1
    assert client.get("/exams/questions/?qtype=nonsense").status_code == 200


@pytest.mark.parametrize(
    "role",
    ["leader", "town_officer", "enterprise_user", "outsider_enterprise_user", "no_role_user"],
)
def test_outsiders_get_403(request, client_for, role):
    question = QuestionFactory()
    client = client_for(request.getfixturevalue(role))
    for url in ["/exams/questions/", "/exams/questions/new/", f"/exams/questions/{question.pk}/"]:
        assert client.get(url).status_code == 403, url
    assert client.post(f"/exams/questions/{question.pk}/", form_data()).status_code == 403


def test_anonymous_goes_to_login(client):
    assert client.get("/exams/questions/").status_code == 302


def test_check_content_judge_ignores_given_options():
    assert bank.check_content("judge", "题", ["x"], "A") == ["正确", "错误"]
