"""Snapshot tasks. Beat's schedule for them is stored by migration 0005 (django-celery-beat,
Asia/Shanghai): the daily snapshot at 01:10, the deadline check at 01:20.

Each task takes ids or ISO dates (JSON), calls a service and is idempotent: running it again
stores nothing new.
"""

from datetime import date, timedelta

from celery import shared_task
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from .models import SnapshotFigure, SnapshotKind, SnapshotScope, SnapshotStatus, Target
from .snapshots import snapshot_claim, snapshot_fill, snapshot_take, stored_daily


@shared_task
def take_daily_snapshot(as_of: str | None = None) -> int | None:
    """Store the figures of the day that has just ended in Asia/Shanghai (run at 01:10, that
    is yesterday: a day still in progress would freeze figures that later filings of the same
    day change). Does nothing when that day's daily snapshot exists. Returns the run id."""
    day = date.fromisoformat(as_of) if as_of else timezone.localdate() - timedelta(days=1)
    if stored_daily(day):
        return None
    try:
        run = snapshot_take(as_of=day, kind=SnapshotKind.DAILY)
    except IntegrityError:
        if stored_daily(day):  # another worker took it at the same moment
            return None
        raise
    return run.pk


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


@shared_task
def take_deadline_snapshots() -> list[int]:
    """For each target whose deadline has passed without a deadline snapshot, store every
    target's figures as of that deadline (one run per deadline date). Returns the run ids."""
    today = timezone.localdate()
    run_ids = []
    for deadline in sorted({target.deadline for target in deadline_targets_due(today)}):
        with transaction.atomic():
            # Lock the due targets so that two workers running this at once store one
            # snapshot: the second waits here, then finds the figures stored.
            due = Target.objects.select_for_update().filter(
                pk__in=[t.pk for t in deadline_targets_due(today) if t.deadline == deadline]
            )
            if not list(due):
                continue
            run = snapshot_take(as_of=deadline, kind=SnapshotKind.DEADLINE)
        run_ids.append(run.pk)
    return run_ids


@shared_task
def recompute_snapshot(run_id: int) -> int | None:
    """Compute an on-demand run created by the dashboard (``snapshot_run_create``), writing
    its progress per target. A run already taken by a worker, finished or failed is left
    alone, so a task delivered twice computes once."""
    run = snapshot_claim(run_id)
    if run is None:
        return None
    return snapshot_fill(run).pk
