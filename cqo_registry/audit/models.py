"""One row per audited event. Rows are append-only: the model refuses to save an existing row
or delete one, the admin is read-only, and on PostgreSQL a trigger (migration 0002) refuses
UPDATE and any DELETE of a row younger than the minimum retention — the purge is the only
thing that removes rows."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    LOGIN = "login", _("登录成功")
    LOGOUT = "logout", _("退出登录")
    LOGIN_FAILED = "login_failed", _("登录失败")
    LOCKOUT = "lockout", _("账号锁定")
    VIEW_ID_NUMBER = "view_id_number", _("查看完整身份证号")
    DOWNLOAD_FILE = "download_file", _("下载文件")
    EXPORT = "export", _("导出个人信息")
    API_CALL = "api_call", _("省级平台接口调用")
    API_TOKEN_ISSUED = "api_token_issued", _("签发接口令牌")
    API_TOKEN_REVOKED = "api_token_revoked", _("吊销接口令牌")


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("audit rows cannot be changed")

    def delete(self):
        raise TypeError("audit rows are removed only by the retention purge")

    def purge_before(self, cutoff) -> int:
        """Delete the rows older than ``cutoff`` (an aware datetime); the number deleted.
        Only ``services.audit_purge`` calls this, with the retention setting's cutoff."""
        deleted, _counts = super(AuditEventQuerySet, self.filter(at__lt=cutoff)).delete()
        return deleted


class AuditEvent(models.Model):
    at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    action = models.CharField(_("操作"), max_length=20, choices=AuditAction.choices)
    # No foreign-key constraint and nothing done on delete: an audit row outlives the account
    # it names and is never touched by a cascade; ``username`` keeps the name it had.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用户"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    username = models.CharField(_("用户名"), max_length=150, blank=True)
    ip = models.GenericIPAddressField(_("IP 地址"), null=True, blank=True)
    object_type = models.CharField(_("对象类型"), max_length=100, blank=True)
    object_id = models.CharField(_("对象编号"), max_length=64, blank=True)
    object_repr = models.CharField(_("涉及对象"), max_length=200, blank=True)
    # What was exported and how many rows, which file, which page.
    detail = models.JSONField(_("记录详情"), default=dict, blank=True)
    path = models.CharField(_("访问页面"), max_length=500, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["username", "at"], name="audit_user_idx"),
            models.Index(fields=["action", "at"], name="audit_action_idx"),
            models.Index(fields=["object_type", "object_id"], name="audit_object_idx"),
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.username} {self.get_action_display()}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("audit rows cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("audit rows cannot be deleted")
