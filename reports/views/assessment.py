"""The county quality-work assessment report (质量工作考核): the page and its downloads."""

from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import render

from cqo_registry.accounts.access import role_required
from cqo_registry.accounts.models import Role

from .. import assessment as report_module
from ..forms_assessment import AsOfForm

REPORT_ROLES = (Role.LEADER, Role.BUREAU_ADMIN, Role.REVIEWER)
VACANT_PER_PAGE = 100

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@role_required(*REPORT_ROLES)
def assessment(request):
    form = AsOfForm(request.GET or None)
    if request.GET and not form.is_valid():
        return render(request, "reports/assessment.html", {"form": form}, status=400)
    day = form.cleaned_data["as_of"] if request.GET else report_module.default_day()
    if not request.GET:
        form = AsOfForm(initial={"as_of": day})
    report = report_module.build_report(day)
    vacant_page = Paginator(report.without_cqo, VACANT_PER_PAGE).get_page(request.GET.get("page"))
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


@role_required(*REPORT_ROLES)
def assessment_xlsx(request):
    day, error = _download_day(request)
    if error:
        return error
    report = report_module.build_report(day)
    response = HttpResponse(report_module.render_xlsx(report), content_type=XLSX_TYPE)
    response["Content-Disposition"] = report_module.content_disposition(
        report_module.filename(report, "xlsx")
    )
    return response


@role_required(*REPORT_ROLES)
def assessment_pdf(request):
    day, error = _download_day(request)
    if error:
        return error
    report = report_module.build_report(day)
    response = HttpResponse(report_module.render_pdf(report), content_type="application/pdf")
    response["Content-Disposition"] = report_module.content_disposition(
        report_module.filename(report, "pdf")
    )
    return response
