"""A report or export built by a Celery task (issue 15 §2): who asked, what, with which
parameters, how far it has got, and the file it made — private to whoever asked, kept in the
private storage under a random name, and purged with its row after
``CQO_EXPORT_RETENTION_DAYS`` (default 7)."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django_cleanup import cleanup

from cqo_registry.clock import StampField
from cqo_registry.uploads import random_name


class ReportRunStatus(models.TextChoices):
    # The statuses of a snapshot run (reports.models.SnapshotStatus): one vocabulary for
    # every progress bar.
    PENDING = "pending", _("排队中")
    RUNNING = "running", _("生成中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


OPEN_STATUSES = (ReportRunStatus.PENDING, ReportRunStatus.RUNNING)
FINISHED_STATUSES = (ReportRunStatus.DONE, ReportRunStatus.FAILED)


def report_file_name(run, filename: str) -> str:
    return random_name("exports", filename)


class ReportRunQuerySet(models.QuerySet):
    def record_progress(self, **fields) -> int:
        """Update runs still open (pending/running): a finished run is never changed."""
        return self.filter(status__in=OPEN_STATUSES).update(**fields)

    def of(self, user):
        """The runs ``user`` asked for: nobody else's file is ever served."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(created_by=user)


@cleanup.select  # the file leaves the storage with its row (after the commit)
class ReportRun(models.Model):
    """One report or export asked for in the browser and built by a task.

    ``parameters`` holds what the task needs to build the same file the synchronous view
    would have sent: the page's query, the date it was asked on, and ``scope`` — the role,
    town and enterprise of the user at the moment they asked (the file is built with that
    scope, whatever their account becomes meanwhile)."""

    kind = models.CharField(_("类型"), max_length=40)
    title = models.CharField(_("名称"), max_length=200)
    parameters = models.JSONField(_("参数"), default=dict, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=ReportRunStatus.choices, default=ReportRunStatus.PENDING
    )
    done = models.PositiveIntegerField(_("已完成"), default=0)
    total = models.PositiveIntegerField(_("总数"), default=0)
    rows = models.PositiveIntegerField(_("数据行数"), default=0)
    file = models.FileField(_("文件"), upload_to=report_file_name, blank=True, max_length=200)
    filename = models.CharField(_("文件名"), max_length=255, blank=True)
    task_id = models.CharField(_("任务编号"), max_length=255, blank=True)
    error = models.TextField(_("错误信息"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请人"),
        on_delete=models.CASCADE,
        related_name="report_runs",
    )
    created_at = StampField(_("申请时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    objects = ReportRunQuerySet.as_manager()

    class Meta:
        verbose_name = _("后台导出")
        verbose_name_plural = _("后台导出")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(name="report_run_progress", condition=Q(done__lte=F("total"))),
        ]
        indexes = [
            models.Index(fields=["created_by", "created_at"], name="report_run_owner_idx"),
            models.Index(fields=["created_at"], name="report_run_created_idx"),
        ]

    def __str__(self):
        return f"{self.title} #{self.pk}"

    @property
    def finished(self) -> bool:
        return self.status in FINISHED_STATUSES

    @property
    def percent(self) -> int:
        if self.status == ReportRunStatus.DONE:
            return 100
        return min(100, round(100 * self.done / self.total)) if self.total else 0
