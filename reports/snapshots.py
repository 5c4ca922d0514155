"""Snapshots of the target figures (SPEC §6 "replay any date"): services that store them and
reads that serve the dashboards from them.

A snapshot is a :class:`~reports.models.SnapshotRun` — every target's figures as of one date,
county-wide, per town, per industry section and per section within each town (the town
dashboards' breakdown) — stored as frozen
:class:`~reports.models.SnapshotFigure` rows, with the dashboard's other indicators
(principal share, late filings, vacancies; county-wide and per town) as frozen
:class:`~reports.models.SnapshotIndicator` rows, so that a dashboard of a stored date runs no
query over the registry itself. Recomputing a stored date makes a new version of
that date; reads use the latest finished version.
"""

from collections.abc import Callable, Iterable
from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import Exists, Max, Q

from cqo_registry import clock
from enterprises.models import Town

from . import selectors, statistics
from .models import (
    OPEN_STATUSES,
    SnapshotFigure,
    SnapshotIndicator,
    SnapshotKind,
    SnapshotRun,
    SnapshotScope,
    SnapshotStatus,
    Target,
)

Progress = Callable[[int, int], None]

# Two runs of the same date created at the same moment race for the same version number;
# the loser retries with the next one.
_VERSION_ATTEMPTS = 5


# --- Services (writes) ----------------------------------------------------------------------


def snapshot_run_create(*, as_of: date, kind: str, actor=None, task_id: str = "") -> SnapshotRun:
    """Open a new (pending) run of ``as_of``: the next version of that date."""
    for attempt in range(_VERSION_ATTEMPTS):
        try:
            with transaction.atomic():
                latest = SnapshotRun.objects.filter(as_of=as_of).aggregate(v=Max("version"))["v"]
                run = SnapshotRun(
                    as_of=as_of,
                    version=(latest or 0) + 1,
                    kind=kind,
                    created_by=actor if getattr(actor, "pk", None) else None,
                    task_id=task_id,
                )
                run.full_clean(validate_constraints=False)
                run.save()
                return run
        except IntegrityError:
            if attempt == _VERSION_ATTEMPTS - 1 or (
                kind == SnapshotKind.DAILY and stored_daily(as_of)
            ):
                raise
    raise AssertionError("unreachable")


def snapshot_fill(run: SnapshotRun, *, progress: Progress | None = None) -> SnapshotRun:
    """Compute every target's figures as of ``run.as_of`` and store them in ``run``.

    Progress (targets done / total) is written to the run after each target, outside any
    transaction of ours, so that a poller sees it move; the figures themselves and the run's
    ``done`` status are written together in one transaction, with the dashboard indicators
    (county-wide and per town), computed after the last target. On error the run is marked failed
    (its figures were never written) and the error re-raised.
    """
    runs = SnapshotRun.objects.filter(pk=run.pk)
    targets = list(Target.objects.all())
    total = len(targets)
    runs.record_progress(status=SnapshotStatus.RUNNING, done=0, total=total)
    try:

        def target_done(done: int) -> None:
            runs.record_progress(done=done)
            if progress is not None:
                progress(done, total)

        results = statistics.compute_all(
            run.as_of, targets, progress=target_done, by_town_industry=True
        )
        town_ids = dict(Town.objects.values_list("name", "pk"))
        indicators = _indicator_rows(run, {pk: name for name, pk in town_ids.items()})
        with transaction.atomic():
            SnapshotFigure.objects.bulk_create(_figure_rows(run, results, town_ids))
            SnapshotIndicator.objects.bulk_create(indicators)
            if not runs.record_progress(status=SnapshotStatus.DONE, finished_at=clock.now()):
                # Another worker finished (or failed) this run meanwhile: keep what it stored.
                raise IntegrityError(f"snapshot run {run.pk} is no longer open")
    except Exception as error:
        runs.record_progress(
            status=SnapshotStatus.FAILED, error=str(error)[:2000], finished_at=clock.now()
        )
        raise
    return SnapshotRun.objects.get(pk=run.pk)


def snapshot_take(
    *, as_of: date, kind: str, actor=None, progress: Progress | None = None
) -> SnapshotRun:
    """Store every target's figures as of ``as_of`` as a new version of that date."""
    run = snapshot_run_create(as_of=as_of, kind=kind, actor=actor)
    return snapshot_fill(run, progress=progress)


def snapshot_claim(run_id: int, *, task_id: str | None = None) -> SnapshotRun | None:
    """Take a pending run for computing. ``None`` when it does not exist or another worker
    already took it (a task delivered twice computes once).

    A run left *running* by the task ``task_id`` is taken again by that same task: the broker
    delivers a task again only when the worker that had it died before finishing (acks late),
    so nobody else is computing it."""
    claimable = Q(status=SnapshotStatus.PENDING)
    if task_id:
        claimable |= Q(status=SnapshotStatus.RUNNING, task_id=task_id)
    claimed = SnapshotRun.objects.filter(claimable, pk=run_id).record_progress(
        status=SnapshotStatus.RUNNING
    )
    return SnapshotRun.objects.get(pk=run_id) if claimed else None


