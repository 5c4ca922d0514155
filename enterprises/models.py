from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from cqo_registry.clock import StampField
from cqo_registry.encryption import DigestField, EncryptedCharField
from cqo_registry.workflows import Transitions

from .fields import IdNumberField, UsccField
from .validators import (
    mask_id_number,
    mask_mobile,
    validate_mobile,
    validate_town_code,
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


class Licence(models.TextChoices):
    """Licences and registrations an enterprise may hold (issue 19 §1): what decides, with
    scale and sector, which safety posts it must fill (``appointments.posts``). Each is a
    boolean field of ``Enterprise`` named ``licence_<value>`` (:func:`licence_field`), so
    that lists filter and imports compare them like any other column."""

    FOOD_PRODUCTION = "food_production", _("食品生产许可证")
    FOOD_TRADING = "food_trading", _("食品经营许可证")
    INDUSTRIAL_PRODUCT = "industrial_product", _("工业产品生产许可证")
    CCC = "ccc", _("强制性产品认证（CCC）")
    SPECIAL_EQUIPMENT = "special_equipment", _("特种设备使用登记")


def licence_field(licence: str) -> str:
    """The ``Enterprise`` field that records ``licence`` (a :class:`Licence` value)."""
    return f"licence_{licence}"


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


class EnterpriseQuerySet(models.QuerySet):
    def incomplete(self):
        """Enterprises 待完善 (issue 17 §1): brought in by the above-scale reconciliation
        without a town or an industry section, until a reviewer completes both."""
        return self.filter(INCOMPLETE)

    def complete(self):
        return self.exclude(INCOMPLETE)


# What makes an enterprise 待完善: no town, or no industry section.
INCOMPLETE = Q(town__isnull=True) | Q(industry="")


class Enterprise(models.Model):
    uscc = UsccField(
        _("统一社会信用代码"),
        unique=True,
        error_messages={"unique": _("系统中已有使用这个统一社会信用代码的企业。")},
    )
    # Indexed in Meta (``ent_name_idx``), not with ``db_index``: that would add a second,
    # ``varchar_pattern_ops`` index for ``LIKE 'x%'``, which no query of the registry makes
    # (name searches are substring searches, served by the trigram index).
    name = models.CharField(_("企业名称"), max_length=200)
    legal_representative = models.CharField(_("法定代表人"), max_length=50, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=30, blank=True)
    # Empty only for an enterprise the statistics bureau's above-scale list brought in without
    # a town (issue 17 §1): it is 待完善 until a reviewer completes town and industry, and
    # counts in the county's figures meanwhile (in no town's). Forms still require both.
    town = models.ForeignKey(
        Town,
        verbose_name=_("所属镇"),
        on_delete=models.PROTECT,
        related_name="enterprises",
        null=True,
        # No index of its own: ``ent_town_scale_idx`` (town, scale) begins with the town and
        # serves every lookup by town, the PROTECT check included.
        db_index=False,
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
    # Licences held (issue 19 §1; ``Licence``): one boolean each.
    licence_food_production = models.BooleanField(_("食品生产许可证"), default=False)
    licence_food_trading = models.BooleanField(_("食品经营许可证"), default=False)
    licence_industrial_product = models.BooleanField(_("工业产品生产许可证"), default=False)
    licence_ccc = models.BooleanField(_("强制性产品认证（CCC）"), default=False)
    licence_special_equipment = models.BooleanField(_("特种设备使用登记"), default=False)
    established_on = models.DateField(_("成立日期"), null=True, blank=True)
    deregistered_on = models.DateField(_("注销日期"), null=True, blank=True)
    created_at = StampField(_("登记入库时间"), auto_now_add=True)
    updated_at = StampField(_("更新时间"), auto_now=True)
    # History is read by enterprise (``id``), history id and date only: the indexes the
    # historical copies of ``name``, ``uscc`` and ``town`` would inherit serve no query and
    # each costs every row an import writes (bench/RESULTS.md, issue 8).
    history = HistoricalRecords(no_db_index=["name", "uscc", "town"])

    objects = EnterpriseQuerySet.as_manager()

    class Meta:
        verbose_name = _("企业")
        verbose_name_plural = _("企业")
        # No join here: a default ordering across a foreign key makes every row lock of an
        # enterprise (``.first()`` under ``select_for_update``) lock its town too. Pages that
        # list enterprises by town order them explicitly.
        ordering = ["name", "pk"]
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
            # The registry's own order (``ordering``) and the admin's.
            models.Index(fields=["name"], name="ent_name_idx"),
            models.Index(fields=["town", "scale"], name="ent_town_scale_idx"),
            models.Index(fields=["industry", "scale"], name="ent_industry_scale_idx"),
            # The drill-down's pages (reports.selectors.drilldown, issue 11): a town's
            # enterprises of one scale in list order (name, id), walked from a page's first
            # row by keyset — an index range the size of a page at any depth.
            models.Index(fields=["town", "scale", "name", "id"], name="ent_town_scale_name_idx"),
        ]

    def __str__(self):
        return self.name

    @property
    def town_name(self) -> str:
        """The town's name, or '' for an enterprise without a town yet (待完善)."""
        return self.town.name if self.town_id else ""

    @property
    def needs_completion(self) -> bool:
        """待完善: no town or no industry section yet (see ``INCOMPLETE``)."""
        return self.town_id is None or not self.industry

    @property
    def licences(self) -> set[str]:
        """The :class:`Licence` values this enterprise holds."""
        return {value for value in Licence.values if getattr(self, licence_field(value))}

    def is_active_on(self, day) -> bool:
        return (self.established_on is None or self.established_on <= day) and (
            self.deregistered_on is None or self.deregistered_on > day
        )


DUPLICATE_ID_NUMBER = _("系统中已有这个身份证号的人员，请在已有人员上修改。")


class Person(models.Model):
    """A (prospective) Chief Quality Officer, identified by their resident ID number."""

    name = models.CharField(_("姓名"), max_length=50)
    # Stored encrypted; the keyed hash is what lookups and the uniqueness constraint use
    # (cqo_registry.encryption, issue 14 §2). The hash comes first: setting the ID number
    # (after it, when a row is made) sets the hash.
    id_number_digest = DigestField(
        _("身份证号查找码"),
        unique=True,
        error_messages={"unique": DUPLICATE_ID_NUMBER},
    )
    id_number = IdNumberField(_("身份证号"), digest_field="id_number_digest")
    mobile = EncryptedCharField(_("手机"), max_length=11, blank=True, validators=[validate_mobile])
    email = models.EmailField(_("电子邮箱"), blank=True)
    education = models.CharField(_("学历"), max_length=20, choices=Education.choices, blank=True)
    title = models.CharField(_("职称"), max_length=50, blank=True)
    qualifications = models.TextField(_("质量相关资格"), blank=True)
    years_in_quality = models.PositiveSmallIntegerField(
        _("从事质量工作年限"), null=True, blank=True
    )
    created_at = StampField(_("创建时间"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("人员")
        verbose_name_plural = _("人员")
        ordering = ["name"]
        # Lists of persons (drill-downs, the CQO registry) page in name order.
        indexes = [models.Index(fields=["name", "id"], name="person_name_idx")]

    def __str__(self):
        return self.name

    def validate_unique(self, exclude=None):
        """The ID number is unique through its hash, which no form shows: a duplicate is
        reported on the ID number."""
        exclude = set(exclude or ())
        super().validate_unique(exclude=exclude | {"id_number_digest"})
        if "id_number" not in exclude and self.id_number:
            taken = Person.objects.filter(id_number=self.id_number).exclude(pk=self.pk)
            if taken.exists():
                raise ValidationError({"id_number": DUPLICATE_ID_NUMBER})

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


# Self-registration (SPEC §1 "self-register"): the bureau approves or refuses each application
# once. ``enterprises.services`` checks every step.
REGISTRATION_FLOW = Transitions(
    {
        "approve": ((RegistrationStatus.PENDING,), RegistrationStatus.APPROVED),
        "reject": ((RegistrationStatus.PENDING,), RegistrationStatus.REJECTED),
    },
    message=_("该注册申请已处理（%(status)s），请刷新页面。"),
)


class EnterpriseRegistration(models.Model):
    """An enterprise's self-registration (SPEC §1). Its user account stays inactive until a
    bureau reviewer approves: for a USCC already in the registry the account is tied to that
    enterprise; otherwise the reviewer approves the new enterprise and the account together
    (town, scale, industry and address then come from this form)."""

    uscc = UsccField(_("统一社会信用代码"))
    name = models.CharField(_("企业名称"), max_length=200)
    contact_name = models.CharField(_("联系人"), max_length=50)
    mobile = EncryptedCharField(_("手机"), max_length=11, validators=[validate_mobile])
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
    created_at = StampField(_("申请时间"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("企业注册申请")
        verbose_name_plural = _("企业注册申请")
        ordering = ["created_at"]
        # Several registrations of one USCC may wait at once (issue 13: a squatter's pending
        # application must not block the real enterprise's); the reviewer compares them.
        indexes = [models.Index(fields=["uscc", "status"], name="registration_uscc_idx")]

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
    created_at = StampField(_("时间"), auto_now_add=True)

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
    created_at = StampField(_("时间"), auto_now_add=True)

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
