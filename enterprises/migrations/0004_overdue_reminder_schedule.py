"""Celery beat's schedule for the daily overdue-vacancy reminders, stored where the
DatabaseScheduler reads it (django-celery-beat): every day at 08:30 Asia/Shanghai, so the
emails arrive in office hours. get_or_create: re-running never duplicates, and edits made in
the admin stay."""

from django.db import migrations

NAME = "enterprises: overdue vacancy reminders"
TASK = "enterprises.tasks.send_overdue_vacancy_reminders"


def register(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="30",
        hour="8",
        day_of_week="*",
        day_of_month="*",
        month_of_year="*",
        timezone="Asia/Shanghai",
    )
    PeriodicTask.objects.get_or_create(
        name=NAME, defaults={"task": TASK, "crontab": crontab, "enabled": True}
    )
    # Tell a running beat that the schedule changed (what PeriodicTask's own signals do).
    from django.utils import timezone

    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def unregister(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("enterprises", "0003_registrations_vacancies"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [migrations.RunPython(register, unregister)]
