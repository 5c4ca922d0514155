import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.deconstruct import deconstructible
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django_cleanup import cleanup
from simple_history.models import HistoricalRecords

from cqo_registry.clock import StampField
from cqo_registry.encryption import EncryptedJSONField
from cqo_registry.uploads import PrivateFileField, random_name
from cqo_registry.workflows import Transitions
from enterprises.models import Education, Industry, Licence, Scale
from enterprises.validators import mask_id_number, mask_mobile


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


# --- Posts (岗位, issue 19) ---------------------------------------------------------------------

# The code of the Chief Quality Officer's post: the default of every appointment, and the post
# every SPEC §2–§3 rule means ("a filed CQO", vacancies, T1–T3). Appointment.post refers to a
# post by its code, so that the CQO is a constant and filtering on it needs no join.
CQO_POST = "cqo"


class Holders(models.TextChoices):
    """How many holders a post has at an enterprise."""

    ONE = "one", _("限一人")
    AT_LEAST_ONE = "at_least_one", _("至少一人")


@deconstructible
class ChoiceListValidator:
    """A JSON list of some of ``allowed`` (an empty list: no condition)."""

    def __init__(self, allowed):
        self.allowed = tuple(allowed)

    def __call__(self, value):
        if not isinstance(value, list) or not set(value) <= set(self.allowed):
            raise ValidationError(_("请从选项中选择。"), code="invalid_choice")

    def __eq__(self, other):
        return isinstance(other, ChoiceListValidator) and self.allowed == other.allowed


validate_scales = ChoiceListValidator(Scale.values)
validate_industries = ChoiceListValidator(Industry.values)
validate_licences = ChoiceListValidator(Licence.values)


