"""Imports started in the browser (services): upload → check → confirm → import.

A job is checked (a dry run: every bad row named, nothing written) as soon as it is uploaded,
and imported when a bureau user confirms the check's summary. Files of more than
``CQO_IMPORT_BACKGROUND_ROWS`` rows (default 2,000) are checked and imported by a Celery task,
with progress the job page polls; smaller ones in the request. Without a broker (``make run``)
the task runs in-process, so the page is done when it loads.

The uploaded file is personal data (ID numbers, mobiles): stored privately under a random
name, deleted when the import is done, fails or is abandoned, and purged by a periodic task
when nobody confirms it (``CQO_IMPORT_UPLOAD_RETENTION_HOURS``, default 24)."""

import logging
from datetime import timedelta
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from cqo_registry import clock

from . import progress
from .base import ImportResult, header_rows, run_import
from .models import TRANSITIONS, ImportJob, ImportStatus
from .reading import UnreadableFile, Workbook, read_workbook
from .registry import IMPORTERS, get_importer_class

logger = logging.getLogger(__name__)

# Errors kept on a job (each about 100 bytes); the command line lists every one.
MAX_STORED_ERRORS = 20_000


def _move(job: ImportJob, to: str) -> None:
    if to not in TRANSITIONS[job.status]:
        raise ValidationError(
            _("导入任务当前状态为“%(status)s”，不能执行此操作")
            % {"status": job.get_status_display()},
            code="wrong_status",
        )
    job.status = to


def import_job_create(*, kind: str, upload, user, create_towns: bool = False) -> ImportJob:
    """Store an uploaded file as a new job and check it — in the request when it is small,
    else queued as a task (``job.in_background``).

    ``upload`` is a Django ``UploadedFile``. Raises ``ValidationError`` (code ``unreadable``)
    when the file is of another kind, damaged, password-protected or over a limit
    (:mod:`.reading`); nothing is stored then."""
    if kind not in IMPORTERS:
        raise ValidationError(_("未知的导入数据类型"), code="unknown_kind")
    data = _read_upload(upload)
    try:
        workbook = read_workbook(data, filename=upload.name)
    except UnreadableFile as error:
        raise ValidationError(str(error), code="unreadable") from error
    rows = data_rows(kind, workbook)
    job = ImportJob(
        kind=kind,
        file_name=PurePath(upload.name).name[:255],
        file_size=len(data),
        create_towns=create_towns and kind == "enterprises",
        rows=rows,
        in_background=rows > settings.CQO_IMPORT_BACKGROUND_ROWS,
        created_by=user,
    )
    # Stored under a random name with the kind its content showed (read_workbook parsed it:
    # a stricter check than the magic bytes cqo_registry.uploads looks at for documents).
    job.file.save(f"import.{workbook.format}", ContentFile(data), save=False)
    job.save()
    if job.in_background:
        from .tasks import check_import_job

        _queue(check_import_job, job.pk, run_here=import_job_check)
    else:
        _check(job, workbook)
    return job


def _queue(task, job_id: int, *, run_here) -> None:
    """Queue ``task`` for the job once the transaction commits. A broker that cannot take it
    (down, unreachable) does not fail the request or strand the job: the work is done here
    instead — slower for the user, but done."""

    def publish():
        try:
            task.apply_async(args=[job_id])
        except Exception:  # kombu, redis and celery each raise their own
            logger.warning(
                "import job %s: broker unavailable, running %s in the request",
                job_id,
                task.name,
                exc_info=True,
            )
            run_here(job_id)

    transaction.on_commit(publish)


def data_rows(kind: str, workbook: Workbook) -> int:
    """The rows below each sheet's header (what the progress bar counts), found without
    checking them."""
    return header_rows(get_importer_class(kind), workbook)


def _read_upload(upload) -> bytes:
    limit = settings.CQO_IMPORT_MAX_UPLOAD_MB * 1024 * 1024
    if upload.size > limit:
        raise ValidationError(
            _("文件超过 %(mb)d MB，不能导入：请按镇（街道）或年份拆成几个文件")
            % {"mb": settings.CQO_IMPORT_MAX_UPLOAD_MB},
            code="unreadable",
        )
    upload.seek(0)
    # One read of a bounded file, not a byte string grown chunk by chunk (quadratic: 77 s for
    # 50 MB in django-import-export's admin).
    return upload.read()


def import_job_check(job_id: int) -> ImportJob | None:
    """Check a job (the task's work): a dry run whose result is stored on the job."""
    job = ImportJob.objects.filter(pk=job_id, status=ImportStatus.CHECKING).first()
    if job is None:  # already checked, or abandoned: the task is idempotent
        return None
    try:
        workbook = _workbook(job)
    except ValidationError as error:
        return _fail(job, str(error.messages[0]))
    _check(job, workbook)
    return job


def _check(job: ImportJob, workbook: Workbook) -> None:
    result = _run(job, workbook, dry_run=True)
    if result is None:
        _fail(job, str(INTERNAL_ERROR))
        return
    job.refresh_from_db(fields=["status"])
    if job.status != ImportStatus.CHECKING:
        return  # abandoned meanwhile
    _move(job, ImportStatus.CHECKED)
    _store(job, result)
    job.checked_at = clock.now()
    job.save(update_fields=["status", "result", "errors", "rows", "checked_at"])
    if not result.ok:
        _finish(job)  # nothing to confirm: the ID numbers it holds need not wait


