"""The statistics engine: each target's population, counted and rate as of any date D,
county-wide, per town and per industry section — exactly as SPEC §3 defines them.

Every figure is computed by the database; nothing loops over enterprises in Python, so a date
can be replayed at province scale.

* active at D: ``established_on`` empty or ≤ D, and ``deregistered_on`` empty or > D;
* filed current appointment at D: ``filed_on`` ≤ D, ``appointed_on`` ≤ D, ``ended_on``
  empty or > D (``filed_on`` is the approval date of its appoint/change filing);
* trained at D: a passed attendance of a session that ended on or before D;
* rate = counted / population, ``None`` when the population is 0.

Query shapes (issue 11): no mark is an ``IN (subquery)`` or an ``EXISTS`` inside an
aggregate. PostgreSQL hashes an ``IN`` list only while it fits in ``work_mem`` and otherwise
rescans it for every row (quadratic: on the bench data the old engine did not finish within
two minutes at 300,000 enterprises).
Here every step is a hash join or a hash aggregate, which PostgreSQL spills to disk in batches
when it outgrows ``work_mem``: linear whatever the server's memory settings.

* All enterprise targets (T1, T2 and any other target over an enterprise population) come from
  one pass over the active enterprises, LEFT JOINed to the de-duplicated set of enterprises
  with a filed current appointment and grouped by (town, section); the county, town and
  section figures are exact sums of those cells, since each enterprise lies in one.
* Targets over filed CQOs (T3) count distinct persons, which do not add up across cells (a
  person may serve in two towns): one statement aggregates the serving appointments and the
  passed attendances per person and counts them county-wide, per town and per section.

The sets are ORM querysets built from :func:`active_on` and :func:`filed_current_on`, compiled
and joined in SQL, so the engine and the drill-down lists share one definition of each rule.

Targets per post (issue 19). A target names a post (the CQO's by default); T1–T3 are the
CQO's and are computed exactly as above. A target of any post counts either

* ``post_required`` — the enterprises active at D that must fill the post
  (``appointments.posts.required_q``, attributes as they are now), counted when the post is
  *filled* at D: at least one filed current appointment to the post at D (SPEC §3's rule per
  post; for a single-holder post that is its one holder, for an at-least-one post any
  number ≥ 1; a dismissed holder's appointment has ended and no longer counts); or
* ``post_holders`` — the distinct persons holding a filed current appointment to the post at
  D in an active enterprise (T3's population, per post), counted when *trained for the
  post* at D (``appointments.posts.post_trained_persons``): for a post asking for yearly
  training hours, at least that many hours attended in D's calendar year up to D (the
  enterprise board's hours: attended sessions that started from 1 January to D, the
  attendance's hours or else the session's); for a post asking for none, SPEC §3's *trained*
  (a passed attendance of a session that ended by D).

Each post's enterprise targets come from one query of the shape above (the post's filed set
in place of the CQO's), each post's person targets from one statement of T3's shape (the
post's appointments and its trained set): the queries of the CQO's targets are unchanged.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import reduce
from operator import or_

from django.db import connections, router
from django.db.models import BooleanField, Exists, ExpressionWrapper, F, OuterRef, Q, QuerySet

from appointments.models import CQO_POST, Appointment, PostType
from appointments.posts import post_filed_current_on, post_trained_persons, required_q

# The date rules are the registry's (SPEC §3), defined once in the appointments domain.
from appointments.registry import active_on, filed_current_on
from enterprises.models import Enterprise, Scale, Town
from training.models import TrainingAttendance

from .models import PERSON_POPULATIONS, POST_POPULATIONS, Criterion, Population, Target


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
    # Each town's per-section breakdown, keyed by (town id, section letter): filled only when
    # asked for (``compute_all(..., by_town_industry=True)``, the snapshot's), left out of
    # comparisons so that a result read back from a snapshot equals the live one.
    by_town_industry: dict[tuple[int, str], Figure] = field(
        default_factory=dict, compare=False, repr=False
    )

    @property
    def met(self) -> bool:
        rate = self.total.rate
        return rate is not None and rate >= float(self.target.goal_rate)


# Who belongs to each enterprise population, besides being active at D (SPEC §3).
_MEMBERS = {
    Population.ABOVE_SCALE: Q(scale=Scale.ABOVE),
    Population.SME_REQUIRED: Q(scale__in=[Scale.SME, Scale.MICRO], requires_cqo=True),
}


def _members(population: str, post: PostType | None = None) -> Q:
    if population == Population.POST_REQUIRED:
        if post is None:
            raise ValueError("the post_required population needs its post")
        return required_q(post)
    try:
        return _MEMBERS[population]
    except KeyError:
        raise ValueError(f"not an enterprise population: {population}") from None


def enterprise_population(population: str, day: date) -> QuerySet[Enterprise]:
    """The enterprises of ``population`` (T1's or T2's) active at ``day``. ValueError for
    a population of persons."""
    return Enterprise.objects.filter(active_on(day)).filter(_members(population))


def post_enterprise_population(post: PostType, day: date) -> QuerySet[Enterprise]:
    """The population of a ``post_required`` target of ``post``: the enterprises active at
    ``day`` that must fill the post (issue 19)."""
    return Enterprise.objects.filter(active_on(day)).filter(required_q(post))


def post_appointments(post: PostType, day: date) -> QuerySet[Appointment]:
    """The appointments behind a ``post_holders`` target of ``post``: filed current
    appointments to the post at ``day`` in enterprises active at ``day`` (T3's set, per
    post); the population is their distinct persons."""
    return Appointment.objects.filter(post_filed_current_on(post, day)).filter(
        active_on(day, prefix="enterprise__")
    )


def _flag(condition: Q) -> ExpressionWrapper:
    return ExpressionWrapper(condition, output_field=BooleanField())


def filed_enterprises(day: date, post: str = CQO_POST) -> QuerySet[Appointment]:
    """The de-duplicated set of enterprises with a filed current appointment at ``day`` (to
    ``post``, a post's code: the CQO's by default): one row per enterprise id, column
    ``f_enterprise``."""
    return (
        Appointment.objects.filter(filed_current_on(day, post=post))
        .order_by()
        .values(f_enterprise=F("enterprise_id"))
        .distinct()
    )


def passed_attendances(day: date) -> QuerySet[TrainingAttendance]:
    """The passed attendances of sessions that ended by ``day``: column ``t_person``, one row
    per attendance (a person may appear more than once)."""
    return (
        TrainingAttendance.objects.filter(passed=True, session__ends_on__lte=day)
        .order_by()
        .values(t_person=F("person_id"))
    )


def is_trained(day: date, outer: str = "person_id") -> Exists:
    """Per row: whether the person ``outer`` names has a passed attendance of a session that
    ended by ``day`` (a semi-join as a filter, an index probe per row in a list)."""
    return Exists(
        TrainingAttendance.objects.filter(
            passed=True, session__ends_on__lte=day, person=OuterRef(outer)
        )
    )


def cqo_appointments(day: date) -> QuerySet[Appointment]:
    """Filed current appointments at ``day`` in enterprises active at ``day``, each marked
    with whether its person was trained by then (T3's population is their distinct persons)."""
    return (
        Appointment.objects.filter(filed_current_on(day))
        .filter(active_on(day, prefix="enterprise__"))
        .annotate(trained=is_trained(day))
    )


# --- The engine ------------------------------------------------------------------------------

# A breakdown in the making: (population, counted) per scope key.
_Cells = dict[tuple[str, object], list[int]]
_COUNTY, _TOWN, _SECTION, _CROSS = "county", "town", "section", "town_section"


def _sql(queryset: QuerySet) -> tuple[str, tuple]:
    return queryset.query.sql_with_params()


def _run(sql: str, params) -> list[tuple]:
    # The database the router reads from: the replica inside reading_from_replica() (the
    # dashboards and reports), as the ORM's own reads do.
    with connections[router.db_for_read(Enterprise)].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _enterprise_cells(
    populations: list[str], day: date, town_id=None, post: PostType | None = None
) -> dict[str, _Cells]:
    """Population and counted of every enterprise population in ``populations``, county-wide,
    per town id, per section and per (town id, section), from one query: one pass over the
    active enterprises of any of them, LEFT JOINed to :func:`filed_enterprises` (of ``post``,
    the CQO's when ``None``), grouped by (town, section)."""
    marks = {f"m{i}": _flag(_members(p, post)) for i, p in enumerate(populations)}
    enterprises = Enterprise.objects.filter(active_on(day)).filter(
        reduce(or_, (_members(p, post) for p in populations))
    )
    if town_id is not None:
        enterprises = enterprises.filter(town_id=town_id)
    enterprises = (
        enterprises.order_by()
        .values(e_id=F("pk"), e_town=F("town_id"), e_section=F("industry"))
        .annotate(**marks)
    )
    e_sql, e_params = _sql(enterprises)
    filed = filed_enterprises(day, post.code if post else CQO_POST)
    if town_id is not None:
        # A town's figures only join its own enterprises: the filed set is cut to them before
        # it is de-duplicated, instead of de-duplicating every filed appointment of the county.
        filed = filed.filter(
            enterprise_id__in=Enterprise.objects.filter(town_id=town_id).values("pk")
        )
    f_sql, f_params = _sql(filed)
    sums = ", ".join(
        f"SUM(CASE WHEN e.{m} THEN 1 ELSE 0 END), "
        f"SUM(CASE WHEN e.{m} AND f.f_enterprise IS NOT NULL THEN 1 ELSE 0 END)"
        for m in marks
    )
    rows = _run(
        f"SELECT e.e_town, e.e_section, {sums} "
        f"FROM ({e_sql}) e LEFT JOIN ({f_sql}) f ON f.f_enterprise = e.e_id "
        "GROUP BY e.e_town, e.e_section",
        e_params + f_params,
    )
    cells = {population: defaultdict(lambda: [0, 0]) for population in populations}
    for town, section, *figures in rows:
        for i, population in enumerate(populations):
            people, counted = figures[2 * i], figures[2 * i + 1]
            if not people:
                continue
            keys = ((_COUNTY, None), (_TOWN, town), (_SECTION, section), (_CROSS, (town, section)))
            for key in keys:
                cell = cells[population][key]
                cell[0] += people
                cell[1] += counted
    return cells


# The (town, section) branches of _person_cells' statement (kind 3).
_CROSSED_PERSONS = (
    " UNION ALL SELECT 3, town_lo, section_lo, COUNT(*), SUM(trained) FROM persons "
    "WHERE town_lo = town_hi AND section_lo = section_hi GROUP BY town_lo, section_lo "
    "UNION ALL SELECT 3, c_town, c_section, COUNT(*), SUM(trained) FROM ("
    "SELECT DISTINCT c_person, c_town, c_section, trained FROM several) x "
    "GROUP BY c_town, c_section"
)


def _person_cells(
    day: date, town_id=None, post: PostType | None = None, *, crossed: bool = False
) -> _Cells:
    """T3's population and counted (distinct persons), county-wide, per town id and per
    section (of the enterprises they serve), from one statement; with ``crossed``, per
    (town id, section) too.

    The filed current appointments in active enterprises (``serving``) and the passed
    attendances are aggregated together per person, in one pass: whether the person serves
    (population), whether trained (counted), and the lowest and highest town and section
    they serve in. Nearly everyone serves in one town and one section, and is counted there
    straight from that row; only the few persons whose lowest and highest differ are looked
    up again in ``serving`` and counted once per distinct town or section. Every step is a
    hash join or a hash aggregate, which PostgreSQL spills to disk in batches when it
    outgrows ``work_mem``: linear whatever the server's memory settings.

    ``post`` (a ``post_holders`` target's): the post's appointments and the persons trained
    for it (``posts.post_trained_persons``) instead of T3's (``None``).

    A (town, section) cell counts the distinct persons serving in an enterprise of that town
    and section — what the engine limited to the town counts for that section: a person of
    one town and one section straight from their row, the others once per distinct pair
    they serve in."""
    if post is None:
        serving = Appointment.objects.filter(filed_current_on(day))
        trained = passed_attendances(day)
    else:
        serving = Appointment.objects.filter(post_filed_current_on(post, day))
        trained = post_trained_persons(post, day)
    serving = serving.filter(active_on(day, prefix="enterprise__"))
    if town_id is not None:
        serving = serving.filter(enterprise__town_id=town_id)
    serving = serving.order_by().values(
        c_person=F("person_id"),
        c_town=F("enterprise__town_id"),
        c_section=F("enterprise__industry"),
    )
    c_sql, c_params = _sql(serving)
    t_sql, t_params = _sql(trained)
    # A town's persons are a few thousand of the county's: its passed attendances are only
    # those of persons serving there (the others are dropped by HAVING MAX(serves) = 1
    # anyway), so the aggregate no longer groups every attendance of the county. County-wide
    # nearly every attendee serves, and the semi-join would only add work.
    t_where = " WHERE t.t_person IN (SELECT c_person FROM serving)" if town_id is not None else ""
    rows = _run(
        f"WITH serving AS ({c_sql}), "
        "persons AS ("
        "SELECT person, MAX(trained) AS trained, "
        "MIN(c_town) AS town_lo, MAX(c_town) AS town_hi, "
        "MIN(c_section) AS section_lo, MAX(c_section) AS section_hi "
        "FROM ("
        "SELECT c_person AS person, 1 AS serves, 0 AS trained, c_town, c_section FROM serving "
        f"UNION ALL SELECT t.t_person, 0, 1, NULL, NULL FROM ({t_sql}) t{t_where}"
        ") marks GROUP BY person HAVING MAX(serves) = 1), "
        "several AS (SELECT s.c_person, s.c_town, s.c_section, p.trained, "
        "p.town_lo <> p.town_hi AS many_towns, p.section_lo <> p.section_hi AS many_sections "
        "FROM serving s JOIN persons p ON p.person = s.c_person "
        "WHERE p.town_lo <> p.town_hi OR p.section_lo <> p.section_hi) "
        "SELECT 0, NULL, NULL, COUNT(*), SUM(trained) FROM persons "
        "UNION ALL SELECT 1, town_lo, NULL, COUNT(*), SUM(trained) FROM persons "
        "WHERE town_lo = town_hi GROUP BY town_lo "
        "UNION ALL SELECT 2, NULL, section_lo, COUNT(*), SUM(trained) FROM persons "
        "WHERE section_lo = section_hi GROUP BY section_lo "
        "UNION ALL SELECT 1, c_town, NULL, COUNT(*), SUM(trained) FROM ("
        "SELECT DISTINCT c_person, c_town, trained FROM several WHERE many_towns) x "
        "GROUP BY c_town "
        "UNION ALL SELECT 2, NULL, c_section, COUNT(*), SUM(trained) FROM ("
        "SELECT DISTINCT c_person, c_section, trained FROM several WHERE many_sections) x "
        "GROUP BY c_section" + (_CROSSED_PERSONS if crossed else ""),
        c_params + t_params,
    )
    cells: _Cells = defaultdict(lambda: [0, 0])
    for kind, town, section, people, counted in rows:
        keys = ((_COUNTY, None), (_TOWN, town), (_SECTION, section), (_CROSS, (town, section)))
        cell = cells[keys[kind]]
        cell[0] += people
        cell[1] += counted or 0
    return cells


def _figures(
    target: Target, day: date, cells: _Cells, town_names: dict, crossed: bool = False
) -> TargetFigures:
    """The breakdown by town name and by section letter, each in code-point order of its key
    (the order SQLite's GROUP BY gave them before); with ``crossed``, by (town id, section)
    too, in the same order. An enterprise still 待完善 (no town or no section yet, issue 17
    §1) counts in the county's figure and in no breakdown row."""
    total = cells.get((_COUNTY, None), [0, 0])
    result = TargetFigures(target=target, as_of=day, total=Figure(*total))
    for town_id, name in sorted(town_names.items(), key=lambda item: item[1]):
        if (_TOWN, town_id) in cells:
            result.by_town[name] = Figure(*cells[(_TOWN, town_id)])
    for (scope, key), (people, counted) in sorted(cells.items(), key=lambda item: str(item[0])):
        if scope == _SECTION and key not in (None, ""):
            result.by_industry[key] = Figure(people, counted)
        elif crossed and scope == _CROSS and key[0] is not None and key[1] not in (None, ""):
            result.by_town_industry[key] = Figure(people, counted)
    return result


def compute_all(
    day: date,
    targets: Iterable[Target] | None = None,
    *,
    town: Town | int | None = None,
    progress: Callable[[int], None] | None = None,
    by_town_industry: bool = False,
) -> list[TargetFigures]:
    """Every target's figures as of ``day`` (SPEC §3), in the order of ``targets`` (default:
    every target): county-wide, ``by_town`` keyed by town name, ``by_industry`` by section
    letter; a scope with no population has no entry. ``town`` (a Town or its id) limits
    everything to that town's enterprises (its by_town then holds that town alone).

    Queries: one for all the targets over enterprise populations together, one for all the
    targets over filed CQOs, one for the town names — whatever the number of targets or the
    size of the registry; with targets of other posts (issue 19), one for those posts and
    one per post and kind of population (enterprises, persons). ``progress(done)`` is called
    after each target's figures are ready (targets sharing a query are ready together).

    ``by_town_industry``: each result's ``by_town_industry`` holds every town's breakdown by
    section (what this function limited to that town gives as ``by_industry``), from the same
    queries — the snapshot stores it for the town dashboards."""
    targets = list(targets if targets is not None else Target.objects.all())
    town_id = getattr(town, "pk", town)
    # A target's cells are keyed by (population, post code); T1–T3 are the CQO's.
    other_posts = {t.post_id for t in targets if t.population in POST_POPULATIONS}
    posts = PostType.objects.in_bulk(other_posts, field_name="code") if other_posts else {}
    enterprise_populations: dict[str, list[str]] = {}
    for target in targets:
        if target.population not in PERSON_POPULATIONS:
            populations = enterprise_populations.setdefault(target.post_id, [])
            if target.population not in populations:
                populations.append(target.population)
    computed: dict[tuple[str, str], _Cells] = {}
    town_names = None
    results = []
    for done, target in enumerate(targets, start=1):
        key = (target.population, target.post_id)
        if key not in computed:
            if target.population == Population.FILED_CQOS:
                computed[key] = _person_cells(day, town_id, crossed=by_town_industry)
            elif target.population == Population.POST_HOLDERS:
                computed[key] = _person_cells(
                    day, town_id, posts[target.post_id], crossed=by_town_industry
                )
            else:
                post = posts.get(target.post_id)  # None for the CQO's T1/T2-like targets
                populations = enterprise_populations[target.post_id]
                cells = _enterprise_cells(populations, day, town_id, post)
                computed.update(
                    ((population, target.post_id), cells[population]) for population in cells
                )
        if town_names is None:
            town_names = dict(Town.objects.values_list("pk", "name"))
        results.append(_figures(target, day, computed[key], town_names, by_town_industry))
        if progress is not None:
            progress(done)
    return results


def compute_target(target: Target, day: date) -> TargetFigures:
    """One target's figures as of ``day``: :func:`compute_all` of that target alone."""
    return compute_all(day, [target])[0]


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