def interrupted_runs(*, kind: str, task_id: str | None) -> list[SnapshotRun]:
    """Runs of ``kind`` still open that the task ``task_id`` started: a task delivered again
    after its worker died finishes them instead of starting new ones."""
    if not task_id:
        return []
    return list(
        SnapshotRun.objects.filter(kind=kind, task_id=task_id, status__in=OPEN_STATUSES).order_by(
            "as_of", "version"
        )
    )


def _figure_rows(run: SnapshotRun, results: Iterable[statistics.TargetFigures], town_ids):
    town_names = {pk: name for name, pk in town_ids.items()}
    for result in results:
        target = result.target
        yield _figure(run, target, SnapshotScope.COUNTY, "", "", result.total)
        for name, figure in result.by_town.items():
            key = str(town_ids[name]) if name in town_ids else ""
            yield _figure(run, target, SnapshotScope.TOWN, key, name or "", figure)
        for section, figure in result.by_industry.items():
            yield _figure(run, target, SnapshotScope.INDUSTRY, section, section, figure)
        for (town_id, section), figure in result.by_town_industry.items():
            key = _town_industry_key(town_id, section)
            label = town_names.get(town_id, "")
            yield _figure(run, target, SnapshotScope.TOWN_INDUSTRY, key, label, figure)


def _town_industry_key(town_id: int, section: str = "") -> str:
    """A ``town_ind`` figure's key: "town id:section" (with no section: the prefix of all the
    town's keys)."""
    return f"{int(town_id)}:{section}"


def _figure(run, target, scope, key, label, figure: statistics.Figure) -> SnapshotFigure:
    return SnapshotFigure(
        run=run,
        target=target,
        scope=scope,
        key=key,
        label=label,
        population=figure.population,
        counted=figure.counted,
    )


def _indicator_rows(run: SnapshotRun, town_names: dict[int, str]) -> list[SnapshotIndicator]:
    by_town = selectors.indicators_by_town(run.as_of)
    rows = [
        _indicator(run, SnapshotScope.COUNTY, "", "", selectors.sum_indicators(by_town.values()))
    ]
    for town_id, indicators in by_town.items():
        if town_id is None:
            continue  # enterprises without a town yet: in the county's row only
        rows.append(
            _indicator(
                run, SnapshotScope.TOWN, str(town_id), town_names.get(town_id, ""), indicators
            )
        )
    return rows


def _indicator(run, scope, key, label, indicators: selectors.Indicators) -> SnapshotIndicator:
    return SnapshotIndicator(
        run=run,
        scope=scope,
        key=key,
        label=label,
        principal_population=indicators.principal.population,
        principal_counted=indicators.principal.counted,
        late_year_population=indicators.late_in_year.population,
        late_year_counted=indicators.late_in_year.counted,
        late_total_population=indicators.late_total.population,
        late_total_counted=indicators.late_total.counted,
        vacancies=indicators.vacancies,
        overdue_vacancies=indicators.overdue_vacancies,
        vacancy_limit_days=indicators.vacancy_limit_days,
    )


# --- Reads ----------------------------------------------------------------------------------


def snapshot_for(day: date) -> SnapshotRun | None:
    """The latest finished snapshot of ``day``, if any."""
    return SnapshotRun.objects.done().filter(as_of=day).order_by("-version").first()


def figures_of_run(run: SnapshotRun, targets: Iterable[Target] | None = None):
    """The stored figures of ``run`` as :class:`statistics.TargetFigures`, in target order.
    ``by_town`` is keyed by the town's current name (its name at the time if it has gone),
    like the live engine. Targets the run does not hold are left out."""
    targets = list(targets if targets is not None else Target.objects.all())
    town_names = {str(pk): name for pk, name in Town.objects.values_list("pk", "name")}
    rows = SnapshotFigure.objects.filter(
        run=run,
        scope__in=[SnapshotScope.COUNTY, SnapshotScope.TOWN, SnapshotScope.INDUSTRY],
    ).values_list("target_id", "scope", "key", "label", "population", "counted")
    stored: dict[int, statistics.TargetFigures] = {}
    by_pk = {target.pk: target for target in targets}
    for target_id, scope, key, label, population, counted in rows:
        target = by_pk.get(target_id)
        if target is None:
            continue
        figures = stored.get(target_id)
        if figures is None:
            figures = stored[target_id] = statistics.TargetFigures(
                target=target, as_of=run.as_of, total=statistics.Figure(0, 0)
            )
        figure = statistics.Figure(population, counted)
        if scope == SnapshotScope.COUNTY:
            figures.total = figure
        elif scope == SnapshotScope.TOWN:
            figures.by_town[town_names.get(key, label)] = figure
        elif scope == SnapshotScope.INDUSTRY:
            figures.by_industry[key] = figure
    return [stored[target.pk] for target in targets if target.pk in stored]


