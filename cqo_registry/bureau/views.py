from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from cqo_registry.accounts.access import permission_required

from . import profile
from .forms import BureauProfileForm


@permission_required("bureau.edit_profile")
def settings_page(request):
    """The bureau's name, county, telephone and seal: a bureau admin edits them; every
    receipt, report, e-mail and page header prints them (SPEC §1: bureau admin — settings)."""
    if request.method == "POST":
        form = BureauProfileForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                profile.bureau_profile_save(
                    name=data["name"],
                    county=data["county"],
                    phone=data["phone"],
                    login_notice=data["login_notice"],
                    seal=data["seal"] or None,
                    remove_seal=data["remove_seal"],
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("监管局信息已保存。"))
                return redirect("bureau:settings")
    else:
        form = BureauProfileForm(initial=profile.initial())
    return render(request, "bureau/settings.html", {"form": form, "shown": profile.current()})
