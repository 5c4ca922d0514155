"""The bureau's review pages (/review/): the queue of filings, one filing with its eligibility
hints, approve / return, and the enterprises' self-registrations.

Only bureau admins and reviewers come here (others 403, anonymous users to the login page).
Every workflow step is a service call; a ``ValidationError`` (e.g. another reviewer acted
first) becomes a message on the page, never a server error.
"""

import functools

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import Case, Count, OuterRef, Subquery, When
from django.db.models.functions import Coalesce
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from cqo_registry import params
from cqo_registry.accounts.access import get_scoped_or_404, permission_required
from cqo_registry.audit.services import audit_id_numbers_shown
from cqo_registry.cells import cell_text
from cqo_registry.pages import pk_url, run_action
from cqo_registry.quick_fields import CrispyFields
from cqo_registry.quick_widgets import quicken
from cqo_registry.workflows import error_text
from enterprises.models import Enterprise, EnterpriseRegistration, RegistrationStatus, Town
from enterprises.services import competing_registrations

from .. import services
from ..filters import FilingQueueFilter, RegistrationFilter
from ..hints import filing_hints
from ..models import Department, Filing, FilingEvent, FilingStatus
from ..review_forms import ApproveNewEnterpriseForm, RejectRegistrationForm, ReturnForm
from ..selectors import Row, filing_list, queue_rows

PER_PAGE = 50
HISTORY_LIMIT = 100

review_only = permission_required("appointments.review_filing")

STATUS_LABELS = dict(FilingStatus.choices)


def _reviewable(user):
    """Filings the bureau sees: everything but the enterprises' own drafts."""
    return filing_list(user).exclude(status=FilingStatus.DRAFT)


def pending_registrations_count() -> int:
    """The number of pending self-registrations (the tabs' badge, SPEC §1): one COUNT, read
    fresh on every page. Its statement never changes, so it is compiled once per process and
    database: the ORM built the same count anew on every request (~600 calls, issue 15 §1)."""
    using = EnterpriseRegistration.objects.all().db
    with connections[using].cursor() as cursor:
        cursor.execute(*_pending_count_statement(using))
        return cursor.fetchone()[0]


@functools.cache
def _pending_count_statement(using: str) -> tuple[str, tuple]:
    """``(sql, params)`` counting the pending registrations on database ``using``."""
    pending = (
        EnterpriseRegistration.objects.filter(status=RegistrationStatus.PENDING)
        .order_by()
        .values("pk")
    )
    sql, params = pending.query.get_compiler(using=using).as_sql()
    return f"SELECT COUNT(*) FROM ({sql}) AS pending", tuple(params)


# --- Queue ----------------------------------------------------------------------------------


@review_only
def queue(request):
    data = request.GET.copy()
    if "status" not in data:
        data["status"] = FilingStatus.SUBMITTED
    filterset = FilingQueueFilter(
        data, queryset=_reviewable(request.user).order_by("submitted_at", "pk")
    )
    quicken(filterset.form)
    rows = filterset.qs if filterset.is_valid() else _reviewable(request.user).none()
    # The page's keys first, then its rows as the strings their cells print, read by a
    # statement compiled once per process (issue 15 §1).
    page = params.page(request, Paginator(rows.values_list("pk", flat=True), PER_PAGE))
    page.object_list = queue_rows(list(page.object_list), timezone.localdate(), rows.db)
    return render(
        request,
        "review/queue.html",
        {
            "filter": filterset,
            # The filter fields' HTML is the same for the same values and choices: rendered
            # once a process (issue 15 §1).
            "filter_fields": CrispyFields(filterset.form),
            "page": page,
            "rows_html": _queue_rows_html(page.object_list),
            "query": params.query_without(data, "page"),
            "pending_registrations": pending_registrations_count(),
            "limit_days": _limit_days(),
        },
    )


def _queue_rows_html(rows: list[Row]) -> SafeString:
    """The queue table's rows (``queue_rows``' :class:`Row` s) as ``review/queue.html``'s loop
    wrote them, byte for byte: each cell's value as ``{{ value }}`` prints it (localized,
    escaped unless safe). Written here rather than by the template because the loop's 50
    rows of 9 cells were a quarter of the page's CPU (issue 15 §1); the HTML is the same
    (tests/review/test_queue.py compares both)."""
    text = cell_text()
    late = f'<span class="badge text-bg-danger late-flag">{text(_("逾期"))}</span>'
    return mark_safe("".join([_row_html(row, text, late) for row in rows]))


