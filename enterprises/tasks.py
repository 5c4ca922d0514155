"""Vacancy tasks. Beat's schedule is stored by migration 0004 (django-celery-beat,
Asia/Shanghai): the overdue reminders every morning at 08:30, in office hours.

The task takes an ISO date (JSON) and is idempotent: a second run the same day sends nothing
new (``enterprises.vacancies.vacancy_send_overdue_reminders``).
"""

from datetime import date

from celery import shared_task

from .vacancies import vacancy_send_overdue_reminders


@shared_task
def send_overdue_vacancy_reminders(day: str | None = None) -> int:
    """Remind each vacancy overdue on ``day`` (default today in Asia/Shanghai): its
    enterprise's users and its town's officers, in-app and by email. Returns how many
    enterprises were reminded."""
    return vacancy_send_overdue_reminders(day=date.fromisoformat(day) if day else None)
