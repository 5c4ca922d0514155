"""The question bank pages (/exams/questions/): bureau admins and reviewers list, create and
edit questions; an edit that changes what candidates read writes a new version. Others get
403, anonymous users the login page."""

from functools import partial

from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from cqo_registry import params
from cqo_registry.accounts.access import permission_required
from cqo_registry.pages import form_page

from .. import bank
from ..forms import QuestionFilterForm, QuestionForm
from ..models import Question

PER_PAGE = 50
bank_keepers = permission_required("exams.manage_questions")


@bank_keepers
@require_GET
def question_list(request):
    form = QuestionFilterForm(request.GET or None)
    rows = Question.objects.select_related("post", "current").order_by("post__sort_order", "pk")
    if form.is_valid():
        data = form.cleaned_data
        if data["q"]:
            rows = rows.filter(current__stem__contains=data["q"])
        if data["post"]:
            rows = rows.filter(post=data["post"])
        if data["qtype"]:
            rows = rows.filter(qtype=data["qtype"])
        if data["category"]:
            rows = rows.filter(category=data["category"])
    elif form.is_bound:
        rows = rows.none()
    page = params.page(request, Paginator(rows, PER_PAGE))
    return render(
        request,
        "exams/question_list.html",
        {"form": form, "page": page, "total": Question.objects.count()},
    )


def _question_saved(saved) -> str:
    question, versioned = saved
    if versioned and question.current.number > 1:
        return _("已保存为第 %(number)d 版；已抽到旧版本的试卷仍按旧版本显示和评分。") % {
            "number": question.current.number
        }
    return _("试题已保存。")


@bank_keepers
@require_http_methods(["GET", "POST"])
def question_edit(request, pk: int | None = None):
    question = None
    if pk is not None:
        question = get_object_or_404(Question.objects.select_related("current"), pk=pk)
    initial = QuestionForm.initial_for(question) if question else None
    return form_page(
        request,
        partial(QuestionForm, initial=initial),
        "exams/question_form.html",
        {
            "question": question,
            "versions": question.versions.order_by("-number") if question else [],
        },
        error_status=200,
        on_valid=lambda form: bank.question_save(
            question=question,
            post_id=form.cleaned_data["post"].code,
            category=form.cleaned_data["category"],
            difficulty=form.cleaned_data["difficulty"],
            active=form.cleaned_data["active"],
            qtype=form.cleaned_data["qtype"],
            stem=form.cleaned_data["stem"],
            options=form.cleaned_data["options"],
            answer=form.cleaned_data["answer"],
            explanation=form.cleaned_data["explanation"],
            actor=request.user,
        ),
        success_message=_question_saved,
        redirect_to=lambda saved: reverse("exams:question_edit", args=[saved[0].pk]),
    )
