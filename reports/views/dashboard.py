"""The leaders' county dashboard (/dashboard/) and the town officers' dashboard (/town/).

Both show, for an as-of date that can be any past day, each target's figure with its
deadline, the breakdowns by town and industry section, the trend from the snapshots and the
programme's other indicators. Every figure links to "explain this number" (drilldown.py).
The number of queries does not depend on the amount of data.
"""

import functools
import hashlib
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import quote

from django.db.models import Count, Exists, Max, OuterRef, Value
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.functional import SimpleLazyObject
from django.utils.html import format_html
from django.utils.translation import gettext as _

from appointments.models import CQO_POST
from confirmations import selectors as confirmation_selectors
from cqo_registry.accounts import access
from enterprises.models import Industry, Town

from .. import kept, selectors, snapshots
from ..forms import AsOfForm, DashboardForm
from ..models import (
    POST_POPULATIONS,
    SnapshotFigure,
    SnapshotIndicator,
    SnapshotRun,
    SnapshotScope,
    Target,
)
from ..statistics import Figure, TargetFigures

INDUSTRY_LABELS = dict(Industry.choices)


def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


class ExplainLinks:
    """Builds the "explain this number" links of one page: ``reverse()`` once per code, then
    only the query string (a dashboard has some 370 links). The parameters are dates, ids,
    fixed words and section letters; only the section is quoted, in case."""

    def __init__(self, day: date):
        self.day = day
        self._paths: dict[str, str] = {}

    def __call__(self, code: str, *, day=None, town_id=None, industry=None, show=None) -> str:
        path = self._paths.get(code)
        if path is None:
            path = self._paths[code] = reverse("reports:explain", args=[code])
        url = f"{path}?as_of={(day or self.day).isoformat()}"
        if town_id:
            url += f"&town={int(town_id)}"
        if industry:
            url += f"&industry={quote(str(industry), safe='')}"
        if show:
            url += f"&show={show}"
        return url


def figure_link(url: str, value, name: str) -> str:
    """A number of an indicator's sentence as its "explain" link (``data-indicator=name``)."""
    return format_html('<a href="{}" data-indicator="{}">{}</a>', url, name, value)


def explain_url(code: str, day: date, *, town_id=None, industry=None, show=None) -> str:
    return ExplainLinks(day)(code, town_id=town_id, industry=industry, show=show)


class _ShowsFigure:
    """What a row or a card shows of its ``figure``: the rate as text, and how many of the
    population it does not count."""

    @property
    def rate_text(self) -> str:
        return percent(self.figure.rate)

    @property
    def missing(self) -> int:
        return self.figure.population - self.figure.counted


@dataclass
class Row(_ShowsFigure):
    """One line of a breakdown table (a town, a section or a snapshot date)."""

    label: str
    figure: Figure
    rank: int | None = None
    url: str = ""
    counted_url: str = ""
    missing_url: str = ""


@dataclass
class TargetCard(_ShowsFigure):
    result: TargetFigures
    day: date
    url: str
    counted_url: str
    missing_url: str
    towns: list[Row] = field(default_factory=list)
    industries: list[Row] = field(default_factory=list)
    trend: list[Row] = field(default_factory=list)

    @property
    def target(self):
        return self.result.target

    @property
    def total(self) -> Figure:
        return self.result.total

    figure = total  # the figure _ShowsFigure shows

    @property
    def goal_text(self) -> str:
        return percent(float(self.target.goal_rate))

    @property
    def met(self) -> bool:
        return self.result.met

    @property
    def days_to_deadline(self) -> int:
        return (self.target.deadline - self.day).days

    @property
    def overdue(self) -> bool:
        return self.days_to_deadline < 0 and not self.met

    @property
    def days_overdue(self) -> int:
        return -self.days_to_deadline

    @property
    def is_persons(self) -> bool:
        return self.result.target.is_persons

    @property
    def is_post(self) -> bool:
        """A target of the posts' populations (issue 19): its own words on the page."""
        return self.result.target.population in POST_POPULATIONS

    def chart(self, kind: str, rows: list[Row], title: str, axis: str) -> dict:
        return {
            "id": f"chart-{kind}-{self.target.code}",
            "type": "line" if kind == "trend" else "bar",
            "title": title,
            "categories": [row.label for row in rows],
            "values": [
                None if row.figure.rate is None else round(row.figure.rate * 100, 1) for row in rows
            ],
            "counted": [row.figure.counted for row in rows],
            "population": [row.figure.population for row in rows],
            "goal": round(float(self.target.goal_rate) * 100, 1),
            "goalLabel": _("目标"),
            "xName": axis,
            "yName": _("完成率（%）"),
        }

    @property
    def charts(self) -> dict:
        code = self.target.code
        return {
            "towns": self.chart(
                "towns", self.towns, _("%(code)s 各镇完成率排名") % {"code": code}, _("镇（街道）")
            ),
            "industries": self.chart(
                "industries",
                self.industries,
                _("%(code)s 各行业门类完成率") % {"code": code},
                _("行业门类"),
            ),
            "trend": self.chart(
                "trend", self.trend, _("%(code)s 完成率趋势") % {"code": code}, _("快照日期")
            ),
        }


