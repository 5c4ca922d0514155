"""Sittings (/exams/sittings/): the bureau creates a sitting, enters candidates (persons
holding or nominated to the post), prints the venue sheet (QR code and access code), opens
and closes sign-in, and reads the results (per sitting, with an Excel export), each paper and
its certificate. Leaders read results; everyone else gets 403."""

from functools import partial

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from openpyxl import Workbook

from appointments.receipts import qr_svg
from cqo_registry.accounts.access import permission_required
from cqo_registry.pages import form_page, run_action
from cqo_registry.responses import excel_response, pdf_response
from cqo_registry.site import site_url
from cqo_registry.workflows import error_text

from .. import certificates, selectors, services
from ..forms import AddCandidatesForm, SittingForm
from ..models import Candidate, Paper, QuestionLayout, Sitting

ELIGIBLE_SHOWN = 500
sitting_keepers = permission_required("exams.manage_sittings")
result_readers = permission_required("exams.view_results")


@result_readers
@require_GET
def sitting_list(request):
    sittings = Sitting.objects.select_related("post").annotate(
        candidate_count=Count("candidates", distinct=True),
        submitted=Count(
            "candidates__paper", filter=Q(candidates__paper__submitted_at__isnull=False)
        ),
        passed_count=Count("candidates__paper", filter=Q(candidates__paper__passed=True)),
    )
    return render(
        request,
        "exams/sitting_list.html",
        {"sittings": sittings[:200], "can_act": request.user.has_perm("exams.manage_sittings")},
    )


@sitting_keepers
@require_http_methods(["GET", "POST"])
def sitting_edit(request, pk: int | None = None):
    sitting = get_object_or_404(Sitting, pk=pk) if pk is not None else None
    return form_page(
        request,
        partial(SittingForm, instance=sitting),
        "exams/sitting_form.html",
        {"sitting": sitting},
        error_status=200,
        on_valid=lambda form: _sitting_save(form, actor=request.user),
        success_message=_("考试场次已保存。"),
        redirect_to=lambda saved: reverse("exams:sitting", args=[saved.pk]),
    )


def _sitting_save(form, *, actor) -> Sitting:
    """The sitting of a valid ``SittingForm`` saved, a new one recorded as ``actor``'s."""
    sitting = form.save(commit=False)
    if sitting.pk is None:
        sitting.created_by = actor
    sitting.save()
    return sitting


def _candidates(sitting):
    return (
        Candidate.objects.filter(sitting=sitting)
        .select_related("person", "enterprise__town", "paper")
        .order_by("enterprise__town__name", "enterprise__name", "pk")
    )


@result_readers
@require_GET
def sitting_detail(request, pk: int):
    sitting = get_object_or_404(Sitting.objects.select_related("post", "training_session"), pk=pk)
    services.papers_close_expired(sitting=sitting)
    can_act = request.user.has_perm("exams.manage_sittings")
    eligible = list(services.eligible_appointments(sitting)[:ELIGIBLE_SHOWN]) if can_act else []
    candidates = list(_candidates(sitting))
    papers = [c.paper for c in candidates if hasattr(c, "paper")]
    suggested = set()
    if sitting.is_spot_check and request.user.has_perm("appointments.record_sanction"):
        suggested = {
            c.pk
            for c in selectors.spot_check_failures(request.user).filter(sitting=sitting)
            if selectors.suggests_sanction(c)
        }
    for candidate in candidates:
        candidate.suggests_sanction = candidate.pk in suggested
    return render(
        request,
        "exams/sitting_detail.html",
        {
            "sitting": sitting,
            "candidates": candidates,
            "eligible": eligible,
            "can_act": can_act,
            "submitted": sum(1 for p in papers if p.is_submitted),
            "passed": sum(1 for p in papers if p.passed),
            "suggested_count": len(suggested),
            "layout_label": QuestionLayout(sitting.layout).label,
        },
    )


