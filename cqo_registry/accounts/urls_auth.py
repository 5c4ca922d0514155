"""``/accounts/``: sign-in and out, passwords, the second factor, the bureau's account
security page and the invitation links of enterprise admins."""

from django.contrib.auth import views as django_auth_views
from django.urls import include, path

from .views import auth, security, team, two_factor

two_factor_patterns = [
    path("", two_factor.setup, name="setup"),
    path("qr.svg", two_factor.qr, name="qr"),
    path("verify/", two_factor.verify, name="verify"),
    path("recovery/", two_factor.recovery, name="recovery"),
    path("recovery-codes/", two_factor.recovery_codes, name="recovery_codes"),
]
security_patterns = [
    path("", security.overview, name="overview"),
    path("unlock/", security.unlock, name="unlock"),
    path("users/<int:pk>/two-factor-reset/", security.two_factor_reset, name="two_factor_reset"),
]

urlpatterns = [
    path("login/", auth.LoginView.as_view(), name="login"),
    path("logout/", django_auth_views.LogoutView.as_view(), name="logout"),
    path("password/change/", auth.PasswordChangeView.as_view(), name="password_change"),
    path("password/reset/", auth.PasswordResetView.as_view(), name="password_reset"),
    path("password/reset/sent/", auth.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password/reset/<uidb64>/<token>/",
        auth.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/complete/",
        auth.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("two-factor/", include((two_factor_patterns, "two_factor"))),
    path("security/", include((security_patterns, "account_security"))),
    path("invitations/<str:token>/", team.accept, name="invitation_accept"),
]
