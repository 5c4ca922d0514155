""" "Explain this number" (SPEC §6): the enterprises — or, for a training target, the persons
with their enterprises; for the principal share, the appointments; for late filings, the
filings — behind a dashboard figure, counted and missing, filterable,
paginated, and exportable to Excel.

Scope is enforced here, on the server: county roles see the county, a town officer only
their own town (asking for another town is a 404), anybody else 403. The rows come from
``reports.selectors``, built on the statistics engine, so they are the figure's own set.
"""

import tempfile
from datetime import date

from django.conf import settings
from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from appointments.models import FilingKind
from cqo_registry.accounts import access
from cqo_registry.accounts.models import Role
from enterprises.models import Industry, Scale
from enterprises.selectors import town_list

from .. import selectors, snapshots
from ..forms import ExplainFilterForm
from ..statistics import Figure

EXPLAIN_ROLES = (Role.BUREAU_ADMIN, Role.REVIEWER, Role.LEADER, Role.TOWN_OFFICER)
PAGE_SIZE = 50


class KnownCountPaginator(Paginator):
    """A paginator told its count — the figure's own, from the snapshot of the date or
    counted once — rather than running COUNT over the list again.

    A stored count can be off when data of that date were changed after the snapshot was
    taken (a late import of old enterprises): pages are therefore cut without trusting it —
    each fetches one row more than it shows, "next" follows that row, and a page past the
    count that still has rows is served — so a stale count never hides a row."""

    def __init__(self, object_list, per_page, *, count: int):
        super().__init__(object_list, per_page)
        self.count = count  # shadows the cached_property: no COUNT query

    def validate_number(self, number):
        try:
            if isinstance(number, float) and not number.is_integer():
                raise ValueError
            number = int(number)
        except (TypeError, ValueError) as error:
            raise PageNotAnInteger(_("页码不是整数。")) from error
        if number < 1:
            raise EmptyPage(_("页码小于 1。"))
        return number

    def get_page(self, number):
        try:
            return super().get_page(number)
        except EmptyPage:
            # The count promised more pages than there are rows (data changed since the
            # snapshot): the first page is always there.
            return self.page(1)

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        rows = list(self.object_list[bottom : bottom + self.per_page + 1])
        if not rows and number > 1:
            raise EmptyPage(_("该页没有结果。"))
        page = _Page(rows[: self.per_page], number, self)
        page.more = len(rows) > self.per_page
        if number + page.more > self.num_pages:
            self.num_pages = number + page.more
        return page


class _Page(Page):
    more = False

    def has_next(self):
        return self.more


def _known_totals(explained, day: date, user, *, town_id, industry: str, search: str):
    """The figure behind a drill-down read from the snapshot of ``day`` (two queries), with
    the run it came from; ``(None, None)`` when the snapshot does not hold it — no snapshot of
    that day, a search, a town crossed with a section, or vacancies counted with another
    limit — and it must be counted."""
    if search:
        return None, None
    if access.is_town_officer(user):
        town_id = user.town_id
    elif not access.sees_whole_county(user):
        return None, None
    run = snapshots.snapshot_for(day)
    if run is None:
        return None, None
    if explained.kind == "vacancies" or explained.is_indicator:
        if industry:
            return None, None  # the snapshot holds indicators per town, not per section
        stored = snapshots.stored_indicators(run, town=town_id)
        if stored is None:
            return None, None
        if explained.kind == "principals":
            return stored.principal, run
        if explained.kind == "filings":
            return (stored.late_total if explained.cumulative else stored.late_in_year), run
        if stored.vacancy_limit_days != settings.CQO_VACANCY_LIMIT_DAYS:
            return None, None
        return Figure(stored.vacancies, stored.overdue_vacancies), run
    figure = snapshots.stored_figure(run, explained.target, town_id=town_id, industry=industry)
    return (figure, run) if figure is not None else (None, None)