def import_job_confirm(*, job: ImportJob, user) -> ImportJob:
    """Confirm a checked job without errors: import it now (small) or queue it (large).
    Raises ``ValidationError`` (``wrong_status``) when it is not waiting for confirmation —
    e.g. a second click, which the row lock turns away."""
    with transaction.atomic():
        job = ImportJob.objects.get(pk=job.pk)
        if not job.can_confirm:
            raise ValidationError(_("这个导入任务不在等待确认，不能再导入"), code="wrong_status")
        _move(job, ImportStatus.IMPORTING)
        # One UPDATE that only the first of two clicks (or two users) can win, on every
        # database (SQLite has no row locks).
        won = ImportJob.objects.filter(pk=job.pk, status=ImportStatus.CHECKED).update(
            status=ImportStatus.IMPORTING
        )
        if not won:
            raise ValidationError(_("这个导入任务不在等待确认，不能再导入"), code="wrong_status")
        if job.in_background:
            from .tasks import run_import_job

            _queue(run_import_job, job.pk, run_here=import_job_run)
    if not job.in_background:
        import_job_run(job.pk)  # a small file: in this request
    return job


def import_job_run(job_id: int) -> ImportJob | None:
    """Import a confirmed job (the task's work): all or nothing. The file is deleted after."""
    job = ImportJob.objects.filter(pk=job_id, status=ImportStatus.IMPORTING).first()
    if job is None:
        return None
    try:
        workbook = _workbook(job)
    except ValidationError as error:
        return _fail(job, str(error.messages[0]))
    result = _run(job, workbook, dry_run=False)
    if result is None:
        return _fail(job, str(INTERNAL_ERROR))
    _move(job, ImportStatus.DONE if result.written else ImportStatus.FAILED)
    _store(job, result)
    _finish(job)
    return job


def import_job_discard(*, job: ImportJob) -> ImportJob:
    """Abandon a job that was not imported: its file is deleted now."""
    _move(job, ImportStatus.DISCARDED)
    _finish(job)
    return job


def import_jobs_purge(*, now=None) -> int:
    """Delete the files of jobs nobody confirmed within the retention time (they hold ID
    numbers), marking them abandoned; also files left on finished jobs. Returns how many."""
    now = now or clock.now()
    cutoff = now - timedelta(hours=settings.CQO_IMPORT_UPLOAD_RETENTION_HOURS)
    stale = ImportJob.objects.filter(created_at__lt=cutoff).exclude(file="")
    purged = 0
    for job in stale:
        if job.status in (ImportStatus.CHECKING, ImportStatus.CHECKED):
            job.status = ImportStatus.DISCARDED
        _finish(job)
        purged += 1
    return purged


def _workbook(job: ImportJob) -> Workbook:
    if not job.file:
        raise ValidationError(_("上传的文件已删除，请重新上传"), code="unreadable")
    try:
        with job.file.open("rb") as stored:
            return read_workbook(stored.read(), filename=job.file_name)
    except (UnreadableFile, OSError) as error:
        raise ValidationError(str(error), code="unreadable") from error


def _run(job: ImportJob, workbook: Workbook, *, dry_run: bool) -> ImportResult | None:
    """Run the importer; ``None`` when it crashed (logged; nothing was written: the import's
    transaction rolled back)."""
    importer = get_importer_class(job.kind)(
        user=job.created_by, create_towns=job.create_towns, file_name=job.file_name
    )
    stage = progress.CHECKING if dry_run else progress.IMPORTING

    def report(done, total):
        progress.report(job.pk, stage, done, total)

    report(0, job.rows or workbook.row_count)
    try:
        return run_import(importer, workbook, dry_run=dry_run, progress=report)
    except Exception:
        logger.exception("import job %s (%s) crashed", job.pk, job.kind)
        return None


INTERNAL_ERROR = _lazy("导入时发生内部错误，未写入任何数据（错误已记入日志）：请联系系统管理员")


def _store(job: ImportJob, result: ImportResult) -> None:
    job.rows = result.rows_read
    job.errors = [error.as_dict() for error in result.errors[:MAX_STORED_ERRORS]]
    job.result = {
        "ok": result.ok,
        "written": result.written,
        "rows": result.rows_read,
        "error_count": len(result.errors),
        "error_rows": len({(e.sheet, e.row) for e in result.errors}),
        "counts": result.counts,
        "summary": result.summary_lines(counts=False),
        "warnings": [warning.as_dict() for warning in result.warnings[:MAX_STORED_ERRORS]],
        "notes": [note.as_dict() for note in result.note_rows],
        "sheets": result.sheets_read,
        "headers": result.headers,
        "details": result.details,
    }


def _fail(job: ImportJob, reason: str) -> ImportJob:
    job.status = ImportStatus.FAILED
    job.errors = [{"sheet": "", "row": 0, "column": "", "reason": reason}]
    job.result = {**job.result, "ok": False, "written": False, "error_count": 1}
    _finish(job)
    return job


def _finish(job: ImportJob) -> None:
    """Delete the upload once nothing more will be read from it (after the commit, so that a
    rolled-back transaction does not leave a job pointing at a deleted file)."""
    name = job.file.name
    job.file = ""
    job.finished_at = job.finished_at or clock.now()
    job.save()
    progress.clear(job.pk)
    if name:
        storage = job.file.storage
        transaction.on_commit(lambda: storage.delete(name))
