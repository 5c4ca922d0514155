""" "Explain this number" (SPEC §6): the enterprises — or, for a training target, the persons
with their enterprises; for the principal share, the appointments; for late filings, the
filings — behind a dashboard figure, counted and missing, filterable,
paginated by keyset (issue 11: a signed cursor in the "next"/"previous" links, so that a deep
page costs what the first does; an altered or foreign cursor is a 400 page), and exportable
to Excel.

Scope is enforced here, on the server: county roles see the county, a town officer only
their own town (asking for another town is a 404), anybody else 403. The rows come from
``reports.selectors``, built on the statistics engine, so they are the figure's own set.
"""

import json
from dataclasses import dataclass
from datetime import date

from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse

from appointments.models import CQO_POST
from cqo_registry import params
from cqo_registry.accounts import access
from cqo_registry.audit.services import Counted, audit_export, audit_id_numbers_shown
from cqo_registry.exports.views import export_or_run, request_parameters
from cqo_registry.responses import excel_response
from cqo_registry.spreadsheets import table_workbook

from .. import selectors, snapshots, statistics
from ..exports import explain_audit_name, explain_filters, export_filename, filter_values
from ..selectors.keyset import BACKWARD, FORWARD, Cursor, InvalidCursor

PAGE_SIZE = 50


CURSOR_SALT = "reports.explain.cursor"


