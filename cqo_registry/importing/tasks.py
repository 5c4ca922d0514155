"""Celery tasks of the browser's imports: they take a job id and call a service; each is
idempotent (a job not in the expected status is left alone)."""

from celery import shared_task

from . import jobs


@shared_task(acks_late=True)
def check_import_job(job_id: int) -> None:
    jobs.import_job_check(job_id)


@shared_task(acks_late=True)
def run_import_job(job_id: int) -> None:
    jobs.import_job_run(job_id)


@shared_task
def purge_import_uploads() -> int:
    """Hourly: delete uploads nobody confirmed (they hold ID numbers)."""
    return jobs.import_jobs_purge()
