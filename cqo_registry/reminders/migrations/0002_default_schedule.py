"""The reminder schedule a new installation starts with, and beat running it every morning.

The rules: the overdue-vacancy reminder as it always was (every day from the first overdue
day), a returned filing not resubmitted after 7 and 14 days, a draft without its letter 7 days
and 1 day before its filing deadline, a training session 7 days and 1 day ahead, the yearly
confirmation 30, 7 and 1 days before its due date — each in-app and by e-mail.

Beat: the reminder run at 08:30 Asia/Shanghai (office hours) replaces the overdue-vacancy
task it covers; re-running changes nothing and edits made in the admin stay."""

from django.db import migrations

NAME = "reminders: deadline reminders"
TASK = "cqo_registry.reminders.tasks.send_reminders"
OLD_NAME = "enterprises: overdue vacancy reminders"
OLD_TASK = "enterprises.tasks.send_overdue_vacancy_reminders"

RULES = [
    ("vacancy_overdue", 0, 1),
    ("filing_returned", 7, None),
    ("filing_returned", 14, None),
    ("letter_missing", 7, None),
    ("letter_missing", 1, None),
    ("training_ahead", 7, None),
    ("training_ahead", 1, None),
    ("confirmation_due", 30, None),
    ("confirmation_due", 7, None),
    ("confirmation_due", 1, None),
]


def _crontab(apps):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="30",
        hour="8",
        day_of_week="*",
        day_of_month="*",
        month_of_year="*",
        timezone="Asia/Shanghai",
    )
    return crontab


def _touch(apps):
    # Tell a running beat that the schedule changed (what PeriodicTask's own signals do).
    from django.utils import timezone

    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def register(apps, schema_editor):
    ReminderRule = apps.get_model("reminders", "ReminderRule")
    for kind, offset, repeat in RULES:
        ReminderRule.objects.get_or_create(
            kind=kind, offset_days=offset, defaults={"repeat_days": repeat}
        )
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.get_or_create(
        name=NAME, defaults={"task": TASK, "crontab": _crontab(apps), "enabled": True}
    )
    PeriodicTask.objects.filter(name=OLD_NAME, task=OLD_TASK).delete()
    _touch(apps)


def unregister(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name=NAME).delete()
    PeriodicTask.objects.get_or_create(
        name=OLD_NAME, defaults={"task": OLD_TASK, "crontab": _crontab(apps), "enabled": True}
    )
    _touch(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("reminders", "0001_initial"),
        ("enterprises", "0004_overdue_reminder_schedule"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [migrations.RunPython(register, unregister)]
