"""The enterprise portal (/portal/): the CQO's status at a glance, and the filings an
enterprise makes — appoint, change, dismiss; save as draft, submit, correct and resubmit a
returned filing, withdraw before review.

Only enterprise users come here (other roles 403, anonymous users to the login page), and
only ever for their own enterprise: filings are loaded from ``filing_list(request.user)``,
so another enterprise's filing id is a 404. Every write is a service call; a
``ValidationError`` becomes a message or a form error, never a server error.
"""

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from confirmations import selectors as confirmation_selectors
from cqo_registry.accounts.access import get_scoped_or_404, permission_required
from cqo_registry.accounts.models import Notification
from cqo_registry.pages import add_validation_error
from cqo_registry.workflows import error_text
from training.models import TrainingAttendance, TrainingSession

from .. import posts, services
from ..forms import AppointmentFilingForm, ConfirmForm, DismissalFilingForm
from ..models import (
    CQO_POST,
    FILING_FLOW,
    Department,
    Filing,
    FilingEvent,
    FilingKind,
    FilingStatus,
    PostType,
)
from ..registry import days_vacant, is_overdue, vacant_enterprises
from ..selectors import filing_list

enterprise_only = permission_required("appointments.file_for_enterprise")

EDITABLE_STATUSES = (FilingStatus.DRAFT, FilingStatus.RETURNED)
OPEN_STATUSES = services.OPEN_STATUSES
WITHDRAWABLE_STATUSES = FILING_FLOW.sources("withdraw")
LATEST_NOTIFICATIONS = 5
UPCOMING_SESSIONS = 5


def _filings(user):
    events = FilingEvent.objects.select_related("actor").order_by("at", "pk")
    return filing_list(user).prefetch_related(Prefetch("events", queryset=events))


def _open_filing(user, post: str = CQO_POST) -> Filing | None:
    """The user's enterprise's filing in progress for the single-holder ``post`` (the CQO's
    by default): one at a time per post (issue 19)."""
    return (
        filing_list(user)
        .filter(status__in=OPEN_STATUSES, post=post)
        .order_by("-created_at")
        .first()
    )


# --- The post a filing page is for (issue 19) -------------------------------------------------


def _chosen_post(request) -> PostType | None:
    """The post named by ``?post=`` — ``None`` for the CQO's (the default, whose pages stay
    as they were), else one of the posts the user's enterprise must fill (404 for any other
    code: a post it need not fill, an inactive or unknown one)."""
    code = request.GET.get("post") or CQO_POST
    if code == CQO_POST:
        return None
    for post in posts.posts_required(request.user.enterprise):
        if post.code == code:
            return post
    raise Http404


def _chosen_holder(request, post: PostType):
    """The current holder of ``post`` a change or dismissal is for: ``?holder=`` (an
    appointment id) among the enterprise's current holders of the post, or the only
    holder when there is one; ``None`` when the post has no holder. 404 for an id that is
    not one of them (another enterprise's appointment, an ended one, nonsense)."""
    holders = services.current_holders(request.user.enterprise, post.code)
    raw = request.GET.get("holder")
    if raw is None or raw == "":
        if len(holders) > 1:
            raise Http404
        return holders[0] if holders else None
    try:
        wanted = int(raw)
    except ValueError:
        raise Http404 from None
    for holder in holders:
        if holder.pk == wanted:
            return holder
    raise Http404


def _who(actor, enterprise_id: int) -> str:
    """A person as the enterprise sees them: a colleague by name and username (an enterprise
    has several accounts, issue 13), bureau staff as the bureau."""
    if actor is None:
        return _("系统")
    if actor.enterprise_id == enterprise_id:
        name = actor.get_full_name()
        return f"{name}（{actor.get_username()}）" if name else actor.get_username()
    return _("县市场监管局")


def _filer(filing: Filing, enterprise_id: int) -> str:
    """Who filed: the colleague who submitted it (the last submission), else who drafted it."""
    submitted = [e for e in filing.events.all() if e.action in ("submit", "resubmit")]
    if submitted:
        return _who(submitted[-1].actor, enterprise_id)
    for event in filing.events.all():
        if event.action == "create":
            return _who(event.actor, enterprise_id)
    return "—"


