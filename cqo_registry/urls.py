from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from . import views

admin.site.site_header = _("企业首席质量官备案管理系统")
admin.site.site_title = _("首席质量官备案")
admin.site.index_title = _("后台管理")

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(template_name="accounts/login.html"),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("files/", include("appointments.urls")),
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
    path("cqos/", include("enterprises.urls_persons")),
    path("", include("reports.urls")),
    path("admin/", admin.site.urls),
]
