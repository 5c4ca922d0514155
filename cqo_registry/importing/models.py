"""An import started in the browser: the uploaded file (private, until the import is done or
abandoned), what the check found, and what the import did."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from cqo_registry.clock import StampField
from cqo_registry.uploads import random_name

from .registry import KIND_CHOICES


def import_upload_name(job, filename: str) -> str:
    return random_name("imports", filename)


class ImportStatus(models.TextChoices):
    CHECKING = "checking", _("检查中")
    CHECKED = "checked", _("已检查")
    IMPORTING = "importing", _("导入中")
    DONE = "done", _("已导入")
    FAILED = "failed", _("未导入")
    DISCARDED = "discarded", _("已放弃")


# Which statuses may follow which (the services refuse anything else).
TRANSITIONS = {
    ImportStatus.CHECKING: {ImportStatus.CHECKED, ImportStatus.FAILED, ImportStatus.DISCARDED},
    ImportStatus.CHECKED: {ImportStatus.IMPORTING, ImportStatus.DISCARDED},
    ImportStatus.IMPORTING: {ImportStatus.DONE, ImportStatus.FAILED},
    ImportStatus.DONE: set(),
    ImportStatus.FAILED: set(),
    ImportStatus.DISCARDED: set(),
}


class ImportJob(models.Model):
    kind = models.CharField(_("数据"), max_length=20, choices=KIND_CHOICES)
    # Holds ID numbers and mobiles: private storage, a random name, deleted once the import is
    # done, failed or abandoned (and by the periodic purge when nobody confirms it).
    file = models.FileField(_("文件"), upload_to=import_upload_name, blank=True)
    file_name = models.CharField(_("文件名"), max_length=255)
    file_size = models.PositiveIntegerField(_("文件大小（字节）"), default=0)
    create_towns = models.BooleanField(_("创建文件中的新镇（街道）"), default=False)
    status = models.CharField(
        _("状态"), max_length=20, choices=ImportStatus.choices, default=ImportStatus.CHECKING
    )
    rows = models.PositiveIntegerField(_("数据行数"), default=0)
    in_background = models.BooleanField(_("后台运行"), default=False)
    # What the check (dry run), then the import, found: counts, summary lines, warnings.
    result = models.JSONField(_("结果"), default=dict, blank=True)
    errors = models.JSONField(_("错误"), default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="import_jobs",
        verbose_name=_("上传人"),
    )
    created_at = StampField(_("上传时间"), auto_now_add=True)
    checked_at = models.DateTimeField(_("检查完成时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("导入任务")
        verbose_name_plural = _("导入任务")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self):
        return f"{self.get_kind_display()}：{self.file_name}"

    @property
    def is_running(self) -> bool:
        return self.status in (ImportStatus.CHECKING, ImportStatus.IMPORTING)

    @property
    def can_confirm(self) -> bool:
        return self.status == ImportStatus.CHECKED and not self.errors and bool(self.file)

    @property
    def can_discard(self) -> bool:
        return self.status == ImportStatus.CHECKED and bool(self.file)
