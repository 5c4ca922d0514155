"""Snapshots of the target figures: services (writes) and reads.

First version: reads compute live until the snapshot models land.
"""

from datetime import date

from . import statistics
from .models import Target


def dashboard_figures(day: date) -> list[statistics.TargetFigures]:
    """Figures of every target as of ``day``: from the latest stored snapshot of that day when
    one exists, else computed live."""
    return statistics.compute_all(day)


def trend(target: Target, *, town: str | None = None) -> list[tuple[date, statistics.Figure]]:
    """One point per stored snapshot date (latest version of each), oldest first.
    ``town`` is a town name as used in ``TargetFigures.by_town``; None means county-wide."""
    return []
