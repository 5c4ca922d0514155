from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from cqo_registry import clock
from cqo_registry.clock import StampField
from cqo_registry.encryption import EncryptedCharField


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
    # Stored encrypted (issue 14 §2).
    mobile = EncryptedCharField(_("手机"), max_length=11, blank=True)
    # The account policy (issue 13, ``policy.py``).
    must_change_password = models.BooleanField(
        _("须修改密码"),
        default=False,
        help_text=_("账号由他人开设或密码由他人设置时，用户下次登录须先修改密码。"),
    )
    password_changed_at = models.DateTimeField(_("密码修改时间"), null=True, blank=True)
    is_demo = models.BooleanField(
        _("演示账号"),
        default=False,
        help_text=_("演示县的账号（seed_demo 建立）：不强制修改密码，密码不过期。"),
    )
    is_enterprise_admin = models.BooleanField(
        _("企业管理员"),
        default=False,
        help_text=_("可邀请、停用本企业的其他账号，并可移交管理员身份。每家企业一名。"),
    )
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
            models.CheckConstraint(
                name="enterprise_admin_is_enterprise_user",
                condition=Q(is_enterprise_admin=False) | Q(role="enterprise"),
            ),
            models.UniqueConstraint(
                fields=["enterprise"],
                condition=Q(is_enterprise_admin=True),
                name="one_admin_per_enterprise",
            ),
        ]

    @property
    def effective_role(self) -> str:
        if self.is_superuser:
            return Role.BUREAU_ADMIN
        return self.role

    def has_perm(self, perm, obj=None) -> bool:
        """A permission the rules name (``accounts/rules.py``) is answered by the rules alone,
        so a superuser gets what a bureau admin gets there (not the enterprise's portal);
        any other permission as Django answers it."""
        import rules

        if rules.perm_exists(perm):
            return self.is_active and rules.has_perm(perm, self, obj)
        return super().has_perm(perm, obj)

    def set_password(self, raw_password):
        """Django's, and the time of the change (the maximum age counts from it). The
        password history is written when the user is saved (``PasswordHistoryValidator``)."""
        super().set_password(raw_password)
        self.password_changed_at = clock.now()


class PasswordHistory(models.Model):
    """A password a user had (its hash, as stored for the user), so that the last
    ``CQO_PASSWORD_HISTORY`` are not used again."""

    user = models.ForeignKey(
        User, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="password_history"
    )
    password = models.CharField(_("密码（哈希）"), max_length=128)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("历史密码")
        verbose_name_plural = _("历史密码")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "-created_at"], name="password_history_user_idx")]

    def __str__(self):
        return f"{self.user_id} {self.created_at:%Y-%m-%d}"


class AccountEventKind(models.TextChoices):
    PASSWORD_CHANGED = "password_changed", _("修改密码")
    PASSWORD_RESET = "password_reset", _("通过邮件重设密码")
    TWO_FACTOR_ENROLLED = "two_factor_enrolled", _("启用两步验证")
    RECOVERY_CODES_RENEWED = "recovery_codes_renewed", _("重新生成恢复码")
    RECOVERY_CODE_USED = "recovery_code_used", _("使用恢复码登录")
    TWO_FACTOR_RESET = "two_factor_reset", _("重置两步验证")
    LOCKOUT_LIFTED = "lockout_lifted", _("解除登录锁定")
    INVITATION_SENT = "invitation_sent", _("发出邀请")
    INVITATION_ACCEPTED = "invitation_accepted", _("接受邀请开通账号")
    USER_DEACTIVATED = "user_deactivated", _("停用账号")
    USER_REACTIVATED = "user_reactivated", _("重新启用账号")
    ENTERPRISE_ADMIN_HANDED_OVER = "enterprise_admin_handed_over", _("移交企业管理员")


class AccountEvent(models.Model):
    """Who did what to an account, and when: the security events of issue 13 (a second
    factor reset, a lockout lifted, a colleague deactivated…). ``user`` is the account acted
    on (empty for a lockout of a username that has no account), ``actor`` who acted."""

    kind = models.CharField(_("事件"), max_length=40, choices=AccountEventKind.choices)
    user = models.ForeignKey(
        User,
        verbose_name=_("账号"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="account_events",
    )
    actor = models.ForeignKey(
        User,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="account_actions",
    )
    detail = models.CharField(_("说明"), max_length=300, blank=True)
    at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("账号安全事件")
        verbose_name_plural = _("账号安全事件")
        ordering = ["-at", "-pk"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.at:%Y-%m-%d %H:%M}"


class EnterpriseInvitation(models.Model):
    """An enterprise admin's invitation of a colleague (issue 13): a link sent by e-mail that
    opens an account of the same enterprise. Only the SHA-256 of the link's token is stored."""

    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name=_("企业"),
        on_delete=models.CASCADE,
        related_name="invitations",
    )
    email = models.EmailField(_("电子邮箱"))
    name = models.CharField(_("姓名"), max_length=50)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        User, verbose_name=_("邀请人"), on_delete=models.PROTECT, related_name="invitations_sent"
    )
    created_at = models.DateTimeField(_("邀请时间"), default=timezone.now)
    expires_at = models.DateTimeField(_("有效期至"))
    accepted_at = models.DateTimeField(_("接受时间"), null=True, blank=True)
    accepted_user = models.OneToOneField(
        User,
        verbose_name=_("开通的账号"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="invitation",
    )
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("企业账号邀请")
        verbose_name_plural = _("企业账号邀请")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.name} <{self.email}>"

    def is_open(self, now=None) -> bool:
        """Not yet accepted, not revoked, not expired."""
        now = now or clock.now()
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > now


class NotificationKind(models.TextChoices):
    FILING_SUBMITTED = "filing_submitted", _("备案待审核")
    FILING_APPROVED = "filing_approved", _("备案已通过")
    FILING_RETURNED = "filing_returned", _("备案被退回")
    ACCOUNT_ACTIVATED = "account_activated", _("账号已激活")
    VACANCY_OVERDUE = "vacancy_overdue", _("首席质量官空缺超期")
    VACANCY_REMINDER = "vacancy_reminder", _("首席质量官聘任提醒")
    SANCTION_RECORDED = "sanction_recorded", _("约谈警示退出处理")
    HONOURED = "honoured", _("优秀首席质量官当选")
    CONFIRMATION_DUE = "confirmation_due", _("年度确认提醒")
    FILING_RESUBMIT = "filing_resubmit", _("退回备案待重新提交")
    LETTER_MISSING = "letter_missing", _("聘任文件待补交")
    TRAINING_AHEAD = "training_ahead", _("培训提醒")
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
    created_at = StampField(_("时间"), auto_now_add=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("邮件发送时间"), null=True, blank=True)
    # An email is owed for this notification and has not gone out yet: set when it is stored
    # for a user with an address, cleared when the mail is sent or given up. The send task
    # queued on commit and the periodic sweep both look for it.
    email_pending = models.BooleanField(_("待发邮件"), default=False)
    email_attempts = models.PositiveSmallIntegerField(_("邮件发送尝试次数"), default=0)
    email_error = models.CharField(_("邮件发送错误"), max_length=300, blank=True)

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
        indexes = [
            models.Index(fields=["user", "read_at"], name="notification_unread_idx"),
            # The sweep's search for mails still owed: small, only the pending rows.
            models.Index(
                fields=["created_at"],
                condition=Q(email_pending=True),
                name="notification_email_due_idx",
            ),
        ]

    def __str__(self):
        return self.title