def town_figures_of_run(
    run: SnapshotRun, town: Town, targets: Iterable[Target] | None = None
) -> list[statistics.TargetFigures]:
    """The stored figures of ``town`` in ``run`` as :class:`statistics.TargetFigures`, in
    target order, shaped as the engine limited to the town gives them
    (``statistics.compute_all(day, town=town)``): ``total`` the town's figure, ``by_town``
    the town alone under its current name (empty when it had no population), ``by_industry``
    the town's sections in letter order. A town with no row of a target held by ``run`` had
    no population then: Figure(0, 0), as the county dashboard of the run shows it. Targets
    the run does not hold are left out, and so is every target when the run was taken before
    snapshots stored the towns' sections (it holds no ``town_ind`` row). One query."""
    targets = list(targets if targets is not None else Target.objects.all())
    town_key = str(town.pk)
    rows = (
        SnapshotFigure.objects.filter(
            Q(scope=SnapshotScope.COUNTY)
            | Q(scope=SnapshotScope.TOWN, key=town_key)
            | Q(scope=SnapshotScope.TOWN_INDUSTRY, key__startswith=_town_industry_key(town.pk)),
            run=run,
        )
        # Whether the run stores the towns' sections at all: evaluated once (no outer ref).
        .annotate(
            crossed=Exists(
                SnapshotFigure.objects.filter(run=run, scope=SnapshotScope.TOWN_INDUSTRY)
            )
        )
        .values_list("target_id", "scope", "key", "population", "counted", "crossed")
    )
    by_pk = {target.pk: target for target in targets}
    held: set[int] = set()
    towns: dict[int, statistics.Figure] = {}
    sections: dict[int, dict[str, statistics.Figure]] = {}
    for target_id, scope, key, population, counted, crossed in rows:
        if not crossed:
            return []
        if target_id not in by_pk:
            continue
        figure = statistics.Figure(population, counted)
        if scope == SnapshotScope.COUNTY:
            held.add(target_id)
        elif scope == SnapshotScope.TOWN:
            towns[target_id] = figure
        else:
            sections.setdefault(target_id, {})[key.partition(":")[2]] = figure
    results = []
    for target in targets:
        if target.pk not in held:
            continue
        total = towns.get(target.pk)
        result = statistics.TargetFigures(
            target=target, as_of=run.as_of, total=total or statistics.Figure(0, 0)
        )
        if total is not None:
            result.by_town[town.name] = total
        result.by_industry.update(sorted(sections.get(target.pk, {}).items()))
        results.append(result)
    return results


# ``run`` left out: look the snapshot of the day up; ``None``: there is none.
_LOOK_UP = object()


def dashboard_figures(day: date, *, run=_LOOK_UP, targets=None) -> list[statistics.TargetFigures]:
    """Figures of every target as of ``day`` (of ``targets`` only, when given: a dashboard
    shows one post's, issue 19): from the latest stored snapshot of that day when one exists
    (a target the snapshot does not hold is computed live), else computed live. A constant
    number of queries when the snapshot holds every target."""
    targets = list(targets if targets is not None else Target.objects.all())
    if run is _LOOK_UP:
        run = snapshot_for(day)
    if run is None:
        return statistics.compute_all(day, targets)
    stored = {figures.target.pk: figures for figures in figures_of_run(run, targets)}
    missing = [target for target in targets if target.pk not in stored]
    if missing:
        stored.update(
            (figures.target.pk, figures) for figures in statistics.compute_all(day, missing)
        )
    return [stored[target.pk] for target in targets]


def town_dashboard_figures(
    day: date, town: Town, *, run=_LOOK_UP, targets=None
) -> list[statistics.TargetFigures]:
    """A town officer's dashboard figures: every target's (of ``targets`` only, when given)
    figures of ``town`` as of ``day``, with the town's per-section breakdown — exactly what
    ``selectors.town_figures(day, town)`` computes live. From the latest stored snapshot of
    ``day`` when it holds the towns' sections (a target it does not hold is computed live),
    else computed live (a snapshot taken before they were stored, or no snapshot). Two
    queries when the snapshot holds every target (the run, the figures; one with ``run``)."""
    targets = list(targets if targets is not None else Target.objects.all())
    if run is _LOOK_UP:
        run = snapshot_for(day)
    stored = {}
    if run is not None:
        stored = {f.target.pk: f for f in town_figures_of_run(run, town, targets)}
    missing = [target for target in targets if target.pk not in stored]
    if missing:
        stored.update(
            (figures.target.pk, figures)
            for figures in statistics.compute_all(day, missing, town=town)
        )
    return [stored[target.pk] for target in targets]


