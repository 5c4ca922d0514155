import secrets

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from cqo_registry.uploads import random_name


class Department(models.TextChoices):
    """The six departments a CQO leads (notice §3.4)."""

    SAFETY = "safety", _("质量安全")
    MANAGEMENT = "management", _("质量管理")
    INSPECTION = "inspection", _("质量检验")
    STANDARDS = "standards", _("标准化管理")
    EDUCATION = "education", _("质量教育")
    BRAND = "brand", _("品牌创建")


class EndReason(models.TextChoices):
    DISMISSED = "dismissed", _("解聘")
    LEFT = "left", _("离职")
    REASSIGNED = "reassigned", _("调岗")
    EXIT = "exit", _("退出")


def letter_upload_to(instance, filename):
    return random_name("letters", filename)


class Appointment(models.Model):
    """A person appointed CQO of an enterprise (聘任). It counts as *filed* from ``filed_on``,
    the day its appoint/change filing was approved (kept here, not only on the filing, because
    every statistic filters on it)."""

    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name=_("企业"),
        on_delete=models.PROTECT,
        related_name="appointments",
    )
    person = models.ForeignKey(
        "enterprises.Person",
        verbose_name=_("首席质量官"),
        on_delete=models.PROTECT,
        related_name="appointments",
    )
    position = models.CharField(_("职务"), max_length=100)
    is_senior_manager = models.BooleanField(_("高层管理人员"), default=True)
    is_principal = models.BooleanField(_("主要负责人兼任"), default=False)
    departments = models.JSONField(_("领导的部门"), default=list, blank=True)
    appointed_on = models.DateField(_("聘任日期"))
    letter = models.FileField(_("聘任文件"), upload_to=letter_upload_to, blank=True)
    ended_on = models.DateField(_("解聘日期"), null=True, blank=True)
    end_reason = models.CharField(
        _("解聘原因"), max_length=20, choices=EndReason.choices, blank=True
    )
    filed_on = models.DateField(_("备案日期"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("聘任")
        verbose_name_plural = _("聘任")
        ordering = ["-appointed_on"]
        constraints = [
            # SPEC §2: at most one current (filed, not ended) appointment per enterprise.
            models.UniqueConstraint(
                fields=["enterprise"],
                condition=Q(ended_on__isnull=True, filed_on__isnull=False),
                name="one_current_appointment_per_enterprise",
            ),
            models.CheckConstraint(
                name="appointment_ends_after_start",
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=F("appointed_on")),
            ),
            models.CheckConstraint(
                name="appointment_end_has_reason",
                condition=Q(ended_on__isnull=True, end_reason="")
                | (Q(ended_on__isnull=False) & ~Q(end_reason="")),
            ),
        ]
        indexes = [
            # "Filed current appointment at D" (SPEC §3): filed_on ≤ D, appointed_on ≤ D,
            # ended_on empty or > D.
            models.Index(
                fields=["enterprise", "filed_on", "appointed_on", "ended_on"],
                name="appt_stats_idx",
            ),
            models.Index(fields=["person", "filed_on"], name="appt_person_filed_idx"),
        ]

    def __str__(self):
        return f"{self.enterprise} — {self.person}"

    @property
    def is_filed(self) -> bool:
        return self.filed_on is not None

    def is_current_on(self, day) -> bool:
        return (
            self.filed_on is not None
            and self.filed_on <= day
            and self.appointed_on <= day
            and (self.ended_on is None or self.ended_on > day)
        )


class FilingKind(models.TextChoices):
    APPOINT = "appoint", _("聘任备案")
    CHANGE = "change", _("变更备案")
    DISMISS = "dismiss", _("解聘备案")


class FilingStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("待审核")
    APPROVED = "approved", _("已备案")
    RETURNED = "returned", _("已退回")
    WITHDRAWN = "withdrawn", _("已撤回")


class FilingSource(models.TextChoices):
    ONLINE = "online", _("网上备案")
    IMPORT = "import", _("历史数据导入")


def new_verify_token() -> str:
    return secrets.token_urlsafe(24)


class Filing(models.Model):
    """The bureau's record of one appointment event (备案). Status changes only through the
    service functions in ``services.py``, each of which also writes a ``FilingEvent``.

    * appoint: ``appointment`` is the new appointment.
    * change: ``appointment`` is the new one, ``replaces`` the current one it ends.
    * dismiss: ``appointment`` is the one that ends on ``end_date`` for ``end_reason``.
    """

    kind = models.CharField(_("备案类型"), max_length=10, choices=FilingKind.choices)
    status = models.CharField(
        _("状态"), max_length=10, choices=FilingStatus.choices, default=FilingStatus.DRAFT
    )
    source = models.CharField(
        _("来源"), max_length=10, choices=FilingSource.choices, default=FilingSource.ONLINE
    )
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name=_("企业"),
        on_delete=models.PROTECT,
        related_name="filings",
    )
    appointment = models.ForeignKey(
        Appointment, verbose_name=_("聘任"), on_delete=models.PROTECT, related_name="filings"
    )
    replaces = models.ForeignKey(
        Appointment,
        verbose_name=_("被替换的聘任"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="replaced_by_filings",
    )
    end_date = models.DateField(_("解聘日期"), null=True, blank=True)
    end_reason = models.CharField(
        _("解聘原因"), max_length=20, choices=EndReason.choices, blank=True
    )
    number = models.CharField(_("备案号"), max_length=30, null=True, blank=True, unique=True)
    number_year = models.PositiveSmallIntegerField(_("备案年度"), null=True, blank=True)
    number_seq = models.PositiveIntegerField(_("年度序号"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    approved_on = models.DateField(_("备案日期"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reviewed_filings",
    )
    return_reasons = models.TextField(_("退回原因"), blank=True)
    days_to_submit = models.IntegerField(_("报送用时（天）"), null=True, blank=True)
    is_late = models.BooleanField(_("逾期报送"), default=False)
    verify_token = models.CharField(
        _("验证码"), max_length=64, unique=True, default=new_verify_token, editable=False
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="created_filings",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("备案")
        verbose_name_plural = _("备案")
        ordering = ["-created_at"]
        constraints = [
            # One filing in progress per enterprise (appointments.services checks it first
            # with a clear message; this holds it under concurrency).
            models.UniqueConstraint(
                fields=["enterprise"],
                condition=Q(status__in=["draft", "submitted", "returned"]),
                name="one_open_filing_per_enterprise",
            ),
            models.UniqueConstraint(
                fields=["number_year", "number_seq"],
                condition=Q(number_seq__isnull=False),
                name="filing_number_unique_per_year",
            ),
            models.CheckConstraint(
                name="approved_filing_has_date",
                condition=~Q(status="approved") | Q(approved_on__isnull=False),
            ),
            models.CheckConstraint(
                name="dismiss_filing_has_end",
                condition=~Q(kind="dismiss") | Q(end_date__isnull=False),
            ),
        ]
        indexes = [
            models.Index(fields=["status", "submitted_at"], name="filing_queue_idx"),
            models.Index(fields=["enterprise", "status"], name="filing_ent_status_idx"),
        ]

    def __str__(self):
        return self.number or f"{self.get_kind_display()} #{self.pk}"


class FilingEvent(models.Model):
    """One workflow transition of a filing: who did what, when, with which note."""

    filing = models.ForeignKey(
        Filing, verbose_name=_("备案"), on_delete=models.CASCADE, related_name="events"
    )
    action = models.CharField(_("操作"), max_length=20)
    from_status = models.CharField(_("原状态"), max_length=10, blank=True)
    to_status = models.CharField(_("新状态"), max_length=10)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
    )
    note = models.TextField(_("说明"), blank=True)
    at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("备案流转记录")
        verbose_name_plural = _("备案流转记录")
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.filing} {self.action}"


class FilingNumberCounter(models.Model):
    """The last filing number given in a year. Approval locks this row, so numbers are
    sequential without gaps or duplicates even when reviewers approve at the same time."""

    year = models.PositiveSmallIntegerField(_("年度"), primary_key=True)
    last = models.PositiveIntegerField(_("最后序号"), default=0)

    class Meta:
        verbose_name = _("备案号计数")
        verbose_name_plural = _("备案号计数")

    def __str__(self):
        return f"{self.year}: {self.last}"


# --- Quality incidents and sanctions (notice §6.2) --------------------------------------------


class Severity(models.TextChoices):
    GENERAL = "general", _("一般")
    SERIOUS = "serious", _("较大")
    MAJOR = "major", _("重大")


class IncidentSource(models.TextChoices):
    ENTERPRISE_REPORT = "report", _("企业报告")
    SPOT_CHECK = "spot_check", _("监督抽查")
    COMPLAINT = "complaint", _("投诉举报")


class QualityIncident(models.Model):
    """A quality-safety incident (质量安全事故) of an enterprise. A major one suggests a
    sanction of the enterprise's CQO to the reviewer."""

    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name=_("企业"),
        on_delete=models.PROTECT,
        related_name="incidents",
    )
    occurred_on = models.DateField(_("发生日期"))
    severity = models.CharField(_("等级"), max_length=10, choices=Severity.choices)
    source = models.CharField(_("来源"), max_length=20, choices=IncidentSource.choices)
    description = models.TextField(_("事故情况"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("登记人"), on_delete=models.PROTECT
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("质量安全事故")
        verbose_name_plural = _("质量安全事故")
        ordering = ["-occurred_on"]
        indexes = [models.Index(fields=["enterprise", "occurred_on"], name="incident_ent_idx")]

    def __str__(self):
        return f"{self.enterprise} {self.occurred_on} {self.get_severity_display()}"


class SanctionKind(models.TextChoices):
    INTERVIEW = "interview", _("约谈")
    WARNING = "warning", _("警示")
    EXIT = "exit", _("退出")


class Sanction(models.Model):
    """An interview, warning or exit of a CQO. An exit ends the appointment with reason
    退出 and opens a vacancy — in the same transaction (appointments.services)."""

    appointment = models.ForeignKey(
        Appointment, verbose_name=_("聘任"), on_delete=models.PROTECT, related_name="sanctions"
    )
    kind = models.CharField(_("措施"), max_length=10, choices=SanctionKind.choices)
    reason = models.TextField(_("事由"))
    decided_on = models.DateField(_("决定日期"))
    incident = models.ForeignKey(
        QualityIncident,
        verbose_name=_("关联事故"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sanctions",
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("决定人"), on_delete=models.PROTECT
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("约谈警示退出")
        verbose_name_plural = _("约谈警示退出")
        ordering = ["-decided_on"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.appointment}"


def sanction_document_upload_to(instance, filename):
    return random_name("sanctions", filename)


class SanctionDocument(models.Model):
    sanction = models.ForeignKey(
        Sanction, verbose_name=_("处理措施"), on_delete=models.CASCADE, related_name="documents"
    )
    name = models.CharField(_("文件名"), max_length=200)
    file = models.FileField(_("文件"), upload_to=sanction_document_upload_to)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("上传人"), on_delete=models.PROTECT
    )
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("处理文书")
        verbose_name_plural = _("处理文书")

    def __str__(self):
        return self.name
