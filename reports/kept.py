"""What the dashboards and drill-downs read before their figures — the snapshot of a day, the
targets with their posts, a stored figure, a dashboard's cache key — kept per process under the
data version ``figures`` (issue 15 §1).

Those reads are a handful of small ORM queries on every page (a fifth of a dashboard's CPU),
for rows that change only when a snapshot is taken or a target, post or town is edited. The
database moves the version on every write to those tables, however made
(``cqo_registry.data_version``: ``WATCHED[FIGURES]``), so a kept value is used only while
nothing it was read from has changed. A page reads the version once (one plain query) through
its :class:`FiguresRead`.

Only pages that write nothing to those tables use it (the dashboards and the drill-down's list,
count and export are GETs; see ``KeptPerVersion``), and the values are shared by every request
of the process: model instances here must not be changed by a caller.
"""

from collections.abc import Callable, Hashable

from cqo_registry import data_version
from cqo_registry.accounts import access
from enterprises.models import Town

from .models import SnapshotRun

_KEPT = data_version.KeptPerVersion()


def towns_in_order() -> list[tuple]:
    """Every town as ``(pk, code, name)``, in the lists' order (code, name, pk). One query."""
    return list(Town.objects.order_by("code", "name", "pk").values_list("pk", "code", "name"))


class FiguresRead:
    """One request's reads of the figures' tables, kept per process while the data version
    ``figures`` of the database they are read from stands. The version is read once, when
    first needed."""

    def __init__(self):
        self.db = SnapshotRun.objects.db  # where the ORM reads the snapshots from
        self._version: str | None = None

    @property
    def version(self) -> str:
        if self._version is None:
            self._version = data_version.current_version(data_version.FIGURES, using=self.db)
        return self._version

    def get(self, key: Hashable, compute: Callable[[], object]):
        """The value kept for ``key`` (a tuple naming everything ``compute`` reads besides
        the watched tables: a day, a code, the language…), or ``compute()``, kept."""
        return _KEPT.get(self.version, (self.db, key), compute)

    def snapshot_for(self, day):
        """``reports.snapshots.snapshot_for(day)``: the latest finished snapshot of ``day``,
        or ``None``."""
        from .snapshots import snapshot_for  # snapshots reads the selectors: imported late

        return self.get(("snapshot_for", day), lambda: snapshot_for(day))

    def towns_in_order(self) -> list[tuple]:
        """:func:`towns_in_order`, kept."""
        return self.get(("towns",), towns_in_order)

    def town_choices(self, user, towns) -> list[tuple] | None:
        """``towns`` (the towns ``user`` may pick in a drill-down's filter:
        ``enterprises.selectors.town_list``) as ``(pk, name)`` in their order, kept for the
        county's roles and for each town officer's town; ``None`` for anyone else (read them
        yourself: an enterprise's towns follow its own row, which this version does not
        watch)."""
        if access.sees_whole_county(user):
            scope = "county"
        elif access.is_town_officer(user):
            scope = ("town", user.town_id)
        else:
            return None
        return self.get(("town choices", scope), lambda: list(towns.values_list("pk", "name")))
