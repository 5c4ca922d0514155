"""Several accounts per enterprise (issue 13).

An enterprise's first approved account is its **enterprise admin** (``User.is_enterprise_admin``,
one per enterprise — a database constraint). The enterprise admin invites colleagues by an
e-mail link (valid ``CQO_INVITATION_VALID_DAYS``), deactivates and reactivates their accounts,
and can hand the admin role over to an active colleague. Colleagues open their account from the
link with their own username and password (the password policy's), as users of the same
enterprise. Every step leaves an ``AccountEvent``; errors are ``ValidationError``.
"""

import hashlib
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from cqo_registry import clock

from . import access, mail
from .models import AccountEventKind, EnterpriseInvitation, Role, User
from .services import new_token, record_event


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def is_enterprise_admin(user) -> bool:
    return access.is_enterprise_user(user) and user.is_enterprise_admin


def _require_admin(actor) -> None:
    if not is_enterprise_admin(actor):
        raise PermissionDenied


def colleagues(actor):
    """The accounts of ``actor``'s enterprise (active first, then by username)."""
    return User.objects.filter(enterprise_id=actor.enterprise_id, role=Role.ENTERPRISE).order_by(
        "-is_active", "-is_enterprise_admin", "username"
    )


def open_invitations(actor):
    return EnterpriseInvitation.objects.filter(
        enterprise_id=actor.enterprise_id,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__gt=clock.now(),
    ).select_related("invited_by")


@transaction.atomic
def invitation_send(*, actor: User, email: str, name: str) -> EnterpriseInvitation:
    """Invite a colleague of ``actor``'s enterprise: the e-mail with the link goes after
    commit. An open invitation to the same address is replaced (its link stops working)."""
    _require_admin(actor)
    email = email.strip()
    if User.objects.filter(
        enterprise_id=actor.enterprise_id, email__iexact=email, is_active=True
    ).exists():
        raise ValidationError({"email": _("本企业已有使用该邮箱的账号。")}, code="already_member")
    now = clock.now()
    open_invitations(actor).filter(email__iexact=email).update(revoked_at=now)
    token = new_token()
    invitation = EnterpriseInvitation(
        enterprise_id=actor.enterprise_id,
        email=email,
        name=name.strip(),
        token_hash=token_hash(token),
        invited_by=actor,
        created_at=now,
        expires_at=now + timedelta(days=settings.CQO_INVITATION_VALID_DAYS),
    )
    invitation.full_clean()
    invitation.save()
    record_event(kind=AccountEventKind.INVITATION_SENT, user=actor, actor=actor, detail=email)
    mail.send_on_commit(
        template="invitation",
        context={
            "invitation": invitation,
            "enterprise": actor.enterprise,
            "inviter": actor,
            "path": reverse("invitation_accept", args=[token]),
            "days": settings.CQO_INVITATION_VALID_DAYS,
        },
        to=email,
    )
    return invitation


def invitation_for_token(token: str) -> EnterpriseInvitation | None:
    """The open invitation a link's token names, or ``None`` (unknown, used, revoked,
    expired)."""
    invitation = (
        EnterpriseInvitation.objects.select_related("enterprise", "invited_by")
        .filter(token_hash=token_hash(token))
        .first()
    )
    return invitation if invitation is not None and invitation.is_open() else None


@transaction.atomic
def invitation_accept(
    *, invitation: EnterpriseInvitation, username: str, name: str, mobile: str, password: str
) -> User:
    """Open the invited colleague's account (active, an enterprise user of the inviting
    enterprise, not its admin) with the password they chose."""
    invitation = EnterpriseInvitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_open():
        raise ValidationError(_("该邀请链接已失效，请联系贵企业的管理员重新邀请。"), code="closed")
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError(
            {"username": _("用户名“%(name)s”已被使用，请换一个。") % {"name": username}}
        )
    user = User(
        username=username,
        email=invitation.email,
        first_name=name[:150],
        mobile=mobile,
        role=Role.ENTERPRISE,
        enterprise_id=invitation.enterprise_id,
        is_active=True,
    )
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise ValidationError({"password1": error.messages}) from error
    user.set_password(password)
    user._history_user = invitation.invited_by
    user.full_clean(exclude=["password"])
    user.save()
    invitation.accepted_at = clock.now()
    invitation.accepted_user = user
    invitation.save(update_fields=["accepted_at", "accepted_user"])
    record_event(
        kind=AccountEventKind.INVITATION_ACCEPTED,
        user=user,
        actor=user,
        detail=invitation.invited_by.get_username(),
    )
    return user


@transaction.atomic
def invitation_revoke(*, actor: User, invitation: EnterpriseInvitation) -> None:
    _require_admin(actor)
    if invitation.enterprise_id != actor.enterprise_id:
        raise PermissionDenied
    EnterpriseInvitation.objects.filter(pk=invitation.pk, revoked_at__isnull=True).update(
        revoked_at=clock.now()
    )


def _colleague_of(actor: User, user: User) -> User:
    _require_admin(actor)
    if user.enterprise_id != actor.enterprise_id or user.role != Role.ENTERPRISE:
        raise PermissionDenied
    return User.objects.select_for_update().get(pk=user.pk)


@transaction.atomic
def colleague_set_active(*, actor: User, user: User, active: bool) -> User:
    """Deactivate (``active=False``) or reactivate a colleague's account. The admin cannot
    deactivate themselves (hand the role over first). A deactivated user is signed out at
    their next request and cannot sign in."""
    user = _colleague_of(actor, user)
    if user.pk == actor.pk:
        raise ValidationError(_("不能停用自己的账号；如需离开，请先移交企业管理员。"))
    if user.is_active == active:
        return user
    user.is_active = active
    user._history_user = actor
    user.save(update_fields=["is_active"])
    record_event(
        kind=AccountEventKind.USER_REACTIVATED if active else AccountEventKind.USER_DEACTIVATED,
        user=user,
        actor=actor,
    )
    return user


@transaction.atomic
def enterprise_admin_hand_over(*, actor: User, to: User) -> User:
    """Make the active colleague ``to`` the enterprise admin; ``actor`` stays an ordinary
    user of the enterprise."""
    to = _colleague_of(actor, to)
    if to.pk == actor.pk:
        raise ValidationError(_("您已是企业管理员。"))
    if not to.is_active:
        raise ValidationError(_("只能移交给已启用的账号。"))
    actor = User.objects.select_for_update().get(pk=actor.pk)
    actor.is_enterprise_admin = False
    actor._history_user = actor
    actor.save(update_fields=["is_enterprise_admin"])
    to.is_enterprise_admin = True
    to._history_user = actor
    to.save(update_fields=["is_enterprise_admin"])
    record_event(
        kind=AccountEventKind.ENTERPRISE_ADMIN_HANDED_OVER,
        user=to,
        actor=actor,
        detail=actor.get_username(),
    )
    return to
