"""The daily reminder run. Beat's schedule is stored by migration 0002 (django-celery-beat,
Asia/Shanghai): every morning at 08:30, in office hours. Idempotent: a second run the same day
sends nothing new."""

from datetime import date

from celery import shared_task

from .services import reminders_send


@shared_task
def send_reminders(day: str | None = None) -> dict:
    """Send every reminder the schedule says is due on ``day`` (ISO date; default today).
    Returns how many subjects were reminded, per kind."""
    return reminders_send(day=date.fromisoformat(day) if day else None)