@sitting_keepers
@require_POST
def sitting_add_candidates(request, pk: int):
    sitting = get_object_or_404(Sitting, pk=pk)
    form = AddCandidatesForm(request.POST, appointments=services.eligible_appointments(sitting))
    if not form.is_valid():
        messages.error(request, _("请选择本岗位的在岗或拟任人员。"))
        return redirect("exams:sitting", pk=pk)
    try:
        entry = services.sitting_add_candidates(
            sitting=sitting, appointment_ids=form.cleaned_data["appointment"], actor=request.user
        )
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, _("已添加 %(count)d 名考生。") % {"count": len(entry.added)})
        for reason in entry.refused:
            messages.warning(request, reason)
    return redirect("exams:sitting", pk=pk)


@sitting_keepers
@require_POST
def candidate_remove(request, pk: int, candidate_pk: int):
    candidate = get_object_or_404(Candidate, pk=candidate_pk, sitting_id=pk)
    return run_action(
        request,
        lambda: services.candidate_remove(candidate=candidate, actor=request.user),
        success_message=_("已移出考生。"),
        redirect_to=reverse("exams:sitting", args=[pk]),
    )


def _step(action):
    @sitting_keepers
    @require_POST
    def view(request, pk: int):
        sitting = get_object_or_404(Sitting, pk=pk)
        return run_action(
            request,
            lambda: services.sitting_step(sitting=sitting, action=action, actor=request.user),
            success_message=_("已开放签到。") if action == "open" else _("考试已结束。"),
            redirect_to=reverse("exams:sitting", args=[pk]),
        )

    view.__name__ = f"sitting_{action}"
    return view


sitting_open = _step("open")
sitting_close = _step("close")


@sitting_keepers
@require_GET
def sitting_print(request, pk: int):
    """The sheet put up at the venue: the sign-in page's QR code and the access code."""
    sitting = get_object_or_404(Sitting.objects.select_related("post"), pk=pk)
    url = site_url() + reverse("exam:sign_in") + f"?code={sitting.access_code}"
    return render(
        request,
        "exams/sitting_print.html",
        {"sitting": sitting, "sign_in_url": url, "qr_svg": qr_svg(url)},
    )


@result_readers
@require_GET
def sitting_results(request, pk: int):
    """The sitting's results as an .xlsx: one row per candidate."""
    sitting = get_object_or_404(Sitting.objects.select_related("post"), pk=pk)
    services.papers_close_expired(sitting=sitting)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("考试结果")
    sheet.append(
        [
            _("姓名"),
            _("身份证号"),
            _("企业"),
            _("所属镇"),
            _("补考"),
            _("交卷时间"),
            _("得分"),
            _("总分"),
            _("结果"),
            _("证书编号"),
        ]
    )
    for candidate in _candidates(sitting):
        paper = getattr(candidate, "paper", None)
        submitted = paper is not None and paper.is_submitted
        sheet.append(
            [
                candidate.person.name,
                candidate.person.masked_id_number,
                candidate.enterprise.name if candidate.enterprise else "",
                candidate.enterprise.town.name
                if candidate.enterprise and candidate.enterprise.town
                else "",
                _("是") if candidate.is_retake else "",
                paper.submitted_at.strftime("%Y-%m-%d %H:%M") if submitted else "",
                float(paper.score) if submitted else None,
                float(paper.total_marks) if paper else None,
                (_("合格") if paper.passed else _("不合格"))
                if submitted
                else (_("答题中") if paper else _("未参加")),
                paper.certificate_number if paper else "",
            ]
        )
    return excel_response(
        workbook, filename=_("考试结果-%(title)s.xlsx") % {"title": sitting.title}
    )


def _paper(pk):
    return get_object_or_404(
        Paper.objects.select_related(
            "candidate__person", "candidate__enterprise", "candidate__sitting__post"
        ),
        pk=pk,
    )


@result_readers
@require_GET
def paper_detail(request, pk: int):
    paper = _paper(pk)
    questions = paper.questions.select_related("version")
    return render(request, "exams/paper_detail.html", {"paper": paper, "questions": questions})


@result_readers
@require_GET
def paper_certificate(request, pk: int):
    paper = _paper(pk)
    if not paper.passed:
        return redirect("exams:paper", pk=pk)
    return pdf_response(
        certificates.render_certificate_pdf(paper),
        filename=certificates.certificate_filename(paper),
    )
