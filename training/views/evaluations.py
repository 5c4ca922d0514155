"""Yearly duty evaluation pages (/evaluations/, 履职评价).

* The list: the bureau filters by year, town, grade and status and opens a year's evaluations
  for every filed current CQO in one action; a leader reads it; a town officer reads their
  town's; an enterprise user sees only their own enterprise's (the portal links here).
* One evaluation: the enterprise's self part (text, self scores, documents, submit) and the
  bureau's scoring part. Evaluations outside the user's scope are 404; seeing without the
  right to act is 403.
"""

from functools import partial

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, F
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from appointments.selectors import Row
from cqo_registry import params
from cqo_registry.accounts import access
from cqo_registry.accounts.access import get_scoped_or_404, permission_required
from cqo_registry.pages import audited_file_response, form_page, pk_url, run_action
from cqo_registry.quick_fields import CrispyFields
from cqo_registry.quick_widgets import quicken
from cqo_registry.workflows import error_text

from .. import services
from ..filters import EvaluationFilter
from ..forms import OpenYearForm, ScoringForm, SelfAssessmentForm
from ..models import Evaluation, EvaluationDocument, EvaluationStatus, Grade

PER_PAGE = 50


bureau_only = permission_required("training.score_evaluation")
viewers = permission_required("training.view_evaluations")


def evaluation_list_for(user):
    """Evaluations ``user`` may see, ready for the list (no query per row)."""
    return access.scope(
        Evaluation.objects.select_related(
            "appointment__person", "appointment__enterprise__town", "scored_by"
        ),
        user,
        town_field="appointment__enterprise__town",
        enterprise_field="appointment__enterprise",
    )


def evaluation_rows(evaluations) -> "list[Row]":
    """The list's rows for ``evaluations`` (one page: filtered, ordered and sliced), in their
    order, each a :class:`Row` of what its cells print (issue 15 §1, SPEC §7 "100k
    enterprises must stay fast"; what the list shows is SPEC §2 "Evaluation"): ``pk``, ``year``,
    ``detail_url``, ``person_name``, ``enterprise_name``, ``town_name`` ("" without a town),
    ``status_label``, ``total`` and ``max_total`` (``Decimal``; ``total`` None when not
    scored) and ``grade_label`` ("" when not graded). One query; the template no longer
    builds five model instances and reverses a URL per row (half a full page's CPU). Raises
    nothing of its own (what the query raises)."""
    statuses = {value: str(label) for value, label in EvaluationStatus.choices}
    grades = {value: str(label) for value, label in Grade.choices}
    detail_url = pk_url("evaluations:detail")
    return [
        Row(
            pk=row["pk"],
            year=row["year"],
            detail_url=detail_url(row["pk"]),
            person_name=row["person_name"],
            enterprise_name=row["enterprise_name"],
            town_name=row["town_name"] if row["town_name"] is not None else "",
            status_label=statuses.get(row["status"], row["status"]),
            total=row["total"],
            max_total=row["max_total"],
            grade_label=grades.get(row["grade"], row["grade"]),
        )
        for row in evaluations.values(
            "pk",
            "year",
            "status",
            "total",
            "max_total",
            "grade",
            person_name=F("appointment__person__name"),
            enterprise_name=F("appointment__enterprise__name"),
            town_name=F("appointment__enterprise__town__name"),
        )
    ]


def _may_self_assess(user, evaluation: Evaluation) -> bool:
    return user.has_perm("training.self_assess", evaluation.appointment)


# --- List ---------------------------------------------------------------------------------


@viewers
def list(request):  # noqa: A001 — the URL name the portal links to
    user = request.user
    queryset = evaluation_list_for(user).order_by("-year", "appointment__enterprise__name", "pk")
    filterset = EvaluationFilter(request.GET, queryset=queryset, user=user)
    quicken(filterset.form)
    rows = filterset.qs if filterset.is_valid() else queryset.none()
    page = params.page(request, Paginator(rows, PER_PAGE))
    page.object_list = evaluation_rows(page.object_list)
    context = {
        "filter": filterset,
        # The filter fields' HTML is the same for the same values and choices (the user's
        # towns among them): rendered once a process (issue 15 §1).
        "filter_fields": CrispyFields(filterset.form),
        "page": page,
        "query": params.query_without(request, "page"),
        "can_act": user.has_perm("training.score_evaluation"),
        "is_enterprise": access.is_enterprise_user(user),
    }
    if context["can_act"]:
        context["open_form"] = OpenYearForm(initial={"year": timezone.localdate().year})
        context["open_fields"] = CrispyFields(context["open_form"])
        counts = rows.order_by().values("grade").annotate(count=Count("pk")).order_by("grade")
        context["by_grade"] = [
            (Grade(row["grade"]).label if row["grade"] else _("未评定"), row["count"])
            for row in counts
        ]
    return render(request, "evaluations/list.html", context)


@bureau_only
@require_POST
def open_year(request):
    form = OpenYearForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写正确的年度。"))
        return redirect("evaluations:list")
    year = form.cleaned_data["year"]
    try:
        count = services.evaluation_open_year(year=year, actor=request.user)
    except ValidationError as error:
        messages.error(request, error_text(error))
        return redirect("evaluations:list")
    messages.success(
        request,
        _("已为 %(count)d 名首席质量官开启 %(year)d 年度履职评价。")
        % {"count": count, "year": year},
    )
    return redirect(f"{reverse('evaluations:list')}?year={year}")


# --- One evaluation ----------------------------------------------------------------------------


