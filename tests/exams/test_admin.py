"""Issue 20: the exam records in the back office. Bureau roles read every exam model there;
nothing is added by hand (the bank, the rule page and the sitting workflow write them);
sittings, candidates, papers and rules are read-only; on a question only what the bank
changes in place (category, difficulty, active) is edited, and its versions never are."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse

from exams import services
from exams.models import (
    Candidate,
    Paper,
    PaperQuestion,
    PaperRule,
    PaperSection,
    Question,
    QuestionVersion,
    Sitting,
)
from tests.factories import UserFactory

from .conftest import make_bank

pytestmark = pytest.mark.django_db

MODELS = [Question, QuestionVersion, PaperRule, PaperSection, Sitting, Candidate, Paper]
MODELS += [PaperQuestion]
REGISTERED = [Question, PaperRule, Sitting, Candidate, Paper]


def url(model, action: str, *args) -> str:
    return reverse(f"admin:exams_{model._meta.model_name}_{action}", args=args)


@pytest.fixture
def graded(exam):
    """The ``exam`` fixture's candidate, with a submitted (graded) paper."""
    return services.paper_submit(paper=services.paper_start(candidate=exam.candidate))


@pytest.fixture(params=["superuser", "bureau_admin", "reviewer"])
def bureau_user(request, db):
    if request.param == "superuser":
        return UserFactory(username="root", bureau_admin=True, is_superuser=True, is_staff=True)
    if request.param == "bureau_admin":
        return UserFactory(username="plain_admin", bureau_admin=True)
    return UserFactory(username="a_reviewer", reviewer=True)


@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m._meta.model_name)
def test_every_exam_changelist_and_change_page_opens_in_chinese(
    client_for, graded, bureau_user, model
):
    client = client_for(bureau_user)
    response = client.get(url(model, "changelist"))
    assert response.status_code == 200
    assert "Question" not in response.content.decode().split("<title>")[1].split("</title>")[0]
    row = model.objects.order_by("pk").first()
    assert client.get(url(model, "change", row.pk)).status_code == 200


@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m._meta.model_name)
def test_changelists_cost_no_more_queries_with_more_rows(client_for, exam, reviewer, model):
    client = client_for(reviewer)
    services.paper_submit(paper=services.paper_start(candidate=exam.candidate))
    with CaptureQueriesContext(connection) as few:
        assert client.get(url(model, "changelist")).status_code == 200
    make_bank(post="food_officer", singles=3, multiples=0, judges=0)
    for other in (exam.county.second_home_appointment, exam.county.outsider_appointment):
        (candidate,) = services.sitting_add_candidates(
            sitting=exam.sitting, appointment_ids=[other.pk], actor=reviewer
        ).added
        services.paper_submit(paper=services.paper_start(candidate=candidate))
    Sitting.objects.create(post_id="cqo", title="第二期", held_on="2026-12-01", place="县城")
    with CaptureQueriesContext(connection) as more:
        assert client.get(url(model, "changelist")).status_code == 200
    assert len(more) == len(few)


@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m._meta.model_name)
def test_nothing_is_added_or_deleted_by_hand(client_for, graded, bureau_user, model):
    client = client_for(bureau_user)
    before = model.objects.count()
    assert client.get(url(model, "add")).status_code == 403
    assert client.post(url(model, "add"), {"_save": "1"}).status_code == 403
    row = model.objects.order_by("pk").first()
    assert client.post(url(model, "delete", row.pk), {"post": "yes"}).status_code == 403
    assert model.objects.count() == before


@pytest.mark.parametrize("model", [PaperRule, Sitting, Candidate, Paper])
def test_workflow_records_are_read_only(client_for, graded, bureau_user, model):
    client = client_for(bureau_user)
    row = model.objects.order_by("pk").first()
    page = client.get(url(model, "change", row.pk))
    assert page.context["has_change_permission"] is False
    assert 'name="_save"' not in page.content.decode()
    assert client.post(url(model, "change", row.pk), {"_save": "1"}).status_code == 403


def _change_data(page) -> dict:
    form = page.context["adminform"].form
    data = {name: form.initial.get(name) for name in form.fields}
    data = {k: v for k, v in data.items() if v is not None}
    for formset in page.context.get("inline_admin_formsets", []):
        management = formset.formset.management_form
        data.update({management.add_prefix(k): v for k, v in management.initial.items()})
    return data


def test_a_question_changes_only_what_the_bank_changes_in_place(client_for, graded, reviewer):
    client = client_for(reviewer)
    question = graded.questions.first().version.question
    version = question.current
    page = client.get(url(Question, "change", question.pk))
    form = page.context["adminform"].form
    assert set(form.fields) == {"category", "difficulty", "active"}
    data = _change_data(page)
    data.update({"active": "", "category": "质量管理", "_save": "1"})
    # A posted stem, post or current version is not a field of the form: ignored.
    data.update({"current": "", "post": "food_officer", "qtype": "judge", "stem": "改过的题干"})
    assert client.post(url(Question, "change", question.pk), data).status_code == 302
    question.refresh_from_db()
    assert (question.active, question.category) == (False, "质量管理")
    assert (question.post_id, question.qtype, question.current) == ("cqo", version.qtype, version)
    assert QuestionVersion.objects.get(pk=version.pk).stem == version.stem


def test_question_versions_are_shown_and_never_editable(client_for, graded, bureau_user):
    client = client_for(bureau_user)
    question = graded.questions.first().version.question
    page = client.get(url(Question, "change", question.pk))
    (inline,) = page.context["inline_admin_formsets"]
    assert inline.opts.model is QuestionVersion
    assert not inline.has_add_permission and not inline.has_change_permission
    assert not inline.has_delete_permission
    assert question.current.stem in page.content.decode()
    # Versions have no admin pages of their own.
    with pytest.raises(NoReverseMatch):
        url(QuestionVersion, "changelist")


@pytest.mark.parametrize("role", ["leader", "town_officer", "enterprise_user", "no_role_user"])
def test_other_roles_do_not_get_in(request, client_for, graded, role):
    client = client_for(request.getfixturevalue(role))
    response = client.get(url(Paper, "changelist"))
    assert response.status_code in (302, 403)
    assert client.get("/admin/exams/").status_code in (302, 403, 404)
