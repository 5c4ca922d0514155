"""The snapshots the demo county's history implies (issue 12, "The demo shows every panel"):
the figures as the bureau's scheduled tasks would have frozen them, so that the dashboard's
trend panels have points on first run.

Taken with the snapshot service itself (``reports.snapshots.snapshot_take``): one deadline
snapshot per target deadline already past (what ``reports.tasks.take_deadline_snapshots``
stores), and one daily snapshot per month-end since January 2021 — the month-ends of the daily
snapshots beat takes every night (``take_daily_snapshot``), which the demo thins to one a
month. Only days that have ended: a day still in progress would freeze figures that later
filings of the same day change (the daily task's own rule). Made last, after the whole
history, so that each snapshot replays the county as it was on its date."""

from datetime import date, timedelta

from reports.models import SnapshotKind, Target
from reports.snapshots import snapshot_take

FIRST_MONTH = date(2021, 1, 1)


def month_ends(first: date, before: date) -> list[date]:
    """The last day of each month from ``first``'s month on, each earlier than ``before``."""
    ends, month = [], first.replace(day=1)
    while True:
        following = (month + timedelta(days=32)).replace(day=1)
        end = following - timedelta(days=1)
        if end >= before:
            return ends
        ends.append(end)
        month = following


def snapshot_dates(today: date) -> dict[date, str]:
    """Each date to freeze before ``today`` with the kind of its snapshot: target deadlines as
    deadline snapshots (a deadline that is also a month-end is stored once, as a deadline),
    month-ends as daily snapshots."""
    dates = {day: SnapshotKind.DAILY for day in month_ends(FIRST_MONTH, today)}
    for deadline in Target.objects.filter(deadline__lt=today).values_list("deadline", flat=True):
        dates[deadline] = SnapshotKind.DEADLINE
    return dict(sorted(dates.items()))


def take_history_snapshots(today: date) -> int:
    """Store the snapshots of :func:`snapshot_dates`; returns how many were taken."""
    dates = snapshot_dates(today)
    for day, kind in dates.items():
        snapshot_take(as_of=day, kind=kind)
    return len(dates)