def _load(request, pk: int) -> Evaluation:
    return get_scoped_or_404(evaluation_list_for(request.user), pk=pk)


def _scores(evaluation: Evaluation):
    # ``[*...]`` rather than ``list(...)``: this module's view named ``list`` hides the builtin.
    return [*evaluation.scores.select_related("item")]


def _context(request, evaluation: Evaluation, *, self_form=None, scoring_form=None) -> dict:
    user = request.user
    scores = _scores(evaluation)
    may_self = _may_self_assess(user, evaluation) and evaluation.status == EvaluationStatus.DRAFT
    may_score = user.has_perm("training.score_evaluation") and evaluation.status in (
        EvaluationStatus.SELF_SUBMITTED,
        EvaluationStatus.SCORED,
    )
    max_total = sum((s.item.max_score for s in scores), start=0)
    self_total = sum((s.self_score for s in scores if s.self_score is not None), start=0)
    return {
        "evaluation": evaluation,
        "appointment": evaluation.appointment,
        "scores": scores,
        # Leaders read the evaluation, not its documents (SPEC §1, PIPL).
        "documents": evaluation.documents.select_related("uploaded_by")
        if user.has_perm("appointments.open_private_files")
        else None,
        "max_total": max_total,
        "self_total": self_total,
        "may_self": may_self,
        "may_score": may_score,
        "self_form": self_form
        or (SelfAssessmentForm(evaluation=evaluation, scores=scores) if may_self else None),
        "scoring_form": scoring_form
        or (ScoringForm(evaluation=evaluation, scores=scores) if may_score else None),
        "thresholds": services.GRADE_THRESHOLDS,
    }


@viewers
def detail(request, pk: int):
    evaluation = _load(request, pk)
    return render(request, "evaluations/detail.html", _context(request, evaluation))


def _detail_form_page(request, evaluation, form_class, form_name: str, **step):
    """A form of the evaluation page (``form_class``, shown as ``form_name``) posted: the
    step run and back to the page, or the page shown again with the form's errors.
    ``step``: ``on_valid`` and ``success_message`` as ``pages.form_page`` takes them."""
    return form_page(
        request,
        partial(form_class, evaluation=evaluation, scores=_scores(evaluation)),
        "evaluations/detail.html",
        lambda form: _context(request, evaluation, **{form_name: form}),
        form_name=form_name,
        redirect_to=reverse("evaluations:detail", args=[evaluation.pk]),
        **step,
    )


@viewers
@require_POST
def self_save(request, pk: int):
    evaluation = _load(request, pk)
    if not _may_self_assess(request.user, evaluation):
        raise PermissionDenied
    return _detail_form_page(
        request,
        evaluation,
        SelfAssessmentForm,
        "self_form",
        on_valid=lambda form: services.evaluation_save_self_assessment(
            evaluation=evaluation,
            self_assessment=form.cleaned_data["self_assessment"],
            self_scores=form.self_scores(),
            documents=form.cleaned_data["documents"],
            actor=request.user,
        ),
        success_message=_("已保存自评。"),
    )


@viewers
@require_http_methods(["GET", "POST"])
def self_submit(request, pk: int):
    """GET: the confirmation; POST: hand the self-assessment to the bureau."""
    evaluation = _load(request, pk)
    if not _may_self_assess(request.user, evaluation):
        raise PermissionDenied
    if request.method == "POST":
        return run_action(
            request,
            lambda: services.evaluation_submit_self(evaluation=evaluation, actor=request.user),
            success_message=_("已提交自评，等待监管局评分。"),
            redirect_to=reverse("evaluations:detail", args=[pk]),
        )
    return render(request, "evaluations/submit_confirm.html", _context(request, evaluation))


@bureau_only
@require_POST
def score(request, pk: int):
    evaluation = _load(request, pk)
    return _detail_form_page(
        request,
        evaluation,
        ScoringForm,
        "scoring_form",
        on_valid=lambda form: services.evaluation_score(
            evaluation=evaluation,
            scores=form.item_scores(),
            notes=form.item_notes(),
            comments=form.cleaned_data["comments"],
            actor=request.user,
        ),
        success_message=lambda scored: (
            _("已评定：总分 %(total)s / %(max)s，等次 %(grade)s。")
            % {
                "total": scored.total,
                "max": scored.max_total,
                "grade": scored.get_grade_display(),
            }
        ),
    )


# --- Supporting documents -----------------------------------------------------------------------


@viewers
def document_download(request, pk: int, document_pk: int):
    """Serve a supporting document to users who may see its evaluation; no other URL."""
    evaluation = _load(request, pk)
    if not request.user.has_perm("appointments.open_private_files"):
        raise PermissionDenied  # a leader reads the evaluation, not its documents
    document = get_scoped_or_404(
        EvaluationDocument.objects.filter(evaluation=evaluation), pk=document_pk
    )
    return audited_file_response(request, document.file, filename=document.name, obj=document)


@viewers
@require_POST
def document_remove(request, pk: int, document_pk: int):
    evaluation = _load(request, pk)
    if not _may_self_assess(request.user, evaluation):
        raise PermissionDenied
    document = get_scoped_or_404(
        EvaluationDocument.objects.filter(evaluation=evaluation), pk=document_pk
    )
    return run_action(
        request,
        lambda: services.evaluation_remove_document(document=document, actor=request.user),
        success_message=_("已删除材料“%(name)s”。") % {"name": document.name},
        redirect_to=reverse("evaluations:detail", args=[pk]),
    )
