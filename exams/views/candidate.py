"""The candidate's pages (/exam/), on a phone and without an account (issue 20): sign in
with the sitting's access code, ID number and name (throttled); the paper — all questions on
one page or one question at a time (the sitting's ``layout``; the candidate may switch on the
page), each answer saved as it is given (``static/js/exam.js``); submit; the result and,
on a pass, the certificate. The candidate is remembered in the session only
(``SESSION_KEY``); nothing in a URL names a candidate or a paper, so no other candidate's
paper can be asked for. The answer key is never sent: the page has the options in the order
drawn and sends back the letters shown."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cqo_registry import params
from cqo_registry.accounts.views.throttles import too_many_requests
from cqo_registry.responses import pdf_response
from cqo_registry.workflows import error_text

from .. import certificates, services, throttles
from ..forms import SignInForm
from ..models import (
    OPTION_LETTERS,
    Candidate,
    Paper,
    QuestionType,
    Sitting,
    SittingStatus,
    SubmittedBy,
)

SESSION_KEY = "exam_candidate"


def _candidate(request) -> Candidate | None:
    pk = request.session.get(SESSION_KEY)
    if not isinstance(pk, int):
        return None
    return Candidate.objects.select_related("sitting__post", "person").filter(pk=pk).first()


def _paper(candidate) -> Paper | None:
    return Paper.objects.filter(candidate=candidate).first()


@never_cache
@require_http_methods(["GET", "POST"])
def sign_in(request):
    initial = {"access_code": params.text(request, "code", max_length=12)}
    form = SignInForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if throttles.sign_in_blocked(request):
            return too_many_requests(request, minutes=15)
        if form.is_valid():
            candidate = services.candidate_for(**form.cleaned_data)
            if candidate is not None:
                request.session.cycle_key()
                request.session[SESSION_KEY] = candidate.pk
                return redirect("exam:paper")
        throttles.count_failure(request)
        form.add_error(
            None, _("考场口令、身份证号或姓名不正确，或本场考试未开放，或您不是本场考生。")
        )
    return render(request, "exams/sign_in.html", {"form": form})


def _signed_in(view):
    def wrapped(request, *args, **kwargs):
        candidate = _candidate(request)
        if candidate is None:
            if request.headers.get("Accept", "").startswith("application/json"):
                return JsonResponse({"error": _("请重新签到。"), "signed_out": True}, status=403)
            return redirect("exam:sign_in")
        return view(request, candidate, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _shown_questions(paper: Paper) -> list[dict]:
    """What the page shows of each question: never the answer or the explanation."""
    shown = []
    for question in paper.questions.select_related("version").order_by("position"):
        version = question.version
        options = [
            (OPTION_LETTERS[i], version.options[original])
            for i, original in enumerate(question.option_order)
        ]
        shown.append(
            {
                "position": question.position,
                "qtype": version.qtype,
                "qtype_display": version.get_qtype_display(),
                "multiple": version.qtype == QuestionType.MULTIPLE,
                "stem": version.stem,
                "marks": question.marks,
                "options": options,
                "chosen": question.shown_letters(),
            }
        )
    return shown


@never_cache
@require_GET
@_signed_in
def paper(request, candidate):
    paper = _paper(candidate)
    now = timezone.now()
    if paper is None:
        try:
            paper = services.paper_start(candidate=candidate, now=now)
        except ValidationError as error:
            return render(
                request,
                "exams/waiting.html",
                {"candidate": candidate, "reason": error_text(error)},
            )
    if not paper.is_submitted and now >= paper.deadline_at:
        paper = services.paper_submit(paper=paper, by=SubmittedBy.DEADLINE, now=now)
    if paper.is_submitted:
        return redirect("exam:result")
    questions = _shown_questions(paper)
    return render(
        request,
        "exams/paper.html",
        {
            "candidate": candidate,
            "paper": paper,
            "questions": questions,
            "answered": sum(1 for q in questions if q["chosen"]),
            "layout": candidate.sitting.layout,
            "remaining": int((paper.deadline_at - now).total_seconds()),
        },
    )


@never_cache
@require_POST
def answer(request):
    """Save one answer: ``position`` and the ``choice`` letters as shown. JSON:
    ``{"saved": true, "remaining": seconds}``, or ``{"error", "submitted"}`` with 409 when
    the paper is closed, 400 for a bad request, 403 without a signed-in candidate. The
    busiest request of a sitting: the paper is read by the session's candidate id at once."""
    pk = request.session.get(SESSION_KEY)
    if not isinstance(pk, int):
        if request.headers.get("Accept", "").startswith("application/json"):
            return JsonResponse({"error": _("请重新签到。"), "signed_out": True}, status=403)
        return redirect("exam:sign_in")
    paper = Paper.objects.filter(candidate_id=pk).first()
    if paper is None:
        return JsonResponse({"error": _("请先开始答题。")}, status=400)
    position = params.object_id(request.POST, "position")
    if position is None or position > 500:
        return JsonResponse({"error": _("没有这道题。")}, status=400)
    choices = [c[:1] for c in request.POST.getlist("choice")[:6]]
    now = timezone.now()
    try:
        services.paper_answer(paper=paper, position=position, shown=choices, now=now)
    except ValidationError as error:
        paper.refresh_from_db()
        status = 409 if paper.is_submitted else 400
        return JsonResponse(
            {"error": error_text(error), "submitted": paper.is_submitted}, status=status
        )
    return JsonResponse(
        {"saved": True, "remaining": int((paper.deadline_at - now).total_seconds())}
    )