def _event_rows(filing: Filing, enterprise_id: int) -> list[dict]:
    """A filing's events for the enterprise: bureau staff appear as the bureau, not by name."""
    rows = []
    for event in filing.events.all():
        who = _who(event.actor, enterprise_id)
        rows.append(
            {
                "at": event.at,
                "action": event.action_label,
                "who": who,
                "note": event.note,
                "to_status": FilingStatus(event.to_status).label
                if event.to_status in FilingStatus.values
                else event.to_status,
            }
        )
    return rows


def _department_labels(values) -> list[str]:
    labels = dict(Department.choices)
    return [str(labels.get(value, value)) for value in values or []]


# --- Home -----------------------------------------------------------------------------------


@dataclass
class CqoStatus:
    """The enterprise's CQO at a glance. ``state`` is ``filed``, ``vacant`` or
    ``not_required``; filings in progress (drafts, under review, returned) come alongside."""

    state: str
    appointment: object = None
    filing: Filing | None = None
    vacancy_start: date | None = None
    days_open: int | None = None
    overdue: bool = False


def cqo_status(enterprise, filings: list[Filing], today: date) -> CqoStatus:
    current = services.current_appointment(enterprise)
    if current is not None:
        approved = [
            f
            for f in filings
            if f.appointment_id == current.pk
            and f.kind in (FilingKind.APPOINT, FilingKind.CHANGE)
            and f.status == FilingStatus.APPROVED
        ]
        return CqoStatus(
            state="filed", appointment=current, filing=approved[0] if approved else None
        )
    vacant = vacant_enterprises(today).filter(pk=enterprise.pk).values("vacancy_start").first()
    if vacant is None:
        return CqoStatus(state="not_required")
    start = vacant["vacancy_start"]
    return CqoStatus(
        state="vacant",
        vacancy_start=start,
        days_open=days_vacant(start, today),
        overdue=is_overdue(start, today),
    )


@enterprise_only
def home(request):
    enterprise = request.user.enterprise
    today = timezone.localdate()
    filings = list(_filings(request.user).order_by("-created_at", "-pk"))
    status = cqo_status(enterprise, filings, today)
    in_progress = [f for f in filings if f.status in OPEN_STATUSES]
    person = status.appointment.person if status.appointment else None
    attendances = (
        TrainingAttendance.objects.filter(person=person)
        .select_related("session")
        .order_by("-session__starts_on")
        if person
        else TrainingAttendance.objects.none()
    )
    upcoming = TrainingSession.objects.filter(starts_on__gte=today).order_by("starts_on")[
        :UPCOMING_SESSIONS
    ]
    notes = Notification.objects.filter(user=request.user)[:LATEST_NOTIFICATIONS]
    confirmation = confirmation_selectors.for_enterprise(enterprise.pk)
    history = [(f, _event_rows(f, enterprise.pk), _filer(f, enterprise.pk)) for f in filings]
    return render(
        request,
        "portal/home.html",
        {
            "enterprise": enterprise,
            "status": status,
            "in_progress": in_progress,
            "cqo_in_progress": any(f.is_cqo for f in in_progress),
            "history": history,
            "attendances": attendances,
            "trained": any(a.passed for a in attendances),
            "upcoming": upcoming,
            "notifications": notes,
            "confirmation": confirmation,
            # The first-time guide (issue 12): an enterprise with no CQO and no filing yet.
            "first_time": not filings and status.appointment is None,
            "filing_limit": settings.CQO_FILING_LIMIT_DAYS,
            "board": posts.filing_board(enterprise, today, filings),
            "year": today.year,
            "vacancy_limit": settings.CQO_VACANCY_LIMIT_DAYS,
            "departments": _department_labels(
                status.appointment.departments if status.appointment else []
            ),
        },
    )


# --- Filing pages ---------------------------------------------------------------------------


