"""Snapshot tasks. Beat's schedule for them is stored by migration 0005 (django-celery-beat,
Asia/Shanghai): the daily snapshot at 01:10, the deadline check at 01:20.

Each task takes ids or ISO dates (JSON), calls a service and is idempotent: running it again
stores nothing new.
"""

from datetime import date, timedelta

from celery import shared_task
from django.db import IntegrityError, transaction
from django.db.models import F

from cqo_registry import clock

from .models import SnapshotFigure, SnapshotKind, SnapshotScope, SnapshotStatus, Target
from .snapshots import (
    interrupted_runs,
    snapshot_claim,
    snapshot_fill,
    snapshot_run_create,
    stored_daily,
)


@shared_task(bind=True)
def take_daily_snapshot(self, as_of: str | None = None) -> int | None:
    """Store the figures of the day that has just ended in Asia/Shanghai (run at 01:10, that
    is yesterday: a day still in progress would freeze figures that later filings of the same
    day change). Does nothing when that day's daily snapshot exists. Returns the run id.

    Delivered again after its worker died mid-run, it finishes the run it had started."""
    day = date.fromisoformat(as_of) if as_of else clock.localdate() - timedelta(days=1)
    task_id = self.request.id
    for run in interrupted_runs(kind=SnapshotKind.DAILY, task_id=task_id):
        if run.as_of == day:
            return snapshot_fill(run).pk
    if stored_daily(day):
        return None
    try:
        run = snapshot_run_create(as_of=day, kind=SnapshotKind.DAILY, task_id=task_id or "")
    except IntegrityError:
        if stored_daily(day):  # another worker took it at the same moment
            return None
        raise
    return snapshot_fill(run).pk


def deadline_targets_due(today: date) -> list[Target]:
    """Targets whose deadline has passed and whose figures at the deadline are not stored in
    a finished deadline snapshot yet."""
    frozen = SnapshotFigure.objects.filter(
        run__kind=SnapshotKind.DEADLINE,
        run__status=SnapshotStatus.DONE,
        scope=SnapshotScope.COUNTY,
        run__as_of=F("target__deadline"),
    ).values("target_id")
    return list(Target.objects.filter(deadline__lt=today).exclude(pk__in=frozen))


@shared_task(bind=True)
def take_deadline_snapshots(self) -> list[int]:
    """For each target whose deadline has passed without a deadline snapshot, store every
    target's figures as of that deadline (one run per deadline date). Returns the run ids.

    Delivered again after its worker died mid-run, it first finishes the runs it had started."""
    today = clock.localdate()
    run_ids = [
        snapshot_fill(run).pk
        for run in interrupted_runs(kind=SnapshotKind.DEADLINE, task_id=self.request.id)
    ]
    for deadline in sorted({target.deadline for target in deadline_targets_due(today)}):
        with transaction.atomic():
            # Lock the due targets so that two workers running this at once store one
            # snapshot: the second waits here, then finds the figures stored.
            due = Target.objects.select_for_update(of=("self",)).filter(
                pk__in=[t.pk for t in deadline_targets_due(today) if t.deadline == deadline]
            )
            if not list(due):
                continue
            run = snapshot_run_create(
                as_of=deadline, kind=SnapshotKind.DEADLINE, task_id=self.request.id or ""
            )
            run = snapshot_fill(run)
        run_ids.append(run.pk)
    return run_ids


@shared_task(bind=True)
def recompute_snapshot(self, run_id: int) -> int | None:
    """Compute an on-demand run created by the dashboard (``snapshot_run_create``), writing
    its progress per target. A run already taken by a worker, finished or failed is left
    alone, so a task delivered twice computes once; delivered again after its worker died
    mid-run (the run carries this task's id), it computes the run again to the end."""
    run = snapshot_claim(run_id, task_id=self.request.id)
    if run is None:
        return None
    return snapshot_fill(run).pk
