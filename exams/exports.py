"""The results overview as an .xlsx (issue 20): one sheet of finished candidates, one summary
per town and one per post — sent at once when small, built by the background export
machinery (``cqo_registry.exports``, kind ``exam_results``) when it has more rows than
``CQO_EXPORT_BACKGROUND_ROWS``. Both ways write the same file from the same rows."""

from datetime import date

from django.http import FileResponse, QueryDict
from django.utils.translation import gettext as _
from openpyxl import Workbook

from cqo_registry.accounts import access
from cqo_registry.audit.services import audit_export
from cqo_registry.exports.base import CHUNK_ROWS, ExportKind, Reporting
from cqo_registry.responses import excel_response
from cqo_registry.spreadsheets import write_table

from . import selectors

AUDIT_NAME = "exams:results_export"


def _result(candidate) -> str:
    paper = getattr(candidate, "paper", None)
    if paper is None or not paper.is_submitted:
        return _("未参加")
    return _("合格") if paper.passed else _("不合格")


def _submitted(candidate, value):
    paper = getattr(candidate, "paper", None)
    return value(paper) if paper is not None and paper.is_submitted else None


def result_columns(user) -> list:
    """The rows sheet's columns (``spreadsheets.Column``); ID numbers as ``user`` may see
    them; the suggestion column only for those who may record sanctions."""
    columns = [
        (_("考试日期"), 12, lambda c: c.sitting.held_on),
        (_("考试场次"), 30, lambda c: c.sitting.title),
        (_("监督抽查考核"), 12, lambda c: _("是") if c.sitting.is_spot_check else ""),
        (_("岗位"), 16, lambda c: str(c.sitting.post)),
        (_("所属镇"), 14, lambda c: c.enterprise.town.name if c.enterprise else ""),
        (_("企业"), 36, lambda c: c.enterprise.name if c.enterprise else ""),
        (_("统一社会信用代码"), 22, lambda c: c.enterprise.uscc if c.enterprise else ""),
        (_("姓名"), 12, lambda c: c.person.name),
        (_("身份证号"), 22, lambda c: access.id_number_for(user, c.person)),
        (_("补考"), 8, lambda c: _("是") if c.is_retake else ""),
        (_("交卷时间"), 18, lambda c: _submitted(c, lambda p: p.submitted_at)),
        (_("得分"), 8, lambda c: _submitted(c, lambda p: float(p.score))),
        (_("总分"), 8, lambda c: _submitted(c, lambda p: float(p.total_marks))),
        (_("结果"), 10, _result),
        (_("证书编号"), 18, lambda c: _submitted(c, lambda p: p.certificate_number)),
    ]
    if user.has_perm("appointments.record_sanction"):
        columns.append(
            (
                _("处理建议"),
                20,
                lambda c: _("建议启动约谈等处理程序") if selectors.suggests_sanction(c) else "",
            )
        )
    return columns


def _percent(value):
    return round(value * 100, 1) if value is not None else None


SUMMARY_COLUMNS = [
    (lambda: _("考生"), 10, lambda r: r.candidates),
    (lambda: _("参考"), 10, lambda r: r.sat),
    (lambda: _("合格"), 10, lambda r: r.passed),
    (lambda: _("合格率（%）"), 12, lambda r: _percent(r.pass_rate)),
    (lambda: _("平均分"), 10, lambda r: float(r.mean_score) if r.mean_score is not None else None),
    (
        lambda: _("平均得分率（%）"),
        14,
        lambda r: round(r.mean_percent, 1) if r.mean_percent is not None else None,
    ),
]


def summary_columns(first: str) -> list:
    """A summary sheet's columns: ``first`` (镇 or 岗位), then the figures."""
    return [(first, 16, lambda r: r.label)] + [
        (header(), width, value) for header, width, value in SUMMARY_COLUMNS
    ]


def _sheet(workbook: Workbook, title: str):
    return workbook.create_sheet(title="".join("_" if c in "[]:*?/\\" else c for c in title)[:31])


def results_workbook(user, rows, progress=None) -> tuple[Workbook, int]:
    """A write-only workbook of ``rows`` (finished candidates already scoped to ``user``):
    the rows sheet, then the summaries per town and per post (each with a total line).
    ``progress(done, total)`` is called as rows are written (``None``: not reported).
    Returns the workbook and the number of candidate rows written."""
    workbook = Workbook(write_only=True)
    counted = Reporting(
        rows.iterator(chunk_size=CHUNK_ROWS), progress or (lambda done, total: None), total=None
    )
    write_table(_sheet(workbook, _("考试结果")), result_columns(user), counted)
    for title, first, lines in (
        (_("按镇汇总"), _("所属镇"), selectors.summary_by_town(rows)),
        (_("按岗位汇总"), _("岗位"), selectors.summary_by_post(rows)),
    ):
        write_table(
            _sheet(workbook, title),
            summary_columns(first),
            [*lines, selectors.summary_total(lines)],
        )
    return workbook, counted.count


def filename(day: date) -> str:
    return f"exam-results-{day:%Y%m%d}.xlsx"


def results_response(request, rows, *, day: date) -> FileResponse:
    """The overview's rows as an .xlsx download; ``rows`` are already scoped to
    ``request.user``. The export is recorded in the audit trail."""
    workbook, count = results_workbook(request.user, rows)
    audit_export(request, export=AUDIT_NAME, rows=count)
    return excel_response(workbook, filename=filename(day))


class ResultsExport(ExportKind):
    """``parameters``: ``query`` (the overview's filters), ``day`` (ISO date asked on)."""

    slug = "exam_results"
    permission = "exams.view_results_overview"
    audit_name = AUDIT_NAME

    def title(self, parameters):
        return _("考核结果汇总")

    def filename(self, parameters):
        return filename(date.fromisoformat(parameters["day"]))

    def write(self, user, parameters, output, progress):
        rows = selectors.filtered_results(user, QueryDict(parameters.get("query", "")))[1]
        workbook, count = results_workbook(user, rows, progress)
        workbook.save(output)
        return count
