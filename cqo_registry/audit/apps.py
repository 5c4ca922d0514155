from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "cqo_registry.audit"
    label = "audit"
    verbose_name = _("安全审计")

    def ready(self):
        from . import signals  # noqa: F401 — connects the sign-in receivers
