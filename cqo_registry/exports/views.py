"""Background exports' pages (issue 15 §2): the run's page with its progress bar and, once
done, its download; the progress as JSON for that bar; the download itself; the user's own
runs. Every run is private to whoever asked: another user — of any role — gets 404, the
anonymous the login page. The download asks the kind's permission again (403 when the user
has lost it) and is recorded in the audit trail as the synchronous export records it.

:func:`export_or_run` is what each export view calls (:func:`export_list_or_run` for a
page's list): the file at once when it is small, else a page that starts the task (GET shows
it, POST starts)."""

from collections.abc import Callable

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from cqo_registry.audit.services import audit_export
from cqo_registry.responses import private_file_response, progress_fields

from .base import get_kind
from .models import ReportRun, ReportRunStatus
from .services import background_threshold, report_run_start, retention

EXPORT_TYPES = {
    "application/pdf": "pdf",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
}
RECENT_RUNS = 50


def export_or_run(
    request,
    *,
    kind: str,
    parameters: dict,
    count: int,
    respond: Callable[[], HttpResponse],
    force: bool = False,
) -> HttpResponse:
    """The synchronous response ``respond()`` when ``count`` rows are at most
    ``CQO_EXPORT_BACKGROUND_ROWS`` (and not ``force``); otherwise, on GET, a page saying the
    file will be built in the background with a button that POSTs to the same address, and
    on POST the run started and a redirect to its page. The caller has checked the user's
    permission and the parameters; ``parameters`` (JSON) are what the kind needs to build
    the same rows."""
    if count <= background_threshold() and not force:
        return respond()
    if request.method != "POST":
        export = get_kind(kind)
        return render(
            request,
            "exports/confirm.html",
            {"title": export.title(parameters), "count": count, "force": force},
        )
    run = report_run_start(kind=kind, user=request.user, parameters=parameters, total=count)
    return redirect("exports:run", pk=run.pk)


def export_list_or_run(
    request,
    *,
    kind: str,
    rows,
    respond: Callable[[], HttpResponse],
    set_query: dict | None = None,
    **extra,
) -> HttpResponse:
    """:func:`export_or_run` for the export of a page's list: ``rows`` is the list's
    queryset (counted without its ordering), the parameters are the page's query with
    ``set_query`` and ``extra`` (JSON values: the day, the year…) as
    :func:`request_parameters` makes them."""
    return export_or_run(
        request,
        kind=kind,
        parameters=request_parameters(request, set_query=set_query, **extra),
        count=rows.order_by().count(),
        respond=respond,
    )


def request_parameters(request, *, set_query: dict | None = None, **extra) -> dict:
    """The page's query (its filters; ``set_query`` replaces some of them, e.g. a date the
    page defaulted) and what else the kind needs, as JSON."""
    query = request.GET.copy()
    query.pop("page", None)
    for name, value in (set_query or {}).items():
        query[name] = value
    return {"query": query.urlencode(), **extra}


def _own_or_404(request, pk: int) -> ReportRun:
    return get_object_or_404(ReportRun.objects.of(request.user), pk=pk)


def progress_payload(run: ReportRun) -> dict:
    return {
        **progress_fields(run, finished=run.finished),
        "download_url": (
            reverse("exports:download", args=[run.pk])
            if run.status == ReportRunStatus.DONE and run.file
            else ""
        ),
    }


@login_required
@require_GET
def run_detail(request, pk: int):
    run = _own_or_404(request, pk)
    return render(
        request,
        "exports/run.html",
        {
            "run": run,
            "payload": progress_payload(run),
            "expires_at": run.created_at + retention(),
        },
    )


@login_required
@require_GET
def run_progress(request, pk: int):
    run = _own_or_404(request, pk)
    return JsonResponse(progress_payload(run), headers={"Cache-Control": "no-store"})


@login_required
@require_GET
def run_download(request, pk: int):
    run = _own_or_404(request, pk)
    export = get_kind(run.kind)
    if not request.user.has_perm(export.permission):
        raise PermissionDenied
    if run.status != ReportRunStatus.DONE or not run.file:
        raise Http404
    try:
        response = private_file_response(run.file, filename=run.filename, allowed=EXPORT_TYPES)
    except FileNotFoundError as error:
        raise Http404 from error
    name = export.audit_export_name(run.parameters)
    if name:
        audit_export(request, export=name, rows=run.rows, obj=export.audit_object(run.parameters))
    return response


@login_required
@require_GET
def run_list(request):
    runs = ReportRun.objects.of(request.user)[:RECENT_RUNS]
    return render(
        request,
        "exports/run_list.html",
        {"runs": runs, "retention_days": retention().days},
    )
