from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .validators import (
    mask_id_number,
    mask_mobile,
    validate_id_number,
    validate_mobile,
    validate_town_code,
    validate_uscc,
)


class Industry(models.TextChoices):
    """Sections (门类) of GB/T 4754-2017."""

    A = "A", _("A 农、林、牧、渔业")
    B = "B", _("B 采矿业")
    C = "C", _("C 制造业")
    D = "D", _("D 电力、热力、燃气及水生产和供应业")
    E = "E", _("E 建筑业")
    F = "F", _("F 批发和零售业")
    G = "G", _("G 交通运输、仓储和邮政业")
    H = "H", _("H 住宿和餐饮业")
    I = "I", _("I 信息传输、软件和信息技术服务业")  # noqa: E741
    J = "J", _("J 金融业")
    K = "K", _("K 房地产业")
    L = "L", _("L 租赁和商务服务业")
    M = "M", _("M 科学研究和技术服务业")
    N = "N", _("N 水利、环境和公共设施管理业")
    O = "O", _("O 居民服务、修理和其他服务业")  # noqa: E741
    P = "P", _("P 教育")
    Q = "Q", _("Q 卫生和社会工作")
    R = "R", _("R 文化、体育和娱乐业")
    S = "S", _("S 公共管理、社会保障和社会组织")
    T = "T", _("T 国际组织")


class Scale(models.TextChoices):
    ABOVE = "above", _("规模以上")
    SME = "sme", _("中小企业")
    MICRO = "micro", _("微型企业")


class Education(models.TextChoices):
    DOCTORATE = "doctorate", _("博士研究生")
    MASTER = "master", _("硕士研究生")
    BACHELOR = "bachelor", _("大学本科")
    COLLEGE = "college", _("大学专科")
    SECONDARY = "secondary", _("中专/高中")
    OTHER = "other", _("其他")


