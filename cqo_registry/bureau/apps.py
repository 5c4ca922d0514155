from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BureauConfig(AppConfig):
    name = "cqo_registry.bureau"
    label = "bureau"
    verbose_name = _("监管局信息")