def _row_html(row: Row, text, late: str) -> str:
    """One row of the queue's table; ``text`` as :func:`cqo_registry.cells.cell_text`,
    ``late`` the late flag's HTML. The row is read by key: its attributes are a Python call
    each."""
    note, number = row["note"], row["number"]
    note = f'<br><span class="small text-muted">{text(note)}</span>' if note else ""
    number = f'<br><span class="small text-muted">{text(number)}</span>' if number else ""
    return (
        f'\n    <tr data-filing="{text(row["pk"])}">'
        f'\n      <td class="text-nowrap">{text(row["submitted"])}</td>'
        f'\n      <td class="text-nowrap">{text(row["kind_label"])}</td>'
        f'\n      <td><a href="{text(row["review_url"])}">{text(row["enterprise_name"])}</a><br>'
        f'<span class="small text-muted">{text(row["uscc"])}</span></td>'
        f'\n      <td class="text-nowrap">{text(row["town_name"])}</td>'
        f'\n      <td class="text-nowrap post" data-post="{text(row["post_id"])}">'
        f"{text(row['post_name'])}</td>"
        f"\n      <td>{text(row['person_name'])}{note}</td>"
        f'\n      <td class="text-end text-nowrap">{text(row["waiting"])}</td>'
        f'\n      <td class="text-end text-nowrap">{text(row["to_submit"])}'
        f"\n        {late if row['is_late'] else ''}</td>"
        f'\n      <td class="text-nowrap">{text(row["status_label"])}{number}</td>'
        "\n    </tr>\n  "
    )


def _limit_days() -> int:
    return settings.CQO_FILING_LIMIT_DAYS


# --- One filing -----------------------------------------------------------------------------


def _load_filing(request, pk: int) -> Filing:
    return get_scoped_or_404(
        _reviewable(request.user).select_related(
            "appointment__person", "replaces__person", "reviewed_by", "created_by"
        ),
        pk=pk,
    )


def _letter(appointment):
    """How to show the appointment letter inline: ("pdf"|"image"|"other", url) or None."""
    if not appointment.letter:
        return None
    # Stored names carry the extension of the type checked in the content; the inline URL
    # still serves anything but a PDF or an image as a download.
    inline = reverse("appointments:letter_inline", args=[appointment.pk])
    suffix = appointment.letter.name.rsplit(".", 1)[-1].lower()
    if suffix == "pdf":
        return {"kind": "pdf", "url": inline}
    if suffix in {"jpg", "jpeg", "png"}:
        return {"kind": "image", "url": inline}
    return {"kind": "other", "url": reverse("appointments:letter_download", args=[appointment.pk])}


def _filing_context(request, filing: Filing, **extra) -> dict:
    enterprise = filing.enterprise
    history = list(
        _reviewable(request.user)
        .filter(enterprise=enterprise)
        .select_related("reviewed_by")
        .order_by("-submitted_at", "-pk")[:HISTORY_LIMIT]
    )
    events = list(
        FilingEvent.objects.filter(filing__enterprise=enterprise)
        .exclude(filing__status=FilingStatus.DRAFT)
        .select_related("actor", "filing")
        .order_by("-at", "-pk")[:HISTORY_LIMIT]
    )
    for event in events:
        event.from_label = STATUS_LABELS.get(event.from_status, event.from_status)
        event.to_label = STATUS_LABELS.get(event.to_status, event.to_status)
    appointment = filing.appointment
    audit_id_numbers_shown(request, [appointment.person], page="review:filing")
    return {
        "filing": filing,
        "enterprise": enterprise,
        "appointment": appointment,
        "person": appointment.person,
        "departments": [Department(d).label for d in appointment.departments if d in Department],
        "letter": _letter(appointment),
        "replaced_letter": _letter(filing.replaces) if filing.replaces_id else None,
        "hints": filing_hints(filing),
        "history": history,
        "events": events,
        "limit_days": _limit_days(),
        "can_act": filing.status == FilingStatus.SUBMITTED,
        "return_form": extra.pop("return_form", None) or ReturnForm(),
        **extra,
    }


