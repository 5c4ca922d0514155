"""Celery beat's schedule for the notification email sweep, stored where the DatabaseScheduler
reads it (django-celery-beat): every five minutes it sends the emails still pending (a send
task lost with a broker outage, or out of retries). It also keeps beat's last run recent, which
/healthz reports. get_or_create: re-running never duplicates, and edits made in the admin
stay."""

from django.db import migrations

NAME = "accounts: notification email sweep"
TASK = "cqo_registry.accounts.tasks.sweep_notification_emails"


def register(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    every, _ = IntervalSchedule.objects.get_or_create(every=5, period="minutes")
    PeriodicTask.objects.get_or_create(
        name=NAME, defaults={"task": TASK, "interval": every, "enabled": True}
    )
    # Tell a running beat that the schedule changed (what PeriodicTask's own signals do).
    from django.utils import timezone

    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def unregister(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_notification_email_state"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [migrations.RunPython(register, unregister)]
