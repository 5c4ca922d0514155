"""The audit trail's page (/audit/, issue 14 §1): bureau admins search it by user, object,
action and date, and export what they found. Everybody else gets 403 (the anonymous the login
page). Exporting the trail is itself recorded."""

from functools import partial

from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from cqo_registry import params
from cqo_registry.accounts.access import permission_required
from cqo_registry.exports.views import export_list_or_run

from .exports import AuditExport, form_events, searched_events
from .forms import AuditSearchForm
from .selectors import audit_events
from .services import retention_days

PER_PAGE = 50
admin_only = permission_required("audit.view_trail")


@admin_only
@require_GET
def events(request):
    form = AuditSearchForm(request.GET or None)
    found = form_events(form) if request.GET else audit_events()
    page = params.page(request, Paginator(found if found is not None else [], PER_PAGE))
    return render(
        request,
        "audit/events.html",
        {
            "form": form,
            "page": page,
            "query": params.query_without(request, "page"),
            "retention_days": retention_days(),
        },
        status=200 if found is not None else 400,
    )


@admin_only
@require_http_methods(["GET", "POST"])
def export(request):
    """Sent at once up to ``CQO_EXPORT_BACKGROUND_ROWS`` rows, else built by a task
    (``exports.AuditExport``) whose page the user is sent to."""
    found = searched_events(request.GET)
    if found is None:
        return events(request)
    today = timezone.localdate()
    respond = partial(AuditExport().response, request, found, today)
    return export_list_or_run(
        request, kind="audit", rows=found, respond=respond, day=today.isoformat()
    )