@require_POST
@_signed_in
def submit(request, candidate):
    paper = _paper(candidate)
    if paper is not None:
        services.paper_submit(paper=paper, by=SubmittedBy.CANDIDATE)
    return redirect("exam:result")


@never_cache
@require_GET
@_signed_in
def result(request, candidate):
    paper = _paper(candidate)
    if paper is None:
        return redirect("exam:paper")
    now = timezone.now()
    if not paper.is_submitted:
        if now < paper.deadline_at:
            return redirect("exam:paper")
        paper = services.paper_submit(paper=paper, by=SubmittedBy.DEADLINE, now=now)
    return render(request, "exams/result.html", {"candidate": candidate, "paper": paper})


@require_GET
@_signed_in
def certificate(request, candidate):
    paper = _paper(candidate)
    if paper is None or not paper.passed:
        messages.error(request, _("考试合格后才有合格证明。"))
        return redirect("exam:result")
    paper = Paper.objects.select_related("candidate__person", "candidate__sitting__post").get(
        pk=paper.pk
    )
    return pdf_response(
        certificates.render_certificate_pdf(paper),
        filename=certificates.certificate_filename(paper),
    )


@require_POST
def sign_out(request):
    request.session.pop(SESSION_KEY, None)
    return redirect(reverse("exam:sign_in"))


@require_GET
def verify(request, token: str):
    """Public: is this certificate genuine? Shows the name, post, sitting and result, no ID
    number."""
    paper = certificates.genuine_paper(token)
    response = render(request, "exams/verify.html", {"paper": paper}, status=200 if paper else 404)
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@require_GET
def published_results(request, pk: int):
    """Public: the results of a closed sitting whose post's rule publishes them (SAMR's spot
    checks publish their results): name, enterprise and pass or fail — no ID number, no
    score. 404 for any other sitting."""
    sitting = (
        Sitting.objects.select_related("post")
        .filter(pk=pk, status=SittingStatus.CLOSED, post__paper_rule__publish_results=True)
        .first()
    )
    if sitting is None:
        raise Http404
    papers = (
        Paper.objects.filter(candidate__sitting=sitting, submitted_at__isnull=False)
        .select_related("candidate__person", "candidate__enterprise")
        .order_by("candidate__enterprise__name", "candidate__person__name")
    )
    return render(request, "exams/published_results.html", {"sitting": sitting, "papers": papers})
