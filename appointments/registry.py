"""The registry's date rules (SPEC §2 and §3), each written once.

Every page, export, reminder, report and statistic that asks "was this enterprise active
at D", "did it have a filed CQO at D", "is it vacant, since when" or "is that vacancy
overdue" asks it here, so that no two of them can disagree. They are query expressions
(``Q``, ``Exists``, annotations), so the database answers them for a whole list at once;
the statistics engine (``reports.statistics``) builds its figures from the same ``Q``.

The module sits in the appointments domain because a vacancy is defined by appointments;
``enterprises``, ``training``, ``reports`` and the reminders import it from here (apps
import downward only, see ``docs/architecture.md``).
"""

from datetime import date, timedelta

from django.conf import settings
from django.db.models import DateField, Exists, Max, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Greatest, Least, TruncDate

from enterprises.models import Enterprise

from .models import CQO_POST, Appointment


def active_on(day: date, prefix: str = "") -> Q:
    """SPEC §3 *active at D*: "``established_on`` is empty or ≤ D, and ``deregistered_on``
    is empty or > D" — established on D is active, deregistered on D is not.

    ``prefix`` is the path to the enterprise from the queried model (``"enterprise__"`` for
    appointments). Returns a ``Q`` to filter or annotate with."""
    return (
        Q(**{f"{prefix}established_on__isnull": True}) | Q(**{f"{prefix}established_on__lte": day})
    ) & (
        Q(**{f"{prefix}deregistered_on__isnull": True}) | Q(**{f"{prefix}deregistered_on__gt": day})
    )


def filed_current_on(day: date, prefix: str = "", post: str | None = CQO_POST) -> Q:
    """SPEC §3 *filed current appointment at D*: "its filing was approved on or before D,
    ``appointed_on`` ≤ D, and ``ended_on`` is empty or > D" (``filed_on`` is the approval
    date of its appoint/change filing, SPEC §2 "counts as filed once … approved"). Approved
    after D is not filed at D; an appointment that ended on D is not current on D.

    ``prefix`` is the path to the appointment from the queried model. ``post``: the code of
    the post (issue 19) — the CQO's by default, which is what SPEC §2–§3 mean; ``None`` for
    an appointment to any post. Returns a ``Q``."""
    of_post = Q(**{f"{prefix}post": post}) if post is not None else Q()
    return (
        of_post
        & Q(**{f"{prefix}filed_on__lte": day})
        & Q(**{f"{prefix}appointed_on__lte": day})
        & (Q(**{f"{prefix}ended_on__isnull": True}) | Q(**{f"{prefix}ended_on__gt": day}))
    )


def filed_cqo_enterprise_ids(day: date) -> QuerySet:
    """The ids of enterprises with a filed current CQO appointment at ``day`` (SPEC §3), as a
    subquery for ``pk__in``: PostgreSQL runs it once and probes a hash per row, the right
    shape for counting over the whole county."""
    return Appointment.objects.filter(filed_current_on(day)).values("enterprise_id")


def has_filed_cqo(day: date) -> Exists:
    """Per row of enterprises: whether it has a filed current appointment at ``day`` (SPEC
    §3) — the correlated form of :func:`filed_cqo_enterprise_ids`, which a list filtered to
    a town, or 50 rows of a page, serves better (an anti/semi-join or an index probe)."""
    return Exists(Appointment.objects.filter(filed_current_on(day), enterprise=OuterRef("pk")))


def vacant_since(day: date):
    """SPEC §2 *Vacancy* "from the day it entered the registry, or from the day its CQO's
    appointment ended (§3.6)", as an expression on enterprises (a ``DateField``).

    For an enterprise vacant at D: the later of (a) the day the registry knows it existed —
    its ``established_on`` when the record has one, else the day the record was created (in
    the current time zone) — and (b) the ``ended_on`` of its last filed appointment that
    ended on or before D; never later than D. Days vacant = D − vacant since. Enterprise
    attributes are taken as they are now (SPEC §3), so there is no "since it started to
    require a CQO". Only meaningful on rows that are vacant at D (:func:`vacant_enterprises`).
    """
    last_end = (
        Appointment.objects.filter(
            enterprise=OuterRef("pk"), post=CQO_POST, filed_on__lte=day, ended_on__lte=day
        )
        .order_by()
        .values("enterprise")
        .annotate(last=Max("ended_on"))
        .values("last")
    )
    known_from = Coalesce("established_on", TruncDate("created_at"), output_field=DateField())
    # Every part is coalesced because SQLite's MAX() of a NULL is NULL.
    since = Greatest(
        known_from,
        Coalesce(Subquery(last_end, output_field=DateField()), known_from),
        output_field=DateField(),
    )
    return Least(since, Value(day, output_field=DateField()), output_field=DateField())


def days_vacant(since: date, day: date) -> int:
    """Days vacant at ``day`` of a vacancy that began on ``since`` (SPEC §2): D − vacant
    since, in whole days (0 for a vacancy that began on D)."""
    return (day - since).days


def vacant_enterprises(day: date, *, per_row: bool = False) -> QuerySet[Enterprise]:
    """SPEC §2 *Vacancy*: enterprises active at ``day`` that require a CQO and have no filed
    current appointment at ``day``, annotated ``vacancy_start`` (:func:`vacant_since`).
    Above-scale enterprises always require one (a database constraint), so this is exactly
    the "missing" of T1 and T2 together.

    The mark is ``NOT EXISTS`` (:func:`has_filed_cqo`) in every use — an anti-join when
    counting the whole county (a hash that spills to disk in batches past ``work_mem``), an
    index probe for one enterprise or a page. Never ``NOT IN (subquery)``: PostgreSQL hashes
    that list only while it fits in ``work_mem`` and past it rescans it for every enterprise
    (issue 11; at 1,000,000 enterprises the dashboard's vacancy count ran past ten minutes).
    ``per_row`` is kept for callers that ask for the per-row form; both are the same now.
    """
    return (
        Enterprise.objects.filter(active_on(day), requires_cqo=True)
        .filter(~has_filed_cqo(day))
        .annotate(vacancy_start=vacant_since(day))
    )


def overdue_before(day: date) -> date:
    """SPEC §2 "Vacancies older than the limit are overdue": a vacancy that began before the
    returned day is overdue at ``day`` (the limit is ``CQO_VACANCY_LIMIT_DAYS``, default 30;
    a vacancy exactly the limit old is not yet overdue)."""
    return day - timedelta(days=settings.CQO_VACANCY_LIMIT_DAYS)


def overdue(day: date) -> Q:
    """On rows of :func:`vacant_enterprises`: the vacancy is overdue at ``day``."""
    return Q(vacancy_start__lt=overdue_before(day))


def is_overdue(since: date, day: date) -> bool:
    """The Python form of :func:`overdue` for one vacancy that began on ``since``."""
    return since < overdue_before(day)
