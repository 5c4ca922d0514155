"""Vacancy pages (/town/vacancies/): the enterprises without a filed CQO that town officers
and the bureau chase, their Excel export, and one enterprise's page with its follow-up notes
and reminders.

Town officers see their own town, bureau admins and reviewers the county (with a town
filter); leaders and enterprise users get 403, anonymous users the login page. Scope is
applied on the server to every list, export row and enterprise page (``vacancy_list`` and
``enterprise_list`` go through ``access.scope``): another town's enterprise is a 404.
"""

import tempfile
from datetime import date, datetime

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from appointments.models import Appointment, Filing, FilingStatus
from cqo_registry.accounts import access
from cqo_registry.accounts.models import Role
from reports.selectors import overdue_before

from .. import vacancies as services
from ..forms_town import VacancyFilterForm, VacancyNoteForm
from ..models import ReminderKind, Scale
from ..selectors import enterprise_list, town_list

VACANCY_ROLES = (Role.BUREAU_ADMIN, Role.REVIEWER, Role.TOWN_OFFICER)
PER_PAGE = 50
HISTORY_LIMIT = 50

vacancy_roles_only = access.role_required(*VACANCY_ROLES)


def _error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


def _filtered(request, day: date):
    """The filter form and the scoped rows it selects. A town outside the user's scope is a
    404 (as for the dashboards' drill-downs), not an empty list."""
    town_officer = access.is_town_officer(request.user)
    form = VacancyFilterForm(
        request.GET or None, towns=town_list(request.user), show_town=not town_officer
    )
    town_id, search, overdue_only = None, "", False
    if form.is_bound:
        if not form.is_valid():
            if "town" in form.errors:
                raise Http404
        else:
            town = form.cleaned_data["town"]
            town_id = town.pk if town else None
            search = form.cleaned_data["q"]
            overdue_only = form.cleaned_data["overdue"]
    rows = services.vacancy_list(request.user, day=day, town_id=town_id, search=search)
    if overdue_only:
        rows = rows.filter(vacancy_start__lt=overdue_before(day))
    return form, rows


@vacancy_roles_only
def vacancies(request):
    today = timezone.localdate()
    form, rows = _filtered(request, today)
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    statuses = dict(FilingStatus.choices)
    reminder_kinds = dict(ReminderKind.choices)
    for enterprise in page.object_list:
        enterprise.days_open = services.days_open(enterprise, today)
        enterprise.filing_status_label = statuses.get(enterprise.filing_status, "")
        enterprise.last_reminder_label = reminder_kinds.get(enterprise.last_reminder_kind, "")
    query = request.GET.copy()
    query.pop("page", None)
    overdue_count = rows.filter(vacancy_start__lt=overdue_before(today)).order_by().count()
    return render(
        request,
        "town/vacancies.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "today": today,
            "limit_days": settings.CQO_VACANCY_LIMIT_DAYS,
            "overdue_count": overdue_count,
            "export_url": f"{reverse('town:vacancies_export')}?{query.urlencode()}",
            "town_officer": access.is_town_officer(request.user),
        },
    )


