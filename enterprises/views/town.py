"""Vacancy pages (/town/vacancies/): the enterprises without a filed CQO that town officers
and the bureau chase, their Excel export, and one enterprise's page with its follow-up notes
and reminders.

Town officers see their own town, bureau admins and reviewers the county (with a town
filter); leaders and enterprise users get 403, anonymous users the login page. Scope is
applied on the server to every list, export row and enterprise page (``vacancy_list`` and
``enterprise_list`` go through ``access.scope``): another town's enterprise is a 404.
"""

import hashlib
import json
import math
from datetime import date
from functools import partial

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.db import DEFAULT_DB_ALIAS, connections
from django.shortcuts import redirect, render
from django.template.defaultfilters import truncatechars
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import template_localtime
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from appointments.models import CQO_POST, Appointment, Filing, FilingStatus
from appointments.posts import enterprise_board
from cqo_registry import data_version, params
from cqo_registry.accounts import access
from cqo_registry.cells import escape_text
from cqo_registry.exports.views import export_list_or_run
from cqo_registry.workflows import error_text

from .. import vacancies as services
from ..exports import VacancyExport, filtered_vacancies
from ..forms_town import VacancyNoteForm
from ..models import ReminderKind
from ..selectors import enterprise_list

PER_PAGE = 50
HISTORY_LIMIT = 50

vacancy_roles_only = access.permission_required("enterprises.view_vacancies")


def _filtered(request, day: date):
    return filtered_vacancies(request.user, request.GET, day)


def _url_of_id(name: str):
    """``pk -> reverse(name, args=[pk])`` for a URL whose one argument is an ``<int:…>``
    id, reversed once for a whole page instead of once per row."""
    marker = 2**62
    head, tail = reverse(name, args=[marker]).split(str(marker))
    return lambda pk: f"{head}{int(pk)}{tail}"


def _vacancy_page(
    request, rows, day: date, *, version: str, filters: list, post
) -> tuple[Page, int]:
    """The page of ``rows`` that ``?page=`` asks for (garbage: page 1, past the end: the last
    page, as ``params.page``) and the list's overdue count. The page's keys, the count and
    the overdue count come from one statement (``vacancy_keys``: each vacancy's start
    worked out once, issue 15 §1), kept in the cache until the data changes
    (``cached_vacancy_keys``); then only the page's rows are read with their notes,
    reminders and filings (``vacancy_page_rows``: plain rows). ``version`` and ``filters``:
    as ``cached_vacancy_keys`` takes them; ``post``: the post listed (``None``: the CQO's).
    One query (a cached list) or two whatever the number of vacancies."""
    number = params.page_number(request)
    user = request.user
    cached = {"user": user, "limit": PER_PAGE, "version": version, "filters": filters}
    keys = services.cached_vacancy_keys(rows, day, offset=(number - 1) * PER_PAGE, **cached)
    if not keys.rows and number > 1:
        # An old link past the end of a list that has since shrunk: its last page (page 1
        # of an empty list).
        number = max(math.ceil(keys.total / PER_PAGE), 1)
        if keys.total:
            keys = services.cached_vacancy_keys(rows, day, offset=(number - 1) * PER_PAGE, **cached)
    paginator = Paginator([], PER_PAGE)
    paginator.count = keys.total  # a cached_property: set, it is not counted
    ids = [pk for pk, _start in keys.rows]
    by_pk = {row.pk: row for row in services.vacancy_page_rows(user, day, ids, post=post)}
    # A row that stopped being vacant between the two reads is left out, not shown stale.
    page = Page([by_pk[pk] for pk in ids if pk in by_pk], number, paginator)
    return page, keys.overdue


