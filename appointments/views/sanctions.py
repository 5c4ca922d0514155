"""Quality incidents and sanctions (/oversight/, 事故与约谈警示退出).

Bureau roles record incidents and sanctions; a leader reads everything; a town officer reads
their town's; an enterprise user reads their own enterprise's; anyone else gets 403 (the
anonymous go to the login page). Rows outside the user's scope are 404. A major incident with
no linked sanction is shown to the bureau as "建议约谈首席质量官" with a prefilled sanction
form. Sanction documents are private and served only through ``document_download``.
"""

from functools import partial
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from cqo_registry import params
from cqo_registry.accounts import access
from cqo_registry.accounts.access import get_scoped_or_404, permission_required
from cqo_registry.pages import audited_file_response, change_history, form_page
from enterprises.selectors import enterprise_list
from enterprises.validators import normalize_uscc

from .. import sanctions, services
from ..forms_oversight import EnterpriseSearchForm, IncidentForm, SanctionForm
from ..models import SanctionDocument, SanctionKind, Severity

PER_PAGE = 50
PICK_LIMIT = 20

bureau_only = permission_required("appointments.record_sanction")
viewers = permission_required("appointments.view_sanctions")


def _page(request, queryset, **kept: str):
    """The page of ``queryset`` asked for, and the query string of the filters ``kept`` (the
    values as read) for the pagination links."""
    page = params.page(request, Paginator(queryset, PER_PAGE))
    query = urlencode({key: value for key, value in kept.items() if value})
    return page, query


# --- Lists -------------------------------------------------------------------------------------


@viewers
def sanction_list(request):
    user = request.user
    queryset = sanctions.sanction_list_for(user).order_by("-decided_on", "-pk")
    kind = params.choice(request, "kind", SanctionKind.values)
    if kind:
        queryset = queryset.filter(kind=kind)
    q = params.text(request, "q")
    if q and not access.is_enterprise_user(user):
        queryset = queryset.filter(
            Q(appointment__enterprise__name__icontains=q)
            | Q(appointment__person__name__icontains=q)
        )
    page, query = _page(request, queryset, kind=kind, q=q)
    context = {
        "page": page,
        "query": query,
        "kinds": SanctionKind.choices,
        "kind": kind,
        "q": q,
        "may_record": user.has_perm("appointments.record_sanction"),
        "is_enterprise": access.is_enterprise_user(user),
    }
    if context["may_record"]:
        context["needing_action"] = sanctions.incidents_needing_action(user).order_by(
            "-occurred_on", "-pk"
        )[:PER_PAGE]
    return render(request, "oversight/sanction_list.html", context)


@viewers
def incident_list(request):
    user = request.user
    queryset = sanctions.incident_list_for(user).order_by("-occurred_on", "-pk")
    severity = params.choice(request, "severity", Severity.values)
    if severity:
        queryset = queryset.filter(severity=severity)
    needs_action = params.flag(request, "needs_action")
    if needs_action:
        queryset = queryset.filter(severity=Severity.MAJOR, has_sanction=False)
    q = params.text(request, "q")
    if q and not access.is_enterprise_user(user):
        queryset = queryset.filter(enterprise__name__icontains=q)
    page, query = _page(
        request, queryset, severity=severity, needs_action="1" if needs_action else "", q=q
    )
    return render(
        request,
        "oversight/incident_list.html",
        {
            "page": page,
            "query": query,
            "severities": Severity.choices,
            "severity": severity,
            "needs_action": needs_action,
            "q": q,
            "may_record": user.has_perm("appointments.record_sanction"),
            "is_enterprise": access.is_enterprise_user(user),
            "MAJOR": Severity.MAJOR,
        },
    )


# --- Picking the enterprise of a new record -------------------------------------------------------


def _enterprise_from_query(request):
    """The enterprise named by ``?enterprise=<id>`` within the user's scope (404 outside it),
    or ``None`` when no id is given (or what is given is not an id): the picker is shown."""
    pk = params.object_id(request, "enterprise")
    if pk is None:
        return None
    return get_scoped_or_404(enterprise_list(request.user), pk=pk)


def _pick_enterprise(request, *, title: str, target: str):
    form = EnterpriseSearchForm(request.GET or None)
    matches = []
    if form.is_valid() and form.cleaned_data["q"]:
        q = form.cleaned_data["q"].strip()
        matches = (
            enterprise_list(request.user)
            .filter(Q(name__icontains=q) | Q(uscc=normalize_uscc(q)))
            .order_by("name")[:PICK_LIMIT]
        )
    return render(
        request,
        "oversight/pick_enterprise.html",
        {"form": form, "matches": matches, "title": title, "target": target},
    )


# --- Incidents ---------------------------------------------------------------------------------


@bureau_only
@require_http_methods(["GET", "POST"])
def incident_create(request):
    enterprise = _enterprise_from_query(request)
    if enterprise is None:
        return _pick_enterprise(
            request, title=_("登记质量安全事故"), target=reverse("oversight:incident_create")
        )
    return _incident_form(request, enterprise, None)


