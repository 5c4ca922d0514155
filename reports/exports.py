"""The reports' Excel and PDF files built in the background (issue 15 §2): the enterprise
registry, the drill-down lists and the assessment report. Each kind shares its rows and
columns with the synchronous view that sends small files at once."""

from datetime import date

from django.conf import settings
from django.http import Http404, QueryDict
from django.utils.translation import gettext as _

from cqo_registry import clock
from cqo_registry.exports.base import ExportKind, Progress, TableExport
from enterprises.selectors import town_list

from . import assessment as report_module
from . import enterprise_registry as registry
from . import selectors
from .forms import ExplainFilterForm

# --- The enterprise registry (/enterprises/export.xlsx) --------------------------------------


def registry_rows(user, data: QueryDict, day: date):
    """The registry's filter form of ``data`` (a page's query) and the rows it selects,
    scoped to ``user``, as of ``day``."""
    form = registry.RegistryFilter(data or None, user=user)
    queryset = form.filter(registry.annotated(user, day), day)
    return form, queryset.select_related("town")


def registry_columns():
    return [
        (_("统一社会信用代码"), 22, lambda e: e.uscc),
        (_("企业名称"), 36, lambda e: e.name),
        (_("所属镇"), 12, lambda e: e.town.name if e.town else ""),
        (_("行业门类"), 10, lambda e: e.get_industry_display()),
        (_("企业规模"), 10, lambda e: e.get_scale_display()),
        (_("法定代表人"), 12, lambda e: e.legal_representative),
        (_("首席质量官状态"), 12, registry.status_label),
        (_("首席质量官"), 12, lambda e: e.cqo_name or ""),
        (_("首席质量官已培训"), 10, lambda e: _("是") if e.cqo_trained else _("否")),
        (_("空缺起始日"), 12, lambda e: None if e.filed else e.vacancy_start),
    ]


def registry_filename(day: date) -> str:
    return f"{_('企业名录')}_{day.isoformat()}.xlsx"


class RegistryExport(TableExport):
    """``parameters``: ``query`` (the registry's filters), ``day`` (ISO date asked on)."""

    slug = "registry"
    permission = "enterprises.view_registry"

    def title(self, parameters):
        return _("企业名录")

    def filename(self, parameters):
        return registry_filename(date.fromisoformat(parameters["day"]))

    def rows(self, user, parameters):
        day = date.fromisoformat(parameters["day"])
        return registry_rows(user, QueryDict(parameters.get("query", "")), day)[1]

    def columns(self, user, parameters):
        return registry_columns()


# --- The drill-down lists ("explain this number") --------------------------------------------


def filter_values(form) -> dict:
    town = form.cleaned_data["town"]
    return {
        "town_id": town.pk if town else None,
        "industry": form.cleaned_data["industry"],
        "search": form.cleaned_data["q"].strip(),
    }


def explain_form(user, data: QueryDict, code: str, figures=None):
    """The drill-down's subject and its filter form (of ``data``, a page's query; the date
    defaults to today), validated. A town outside the user's scope is a 404 (``Http404``);
    an unknown ``code`` whatever :func:`reports.selectors.explained_for_code` raises.
    ``figures``: the request's ``reports.kept.FiguresRead``, if any."""
    explained = selectors.explained_for_code(code, figures)
    data = data.copy()
    if not data.get("as_of"):
        data["as_of"] = clock.localdate().isoformat()
    form = ExplainFilterForm(
        data,
        towns=town_list(user),
        show_labels=(explained.counted_label, explained.missing_label),
    )
    if not form.is_valid() and "town" in form.errors:
        raise Http404
    return explained, form


def explain_filters(user, data: QueryDict, code: str):
    """The drill-down's subject, its filter form (of ``data``, a page's query; the date
    defaults to today) and, when the form is valid, the rows scoped to ``user`` (not yet
    filtered by ``show``; ``None`` otherwise). A town outside the user's scope is a 404."""
    explained, form = explain_form(user, data, code)
    if not form.is_valid():
        return explained, form, None
    rows = selectors.explain_rows(explained, form.day, user=user, **filter_values(form))
    return explained, form, rows


def export_filename(explained, day, show: str) -> str:
    """``T1 规上企业…_2024-01-31_已备案.xlsx``: the figure's and the rows' names as a person
    reads them, never the internal codes."""
    name = f"{explained.title}_{day.isoformat()}_{explained.show_label(show)}"
    return "".join("_" if c in '\\/:*?"<>|' else c for c in name) + ".xlsx"


def explain_audit_name(explained) -> str:
    # The figure as people read it (never an internal code such as LATE_ALL): the trail is
    # read by bureau admins.
    return f"reports:explain_export {explained.title}"


class ExplainExport(TableExport):
    """``parameters``: ``code`` (the figure), ``query`` (the drill-down's filters and date).
    The date is in the query (or, when it had none, the day the export was asked on)."""

    slug = "explain"
    permission = "reports.explain_figures"

    def _resolved(self, user, parameters):
        explained, form, rows = explain_filters(
            user, QueryDict(parameters.get("query", "")), parameters["code"]
        )
        if rows is None:
            raise ValueError(_("统计日期无效。"))
        show = form.cleaned_data["show"] or selectors.SHOW_ALL
        return explained, form, selectors.filter_show(rows, show), show

    def title(self, parameters):
        return selectors.explained_for_code(parameters["code"]).title

    def filename(self, parameters):
        explained = selectors.explained_for_code(parameters["code"])
        query = QueryDict(parameters.get("query", ""))
        show = query.get("show") or selectors.SHOW_ALL
        day = query.get("as_of") or parameters.get("day")
        try:
            day = date.fromisoformat(day)
            label = explained.show_label(show)
        except (TypeError, ValueError, KeyError):
            return f"{explained.title}.xlsx"
        name = f"{explained.title}_{day.isoformat()}_{label}"
        return "".join("_" if c in '\\/:*?"<>|' else c for c in name) + ".xlsx"

    def rows(self, user, parameters):
        return self._resolved(user, parameters)[2]

    def columns(self, user, parameters):
        explained, form, _rows, _show = self._resolved(user, parameters)
        return explained.kind.columns(explained, form.day, user)

    def audit_export_name(self, parameters):
        return explain_audit_name(selectors.explained_for_code(parameters["code"]))


# --- The assessment report -----------------------------------------------------------------


class _Assessment(ExportKind):
    """``parameters``: ``as_of`` (ISO date of the report)."""

    permission = "reports.view_assessment"

    def title(self, parameters):
        return f"{_('首席质量官工作考核报表')}（{parameters['as_of']}）"

    def filename(self, parameters):
        day = date.fromisoformat(parameters["as_of"])
        return f"{_('首席质量官工作考核报表')}_{day:%Y-%m-%d}.{self.extension}"


class AssessmentExcel(_Assessment):
    slug = "assessment_xlsx"
    extension = "xlsx"

    def write(self, user, parameters, output, progress: Progress) -> int:
        report = report_module.build_report(date.fromisoformat(parameters["as_of"]))
        return report_module.write_xlsx(report, output, progress=progress)


class AssessmentPdf(_Assessment):
    slug = "assessment_pdf"
    extension = "pdf"

    def write(self, user, parameters, output, progress: Progress) -> int:
        report = report_module.build_report(date.fromisoformat(parameters["as_of"]))
        return report_module.write_pdf(
            report, output, progress=progress, list_limit=settings.CQO_ASSESSMENT_PDF_LIST_LIMIT
        )
