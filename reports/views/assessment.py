"""The county quality-work assessment report (质量工作考核): the page and its downloads."""

from django.core.paginator import Paginator
from django.http import HttpResponseBadRequest
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from cqo_registry import params
from cqo_registry.accounts.access import permission_required
from cqo_registry.exports.views import export_or_run
from cqo_registry.responses import excel_response, pdf_response

from .. import assessment as report_module
from ..forms_assessment import AsOfForm

VACANT_PER_PAGE = 100


@permission_required("reports.view_assessment")
def assessment(request):
    form = AsOfForm(request.GET or None)
    if request.GET and not form.is_valid():
        return render(request, "reports/assessment.html", {"form": form}, status=400)
    day = form.cleaned_data["as_of"] if request.GET else report_module.default_day()
    if not request.GET:
        form = AsOfForm(initial={"as_of": day})
    report = report_module.build_report(day)
    vacant_page = params.page(request, Paginator(report.without_cqo, VACANT_PER_PAGE))
    vacant = list(report_module.vacant_rows(vacant_page.object_list, day))
    return render(
        request,
        "reports/assessment.html",
        {
            "form": form,
            "report": report,
            "vacant": vacant,
            "vacant_page": vacant_page,
            "vacant_offset": vacant_page.start_index() - 1 if vacant else 0,
            "query": f"as_of={day.isoformat()}",
        },
    )


def _download_day(request):
    form = AsOfForm(request.GET)
    if not form.is_valid():
        return None, HttpResponseBadRequest(
            "; ".join(str(e) for errors in form.errors.values() for e in errors),
            content_type="text/plain; charset=utf-8",
        )
    return form.cleaned_data["as_of"], None


# The report's downloads by file type: how the report is written, and the response that
# sends it.
_DOWNLOADS = {
    "xlsx": (report_module.xlsx_workbook, excel_response),
    "pdf": (report_module.render_pdf, pdf_response),
}


def _download(request, file_type: str):
    """A download of the report as ``file_type`` (a key of ``_DOWNLOADS``): sent at once on
    GET when the list of enterprises without a CQO is at most ``CQO_EXPORT_BACKGROUND_ROWS``
    long; the page's buttons POST, which always builds it in the background
    (``reports.exports.Assessment*``) — its statistics can take minutes at province scale
    (issue 15 §2)."""
    day, error = _download_day(request)
    if error:
        return error
    write, response = _DOWNLOADS[file_type]

    def respond():
        report = report_module.build_report(day)
        return response(write(report), filename=report_module.filename(report, file_type))

    return export_or_run(
        request,
        kind=f"assessment_{file_type}",
        parameters={"as_of": day.isoformat()},
        count=report_module.enterprises_without_cqo(day).count(),
        respond=respond,
        force=request.method == "POST",
    )


@permission_required("reports.view_assessment")
@require_http_methods(["GET", "POST"])
def assessment_xlsx(request):
    return _download(request, "xlsx")


@permission_required("reports.view_assessment")
@require_http_methods(["GET", "POST"])
def assessment_pdf(request):
    return _download(request, "pdf")