@review_only
def filing(request, pk: int):
    filing = _load_filing(request, pk)
    return render(request, "review/filing.html", _filing_context(request, filing))


@review_only
@require_http_methods(["GET", "POST"])
def filing_approve(request, pk: int):
    """GET: the confirmation; POST: approve (the service assigns the number)."""
    filing = _load_filing(request, pk)
    if request.method == "POST":
        return run_action(
            request,
            lambda: services.filing_approve(filing=filing, actor=request.user),
            success_message=lambda approved: (
                _("已通过%(kind)s，备案号 %(number)s。")
                % {"kind": approved.get_kind_display(), "number": approved.number}
            ),
            redirect_to=reverse("review:filing", args=[pk]),
        )
    if filing.status != FilingStatus.SUBMITTED:
        messages.warning(
            request,
            _("该备案当前状态为“%(status)s”，无需审核。") % {"status": filing.get_status_display()},
        )
        return redirect("review:filing", pk=pk)
    return render(request, "review/approve_confirm.html", _filing_context(request, filing))


@review_only
@require_http_methods(["GET", "POST"])
def filing_return(request, pk: int):
    """GET: the form for the reasons; POST: return the filing to the enterprise."""
    filing = _load_filing(request, pk)
    form = ReturnForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            return run_action(
                request,
                lambda: services.filing_return(
                    filing=filing, reasons=form.cleaned_data["reasons"], actor=request.user
                ),
                success_message=_("已退回该备案，企业将收到退回意见。"),
                redirect_to=reverse("review:filing", args=[pk]),
            )
        return render(
            request, "review/return_form.html", _filing_context(request, filing, return_form=form)
        )
    if filing.status != FilingStatus.SUBMITTED:
        messages.warning(
            request,
            _("该备案当前状态为“%(status)s”，不能退回。") % {"status": filing.get_status_display()},
        )
        return redirect("review:filing", pk=pk)
    return render(
        request, "review/return_form.html", _filing_context(request, filing, return_form=form)
    )


# --- Self-registrations ---------------------------------------------------------------------


