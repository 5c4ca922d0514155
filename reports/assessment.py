"""The county quality-work assessment report (质量工作考核).

For a chosen date D the report shows, per town and for each target, the figures at D and at
the target's deadline, the towns ranked by their rate at D, and the enterprises without a CQO
at D. Every figure comes from the statistics engine (``reports.statistics``); this module
only arranges them and renders the two downloads (Excel with openpyxl, PDF with WeasyPrint).
"""

import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from appointments.models import CQO_POST
from appointments.registry import days_vacant, vacant_enterprises
from cqo_registry import clock
from cqo_registry.bureau import profile
from enterprises.models import Scale, Town

from . import statistics
from .models import Target
from .statistics import Figure, TargetFigures

EMPTY = Figure(0, 0)


def percent_text(figure: Figure) -> str:
    """A rate as people read it in a report: "87.5%", or "—" when there is no population."""
    rate = figure.rate
    return "—" if rate is None else f"{rate * 100:.1f}%"


@dataclass(frozen=True)
class TownRow:
    town: str
    at_date: Figure
    at_deadline: Figure
    rank: int | None  # None: no population at D, so no rate to rank by

    @property
    def rate_text(self) -> str:
        return percent_text(self.at_date)

    @property
    def deadline_rate_text(self) -> str:
        return percent_text(self.at_deadline)


@dataclass
class TargetSection:
    target: Target
    at_date: TargetFigures
    at_deadline: TargetFigures
    rows: list[TownRow]  # in ranking order

    @property
    def rate_text(self) -> str:
        return percent_text(self.at_date.total)

    @property
    def deadline_rate_text(self) -> str:
        return percent_text(self.at_deadline.total)


@dataclass(frozen=True)
class VacantEnterprise:
    town: str
    uscc: str
    name: str
    scale: str
    vacant_since: date
    days_vacant: int


@dataclass
class AssessmentReport:
    as_of: date
    sections: list[TargetSection]
    without_cqo: QuerySet  # see enterprises_without_cqo(); rows via vacant_rows()
    generated_at: datetime = field(default_factory=clock.localtime)

    @property
    def title(self) -> str:
        return _("首席质量官工作考核报表")

    def vacant_rows(self) -> Iterator["VacantEnterprise"]:
        return vacant_rows(self.without_cqo, self.as_of)


# --- Building the data ----------------------------------------------------------------------


def rank_towns(by_date: dict[str, Figure], by_deadline: dict[str, Figure], towns: list[str]):
    """Towns ordered by rate at D (highest first), ties by counted (highest first), towns
    with no population (null rate) last; equal rate and counted share a rank."""

    def key(name):
        figure = by_date.get(name, EMPTY)
        rate = figure.rate
        return (rate is None, -(rate or 0), -figure.counted, name)

    rows: list[TownRow] = []
    previous = None
    for position, name in enumerate(sorted(towns, key=key), start=1):
        figure = by_date.get(name, EMPTY)
        if figure.rate is None:
            rank = None
        elif previous is not None and (previous.rate, previous.counted) == (
            figure.rate,
            figure.counted,
        ):
            rank = rows[-1].rank
        else:
            rank = position
        rows.append(TownRow(name, figure, by_deadline.get(name, EMPTY), rank))
        previous = figure
    return rows


def enterprises_without_cqo(day: date) -> QuerySet:
    """Enterprises that must have a CQO (the T1 and T2 populations: active at ``day``, above
    scale or an SME/micro enterprise the bureau requires to appoint one) and have no filed
    current appointment at ``day`` — the registry's vacancies
    (``appointments.registry.vacant_enterprises``), with the one "vacant since" every page,
    export and reminder shows."""
    return (
        vacant_enterprises(day)
        .order_by("town__code", "town__name", "name", "pk")
        .values("town__name", "uscc", "name", "scale", "vacancy_start")
    )


def vacant_rows(queryset: QuerySet, day: date) -> Iterator[VacantEnterprise]:
    scales = dict(Scale.choices)
    for row in queryset.iterator(chunk_size=2000):
        since = row["vacancy_start"]
        yield VacantEnterprise(
            town=row["town__name"] or "",  # '' for an enterprise without a town yet (待完善)
            uscc=row["uscc"],
            name=row["name"],
            scale=str(scales.get(row["scale"], row["scale"])),
            vacant_since=since,
            days_vacant=days_vacant(since, day),
        )


