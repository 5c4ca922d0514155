"""The dashboards' reads (SPEC §6): each target's figures for a town, and the other
indicators — principal-as-CQO share, late filings, vacancies — live, per town or summed.

The sets the indicators count are the ones their drill-down lists are read from
(``reports.selectors.drilldown``), so a figure and the list behind it cannot differ.
"""

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db.models import Count, Q, QuerySet, Value

from appointments.models import Appointment, Filing
from appointments.registry import active_on, filed_current_on, overdue_before, vacant_enterprises
from enterprises.models import Town

from .. import statistics
from ..models import Criterion

# --- The sets behind the dashboard's other indicators ---------------------------------------


def current_cqo_appointments(day: date) -> QuerySet[Appointment]:
    """The principal share's set: the filed current appointments at ``day`` in enterprises
    active at ``day`` — the engine's ``cqo_appointments`` without its training mark. The
    dashboard's figure and the list behind it are both read from here."""
    return Appointment.objects.filter(filed_current_on(day)).filter(
        active_on(day, prefix="enterprise__")
    )


def submitted_filings(day: date, *, year: int | None = None) -> QuerySet[Filing]:
    """The late-filing figures' set: filings submitted up to ``day`` (in the current time
    zone), or only those submitted in ``year``. The dashboard's figures and the lists behind
    them are both read from here."""
    queryset = Filing.objects.filter(submitted_at__isnull=False, submitted_at__date__lte=day)
    if year is not None:
        queryset = queryset.filter(submitted_at__year=year)
    return queryset


# --- Figures for one town -------------------------------------------------------------------


def town_figures(day: date, town: Town, *, targets=None) -> list[statistics.TargetFigures]:
    """Each target's figures for one town (of ``targets`` only, when given: a dashboard shows
    one post's, issue 19), with that town's per-industry breakdown: the engine itself limited
    to the town (``statistics.compute_all(day, town=town)``; a fixed number of queries
    whatever the number of targets)."""
    return statistics.compute_all(day, targets, town=town)


# --- Dashboard indicators -------------------------------------------------------------------


@dataclass(frozen=True)
class Indicators:
    principal: statistics.Figure  # filed current appointments held by the principal / all
    late_in_year: statistics.Figure  # late filings / filings submitted in D's year up to D
    late_total: statistics.Figure  # late filings / all filings submitted up to D
    vacancies: int
    overdue_vacancies: int
    vacancy_limit_days: int


def _indicator_sources(day: date):
    """The three sets behind the indicators at ``day``, each with the lookup of its town —
    the sets the PRINCIPAL, LATE/LATE_ALL and VACANCY lists are read from."""
    return (
        (current_cqo_appointments(day), "enterprise__town"),
        (submitted_filings(day), "enterprise__town"),
        (vacant_enterprises(day), "town"),
    )


def _indicator_aggregates(day: date):
    in_year = Q(submitted_at__year=day.year)  # as submitted_filings(day, year=day.year)
    return (
        {"all": Count("pk"), "principal": Count("pk", filter=Q(is_principal=True))},
        {
            "year": Count("pk", filter=in_year),
            "year_late": Count("pk", filter=in_year & Q(is_late=True)),
            "all": Count("pk"),
            "all_late": Count("pk", filter=Q(is_late=True)),
        },
        {
            "all": Count("pk"),
            "overdue": Count("pk", filter=Q(vacancy_start__lt=Value(overdue_before(day)))),
        },
    )


def _indicators(principal, late, vacancy, limit_days) -> Indicators:
    return Indicators(
        principal=statistics.Figure(principal["all"], principal["principal"]),
        late_in_year=statistics.Figure(late["year"], late["year_late"]),
        late_total=statistics.Figure(late["all"], late["all_late"]),
        vacancies=vacancy["all"],
        overdue_vacancies=vacancy["overdue"],
        vacancy_limit_days=limit_days,
    )


def dashboard_indicators(day: date, *, town: Town | None = None) -> Indicators:
    """Principal-as-CQO share, late filings and vacancies at ``day``, computed live (three
    queries). The dashboards read them from the snapshot of ``day`` when there is one."""
    results = []
    for (queryset, town_field), aggregates in zip(
        _indicator_sources(day), _indicator_aggregates(day), strict=True
    ):
        if town is not None:
            queryset = queryset.filter(**{town_field: town})
        results.append(queryset.aggregate(**aggregates))
    return _indicators(*results, settings.CQO_VACANCY_LIMIT_DAYS)


def indicators_by_town(day: date) -> dict[int | None, Indicators]:
    """:func:`dashboard_indicators` of every town at once, keyed by town id (three grouped
    queries; every town is listed, with zeros where it has nothing) — and under ``None`` the
    enterprises that have no town yet (待完善, issue 17 §1), when there are any, so that the
    county's sum still holds every enterprise."""
    empty = (
        {"all": 0, "principal": 0},
        {"year": 0, "year_late": 0, "all": 0, "all_late": 0},
        {"all": 0, "overdue": 0},
    )
    grouped = []
    for (queryset, town_field), aggregates in zip(
        _indicator_sources(day), _indicator_aggregates(day), strict=True
    ):
        rows = queryset.order_by().values(town_field).annotate(**aggregates)
        grouped.append({row.pop(town_field): row for row in rows})
    return {
        town_id: _indicators(
            *(parts.get(town_id, zero) for parts, zero in zip(grouped, empty, strict=True)),
            settings.CQO_VACANCY_LIMIT_DAYS,
        )
        for town_id in [
            *Town.objects.values_list("pk", flat=True),
            *([None] if any(None in parts for parts in grouped) else []),
        ]
    }


def sum_indicators(parts) -> Indicators:
    """The county's indicators as the sum of its towns' (and of the enterprises without a
    town yet: see :func:`indicators_by_town`)."""
    parts = list(parts)

    def total(attr):
        return statistics.Figure(
            sum(getattr(p, attr).population for p in parts),
            sum(getattr(p, attr).counted for p in parts),
        )

    return Indicators(
        principal=total("principal"),
        late_in_year=total("late_in_year"),
        late_total=total("late_total"),
        vacancies=sum(p.vacancies for p in parts),
        overdue_vacancies=sum(p.overdue_vacancies for p in parts),
        vacancy_limit_days=settings.CQO_VACANCY_LIMIT_DAYS,
    )


def training_coverage(results: list[statistics.TargetFigures]) -> statistics.TargetFigures | None:
    """Training coverage is the figure of the (first) target whose criterion is training."""
    return next((r for r in results if r.target.criterion == Criterion.TRAINED), None)