def _refuse_if_open(request, post: PostType | None = None):
    """One filing in progress at a time per single-holder post (the CQO's by default): a
    second one could not be approved after the first (two appointments, or a dismissal of a
    CQO being replaced). A post with several holders is not refused here: the service
    refuses two filings for one holder."""
    if post is not None and not post.single_holder:
        return None
    open_filing = _open_filing(request.user, post.code if post else CQO_POST)
    if open_filing is None:
        return None
    messages.warning(
        request,
        _("您有一份%(kind)s正在办理中（%(status)s），请先完成或撤回它，再办理新的备案。")
        % {"kind": open_filing.get_kind_display(), "status": open_filing.get_status_display()},
    )
    return redirect("portal:filing", pk=open_filing.pk)


def submit_after_save(request, filing: Filing):
    """Submit a just saved filing; on failure it stays a draft (or returned) and the message
    says why."""
    try:
        services.filing_submit(filing=filing, actor=request.user)
    except ValidationError as error:
        messages.error(request, _("已保存，但未能提交：%(error)s") % {"error": error_text(error)})
        return redirect("portal:filing_edit", pk=filing.pk)
    messages.success(request, _("已提交，请等待县市场监管局审核。"))
    return redirect("portal:filing", pk=filing.pk)


def wants_submit(request) -> bool:
    return "submit" in request.POST


def filing_form(request, **kwargs) -> AppointmentFilingForm:
    """The appointment filing form as ``request`` fills it, ``submitting`` when its submit
    button was pressed; ``kwargs``: the form's own arguments (``change``, ``post``, …)."""
    return AppointmentFilingForm(
        request.POST or None, request.FILES or None, submitting=wants_submit(request), **kwargs
    )


def _saved(request, filing: Filing, message: str):
    """After a draft is saved: submit it when the enterprise pressed submit, else flash
    ``message`` and show the filing."""
    if wants_submit(request):
        return submit_after_save(request, filing)
    messages.success(request, message)
    return redirect("portal:filing", pk=filing.pk)


def _save_draft(request, form, save, message: str):
    """``save()`` (which drafts or updates a filing from the valid ``form`` and returns it),
    then :func:`_saved`; on ``ValidationError`` the refusal goes on ``form`` and None is
    returned, for the view to show the form again."""
    try:
        filing = save()
    except ValidationError as error:
        add_validation_error(form, error)
        return None
    return _saved(request, filing, message)


def _appointment_page(
    request, form, *, kind: str, filing=None, current=None, status=200, post=None
):
    return render(
        request,
        "portal/filing_form.html",
        {"form": form, "kind": kind, "filing": filing, "current": current, "post": post},
        status=status,
    )


@enterprise_only
@require_http_methods(["GET", "POST"])
def filing_new(request):
    post = _chosen_post(request)
    if post is not None:
        return _post_new(request, post)
    enterprise = request.user.enterprise
    current = services.current_appointment(enterprise)
    if current is not None:
        messages.info(
            request,
            _("贵企业已有在任首席质量官（%(name)s）。更换人员请办理变更备案。")
            % {"name": current.person.name},
        )
        return redirect("portal:filing_change")
    return _create_appointment(request, change=False)


def _post_query(post: PostType, holder=None) -> str:
    query = f"?post={post.code}"
    return f"{query}&holder={holder.pk}" if holder is not None else query


def _post_new(request, post: PostType):
    """Appoint a holder of another post than the CQO's (issue 19): a single-holder post
    with a holder goes to its change; a post with several holders takes one more."""
    if post.single_holder:
        current = services.current_appointment(request.user.enterprise, post.code)
        if current is not None:
            messages.info(
                request,
                _("贵企业已有在任%(post)s（%(name)s）。更换人员请办理变更备案。")
                % {"post": post.name, "name": current.person.name},
            )
            return redirect(reverse("portal:filing_change") + _post_query(post))
    return _create_appointment(request, change=False, post=post)


