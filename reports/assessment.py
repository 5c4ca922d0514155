"""The county quality-work assessment report (质量工作考核).

For a chosen date D the report shows, per town and for each target, the figures at D and at
the target's deadline, the towns ranked by their rate at D, and the enterprises without a CQO
at D. Every figure comes from the statistics engine (``reports.statistics``); this module
only arranges them and renders the two downloads (Excel with openpyxl, PDF with WeasyPrint).
"""

import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from io import BytesIO
from urllib.parse import quote

from django.db.models import DateField, Max, OuterRef, QuerySet, Subquery
from django.db.models.functions import TruncDate
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from appointments.models import Appointment
from enterprises.models import Scale, Town

from . import statistics
from .models import Population, Target
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
    generated_at: datetime = field(default_factory=timezone.localtime)

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
    current appointment at ``day``, with what is needed to say how long they have been vacant
    (SPEC §2 Vacancy: since the last filed CQO's appointment ended, else since the enterprise
    entered the registry)."""
    required = statistics.enterprise_population(
        Population.ABOVE_SCALE, day
    ) | statistics.enterprise_population(Population.SME_REQUIRED, day)
    last_end = (
        Appointment.objects.filter(enterprise=OuterRef("pk"), filed_on__lte=day, ended_on__lte=day)
        .order_by()
        .values("enterprise")
        .annotate(last=Max("ended_on"))
        .values("last")
    )
    return (
        statistics.enterprises_with_filed_cqo(required, day)
        .filter(has_filed_cqo=False)
        .annotate(
            last_end=Subquery(last_end, output_field=DateField()),
            entered_on=TruncDate("created_at", tzinfo=timezone.get_current_timezone()),
        )
        .order_by("town__code", "town__name", "name", "pk")
        .values("town__name", "uscc", "name", "scale", "last_end", "entered_on")
    )


def vacant_rows(queryset: QuerySet, day: date) -> Iterator[VacantEnterprise]:
    scales = dict(Scale.choices)
    for row in queryset.iterator(chunk_size=2000):
        since = row["last_end"] or row["entered_on"]
        # Replaying a date before the record entered the registry (imported history): the
        # registry knew nothing of it then, so it has been vacant for 0 days at most.
        since = min(since, day) if since else day
        yield VacantEnterprise(
            town=row["town__name"],
            uscc=row["uscc"],
            name=row["name"],
            scale=str(scales.get(row["scale"], row["scale"])),
            vacant_since=since,
            days_vacant=(day - since).days,
        )


def build_report(day: date, targets=None) -> AssessmentReport:
    targets = list(targets if targets is not None else Target.objects.all())
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


def content_disposition(name: str) -> str:
    """RFC 6266/5987: an ASCII fallback plus the UTF-8 name for browsers that read it."""
    fallback = "".join(c if c.isascii() and c not in '"\\' else "_" for c in name)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name)}"


def _pct(figure: Figure):
    return figure.rate  # a float 0–1 formatted as a percentage, or None (empty cell)


def render_xlsx(report: AssessmentReport) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import Cell
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

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
        worksheet.append([title])
        worksheet.cell(row=1, column=1).font = title_font
        worksheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
        worksheet.append(headers)
        for column, width in enumerate(widths, start=1):
            cell = worksheet.cell(row=2, column=column)
            cell.font, cell.fill, cell.border, cell.alignment = bold, header_fill, border, center
            worksheet.column_dimensions[get_column_letter(column)].width = width
        worksheet.row_dimensions[2].height = 32
        # The title and header rows stay in view while scrolling.
        worksheet.freeze_panes = "A3"
        return worksheet

    def add_row(worksheet, values, formats=None, font=None):
        # Cells are styled before they are appended: finding a row again after appending
        # (ws.max_row) scans every cell of the sheet, quadratic over a long list.
        cells = []
        for column, value in enumerate(values, start=1):
            cell = Cell(worksheet, value=value)
            if formats and column in formats:
                cell.number_format = formats[column]
            if font is not None:
                cell.font = font
            cells.append(cell)
        worksheet.append(cells)

    workbook = Workbook()
    workbook.remove(workbook.active)

    # Summary: one row per target, county-wide.
    summary = sheet(
        workbook,
        _("汇总"),
        _("首席质量官工作考核汇总（统计日期：%(day)s）") % {"day": day.isoformat()},
        [
            _("目标代码"),
            _("目标名称"),
            _("完成时限"),
            _("统计对象数"),
            _("已达标数"),
            _("完成率"),
            _("时限日统计对象数"),
            _("时限日已达标数"),
            _("时限日完成率"),
            _("目标比例"),
        ],
        [10, 40, 12, 12, 12, 10, 16, 16, 14, 10],
    )
    for section in report.sections:
        add_row(
            summary,
            [
                section.target.code,
                section.target.name,
                section.target.deadline,
                section.at_date.total.population,
                section.at_date.total.counted,
                _pct(section.at_date.total),
                section.at_deadline.total.population,
                section.at_deadline.total.counted,
                _pct(section.at_deadline.total),
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
            [
                _("排名"),
                _("镇（街道）"),
                _("统计对象数"),
                _("已达标数"),
                _("完成率"),
                _("时限日统计对象数"),
                _("时限日已达标数"),
                _("时限日完成率"),
            ],
            [8, 18, 12, 12, 10, 16, 16, 14],
        )
        for row in section.rows:
            add_row(
                worksheet,
                [
                    row.rank,
                    row.town,
                    row.at_date.population,
                    row.at_date.counted,
                    _pct(row.at_date),
                    row.at_deadline.population,
                    row.at_deadline.counted,
                    _pct(row.at_deadline),
                ],
                {5: percent, 8: percent},
            )
        add_row(
            worksheet,
            [
                None,
                _("全县合计"),
                section.at_date.total.population,
                section.at_date.total.counted,
                _pct(section.at_date.total),
                section.at_deadline.total.population,
                section.at_deadline.total.counted,
                _pct(section.at_deadline.total),
            ],
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
    for number, row in enumerate(report.vacant_rows(), start=1):
        add_row(
            worksheet,
            [number, row.town, row.uscc, row.name, row.scale, row.vacant_since, row.days_vacant],
            {6: "yyyy-mm-dd"},
        )

    output = BytesIO()
    workbook.save(output)
    return output.getvalue()


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


def render_pdf(report: AssessmentReport) -> bytes:
    from weasyprint import HTML

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
    html = render_to_string(
        "reports/assessment_pdf.html",
        {"report": report, "vacant_head": head, "vacant_lines": lines, "vacant_count": len(rows)},
    )
    return HTML(string=html).write_pdf()


def default_day() -> date:
    """Today in the county's time zone (Asia/Shanghai)."""
    return timezone.localdate()


__all__ = [
    "AssessmentReport",
    "build_report",
    "content_disposition",
    "default_day",
    "enterprises_without_cqo",
    "filename",
    "rank_towns",
    "render_pdf",
    "render_xlsx",
]
