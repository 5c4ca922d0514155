"""Enterprises 待完善 (/enterprises/incomplete/, issue 17 §1): those the above-scale
reconciliation brought in without a town or an industry section, for the bureau to complete.
Bureau roles only (reviewers keep the registry; others 403, the anonymous to the login page).
"""

from functools import partial
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from cqo_registry import params
from cqo_registry.accounts.access import get_scoped_or_404, permission_required
from cqo_registry.pages import form_page

from .. import services
from ..forms_upkeep import CompleteEnterpriseForm
from ..selectors import enterprise_list
from ..validators import normalize_uscc

PER_PAGE = 50
bureau_only = permission_required("enterprises.complete_enterprise")


@bureau_only
def incomplete(request):
    queryset = enterprise_list(request.user).incomplete().order_by("-created_at", "pk")
    q = params.text(request, "q")
    if q:
        queryset = queryset.filter(Q(name__icontains=q) | Q(uscc=normalize_uscc(q)))
    page = params.page(request, Paginator(queryset, PER_PAGE))
    query = urlencode({"q": q}) if q else ""
    return render(request, "enterprises/incomplete.html", {"page": page, "q": q, "query": query})


@bureau_only
@require_http_methods(["GET", "POST"])
def complete(request, pk: int):
    enterprise = get_scoped_or_404(enterprise_list(request.user).incomplete(), pk=pk)
    initial = {"town": enterprise.town_id, "industry": enterprise.industry}
    return form_page(
        request,
        partial(CompleteEnterpriseForm, initial=initial),
        "enterprises/complete.html",
        {"enterprise": enterprise},
        # The form's fields (town, industry) are the service's arguments.
        on_valid=lambda form: services.enterprise_complete(
            enterprise=enterprise, actor=request.user, **form.cleaned_data
        ),
        success_message=_("已补填 %(name)s 的所属镇和行业门类。") % {"name": enterprise.name},
        redirect_to="enterprises:incomplete",
    )