class Town(models.Model):
    """A town or sub-district (镇/街道) of the county: master data for every enterprise."""

    name = models.CharField(_("名称"), max_length=50, unique=True)
    # Blank only for towns created on the fly by an import run with --create-towns; the
    # bureau fills the code in afterwards.
    code = models.CharField(
        _("统计用区划代码"), max_length=12, blank=True, validators=[validate_town_code]
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("镇（街道）")
        verbose_name_plural = _("镇（街道）")
        ordering = ["code", "name"]
        constraints = [
            models.UniqueConstraint(fields=["code"], condition=~Q(code=""), name="town_code_unique")
        ]

    def __str__(self):
        return self.name


class Enterprise(models.Model):
    uscc = models.CharField(
        _("统一社会信用代码"), max_length=18, unique=True, validators=[validate_uscc]
    )
    name = models.CharField(_("企业名称"), max_length=200, db_index=True)
    legal_representative = models.CharField(_("法定代表人"), max_length=50, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=30, blank=True)
    town = models.ForeignKey(
        Town, verbose_name=_("所属镇"), on_delete=models.PROTECT, related_name="enterprises"
    )
    address = models.CharField(_("地址"), max_length=255, blank=True)
    industry = models.CharField(_("行业门类"), max_length=1, choices=Industry.choices)
    scale = models.CharField(_("企业规模"), max_length=10, choices=Scale.choices)
    requires_cqo = models.BooleanField(
        _("需聘任首席质量官"),
        default=True,
        help_text=_("规模以上企业必须聘任；中小微企业由市场监管局认定是否需要聘任。"),
    )
    high_risk = models.BooleanField(_("高风险行业"), default=False)
    benchmark = models.BooleanField(_("质量标杆企业"), default=False)
    established_on = models.DateField(_("成立日期"), null=True, blank=True)
    deregistered_on = models.DateField(_("注销日期"), null=True, blank=True)
    created_at = models.DateTimeField(_("登记入库时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("企业")
        verbose_name_plural = _("企业")
        ordering = ["town__code", "name"]
        constraints = [
            models.CheckConstraint(name="uscc_upper_case", condition=Q(uscc=Upper("uscc"))),
            models.CheckConstraint(
                name="above_scale_requires_cqo",
                condition=~Q(scale="above") | Q(requires_cqo=True),
            ),
            models.CheckConstraint(
                name="deregistered_after_established",
                condition=Q(established_on__isnull=True)
                | Q(deregistered_on__isnull=True)
                | Q(deregistered_on__gte=F("established_on")),
            ),
        ]
        indexes = [
            # Population filters of the statistics (SPEC §3): scale/requires_cqo, then the
            # breakdowns by town and by industry section.
            models.Index(fields=["scale", "requires_cqo"], name="ent_scale_req_idx"),
            models.Index(fields=["town", "scale"], name="ent_town_scale_idx"),
            models.Index(fields=["industry", "scale"], name="ent_industry_scale_idx"),
        ]

    def __str__(self):
        return self.name

    def is_active_on(self, day) -> bool:
        return (self.established_on is None or self.established_on <= day) and (
            self.deregistered_on is None or self.deregistered_on > day
        )


class Person(models.Model):
    """A (prospective) Chief Quality Officer, identified by their resident ID number."""

    name = models.CharField(_("姓名"), max_length=50)
    id_number = models.CharField(
        _("身份证号"), max_length=18, unique=True, validators=[validate_id_number]
    )
    mobile = models.CharField(_("手机"), max_length=11, blank=True, validators=[validate_mobile])
    email = models.EmailField(_("电子邮箱"), blank=True)
    education = models.CharField(_("学历"), max_length=20, choices=Education.choices, blank=True)
    title = models.CharField(_("职称"), max_length=50, blank=True)
    qualifications = models.TextField(_("质量相关资格"), blank=True)
    years_in_quality = models.PositiveSmallIntegerField(
        _("从事质量工作年限"), null=True, blank=True
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("人员")
        verbose_name_plural = _("人员")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                name="id_number_upper_case", condition=Q(id_number=Upper("id_number"))
            ),
        ]
        # Lists of persons (drill-downs, the CQO registry) page in name order.
        indexes = [models.Index(fields=["name", "id"], name="person_name_idx")]

    def __str__(self):
        return self.name

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def masked_mobile(self) -> str:
        return mask_mobile(self.mobile)


class RegistrationStatus(models.TextChoices):
    PENDING = "pending", _("待审核")
    APPROVED = "approved", _("已通过")
    REJECTED = "rejected", _("未通过")


class EnterpriseRegistration(models.Model):
    """An enterprise's self-registration (SPEC §1). Its user account stays inactive until a
    bureau reviewer approves: for a USCC already in the registry the account is tied to that
    enterprise; otherwise the reviewer approves the new enterprise and the account together
    (town, scale, industry and address then come from this form)."""

    uscc = models.CharField(_("统一社会信用代码"), max_length=18, validators=[validate_uscc])
    name = models.CharField(_("企业名称"), max_length=200)
    contact_name = models.CharField(_("联系人"), max_length=50)
    mobile = models.CharField(_("手机"), max_length=11, validators=[validate_mobile])
    email = models.EmailField(_("电子邮箱"))
    town = models.ForeignKey(
        Town, verbose_name=_("所属镇"), null=True, blank=True, on_delete=models.PROTECT
    )
    scale = models.CharField(_("企业规模"), max_length=10, choices=Scale.choices, blank=True)
    industry = models.CharField(_("行业门类"), max_length=1, choices=Industry.choices, blank=True)
    address = models.CharField(_("地址"), max_length=255, blank=True)
    user = models.OneToOneField(
        "accounts.User",
        verbose_name=_("账号"),
        on_delete=models.PROTECT,
        related_name="registration",
    )
    enterprise = models.ForeignKey(
        Enterprise,
        verbose_name=_("企业"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="registrations",
    )
    status = models.CharField(
        _("状态"),
        max_length=10,
        choices=RegistrationStatus.choices,
        default=RegistrationStatus.PENDING,
    )
    reviewed_by = models.ForeignKey(
        "accounts.User",
        verbose_name=_("审核人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reviewed_registrations",
    )
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    reject_reason = models.TextField(_("不通过原因"), blank=True)
    created_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("企业注册申请")
        verbose_name_plural = _("企业注册申请")
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["uscc"],
                condition=Q(status="pending"),
                name="one_pending_registration_per_uscc",
            )
        ]

    def __str__(self):
        return f"{self.name}（{self.uscc}）"

    @property
    def is_new_enterprise(self) -> bool:
        return self.enterprise_id is None


class VacancyNote(models.Model):
    """A town officer's or reviewer's follow-up note on an enterprise without a filed CQO."""

    enterprise = models.ForeignKey(
        Enterprise,
        verbose_name=_("企业"),
        on_delete=models.CASCADE,
        related_name="vacancy_notes",
    )
    author = models.ForeignKey("accounts.User", verbose_name=_("记录人"), on_delete=models.PROTECT)
    text = models.TextField(_("跟进情况"))
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("空缺跟进记录")
        verbose_name_plural = _("空缺跟进记录")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.enterprise}: {self.text[:20]}"


class ReminderKind(models.TextChoices):
    OVERDUE = "overdue", _("超期自动提醒")
    MANUAL = "manual", _("人工提醒")


class VacancyReminder(models.Model):
    """A reminder sent about a vacancy. The daily overdue task sends at most one per
    enterprise and day (the unique constraint makes a re-run a no-op)."""

    enterprise = models.ForeignKey(
        Enterprise,
        verbose_name=_("企业"),
        on_delete=models.CASCADE,
        related_name="vacancy_reminders",
    )
    kind = models.CharField(_("类型"), max_length=10, choices=ReminderKind.choices)
    sent_on = models.DateField(_("提醒日期"))
    sent_by = models.ForeignKey(
        "accounts.User", verbose_name=_("发送人"), null=True, blank=True, on_delete=models.PROTECT
    )
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("空缺提醒")
        verbose_name_plural = _("空缺提醒")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "sent_on"],
                condition=Q(kind="overdue"),
                name="one_overdue_reminder_per_day",
            )
        ]

    def __str__(self):
        return f"{self.enterprise} {self.sent_on}"