def _filters(request, code: str):
    """The drill-down's subject, its filter form and, when the form is valid, the rows
    (not yet filtered by ``show``). A town outside the user's scope is a 404."""
    explained = selectors.explained_for_code(code)
    data = request.GET.copy()
    if not data.get("as_of"):
        data["as_of"] = timezone.localdate().isoformat()
    form = ExplainFilterForm(
        data,
        towns=town_list(request.user),
        show_labels=(explained.counted_label, explained.missing_label),
    )
    if not form.is_valid():
        if "town" in form.errors:
            raise Http404
        return explained, form, None
    rows = selectors.explain_rows(explained, form.day, user=request.user, **_filter_values(form))
    return explained, form, rows


def _filter_values(form):
    town = form.cleaned_data["town"]
    return {
        "town_id": town.pk if town else None,
        "industry": form.cleaned_data["industry"],
        "search": form.cleaned_data["q"].strip(),
    }


@access.role_required(*EXPLAIN_ROLES)
def explain(request, code: str):
    explained, form, rows = _filters(request, code)
    context = {"explained": explained, "form": form, "page": None}
    if rows is not None:
        show = form.cleaned_data["show"] or selectors.SHOW_ALL
        filters = _filter_values(form)
        # The figure (population and counted) is the snapshot's when it holds it, else
        # counted once; the paginator is told it, and each page computes its display
        # columns for its own 50 rows only.
        totals, totals_run = _known_totals(explained, form.day, request.user, **filters)
        if totals is None:
            totals = selectors.explain_totals(rows)
        count = {
            selectors.SHOW_COUNTED: totals.counted,
            selectors.SHOW_MISSING: totals.population - totals.counted,
        }.get(show, totals.population)
        paginator = KnownCountPaginator(selectors.explain_keys(rows, show), PAGE_SIZE, count=count)
        page = paginator.get_page(request.GET.get("page"))
        page.object_list = selectors.explain_page_rows(
            explained, form.day, page.object_list, user=request.user, **filters
        )
        if explained.kind != "persons":
            # Labels looked up once here: get_FOO_display() re-hashes the choices per call.
            industries, scales = dict(Industry.choices), dict(Scale.choices)
            kinds = dict(FilingKind.choices)
            for row in page.object_list:
                enterprise = row.enterprise if explained.is_indicator else row
                row.industry_label = industries.get(enterprise.industry, enterprise.industry)
                row.scale_label = scales.get(enterprise.scale, enterprise.scale)
                if explained.kind == "filings":
                    row.kind_label = kinds.get(row.kind, row.kind)
        query = request.GET.copy()
        query.pop("page", None)
        town_officer = access.is_town_officer(request.user)
        dashboard = "reports:town_dashboard" if town_officer else "reports:dashboard"
        context.update(
            day=form.day,
            show=show,
            totals=totals,
            totals_run=totals_run,
            missing=totals.population - totals.counted,
            rate=None if totals.rate is None else f"{totals.rate * 100:.1f}%",
            page=page,
            query=query.urlencode(),
            export_url=f"{reverse('reports:explain_export', args=[code])}?{query.urlencode()}",
            dashboard_url=f"{reverse(dashboard)}?as_of={form.day.isoformat()}",
            overdue_before=selectors.overdue_before(form.day),
        )
    return render(request, "reports/explain.html", context)


