from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from . import views

admin.site.site_header = _("企业首席质量官备案管理系统")
admin.site.site_title = _("首席质量官备案")
admin.site.index_title = _("后台管理")

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("help/", views.help_page, name="help"),
    # Browsers ask for /favicon.ico whatever the page's <link rel=icon> says.
    path("favicon.ico", views.favicon),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("cqo_registry.accounts.urls_auth")),
    path("captcha/", include("captcha.urls")),
    path("files/", include("appointments.urls")),
    path("portal/users/", include("cqo_registry.accounts.urls_team")),
    path("portal/", include("appointments.urls_portal")),
    path("register/", include("enterprises.urls_registration")),
    path("review/", include("appointments.urls_review")),
    path("verify/", include("appointments.urls_verify")),
    path("town/", include("enterprises.urls_town")),
    path("public/", include("enterprises.urls_public")),
    path("notifications/", include("cqo_registry.accounts.urls")),
    path("training/", include("training.urls")),
    path("evaluations/", include("training.urls_evaluations")),
    path("selection/", include("training.urls_selection")),
    path("public/honours/", include("training.urls_honours")),
    path("oversight/", include("appointments.urls_oversight")),
    path("cqos/", include("training.urls_persons")),
    path("enterprises/", include("reports.urls_enterprises")),
    path("confirmations/", include("confirmations.urls")),
    path("reminders/", include("cqo_registry.reminders.urls")),
    path("bureau/api-tokens/", include("api.urls_tokens")),
    path("bureau/", include("cqo_registry.bureau.urls")),
    path("imports/", include("cqo_registry.importing.urls")),
    path("audit/", include("cqo_registry.audit.urls")),
    path("exams/", include("exams.urls")),
    path("exam/", include("exams.urls_candidate")),
    path("exports/", include("cqo_registry.exports.urls")),
    path("api/", include("api.urls")),
    path("", include("reports.urls")),
    path("admin/", admin.site.urls),
]

if settings.CQO_BENCH_BARE_VIEW:
    # The load benchmark's yardstick (bench/bench_pages.py); off unless the environment asks.
    urlpatterns.append(path("bench/ok", views.bench_ok, name="bench_ok"))

handler400 = "cqo_registry.errors.bad_request"
handler403 = "cqo_registry.errors.permission_denied"
handler404 = "cqo_registry.errors.page_not_found"
handler500 = "cqo_registry.errors.server_error"
