"""The daily purge of the audit trail. Beat's schedule is stored by migration 0002
(django-celery-beat, Asia/Shanghai, 03:10). Idempotent."""

from celery import shared_task

from .services import audit_purge


@shared_task
def purge_audit() -> int:
    """Delete audit rows past the retention period; returns how many."""
    return audit_purge()
