"""The risk list (/oversight/risk/, issue 17 §2): enterprises with failed spot checks or
penalties, ranked by the bureau's weights, with the reasons joined and a suggested interview.

Reviewers and bureau admins see the county and turn a suggestion into a sanction in one step;
a town officer sees their own town's list (read only); everyone else gets 403 (the anonymous
go to the login page). An enterprise outside the user's scope is a 404. Only the bureau admin
sets the weights.
"""

from functools import partial
from urllib.parse import urlencode

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
from cqo_registry.pages import form_page
from enterprises.selectors import town_list

from .. import risk
from ..forms_risk import RiskInterviewForm, RiskWeightsForm
from ..models import RiskFactor

PER_PAGE = 50

list_readers = permission_required("appointments.view_risk")
bureau_only = permission_required("appointments.interview_on_risk")
admin_only = permission_required("appointments.set_risk_weights")


@list_readers
def risk_list(request):
    user = request.user
    queryset = risk.risk_list(user)
    towns = town_list(user)
    town_id = params.object_id(request, "town") if access.is_bureau(user) else None
    if town_id is not None:
        queryset = queryset.filter(town=town_id)
    q = params.text(request, "q")
    if q:
        queryset = queryset.filter(Q(name__icontains=q) | Q(uscc__iexact=q.upper()))
    # Only the page's rows get their reasons (risk.risk_list): the count and the ranking
    # carry the score alone.
    page = params.page(request, Paginator(queryset, PER_PAGE))
    weights = queryset.weights
    rows = [
        (row, risk.reasons(row, weights), risk.suggests_interview(row)) for row in page.object_list
    ]
    kept = {"town": town_id or "", "q": q}
    return render(
        request,
        "oversight/risk_list.html",
        {
            "page": page,
            "rows": rows,
            "towns": towns if access.is_bureau(user) else None,
            "town_id": town_id,
            "q": q,
            "query": urlencode({k: v for k, v in kept.items() if v}),
            "weights": [(label, weights[factor]) for factor, label in RiskFactor.choices],
            "may_interview": user.has_perm("appointments.interview_on_risk"),
            "may_set_weights": user.has_perm("appointments.set_risk_weights"),
            "since": risk.risk_window(timezone.localdate())[0],
        },
    )


@bureau_only
@require_http_methods(["GET", "POST"])
def risk_interview(request, pk: int):
    """GET: the suggested interview, prefilled from the list's reasons; POST: record it."""
    row = get_scoped_or_404(risk.risk_list(request.user), pk=pk)
    if row.current_appointment_id is None:
        raise Http404  # nobody to interview: the list shows no suggestion either
    weights = risk.risk_weights()
    initial = {
        "reason": risk.interview_reason(row, weights),
        "decided_on": timezone.localdate(),
    }
    return form_page(
        request,
        partial(RiskInterviewForm, initial=initial),
        "oversight/risk_interview.html",
        lambda form: {"row": row, "reasons": risk.reasons(row, weights)},
        on_valid=lambda form: risk.risk_interview_record(
            enterprise=row,
            reason=form.cleaned_data["reason"],
            decided_on=form.cleaned_data["decided_on"],
            actor=request.user,
        ),
        success_message=lambda sanction: (
            _("已登记约谈 %(name)s 的首席质量官 %(person)s，并通知企业。")
            % {"name": row.name, "person": sanction.appointment.person.name}
        ),
        redirect_to=lambda sanction: reverse("oversight:sanction_detail", args=[sanction.pk]),
    )


@admin_only
@require_http_methods(["GET", "POST"])
def risk_weights(request):
    return form_page(
        request,
        partial(RiskWeightsForm, initial=risk.risk_weights()),
        "oversight/risk_weights.html",
        on_valid=lambda form: risk.risk_weights_set(weights=form.cleaned_data, actor=request.user),
        success_message=_("已保存风险权重，风险提示名单按新权重排序。"),
        redirect_to="oversight:risk_list",
    )
