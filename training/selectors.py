"""Role-scoped reads of training, and the training lists' cached figures (issue 15 §1)."""

import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from cqo_registry import versioned_cache
from cqo_registry.accounts import access
from enterprises.selectors import person_list

from . import signals
from .models import TrainingAttendance, TrainingSession


def session_list(user) -> QuerySet[TrainingSession]:
    """Sessions are announcements: every signed-in role may see them."""
    if not access.role_of(user):
        return TrainingSession.objects.none()
    return TrainingSession.objects.all()


def attendance_list(user) -> QuerySet[TrainingAttendance]:
    queryset = TrainingAttendance.objects.select_related("session", "person")
    if access.sees_whole_county(user):
        return queryset
    return queryset.filter(person__in=person_list(user))


def scope_key(user) -> str:
    """What a cached figure of a training list is shared by: the whole county (bureau and
    leaders), one town (its officers), else the user alone (never shared)."""
    if access.sees_whole_county(user):
        return "county"
    if access.is_town_officer(user):
        return f"town:{user.town_id}"
    return f"user:{user.pk}"


def cache_key(parts: list, version: str | None = None) -> str:
    """The cache key of a training list's figure: ``parts`` (JSON-serialisable) under the
    lists' data version ``version`` — read now (``signals.lists_version``, a cache read)
    when not given: a page that makes several keys reads it once and passes it."""
    if version is None:
        version = signals.lists_version()
    text = json.dumps([version, *parts], ensure_ascii=False, default=str)
    return "training:lists:" + hashlib.sha256(text.encode()).hexdigest()


def cached(parts: list, compute: Callable[[], Any], version: str | None = None) -> Any:
    """``compute()``, kept in the cache under ``parts`` (JSON-serialisable: the list, the
    date, ``scope_key``, the filters …) and the lists' data version (``signals``), so that
    any write they are counted from makes the next read compute again. The version is read
    before computing: a write committed meanwhile leaves the entry under the old version.
    ``version``: as :func:`cache_key` takes it."""
    key = cache_key(parts, version)
    value = versioned_cache.get(key)
    if value is None:
        value = compute()
        versioned_cache.set(key, value, signals.CACHE_SECONDS)
    return value


def _count_of(attendances):
    """How many rows of ``attendances`` (correlated to a session by ``OuterRef("pk")``), as an
    integer annotation (0 when none)."""
    return Coalesce(
        Subquery(
            attendances.order_by().values("session").annotate(n=Count("*")).values("n")[:1],
            output_field=IntegerField(),
        ),
        0,
    )


def _attendances_seen_by(user, attendances):
    if access.sees_whole_county(user):
        return attendances
    # A town officer's counts are of their own town's CQOs only.
    return attendances.filter(person__in=person_list(user))


def session_count_annotations(user) -> dict:
    """``enrolled`` and ``passed_count`` per session, as annotations of sessions: correlated
    subqueries, which PostgreSQL evaluates for a page's rows only, after the sort and the
    limit (a join grouped over every attendance read all 150,000 of them); scoped like
    :func:`session_counts`."""
    attendances = _attendances_seen_by(
        user, TrainingAttendance.objects.filter(session=OuterRef("pk"))
    )
    return {
        "enrolled": _count_of(attendances),
        "passed_count": _count_of(attendances.filter(passed=True)),
    }


def session_counts(user, session_ids: list[int]) -> dict[int, tuple[int, int]]:
    """``{session id: (enrolled, passed)}`` for every id of ``session_ids`` — of every
    attendance for the county's readers, of the user's own town's (or enterprise's) persons
    for others. One grouped query over those sessions' attendances."""
    attendances = _attendances_seen_by(
        user, TrainingAttendance.objects.filter(session__in=session_ids)
    )
    grouped = (
        attendances.order_by()
        .values("session")
        .annotate(enrolled=Count("pk"), passed=Count("pk", filter=Q(passed=True)))
        .values_list("session", "enrolled", "passed")
    )
    counts = {session: (enrolled, passed) for session, enrolled, passed in grouped}
    return {pk: counts.get(pk, (0, 0)) for pk in session_ids}
