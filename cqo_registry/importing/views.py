"""The browser's imports (/imports/), for bureau roles (SPEC §1: reviewers import data): upload
→ the check's summary and every bad row → confirm → done. The admin's import buttons and the
training page lead here; large files run in the background with a progress bar."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from openpyxl import Workbook

from cqo_registry.accounts.access import permission_required
from cqo_registry.responses import excel_response

from . import jobs, progress
from .blank_forms import blank_form_workbook
from .forms import ImportUploadForm
from .models import ImportJob
from .registry import IMPORTERS, KIND_CHOICES, get_importer_class

ERRORS_SHOWN = 500
bureau_only = permission_required("enterprises.import_data")


def _kind_or_404(kind: str) -> str:
    if kind not in IMPORTERS:
        raise Http404
    return kind


@bureau_only
@require_GET
def job_list(request):
    jobs_shown = ImportJob.objects.select_related("created_by")[:50]
    return render(request, "importing/job_list.html", {"jobs": jobs_shown, "kinds": KIND_CHOICES})


@bureau_only
@require_http_methods(["GET", "POST"])
def job_new(request, kind: str):
    kind = _kind_or_404(kind)
    form = ImportUploadForm(request.POST or None, request.FILES or None, kind=kind)
    if request.method == "POST" and form.is_valid():
        try:
            job = jobs.import_job_create(
                kind=kind,
                upload=form.cleaned_data["file"],
                user=request.user,
                create_towns=form.cleaned_data.get("create_towns", False),
            )
        except ValidationError as error:
            form.add_error("file", error)
        else:
            return redirect("importing:job", pk=job.pk)
    context = {
        "form": form,
        "kind": kind,
        "title": dict(KIND_CHOICES)[kind],
        "columns": get_importer_class(kind).columns,
    }
    return render(request, "importing/job_new.html", context)


@bureau_only
@require_GET
def job_detail(request, pk: int):
    job = get_object_or_404(ImportJob.objects.select_related("created_by"), pk=pk)
    result = job.result or {}
    importer = get_importer_class(job.kind)
    context = {
        "job": job,
        "result": result,
        "errors": job.errors[:ERRORS_SHOWN],
        "error_rows": result.get("error_rows", len({(e["sheet"], e["row"]) for e in job.errors})),
        "more_errors": max(0, len(job.errors) - ERRORS_SHOWN),
        "warnings": result.get("warnings", [])[:ERRORS_SHOWN],
        "sheets_named": any(m["sheet"] for m in [*job.errors, *result.get("warnings", [])]),
        "progress": progress.read(job.pk) if job.is_running else None,
        "admin_url": reverse(importer.admin_changelist) if importer.admin_changelist else "",
        "details_template": importer.details_template,
        "details": result.get("details") or {},
    }
    return render(request, "importing/job_detail.html", context)


@bureau_only
@require_GET
def job_progress(request, pk: int):
    """``{"status", "running", "done", "total", "percent"}`` for the job page's progress bar."""
    job = get_object_or_404(ImportJob, pk=pk)
    reported = progress.read(job.pk) or {}
    done, total = reported.get("done", 0), reported.get("total", 0) or job.rows
    percent = 100 if not job.is_running else (int(100 * done / total) if total else 0)
    return JsonResponse(
        {
            "status": job.status,
            "status_display": job.get_status_display(),
            "running": job.is_running,
            "done": done,
            "total": total,
            "percent": min(percent, 100),
        },
        headers={"Cache-Control": "no-store"},
    )


@bureau_only
@require_POST
def job_confirm(request, pk: int):
    job = get_object_or_404(ImportJob, pk=pk)
    try:
        job = jobs.import_job_confirm(job=job, user=request.user)
    except ValidationError as error:
        messages.error(request, error.messages[0])
        return redirect("importing:job", pk=pk)
    return redirect("importing:job", pk=pk)  # the page says what happened


@bureau_only
@require_POST
def job_discard(request, pk: int):
    job = get_object_or_404(ImportJob, pk=pk)
    if not job.can_discard:
        messages.error(request, _("这个导入任务不能放弃"))
        return redirect("importing:job", pk=pk)
    jobs.import_job_discard(job=job)
    messages.info(request, _("已放弃这次导入，上传的文件已删除。"))
    return redirect("importing:list")


@bureau_only
@require_GET
def job_errors(request, pk: int):
    """Every error (and warning) of a job as an .xlsx: sheet, row, column, reason."""
    job = get_object_or_404(ImportJob, pk=pk)
    header = [_("工作表"), _("行号"), _("列"), _("原因")]
    workbook = Workbook()
    _append_messages(workbook.active, _("错误"), header, job.errors)
    warnings = (job.result or {}).get("warnings", [])
    if warnings:
        _append_messages(workbook.create_sheet(), _("提醒"), header, warnings)
    return excel_response(workbook, filename=_("导入错误-%(pk)d.xlsx") % {"pk": job.pk})


def _append_messages(sheet, title: str, header: list[str], rows: list[dict]) -> None:
    sheet.title = title
    sheet.append(header)
    for message in rows:
        # Sheet names and reasons quote the uploaded file: excel_response writes
        # formula-like text as text.
        sheet.append([message["sheet"], message["row"] or "", message["column"], message["reason"]])
    sheet.column_dimensions["D"].width = 90


@bureau_only
@require_GET
def job_details(request, pk: int):
    """The preview of a file that has one (the above-scale reconciliation) as an .xlsx."""
    job = get_object_or_404(ImportJob, pk=pk)
    details = (job.result or {}).get("details") or {}
    workbook = get_importer_class(job.kind).details_workbook(details) if details else None
    if workbook is None:
        raise Http404
    return excel_response(
        workbook,
        filename=_("%(title)s-结果-%(pk)d.xlsx") % {"title": job.get_kind_display(), "pk": job.pk},
    )


@bureau_only
@require_GET
def blank(request, kind: str):
    """The blank form of one import file (no data: any bureau user)."""
    kind = _kind_or_404(kind)
    title = dict(KIND_CHOICES)[kind]
    return excel_response(
        blank_form_workbook(kind), filename=_("%(title)s-导入模板.xlsx") % {"title": title}
    )
