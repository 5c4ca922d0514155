from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class Role(models.TextChoices):
    BUREAU_ADMIN = "bureau_admin", _("局管理员")
    REVIEWER = "reviewer", _("备案审核员")
    TOWN_OFFICER = "town_officer", _("镇联络员")
    LEADER = "leader", _("领导")
    ENTERPRISE = "enterprise", _("企业用户")


BUREAU_ROLES = frozenset({Role.BUREAU_ADMIN, Role.REVIEWER})


class User(AbstractUser):
    """A signed-in user. The role decides what they may see (see ``access.py``); an enterprise
    user belongs to exactly one enterprise and a town officer to exactly one town. A user with
    no role sees nothing (a superuser counts as a bureau admin)."""

    role = models.CharField(_("角色"), max_length=20, choices=Role.choices, blank=True)
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name=_("所属企业"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    town = models.ForeignKey(
        "enterprises.Town",
        verbose_name=_("所属镇"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="officers",
    )
    mobile = models.CharField(_("手机"), max_length=11, blank=True)
    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    class Meta(AbstractUser.Meta):
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        constraints = [
            models.CheckConstraint(
                name="enterprise_user_has_enterprise",
                condition=~Q(role="enterprise") | Q(enterprise__isnull=False),
            ),
            models.CheckConstraint(
                name="town_officer_has_town",
                condition=~Q(role="town_officer") | Q(town__isnull=False),
            ),
        ]

    @property
    def effective_role(self) -> str:
        if self.is_superuser:
            return Role.BUREAU_ADMIN
        return self.role


class NotificationKind(models.TextChoices):
    FILING_SUBMITTED = "filing_submitted", _("备案待审核")
    FILING_APPROVED = "filing_approved", _("备案已通过")
    FILING_RETURNED = "filing_returned", _("备案被退回")
    ACCOUNT_ACTIVATED = "account_activated", _("账号已激活")
    VACANCY_OVERDUE = "vacancy_overdue", _("首席质量官空缺超期")
    VACANCY_REMINDER = "vacancy_reminder", _("首席质量官聘任提醒")
    SANCTION_RECORDED = "sanction_recorded", _("约谈警示退出处理")
    HONOURED = "honoured", _("优秀首席质量官当选")
    OTHER = "other", _("其他")


class Notification(models.Model):
    """An in-app message to one user (an email may go out with it). ``dedupe_key`` makes a
    notification idempotent: the same key is stored once (e.g. one overdue reminder per
    vacancy, user and day)."""

    user = models.ForeignKey(
        User, verbose_name=_("接收人"), on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("类型"), max_length=30, choices=NotificationKind.choices)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    url = models.CharField(_("链接"), max_length=300, blank=True)
    dedupe_key = models.CharField(_("去重键"), max_length=200, null=True, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("邮件发送时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["dedupe_key"],
                condition=Q(dedupe_key__isnull=False),
                name="notification_dedupe_once",
            )
        ]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_unread_idx")]

    def __str__(self):
        return self.title
