"""Account workflows of issue 13: second factors, lockouts, and the event row each leaves.

Errors are ``ValidationError`` with a message the user can act on. Every change a person
makes to an account, their own or someone else's, is recorded as an ``AccountEvent`` (who,
when, what); a full audit trail is a later issue."""

import secrets

from axes.models import AccessAttempt
from axes.utils import reset as axes_reset
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import access
from .models import AccountEvent, AccountEventKind, User
from .policy import may_use_two_factor

AUTHENTICATOR_NAME = "authenticator"
RECOVERY_NAME = "recovery"


def record_event(*, kind: str, user=None, actor=None, detail: str = "") -> AccountEvent:
    """Store one account event (``AccountEventKind``), now."""
    return AccountEvent.objects.create(kind=kind, user=user, actor=actor, detail=detail[:300])


# --- Passwords --------------------------------------------------------------------------------


def password_set_for_someone(user: User) -> None:
    """Mark ``user``'s password as set by someone else: they change it at their next sign-in
    (an account a bureau admin opened, a registration approved, a password set in the
    admin). The caller saves ``user``."""
    user.must_change_password = True


# --- Second factor (TOTP with recovery codes) -------------------------------------------------


def two_factor_device_to_confirm(user: User) -> TOTPDevice:
    """The authenticator ``user`` is enrolling: their unconfirmed TOTP device, made with a new
    random key on first use (shown as a QR code and as text until confirmed)."""
    if not may_use_two_factor(user):
        raise PermissionDenied
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, confirmed=False)
    return device


def _new_recovery_codes(user: User) -> list[str]:
    """Replace ``user``'s recovery codes with ``CQO_RECOVERY_CODES`` new ones (8 characters
    from django-otp's own generator, grouped 4-4 for reading) and return them."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True)
    codes = []
    for _index in range(settings.CQO_RECOVERY_CODES):
        token = StaticToken.random_token()
        device.token_set.create(token=token)
        codes.append(token)
    return codes


def format_recovery_code(code: str) -> str:
    return f"{code[:4]}-{code[4:]}" if len(code) == 8 else code


def two_factor_confirm(*, user: User, device: TOTPDevice, token: str) -> list[str]:
    """Confirm the authenticator with a code it shows: the device is confirmed, any earlier
    one removed, and new recovery codes made and returned (shown once). Raises
    ``ValidationError`` for a wrong code (django-otp's throttle counts it: the failure is
    stored outside the transaction below, so that it is not rolled back)."""
    if device.user_id != user.pk or device.confirmed:
        raise ValidationError(_("请刷新页面后重新扫描二维码。"), code="stale_device")
    if not device.verify_token(normalise_code(token)):
        raise ValidationError(
            _("验证码不正确。请确认手机时间准确，并输入身份验证器当前显示的 6 位数字。"),
            code="wrong_code",
        )
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _new_recovery_codes(user)
        record_event(kind=AccountEventKind.TWO_FACTOR_ENROLLED, user=user, actor=user)
    return codes


@transaction.atomic
def recovery_codes_renew(*, user: User) -> list[str]:
    """New recovery codes for a user who has an authenticator; the old ones stop working."""
    if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        raise ValidationError(_("请先启用两步验证。"), code="no_device")
    codes = _new_recovery_codes(user)
    record_event(kind=AccountEventKind.RECOVERY_CODES_RENEWED, user=user, actor=user)
    return codes


def normalise_code(token: str) -> str:
    """A code as typed: spaces and dashes dropped, letters lower-cased (recovery codes)."""
    return "".join(ch for ch in (token or "") if ch not in " -\t").lower()


def recovery_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user).count()


@transaction.atomic
def two_factor_reset(*, user: User, actor: User) -> None:
    """A bureau admin removes ``user``'s authenticator and recovery codes (a lost phone):
    at their next request they enrol again. Recorded with who and when."""
    if not access.is_bureau_admin(actor):
        raise PermissionDenied
    removed = TOTPDevice.objects.filter(user=user).delete()[0]
    StaticDevice.objects.filter(user=user).delete()
    if not removed:
        raise ValidationError(_("该用户尚未启用两步验证。"), code="no_device")
    record_event(kind=AccountEventKind.TWO_FACTOR_RESET, user=user, actor=actor)


# --- Lockouts (django-axes) -------------------------------------------------------------------


def locked_out_attempts():
    """The usernames locked now: django-axes' attempts that reached ``AXES_FAILURE_LIMIT``
    within the cool-off, newest first, one row per username with its latest attempt."""
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    rows = AccessAttempt.objects.filter(
        failures_since_start__gte=settings.AXES_FAILURE_LIMIT, attempt_time__gt=since
    ).order_by("-attempt_time", "-pk")
    seen, locked = set(), []
    for row in rows:
        if row.username not in seen:
            seen.add(row.username)
            row.unlocks_at = row.attempt_time + settings.AXES_COOLOFF_TIME
            locked.append(row)
    return locked


@transaction.atomic
def lockout_lift(*, username: str, actor: User) -> int:
    """Lift the lockout of ``username`` (django-axes' records of its failures are removed)
    and record who did it. Returns the number of records removed; 0 raises."""
    if not access.is_bureau_admin(actor):
        raise PermissionDenied
    removed = axes_reset(username=username)
    if not removed:
        raise ValidationError(_("账号“%(name)s”当前未被锁定。") % {"name": username})
    record_event(
        kind=AccountEventKind.LOCKOUT_LIFTED,
        user=User.objects.filter(username=username).first(),
        actor=actor,
        detail=username,
    )
    return removed


def new_token() -> str:
    """A random URL-safe token (256 bits) for links sent by e-mail."""
    return secrets.token_urlsafe(32)
