"""Background exports (issue 15 §2): start a run, build its file in a task, serve it to whoever
asked, purge it after ``CQO_EXPORT_RETENTION_DAYS``.

The machinery is the snapshot recompute's (``reports.snapshots``, ``reports.views.snapshots``):
a run row carries status and progress, the task is queued with the run's own task id once the
run is committed (in-process when no broker is configured: ``make run``, tests), a run is
claimed once (a task delivered twice builds once; delivered again after its worker died, it
builds again to the end), and the page polls the run's progress as JSON.
"""

import logging
from datetime import timedelta
from uuid import uuid4

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Least
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError

from cqo_registry import clock

from .base import ExportKind, get_kind, spooled_output
from .models import OPEN_STATUSES, ReportRun, ReportRunStatus

logger = logging.getLogger(__name__)


def background_threshold() -> int:
    """Exports of more rows than this run as a task (``CQO_EXPORT_BACKGROUND_ROWS``)."""
    return settings.CQO_EXPORT_BACKGROUND_ROWS


def scope_of(user) -> dict:
    """What decides which rows ``user`` sees (``accounts.access.scope``), as JSON."""
    return {
        "role": user.effective_role,
        "town_id": user.town_id,
        "enterprise_id": user.enterprise_id,
    }


def scope_user(run: ReportRun):
    """The requester as they were when they asked: their user row with the role, town and
    enterprise stored on the run (never saved). Rows and masking then follow the scope the
    export was asked under, even if the account has been moved to another town since."""
    user = type(run.created_by).objects.get(pk=run.created_by_id)
    scope = run.parameters.get("scope") or {}
    user.is_superuser = False  # the stored role is already the effective one
    user.role = scope.get("role", "")
    user.town_id = scope.get("town_id")
    user.enterprise_id = scope.get("enterprise_id")
    return user


def report_run_start(*, kind: str, user, parameters: dict, total: int = 0) -> ReportRun:
    """Create a pending run of ``kind`` for ``user`` and queue its task once committed.

    ``parameters`` must be JSON; the user's scope is added as ``parameters["scope"]``.
    ``total`` is the known size (rows) shown until the task reports its own. With tasks run
    in-process the run is finished (done or failed) when this returns; a failure is recorded
    on the run, never raised here. Raises ``KeyError`` for an unknown ``kind``."""
    export = get_kind(kind)
    from .tasks import export_report_run

    with transaction.atomic():
        run = ReportRun(
            kind=kind,
            title=export.title(parameters)[:200],
            parameters={**parameters, "scope": scope_of(user)},
            total=total,
            created_by=user,
            task_id=str(uuid4()),
        )
        run.full_clean(validate_constraints=False)
        run.save()
        # robust: with tasks run in-process a failure is recorded on the run (the progress
        # page shows it) instead of failing the request that asked.
        transaction.on_commit(lambda: _publish(export_report_run, run), robust=True)
    run.refresh_from_db()
    return run


def _publish(task, run: ReportRun) -> None:
    """Queue ``run``'s task; a broker that cannot be reached fails the run with a message
    saying so (the page shows it; nothing would ever pick the run up)."""
    try:
        task.apply_async(args=[run.pk], task_id=run.task_id)
    except OperationalError:
        logger.warning("Broker unreachable: report run %s not queued.", run.pk, exc_info=True)
        ReportRun.objects.filter(pk=run.pk).record_progress(
            status=ReportRunStatus.FAILED,
            error=_("后台任务队列暂时无法连接，没有开始生成。请稍后重新导出。"),
            finished_at=clock.now(),
        )


def report_run_claim(run_id: int, *, task_id: str | None = None) -> ReportRun | None:
    """Take a pending run for building; ``None`` when it does not exist or another worker
    took it. A run left *running* by the task ``task_id`` is taken again by that same task
    (redelivered after its worker died: nobody else is building it)."""
    claimable = Q(status=ReportRunStatus.PENDING)
    if task_id:
        claimable |= Q(status=ReportRunStatus.RUNNING, task_id=task_id)
    claimed = ReportRun.objects.filter(claimable, pk=run_id).record_progress(
        status=ReportRunStatus.RUNNING
    )
    return ReportRun.objects.select_related("created_by").get(pk=run_id) if claimed else None


def report_run_fill(run: ReportRun) -> ReportRun:
    """Build ``run``'s file with its kind and store it privately (a random name).

    Progress is written to the run as the kind reports it, outside any transaction, so that
    the page polling it sees it move. On error the run is marked failed with the error's
    text (the page shows it) and the error re-raised; no file is kept."""
    runs = ReportRun.objects.filter(pk=run.pk)
    try:
        export: ExportKind = get_kind(run.kind)
        user = scope_user(run)

        def progress(done: int, total: int | None) -> None:
            if total is None:
                # The total counted when the run was asked for; rows added since then must
                # not push ``done`` past it (the run's check constraint).
                runs.record_progress(done=Least(Value(done), F("total")))
            else:
                runs.record_progress(done=min(done, total), total=total)

        with spooled_output() as output:
            rows = export.write(user, run.parameters, output, progress)
            output.seek(0)
            with transaction.atomic():
                locked = ReportRun.objects.select_for_update(of=("self",)).get(pk=run.pk)
                if locked.status not in OPEN_STATUSES:
                    raise RuntimeError(f"report run {run.pk} is no longer open")
                locked.file.save(f"export.{export.extension}", File(output), save=False)
                locked.filename = export.filename(run.parameters)[:255]
                locked.rows = rows
                locked.status = ReportRunStatus.DONE
                locked.done = locked.total = max(locked.total, locked.done)
                locked.finished_at = clock.now()
                locked.save()
    except Exception as error:
        logger.exception("report run %s (%s) failed", run.pk, run.kind)
        runs.record_progress(
            status=ReportRunStatus.FAILED,
            error=(str(error) or type(error).__name__)[:2000],
            finished_at=clock.now(),
        )
        raise
    return ReportRun.objects.get(pk=run.pk)


def retention() -> timedelta:
    return timedelta(days=settings.CQO_EXPORT_RETENTION_DAYS)


def report_runs_purge(*, now=None) -> int:
    """Delete the runs created more than ``CQO_EXPORT_RETENTION_DAYS`` ago, with their files
    (removed from storage after the commit); returns how many runs. Run daily by beat
    (``tasks.purge_report_runs``) and by ``manage.py purge_report_runs``."""
    cutoff = (now or clock.now()) - retention()
    stale = ReportRun.objects.filter(created_at__lt=cutoff)
    count = 0
    for run in stale.iterator(chunk_size=500):
        # One by one: django-cleanup deletes each file once its row is gone.
        run.delete()
        count += 1
    logger.info("report runs purge: %d runs older than %s deleted", count, cutoff.isoformat())
    return count
