from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RemindersConfig(AppConfig):
    name = "cqo_registry.reminders"
    label = "reminders"
    verbose_name = _("提醒")