def _ranked(rows: list[Row]) -> list[Row]:
    rows.sort(
        key=lambda r: (r.figure.rate is None, -(r.figure.rate or 0), -r.figure.population, r.label)
    )
    for position, row in enumerate(rows, start=1):
        row.rank = position if row.figure.rate is not None else None
    return rows


def _card(
    result: TargetFigures, day: date, towns, town: Town | None, link: ExplainLinks
) -> TargetCard:
    code = result.target.code
    scope_town = town.pk if town else None
    counted, missing = selectors.SHOW_COUNTED, selectors.SHOW_MISSING
    card = TargetCard(
        result=result,
        day=day,
        url=link(code, town_id=scope_town),
        counted_url=link(code, town_id=scope_town, show=counted),
        missing_url=link(code, town_id=scope_town, show=missing),
    )
    if town is None:
        card.towns = _ranked(
            [
                Row(
                    label=name,
                    figure=result.by_town.get(name, Figure(0, 0)),
                    url=link(code, town_id=pk),
                    counted_url=link(code, town_id=pk, show=counted),
                    missing_url=link(code, town_id=pk, show=missing),
                )
                for pk, name in towns
            ]
        )
    card.industries = [
        Row(
            label=INDUSTRY_LABELS.get(section, section),
            figure=figure,
            url=link(code, town_id=scope_town, industry=section),
            counted_url=link(code, town_id=scope_town, industry=section, show=counted),
            missing_url=link(code, town_id=scope_town, industry=section, show=missing),
        )
        for section, figure in sorted(result.by_industry.items())
    ]
    card.trend = [
        Row(
            label=point.isoformat(),
            figure=figure,
            url=link(code, day=point, town_id=scope_town),
            counted_url=link(code, day=point, town_id=scope_town, show=counted),
            missing_url=link(code, day=point, town_id=scope_town, show=missing),
        )
        for point, figure in snapshots.trend(result.target, town=town)
    ]
    return card


# The names of the context that come from the figures (a snapshot's, or computed live): built
# only when the page renders them, which a cached fragment does not (see ``fragment_key``).
FIGURE_CONTEXT = (
    "cards",
    "charts",
    "indicators",
    "principal_rate",
    "late_year_rate",
    "late_total_rate",
    "principal_links",
    "late_year_links",
    "figure_links",
    "vacancies_url",
    "overdue_vacancies_url",
    "training",
    "training_rate",
    "training_url",
    "training_missing_url",
)


def fragment_key(
    day: date, run, post: str = CQO_POST, targets=None, town: Town | None = None
) -> str:
    """The cache key of a dashboard's figures at ``day`` drawn from the snapshot ``run`` —
    the county's, or ``town``'s (issue 15 §1: the page's HTML, but for the live parts, is the
    same for everyone until something it shows changes). It names everything the fragments
    are made of: the language, the post shown (issue 19), the day, the run, every finished
    snapshot (the trend charts), the post's targets (name, goal, deadline) and the towns
    (names, order; a town's dashboard: that town). ``""`` (not cached) when ``run`` lacks a
    target's figures or the scope's indicators, or — for a town — the towns' sections: the
    page then computes those live. ``targets``: the post's targets as :func:`page_targets`
    read them (read here when left out). Two small queries besides (three for the county);
    the page's figures, indicators and trends are then neither queried nor rendered while
    the key stays the same."""
    if targets is None:
        targets = [t for t in page_targets(run) if t.post_id == post]
    runs = SnapshotRun.objects.done().aggregate(
        n=Count("pk"), last=Max("pk"), finished=Max("finished_at")
    )
    if not all(target.stored for target in targets):
        return ""
    if town is None:
        stored = SnapshotIndicator.objects.filter(run=run, scope=SnapshotScope.COUNTY)
    else:
        # The town's indicators, and its figures by section (snapshots.town_figures_of_run
        # reads them only from a run that stores the towns' sections).
        stored = SnapshotIndicator.objects.filter(
            Exists(SnapshotFigure.objects.filter(run=run, scope=SnapshotScope.TOWN_INDUSTRY)),
            run=run,
            scope=SnapshotScope.TOWN,
            key=str(town.pk),
        )
    if not stored.exists():
        return ""
    described = [
        (t.pk, t.code, t.name, t.population, t.criterion, t.deadline, t.goal_rate) for t in targets
    ]
    if town is None:
        towns = list(Town.objects.order_by("code", "name").values_list("pk", "name", "code"))
        scope = "county"
    else:
        towns = [(town.pk, town.name, town.code)]
        scope = f"town{town.pk}"
    stamp = hashlib.sha256(
        repr((run.pk, run.created_at, runs, described, towns)).encode()
    ).hexdigest()[:32]
    return f"dashboard:{translation.get_language()}:{post}:{scope}:{day.isoformat()}:{stamp}"


