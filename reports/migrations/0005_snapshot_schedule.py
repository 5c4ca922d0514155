"""Celery beat's schedule for the snapshot tasks, stored where the DatabaseScheduler reads it
(django-celery-beat), in Asia/Shanghai: the daily snapshot at 01:10 and the deadline check
at 01:20. get_or_create: re-running never duplicates, and edits made in the admin stay."""

from django.db import migrations

SCHEDULE = [
    # (name, task, minute, hour)
    ("reports: daily snapshot", "reports.tasks.take_daily_snapshot", "10", "1"),
    ("reports: deadline snapshots", "reports.tasks.take_deadline_snapshots", "20", "1"),
]


def register(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    for name, task, minute, hour in SCHEDULE:
        crontab, _ = CrontabSchedule.objects.get_or_create(
            minute=minute,
            hour=hour,
            day_of_week="*",
            day_of_month="*",
            month_of_year="*",
            timezone="Asia/Shanghai",
        )
        PeriodicTask.objects.get_or_create(
            name=name, defaults={"task": task, "crontab": crontab, "enabled": True}
        )
    # Tell a running beat that the schedule changed (what PeriodicTask's own signals do).
    from django.utils import timezone

    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def unregister(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[name for name, *_ in SCHEDULE]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0004_snapshot_triggers"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [migrations.RunPython(register, unregister)]