@vacancy_roles_only
def vacancies_export(request):
    today = timezone.localdate()
    _form, rows = _filtered(request, today)
    workbook = _workbook(rows, today)
    output = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    workbook.save(output)
    output.seek(0)
    return FileResponse(
        output,
        as_attachment=True,
        filename=f"vacancies_{today.isoformat()}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


# --- One enterprise -------------------------------------------------------------------------


def _enterprise_or_404(request, enterprise_id: int):
    return access.get_scoped_or_404(enterprise_list(request.user), pk=enterprise_id)


def _render_detail(request, enterprise, *, note_form=None, status=200):
    today = timezone.localdate()
    appointments = (
        Appointment.objects.filter(enterprise=enterprise)
        .select_related("person")
        .order_by("-appointed_on", "-pk")[:HISTORY_LIMIT]
    )
    filings = (
        Filing.objects.filter(enterprise=enterprise)
        .exclude(status=FilingStatus.WITHDRAWN)
        .select_related("appointment__person")
        .order_by("-created_at", "-pk")[:HISTORY_LIMIT]
    )
    context = {
        "enterprise": enterprise,
        "state": services.vacancy_state(enterprise, today),
        "limit_days": settings.CQO_VACANCY_LIMIT_DAYS,
        "appointments": appointments,
        "filings": filings,
        "notes": enterprise.vacancy_notes.select_related("author")[:HISTORY_LIMIT],
        "reminders": enterprise.vacancy_reminders.select_related("sent_by")[:HISTORY_LIMIT],
        "note_form": note_form or VacancyNoteForm(),
    }
    return render(request, "town/vacancy.html", context, status=status)


@vacancy_roles_only
def vacancy(request, enterprise_id: int):
    """One enterprise's vacancy page. An enterprise of the user's scope that is not vacant
    (filed since, or no CQO required) still opens — links in older notifications lead
    here — with a clear notice and without the note and reminder forms."""
    return _render_detail(request, _enterprise_or_404(request, enterprise_id))


@vacancy_roles_only
@require_POST
def vacancy_add_note(request, enterprise_id: int):
    enterprise = _enterprise_or_404(request, enterprise_id)
    form = VacancyNoteForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, enterprise, note_form=form, status=400)
    try:
        services.vacancy_add_note(
            enterprise=enterprise, text=form.cleaned_data["text"], actor=request.user
        )
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, _("已记录跟进情况。"))
    return redirect("town:vacancy", enterprise.pk)


@vacancy_roles_only
@require_POST
def vacancy_remind(request, enterprise_id: int):
    enterprise = _enterprise_or_404(request, enterprise_id)
    try:
        services.vacancy_send_reminder(enterprise=enterprise, actor=request.user)
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, _("已向企业发送提醒（站内通知和邮件）。"))
    return redirect("town:vacancy", enterprise.pk)


# --- Excel ----------------------------------------------------------------------------------

HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


def _local(value):
    if isinstance(value, datetime):
        # Excel has no time zones: write the Asia/Shanghai wall time.
        return timezone.localtime(value).replace(tzinfo=None)
    return value


def _columns(day: date):
    scales = dict(Scale.choices)
    statuses = dict(FilingStatus.choices)
    reminder_kinds = dict(ReminderKind.choices)
    overdue_before_day = overdue_before(day)
    yes, no = _("是"), _("否")
    return [
        (_("统一社会信用代码"), 22, lambda e: e.uscc),
        (_("企业名称"), 36, lambda e: e.name),
        (_("所属镇"), 14, lambda e: e.town.name),
        (_("企业规模"), 12, lambda e: str(scales.get(e.scale, e.scale))),
        (_("法定代表人"), 12, lambda e: e.legal_representative),
        (_("联系电话"), 16, lambda e: e.contact_phone),
        (_("空缺起始日"), 12, lambda e: e.vacancy_start),
        (_("空缺天数"), 10, lambda e: services.days_open(e, day)),
        (_("是否超期"), 10, lambda e: yes if e.vacancy_start < overdue_before_day else no),
        (_("备案进展"), 12, lambda e: str(statuses.get(e.filing_status, ""))),
        (_("最近跟进情况"), 40, lambda e: e.last_note_text or ""),
        (_("最近跟进时间"), 18, lambda e: _local(e.last_note_at) or ""),
        (_("最近提醒日期"), 14, lambda e: e.last_reminder_on or ""),
        (_("提醒方式"), 14, lambda e: str(reminder_kinds.get(e.last_reminder_kind, ""))),
    ]


def _workbook(rows, day: date) -> Workbook:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_("空缺企业"))
    columns = _columns(day)
    for index, (_header, width, _value) in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    header = []
    for title, _width, _value in columns:
        cell = WriteOnlyCell(sheet, value=str(title))
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(horizontal="center")
        header.append(cell)
    sheet.append(header)
    for row in rows.iterator(chunk_size=2000):
        values = []
        for _title, _width, value in columns:
            cell = WriteOnlyCell(sheet, value=value(row))
            if isinstance(cell.value, datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(cell.value, date):
                cell.number_format = "yyyy-mm-dd"
            values.append(cell)
        sheet.append(values)
    return workbook