def page_targets(run) -> list[Target]:
    """Every target with its post, in target order, each marked ``stored`` when the snapshot
    ``run`` holds its figures (never, without a run): one query, from which a dashboard takes
    its post's targets and its post selector (issue 19)."""
    stored = (
        Exists(SnapshotFigure.objects.filter(run=run, target=OuterRef("pk")))
        if run is not None
        else Value(False)
    )
    return list(Target.objects.select_related("post").annotate(stored=stored))


def post_options(targets: list[Target]) -> list[tuple[str, str]]:
    """The dashboard's post selector: (code, name) of every post with a target, the CQO's
    first (offered even without a target: it is the default), then in the posts' order."""
    posts = {t.post_id: t.post for t in targets}
    options = {CQO_POST: posts[CQO_POST].display_name if CQO_POST in posts else _("首席质量官")}
    for post in sorted(posts.values(), key=lambda p: (p.sort_order, p.code)):
        options.setdefault(post.code, post.display_name)
    return list(options.items())


def _figure_context(day: date, run, town: Town | None, post: str, targets) -> dict:
    """The figures' part of the dashboard's context (``FIGURE_CONTEXT``): the figures of
    ``targets`` (those of ``post``, a post's code: issue 19), and for the CQO's the
    programme's other indicators."""
    if town is None:
        results = snapshots.dashboard_figures(day, run=run, targets=targets)
        towns = list(Town.objects.order_by("code", "name").values_list("pk", "name"))
    else:
        # From the snapshot too, which holds each town's per-industry breakdown (computed live
        # for a snapshot taken before it did).
        results = snapshots.town_dashboard_figures(day, town, run=run, targets=targets)
        towns = [(town.pk, town.name)]
    link = ExplainLinks(day)
    cards = [_card(result, day, towns, town, link) for result in results]
    if post != CQO_POST:
        # The other indicators (principal, late filings, vacancies, training) are the CQO's.
        return {
            **dict.fromkeys(FIGURE_CONTEXT),
            "cards": cards,
            "charts": [chart for card in cards for chart in card.charts.values()],
        }
    indicators = snapshots.dashboard_indicators(day, town=town, run=run)
    scope_town = town.pk if town else None
    training = selectors.training_coverage(results)

    def links(code: str) -> dict[str, str]:
        """The whole list, the counted and the missing behind an indicator of this page."""
        return {
            "all": link(code, town_id=scope_town),
            "counted": link(code, town_id=scope_town, show=selectors.SHOW_COUNTED),
            "missing": link(code, town_id=scope_town, show=selectors.SHOW_MISSING),
        }

    # The numbers inside the indicators' sentences, as links (passed into the translated
    # sentences whole, so that their wording stays one message).
    principal = links(selectors.PRINCIPAL_CODE)
    late_year = links(selectors.LATE_CODE)
    late_total = links(selectors.LATE_ALL_CODE)
    figure_links = {
        "principal_counted": figure_link(
            principal["counted"], indicators.principal.counted, "principal-counted"
        ),
        "principal_population": figure_link(
            principal["all"], indicators.principal.population, "principal-population"
        ),
        "late_year_population": figure_link(
            late_year["all"], indicators.late_in_year.population, "late-year-population"
        ),
        "late_year_rate": figure_link(
            late_year["all"], percent(indicators.late_in_year.rate), "late-year-rate"
        ),
        "late_total": figure_link(
            late_total["counted"], indicators.late_total.counted, "late-total"
        ),
        "late_total_population": figure_link(
            late_total["all"], indicators.late_total.population, "late-total-population"
        ),
    }
    if training:
        training_links = links(training.target.code)
        figure_links["training_counted"] = figure_link(
            training_links["counted"], training.total.counted, "training-counted"
        )
        figure_links["training_population"] = figure_link(
            training_links["all"], training.total.population, "training-population"
        )
    return dict(
        cards=cards,
        charts=[chart for card in cards for chart in card.charts.values()],
        indicators=indicators,
        principal_rate=percent(indicators.principal.rate),
        late_year_rate=percent(indicators.late_in_year.rate),
        late_total_rate=percent(indicators.late_total.rate),
        principal_links=principal,
        late_year_links=late_year,
        figure_links=figure_links,
        vacancies_url=link(selectors.VACANCY_CODE, town_id=scope_town),
        overdue_vacancies_url=link(
            selectors.VACANCY_CODE, town_id=scope_town, show=selectors.SHOW_COUNTED
        ),
        training=training,
        training_rate=percent(training.total.rate) if training else "—",
        training_url=link(training.target.code, town_id=scope_town) if training else "",
        training_missing_url=(
            link(training.target.code, town_id=scope_town, show=selectors.SHOW_MISSING)
            if training
            else ""
        ),
    )