@dataclass
class KeysetPage:
    """One page of a drill-down, cut by keyset: its rows, its number, the list's count (the
    figure's, told rather than counted per page) and the signed cursors of the pages around
    it. Quacks like a Django ``Page`` where the templates and tests read one
    (``object_list``, ``number``, ``has_next()``, ``paginator.count`` / ``num_pages``).

    A count can be stale (data of the date changed after the snapshot was taken): "next"
    follows the rows, not the count, so a stale count never hides a row, and the number of
    pages grows to the page being shown."""

    object_list: list
    number: int
    count: int
    more_after: bool
    more_before: bool
    next_cursor: str = ""
    previous_cursor: str = ""

    @property
    def paginator(self):
        return self

    @property
    def num_pages(self) -> int:
        return max(-(-self.count // PAGE_SIZE), self.number + self.more_after, 1)

    def has_next(self) -> bool:
        return self.more_after

    def has_previous(self) -> bool:
        return self.more_before

    @property
    def previous_is_first(self) -> bool:
        return self.number == 2


def _cursor_scope(request, code: str, form, show: str) -> str:
    """What a cursor is bound to: the list (figure, date, filters, shown rows) and the user
    it was made for — a cursor copied into another list or to another user is refused
    (their count, carried in the cursor, would not be theirs)."""
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


def _carried_totals(cursor: Cursor | None) -> statistics.Figure | None:
    """The figure counted on the first page and carried, signed, in the cursor."""
    carried = cursor.extra.get("c") if cursor else None
    if (
        isinstance(carried, list)
        and len(carried) == 2
        and all(type(n) is int and n >= 0 for n in carried)
        and carried[1] <= carried[0]
    ):
        return statistics.Figure(*carried)
    return None


def _keyset_page(explained, rows, show, cursor: Cursor | None, *, scope, count, extra, hints):
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
        return _keyset_page(
            explained, rows, show, None, scope=scope, count=count, extra=extra, hints=hints
        )
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
        page.next_cursor = Cursor(FORWARD, list(found[-1]), number + 1, scope, extra).sign(
            CURSOR_SALT
        )
    if more_before and number > 2:
        page.previous_cursor = Cursor(BACKWARD, list(found[0]), number - 1, scope, extra).sign(
            CURSOR_SALT
        )
    return page


def _bad_cursor(request, code: str):
    """A page link that was altered or made for another list or user: 400 with the way
    back to the list's first page, never a server error."""
    first = f"{reverse('reports:explain', args=[code])}?{params.query_without(request, 'cursor')}"
    context = {"first_page_url": first}
    return render(request, "reports/explain_bad_cursor.html", context, status=400)


def _known_totals(explained, day: date, user, *, town_id, industry: str, search: str):
    """The figure behind a drill-down read from the snapshot of ``day`` (two queries), with
    the run it came from; ``(None, None)`` when the snapshot does not hold it — no snapshot of
    that day, a search, a town crossed with a section, or vacancies counted with another
    limit (each kind says what its snapshot holds) — and it must be counted."""
    if search:
        return None, None
    if access.is_town_officer(user):
        town_id = user.town_id
    elif not access.sees_whole_county(user):
        return None, None
    run = snapshots.snapshot_for(day)
    if run is None:
        return None, None
    figure = explained.kind.stored_totals(explained, run, town_id=town_id, industry=industry)
    return (figure, run) if figure is not None else (None, None)


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


@access.permission_required("reports.explain_figures")
def explain(request, code: str):
    explained, form, rows = _filters(request, code)
    context = {"explained": explained, "form": form, "page": None}
    if rows is not None:
        show = form.cleaned_data["show"] or selectors.SHOW_ALL
        filters = _filter_values(form)
        scope = _cursor_scope(request, code, form, show)
        cursor = None
        if request.GET.get("cursor"):
            try:
                cursor = Cursor.load(request.GET["cursor"], salt=CURSOR_SALT, scope=scope)
            except InvalidCursor:
                return _bad_cursor(request, code)
        # The figure (population and counted) is the snapshot's when it holds it; else it
        # is counted once, on the first page, and carried (signed) in the pages' cursors.
        # Each page computes its display columns for its own 50 rows only.
        totals, totals_run = _known_totals(explained, form.day, request.user, **filters)
        extra = {}
        if totals is None:
            totals = _carried_totals(cursor) or selectors.explain_totals(rows)
            extra = {"c": [totals.population, totals.counted]}
        count = {
            selectors.SHOW_COUNTED: totals.counted,
            selectors.SHOW_MISSING: totals.population - totals.counted,
        }.get(show, totals.population)
        hints = {
            "town_id": request.user.town_id
            if access.is_town_officer(request.user)
            else filters["town_id"],
            "narrowed": bool(filters["industry"] or filters["search"]),
        }
        # The same rows, in a query shaped for reading one page (T3: per-row probes along
        # the persons' name index); the count above reads them whole.
        paged = selectors.explain_rows(
            explained, form.day, user=request.user, paged=True, **filters
        )
        page = _keyset_page(
            explained, paged, show, cursor, scope=scope, count=count, extra=extra, hints=hints
        )
        page.object_list = selectors.explain_page_rows(
            explained, form.day, page.object_list, user=request.user, **filters
        )
        explained.kind.label(page.object_list)
        if explained.kind.slug == "persons" or getattr(explained.kind, "shows_id_numbers", False):
            audit_id_numbers_shown(request, page.object_list, page="reports:explain")
        query = params.query_without(request, "page", "cursor")
        town_officer = access.is_town_officer(request.user)
        dashboard = "reports:town_dashboard" if town_officer else "reports:dashboard"
        context.update(
            day=form.day,
            show=show,
            totals=totals,
            totals_run=totals_run,
            missing=totals.population - totals.counted,
            rate=None if totals.rate is None else f"{totals.rate * 100:.1f}%",
            page=page,
            query=query,
            export_url=f"{reverse('reports:explain_export', args=[code])}?{query}",
            dashboard_url=_dashboard_url(dashboard, form.day, explained),
            **explained.kind.summary_context(form.day),
        )
    return render(request, "reports/explain.html", context)


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

    return export_or_run(
        request,
        kind="explain",
        parameters=request_parameters(
            request, set_query={"as_of": form.day.isoformat()}, code=code
        ),
        count=rows.order_by().count(),
        respond=respond,
    )
