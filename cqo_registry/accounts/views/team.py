"""An enterprise's own accounts (``/portal/users/``, issue 13): every enterprise user sees
their colleagues; the enterprise admin invites, deactivates, reactivates and hands the admin
role over. The invitation link (``/accounts/invitations/<token>/``) is public: the token is the
proof. Accounts of another enterprise are a 404."""

from functools import partial

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from cqo_registry.pages import form_page, run_action

from .. import team
from ..access import get_scoped_or_404, permission_required
from ..forms import InvitationAcceptForm, InviteForm

enterprise_only = permission_required("accounts.manage_team")


def _admin_only(request) -> None:
    if not team.is_enterprise_admin(request.user):
        raise PermissionDenied


def _members_context(request, form=None) -> dict:
    """The members page's context: the colleagues, and for the enterprise admin the open
    invitations and the invitation form (``form`` when it is shown again with its errors)."""
    user = request.user
    is_admin = team.is_enterprise_admin(user)
    return {
        "enterprise": user.enterprise,
        "members": team.colleagues(user),
        "invitations": team.open_invitations(user) if is_admin else [],
        "is_admin": is_admin,
        "form": form or (InviteForm() if is_admin else None),
    }


@enterprise_only
def members(request):
    return render(request, "accounts/team.html", _members_context(request))


@enterprise_only
@require_POST
def invite(request):
    _admin_only(request)
    return form_page(
        request,
        InviteForm,
        "accounts/team.html",
        lambda form: _members_context(request, form),
        on_valid=lambda form: team.invitation_send(actor=request.user, **form.cleaned_data),
        success_message=lambda invitation: (
            _("已向 %(email)s 发出邀请，链接 %(days)s 天内有效。")
            % {"email": invitation.email, "days": settings.CQO_INVITATION_VALID_DAYS}
        ),
        redirect_to="team:members",
    )


@enterprise_only
@require_POST
def revoke(request, pk: int):
    _admin_only(request)
    invitation = get_scoped_or_404(team.open_invitations(request.user), pk=pk)
    team.invitation_revoke(actor=request.user, invitation=invitation)
    messages.success(request, _("已撤销对 %(email)s 的邀请。") % {"email": invitation.email})
    return redirect("team:members")


def _set_active(request, pk: int, active: bool):
    _admin_only(request)
    colleague = get_scoped_or_404(team.colleagues(request.user), pk=pk)
    text = _("已重新启用账号 %(name)s。") if active else _("已停用账号 %(name)s。")
    return run_action(
        request,
        lambda: team.colleague_set_active(actor=request.user, user=colleague, active=active),
        success_message=text % {"name": colleague.get_username()},
        redirect_to="team:members",
    )


@enterprise_only
@require_POST
def deactivate(request, pk: int):
    return _set_active(request, pk, False)


@enterprise_only
@require_POST
def reactivate(request, pk: int):
    return _set_active(request, pk, True)


@enterprise_only
@require_http_methods(["GET", "POST"])
def hand_over(request, pk: int):
    """GET: confirm; POST: the colleague becomes the enterprise admin."""
    _admin_only(request)
    colleague = get_scoped_or_404(team.colleagues(request.user), pk=pk)
    if request.method == "POST":
        return run_action(
            request,
            lambda: team.enterprise_admin_hand_over(actor=request.user, to=colleague),
            success_message=_("已将企业管理员移交给 %(name)s。")
            % {"name": colleague.get_username()},
            redirect_to="team:members",
        )
    return render(request, "accounts/team_hand_over.html", {"colleague": colleague})


@never_cache
@require_http_methods(["GET", "POST"])
def accept(request, token: str):
    """The invitation link: the colleague chooses a username and password; the account is
    then active and they sign in."""
    invitation = team.invitation_for_token(token)
    if invitation is None:
        return render(request, "accounts/invitation_invalid.html", status=404)
    return form_page(
        request,
        partial(InvitationAcceptForm, initial={"name": invitation.name}),
        "accounts/invitation_accept.html",
        {"invitation": invitation},
        error_status=200,
        on_valid=lambda form: team.invitation_accept(
            invitation=invitation,
            username=form.cleaned_data["username"].strip(),
            name=form.cleaned_data["name"].strip(),
            mobile=form.cleaned_data["mobile"],
            password=form.cleaned_data["password1"],
        ),
        success_message=lambda user: (
            _("账号 %(username)s 已开通，请登录。") % {"username": user.get_username()}
        ),
        redirect_to="login",
    )