def _render(request, *, town: Town | None):
    data = request.GET.copy()
    if not data.get("as_of"):
        data["as_of"] = timezone.localdate().isoformat()
    dated = AsOfForm(data)
    if not dated.is_valid():
        context = {"form": dated, "town": town, "cards": [], "valid": False}
        return render(request, "reports/dashboard.html", context)
    day = dated.day
    kept = _Kept(day)
    # Every target once, with its post and whether the snapshot holds it: the post selector
    # and the chosen post's targets (issue 19) come from this one query.
    run, targets = kept.run_and_targets()
    posts = post_options(targets)
    form = DashboardForm(data, posts=posts)
    context = {"form": form, "town": town, "cards": [], "valid": True, "posts": posts}
    if not form.is_valid():
        context["valid"] = False
        return render(request, "reports/dashboard.html", context)
    post = form.post_code
    targets = [target for target in targets if target.post_id == post]
    context.update(post=post, post_name=dict(posts)[post], is_cqo=post == CQO_POST)
    # The snapshot of the day, when stored, holds the figures and the indicators: the page
    # then runs no query over the registry itself, and its figures' HTML is cached (the
    # {% figures_cache %} fragments of the template, keyed by fragment_key), for the county
    # and for a town alike. A day without a snapshot is computed for each request.
    figures = functools.cache(lambda: _figure_context(day, run, town, post, targets))
    # Lazy: built when the template first renders one of them (never, for a cached fragment).
    # ``charts`` only goes through json_script, which cannot encode a lazy object: a callable,
    # which the template calls.
    context.update(
        {name: SimpleLazyObject(functools.partial(_item, figures, name)) for name in FIGURE_CONTEXT}
    )
    context["charts"] = functools.partial(_item, figures, "charts")
    context["fragment_key"] = kept.fragment_key(run, post, targets, town)
    context.update(day=day, as_of=day, is_bureau=request.user.has_perm("reports.take_snapshots"))
    if post != CQO_POST:
        # A post's own dashboard (issue 19): its targets' figures; the yearly confirmation
        # is the CQO's.
        return render(request, "reports/dashboard.html", context)
    scope_town = town.pk if town else None
    link = ExplainLinks(day)

    # The yearly confirmation (issue 17 §3): the round of the day, live (not in snapshots).
    confirmation = confirmation_selectors.indicator(day, town=town)
    confirm = {
        "all": link(selectors.CONFIRM_CODE, town_id=scope_town),
        "counted": link(selectors.CONFIRM_CODE, town_id=scope_town, show=selectors.SHOW_COUNTED),
        "missing": link(selectors.CONFIRM_CODE, town_id=scope_town, show=selectors.SHOW_MISSING),
    }
    context.update(
        confirmation=confirmation,
        confirmation_links=confirm,
        confirmation_rate=percent(confirmation.rate) if confirmation else "—",
    )
    return render(request, "reports/dashboard.html", context)


class _Kept:
    """The snapshot of ``day``, the targets and the figures' cache key of a dashboard, kept
    per process under the data version ``figures`` (:mod:`reports.kept`, issue 15 §1: five
    ORM queries, a fifth of the page's CPU, for values that change when a snapshot is taken
    or a target, post or town is edited). One plain query a request: the version."""

    def __init__(self, day: date):
        self.day = day
        self.figures = kept.FiguresRead()

    def run_and_targets(self) -> tuple:
        """``(snapshot_for(day), page_targets(run))``."""

        def read():
            run = snapshots.snapshot_for(self.day)
            return run, page_targets(run)

        return self.figures.get(("dashboard run", self.day), read)

    def fragment_key(self, run, post: str, targets, town: Town | None) -> str:
        """:func:`fragment_key` of ``run`` (``""`` without a run), in the current language."""
        if run is None:
            return ""
        town_pk = town.pk if town else None
        key = ("fragment", self.day, run.pk, post, town_pk, translation.get_language())
        return self.figures.get(key, lambda: fragment_key(self.day, run, post, targets, town))


def _item(figures, name: str):
    return figures()[name]


@access.permission_required("reports.view_county_dashboard")
def county_dashboard(request):
    return _render(request, town=None)


@access.permission_required("reports.view_town_dashboard")
def town_dashboard(request):
    return _render(request, town=get_object_or_404(Town, pk=request.user.town_id))
