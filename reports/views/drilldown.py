""" "Explain this number" (SPEC §6): the enterprises — or, for a training target, the persons
with their enterprises — behind a dashboard figure, counted and missing, filterable,
paginated, and exportable to Excel.

Scope is enforced here, on the server: county roles see the county, a town officer only
their own town (asking for another town is a 404), anybody else 403. The rows come from
``reports.selectors``, built on the statistics engine, so they are the figure's own set.
"""

import tempfile
from datetime import date

from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from cqo_registry.accounts import access
from cqo_registry.accounts.models import Role
from enterprises.models import Industry, Scale
from enterprises.selectors import town_list

from .. import selectors
from ..forms import ExplainFilterForm

EXPLAIN_ROLES = (Role.BUREAU_ADMIN, Role.REVIEWER, Role.LEADER, Role.TOWN_OFFICER)
PAGE_SIZE = 50


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
    town = form.cleaned_data["town"]
    rows = selectors.explain_rows(
        explained,
        form.day,
        user=request.user,
        town_id=town.pk if town else None,
        industry=form.cleaned_data["industry"],
        search=form.cleaned_data["q"].strip(),
    )
    return explained, form, rows


@access.role_required(*EXPLAIN_ROLES)
def explain(request, code: str):
    explained, form, rows = _filters(request, code)
    context = {"explained": explained, "form": form, "page": None}
    if rows is not None:
        show = form.cleaned_data["show"] or selectors.SHOW_ALL
        totals = selectors.explain_totals(rows)
        paginator = Paginator(selectors.filter_show(rows, show), PAGE_SIZE)
        page = paginator.get_page(request.GET.get("page"))
        query = request.GET.copy()
        query.pop("page", None)
        town_officer = access.is_town_officer(request.user)
        dashboard = "reports:town_dashboard" if town_officer else "reports:dashboard"
        context.update(
            day=form.day,
            show=show,
            totals=totals,
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


def _workbook(explained, day: date, rows, user) -> Workbook:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=explained.code[:31])
    if explained.kind == "persons":
        columns = _person_columns(explained, user)
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
