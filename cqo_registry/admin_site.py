"""The Django admin as the bureau's back office: open to bureau roles only (by role, not by
the ``is_staff`` flag, so that a leader or enterprise user can never reach it)."""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig


class RegistryAdminSite(admin.AdminSite):
    def has_permission(self, request):
        from .accounts import access  # models are not loaded when this module is imported

        return access.is_bureau(request.user)


class RegistryAdminConfig(AdminConfig):
    default_site = "cqo_registry.admin_site.RegistryAdminSite"
