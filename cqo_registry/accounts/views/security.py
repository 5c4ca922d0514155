"""The bureau admin's account security page (``/accounts/security/``, issue 13): accounts
locked after failed sign-ins (django-axes) and lifting a lockout; the second factor of bureau
users and resetting it (a lost phone); the latest account events. Bureau admins only, the
superuser flag not needed (others 403)."""

from django.db.models import Exists, OuterRef, Q
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from cqo_registry.pages import run_action

from .. import services
from ..access import get_scoped_or_404, permission_required
from ..forms import UnlockForm
from ..models import BUREAU_ROLES, AccountEvent, User

EVENTS_SHOWN = 50

admin_only = permission_required("accounts.manage_users")


def _bureau_users():
    """Bureau admins and reviewers (superusers included), with whether each has an
    authenticator confirmed (``has_two_factor``)."""
    confirmed = TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)
    return (
        User.objects.filter(Q(role__in=list(BUREAU_ROLES)) | Q(is_superuser=True))
        .annotate(has_two_factor=Exists(confirmed))
        .order_by("username")
    )


@admin_only
def overview(request):
    events = AccountEvent.objects.select_related("user", "actor")[:EVENTS_SHOWN]
    return render(
        request,
        "accounts/security.html",
        {
            "locked": services.locked_out_attempts(),
            "bureau_users": _bureau_users(),
            "events": events,
        },
    )


@admin_only
@require_POST
def unlock(request):
    form = UnlockForm(request.POST)
    if not form.is_valid():
        return redirect("account_security:overview")
    username = form.cleaned_data["username"]
    return run_action(
        request,
        lambda: services.lockout_lift(username=username, actor=request.user),
        success_message=_("已解除账号“%(name)s”的登录锁定。") % {"name": username},
        redirect_to="account_security:overview",
    )


@admin_only
@require_http_methods(["GET", "POST"])
def two_factor_reset(request, pk: int):
    """GET: confirm; POST: remove the user's authenticator and recovery codes."""
    user = get_scoped_or_404(_bureau_users(), pk=pk)
    if request.method == "POST":
        return run_action(
            request,
            lambda: services.two_factor_reset(user=user, actor=request.user),
            success_message=_("已重置 %(name)s 的两步验证，其下次登录时须重新绑定身份验证器。")
            % {"name": user.get_username()},
            redirect_to="account_security:overview",
        )
    return render(request, "accounts/two_factor_reset_confirm.html", {"subject": user})
