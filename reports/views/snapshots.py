"""Recompute a snapshot on demand (bureau roles), as a task whose progress the dashboard polls.

POST ``recompute`` with ``as_of`` opens a new version of that date and queues the task once
the run is committed; a ``fetch`` asking for JSON gets the run id and its progress URL (202),
a plain form post is redirected back to the dashboard of that date. GET ``progress`` returns
the run's progress as JSON.
"""

from uuid import uuid4

from django import forms
from django.contrib import messages
from django.db import transaction
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from cqo_registry import params
from cqo_registry.accounts.access import permission_required
from cqo_registry.responses import progress_fields

from ..models import SnapshotKind, SnapshotRun, SnapshotStatus
from ..snapshots import snapshot_run_create
from ..tasks import recompute_snapshot

bureau_only = permission_required("reports.take_snapshots")


class RecomputeForm(forms.Form):
    as_of = params.DateField(label=gettext_lazy("统计日期"))


def _wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def progress_payload(run: SnapshotRun) -> dict:
    return {
        **progress_fields(run, finished=run.status in (SnapshotStatus.DONE, SnapshotStatus.FAILED)),
        "as_of": run.as_of.isoformat(),
        "version": run.version,
        "progress_url": reverse("reports:snapshot_progress", args=[run.pk]),
        "dashboard_url": f"{reverse('reports:dashboard')}?as_of={run.as_of.isoformat()}",
    }


@bureau_only
@require_POST
def recompute(request):
    form = RecomputeForm(request.POST)
    if not form.is_valid():
        if _wants_json(request):
            return JsonResponse({"errors": form.errors}, status=400)
        messages.error(request, _("请选择有效的统计日期。"))
        return redirect(_back(request))
    with transaction.atomic():
        run = snapshot_run_create(
            as_of=form.cleaned_data["as_of"],
            kind=SnapshotKind.ON_DEMAND,
            actor=request.user,
            task_id=str(uuid4()),
        )
        # Queued once the run is committed. robust: with tasks run in-process a failure is
        # recorded on the run (the page shows it) instead of failing this request.
        transaction.on_commit(
            lambda: recompute_snapshot.apply_async(args=[run.pk], task_id=run.task_id),
            robust=True,
        )
    run.refresh_from_db()
    if _wants_json(request):
        return JsonResponse(progress_payload(run), status=202)
    messages.success(
        request,
        _("已提交 %(date)s 的重算（第 %(version)s 版）。")
        % {"date": run.as_of.isoformat(), "version": run.version},
    )
    return redirect(_back(request, run))


def _back(request, run: SnapshotRun | None = None) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    url = reverse("reports:dashboard")
    return f"{url}?as_of={run.as_of.isoformat()}" if run else url


@bureau_only
@require_GET
def progress(request, run_id: int):
    run = get_object_or_404(SnapshotRun, pk=run_id)
    return JsonResponse(progress_payload(run))