def _incident_form(request, enterprise, incident):
    """The incident form page: a new incident of ``enterprise`` (``incident`` None), or
    ``incident`` corrected."""
    if incident is None:
        make_form = IncidentForm
        save = partial(sanctions.incident_record, enterprise=enterprise)
        success_message = _("已登记质量安全事故。")
    else:
        make_form = partial(IncidentForm.for_incident, incident)
        save = partial(sanctions.incident_update, incident=incident)
        success_message = _("已保存。")
    return form_page(
        request,
        lambda data, files: make_form(data),
        "oversight/incident_form.html",
        {"enterprise": enterprise, "incident": incident},
        on_valid=lambda form: save(actor=request.user, **form.cleaned_data),
        success_message=success_message,
        redirect_to=lambda saved: reverse("oversight:incident_detail", args=[saved.pk]),
    )


@viewers
def incident_detail(request, pk: int):
    user = request.user
    incident = get_scoped_or_404(sanctions.incident_list_for(user), pk=pk)
    return render(
        request,
        "oversight/incident_detail.html",
        {
            "incident": incident,
            "linked": incident.sanctions.select_related("appointment__person").order_by(
                "-decided_on"
            ),
            "suggests_sanction": user.has_perm("appointments.record_sanction")
            and sanctions.suggests_sanction(incident),
            "may_record": user.has_perm("appointments.record_sanction"),
            "history": change_history(user, incident),
        },
    )


@bureau_only
@require_http_methods(["GET", "POST"])
def incident_edit(request, pk: int):
    incident = get_scoped_or_404(sanctions.incident_list_for(request.user), pk=pk)
    return _incident_form(request, incident.enterprise, incident)


# --- Sanctions ---------------------------------------------------------------------------------


def _suggested_initial(incident) -> dict:
    return {
        "kind": SanctionKind.INTERVIEW,
        "incident": incident.pk,
        "decided_on": timezone.localdate(),
        "reason": _("%(day)s 企业发生%(severity)s质量安全事故：%(description)s")
        % {
            "day": incident.occurred_on,
            "severity": incident.get_severity_display(),
            "description": incident.description,
        },
    }


def _prefilled(request):
    """``(enterprise, initial)`` from the first ``?<name>=<id>`` of
    :data:`sanctions.SANCTION_PREFILLS` the query carries (404 when its app finds no such row
    in the user's scope), else ``(None, None)``."""
    for name, prefill in sanctions.SANCTION_PREFILLS.items():
        pk = params.object_id(request, name)
        if pk is None:
            continue
        found = prefill(request.user, pk)
        if found is None:
            raise Http404
        return found
    return None, None


def _sanction_recorded(sanction) -> str:
    if sanction.kind == SanctionKind.EXIT:
        return _("已登记退出：%(name)s 的聘任于 %(day)s 结束，已通知企业。") % {
            "name": sanction.appointment.person.name,
            "day": sanction.decided_on,
        }
    return _("已登记处理措施并通知企业。")


@bureau_only
@require_http_methods(["GET", "POST"])
def sanction_create(request):
    """``?incident=<id>``: prefilled from the incident (an interview of the enterprise's
    current CQO); ``?<name>=<id>`` of :data:`sanctions.SANCTION_PREFILLS` (``exam_paper``: a
    failed spot check): prefilled by the app that suggested it; ``?enterprise=<id>``: blank;
    none: pick the enterprise first."""
    incident = None
    initial = None
    incident_pk = params.object_id(request, "incident")
    if incident_pk is not None:
        incident = get_scoped_or_404(sanctions.incident_list_for(request.user), pk=incident_pk)
        enterprise = incident.enterprise
    else:
        enterprise, initial = _prefilled(request)
        if enterprise is None:
            enterprise = _enterprise_from_query(request)
    if enterprise is None:
        return _pick_enterprise(
            request, title=_("登记约谈、警示或退出"), target=reverse("oversight:sanction_create")
        )
    if initial is None:
        initial = _suggested_initial(incident) if incident else {"decided_on": timezone.localdate()}
    current = services.current_appointment(enterprise)
    if current is not None:
        initial.setdefault("appointment", current.pk)
    return form_page(
        request,
        partial(SanctionForm, enterprise=enterprise, initial=initial),
        "oversight/sanction_form.html",
        {"enterprise": enterprise, "incident": incident},
        # The form's fields are the service's arguments, as on the incident form.
        on_valid=lambda form: sanctions.sanction_record(actor=request.user, **form.cleaned_data),
        success_message=_sanction_recorded,
        redirect_to=lambda sanction: reverse("oversight:sanction_detail", args=[sanction.pk]),
    )


@viewers
def sanction_detail(request, pk: int):
    user = request.user
    sanction = get_scoped_or_404(sanctions.sanction_list_for(user), pk=pk)
    return render(
        request,
        "oversight/sanction_detail.html",
        {
            "sanction": sanction,
            # Leaders read the sanction, not its documents (SPEC §1, PIPL).
            "documents": sanction.documents.order_by("uploaded_at", "pk")
            if user.has_perm("appointments.open_private_files")
            else None,
            "history": change_history(user, sanction),
        },
    )


@viewers
def document_download(request, pk: int, document_pk: int):
    """Serve a sanction document to users who may see the sanction; there is no other URL."""
    sanction = get_scoped_or_404(sanctions.sanction_list_for(request.user), pk=pk)
    if not request.user.has_perm("appointments.open_private_files"):
        raise PermissionDenied  # a leader reads the sanction, not its documents
    document = get_scoped_or_404(SanctionDocument.objects.filter(sanction=sanction), pk=document_pk)
    return audited_file_response(request, document.file, filename=document.name, obj=document)
