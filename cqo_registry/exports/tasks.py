"""Background exports' tasks (issue 15 §2): ids in, a service called, idempotent. Routed to
the ``reports`` queue by name (``*.tasks.export_*``, settings). Beat's daily purge is stored
by migration 0002 (Asia/Shanghai, 03:40)."""

from celery import shared_task

from .services import report_run_claim, report_run_fill, report_runs_purge


@shared_task(bind=True)
def export_report_run(self, run_id: int) -> int | None:
    """Build the file of a run created by ``report_run_start``. A run already taken,
    finished or failed is left alone (a task delivered twice builds once); delivered again
    after its worker died mid-run (the run carries this task's id), it builds again."""
    run = report_run_claim(run_id, task_id=self.request.id)
    if run is None:
        return None
    return report_run_fill(run).pk


@shared_task
def purge_report_runs() -> int:
    """Delete runs (and their files) past ``CQO_EXPORT_RETENTION_DAYS``; returns how many."""
    return report_runs_purge()
