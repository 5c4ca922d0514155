"""Beat purges background exports past CQO_EXPORT_RETENTION_DAYS every night at 03:40
Asia/Shanghai (stored where django-celery-beat's DatabaseScheduler reads it). get_or_create:
re-running never duplicates, and edits made in the admin stay."""

from django.db import migrations

NAME = "exports: purge past retention"
TASK = "cqo_registry.exports.tasks.purge_report_runs"


def _touch(apps):
    from django.utils import timezone

    # Tell a running beat that the schedule changed (what PeriodicTask's own signals do).
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="40",
        hour="3",
        day_of_week="*",
        day_of_month="*",
        month_of_year="*",
        timezone="Asia/Shanghai",
    )
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.get_or_create(
        name=NAME, defaults={"task": TASK, "crontab": crontab, "enabled": True}
    )
    _touch(apps)


def unschedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name=NAME).delete()
    _touch(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("exports", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [migrations.RunPython(schedule, unschedule)]