@access.role_required(*EXPLAIN_ROLES)
def explain_export(request, code: str):
    explained, form, rows = _filters(request, code)
    if rows is None:
        # A bad date: show the same list page, which explains the error.
        url = reverse("reports:explain", args=[code])
        return HttpResponseRedirect(f"{url}?{request.GET.urlencode()}")
    show = form.cleaned_data["show"] or selectors.SHOW_ALL
    rows = selectors.filter_show(rows, show)
    workbook = _workbook(explained, form.day, rows, request.user)
    # Written row by row (write-only mode) to a spooled file, then streamed in chunks.
    output = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    workbook.save(output)
    output.seek(0)
    filename = f"{explained.code}_{form.day.isoformat()}_{show}.xlsx"
    return FileResponse(
        output,
        as_attachment=True,
        filename=filename,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


# --- Excel ----------------------------------------------------------------------------------

HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


def _enterprise_columns(explained, day: date):
    status = {True: str(explained.counted_label), False: str(explained.missing_label)}
    industries = dict(Industry.choices)
    scales = dict(Scale.choices)

    def vacancy_days(e):
        if e.counted and explained.kind == "enterprises":
            return ""
        return max((day - e.vacancy_start).days, 0) if e.vacancy_start else ""

    return [
        (_("统一社会信用代码"), 22, lambda e: e.uscc),
        (_("企业名称"), 36, lambda e: e.name),
        (_("所属镇"), 14, lambda e: e.town.name),
        (_("行业门类"), 30, lambda e: str(industries.get(e.industry, e.industry))),
        (_("企业规模"), 12, lambda e: str(scales.get(e.scale, e.scale))),
        (_("状态"), 14, lambda e: status[bool(e.counted)]),
        (_("首席质量官"), 12, lambda e: e.cqo_name or ""),
        (_("聘任日期"), 12, lambda e: e.cqo_appointed_on or ""),
        (
            _("空缺起始日"),
            12,
            lambda e: "" if e.counted and explained.kind == "enterprises" else e.vacancy_start,
        ),
        (_("空缺天数"), 10, vacancy_days),
    ]


def _person_columns(explained, user):
    status = {True: str(explained.counted_label), False: str(explained.missing_label)}

    def enterprises(p, attr):
        return "；".join(attr(a) for a in p.current_appointments)

    return [
        (_("姓名"), 12, lambda p: p.name),
        (_("身份证号"), 22, lambda p: access.id_number_for(user, p)),
        (_("培训状态"), 14, lambda p: status[bool(p.counted)]),
        (_("培训合格日期"), 14, lambda p: p.trained_on or ""),
        (_("任职企业"), 40, lambda p: enterprises(p, lambda a: a.enterprise.name)),
        (_("统一社会信用代码"), 24, lambda p: enterprises(p, lambda a: a.enterprise.uscc)),
        (_("所属镇"), 14, lambda p: enterprises(p, lambda a: a.enterprise.town.name)),
        (_("职务"), 14, lambda p: enterprises(p, lambda a: a.position)),
    ]


def _enterprise_of_row_columns():
    industries = dict(Industry.choices)
    return [
        (_("统一社会信用代码"), 22, lambda r: r.enterprise.uscc),
        (_("企业名称"), 36, lambda r: r.enterprise.name),
        (_("所属镇"), 14, lambda r: r.enterprise.town.name),
        (
            _("行业门类"),
            30,
            lambda r: str(industries.get(r.enterprise.industry, r.enterprise.industry)),
        ),
    ]


def _principal_columns(explained):
    status = {True: str(explained.counted_label), False: str(explained.missing_label)}
    return [
        *_enterprise_of_row_columns(),
        (_("首席质量官"), 12, lambda a: a.person.name),
        (_("职务"), 16, lambda a: a.position),
        (_("主要负责人兼任"), 16, lambda a: status[bool(a.counted)]),
        (_("聘任日期"), 12, lambda a: a.appointed_on),
        (_("备案日期"), 12, lambda a: a.filed_on or ""),
    ]


def _filing_columns(explained):
    status = {True: str(explained.counted_label), False: str(explained.missing_label)}
    kinds = dict(FilingKind.choices)
    return [
        *_enterprise_of_row_columns(),
        (_("备案号"), 18, lambda f: f.number or ""),
        (_("备案类型"), 12, lambda f: str(kinds.get(f.kind, f.kind))),
        (_("首席质量官"), 12, lambda f: f.appointment.person.name),
        (_("提交日期"), 12, lambda f: f.submitted_on or ""),
        (
            _("报送用时（天）"),
            14,
            lambda f: "" if f.days_to_submit is None else f.days_to_submit,
        ),
        (_("报送情况"), 12, lambda f: status[bool(f.counted)]),
    ]


def _workbook(explained, day: date, rows, user) -> Workbook:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=explained.code[:31])
    if explained.kind == "persons":
        columns = _person_columns(explained, user)
    elif explained.kind == "principals":
        columns = _principal_columns(explained)
    elif explained.kind == "filings":
        columns = _filing_columns(explained)
    else:
        columns = _enterprise_columns(explained, day)
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
            if isinstance(cell.value, date):
                cell.number_format = "yyyy-mm-dd"
            values.append(cell)
        sheet.append(values)
    return workbook
