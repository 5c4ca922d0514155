"""Sign-in, sign-out, failed sign-in (django.contrib.auth's signals) and lockout (django-axes)
go to the audit trail. A failed sign-in keeps the username typed (never the password)."""

from axes.signals import user_locked_out
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from .models import AuditAction
from .services import audit_record


@receiver(user_logged_in, dispatch_uid="audit-login")
def _logged_in(sender, request, user, **kwargs):
    audit_record(request, AuditAction.LOGIN, user=user)


@receiver(user_logged_out, dispatch_uid="audit-logout")
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        audit_record(request, AuditAction.LOGOUT, user=user)


def _typed_username(credentials) -> str:
    field = get_user_model().USERNAME_FIELD
    return str((credentials or {}).get(field) or (credentials or {}).get("username") or "")


@receiver(user_login_failed, dispatch_uid="audit-login-failed")
def _login_failed(sender, credentials, request=None, **kwargs):
    audit_record(request, AuditAction.LOGIN_FAILED, username=_typed_username(credentials)[:150])


@receiver(user_locked_out, dispatch_uid="audit-lockout")
def _locked_out(sender, request, username, ip_address, **kwargs):
    audit_record(request, AuditAction.LOCKOUT, username=str(username or "")[:150])
