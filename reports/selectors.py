"""Role-scoped reads for the dashboards and "explain this number" (SPEC §6).

The lists behind a figure are built from the statistics engine's own querysets and Q
builders (``reports.statistics``), so the list behind a number is by construction the same
set as the number: ``len(counted rows) == figure.counted`` and ``len(all rows) ==
figure.population`` for any target, date, town and industry section.

Every function here runs a fixed number of queries, whatever the size of the data.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db.models import (
    BooleanField,
    Count,
    DateField,
    Exists,
    ExpressionWrapper,
    F,
    Max,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, Greatest, TruncDate
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from appointments.models import Appointment, Filing
from cqo_registry.accounts import access
from enterprises.models import Enterprise, Person, Town
from training.models import TrainingAttendance

from . import statistics
from .models import Criterion, Population, Target

# The drill-down of vacancies (SPEC §2) is not a target but is explained the same way:
# its "population" is every vacant enterprise, "counted" the overdue ones.
VACANCY_CODE = "VACANCY"
# The dashboard's other indicators, explained the same way. PRINCIPAL: the filed current
# appointments at D, "counted" those held by the enterprise's principal (主要负责人兼任).
# LATE: the filings submitted in D's year up to D, "counted" the late ones; LATE_ALL: every
# filing submitted up to D (the dashboard's cumulative late figure).
PRINCIPAL_CODE = "PRINCIPAL"
LATE_CODE = "LATE"
LATE_ALL_CODE = "LATE_ALL"

SHOW_COUNTED, SHOW_MISSING, SHOW_ALL = "counted", "missing", "all"


@dataclass(frozen=True)
class Explained:
    """What a drill-down code stands for."""

    code: str
    name: str
    # "enterprises", "persons", "vacancies", "principals" (appointments) or "filings"
    kind: str
    target: Target | None = None
    cumulative: bool = False  # filings: every year up to D, not only D's year

    @property
    def counted_label(self):
        return {
            "enterprises": _("已备案"),
            "persons": _("已培训合格"),
            "vacancies": _("逾期空缺"),
            "principals": _("主要负责人兼任"),
            "filings": _("逾期报送"),
        }[self.kind]

    @property
    def missing_label(self):
        return {
            "enterprises": _("未备案"),
            "persons": _("未培训合格"),
            "vacancies": _("未逾期空缺"),
            "principals": _("非主要负责人"),
            "filings": _("按时报送"),
        }[self.kind]

    @property
    def is_indicator(self) -> bool:
        """Rows are appointments or filings (the dashboard's other indicators)."""
        return self.kind in ("principals", "filings")


def explained_for_code(code: str) -> Explained:
    """The target (or the vacancy, principal or late-filing list) a drill-down code names;
    404 for an unknown code."""
    if code == VACANCY_CODE:
        return Explained(code=code, name=str(_("首席质量官空缺企业")), kind="vacancies")
    if code == PRINCIPAL_CODE:
        return Explained(code=code, name=str(_("主要负责人兼任首席质量官")), kind="principals")
    if code == LATE_CODE:
        return Explained(code=code, name=str(_("当年逾期报送备案")), kind="filings")
    if code == LATE_ALL_CODE:
        return Explained(
            code=code, name=str(_("累计逾期报送备案")), kind="filings", cumulative=True
        )
    target = Target.objects.filter(code=code).first()
    if target is None:
        raise Http404
    kind = "persons" if target.population == Population.FILED_CQOS else "enterprises"
    return Explained(code=target.code, name=target.name, kind=kind, target=target)


# --- Vacancies ------------------------------------------------------------------------------


def vacancy_start(day: date):
    """When an enterprise's vacancy began, as seen at ``day``: the latest of the day it entered
    the registry, its establishment date and the end of its last filed appointment (§3.6).
    Every part is coalesced because SQLite's MAX() of a NULL is NULL."""
    last_end = (
        Appointment.objects.filter(enterprise=OuterRef("pk"), filed_on__lte=day, ended_on__lte=day)
        .order_by()
        .values("enterprise")
        .annotate(last=Max("ended_on"))
        .values("last")
    )
    entered = TruncDate("created_at")
    return Greatest(
        entered,
        Coalesce("established_on", entered),
        Coalesce(Subquery(last_end, output_field=DateField()), entered),
        output_field=DateField(),
    )


def has_filed_cqo(day: date) -> Exists:
    """Per row of enterprises: whether it has a filed current appointment at ``day`` — the
    engine's mark (``statistics.enterprises_with_filed_cqo``) in its correlated form. The
    engine's ``pk IN (…)`` hashes every filed appointment once, which is right for a figure
    over the whole county; a list filtered to a town, or 50 rows of a page, is served better
    by an anti/semi-join or an index probe per row, which this form lets PostgreSQL choose."""
    return Exists(
        Appointment.objects.filter(statistics.filed_current_on(day), enterprise=OuterRef("pk"))
    )


def vacant_enterprises(day: date, *, per_row: bool = False) -> QuerySet[Enterprise]:
    """Enterprises active at ``day`` that require a CQO and have no filed current appointment,
    annotated with ``vacancy_start``. Above-scale enterprises always require one, so this is
    exactly the "missing" of T1 and T2 together. ``per_row``: the correlated form of the mark
    (:func:`has_filed_cqo`), for lists; the engine's form otherwise, for counting them all."""
    queryset = Enterprise.objects.filter(statistics.active_on(day), requires_cqo=True)
    if per_row:
        queryset = queryset.filter(~has_filed_cqo(day))
    else:
        queryset = statistics.enterprises_with_filed_cqo(queryset, day).filter(has_filed_cqo=False)
    return queryset.annotate(vacancy_start=vacancy_start(day))


def overdue_before(day: date) -> date:
    """A vacancy that began before this day is older than the limit at ``day``."""
    return day - timedelta(days=settings.CQO_VACANCY_LIMIT_DAYS)


# --- The sets behind the dashboard's other indicators ---------------------------------------


def current_cqo_appointments(day: date) -> QuerySet[Appointment]:
    """The principal share's set: the filed current appointments at ``day`` in enterprises
    active at ``day`` — the engine's ``cqo_appointments`` without its training mark. The
    dashboard's figure and the list behind it are both read from here."""
    return Appointment.objects.filter(statistics.filed_current_on(day)).filter(
        statistics.active_on(day, prefix="enterprise__")
    )


def submitted_filings(day: date, *, year: int | None = None) -> QuerySet[Filing]:
    """The late-filing figures' set: filings submitted up to ``day`` (in the current time
    zone), or only those submitted in ``year``. The dashboard's figures and the lists behind
    them are both read from here."""
    queryset = Filing.objects.filter(submitted_at__isnull=False, submitted_at__date__lte=day)
    if year is not None:
        queryset = queryset.filter(submitted_at__year=year)
    return queryset


def _indicator_set(explained: Explained, day: date) -> QuerySet:
    """The rows behind an indicator, each annotated ``counted``."""
    if explained.kind == "principals":
        return current_cqo_appointments(day).annotate(counted=F("is_principal"))
    year = None if explained.cumulative else day.year
    return submitted_filings(day, year=year).annotate(counted=F("is_late"))


def _indicator_display(queryset: QuerySet, explained: Explained) -> QuerySet:
    """The display columns of indicator rows (their enterprise, town and person)."""
    if explained.kind == "principals":
        return queryset.select_related("enterprise__town", "person")
    return queryset.select_related("enterprise__town", "appointment__person").annotate(
        submitted_on=TruncDate("submitted_at")
    )


def _indicator_rows(
    explained: Explained, day: date, *, user, town_id=None, industry="", search=""
) -> QuerySet:
    queryset = access.scope(
        _indicator_set(explained, day), user, town_field="enterprise__town", enterprise_field=None
    )
    if town_id:
        queryset = queryset.filter(enterprise__town=town_id)
    if industry:
        queryset = queryset.filter(enterprise__industry=industry)
    if search:
        found = Q(enterprise__name__icontains=search) | Q(
            enterprise__uscc__iexact=search.strip().upper()
        )
        if explained.kind == "principals":
            found |= Q(person__name__icontains=search)
        else:
            found |= Q(appointment__person__name__icontains=search) | Q(
                number__iexact=search.strip()
            )
        queryset = queryset.filter(found)
    queryset = _indicator_display(queryset, explained)
    if explained.kind == "principals":
        return queryset.order_by(
            "enterprise__town__code", "enterprise__town__name", "enterprise__name", "pk"
        )
    return queryset.order_by("-submitted_at", "-pk")


# --- The lists behind a figure --------------------------------------------------------------


def _current_cqo(day: date, field: str):
    current = Appointment.objects.filter(
        statistics.filed_current_on(day), enterprise=OuterRef("pk")
    ).order_by("-appointed_on")
    return Subquery(current.values(field)[:1])


def _enterprise_rows(explained: Explained, day: date) -> QuerySet[Enterprise]:
    if explained.kind == "vacancies":
        queryset = vacant_enterprises(day, per_row=True).annotate(
            counted=ExpressionWrapper(
                Q(vacancy_start__lt=overdue_before(day)), output_field=BooleanField()
            )
        )
    else:
        queryset = statistics.enterprise_population(explained.target.population, day).annotate(
            counted=has_filed_cqo(day), vacancy_start=vacancy_start(day)
        )
    return queryset.select_related("town").annotate(
        cqo_name=_current_cqo(day, "person__name"),
        cqo_appointed_on=_current_cqo(day, "appointed_on"),
    )


def _person_appointments(
    day: date, *, town_id=None, industry=None, search="", user=None
) -> QuerySet[Appointment]:
    """T3's appointments (the engine's ``cqo_appointments``) limited by the filters."""
    queryset = statistics.cqo_appointments(day)
    if user is not None:
        queryset = access.scope(
            queryset, user, town_field="enterprise__town", enterprise_field=None
        )
    if town_id:
        queryset = queryset.filter(enterprise__town=town_id)
    if industry:
        queryset = queryset.filter(enterprise__industry=industry)
    if search:
        queryset = queryset.filter(
            Q(person__name__icontains=search)
            | Q(enterprise__name__icontains=search)
            | Q(enterprise__uscc__iexact=search.strip().upper())
        )
    return queryset


def _person_rows(day: date, appointments: QuerySet[Appointment], counted=None) -> QuerySet[Person]:
    trained_on = (
        TrainingAttendance.objects.filter(
            person=OuterRef("pk"), passed=True, session__ends_on__lte=day
        )
        .order_by()
        .values("person")
        .annotate(first=Min("session__ends_on"))
        .values("first")
    )
    if counted is None:
        # The engine's own "trained" mark, read from the person's T3 appointments.
        counted = Exists(appointments.filter(person=OuterRef("pk"), trained=True))
    return Person.objects.filter(pk__in=appointments.values("person")).annotate(
        counted=counted, trained_on=Subquery(trained_on, output_field=DateField())
    )


def explain_rows(
    explained: Explained,
    day: date,
    *,
    user,
    town_id: int | None = None,
    industry: str = "",
    search: str = "",
) -> QuerySet:
    """The rows behind a figure, each annotated ``counted`` (bool), scoped to ``user`` —
    enterprises for T1/T2-like targets and vacancies, persons (with their enterprises) for
    T3-like targets, appointments for the principal share and filings for the late filings.
    ``show`` filtering is left to :func:`filter_show`."""
    if explained.is_indicator:
        return _indicator_rows(
            explained, day, user=user, town_id=town_id, industry=industry, search=search
        )
    if explained.kind == "persons":
        appointments = _person_appointments(
            day, town_id=town_id, industry=industry, search=search, user=user
        )
        return (
            _person_rows(day, appointments)
            .prefetch_related(
                Prefetch(
                    "appointments",
                    queryset=appointments.select_related("enterprise__town").order_by(
                        "enterprise__name"
                    ),
                    to_attr="current_appointments",
                )
            )
            .order_by("name", "pk")
        )
    queryset = access.scope(
        _enterprise_rows(explained, day), user, town_field="town", enterprise_field=None
    )
    if town_id:
        queryset = queryset.filter(town=town_id)
    if industry:
        queryset = queryset.filter(industry=industry)
    if search:
        queryset = queryset.filter(
            Q(name__icontains=search) | Q(uscc__iexact=search.strip().upper())
        )
    if explained.kind == "vacancies":
        return queryset.order_by("vacancy_start", "name", "pk")
    return queryset.order_by("town__code", "town__name", "name", "pk")


def explain_keys(rows: QuerySet, show: str) -> QuerySet:
    """The primary keys of the rows behind a figure, in list order, filtered by ``show``: what a
    page of the list is cut from. Only the engine's own mark (``counted``) and the ordering
    columns are computed for the whole set; the page's display columns are computed for its
    rows alone by :func:`explain_page_rows`."""
    return filter_show(rows, show).values_list("pk", flat=True)


def explain_page_rows(
    explained: Explained,
    day: date,
    keys,
    *,
    user,
    town_id: int | None = None,
    industry: str = "",
    search: str = "",
) -> list:
    """The rows of one page (``keys`` from :func:`explain_keys`), in that order, with the
    columns :func:`explain_rows` gives. ``counted`` is read per row here — for an enterprise,
    whether it has a filed current appointment; for a person, whether they passed a training
    that ended by ``day`` — which is the engine's mark for that row, without the engine's
    set-wide subquery (a hash over every appointment or attendance, paid once per page)."""
    keys = list(keys)
    if not keys:
        return []
    if explained.is_indicator:
        # The mark is a column of the row itself (is_principal, is_late).
        model = Appointment if explained.kind == "principals" else Filing
        counted = "is_principal" if explained.kind == "principals" else "is_late"
        queryset = _indicator_display(
            model.objects.filter(pk__in=keys).annotate(counted=F(counted)), explained
        )
    elif explained.kind == "persons":
        appointments = _person_appointments(
            day, town_id=town_id, industry=industry, search=search, user=user
        )
        passed = TrainingAttendance.objects.filter(
            person=OuterRef("pk"), passed=True, session__ends_on__lte=day
        )
        queryset = (
            _person_rows(day, appointments, counted=Exists(passed))
            .filter(pk__in=keys)
            .prefetch_related(
                Prefetch(
                    "appointments",
                    # The T3 appointments of these persons, without the engine's "trained"
                    # mark (not shown; it would hash every attendance for 50 rows).
                    queryset=Appointment.objects.filter(
                        pk__in=appointments.values("pk"), person__in=keys
                    )
                    .select_related("enterprise__town")
                    .order_by("enterprise__name"),
                    to_attr="current_appointments",
                )
            )
        )
    else:
        queryset = Enterprise.objects.filter(pk__in=keys).annotate(vacancy_start=vacancy_start(day))
        if explained.kind == "vacancies":
            counted = ExpressionWrapper(
                Q(vacancy_start__lt=overdue_before(day)), output_field=BooleanField()
            )
        else:
            counted = has_filed_cqo(day)
        queryset = queryset.select_related("town").annotate(
            counted=counted,
            cqo_name=_current_cqo(day, "person__name"),
            cqo_appointed_on=_current_cqo(day, "appointed_on"),
        )
    by_pk = {row.pk: row for row in queryset}
    return [by_pk[pk] for pk in keys if pk in by_pk]


def filter_show(queryset: QuerySet, show: str) -> QuerySet:
    if show == SHOW_COUNTED:
        return queryset.filter(counted=True)
    if show == SHOW_MISSING:
        return queryset.filter(counted=False)
    return queryset


def explain_totals(queryset: QuerySet) -> statistics.Figure:
    """Population and counted of an (unfiltered by ``show``) drill-down list: the counts of
    the very lists the page shows. Two COUNT queries rather than one filtered aggregate:
    Django 5.2 compiles ``Count(filter=Q(counted=True))`` over these annotations into a
    reference to a column the query does not select."""
    return statistics.Figure(
        queryset.order_by().count(), filter_show(queryset, SHOW_COUNTED).order_by().count()
    )


# --- Figures for one town -------------------------------------------------------------------


def town_figures(day: date, town: Town) -> list[statistics.TargetFigures]:
    """Each target's figures for one town, with that town's per-industry breakdown — the
    engine's querysets limited to the town (two queries per target)."""
    results = []
    for target in Target.objects.all():
        if target.population == Population.FILED_CQOS:
            queryset = statistics.cqo_appointments(day).filter(enterprise__town=town)
            population = Count("person", distinct=True)
            counted = Count("person", distinct=True, filter=Q(trained=True))
            industry_key = "enterprise__industry"
        else:
            queryset = statistics.enterprises_with_filed_cqo(
                statistics.enterprise_population(target.population, day).filter(town=town),
                day,
            )
            population = Count("pk")
            counted = Count("pk", filter=Q(has_filed_cqo=True))
            industry_key = "industry"
        total = queryset.aggregate(population=population, counted=counted)
        by_industry = (
            queryset.values(industry_key)
            .order_by()
            .annotate(population=population, counted=counted)
        )
        figure = statistics.Figure(total["population"], total["counted"])
        results.append(
            statistics.TargetFigures(
                target=target,
                as_of=day,
                total=figure,
                by_town={town.name: figure} if figure.population else {},
                by_industry={
                    row[industry_key]: statistics.Figure(row["population"], row["counted"])
                    for row in by_industry
                },
            )
        )
    return results


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


def indicators_by_town(day: date) -> dict[int, Indicators]:
    """:func:`dashboard_indicators` of every town at once, keyed by town id (three grouped
    queries; every town is listed, with zeros where it has nothing)."""
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
        for town_id in Town.objects.values_list("pk", flat=True)
    }


def sum_indicators(parts) -> Indicators:
    """The county's indicators as the sum of its towns' (every enterprise is in one town)."""
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


__all__ = [
    "LATE_ALL_CODE",
    "LATE_CODE",
    "PRINCIPAL_CODE",
    "SHOW_ALL",
    "SHOW_COUNTED",
    "SHOW_MISSING",
    "VACANCY_CODE",
    "Explained",
    "Indicators",
    "dashboard_indicators",
    "indicators_by_town",
    "sum_indicators",
    "explain_keys",
    "explain_page_rows",
    "explain_rows",
    "explain_totals",
    "explained_for_code",
    "current_cqo_appointments",
    "submitted_filings",
    "filter_show",
    "has_filed_cqo",
    "town_figures",
    "training_coverage",
    "vacant_enterprises",
]