@enterprise_only
@require_http_methods(["GET", "POST"])
def filing_change(request):
    post = _chosen_post(request)
    if post is not None:
        current = _chosen_holder(request, post)
        if current is None:
            return _no_current(request, _("变更备案"), post)
        return _create_appointment(request, change=True, current=current, post=post)
    current = services.current_appointment(request.user.enterprise)
    if current is None:
        return render(request, "portal/no_current.html", {"what": _("变更备案")})
    return _create_appointment(request, change=True, current=current)


def _no_current(request, what, post: PostType):
    return render(request, "portal/no_current.html", {"what": what, "post": post})


def save_appointment_filing(
    request, form, *, change: bool, post: PostType | None = None, replaces=None
) -> Filing:
    """Draft the appointment (or, with ``change``, change) filing a valid
    ``AppointmentFilingForm`` describes, for the user's enterprise: the person and the draft
    together, so that a refused draft leaves no stray person. ``post``: another post than
    the CQO's (issue 19), ``replaces`` the holder a change of it replaces. Raises
    ``ValidationError``."""
    fields = form.appointment_fields()
    end_reason = fields.pop("end_reason", None)
    with transaction.atomic():
        person = services.person_for_filing(
            enterprise=request.user.enterprise, actor=request.user, **form.person_fields()
        )
        extra = {"replace_current": True, "end_reason": end_reason} if change else {}
        if post is not None:
            extra["post"] = post.code
            if change:
                extra["replaces"] = replaces
        return services.filing_create_appointment(
            enterprise=request.user.enterprise,
            person=person,
            declared_person=services.declaration(**form.person_fields()),
            actor=request.user,
            **fields,
            **extra,
        )


def _create_appointment(request, *, change: bool, current=None, post: PostType | None = None):
    kind = FilingKind.CHANGE if change else FilingKind.APPOINT
    refused = _refuse_if_open(request, post)
    if refused is not None:
        return refused
    form = filing_form(request, change=change, post=post)
    page = {"kind": kind, "current": current, "post": post}
    if request.method != "POST" or not form.is_valid():
        return _appointment_page(request, form, **page)
    return _save_draft(
        request,
        form,
        lambda: save_appointment_filing(request, form, change=change, post=post, replaces=current),
        _("已保存为草稿。确认无误后请提交备案。"),
    ) or _appointment_page(request, form, **page)


@enterprise_only
@require_http_methods(["GET", "POST"])
def filing_dismiss(request):
    post = _chosen_post(request)
    if post is not None:
        current = _chosen_holder(request, post)
        if current is None:
            return _no_current(request, _("解聘备案"), post)
    else:
        current = services.current_appointment(request.user.enterprise)
        if current is None:
            return render(request, "portal/no_current.html", {"what": _("解聘备案")})
    refused = _refuse_if_open(request, post)
    if refused is not None:
        return refused
    form = DismissalFilingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        extra = {"post": post.code, "appointment": current} if post is not None else {}
        done = _save_draft(
            request,
            form,
            lambda: services.filing_create_dismissal(
                enterprise=request.user.enterprise,
                actor=request.user,
                **form.cleaned_data,
                **extra,
            ),
            _("已保存为草稿。确认无误后请提交备案。"),
        )
        if done:
            return done
    return render(
        request,
        "portal/dismiss_form.html",
        {"form": form, "current": current, "filing": None, "post": post},
    )


@enterprise_only
def filing_detail(request, pk: int):
    filing = get_scoped_or_404(_filings(request.user), pk=pk)
    return render(
        request,
        "portal/filing.html",
        {
            "filing": filing,
            "events": _event_rows(filing, request.user.enterprise_id),
            "departments": _department_labels(filing.appointment.departments),
            "can_edit": filing.status in EDITABLE_STATUSES,
            "can_withdraw": filing.status in WITHDRAWABLE_STATUSES,
        },
    )


def _refuse_unless_status(request, filing: Filing, statuses, refusal: str):
    """None when ``filing``'s status is one of ``statuses``; else ``refusal`` (which names the
    status as ``%(status)s``) as an error message and a redirect to the filing's page."""
    if filing.status in statuses:
        return None
    messages.error(request, refusal % {"status": filing.get_status_display()})
    return redirect("portal:filing", pk=filing.pk)