def _filter_fragment_key(request, form, version: str) -> str:
    """The cache key of the page's rendered filter fields (crispy renders them in ~3 ms, a
    fifth of the page): what they show — the values asked for (errors included), the
    user's scope (the town choices, the town field shown or not), the language, the post
    choices (read by each process at most once a minute) — under the vacancy tables' data
    version (a town or post renamed or added moves it)."""
    asked = sorted((field, request.GET.getlist(field)) for field in form.fields)
    text = json.dumps(
        [
            connections[DEFAULT_DB_ALIAS].settings_dict["NAME"],
            version,
            services.vacancy_scope_key(request.user),
            get_language(),
            asked,
            form.fields["post"].choices,
        ],
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(text.encode()).hexdigest()


class _RowTexts:
    """The words every row of a vacancy page repeats, translated once a page."""

    def __init__(self):
        self.overdue = _("超期")
        self.not_submitted = _("未提交")
        self.since = _("自 %(start)s")
        self._days: dict[int, str] = {}

    def days(self, days: int) -> str:
        """``%(days)s 天`` in the page's language (one catalogue lookup per number)."""
        text = self._days.get(days)
        if text is None:
            text = self._days[days] = ngettext("%(days)s 天", "%(days)s 天", days) % {"days": days}
        return text


# What the template's loop body wrote per row, written by :func:`_row_html`.
_ROW = (
    '\n    <tr data-enterprise="{pk}"{overdue_class}>'
    '\n      <td><a href="{url}">{name}</a><br><span class="small text-muted">{uscc}</span></td>'
    '\n      <td class="text-nowrap">{town}</td>'
    '\n      <td class="text-end text-nowrap">{days}'
    "\n        {overdue_flag}"
    '\n        <br><span class="small text-muted">{since}</span></td>'
    '\n      <td class="text-nowrap">{filing}</td>'
    '\n      <td class="small">{note}</td>'
    '\n      <td class="small text-nowrap">{reminder}</td>'
    "\n    </tr>\n  "
)
_NOTHING = '<span class="text-muted">—</span>'


def _escape(value) -> str:
    # Django's ``escape`` (what ``{{ value }}`` does to text), called directly, without its
    # lazy-string wrapper, ~40 times a page cheaper.
    return escape_text(value)


def _day(value: date) -> str:
    """``{{ value|date:"Y-m-d" }}``."""
    return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"


def _row_html(enterprise, texts: _RowTexts) -> SafeString:
    """One row of the vacancy table, the HTML the template's loop wrote for it byte for
    byte (issue 15 §1: ~15 variable lookups, filters and tags per row were most of the
    page's rendering). ``enterprise`` carries the view's display strings."""
    note = _NOTHING
    if enterprise.last_note_text:
        # ``{{ at|date:"Y-m-d H:i" }}``: in the current time zone, as the template shows it.
        at = template_localtime(enterprise.last_note_at)
        note = (
            f"{_escape(truncatechars(enterprise.last_note_text, 60))}"
            f'<br><span class="text-muted">{_day(at)} {at.hour:02d}:{at.minute:02d} '
            f"{_escape(enterprise.last_note_author)}</span>"
        )
    reminder = _NOTHING
    if enterprise.last_reminder_on:
        reminder = (
            f"{_day(enterprise.last_reminder_on)}"
            f'<br><span class="text-muted">{_escape(enterprise.last_reminder_label)}</span>'
        )
    if enterprise.filing_status:
        filing = (
            '<span class="badge text-bg-info filing-status">'
            f"{_escape(enterprise.filing_status_label)}</span>"
        )
    else:
        filing = f'<span class="text-muted">{_escape(texts.not_submitted)}</span>'
    return mark_safe(
        _ROW.format(
            pk=int(enterprise.pk),
            overdue_class=' class="table-warning"' if enterprise.overdue else "",
            url=_escape(enterprise.url),
            name=_escape(enterprise.name),
            uscc=_escape(enterprise.uscc),
            # An enterprise still 待完善 has no town: an empty cell, as ``{{ e.town.name }}``.
            town=_escape(enterprise.town_name),
            days=_escape(enterprise.days_open_text),
            overdue_flag=(
                '<br><span class="badge text-bg-danger overdue-flag">'
                f"{_escape(texts.overdue)}</span>"
                if enterprise.overdue
                else ""
            ),
            since=_escape(enterprise.since_text),
            filing=filing,
            note=note,
            reminder=reminder,
        )
    )


@vacancy_roles_only
def vacancies(request):
    today = timezone.localdate()
    form, rows = _filtered(request, today)
    # Read once for the cached keys and the cached filter fields: both show these tables.
    version = data_version.current_version(data_version.VACANCIES, using=rows.db)
    page, overdue_count = _vacancy_page(
        request, rows, today, version=version, filters=form.applied, post=form.chosen_post
    )
    post = form.chosen_post if form.chosen_post and form.chosen_post.code != CQO_POST else None
    # The labels as text once a page, not a lazy translation looked up per row.
    statuses = {value: str(label) for value, label in FilingStatus.choices}
    reminder_kinds = {value: str(label) for value, label in ReminderKind.choices}
    # What each row prints is worked out here rather than by a {% url %} and two
    # {% blocktranslate %} per row in the template: they were half of the page's rendering
    # (issue 15 §1). The strings are the template's msgids, so the catalogue is unchanged.
    texts = _RowTexts()
    vacancy_url = _url_of_id("town:vacancy")
    post_query = f"?post={post.code}" if post else ""
    for enterprise in page.object_list:
        days = services.days_open(enterprise, today)
        enterprise.days_open = days
        enterprise.days_open_text = texts.days(days)
        enterprise.since_text = texts.since % {"start": enterprise.vacancy_start.isoformat()}
        enterprise.url = vacancy_url(enterprise.pk) + post_query
        enterprise.filing_status_label = statuses.get(enterprise.filing_status, "")
        enterprise.last_reminder_label = reminder_kinds.get(enterprise.last_reminder_kind, "")
        enterprise.row_html = _row_html(enterprise, texts)
    query = params.query_without(request, "page")
    return render(
        request,
        "town/vacancies.html",
        {
            "form": form,
            "page": page,
            "query": query,
            "today": today,
            "limit_days": settings.CQO_VACANCY_LIMIT_DAYS,
            "overdue_count": overdue_count,
            "export_url": f"{reverse('town:vacancies_export')}?{query}",
            "town_officer": access.is_town_officer(request.user),
            "post": post,
            "filter_key": _filter_fragment_key(request, form, version),
        },
    )


@vacancy_roles_only
def vacancies_export(request):
    """The list as Excel: sent at once up to ``CQO_EXPORT_BACKGROUND_ROWS`` rows, else built
    by a task (``exports.VacancyExport``) whose page the user is sent to."""
    today = timezone.localdate()
    _form, rows = _filtered(request, today)
    respond = partial(VacancyExport().response, request, rows, today)
    return export_list_or_run(
        request, kind="vacancies", rows=rows, respond=respond, day=today.isoformat()
    )


# --- One enterprise -------------------------------------------------------------------------


def _enterprise_or_404(request, enterprise_id: int):
    return access.get_scoped_or_404(enterprise_list(request.user), pk=enterprise_id)


def _render_detail(request, enterprise, *, note_form=None, status=200):
    today = timezone.localdate()
    appointments = (
        Appointment.objects.filter(enterprise=enterprise, post=CQO_POST)
        .select_related("person")
        .order_by("-appointed_on", "-pk")[:HISTORY_LIMIT]
    )
    filings = (
        Filing.objects.filter(enterprise=enterprise)
        .exclude(status=FilingStatus.WITHDRAWN)
        .select_related("appointment__person", "post")
        .order_by("-created_at", "-pk")[:HISTORY_LIMIT]
    )
    board = enterprise_board(enterprise, today)
    # Came from another post's vacancy list (``?post=``, issue 19): that post's row first.
    wanted = request.GET.get("post")
    post_row = next((row for row in board if row.post.code == wanted and wanted != CQO_POST), None)
    context = {
        "enterprise": enterprise,
        "post_row": post_row,
        "state": services.vacancy_state(enterprise, today),
        "limit_days": settings.CQO_VACANCY_LIMIT_DAYS,
        "appointments": appointments,
        "filings": filings,
        "notes": enterprise.vacancy_notes.select_related("author")[:HISTORY_LIMIT],
        "reminders": enterprise.vacancy_reminders.select_related("sent_by")[:HISTORY_LIMIT],
        "note_form": note_form or VacancyNoteForm(),
        # Every post the enterprise must fill (issue 19), filled / under review / vacant.
        "board": board,
        "year": today.year,
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
        messages.error(request, error_text(error))
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
        messages.error(request, error_text(error))
    else:
        messages.success(request, _("已向企业发送提醒（站内通知和邮件）。"))
    return redirect("town:vacancy", enterprise.pk)
