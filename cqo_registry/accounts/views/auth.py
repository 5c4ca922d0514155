"""Sign-in and passwords (issue 13): the sign-in page with its CAPTCHA and per-address
throttle, changing one's password, and resetting it by e-mail. Django's auth views do the
work; the templates are the product's, in Chinese."""

from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from ... import params
from .. import policy, throttles
from ..forms import LoginForm, OwnPasswordChangeForm, OwnSetPasswordForm, ResetRequestForm
from ..models import AccountEventKind
from ..services import record_event
from .throttles import too_many_requests


def safe_next(request, *, default: str) -> str:
    """The local page named by ``?next=`` (or a form's ``next``), else ``default``: a link
    never sends the user to another site."""
    target = request.POST.get("next") or params.text(request, "next", max_length=2000)
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


class LoginView(auth_views.LoginView):
    """``/accounts/login/``: from ``CQO_LOGIN_IP_CAPTCHA_AFTER`` failed sign-ins from the
    address in the window the form asks for a CAPTCHA; from ``CQO_LOGIN_IP_BLOCK_AFTER`` on
    the page answers 429. Every sent form that does not sign in counts as a failure."""

    template_name = "accounts/login.html"
    form_class = LoginForm
    redirect_authenticated_user = False

    def dispatch(self, request, *args, **kwargs):
        self.failures = throttles.login_failures(request)
        if throttles.login_blocked(self.failures):
            return too_many_requests(request, minutes=settings.CQO_LOGIN_IP_WINDOW_MINUTES)
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "with_captcha": throttles.login_needs_captcha(self.failures),
        }

    def form_invalid(self, form):
        self.failures = throttles.login_failures(self.request, add=True)
        if throttles.login_blocked(self.failures):
            return too_many_requests(self.request, minutes=settings.CQO_LOGIN_IP_WINDOW_MINUTES)
        if "captcha" not in form.fields and throttles.login_needs_captcha(self.failures):
            # The next try needs the CAPTCHA: show it now, with the errors of this one.
            form.fields["captcha"] = LoginForm(with_captcha=True).fields["captcha"]
        return super().form_invalid(form)

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "lockout_limit": settings.AXES_FAILURE_LIMIT,
            "lockout_minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
            "idle_minutes": settings.SESSION_COOKIE_AGE // 60,
        }


class PasswordChangeView(auth_views.PasswordChangeView):
    """``/accounts/password/change/``: any signed-in user; also where the account policy sends
    a user whose password was set by someone else or has expired."""

    template_name = "accounts/password_change.html"
    form_class = OwnPasswordChangeForm
    success_url = reverse_lazy("home")

    def get_context_data(self, **kwargs):
        user = self.request.user
        return {
            **super().get_context_data(**kwargs),
            "forced": user.must_change_password and not user.is_demo,
            "expired": policy.password_expired(user),
            "max_age_days": getattr(policy.password_max_age(user), "days", None),
            "next": safe_next(self.request, default=""),
        }

    def get_success_url(self):
        return safe_next(self.request, default=str(self.success_url))

    def form_valid(self, form):
        response = super().form_valid(form)
        record_event(
            kind=AccountEventKind.PASSWORD_CHANGED, user=self.request.user, actor=self.request.user
        )
        messages.success(self.request, _("密码已修改。"))
        return response


class PasswordResetView(auth_views.PasswordResetView):
    """``/accounts/password/reset/``: the same answer whether or not the address belongs to
    an account (nobody learns who has one)."""

    template_name = "accounts/password_reset.html"
    form_class = ResetRequestForm
    success_url = reverse_lazy("password_reset_done")


def reset_hours() -> int:
    return settings.PASSWORD_RESET_TIMEOUT // 3600


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "reset_hours": reset_hours()}


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """The link of the e-mail: a new password (the policy's), and the account's lockout, if
    any, lifted — whoever holds the mailbox is the account's owner."""

    template_name = "accounts/password_reset_confirm.html"
    form_class = OwnSetPasswordForm
    success_url = reverse_lazy("password_reset_complete")

    def form_valid(self, form):
        response = super().form_valid(form)
        user = form.user
        axes_reset(username=user.get_username())
        record_event(kind=AccountEventKind.PASSWORD_RESET, user=user, actor=user)
        return response


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"
