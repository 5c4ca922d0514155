"""The statistics engine: each target's population, counted and rate as of any date D,
county-wide, per town and per industry section — exactly as SPEC §3 defines them.

Every figure is computed by the database (filtered aggregates grouped by town or section);
nothing loops over enterprises in Python, so a date can be replayed at province scale.

* active at D: ``established_on`` empty or ≤ D, and ``deregistered_on`` empty or > D;
* filed current appointment at D: ``filed_on`` ≤ D, ``appointed_on`` ≤ D, ``ended_on``
  empty or > D (``filed_on`` is the approval date of its appoint/change filing);
* trained at D: a passed attendance of a session that ended on or before D;
* rate = counted / population, ``None`` when the population is 0.
"""

from dataclasses import dataclass, field
from datetime import date

from django.db.models import BooleanField, Count, ExpressionWrapper, Q, QuerySet

from appointments.models import Appointment
from enterprises.models import Enterprise, Scale, Town
from training.models import TrainingAttendance

from .models import Criterion, Population, Target


@dataclass(frozen=True)
class Figure:
    population: int
    counted: int

    @property
    def rate(self) -> float | None:
        return self.counted / self.population if self.population else None


@dataclass
class TargetFigures:
    target: Target
    as_of: date
    total: Figure
    by_town: dict[str, Figure] = field(default_factory=dict)
    by_industry: dict[str, Figure] = field(default_factory=dict)

    @property
    def met(self) -> bool:
        rate = self.total.rate
        return rate is not None and rate >= float(self.target.goal_rate)


def active_on(day: date, prefix: str = "") -> Q:
    return (
        Q(**{f"{prefix}established_on__isnull": True}) | Q(**{f"{prefix}established_on__lte": day})
    ) & (
        Q(**{f"{prefix}deregistered_on__isnull": True}) | Q(**{f"{prefix}deregistered_on__gt": day})
    )


def filed_current_on(day: date, prefix: str = "") -> Q:
    return (
        Q(**{f"{prefix}filed_on__lte": day})
        & Q(**{f"{prefix}appointed_on__lte": day})
        & (Q(**{f"{prefix}ended_on__isnull": True}) | Q(**{f"{prefix}ended_on__gt": day}))
    )


def enterprise_population(population: str, day: date) -> QuerySet[Enterprise]:
    queryset = Enterprise.objects.filter(active_on(day))
    if population == Population.ABOVE_SCALE:
        return queryset.filter(scale=Scale.ABOVE)
    if population == Population.SME_REQUIRED:
        return queryset.filter(scale__in=[Scale.SME, Scale.MICRO], requires_cqo=True)
    raise ValueError(f"not an enterprise population: {population}")


def _flag(condition: Q) -> ExpressionWrapper:
    return ExpressionWrapper(condition, output_field=BooleanField())


# The marks below are ``pk IN (subquery)`` rather than correlated EXISTS: PostgreSQL runs
# the subquery once and probes a hash per row, which is what keeps a province-wide date
# replay within its time goal (bench/RESULTS.md).


def enterprises_with_filed_cqo(queryset: QuerySet[Enterprise], day: date):
    with_cqo = Appointment.objects.filter(filed_current_on(day)).values("enterprise_id")
    return queryset.annotate(has_filed_cqo=_flag(Q(pk__in=with_cqo)))


def cqo_appointments(day: date) -> QuerySet[Appointment]:
    """Filed current appointments at ``day`` in enterprises active at ``day``, each marked
    with whether its person was trained by then (T3's population is their distinct persons)."""
    passed = TrainingAttendance.objects.filter(passed=True, session__ends_on__lte=day)
    return (
        Appointment.objects.filter(filed_current_on(day))
        .filter(active_on(day, prefix="enterprise__"))
        .annotate(trained=_flag(Q(person_id__in=passed.values("person_id"))))
    )


def _grouped(rows, key: str) -> dict[str, Figure]:
    return {row[key]: Figure(row["population"], row["counted"]) for row in rows}


def compute_target(target: Target, day: date) -> TargetFigures:
    if target.population == Population.FILED_CQOS:
        queryset = cqo_appointments(day)
        population = Count("person", distinct=True)
        counted = Count("person", distinct=True, filter=Q(trained=True))
        town_key, industry_key = "enterprise__town__name", "enterprise__industry"
    else:
        queryset = enterprises_with_filed_cqo(enterprise_population(target.population, day), day)
        population = Count("pk")
        counted = Count("pk", filter=Q(has_filed_cqo=True))
        town_key, industry_key = "town__name", "industry"
    total = queryset.aggregate(population=population, counted=counted)
    by_town = queryset.values(town_key).order_by().annotate(population=population, counted=counted)
    by_industry = (
        queryset.values(industry_key).order_by().annotate(population=population, counted=counted)
    )
    return TargetFigures(
        target=target,
        as_of=day,
        total=Figure(total["population"], total["counted"]),
        by_town=_grouped(by_town, town_key),
        by_industry=_grouped(by_industry, industry_key),
    )


def compute_all(day: date, targets=None) -> list[TargetFigures]:
    targets = list(targets if targets is not None else Target.objects.all())
    return [compute_target(target, day) for target in targets]


def as_json(day: date, results: list[TargetFigures]) -> dict:
    """The JSON object of SPEC §5 (``target_stats --format json``). Every town of the county
    is listed (a town with no population has rate null); industry sections are listed where
    the target has a population."""
    towns = list(Town.objects.order_by("code", "name").values_list("name", flat=True))

    def figure(fig: Figure) -> dict:
        return {"population": fig.population, "counted": fig.counted, "rate": fig.rate}

    return {
        "as_of": day.isoformat(),
        "targets": [
            {
                "code": result.target.code,
                "deadline": result.target.deadline.isoformat(),
                **figure(result.total),
                "by_town": [
                    {"town": name, **figure(result.by_town.get(name, Figure(0, 0)))}
                    for name in towns
                ],
                "by_industry": [
                    {"industry": section, **figure(result.by_industry[section])}
                    for section in sorted(result.by_industry)
                ],
            }
            for result in results
        ],
    }


__all__ = ["Criterion", "Figure", "TargetFigures", "compute_all", "compute_target", "as_json"]
