from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExportsConfig(AppConfig):
    name = "cqo_registry.exports"
    label = "exports"
    verbose_name = _("后台导出")