def build_report(day: date, targets=None) -> AssessmentReport:
    # The CQO's report: the CQO's targets (other posts' targets are on their dashboards).
    targets = list(targets if targets is not None else Target.objects.filter(post=CQO_POST))
    towns = list(Town.objects.order_by("code", "name").values_list("name", flat=True))
    sections = []
    for target in targets:
        at_date = statistics.compute_target(target, day)
        at_deadline = (
            at_date
            if target.deadline == day
            else statistics.compute_target(target, target.deadline)
        )
        rows = rank_towns(at_date.by_town, at_deadline.by_town, towns)
        sections.append(TargetSection(target, at_date, at_deadline, rows))
    return AssessmentReport(as_of=day, sections=sections, without_cqo=enterprises_without_cqo(day))


# --- Downloads ------------------------------------------------------------------------------


def filename(report: AssessmentReport, extension: str) -> str:
    return f"{_('首席质量官工作考核报表')}_{report.as_of:%Y-%m-%d}.{extension}"


def _pct(figure: Figure):
    return figure.rate  # a float 0–1 formatted as a percentage, or None (empty cell)


# Rows of the list of enterprises without a CQO written between two progress reports.
PROGRESS_ROWS = 2000

# done, total (rows of the list of enterprises without a CQO)
Progress = Callable[[int, int], None]


def _no_progress(done: int, total: int) -> None:
    pass


def _figure_headers() -> list[str]:
    """The headers of a target's six figure columns in the workbook: population, counted
    and rate at the report's date, then the same at the target's deadline (SPEC part 3)."""
    return [
        _("统计对象数"),
        _("已达标数"),
        _("完成率"),
        _("时限日统计对象数"),
        _("时限日已达标数"),
        _("时限日完成率"),
    ]


def _figure_cells(at_date: Figure, at_deadline: Figure) -> list:
    """The values under :func:`_figure_headers`: the rates as fractions (cells formatted %)."""
    return [
        at_date.population,
        at_date.counted,
        _pct(at_date),
        at_deadline.population,
        at_deadline.counted,
        _pct(at_deadline),
    ]


