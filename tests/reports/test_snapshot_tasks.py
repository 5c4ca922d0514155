"""Snapshot tasks: idempotent daily and deadline snapshots, on-demand recompute computing
once, and beat's schedule stored by a migration."""

from datetime import date, timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from reports import snapshots, statistics
from reports.models import SnapshotKind, SnapshotRun, SnapshotStatus, Target
from reports.tasks import recompute_snapshot, take_daily_snapshot, take_deadline_snapshots
from tests.factories import TargetFactory

pytestmark = pytest.mark.django_db


def test_daily_snapshot_twice_stores_one(county):
    first = take_daily_snapshot.delay().get()
    second = take_daily_snapshot.delay().get()
    assert first is not None and second is None
    run = SnapshotRun.objects.get()
    # Run after midnight in Asia/Shanghai: the day that has just ended.
    assert run.as_of == timezone.localdate() - timedelta(days=1)
    assert (run.kind, run.status, run.version) == ("daily", "done", 1)


def test_daily_snapshot_of_a_given_date(county):
    run_id = take_daily_snapshot("2021-06-30")
    assert SnapshotRun.objects.get(pk=run_id).as_of == date(2021, 6, 30)
    assert take_daily_snapshot("2021-06-30") is None


def test_database_allows_one_daily_run_per_date_but_a_failed_one_can_be_retried(county):
    run = snapshots.snapshot_run_create(as_of=date(2021, 6, 30), kind=SnapshotKind.DAILY)
    with pytest.raises(IntegrityError), transaction.atomic():
        SnapshotRun.objects.create(as_of=run.as_of, version=2, kind=SnapshotKind.DAILY)
    SnapshotRun.objects.filter(pk=run.pk).record_progress(status=SnapshotStatus.FAILED)
    assert take_daily_snapshot("2021-06-30") is not None
    assert list(SnapshotRun.objects.values_list("version", "status").order_by("version")) == [
        (1, "failed"),
        (2, "done"),
    ]


def test_deadline_snapshots_store_t1_at_its_deadline_once(county):
    first = take_deadline_snapshots.delay().get()
    second = take_deadline_snapshots.delay().get()
    # All three notice deadlines (2021–2022) have passed: one run per deadline date, once.
    assert len(first) == 3 and second == []
    t1 = Target.objects.get(code="T1")
    run = SnapshotRun.objects.get(kind=SnapshotKind.DEADLINE, as_of=date(2021, 1, 31))
    stored = snapshots.figures_of_run(run, [t1])[0]
    live = statistics.compute_target(t1, date(2021, 1, 31))
    assert (stored.total, stored.by_town, stored.by_industry) == (
        live.total,
        live.by_town,
        live.by_industry,
    )
    assert (stored.total.population, stored.total.counted) == (3, 3)
    assert sorted(SnapshotRun.objects.values_list("as_of", flat=True)) == [
        date(2021, 1, 31),
        date(2021, 12, 31),
        date(2022, 12, 31),
    ]


def test_deadline_snapshots_wait_for_the_deadline_to_pass(county, monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: date(2021, 1, 31))
    assert take_deadline_snapshots() == []
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: date(2021, 2, 1))
    assert len(take_deadline_snapshots()) == 1
    assert SnapshotRun.objects.get().as_of == date(2021, 1, 31)


def test_a_new_target_gets_its_own_deadline_snapshot(county):
    take_deadline_snapshots()
    TargetFactory(code="T4", name="新目标", deadline=date(2021, 1, 31))
    [run_id] = take_deadline_snapshots()
    run = SnapshotRun.objects.get(pk=run_id)
    assert (run.as_of, run.version) == (date(2021, 1, 31), 2)
    assert run.figures.filter(target__code="T4").exists()
    assert take_deadline_snapshots() == []


def test_recompute_computes_an_open_run_once(county):
    run = snapshots.snapshot_run_create(as_of=date(2021, 6, 30), kind=SnapshotKind.ON_DEMAND)
    assert recompute_snapshot.delay(run.pk).get() == run.pk
    run.refresh_from_db()
    assert (run.status, run.done, run.total) == ("done", 3, 3)
    count = run.figures.count()
    # Delivered again: nothing recomputed, nothing added.
    assert recompute_snapshot(run.pk) is None
    assert run.figures.count() == count
    assert recompute_snapshot(999999) is None


def test_beat_schedule_is_stored_by_migration():
    daily = PeriodicTask.objects.get(task="reports.tasks.take_daily_snapshot")
    assert daily.enabled
    assert (daily.crontab.hour, daily.crontab.minute) == ("1", "10")
    assert str(daily.crontab.timezone) == "Asia/Shanghai"
    deadline = PeriodicTask.objects.get(task="reports.tasks.take_deadline_snapshots")
    assert (deadline.crontab.hour, deadline.crontab.minute) == ("1", "20")


# --- Delivered again after the worker died mid-run (acks late) -------------------------------
# A worker killed while computing leaves its run "running" with the task's id on it, and the
# broker delivers the same task (same id) again. The real kill is exercised by the CI stack
# script; here the run is left in the state such a worker leaves it.


def interrupted(as_of: date, kind: str, task_id: str) -> SnapshotRun:
    run = snapshots.snapshot_run_create(as_of=as_of, kind=kind, task_id=task_id)
    SnapshotRun.objects.filter(pk=run.pk).record_progress(
        status=SnapshotStatus.RUNNING, done=1, total=3
    )
    return run


def test_daily_snapshot_delivered_again_finishes_the_run_it_started(county):
    run = interrupted(date(2021, 6, 30), SnapshotKind.DAILY, task_id="daily-1")

    assert take_daily_snapshot.apply(args=["2021-06-30"], task_id="daily-1").get() == run.pk

    run.refresh_from_db()
    assert (run.status, run.done, run.total) == ("done", 3, 3)
    assert run.figures.exists()
    # Another send of the task (beat's next day, a second beat) finds the day stored.
    assert take_daily_snapshot.apply(args=["2021-06-30"], task_id="daily-2").get() is None
    assert SnapshotRun.objects.count() == 1


def test_a_running_daily_run_of_another_task_is_left_to_it(county):
    run = interrupted(date(2021, 6, 30), SnapshotKind.DAILY, task_id="daily-1")

    assert take_daily_snapshot.apply(args=["2021-06-30"], task_id="daily-2").get() is None

    run.refresh_from_db()
    assert run.status == "running"


def test_recompute_delivered_again_computes_the_run_to_the_end(county):
    run = interrupted(date(2021, 6, 30), SnapshotKind.ON_DEMAND, task_id="recompute-1")

    # Another task id (not a redelivery) leaves a running run alone…
    assert recompute_snapshot.apply(args=[run.pk], task_id="recompute-2").get() is None
    # …the same task delivered again takes it to the end.
    assert recompute_snapshot.apply(args=[run.pk], task_id="recompute-1").get() == run.pk

    run.refresh_from_db()
    assert (run.status, run.done) == ("done", 3)
    assert run.figures.count() > 0


def test_deadline_snapshots_delivered_again_finish_their_run_and_add_none(county):
    run = interrupted(date(2021, 1, 31), SnapshotKind.DEADLINE, task_id="deadline-1")

    run_ids = take_deadline_snapshots.apply(task_id="deadline-1").get()

    assert run.pk in run_ids and len(run_ids) == 3
    assert SnapshotRun.objects.filter(as_of=date(2021, 1, 31)).count() == 1
    assert SnapshotRun.objects.get(pk=run.pk).status == "done"
    assert take_deadline_snapshots.apply(task_id="deadline-2").get() == []
