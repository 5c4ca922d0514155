"""The results overview (/exams/results/, issue 20): finished candidates' results across
sittings, filtered by town, post, sitting dates, result and spot checks, with a summary per
town and per post, and its Excel export (at once when small, else in the background).

The bureau and leaders see the county; a town officer their own town's enterprises'
candidates (``exams.view_results_overview``); anyone else gets 403, the anonymous the login
page. Failed spot checks that suggest the sanction path are shown to those who may record
sanctions, each with a link to the prefilled sanction form."""

from functools import partial

from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from cqo_registry import params
from cqo_registry.accounts.access import permission_required
from cqo_registry.exports.views import export_list_or_run

from .. import exports, selectors

PER_PAGE = 50
SUGGESTIONS_SHOWN = 50
overview_readers = permission_required("exams.view_results_overview")


def _with_suggestions(candidates, may_sanction: bool):
    for candidate in candidates:
        candidate.suggests_sanction = may_sanction and selectors.suggests_sanction(candidate)
    return candidates


@overview_readers
@require_http_methods(["GET"])
def results_overview(request):
    user = request.user
    filterset, rows = selectors.filtered_results(user, request.GET)
    page = params.page(request, Paginator(rows, PER_PAGE))
    may_sanction = user.has_perm("appointments.record_sanction")
    _with_suggestions(page.object_list, may_sanction)
    by_town = selectors.summary_by_town(rows)
    by_post = selectors.summary_by_post(rows)
    suggestions = []
    if may_sanction:
        suggestions = [
            c
            for c in selectors.spot_check_failures(user).filter(
                sanctioned_since=False, enterprise_has_cqo=True
            )[:SUGGESTIONS_SHOWN]
            if selectors.suggests_sanction(c)
        ]
    return render(
        request,
        "exams/results_overview.html",
        {
            "filter": filterset,
            "page": page,
            "query": params.query_without(request, "page"),
            "by_town": by_town,
            "town_total": selectors.summary_total(by_town),
            "by_post": by_post,
            "post_total": selectors.summary_total(by_post),
            "suggestions": suggestions,
            "may_sanction": may_sanction,
            "can_open_sittings": user.has_perm("exams.view_results"),
        },
    )


@overview_readers
@require_http_methods(["GET", "POST"])
def results_export(request):
    """Sent at once up to ``CQO_EXPORT_BACKGROUND_ROWS`` rows, else built by a task
    (``exports.ResultsExport``) whose page the user is sent to."""
    today = timezone.localdate()
    _filterset, rows = selectors.filtered_results(request.user, request.GET)
    respond = partial(exports.results_response, request, rows, day=today)
    return export_list_or_run(
        request, kind="exam_results", rows=rows, respond=respond, day=today.isoformat()
    )
