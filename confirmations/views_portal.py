"""The yearly confirmation in the enterprise portal (/portal/confirmation/, issue 17 §3).

Enterprise users only, for their own enterprise (other roles 403, the anonymous to the login
page). The page shows the CQO, position, departments and contact details the registry holds,
prefilled, each confirmed or corrected; a CQO who changed is answered with a change filing
(the portal's own filing form and services), one who left with a dismissal filing, and an
enterprise without a CQO reports the vacancy. One answer per round.
"""

from functools import partial

from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from appointments import services as filing_services
from appointments.forms import DismissalFilingForm
from appointments.models import Department
from appointments.views import portal
from cqo_registry.accounts import access
from cqo_registry.accounts.access import permission_required
from cqo_registry.pages import form_page, run_action

from . import selectors, services
from .forms import ConfirmDetailsForm

enterprise_only = permission_required("confirmations.confirm_record")


def _pending_or_redirect(request):
    """The enterprise's pending confirmation, or a redirect to the confirmation page (which
    says why there is nothing to answer)."""
    confirmation = selectors.for_enterprise(request.user.enterprise_id)
    if confirmation is None or confirmation.responded:
        return None, redirect("portal:confirmation")
    return confirmation, None


@enterprise_only
@require_http_methods(["GET", "POST"])
def confirmation(request):
    enterprise = request.user.enterprise
    answer = selectors.for_enterprise(enterprise.pk)
    current = filing_services.current_appointment(enterprise)
    context = {"confirmation": answer, "current": current, "form": None}
    if current is not None:
        labels = dict(Department.choices)
        context["departments"] = [str(labels.get(d, d)) for d in current.departments or []]
        context["mobile"] = access.mobile_for(request.user, current.person)
    if answer is not None and not answer.responded and current is not None:
        initial = {
            "position": current.position,
            "departments": current.departments,
            "is_principal": current.is_principal,
            "email": current.person.email,
        }
        return form_page(
            request,
            partial(
                ConfirmDetailsForm, initial=initial, masked_mobile=current.person.masked_mobile
            ),
            "confirmations/portal.html",
            context,
            on_valid=lambda form: services.confirmation_confirm(
                confirmation=answer,
                position=form.cleaned_data["position"],
                departments=list(form.cleaned_data["departments"]),
                is_principal=form.cleaned_data["is_principal"],
                mobile=form.cleaned_data["mobile"],
                email=form.cleaned_data["email"],
                actor=request.user,
            ),
            success_message=lambda confirmed: (
                _("已完成年度确认，更正的信息已登记。")
                if confirmed.corrections
                else _("已完成年度确认。")
            ),
            redirect_to="portal:confirmation",
        )
    return render(request, "confirmations/portal.html", context)


@enterprise_only
@require_http_methods(["GET", "POST"])
def confirmation_change(request):
    """The CQO changed: the answer is a change filing, made with the portal's filing form."""
    answer, back = _pending_or_redirect(request)
    if back is not None:
        return back
    current = filing_services.current_appointment(request.user.enterprise)
    if current is None:
        messages.info(request, _("贵企业没有在任的首席质量官，请报告空缺或办理聘任备案。"))
        return redirect("portal:confirmation")
    refused = portal._refuse_if_open(request)
    if refused is not None:
        return refused
    form = portal.filing_form(request, change=True)
    if request.method == "POST" and form.is_valid():

        @transaction.atomic
        def change_and_answer():
            filing = portal.save_appointment_filing(request, form, change=True)
            services.confirmation_record_change(
                confirmation=answer, filing=filing, actor=request.user
            )
            return filing

        done = portal._save_draft(
            request,
            form,
            change_and_answer,
            _("已完成年度确认，变更备案已保存为草稿，确认无误后请提交。"),
        )
        if done:
            return done
    return render(
        request,
        "portal/filing_form.html",
        {"form": form, "kind": "change", "filing": None, "current": current, "answer": answer},
        status=400 if form.errors else 200,
    )


@enterprise_only
@require_http_methods(["GET", "POST"])
def confirmation_vacancy(request):
    """The enterprise has no CQO: the current one left (a dismissal filing, submitted now) or
    there has been none (the vacancy is reported as it is)."""
    answer, back = _pending_or_redirect(request)
    if back is not None:
        return back
    current = filing_services.current_appointment(request.user.enterprise)
    if current is None:
        if request.method == "POST":
            return run_action(
                request,
                lambda: services.confirmation_report_vacancy(
                    confirmation=answer, actor=request.user
                ),
                success_message=_("已完成年度确认：贵企业目前没有首席质量官。"),
                redirect_to="portal:confirmation",
            )
        return render(
            request, "confirmations/portal_vacancy.html", {"answer": answer, "current": None}
        )
    refused = portal._refuse_if_open(request)
    if refused is not None:
        return refused

    @transaction.atomic
    def dismiss_and_answer(form):
        filing = filing_services.filing_create_dismissal(
            enterprise=request.user.enterprise, actor=request.user, **form.cleaned_data
        )
        filing = filing_services.filing_submit(filing=filing, actor=request.user)
        services.confirmation_report_vacancy(confirmation=answer, filing=filing, actor=request.user)
        return filing

    return form_page(
        request,
        DismissalFilingForm,
        "portal/dismiss_form.html",
        {"current": current, "filing": None, "answer": answer},
        on_valid=dismiss_and_answer,
        success_message=_("已完成年度确认，解聘备案已提交，请等待县市场监管局审核。"),
        redirect_to=lambda filing: reverse("portal:filing", args=[filing.pk]),
    )