@enterprise_only
@require_http_methods(["GET", "POST"])
def filing_edit(request, pk: int):
    filing = get_scoped_or_404(_filings(request.user), pk=pk)
    refused = _refuse_unless_status(
        request, filing, EDITABLE_STATUSES, _("该备案当前状态为“%(status)s”，不能修改。")
    )
    if refused is not None:
        return refused
    if filing.kind == FilingKind.DISMISS:
        return _edit_dismissal(request, filing)
    appointment = filing.appointment
    # What the enterprise declared, never the registry's record of a person it has not filed.
    person = filing.declared_view
    initial = {
        "person_name": person.name,
        "email": person.email,
        "education": person.education,
        "title": person.title,
        "years_in_quality": person.years_in_quality,
        "position": appointment.position,
        "is_senior_manager": appointment.is_senior_manager,
        "is_principal": appointment.is_principal,
        "departments": appointment.departments,
        "appointed_on": appointment.appointed_on,
        "end_reason": filing.end_reason,
    }
    form = filing_form(
        request,
        initial=initial,
        person=person,
        appointment=appointment,
        change=filing.kind == FilingKind.CHANGE,
        post=None if filing.is_cqo else filing.post,
    )
    page = {
        "kind": filing.kind,
        "filing": filing,
        "current": filing.replaces,
        "post": None if filing.is_cqo else filing.post,
    }
    if request.method != "POST" or not form.is_valid():
        return _appointment_page(request, form, **page)

    @transaction.atomic
    def update():
        person = services.person_for_filing(
            enterprise=request.user.enterprise, actor=request.user, **form.person_fields()
        )
        services.filing_update_draft(
            filing=filing,
            actor=request.user,
            person=person,
            declared_person=services.declaration(**form.person_fields()),
            **form.appointment_fields(),
        )
        return filing

    return _save_draft(
        request, form, update, _("修改已保存。确认无误后请提交备案。")
    ) or _appointment_page(request, form, **page)


def _edit_dismissal(request, filing):
    form = DismissalFilingForm(
        request.POST or None,
        initial={"end_date": filing.end_date, "end_reason": filing.end_reason},
    )
    if request.method == "POST" and form.is_valid():

        def update():
            services.filing_update_draft(filing=filing, actor=request.user, **form.cleaned_data)
            return filing

        done = _save_draft(request, form, update, _("修改已保存。确认无误后请提交备案。"))
        if done:
            return done
    return render(
        request,
        "portal/dismiss_form.html",
        {
            "form": form,
            "current": filing.appointment,
            "filing": filing,
            "post": None if filing.is_cqo else filing.post,
        },
    )


@enterprise_only
@require_http_methods(["GET", "POST"])
def filing_submit(request, pk: int):
    """GET: the filing page (where the submit button is); POST: submit or resubmit."""
    filing = get_scoped_or_404(filing_list(request.user), pk=pk)
    if request.method != "POST":
        return redirect("portal:filing", pk=pk)
    if filing.kind != FilingKind.DISMISS and not filing.appointment.letter:
        messages.error(request, _("提交备案前请上传聘任文件。"))
        return redirect("portal:filing_edit", pk=pk)
    return submit_after_save(request, filing)


@enterprise_only
@require_http_methods(["GET", "POST"])
def filing_withdraw(request, pk: int):
    """GET: the confirmation; POST: withdraw (a draft, or a filing not yet reviewed)."""
    filing = get_scoped_or_404(filing_list(request.user), pk=pk)
    refused = _refuse_unless_status(
        request, filing, WITHDRAWABLE_STATUSES, _("该备案当前状态为“%(status)s”，不能撤回。")
    )
    if refused is not None:
        return refused
    if request.method == "POST":
        try:
            services.filing_withdraw(filing=filing, actor=request.user)
        except ValidationError as error:
            messages.error(request, error_text(error))
            return redirect("portal:filing", pk=pk)
        messages.success(request, _("备案已撤回。"))
        return redirect("portal:home")
    return render(
        request, "portal/withdraw_confirm.html", {"filing": filing, "form": ConfirmForm()}
    )
