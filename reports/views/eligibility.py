"""Honours eligibility (SPEC §6.3) for bureau staff: a page and a JSON endpoint.

Both are for the bureau roles only (admin, reviewer): leaders, town officers and enterprise
users get 403. Anonymous users are sent to the login page, the JSON endpoint included — it
is used from a signed-in browser session, not as a public API.
"""

from django.contrib.auth.views import redirect_to_login
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from cqo_registry.accounts.access import permission_required
from enterprises.models import Enterprise
from enterprises.validators import normalize_uscc

from .. import eligibility as rules
from ..assessment import default_day
from ..forms_assessment import EligibilityForm, EligibilityQueryForm, looks_like_uscc

CANDIDATES_SHOWN = 20


@permission_required("reports.check_honours_eligibility")
def eligibility(request):
    context = {"form": EligibilityForm(initial={"date": default_day()})}
    if "enterprise" in request.GET:
        form = EligibilityForm(request.GET)
        context["form"] = form
        if form.is_valid():
            context.update(_answer(form))
    return render(request, "reports/eligibility.html", context)


def _answer(form) -> dict:
    """Find the enterprise (by USCC, or by a name that matches exactly one) and answer."""
    text, day = form.cleaned_data["enterprise"], form.cleaned_data["date"]
    if looks_like_uscc(text):
        enterprise = rules.find_enterprise(normalize_uscc(text))
        if enterprise is None:
            form.add_error(
                "enterprise", _("未找到统一社会信用代码为 %(uscc)s 的企业。") % {"uscc": text}
            )
            return {}
        return {"result": rules.check(enterprise, day)}
    matches = Enterprise.objects.select_related("town").filter(name__icontains=text)
    exact = list(matches.filter(name=text)[:2])
    if len(exact) == 1:
        return {"result": rules.check(exact[0], day)}
    candidates = list(matches.order_by("name")[: CANDIDATES_SHOWN + 1])
    if not candidates:
        form.add_error("enterprise", _("未找到名称包含“%(text)s”的企业。") % {"text": text})
        return {}
    if len(candidates) == 1:
        return {"result": rules.check(candidates[0], day)}
    return {
        "candidates": candidates[:CANDIDATES_SHOWN],
        "more_candidates": len(candidates) > CANDIDATES_SHOWN,
        "day": day,
    }


def _json_error(message: str, status: int, **extra) -> JsonResponse:
    return JsonResponse(
        {"error": message, **extra}, status=status, json_dumps_params={"ensure_ascii": False}
    )


def eligibility_json(request):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not request.user.has_perm("reports.check_honours_eligibility"):
        return _json_error(_("无权访问。"), 403)
    form = EligibilityQueryForm(request.GET)
    if not form.is_valid():
        errors = {name: [str(e) for e in errs] for name, errs in form.errors.items()}
        return _json_error(_("参数有误。"), 400, fields=errors)
    enterprise = rules.find_enterprise(form.cleaned_data["uscc"])
    if enterprise is None:
        return _json_error(_("未找到该统一社会信用代码对应的企业。"), 404)
    result = rules.check(enterprise, form.cleaned_data["date"])
    return JsonResponse(result.as_json(), json_dumps_params={"ensure_ascii": False})