def xlsx_workbook(report: AssessmentReport, *, progress: Progress = _no_progress):
    """The report as a write-only openpyxl ``Workbook`` (summary, one sheet per target, the
    enterprises without a CQO), filled: the list's rows stream from the database into the
    workbook's temporary files, so memory does not grow with the list (issue 15 §2).
    ``progress(done, total)`` is told every ``PROGRESS_ROWS`` rows of the list. Every cell
    goes through ``spreadsheets.write_cell`` (formula-like text written as text), so
    ``cqo_registry.responses.excel_response`` can send it as it is."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    from cqo_registry.spreadsheets import write_cell

    bold = Font(bold=True)
    title_font = Font(bold=True, size=14)
    header_fill = PatternFill("solid", fgColor="DDE7F5")
    thin = Side(style="thin", color="999999")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    center = Alignment(horizontal="center", vertical="center", wrap_text=True)
    percent = "0.0%"
    day = report.as_of

    def sheet(workbook, name, title, headers, widths):
        worksheet = workbook.create_sheet(name)
        for column, width in enumerate(widths, start=1):
            worksheet.column_dimensions[get_column_letter(column)].width = width
        worksheet.merged_cells.add(f"A1:{get_column_letter(len(headers))}1")
        worksheet.row_dimensions[2].height = 32
        # The title and header rows stay in view while scrolling.
        worksheet.freeze_panes = "A3"
        title_cell = write_cell(worksheet, title)
        title_cell.font = title_font
        worksheet.append([title_cell])
        cells = []
        for header in headers:
            cell = write_cell(worksheet, str(header))
            cell.font, cell.fill, cell.border, cell.alignment = bold, header_fill, border, center
            cells.append(cell)
        worksheet.append(cells)
        return worksheet

    def add_row(worksheet, values, formats=None, font=None):
        cells = []
        for column, value in enumerate(values, start=1):
            cell = write_cell(worksheet, value)
            if formats and column in formats:
                cell.number_format = formats[column]
            if font is not None:
                cell.font = font
            cells.append(cell)
        worksheet.append(cells)

    workbook = Workbook(write_only=True)

    # Summary: one row per target, county-wide.
    summary = sheet(
        workbook,
        _("汇总"),
        _("首席质量官工作考核汇总（统计日期：%(day)s）") % {"day": day.isoformat()},
        [_("目标代码"), _("目标名称"), _("完成时限"), *_figure_headers(), _("目标比例")],
        [10, 40, 12, 12, 12, 10, 16, 16, 14, 10],
    )
    for section in report.sections:
        add_row(
            summary,
            [
                section.target.code,
                section.target.name,
                section.target.deadline,
                *_figure_cells(section.at_date.total, section.at_deadline.total),
                float(section.target.goal_rate),
            ],
            {3: "yyyy-mm-dd", 6: percent, 9: percent, 10: percent},
        )

    # One sheet per target: the towns in ranking order.
    for section in report.sections:
        target = section.target
        worksheet = sheet(
            workbook,
            f"{target.code}"[:31],
            _("%(code)s %(name)s（统计日期：%(day)s；完成时限：%(deadline)s）")
            % {
                "code": target.code,
                "name": target.name,
                "day": day.isoformat(),
                "deadline": target.deadline.isoformat(),
            },
            [_("排名"), _("镇（街道）"), *_figure_headers()],
            [8, 18, 12, 12, 10, 16, 16, 14],
        )
        for row in section.rows:
            add_row(
                worksheet,
                [row.rank, row.town, *_figure_cells(row.at_date, row.at_deadline)],
                {5: percent, 8: percent},
            )
        add_row(
            worksheet,
            [None, _("全县合计"), *_figure_cells(section.at_date.total, section.at_deadline.total)],
            {5: percent, 8: percent},
            font=bold,
        )

    # The enterprises without a CQO at D.
    worksheet = sheet(
        workbook,
        _("未聘任企业"),
        _("未配备已备案首席质量官的企业（统计日期：%(day)s）") % {"day": day.isoformat()},
        [
            _("序号"),
            _("镇（街道）"),
            _("统一社会信用代码"),
            _("企业名称"),
            _("企业规模"),
            _("空缺起始日"),
            _("空缺天数"),
        ],
        [8, 16, 24, 44, 12, 14, 10],
    )
    total = report.without_cqo.count()
    number = 0
    for number, row in enumerate(report.vacant_rows(), start=1):
        add_row(
            worksheet,
            [number, row.town, row.uscc, row.name, row.scale, row.vacant_since, row.days_vacant],
            {6: "yyyy-mm-dd"},
        )
        if number % PROGRESS_ROWS == 0:
            progress(min(number, total), max(total, number))
    progress(number, max(total, number))
    workbook.vacant_count = number
    return workbook


def write_xlsx(report: AssessmentReport, output, *, progress: Progress = _no_progress) -> int:
    """Write the report's workbook (:func:`xlsx_workbook`) to ``output`` (a binary file);
    returns the number of enterprises without a CQO listed."""
    workbook = xlsx_workbook(report, progress=progress)
    workbook.save(output)
    return workbook.vacant_count


# The list of enterprises without a CQO can run to thousands of rows and must stay whole.
# WeasyPrint spends a few milliseconds on every line box, and a table row of seven cells is
# seven of them plus the table layout (measured: ~20 ms a row, 40 s for 2,000 rows), so the
# list is set as one preformatted line per enterprise in a monospaced CJK font, its columns
# aligned by display width (a CJK character is two cells wide): ~2 ms a row.
LISTING_WIDTH = 128  # half-width cells on an A4 line at 8 pt, 14 mm margins


def display_width(text: str) -> int:
    if text.isascii():
        return len(text)
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _wrap(text: str, width: int) -> list[str]:
    if len(text) * 2 <= width or display_width(text) <= width:
        return [text]
    lines, line, used = [], "", 0
    for char in text:
        size = display_width(char)
        if used + size > width and line:
            lines.append(line)
            line, used = "", 0
        line += char
        used += size
    return [*lines, line]


def _pad(text: str, width: int, right: bool) -> str:
    gap = " " * max(0, width - display_width(text))
    return gap + text if right else text + gap


def listing_lines(header: list[str], rows: list[list[str]], widths: list[int], right: set[int]):
    """Rows as aligned text lines; a cell wider than its column wraps onto extra lines."""

    def line(cells: list[str]) -> str:
        wrapped = [_wrap(cell, width) for cell, width in zip(cells, widths, strict=True)]
        height = max(map(len, wrapped))
        return "\n".join(
            " ".join(
                _pad(parts[i] if i < len(parts) else "", width, column in right)
                for column, (parts, width) in enumerate(zip(wrapped, widths, strict=True))
            ).rstrip()
            for i in range(height)
        )

    return line(header), [line(cells) for cells in rows]


def vacant_by_town(report: AssessmentReport) -> list[tuple[str, int]]:
    """The enterprises without a CQO counted per town (town order; ``""`` for those without
    a town yet), one aggregate query."""
    from django.db.models import Count

    rows = (
        report.without_cqo.order_by()
        .values("town__code", "town__name")
        .annotate(count=Count("pk"))
        .order_by("town__code", "town__name")
    )
    return [(row["town__name"] or "", row["count"]) for row in rows]


def pdf_html(report: AssessmentReport, *, list_limit: int | None = None) -> tuple[str, int]:
    """The report's HTML for WeasyPrint, and how many enterprises without a CQO it counts.

    Up to ``list_limit`` (default ``CQO_ASSESSMENT_PDF_LIST_LIMIT``) of them are listed one
    by one; past it the PDF gives their count per town and points to the Excel report for
    the list (issue 15 §2: laying out tens of thousands of lines took minutes and
    gigabytes; per-town figures keep the PDF's memory and time bounded at any size)."""
    from django.conf import settings

    if list_limit is None:
        list_limit = settings.CQO_ASSESSMENT_PDF_LIST_LIMIT
    count = report.without_cqo.count()
    context = {"report": report, "vacant_count": count, "bureau": profile.current()}
    if count > list_limit:
        context["vacant_by_town"] = vacant_by_town(report)
        context["vacant_list_limit"] = list_limit
    else:
        rows = list(report.vacant_rows())
        header = [_("序号"), _("镇（街道）"), _("统一社会信用代码"), _("企业名称"), _("规模")]
        header += [_("空缺起始日"), _("天数")]
        town_width = min(16, max([display_width(r.town) for r in rows] + [10]))
        fixed = [6, town_width, 18, 0, 8, 10, 5]
        fixed[3] = LISTING_WIDTH - sum(fixed) - (len(fixed) - 1)
        head, lines = listing_lines(
            header,
            [
                [str(number), row.town, row.uscc, row.name, row.scale]
                + [row.vacant_since.isoformat(), str(row.days_vacant)]
                for number, row in enumerate(rows, start=1)
            ],
            fixed,
            right={0, 6},
        )
        context.update(vacant_head=head, vacant_lines=lines)
        count = len(rows)
    return render_to_string("reports/assessment_pdf.html", context), count


def render_pdf(report: AssessmentReport, *, list_limit: int | None = None) -> bytes:
    """The report as PDF bytes (see :func:`pdf_html` for the list of enterprises)."""
    from weasyprint import HTML

    return HTML(string=pdf_html(report, list_limit=list_limit)[0]).write_pdf()


def write_pdf(
    report: AssessmentReport,
    output,
    *,
    progress: Progress = _no_progress,
    list_limit: int | None = None,
) -> int:
    """Write the report's PDF to ``output`` (a binary file); returns the number of
    enterprises without a CQO it counts. Progress is told in three steps: figures computed,
    HTML made, PDF laid out."""
    from weasyprint import HTML

    progress(1, 3)
    html, count = pdf_html(report, list_limit=list_limit)
    progress(2, 3)
    HTML(string=html).write_pdf(output)
    progress(3, 3)
    return count


def default_day() -> date:
    """Today in the county's time zone (Asia/Shanghai)."""
    return clock.localdate()


__all__ = [
    "AssessmentReport",
    "build_report",
    "default_day",
    "enterprises_without_cqo",
    "filename",
    "rank_towns",
    "render_pdf",
    "write_pdf",
    "write_xlsx",
    "xlsx_workbook",
]
