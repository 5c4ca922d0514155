from django.utils.translation import gettext as _

from cqo_registry.accounts.access import permission_required
from cqo_registry.pages import form_page

from . import profile
from .forms import BureauProfileForm


@permission_required("bureau.edit_profile")
def settings_page(request):
    """The bureau's name, county, telephone and seal: a bureau admin edits them; every
    receipt, report, e-mail and page header prints them (SPEC §1: bureau admin — settings)."""
    return form_page(
        request,
        # Bound without the initial values: the seal field would take the stored seal back
        # as its value when no new file is sent.
        lambda data, files: (
            BureauProfileForm(data, files)
            if data is not None
            else BureauProfileForm(initial=profile.initial())
        ),
        "bureau/settings.html",
        lambda form: {"shown": profile.current()},
        error_status=200,
        on_valid=lambda form: profile.bureau_profile_save(
            name=form.cleaned_data["name"],
            county=form.cleaned_data["county"],
            phone=form.cleaned_data["phone"],
            login_notice=form.cleaned_data["login_notice"],
            seal=form.cleaned_data["seal"] or None,
            remove_seal=form.cleaned_data["remove_seal"],
        ),
        success_message=_("监管局信息已保存。"),
        redirect_to="bureau:settings",
    )
