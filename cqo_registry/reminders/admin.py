from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from django_celery_beat.admin import PeriodicTaskAdmin, PeriodicTaskForm
from django_celery_beat.models import PeriodicTask

from cqo_registry.admin_mixins import HistoryAdmin

from .models import ReminderLog, ReminderRule


@admin.register(ReminderRule)
class ReminderRuleAdmin(HistoryAdmin):
    list_display = ["kind", "offset_days", "repeat_days", "channels", "active"]
    list_filter = ["kind", "active"]


@admin.register(ReminderLog)
class ReminderLogAdmin(admin.ModelAdmin):
    list_display = ["sent_at", "kind", "enterprise", "occurrence", "channels", "recipients"]
    list_filter = ["kind", "channels"]
    search_fields = ["enterprise__name", "enterprise__uscc", "subject"]
    list_select_related = ["enterprise"]
    readonly_fields = [
        "kind",
        "subject",
        "enterprise",
        "occurrence",
        "offset_days",
        "anchor",
        "sent_at",
        "channels",
        "recipients",
        "title",
        "rule",
    ]


class PeriodicTaskQueueForm(PeriodicTaskForm):
    """The package's help for the queue names a setting (``CELERY_TASK_QUEUES``) the bureau
    has never heard of: said in the bureau's words instead."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "queue" in self.fields:
            self.fields["queue"].help_text = _("执行该任务的队列名称；留空则使用默认队列。")


if admin.site.is_registered(PeriodicTask):
    admin.site.unregister(PeriodicTask)


@admin.register(PeriodicTask)
class RegistryPeriodicTaskAdmin(PeriodicTaskAdmin):
    form = PeriodicTaskQueueForm