def _registrations():
    """Registrations with ``competing``: how many other registrations of the same USCC wait
    for review beside a pending one (issue 13)."""
    others = (
        EnterpriseRegistration.objects.filter(
            uscc=OuterRef("uscc"), status=RegistrationStatus.PENDING
        )
        .exclude(pk=OuterRef("pk"))
        .order_by()
        .values("uscc")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return EnterpriseRegistration.objects.select_related(
        "town", "enterprise__town", "user", "reviewed_by"
    ).annotate(
        competing=Case(
            When(status=RegistrationStatus.PENDING, then=Coalesce(Subquery(others), 0)),
            default=0,
        )
    )


def _registration_rows(registrations) -> list[Row]:
    """The registrations list's rows for ``registrations`` (a page of :func:`_registrations`),
    each a :class:`Row` of what its cells print (issue 15 §1): ``pk``, ``url``, ``created``
    ("Y-m-d H:i" local time), ``name``, ``uscc``, ``competing``, ``is_new_enterprise``,
    ``town_name`` (the enterprise's town for a registered enterprise, else the town given,
    "—" without one), ``contact_name`` and ``status_label``. One query; the towns by
    subquery — the five-relation join took PostgreSQL 7–15 ms to plan, for 0.5 ms of work."""
    values = registrations.values(
        "pk",
        "created_at",
        "name",
        "uscc",
        "competing",
        "enterprise_id",
        "contact_name",
        "status",
        enterprise_town=Subquery(
            Enterprise.objects.filter(pk=OuterRef("enterprise_id"))
            .order_by()
            .values("town__name")[:1]
        ),
        town_name=Subquery(
            Town.objects.filter(pk=OuterRef("town_id")).order_by().values("name")[:1]
        ),
    )
    statuses = {value: str(label) for value, label in RegistrationStatus.choices}
    url = pk_url("review:registration")
    return [
        Row(
            pk=row["pk"],
            url=url(row["pk"]),
            created=timezone.localtime(row["created_at"]).strftime("%Y-%m-%d %H:%M"),
            name=row["name"],
            uscc=row["uscc"],
            competing=row["competing"],
            is_new_enterprise=row["enterprise_id"] is None,
            town_name=(
                row["enterprise_town"] or ""
                if row["enterprise_id"] is not None
                else row["town_name"] or "—"
            ),
            contact_name=row["contact_name"],
            status_label=statuses.get(row["status"], row["status"]),
        )
        for row in values
    ]


@review_only
def registrations(request):
    data = request.GET.copy()
    if "status" not in data:
        data["status"] = RegistrationStatus.PENDING
    filterset = RegistrationFilter(data, queryset=_registrations().order_by("created_at", "pk"))
    quicken(filterset.form)
    rows = filterset.qs if filterset.is_valid() else _registrations().none()
    page = params.page(request, Paginator(rows, PER_PAGE))
    page.object_list = _registration_rows(page.object_list)
    chosen = filterset.form.cleaned_data if filterset.is_valid() else {}
    # The default list is the pending ones: its count is the tab's, no second count.
    all_pending = (
        chosen.get("status") == RegistrationStatus.PENDING and not (chosen.get("q") or "").strip()
    )
    return render(
        request,
        "review/registrations.html",
        {
            "filter": filterset,
            "page": page,
            "query": params.query_without(data, "page"),
            "pending_registrations": (
                page.paginator.count if all_pending else pending_registrations_count()
            ),
        },
    )


def _approve_form_for(registration, data=None):
    if not registration.is_new_enterprise:
        return None
    initial = {
        "town": registration.town_id,
        "scale": registration.scale,
        "industry": registration.industry,
        "requires_cqo": True,
    }
    return ApproveNewEnterpriseForm(data, initial=initial)


def _registration_page(request, registration, *, approve_form=None, reject_form=None, status=200):
    return render(
        request,
        "review/registration.html",
        {
            "registration": registration,
            "approve_form": approve_form or _approve_form_for(registration),
            "reject_form": reject_form or RejectRegistrationForm(),
            "can_act": registration.status == RegistrationStatus.PENDING,
            "competitors": list(competing_registrations(registration))
            if registration.status == RegistrationStatus.PENDING
            else [],
        },
        status=status,
    )


@review_only
def registration(request, pk: int):
    registration = get_scoped_or_404(_registrations(), pk=pk)
    return _registration_page(request, registration)


@review_only
@require_http_methods(["GET", "POST"])
def registration_approve(request, pk: int):
    """GET: the registration page (the confirmation); POST: activate the account, and for
    a USCC not in the registry create the enterprise with what the reviewer confirmed."""
    registration = get_scoped_or_404(_registrations(), pk=pk)
    if request.method != "POST":
        return redirect("review:registration", pk=pk)
    form = _approve_form_for(registration, request.POST)
    if form is not None and not form.is_valid():
        return _registration_page(request, registration, approve_form=form)
    details = form.cleaned_data if form is not None else {}
    try:
        _approve_registration(registration, actor=request.user, details=details)
    except ValidationError as error:
        messages.error(request, error_text(error))
        return redirect("review:registration", pk=pk)
    messages.success(
        request, _("已通过 %(name)s 的注册申请，账号已激活。") % {"name": registration.name}
    )
    return redirect("review:registrations")


@review_only
@require_http_methods(["GET", "POST"])
def registration_reject(request, pk: int):
    registration = get_scoped_or_404(_registrations(), pk=pk)
    if request.method != "POST":
        return redirect("review:registration", pk=pk)
    form = RejectRegistrationForm(request.POST)
    if not form.is_valid():
        return _registration_page(request, registration, reject_form=form)
    from enterprises.services import registration_reject as reject

    try:
        reject(registration=registration, reason=form.cleaned_data["reason"], actor=request.user)
    except ValidationError as error:
        messages.error(request, error_text(error))
        return redirect("review:registration", pk=pk)
    messages.success(request, _("已驳回 %(name)s 的注册申请。") % {"name": registration.name})
    return redirect("review:registrations")


def _approve_registration(registration, *, actor, details: dict) -> None:
    from enterprises.services import registration_approve

    registration_approve(registration=registration, actor=actor, **details)