def stored_indicators(
    run: SnapshotRun, *, town: Town | int | None = None
) -> selectors.Indicators | None:
    """The indicators stored with ``run``, county-wide or for ``town`` (a Town or its id; one
    query). ``None`` when the run holds none for that scope (taken before indicators were
    stored, or the town is newer than the run)."""
    if town:
        scope, key = SnapshotScope.TOWN, str(getattr(town, "pk", town))
    else:
        scope, key = SnapshotScope.COUNTY, ""
    row = SnapshotIndicator.objects.filter(run=run, scope=scope, key=key).first()
    if row is None:
        return None
    return selectors.Indicators(
        principal=statistics.Figure(row.principal_population, row.principal_counted),
        late_in_year=statistics.Figure(row.late_year_population, row.late_year_counted),
        late_total=statistics.Figure(row.late_total_population, row.late_total_counted),
        vacancies=row.vacancies,
        overdue_vacancies=row.overdue_vacancies,
        vacancy_limit_days=row.vacancy_limit_days,
    )


def dashboard_indicators(
    day: date, *, town: Town | None = None, run=_LOOK_UP
) -> selectors.Indicators:
    """The dashboard's other indicators at ``day``: from the latest snapshot of that day when it
    holds them (one query), else computed live (three queries over the registry)."""
    if run is _LOOK_UP:
        run = snapshot_for(day)
    stored = stored_indicators(run, town=town) if run is not None else None
    return stored or selectors.dashboard_indicators(day, town=town)


def stored_figure(
    run: SnapshotRun, target: Target, *, town_id: int | None = None, industry: str = ""
) -> statistics.Figure | None:
    """One stored figure of ``run``: county-wide, for a town or for an industry section (not
    both: the snapshot does not hold that crossing). A scope with no population has no row of
    its own and is Figure(0, 0). ``None`` when the run does not hold ``target`` or the crossing
    is asked for. One query."""
    if town_id and industry:
        return None
    if town_id:
        scope, key = SnapshotScope.TOWN, str(town_id)
    elif industry:
        scope, key = SnapshotScope.INDUSTRY, industry
    else:
        scope, key = SnapshotScope.COUNTY, ""
    rows = {
        (row_scope, row_key): statistics.Figure(population, counted)
        for row_scope, row_key, population, counted in SnapshotFigure.objects.filter(
            Q(scope=scope, key=key) | Q(scope=SnapshotScope.COUNTY), run=run, target=target
        ).values_list("scope", "key", "population", "counted")
    }
    if (SnapshotScope.COUNTY, "") not in rows:
        return None
    return rows.get((scope, key), statistics.Figure(0, 0))


def trend(
    target: Target, *, town: Town | int | str | None = None, industry: str | None = None
) -> list[tuple[date, statistics.Figure]]:
    """One point per stored snapshot date (its latest finished version holding ``target``),
    oldest first. ``town`` (a Town, its id or its name) or ``industry`` (a section letter)
    narrows to that breakdown; neither means county-wide. One query (two for a town name)."""
    if town is not None:
        scope = SnapshotScope.TOWN
        if isinstance(town, Town):
            key = str(town.pk)
        elif isinstance(town, int):
            key = str(town)
        else:
            key = str(Town.objects.filter(name=town).values_list("pk", flat=True).first() or "")
    elif industry is not None:
        scope, key = SnapshotScope.INDUSTRY, industry
    else:
        scope, key = SnapshotScope.COUNTY, ""
    rows = (
        SnapshotFigure.objects.filter(
            target=target, scope=scope, key=key, run__status=SnapshotStatus.DONE
        )
        .order_by("run__as_of", "run__version")
        .values_list("run__as_of", "population", "counted")
    )
    points: dict[date, statistics.Figure] = {}
    for as_of, population, counted in rows:
        points[as_of] = statistics.Figure(population, counted)  # later versions win
    return list(points.items())


def stored_daily(day: date) -> bool:
    return SnapshotRun.objects.filter(
        as_of=day, kind=SnapshotKind.DAILY, status__in=[*OPEN_STATUSES, SnapshotStatus.DONE]
    ).exists()


__all__ = [
    "dashboard_figures",
    "dashboard_indicators",
    "figures_of_run",
    "snapshot_claim",
    "snapshot_fill",
    "snapshot_for",
    "snapshot_run_create",
    "snapshot_take",
    "stored_daily",
    "stored_figure",
    "stored_indicators",
    "town_dashboard_figures",
    "town_figures_of_run",
    "trend",
]