class PostType(models.Model):
    """A quality or safety post (岗位) enterprises must fill — the CQO, 食品安全总监/员,
    质量安全总监/员, 特种设备安全总监/员 (issue 19 §1). Data the bureau admin manages.

    Which enterprises must fill it: every condition below that is set must hold (an empty
    set or an unset flag is no condition); ``licences``: the enterprise holds at least one
    of them. ``appointments.posts`` evaluates them (in Python and as a ``Q``). The CQO's row
    (code :data:`CQO_POST`) is the notice's post: only ``requires_cqo``, exactly one holder.
    """

    code = models.SlugField(_("代码"), max_length=30, unique=True, help_text=_("创建后不可修改。"))
    name = models.CharField(_("名称"), max_length=100, unique=True)
    name_en = models.CharField(_("英文名称"), max_length=100, blank=True)
    legal_basis = models.CharField(_("依据"), max_length=300, blank=True)
    in_force_from = models.DateField(
        _("施行日期"),
        null=True,
        blank=True,
        help_text=_("岗位要求自此日起施行；空缺天数不早于此日计算。留空：自企业入库起。"),
    )
    scales = models.JSONField(
        _("企业规模"),
        default=list,
        blank=True,
        validators=[validate_scales],
        help_text=_("不选：不限规模。"),
    )
    requires_cqo = models.BooleanField(
        _("需聘任首席质量官的企业"),
        null=True,
        blank=True,
        help_text=_("“是”：只有需聘任首席质量官的企业；留空：不限。"),
    )
    industries = models.JSONField(
        _("行业门类"),
        default=list,
        blank=True,
        validators=[validate_industries],
        help_text=_("不选：不限行业。"),
    )
    high_risk = models.BooleanField(
        _("高风险行业"),
        null=True,
        blank=True,
        help_text=_("“是”：只有高风险行业企业；留空：不限。"),
    )
    licences = models.JSONField(
        _("持有的许可证"),
        default=list,
        blank=True,
        validators=[validate_licences],
        help_text=_("持有其中任一许可证的企业须设此岗位；不选：不限。"),
    )
    holders = models.CharField(
        _("人数"), max_length=20, choices=Holders.choices, default=Holders.ONE
    )
    senior_manager_required = models.BooleanField(_("须为高层管理人员"), default=False)
    training_hours = models.PositiveSmallIntegerField(
        _("每年培训学时要求"), default=0, help_text=_("0：不要求学时。")
    )
    exam_required = models.BooleanField(_("须参加监督抽查考核"), default=False)
    active = models.BooleanField(_("启用"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("岗位")
        verbose_name_plural = _("岗位")
        ordering = ["sort_order", "code"]
        constraints = [
            # The CQO is the notice's post (SPEC §2): one holder, whatever the admin edits.
            models.CheckConstraint(
                name="cqo_post_single_holder",
                condition=~Q(code="cqo") | Q(holders="one"),
            ),
        ]

    def __str__(self):
        return self.display_name

    @property
    def display_name(self) -> str:
        """The name in the current language: ``name_en`` in English when it is set."""
        from django.utils.translation import get_language

        if self.name_en and (get_language() or "").startswith("en"):
            return self.name_en
        return self.name

    @property
    def single_holder(self) -> bool:
        return self.holders == Holders.ONE


def letter_upload_to(instance, filename):
    return random_name("letters", filename)


@cleanup.select
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
    post = models.ForeignKey(
        PostType,
        verbose_name=_("岗位"),
        to_field="code",
        default=CQO_POST,
        on_delete=models.PROTECT,
        related_name="appointments",
    )
    # Copied from the post (``PostType.holders``) when saved, so that the database can hold
    # "one current holder per enterprise and post" for single-holder posts only (Meta).
    single_holder = models.BooleanField(_("限一人岗位"), default=True, editable=False)
    position = models.CharField(_("职务"), max_length=100)
    is_senior_manager = models.BooleanField(_("高层管理人员"), default=True)
    is_principal = models.BooleanField(_("主要负责人兼任"), default=False)
    departments = models.JSONField(_("领导的部门"), default=list, blank=True)
    appointed_on = models.DateField(_("聘任日期"))
    letter = PrivateFileField(_("聘任文件"), upload_to=letter_upload_to, blank=True)
    ended_on = models.DateField(_("解聘日期"), null=True, blank=True)
    end_reason = models.CharField(
        _("解聘原因"), max_length=20, choices=EndReason.choices, blank=True
    )
    filed_on = models.DateField(_("备案日期"), null=True, blank=True)
    created_at = StampField(_("创建时间"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("聘任")
        verbose_name_plural = _("聘任")
        ordering = ["-appointed_on"]
        constraints = [
            # SPEC §2: at most one current (filed, not ended) appointment per enterprise and
            # post, for posts with a single holder (the CQO's among them).
            models.UniqueConstraint(
                fields=["enterprise", "post"],
                condition=Q(ended_on__isnull=True, filed_on__isnull=False, single_holder=True),
                name="one_current_appointment_per_enterprise_and_post",
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
            # The same test per enterprise and post, answered from the index alone (the
            # person for T3's holders): a town's figures and vacancy list probe it once per
            # enterprise of the town instead of reading every appointment of the county.
            models.Index(
                fields=["enterprise", "post", "filed_on", "appointed_on", "ended_on"],
                include=["person"],
                name="appt_post_stats_idx",
            ),
        ]

    def __str__(self):
        return f"{self.enterprise} — {self.person}"

    def save(self, *args, **kwargs):
        # A denormalised copy of the post's rule, kept for the constraint above; the CQO's
        # post is single-holder by a constraint of its own, so it needs no look-up.
        self.single_holder = self.post_id == CQO_POST or self.post.single_holder
        super().save(*args, **kwargs)

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


# The filing workflow (SPEC §2 "draft → submitted → approved or → returned … or withdrawn"):
# the one table ``appointments.services`` checks every step against.
FILING_FLOW = Transitions(
    {
        "submit": ((FilingStatus.DRAFT, FilingStatus.RETURNED), FilingStatus.SUBMITTED),
        "edit": ((FilingStatus.DRAFT, FilingStatus.RETURNED), None),
        "withdraw": (
            (FilingStatus.DRAFT, FilingStatus.SUBMITTED, FilingStatus.RETURNED),
            FilingStatus.WITHDRAWN,
        ),
        "return": ((FilingStatus.SUBMITTED,), FilingStatus.RETURNED),
        "approve": ((FilingStatus.SUBMITTED,), FilingStatus.APPROVED),
    },
    message=_("该备案当前状态为“%(status)s”，不能执行此操作（可能已被他人处理，请刷新页面）。"),
)


class FilingSource(models.TextChoices):
    ONLINE = "online", _("网上备案")
    IMPORT = "import", _("历史数据导入")


def new_verify_token() -> str:
    return secrets.token_urlsafe(24)


# The person fields an enterprise types on a filing (Filing.declared_person).
DECLARED_FIELDS = ("name", "mobile", "email", "education", "title", "years_in_quality")


@dataclass(frozen=True)
class DeclaredPerson:
    """A filing's CQO as the enterprise typed it. The ID number is the one it typed too."""

    id_number: str
    name: str
    mobile: str
    email: str
    education: str
    title: str
    years_in_quality: int | None

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def masked_mobile(self) -> str:
        return mask_mobile(self.mobile or "")

    def get_education_display(self) -> str:
        return str(dict(Education.choices).get(self.education, self.education or ""))


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
    # Copied from the appointment when saved (issue 19): the post the filing is for, and
    # whether it has a single holder — what "one filing in progress per enterprise and post"
    # (Meta) reads, and what the review queue filters on without a join.
    post = models.ForeignKey(
        PostType,
        verbose_name=_("岗位"),
        to_field="code",
        default=CQO_POST,
        on_delete=models.PROTECT,
        related_name="filings",
    )
    single_holder = models.BooleanField(_("限一人岗位"), default=True, editable=False)
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
    # What the enterprise typed about its CQO (name, mobile, email, education, title, years in
    # quality work). Its own pages show this, not the registry's record of the person: typing
    # someone else's ID number must reveal nothing about them (PIPL; see person_for_filing).
    # Stored encrypted: it holds the mobile typed (issue 14 §2).
    declared_person = EncryptedJSONField(_("企业填报的人员信息"), default=dict, blank=True)
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
    created_at = StampField(_("创建时间"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("备案")
        verbose_name_plural = _("备案")
        ordering = ["-created_at"]
        constraints = [
            # One filing in progress per enterprise and single-holder post — the CQO's among
            # them (appointments.services checks it first with a clear message; this holds it
            # under concurrency). A post with several holders may have several filings in
            # progress (two 食品安全员 filed together); the services refuse two for one holder.
            models.UniqueConstraint(
                fields=["enterprise", "post"],
                condition=Q(status__in=["draft", "submitted", "returned"], single_holder=True),
                name="one_open_filing_per_enterprise_and_post",
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

    def save(self, *args, **kwargs):
        # A denormalised copy of the appointment's post, kept for the constraint above.
        self.post_id = self.appointment.post_id
        self.single_holder = self.appointment.single_holder
        super().save(*args, **kwargs)

    @property
    def is_cqo(self) -> bool:
        return self.post_id == CQO_POST

    @cached_property
    def declared_view(self) -> "DeclaredPerson":
        """The filing's person as the enterprise declared it — what the enterprise's own
        pages show. A filing made before declarations were kept shows the person record."""
        person = self.appointment.person
        values = {f: self.declared_person.get(f, getattr(person, f)) for f in DECLARED_FIELDS}
        return DeclaredPerson(id_number=person.id_number, **values)


class FilingAction(models.TextChoices):
    """What a filing event records (``FilingEvent.action``); the one table of their labels
    for the enterprise's and the reviewer's timelines."""

    CREATE = "create", _("创建")
    EDIT = "edit", _("修改")
    SUBMIT = "submit", _("提交")
    RESUBMIT = "resubmit", _("重新提交")
    WITHDRAW = "withdraw", _("撤回")
    RETURN = "return", _("退回")
    APPROVE = "approve", _("审核通过")
    IMPORT = "import", _("导入")


class FilingEvent(models.Model):
    """One workflow transition of a filing: who did what, when, with which note."""

    filing = models.ForeignKey(
        Filing, verbose_name=_("备案"), on_delete=models.CASCADE, related_name="events"
    )
    action = models.CharField(_("操作"), max_length=20, choices=FilingAction.choices)
    from_status = models.CharField(
        _("原状态"), max_length=10, blank=True, choices=FilingStatus.choices
    )
    to_status = models.CharField(_("新状态"), max_length=10, choices=FilingStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
    )
    note = models.TextField(_("说明"), blank=True)
    at = StampField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("备案流转记录")
        verbose_name_plural = _("备案流转记录")
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.filing} {self.action}"

    @property
    def action_label(self) -> str:
        """The action as people read it (:class:`FilingAction`); unknown actions as stored."""
        try:
            return FilingAction(self.action).label
        except ValueError:
            return self.action


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
    created_at = StampField(_("登记时间"), auto_now_add=True)
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
    created_at = StampField(_("登记时间"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("约谈警示退出")
        verbose_name_plural = _("约谈警示退出")
        ordering = ["-decided_on"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.appointment}"


def sanction_document_upload_to(instance, filename):
    return random_name("sanctions", filename)


@cleanup.select
class SanctionDocument(models.Model):
    sanction = models.ForeignKey(
        Sanction, verbose_name=_("处理措施"), on_delete=models.CASCADE, related_name="documents"
    )
    name = models.CharField(_("文件名"), max_length=200)
    file = PrivateFileField(_("文件"), upload_to=sanction_document_upload_to)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("上传人"), on_delete=models.PROTECT
    )
    uploaded_at = StampField(_("上传时间"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("处理文书")
        verbose_name_plural = _("处理文书")

    def __str__(self):
        return self.name


# --- The risk feed (SPEC §6, issue 17 §2) ---------------------------------------------------------


class SpotCheck(models.Model):
    """One product's result in a supervisory spot check (监督抽查) of an enterprise, imported
    from the bureau's Excel file. Keyed by the source document (通报文号), the enterprise and
    the product: a re-import of the same file changes nothing."""

    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name=_("企业"),
        on_delete=models.PROTECT,
        related_name="spot_checks",
    )
    product = models.CharField(_("产品名称"), max_length=200)
    checked_on = models.DateField(_("抽查日期"))
    passed = models.BooleanField(_("合格"))
    failed_items = models.TextField(_("不合格项目"), blank=True)
    document_number = models.CharField(_("通报文号"), max_length=100)
    created_at = StampField(_("登记时间"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("监督抽查结果")
        verbose_name_plural = _("监督抽查结果")
        ordering = ["-checked_on", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["document_number", "enterprise", "product"], name="spot_check_once"
            )
        ]
        indexes = [
            models.Index(fields=["enterprise", "passed", "checked_on"], name="spot_check_ent_idx")
        ]

    def __str__(self):
        return f"{self.enterprise} {self.product} {self.checked_on}"


class Penalty(models.Model):
    """An administrative penalty (行政处罚) decided against an enterprise, imported from the
    bureau's Excel file; the decision number (处罚决定书文号) is its key."""

    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name=_("企业"),
        on_delete=models.PROTECT,
        related_name="penalties",
    )
    decided_on = models.DateField(_("处罚日期"))
    decision_number = models.CharField(_("处罚决定书文号"), max_length=100, unique=True)
    summary = models.TextField(_("处罚内容"))
    created_at = StampField(_("登记时间"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("行政处罚")
        verbose_name_plural = _("行政处罚")
        ordering = ["-decided_on", "-pk"]
        indexes = [models.Index(fields=["enterprise", "decided_on"], name="penalty_ent_idx")]

    def __str__(self):
        return self.decision_number


class RiskFactor(models.TextChoices):
    """What raises an enterprise on the risk list (issue 17 §2), each with its default weight
    (``RISK_DEFAULT_WEIGHTS``)."""

    FAILED_SPOT_CHECK = "failed_spot_check", _("监督抽查不合格（每次）")
    PENALTY = "penalty", _("行政处罚（每件）")
    MAJOR_INCIDENT = "major_incident", _("重大质量安全事故（每起）")
    VACANCY = "vacancy", _("首席质量官空缺")
    LAST_GRADE_UNQUALIFIED = "last_grade_unqualified", _("最近一次履职评价不合格")
    OVERDUE_TRAINING = "overdue_training", _("首席质量官逾期未培训合格")


RISK_DEFAULT_WEIGHTS = {
    RiskFactor.FAILED_SPOT_CHECK: 3,
    RiskFactor.PENALTY: 3,
    RiskFactor.MAJOR_INCIDENT: 3,
    RiskFactor.VACANCY: 2,
    RiskFactor.LAST_GRADE_UNQUALIFIED: 2,
    RiskFactor.OVERDUE_TRAINING: 1,
}


class RiskWeight(models.Model):
    """The weight of one factor in the risk score, set by the bureau admin (one row per
    factor, seeded with the defaults)."""

    factor = models.CharField(_("因素"), max_length=30, choices=RiskFactor.choices, unique=True)
    weight = models.PositiveSmallIntegerField(_("权重"))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("风险权重")
        verbose_name_plural = _("风险权重")
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(name="risk_weight_range", condition=Q(weight__lte=100))
        ]

    def __str__(self):
        return f"{self.get_factor_display()}: {self.weight}"
