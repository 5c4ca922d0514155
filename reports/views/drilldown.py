""" "Explain this number" (SPEC §6): the enterprises — or, for a training target, the persons
with their enterprises; for the principal share, the appointments; for late filings, the
filings — behind a dashboard figure, counted and missing, filterable,
paginated by keyset (issue 11: a signed cursor in the "next"/"previous" links, so that a deep
page costs what the first does; an altered or foreign cursor is a 400 page), and exportable
to Excel.

The list's count is the snapshot's when it holds it. Otherwise the page does not wait for it
(issue 11: counting 56k–190k rows takes longer than a page may): the rows come first, and the
count is fetched afterwards from ``explain_count`` (by ``static/js/explain-count.js``, or the
"显示总数" link without JavaScript), which counts once and caches the figure for a short time
per list and scope, so that paging on shows it at once without counting again.

Scope is enforced here, on the server: county roles see the county, a town officer only
their own town (asking for another town is a 404), anybody else 403. The rows come from
``reports.selectors``, built on the statistics engine, so they are the figure's own set.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.vary import vary_on_headers

from appointments.models import CQO_POST
from cqo_registry import params
from cqo_registry.accounts import access
from cqo_registry.audit.services import Counted, audit_export, audit_id_numbers_shown
from cqo_registry.exports.views import export_list_or_run
from cqo_registry.quick_fields import form_fragment
from cqo_registry.responses import excel_response
from cqo_registry.spreadsheets import table_workbook

from .. import kept, selectors, snapshots, statistics
from ..exports import (
    explain_audit_name,
    explain_filters,
    explain_form,
    export_filename,
    filter_values,
)
from ..selectors.keyset import BACKWARD, FORWARD, Cursor, InvalidCursor

PAGE_SIZE = 50


CURSOR_SALT = "reports.explain.cursor"

# How long a list's count, once counted, is reused (seconds): long enough for a person paging
# through the list, short enough that a count of data changed since is soon counted again.
COUNT_CACHE_SECONDS = 120


@dataclass
class KeysetPage:
    """One page of a drill-down, cut by keyset: its rows, its number, the list's count (the
    figure's, told rather than counted per page; ``None`` while it is not known yet — the
    page then fetches it after it shows) and the signed cursors of the pages around it.
    Quacks like a Django ``Page`` where the templates and tests read one (``object_list``,
    ``number``, ``has_next()``, ``paginator.count`` / ``num_pages``).

    A count can be stale (data of the date changed after the snapshot was taken): "next"
    follows the rows, not the count, so a stale count never hides a row, and the number of
    pages grows to the page being shown."""

    object_list: list
    number: int
    count: int | None
    more_after: bool
    more_before: bool
    next_cursor: str = ""
    previous_cursor: str = ""

    @property
    def paginator(self):
        return self

    @property
    def num_pages(self) -> int:
        """The pages of the list; while the count is not known, the pages known so far."""
        counted = -(-self.count // PAGE_SIZE) if self.count is not None else 0
        return max(counted, self.number + self.more_after, 1)

    @property
    def pages_known(self) -> int:
        """At least this many pages, whatever the count turns out to be (the page's script
        takes the larger of this and the count's pages)."""
        return max(self.number + self.more_after, 1)

    def has_next(self) -> bool:
        return self.more_after

    def has_previous(self) -> bool:
        return self.more_before

    @property
    def previous_is_first(self) -> bool:
        return self.number == 2


def _cursor_scope(request, code: str, form, show: str) -> str:
    """What a cursor is bound to: the list (figure, date, filters, shown rows) and the user
    it was made for — a cursor copied into another list or to another user is refused."""
    town = form.cleaned_data["town"]
    return json.dumps(
        [
            code,
            form.day.isoformat(),
            town.pk if town else None,
            form.cleaned_data["industry"],
            form.cleaned_data["q"].strip(),
            show,
            request.user.pk,
        ],
        ensure_ascii=False,
    )


def _keyset_page(explained, rows, show, cursor: Cursor | None, *, scope, count, hints):
    """The page the cursor points at (the first page without one): its keys and where the
    pages around it start."""
    after = cursor.values if cursor else None
    backward = cursor is not None and cursor.direction == BACKWARD
    number = cursor.number if cursor else 1
    found, more = selectors.explain_page_keys(
        explained, rows, show, after=after, backward=backward, size=PAGE_SIZE, **hints
    )
    if cursor is not None and (not found or (backward and not more and len(found) < PAGE_SIZE)):
        # Past the rows, or back at the top with a short page (rows changed since the
        # links were made): the first page, whole.
        return _keyset_page(explained, rows, show, None, scope=scope, count=count, hints=hints)
    if backward:
        more_after, more_before = True, more
        if not more:
            number = 1
    else:
        more_after, more_before = more, cursor is not None
    page = KeysetPage(
        object_list=[key[-1] for key in found],
        number=number,
        count=count,
        more_after=more_after,
        more_before=more_before,
    )
    if more_after:
        page.next_cursor = Cursor(FORWARD, list(found[-1]), number + 1, scope, {}).sign(CURSOR_SALT)
    if more_before and number > 2:
        page.previous_cursor = Cursor(BACKWARD, list(found[0]), number - 1, scope, {}).sign(
            CURSOR_SALT
        )
    return page


def _bad_cursor(request, code: str):
    """A page link that was altered or made for another list or user: 400 with the way
    back to the list's first page, never a server error."""
    first = f"{reverse('reports:explain', args=[code])}?{params.query_without(request, 'cursor')}"
    context = {"first_page_url": first}
    return render(request, "reports/explain_bad_cursor.html", context, status=400)


def _known_totals(explained, day: date, user, *, town_id, industry: str, search: str, figures=None):
    """The figure behind a drill-down read from the snapshot of ``day`` (two queries), with
    the run it came from; ``(None, None)`` when the snapshot does not hold it — no snapshot of
    that day, a search, a town crossed with a section, or vacancies counted with another
    limit (each kind says what its snapshot holds) — and it must be counted. ``figures``
    (the request's ``reports.kept.FiguresRead``): kept per process while the snapshots,
    targets and towns do not change."""
    if search:
        return None, None
    if access.is_town_officer(user):
        town_id = user.town_id
    elif not access.sees_whole_county(user):
        return None, None

    def read():
        run = snapshots.snapshot_for(day)
        if run is None:
            return None, None
        figure = explained.kind.stored_totals(explained, run, town_id=town_id, industry=industry)
        return (figure, run) if figure is not None else (None, None)

    if figures is None:
        return read()
    # What the kinds' stored totals read besides the watched tables: the vacancy limit.
    key = ("known", explained.code, day, town_id, industry, settings.CQO_VACANCY_LIMIT_DAYS)
    return figures.get(key, read)


def _totals_cache_key(explained, day: date, user, *, town_id, industry: str, search: str) -> str:
    """The cache key of a list's count: the figure (code and kind), the date, the filters that
    change the rows (town, section, search — not ``show``: the count holds both parts) and
    the user's scope (the county, or the town officer's own town), never the user alone —
    two leaders share a count, a leader and a town officer never do."""
    if access.sees_whole_county(user):
        scope = "county"
    elif access.is_town_officer(user):
        scope, town_id = f"town:{user.town_id}", user.town_id
    else:
        scope = f"user:{user.pk}"  # sees no rows; never shared
    key = json.dumps(
        [explained.code, explained.kind.slug, day.isoformat(), town_id, industry, search, scope],
        ensure_ascii=False,
    )
    return "reports:explain-totals:" + hashlib.sha256(key.encode()).hexdigest()


def _cached_totals(explained, day: date, user, **filters) -> statistics.Figure | None:
    """The list's count if it was counted lately (``explain_count``), else ``None``: a
    cache read, no query — the page shows the count at once when it has it."""
    stored = cache.get(_totals_cache_key(explained, day, user, **filters))
    if isinstance(stored, (list, tuple)) and len(stored) == 2:
        return statistics.Figure(*stored)
    return None


def _counted_totals(explained, day: date, user, rows, **filters) -> statistics.Figure:
    """The list's count (population and counted of ``rows``, two COUNTs), reused from the
    cache when counted within ``COUNT_CACHE_SECONDS`` and stored there otherwise."""
    key = _totals_cache_key(explained, day, user, **filters)
    stored = cache.get(key)
    if isinstance(stored, (list, tuple)) and len(stored) == 2:
        return statistics.Figure(*stored)
    totals = selectors.explain_totals(rows)
    cache.set(key, [totals.population, totals.counted], COUNT_CACHE_SECONDS)
    return totals


def _shown_count(totals: statistics.Figure, show: str) -> int:
    """How many rows the list shows: the counted, the missing or all of the figure."""
    return {
        selectors.SHOW_COUNTED: totals.counted,
        selectors.SHOW_MISSING: totals.population - totals.counted,
    }.get(show, totals.population)


def _totals_context(explained, day: date, totals: statistics.Figure) -> dict:
    """What the kind's summary sentence reads (``totals``, ``missing``, ``rate`` …)."""
    return {
        "explained": explained,
        "day": day,
        "totals": totals,
        "missing": totals.population - totals.counted,
        "rate": None if totals.rate is None else f"{totals.rate * 100:.1f}%",
        **explained.kind.summary_context(day),
    }


def _dashboard_url(dashboard: str, day: date, explained) -> str:
    """The dashboard the list's figure is on: a post target's is its post's (issue 19)."""
    url = f"{reverse(dashboard)}?as_of={day.isoformat()}"
    target = explained.target
    if target is not None and target.post_id != CQO_POST:
        url += f"&post={target.post_id}"
    return url


def _filters(request, code: str):
    return explain_filters(request.user, request.GET, code)


_filter_values = filter_values


def list_towns(form, user=None, figures=None) -> None:
    """Read the town choices of ``form`` (an ``ExplainFilterForm``) now, as a list, in one
    plain query, for the page that writes them: the model field counts the towns and then
    reads them by a server-side cursor (DECLARE, FETCH, CLOSE) when the template loops over
    its choices. Same values (pk) and labels (``Town.__str__``, the name), "全部" first;
    validation is unchanged (it looks the town up in the scoped queryset). With ``figures``
    (the request's ``reports.kept.FiguresRead``) and ``user``, kept per process."""
    towns = form.fields["town"]
    choices = figures.town_choices(user, towns.queryset) if figures is not None else None
    if choices is None:
        choices = towns.queryset.values_list("pk", "name")
    towns.choices = [("", towns.empty_label), *choices]


@access.permission_required("reports.explain_figures")
def explain(request, code: str):
    # The form alone: the page reads its rows by ``selectors.explain_rows(paged=True)``
    # below, so the whole-list queryset of ``explain_filters`` would be built for nothing.
    figures = kept.FiguresRead()
    explained, form = explain_form(request.user, request.GET, code, figures)
    list_towns(form, request.user, figures)
    # The filter fields' HTML is the same for the same fields, values, choices and language:
    # rendered once per process (issue 15 §1).
    filter_fields = form_fragment("reports/explain/_filter_fields.html", form)
    context = {"explained": explained, "form": form, "page": None, "filter_fields": filter_fields}
    if form.is_valid():
        show = form.cleaned_data["show"] or selectors.SHOW_ALL
        filters = _filter_values(form)
        scope = _cursor_scope(request, code, form, show)
        cursor = None
        if request.GET.get("cursor"):
            try:
                cursor = Cursor.load(request.GET["cursor"], salt=CURSOR_SALT, scope=scope)
            except InvalidCursor:
                return _bad_cursor(request, code)
        # The figure (population and counted) is the snapshot's when it holds it, or the
        # count made lately for this list (cached). Otherwise the page does not wait for it:
        # the rows come first and the page fetches the count afterwards (explain_count).
        # Each page computes its display columns for its own 50 rows only.
        totals, totals_run = _known_totals(
            explained, form.day, request.user, figures=figures, **filters
        )
        if totals is None:
            totals = _cached_totals(explained, form.day, request.user, **filters)
        count = None if totals is None else _shown_count(totals, show)
        hints = {
            "town_id": request.user.town_id
            if access.is_town_officer(request.user)
            else filters["town_id"],
            "narrowed": bool(filters["industry"] or filters["search"]),
            "figures": figures,
        }
        # The same rows, in a query shaped for reading one page (T3: per-row probes along
        # the persons' name index); the count (explain_count) reads them whole.
        paged = selectors.explain_rows(
            explained, form.day, user=request.user, paged=True, **filters
        )
        page = _keyset_page(explained, paged, show, cursor, scope=scope, count=count, hints=hints)
        page.object_list = selectors.explain_page_rows(
            explained, form.day, page.object_list, user=request.user, **filters
        )
        explained.kind.prepare(page.object_list, request.user)
        context["rows_html"] = explained.kind.rows_html(page.object_list, explained)
        if explained.kind.slug == "persons" or getattr(explained.kind, "shows_id_numbers", False):
            audit_id_numbers_shown(request, page.object_list, page="reports:explain")
        query = params.query_without(request, "page", "cursor")
        town_officer = access.is_town_officer(request.user)
        dashboard = "reports:town_dashboard" if town_officer else "reports:dashboard"
        if totals is not None:
            context.update(_totals_context(explained, form.day, totals))
        else:
            context["count_url"] = f"{reverse('reports:explain_count', args=[code])}?{query}"
        context.update(
            day=form.day,
            show=show,
            totals=totals,
            totals_run=totals_run,
            page=page,
            page_size=PAGE_SIZE,
            query=query,
            export_url=f"{reverse('reports:explain_export', args=[code])}?{query}",
            dashboard_url=_dashboard_url(dashboard, form.day, explained),
        )
    return render(request, "reports/explain.html", context)


def _wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@vary_on_headers("Accept")  # JSON for the page's script, a small page for the link
@access.permission_required("reports.explain_figures")
def explain_count(request, code: str):
    """The count of a drill-down list (SPEC §6, issue 11), fetched after the list's page has
    shown its rows: same filters, same scope checks as ``explain`` (a town outside the
    user's scope is a 404, a role without the permission a 403), the same figure — the
    snapshot's when it holds it, else the list counted (two COUNTs) and cached for
    ``COUNT_CACHE_SECONDS`` per figure, date, filters and scope.

    ``Accept: application/json`` (the page's script): ``{"population", "counted", "count"
    (the rows the list shows, by ``show``), "rate" ("61.5%" or null), "summary" (the
    summary sentence, HTML)}``; a bad date or another invalid filter (``show``) is a 400
    ``{"error"}`` naming which. Otherwise (the "显示总数" link without JavaScript) a small
    page with the summary and the way back to the list."""
    explained, form, rows = _filters(request, code)
    list_url = f"{reverse('reports:explain', args=[code])}?{params.query_without(request)}"
    if rows is None:
        if _wants_json(request):
            # Say which part is wrong: a bad ``show`` is not a bad date.
            if "as_of" in form.errors:
                return JsonResponse({"error": _("统计日期无效。")}, status=400)
            return JsonResponse({"error": _("筛选条件无效。")}, status=400)
        return HttpResponseRedirect(list_url)
    show = form.cleaned_data["show"] or selectors.SHOW_ALL
    filters = _filter_values(form)
    totals, totals_run = _known_totals(explained, form.day, request.user, **filters)
    if totals is None:
        totals = _counted_totals(explained, form.day, request.user, rows, **filters)
    context = _totals_context(explained, form.day, totals)
    context.update(count=_shown_count(totals, show), totals_run=totals_run, list_url=list_url)
    if _wants_json(request):
        # Without the request: the sentence needs no context processor (the menu's badges).
        summary = render_to_string(explained.kind.summary_template, context)
        return JsonResponse(
            {
                "population": totals.population,
                "counted": totals.counted,
                "count": context["count"],
                "rate": context["rate"],
                "summary": summary.strip(),
            }
        )
    return render(request, "reports/explain_count.html", context)


@access.permission_required("reports.explain_figures")
def explain_export(request, code: str):
    """Sent at once up to ``CQO_EXPORT_BACKGROUND_ROWS`` rows, else built by a task
    (``reports.exports.ExplainExport``) whose page the user is sent to."""
    explained, form, rows = _filters(request, code)
    if rows is None:
        # A bad date: show the same list page, which explains the error.
        url = reverse("reports:explain", args=[code])
        return HttpResponseRedirect(f"{url}?{request.GET.urlencode()}")
    show = form.cleaned_data["show"] or selectors.SHOW_ALL
    rows = selectors.filter_show(rows, show)

    def respond():
        # Written row by row (write-only mode) to a spooled file, then streamed in chunks.
        counted = Counted(rows.iterator(chunk_size=2000))
        workbook = table_workbook(
            explained.title, explained.kind.columns(explained, form.day, request.user), counted
        )
        # The figure as people read it (never an internal code such as LATE_ALL): the trail
        # is read by bureau admins.
        audit_export(request, export=explain_audit_name(explained), rows=counted.count)
        return excel_response(workbook, filename=export_filename(explained, form.day, show))

    return export_list_or_run(
        request,
        kind="explain",
        rows=rows,
        respond=respond,
        set_query={"as_of": form.day.isoformat()},
        code=code,
    )
