"""The account policy of issue 13 (MLPS 2.0): what a signed-in user's account still needs
before they may use the registry, and how long a session lives.

* **Second factor** (bureau admins and reviewers, ``CQO_TWO_FACTOR_REQUIRED``): a user who has
  an authenticator confirmed enters a code after the password, every sign-in; where it is
  required, a bureau admin or reviewer without one enrols first.
* **Password**: changed first when someone else set it (``User.must_change_password``: an
  account a bureau admin created, a registration a reviewer approved, a password set in the
  admin) or when it is older than the maximum age of the user's role
  (``CQO_PASSWORD_MAX_AGE_DAYS``; ``CQO_PASSWORD_MAX_AGE_ENTERPRISE_DAYS`` for enterprise
  users; 0 is no maximum). Demo accounts are exempt from both.
* **Session**: ends ``SESSION_ABSOLUTE_HOURS`` after sign-in however active it is (the idle
  timeout, ``SESSION_COOKIE_AGE``, is Django's).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import access
from .models import BUREAU_ROLES, Role

SESSION_STARTED_KEY = "cqo_signed_in_at"

VERIFY = "verify"
ENROL = "enrol"
CHANGE_PASSWORD = "change_password"


def password_max_age(user) -> timedelta | None:
    """The maximum age of ``user``'s password, ``None`` when it has none (demo accounts,
    a setting of 0)."""
    if user.is_demo:
        return None
    if access.role_of(user) == Role.ENTERPRISE:
        days = settings.CQO_PASSWORD_MAX_AGE_ENTERPRISE_DAYS
    else:
        days = settings.CQO_PASSWORD_MAX_AGE_DAYS
    return timedelta(days=days) if days > 0 else None


def password_expires_at(user) -> datetime | None:
    """When ``user``'s password expires: its last change (or, never changed since the account
    was opened, the opening) plus the maximum age; ``None`` when it does not expire."""
    max_age = password_max_age(user)
    if max_age is None:
        return None
    return (user.password_changed_at or user.date_joined) + max_age


def password_expired(user, now: datetime | None = None) -> bool:
    expires = password_expires_at(user)
    return expires is not None and expires <= (now or timezone.now())


def must_change_password(user) -> bool:
    """The password must be changed before anything else: set by someone else, or expired."""
    return not user.is_demo and (user.must_change_password or password_expired(user))


def may_use_two_factor(user) -> bool:
    """Bureau admins and reviewers have a second factor (issue 13)."""
    return access.role_of(user) in BUREAU_ROLES


def two_factor_required(user) -> bool:
    return settings.CQO_TWO_FACTOR_REQUIRED and may_use_two_factor(user)


def has_two_factor(user) -> bool:
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).exists()


@dataclass(frozen=True)
class PendingStep:
    """What a signed-in user must do first: ``kind`` is ``VERIFY``, ``ENROL`` or
    ``CHANGE_PASSWORD``."""

    kind: str


def _verified(user) -> bool:
    is_verified = getattr(user, "is_verified", None)
    return bool(is_verified is not None and is_verified())


def pending_step(request) -> PendingStep | None:
    """The first thing the signed-in ``request.user`` must do before using the registry, or
    ``None``: the second factor comes before the password (a new password is set only by
    someone who proved both)."""
    user = request.user
    # Verified in this session: django-otp has just read the confirmed device of this user
    # that verified it, so the user has a second factor and nothing to do for it — no query
    # to ask again (issue 15 §1: every page of a bureau user asked).
    if may_use_two_factor(user) and not _verified(user):
        if has_two_factor(user):
            return PendingStep(VERIFY)
        if two_factor_required(user):
            return PendingStep(ENROL)
    if must_change_password(user):
        return PendingStep(CHANGE_PASSWORD)
    return None


def session_expired(request, now: datetime | None = None) -> bool:
    """Whether the session outlived ``SESSION_ABSOLUTE_HOURS`` since sign-in. A session that
    has no sign-in time (one from before this rule) starts counting now."""
    now = now or timezone.now()
    started = request.session.get(SESSION_STARTED_KEY)
    if started is None:
        request.session[SESSION_STARTED_KEY] = now.timestamp()
        return False
    lifetime = timedelta(hours=settings.SESSION_ABSOLUTE_HOURS)
    return now - datetime.fromtimestamp(started, tz=now.tzinfo) >= lifetime


def mark_session_start(sender, request, user, **kwargs) -> None:
    """``user_logged_in`` receiver: the session's absolute lifetime starts now."""
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_STARTED_KEY] = timezone.now().timestamp()
