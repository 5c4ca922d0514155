"""The yearly confirmation (年度确认, issue 17 §3): a bureau admin opens a round for a year with
a due date; every enterprise that requires a CQO confirms in the portal that its CQO, position,
departments and contact details are still right — or corrects them, or reports that its CQO
changed (a change filing) or left (a vacancy). When the round closes its figures are frozen."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from cqo_registry.encryption import EncryptedJSONField
from reports.models import FrozenQuerySet, SnapshotEditRefused


class ConfirmationRound(models.Model):
    year = models.PositiveSmallIntegerField(_("年度"), unique=True)
    opened_on = models.DateField(_("开始日期"))
    due_on = models.DateField(_("截止日期"))
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发起人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("关闭人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("年度确认")
        verbose_name_plural = _("年度确认")
        ordering = ["-year"]
        constraints = [
            models.CheckConstraint(
                name="confirmation_due_after_open", condition=Q(due_on__gte=F("opened_on"))
            ),
        ]

    def __str__(self):
        return _("%(year)s 年度确认") % {"year": self.year}

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class ConfirmationStatus(models.TextChoices):
    PENDING = "pending", _("待确认")
    CONFIRMED = "confirmed", _("已确认，无变化")
    CORRECTED = "corrected", _("已确认并更正")
    CHANGED = "changed", _("首席质量官已更换（变更备案）")
    VACANCY = "vacancy", _("已报告空缺")


RESPONDED = (
    ConfirmationStatus.CONFIRMED,
    ConfirmationStatus.CORRECTED,
    ConfirmationStatus.CHANGED,
    ConfirmationStatus.VACANCY,
)


# What an enterprise may correct, as its answer names them.
CORRECTION_LABELS = {
    "position": _("职务"),
    "departments": _("分管部门"),
    "is_principal": _("主要负责人兼任"),
    "mobile": _("手机"),
    "email": _("电子邮箱"),
}


class Confirmation(models.Model):
    """One enterprise's answer in a round. Made ``pending`` for every enterprise that requires
    a CQO when the round opens; answered once. ``corrections`` keeps what the enterprise
    changed, as ``{field: [before, after]}``; ``filing`` the change or dismissal filing an
    answer made."""

    round = models.ForeignKey(
        ConfirmationRound,
        verbose_name=_("年度确认"),
        on_delete=models.PROTECT,
        related_name="confirmations",
    )
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name=_("企业"),
        on_delete=models.PROTECT,
        related_name="confirmations",
    )
    status = models.CharField(
        _("确认情况"),
        max_length=20,
        choices=ConfirmationStatus.choices,
        default=ConfirmationStatus.PENDING,
    )
    appointment = models.ForeignKey(
        "appointments.Appointment",
        verbose_name=_("确认的聘任"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    filing = models.ForeignKey(
        "appointments.Filing",
        verbose_name=_("相关备案"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Stored encrypted: old and new mobiles (issue 14 §2).
    corrections = EncryptedJSONField(_("更正内容"), default=dict, blank=True)
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("确认人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("企业年度确认")
        verbose_name_plural = _("企业年度确认")
        ordering = ["round", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["round", "enterprise"], name="confirmation_once"),
            models.CheckConstraint(
                name="confirmation_answered_has_time",
                condition=Q(status="pending", confirmed_at__isnull=True)
                | (~Q(status="pending") & Q(confirmed_at__isnull=False)),
            ),
        ]
        indexes = [models.Index(fields=["round", "status"], name="confirmation_status_idx")]

    def __str__(self):
        return f"{self.round} {self.enterprise}"

    @property
    def responded(self) -> bool:
        return self.status != ConfirmationStatus.PENDING

    @property
    def corrected_fields(self) -> list[str]:
        """The corrected details by their labels (职务、手机…)."""
        return [str(CORRECTION_LABELS.get(field, field)) for field in self.corrections]


class ConfirmationFigure(models.Model):
    """A closed round's figures, frozen like snapshots (refused to change or delete):
    county-wide (``key`` '') or for a town (``key`` = its id, ``label`` = its name then)."""

    round = models.ForeignKey(
        ConfirmationRound,
        verbose_name=_("年度确认"),
        on_delete=models.PROTECT,
        related_name="figures",
    )
    scope = models.CharField(
        _("范围"), max_length=10, choices=[("county", _("全县")), ("town", _("镇"))]
    )
    key = models.CharField(_("键"), max_length=20, blank=True)
    label = models.CharField(_("名称"), max_length=50, blank=True)
    population = models.PositiveIntegerField(_("应确认企业数"))
    responded = models.PositiveIntegerField(_("已确认企业数"))
    unchanged = models.PositiveIntegerField(_("无变化"))
    corrected = models.PositiveIntegerField(_("更正"))
    changed = models.PositiveIntegerField(_("更换首席质量官"))
    vacancy = models.PositiveIntegerField(_("报告空缺"))
    late = models.PositiveIntegerField(_("逾期未确认"))

    objects = FrozenQuerySet.as_manager()

    class Meta:
        verbose_name = _("年度确认数据")
        verbose_name_plural = _("年度确认数据")
        constraints = [
            models.UniqueConstraint(
                fields=["round", "scope", "key"], name="confirmation_figure_once"
            ),
            models.CheckConstraint(
                name="confirmation_figure_sums",
                condition=Q(responded__lte=F("population")) & Q(late__lte=F("population")),
            ),
        ]

    def __str__(self):
        return f"{self.round} {self.scope} {self.key}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise SnapshotEditRefused(_("快照不可修改。"))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise SnapshotEditRefused(_("快照不可删除。"))
