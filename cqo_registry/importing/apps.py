from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImportingConfig(AppConfig):
    name = "cqo_registry.importing"
    label = "importing"
    verbose_name = _("数据导入")
