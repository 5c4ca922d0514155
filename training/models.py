from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django_cleanup import cleanup
from simple_history.models import HistoricalRecords

from cqo_registry.clock import StampField
from cqo_registry.uploads import PrivateFileField, random_name
from cqo_registry.workflows import Transitions


class SessionKind(models.TextChoices):
    QUALITY_MONTH = "quality_month", _("质量月综合技能培训")
    INDUCTION = "induction", _("任职培训")
    OTHER = "other", _("其他培训")


class TrainingSession(models.Model):
    """A training session. Title + start date identify it (the key of the training file)."""

    title = models.CharField(_("培训名称"), max_length=200)
    kind = models.CharField(
        _("培训类型"), max_length=20, choices=SessionKind.choices, default=SessionKind.OTHER
    )
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    hours = models.DecimalField(_("学时"), max_digits=5, decimal_places=1, null=True, blank=True)
    organiser = models.CharField(_("主办单位"), max_length=100, blank=True)
    place = models.CharField(_("地点"), max_length=200, blank=True)
    capacity = models.PositiveIntegerField(_("名额"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("培训班")
        verbose_name_plural = _("培训班")
        ordering = ["-starts_on"]
        constraints = [
            models.UniqueConstraint(fields=["title", "starts_on"], name="training_title_date"),
            models.CheckConstraint(
                name="training_ends_after_start", condition=Q(ends_on__gte=F("starts_on"))
            ),
        ]

    def __str__(self):
        return f"{self.title}（{self.starts_on:%Y-%m-%d}）"


class TrainingAttendance(models.Model):
    """A person's attendance at a session. A CQO is *trained* from the end date of their
    first session with ``passed``."""

    session = models.ForeignKey(
        TrainingSession,
        verbose_name=_("培训班"),
        on_delete=models.PROTECT,
        related_name="attendances",
    )
    person = models.ForeignKey(
        "enterprises.Person",
        verbose_name=_("人员"),
        on_delete=models.PROTECT,
        related_name="attendances",
    )
    attended = models.BooleanField(_("出勤"), default=True)
    hours = models.DecimalField(_("学时"), max_digits=5, decimal_places=1, null=True, blank=True)
    score = models.DecimalField(_("成绩"), max_digits=5, decimal_places=1, null=True, blank=True)
    passed = models.BooleanField(_("合格"), default=False)
    certificate_number = models.CharField(_("证书编号"), max_length=50, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("培训记录")
        verbose_name_plural = _("培训记录")
        constraints = [
            models.UniqueConstraint(fields=["session", "person"], name="attendance_once"),
            models.CheckConstraint(
                name="passed_requires_attended", condition=Q(passed=False) | Q(attended=True)
            ),
        ]
        indexes = [
            models.Index(fields=["person", "passed"], name="attendance_person_pass_idx"),
            # The session list counts each session's attendances and passes from this index
            # alone (an index-only scan), not from the table (issue 15 §1).
            models.Index(fields=["session", "passed"], name="attendance_session_pass_idx"),
        ]

    def __str__(self):
        return f"{self.person} — {self.session}"


# --- Yearly duty evaluation (履职评价, notice §4 and §5) -------------------------------------


class ItemCategory(models.TextChoices):
    DUTY = "duty", _("职责和权限（通知四）")
    TASK = "task", _("主要任务（通知五）")


class EvaluationItem(models.Model):
    """One scored item of the yearly evaluation. Items are data the bureau adjusts; an item
    no longer used is deactivated, not deleted, so past evaluations keep their items."""

    code = models.CharField(_("编号"), max_length=20, unique=True)
    category = models.CharField(_("类别"), max_length=10, choices=ItemCategory.choices)
    title = models.CharField(_("评价内容"), max_length=300)
    max_score = models.DecimalField(_("分值"), max_digits=5, decimal_places=1)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    active = models.BooleanField(_("启用"), default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("履职评价项目")
        verbose_name_plural = _("履职评价项目")
        ordering = ["order", "code"]
        constraints = [
            models.CheckConstraint(name="item_max_score_positive", condition=Q(max_score__gt=0))
        ]

    def __str__(self):
        return f"{self.code} {self.title}"


class EvaluationStatus(models.TextChoices):
    DRAFT = "draft", _("企业填报中")
    SELF_SUBMITTED = "self_submitted", _("待评分")
    SCORED = "scored", _("已评定")


# The yearly evaluation (SPEC §2 履职评价): the enterprise fills in its self-assessment, submits
# it, the bureau scores it (and may score it again). ``training.services`` checks every step.
EVALUATION_FLOW = Transitions(
    {
        "self_assess": ((EvaluationStatus.DRAFT,), None),
        "submit_self": ((EvaluationStatus.DRAFT,), EvaluationStatus.SELF_SUBMITTED),
        "score": (
            (EvaluationStatus.SELF_SUBMITTED, EvaluationStatus.SCORED),
            EvaluationStatus.SCORED,
        ),
    },
    message=_("该履职评价当前状态为“%(status)s”，不能进行此操作。"),
)


class Grade(models.TextChoices):
    EXCELLENT = "excellent", _("优秀")
    QUALIFIED = "qualified", _("合格")
    BASIC = "basic", _("基本合格")
    UNQUALIFIED = "unqualified", _("不合格")


class Evaluation(models.Model):
    """A CQO's yearly duty evaluation at one enterprise: the enterprise's self-assessment,
    then the bureau's scores, total and grade."""

    appointment = models.ForeignKey(
        "appointments.Appointment",
        verbose_name=_("聘任"),
        on_delete=models.PROTECT,
        related_name="evaluations",
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    status = models.CharField(
        _("状态"), max_length=20, choices=EvaluationStatus.choices, default=EvaluationStatus.DRAFT
    )
    self_assessment = models.TextField(_("自评说明"), blank=True)
    self_submitted_at = models.DateTimeField(_("自评提交时间"), null=True, blank=True)
    total = models.DecimalField(_("总分"), max_digits=6, decimal_places=1, null=True, blank=True)
    max_total = models.DecimalField(
        _("满分"), max_digits=6, decimal_places=1, null=True, blank=True
    )
    grade = models.CharField(_("等次"), max_length=20, choices=Grade.choices, blank=True)
    comments = models.TextField(_("评定意见"), blank=True)
    scored_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("评定人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    scored_at = models.DateTimeField(_("评定时间"), null=True, blank=True)
    created_at = StampField(_("创建时间"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("履职评价")
        verbose_name_plural = _("履职评价")
        ordering = ["-year", "appointment__enterprise__name"]
        constraints = [
            models.UniqueConstraint(fields=["appointment", "year"], name="evaluation_once_a_year"),
            models.CheckConstraint(
                name="scored_evaluation_has_grade",
                condition=~Q(status="scored") | (Q(total__isnull=False) & ~Q(grade="")),
            ),
        ]

    def __str__(self):
        return f"{self.year} {self.appointment}"


class EvaluationScore(models.Model):
    evaluation = models.ForeignKey(
        Evaluation, verbose_name=_("履职评价"), on_delete=models.CASCADE, related_name="scores"
    )
    item = models.ForeignKey(EvaluationItem, verbose_name=_("项目"), on_delete=models.PROTECT)
    self_score = models.DecimalField(
        _("自评分"), max_digits=5, decimal_places=1, null=True, blank=True
    )
    score = models.DecimalField(_("评定分"), max_digits=5, decimal_places=1, null=True, blank=True)
    note = models.CharField(_("说明"), max_length=300, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("评价得分")
        verbose_name_plural = _("评价得分")
        ordering = ["item__order", "item__code"]
        constraints = [
            models.UniqueConstraint(fields=["evaluation", "item"], name="score_once_per_item"),
            models.CheckConstraint(
                name="scores_not_negative",
                condition=(Q(score__isnull=True) | Q(score__gte=0))
                & (Q(self_score__isnull=True) | Q(self_score__gte=0)),
            ),
        ]

    def __str__(self):
        return f"{self.evaluation} {self.item.code}"


def document_upload_to(instance, filename):
    return random_name("documents", filename)


@cleanup.select
class EvaluationDocument(models.Model):
    """A supporting document of a self-assessment (private upload)."""

    evaluation = models.ForeignKey(
        Evaluation, verbose_name=_("履职评价"), on_delete=models.CASCADE, related_name="documents"
    )
    name = models.CharField(_("文件名"), max_length=200)
    file = PrivateFileField(_("文件"), upload_to=document_upload_to)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("上传人"), on_delete=models.PROTECT
    )
    uploaded_at = StampField(_("上传时间"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("评价佐证材料")
        verbose_name_plural = _("评价佐证材料")
        ordering = ["uploaded_at"]

    def __str__(self):
        return self.name


# --- Excellent-CQO selection (优秀首席质量官评选, notice §6.2) ---------------------------------


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("筹备中")
    NOMINATING = "nominating", _("推荐中")
    REVIEWING = "reviewing", _("评审中")
    PUBLICITY = "publicity", _("公示中")
    PUBLISHED = "published", _("已发布")


# The yearly selection (SPEC §2 优秀首席质量官评选): campaign, nominations, review, public
# notice, published honour roll. ``training.selection`` checks every step.
CAMPAIGN_FLOW = Transitions(
    {
        "update": (
            (
                CampaignStatus.DRAFT,
                CampaignStatus.NOMINATING,
                CampaignStatus.REVIEWING,
                CampaignStatus.PUBLICITY,
            ),
            None,
        ),
        "open_nominations": ((CampaignStatus.DRAFT,), CampaignStatus.NOMINATING),
        "nominate": ((CampaignStatus.NOMINATING,), None),
        "close_nominations": ((CampaignStatus.NOMINATING,), CampaignStatus.REVIEWING),
        "review": ((CampaignStatus.REVIEWING,), None),
        "rule_out": ((CampaignStatus.REVIEWING, CampaignStatus.PUBLICITY), None),
        "start_publicity": ((CampaignStatus.REVIEWING,), CampaignStatus.PUBLICITY),
        "publish": ((CampaignStatus.PUBLICITY,), CampaignStatus.PUBLISHED),
    },
    message=_("评选当前状态为“%(status)s”，不能进行此操作。"),
)


class SelectionCampaign(models.Model):
    """A yearly selection: nominations, eligibility check over ``period_start``–
    ``period_end`` (no sanction or major incident), review and ranking, a public notice (公示)
    period, then the published honour roll."""

    year = models.PositiveSmallIntegerField(_("年度"), unique=True)
    title = models.CharField(_("名称"), max_length=200)
    status = models.CharField(
        _("状态"), max_length=20, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT
    )
    quota = models.PositiveSmallIntegerField(_("评选名额"), default=10)
    period_start = models.DateField(_("考察期开始"))
    period_end = models.DateField(_("考察期结束"))
    nominations_close_on = models.DateField(_("推荐截止日期"), null=True, blank=True)
    publicity_starts_on = models.DateField(_("公示开始日期"), null=True, blank=True)
    publicity_ends_on = models.DateField(_("公示结束日期"), null=True, blank=True)
    published_on = models.DateField(_("发布日期"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("优秀首席质量官评选")
        verbose_name_plural = _("优秀首席质量官评选")
        ordering = ["-year"]
        constraints = [
            models.CheckConstraint(
                name="campaign_period_order", condition=Q(period_end__gte=F("period_start"))
            ),
            models.CheckConstraint(
                name="campaign_publicity_order",
                condition=Q(publicity_starts_on__isnull=True)
                | Q(publicity_ends_on__isnull=True)
                | Q(publicity_ends_on__gte=F("publicity_starts_on")),
            ),
        ]

    def __str__(self):
        return self.title


class NominationSource(models.TextChoices):
    ENTERPRISE = "enterprise", _("企业自荐")
    TOWN = "town", _("镇推荐")
    BUREAU = "bureau", _("监管局提名")


class NominationStatus(models.TextChoices):
    NOMINATED = "nominated", _("已推荐")
    INELIGIBLE = "ineligible", _("不符合条件")
    SHORTLISTED = "shortlisted", _("入围")
    NOT_SELECTED = "not_selected", _("未当选")
    HONOURED = "honoured", _("当选")


# A nomination through its campaign (SPEC §2 评选): reviewed (shortlisted or ruled out — a
# ruling may be revised while the campaign is under review, and an upheld objection rules a
# candidate out during the public notice), scored when shortlisted, then not selected (beyond
# the quota, at the public notice) or honoured (published). ``training.selection`` checks
# each step here and the campaign's step in ``CAMPAIGN_FLOW``.
NOMINATION_FLOW = Transitions(
    {
        "shortlist": (
            (
                NominationStatus.NOMINATED,
                NominationStatus.INELIGIBLE,
                NominationStatus.SHORTLISTED,
            ),
            NominationStatus.SHORTLISTED,
        ),
        "rule_out": (
            (
                NominationStatus.NOMINATED,
                NominationStatus.INELIGIBLE,
                NominationStatus.SHORTLISTED,
                NominationStatus.NOT_SELECTED,
            ),
            NominationStatus.INELIGIBLE,
        ),
        "score": ((NominationStatus.SHORTLISTED,), None),
        "leave_out": ((NominationStatus.SHORTLISTED,), NominationStatus.NOT_SELECTED),
        "honour": ((NominationStatus.SHORTLISTED,), NominationStatus.HONOURED),
    },
    message=_("推荐当前状态为“%(status)s”，不能进行此操作。"),
)


class Nomination(models.Model):
    campaign = models.ForeignKey(
        SelectionCampaign,
        verbose_name=_("评选"),
        on_delete=models.PROTECT,
        related_name="nominations",
    )
    appointment = models.ForeignKey(
        "appointments.Appointment",
        verbose_name=_("首席质量官聘任"),
        on_delete=models.PROTECT,
        related_name="nominations",
    )
    source = models.CharField(_("推荐方式"), max_length=20, choices=NominationSource.choices)
    nominated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("推荐人"), on_delete=models.PROTECT
    )
    statement = models.TextField(_("推荐理由（主要事迹）"))
    status = models.CharField(
        _("状态"),
        max_length=20,
        choices=NominationStatus.choices,
        default=NominationStatus.NOMINATED,
    )
    eligibility_notes = models.TextField(_("资格审查意见"), blank=True)
    score = models.DecimalField(
        _("评审得分"), max_digits=5, decimal_places=1, null=True, blank=True
    )
    rank = models.PositiveSmallIntegerField(_("排名"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("评审人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = StampField(_("推荐时间"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("评选推荐")
        verbose_name_plural = _("评选推荐")
        ordering = ["campaign", "rank", "created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "appointment"], name="nominated_once_per_campaign"
            ),
        ]

    def __str__(self):
        return f"{self.campaign.year} {self.appointment}"
