"""Online assessment the bureau runs itself (issue 20): a question bank whose questions keep
every version a candidate saw, paper rules per post, sittings (场次) with their candidates,
and the papers drawn for them.

A question's text, options and answer live in :class:`QuestionVersion` rows that are never
changed once written: editing a question writes a new version and moves ``current`` to it,
so a paper (which points at versions) shows and grades what its candidate saw."""

import secrets
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from appointments.models import CQO_POST
from cqo_registry.clock import StampField

OPTION_LETTERS = "ABCDEF"
JUDGE_OPTIONS = ["正确", "错误"]


class QuestionType(models.TextChoices):
    SINGLE = "single", _("单选")
    MULTIPLE = "multiple", _("多选")
    JUDGE = "judge", _("判断")


class Difficulty(models.TextChoices):
    EASY = "easy", _("易")
    MEDIUM = "medium", _("中")
    HARD = "hard", _("难")


class Question(models.Model):
    """One question of a post's bank. What is drawn by (post, type, category, difficulty,
    active) is kept here; what the candidate reads and is graded on is ``current``."""

    post = models.ForeignKey(
        "appointments.PostType",
        verbose_name=_("岗位"),
        to_field="code",
        default=CQO_POST,
        on_delete=models.PROTECT,
        related_name="questions",
    )
    qtype = models.CharField(_("题型"), max_length=10, choices=QuestionType.choices)
    category = models.CharField(_("类别"), max_length=50, blank=True)
    difficulty = models.CharField(
        _("难度"), max_length=10, choices=Difficulty.choices, default=Difficulty.MEDIUM
    )
    active = models.BooleanField(_("启用"), default=True)
    current = models.ForeignKey(
        "QuestionVersion",
        verbose_name=_("当前版本"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = StampField(_("创建时间"), auto_now_add=True)
    updated_at = StampField(_("修改时间"), auto_now=True)

    class Meta:
        verbose_name = _("试题")
        verbose_name_plural = _("试题")
        ordering = ["post", "qtype", "pk"]
        indexes = [
            models.Index(fields=["post", "active", "qtype", "category"], name="question_draw_idx")
        ]

    def __str__(self):
        stem = self.current.stem if self.current_id else ""
        return f"{self.get_qtype_display()}：{stem[:30]}"


class QuestionVersion(models.Model):
    """One version of a question, as candidates saw it; never changed once written
    (``save`` refuses an update). ``options`` holds 2–6 texts labelled A–F in order;
    ``answer`` the correct letters, sorted (``"A"``, ``"ACD"``)."""

    question = models.ForeignKey(
        Question, verbose_name=_("试题"), on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveSmallIntegerField(_("版本"))
    qtype = models.CharField(_("题型"), max_length=10, choices=QuestionType.choices)
    stem = models.TextField(_("题干"), max_length=2000)
    options = models.JSONField(_("选项"), default=list)
    answer = models.CharField(_("答案"), max_length=6)
    explanation = models.TextField(_("解析"), blank=True, max_length=2000)
    created_at = StampField(_("创建时间"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("试题版本")
        verbose_name_plural = _("试题版本")
        ordering = ["question", "number"]
        constraints = [
            models.UniqueConstraint(fields=["question", "number"], name="question_version_once")
        ]

    def __str__(self):
        return f"{self.stem[:30]}（v{self.number}）"

    def save(self, *args, **kwargs):
        # Papers point at versions: a version a candidate may have seen never changes.
        if not self._state.adding:
            raise ValueError("a question version is immutable: write a new one")
        super().save(*args, **kwargs)

    def content(self) -> tuple:
        """What a new version must differ in to be worth writing."""
        return (self.qtype, self.stem, list(self.options), self.answer, self.explanation)

    @property
    def lettered_options(self) -> list[tuple[str, str]]:
        return list(zip(OPTION_LETTERS, self.options, strict=False))


# --- Paper rules (组卷规则) ---------------------------------------------------------------------


class QuestionLayout(models.TextChoices):
    """How the candidate's page shows the paper (issue 20: "one question at a time or all
    on one page"). Only the page's layout: the questions, the answers saved as given and the
    timer are the same in both; the candidate may switch on the page."""

    ALL = "all", _("整卷一页")
    ONE = "one", _("逐题作答")


class PaperRule(models.Model):
    """How a post's paper is drawn and passed: its sections (how many questions of which
    type and category, marks each), the pass mark, the time allowed, and the retake rule —
    after a fail, ``free_retakes`` retakes within ``retake_days`` days of it; past that the
    person sits as a new candidate once the window has passed."""

    post = models.OneToOneField(
        "appointments.PostType",
        verbose_name=_("岗位"),
        to_field="code",
        on_delete=models.PROTECT,
        related_name="paper_rule",
    )
    duration_minutes = models.PositiveSmallIntegerField(
        _("考试时长（分钟）"), default=60, validators=[MinValueValidator(5), MaxValueValidator(600)]
    )
    pass_mark = models.DecimalField(
        _("合格分数"), max_digits=5, decimal_places=1, default=Decimal("60")
    )
    retake_days = models.PositiveSmallIntegerField(
        _("补考期限（天）"), default=30, help_text=_("不合格后多少天内可以补考。")
    )
    free_retakes = models.PositiveSmallIntegerField(
        _("免费补考次数"), default=1, validators=[MaxValueValidator(5)]
    )
    publish_results = models.BooleanField(
        _("公布考试结果"), default=False, help_text=_("勾选后，合格名单在公开页面公布。")
    )
    question_layout = models.CharField(
        _("答题方式"),
        max_length=3,
        choices=QuestionLayout.choices,
        default=QuestionLayout.ALL,
        help_text=_("考生手机上默认的答题方式；考生可在答题页切换。考试场次可另行指定。"),
    )
    updated_at = StampField(_("修改时间"), auto_now=True)

    class Meta:
        verbose_name = _("组卷规则")
        verbose_name_plural = _("组卷规则")
        ordering = ["post__sort_order"]
        constraints = [
            models.CheckConstraint(
                name="paper_rule_pass_mark_positive", condition=Q(pass_mark__gt=0)
            )
        ]

    def __str__(self):
        return str(self.post)

    def total_marks(self, sections=None) -> Decimal:
        sections = self.sections.all() if sections is None else sections
        return sum((s.count * s.marks for s in sections), Decimal("0"))


class PaperSection(models.Model):
    """One part of a paper: ``count`` questions of ``qtype`` (and ``category``, when set)
    drawn from the post's active questions, ``marks`` each. A multiple-choice question
    scores only when every letter is right (no part marks)."""

    rule = models.ForeignKey(
        PaperRule, verbose_name=_("组卷规则"), on_delete=models.CASCADE, related_name="sections"
    )
    qtype = models.CharField(_("题型"), max_length=10, choices=QuestionType.choices)
    category = models.CharField(
        _("类别"), max_length=50, blank=True, help_text=_("留空：不限类别。")
    )
    count = models.PositiveSmallIntegerField(
        _("题数"), validators=[MinValueValidator(1), MaxValueValidator(200)]
    )
    marks = models.DecimalField(
        _("每题分值"),
        max_digits=4,
        decimal_places=1,
        validators=[MinValueValidator(Decimal("0.5"))],
    )
    order = models.PositiveSmallIntegerField(_("顺序"), default=0)

    class Meta:
        verbose_name = _("组卷规则题型")
        verbose_name_plural = _("组卷规则题型")
        ordering = ["rule", "order", "pk"]
        constraints = [
            models.CheckConstraint(name="paper_section_count_positive", condition=Q(count__gt=0)),
            models.CheckConstraint(name="paper_section_marks_positive", condition=Q(marks__gt=0)),
        ]

    def __str__(self):
        return f"{self.get_qtype_display()} {self.category} × {self.count}"


# --- Sittings, candidates and papers --------------------------------------------------------------


ACCESS_CODE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
ACCESS_CODE_LENGTH = 6


def new_access_code() -> str:
    """Six letters and digits that cannot be read as one another (printed at the venue)."""
    return "".join(secrets.choice(ACCESS_CODE_ALPHABET) for _ in range(ACCESS_CODE_LENGTH))


class SittingStatus(models.TextChoices):
    PLANNED = "planned", _("未开始")
    OPEN = "open", _("进行中")
    CLOSED = "closed", _("已结束")


class Sitting(models.Model):
    """A sitting (考试场次) of one post's exam: a day, a place, optionally the training
    session it ends, and its candidates. Candidates sign in with ``access_code`` while the
    sitting is open. ``is_spot_check``: a supervisory spot check (监督抽查考核) of people in
    post — a fail there suggests the sanction path for the enterprise (``exams.results``)."""

    post = models.ForeignKey(
        "appointments.PostType",
        verbose_name=_("岗位"),
        to_field="code",
        on_delete=models.PROTECT,
        related_name="sittings",
    )
    title = models.CharField(_("名称"), max_length=200)
    held_on = models.DateField(_("考试日期"))
    starts_at = models.TimeField(_("开始时间"), null=True, blank=True)
    place = models.CharField(_("考试地点"), max_length=200)
    training_session = models.ForeignKey(
        "training.TrainingSession",
        verbose_name=_("关联培训班"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="exam_sittings",
        help_text=_("考试合格的，记入该培训班的合格培训记录；不选则按本场次另建培训记录。"),
    )
    access_code = models.CharField(
        _("考场口令"), max_length=12, unique=True, default=new_access_code, editable=False
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=SittingStatus.choices, default=SittingStatus.PLANNED
    )
    is_spot_check = models.BooleanField(
        _("监督抽查考核"),
        default=False,
        help_text=_(
            "监管局对在岗人员的监督抽查考核。考生不合格的，向监管局提示对其企业启动约谈、警示或退出程序。"
        ),
    )
    question_layout = models.CharField(
        _("答题方式"),
        max_length=3,
        choices=QuestionLayout.choices,
        blank=True,
        help_text=_("留空：按本岗位组卷规则的设置。考生可在答题页切换。"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = StampField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("考试场次")
        verbose_name_plural = _("考试场次")
        ordering = ["-held_on", "-pk"]

    def __str__(self):
        return f"{self.title}（{self.held_on:%Y-%m-%d}）"

    @property
    def layout(self) -> str:
        """The layout the paper opens in (a ``QuestionLayout`` value): the sitting's own,
        else its post's paper rule's, else all on one page (issue 20). Reads the rule (one
        query unless ``post__paper_rule`` was selected)."""
        if self.question_layout:
            return self.question_layout
        rule = PaperRule.objects.filter(post_id=self.post_id).only("question_layout").first()
        return rule.question_layout if rule else QuestionLayout.ALL


class Candidate(models.Model):
    """A person entered for a sitting, through the enterprise whose post they hold (or are
    nominated to). ``is_retake``: a retake under the post's retake rule."""

    sitting = models.ForeignKey(
        Sitting, verbose_name=_("考试场次"), on_delete=models.CASCADE, related_name="candidates"
    )
    person = models.ForeignKey(
        "enterprises.Person",
        verbose_name=_("考生"),
        on_delete=models.PROTECT,
        related_name="exam_candidacies",
    )
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name=_("企业"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    is_retake = models.BooleanField(_("补考"), default=False)
    added_at = StampField(_("添加时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("考生")
        verbose_name_plural = _("考生")
        ordering = ["sitting", "pk"]
        constraints = [models.UniqueConstraint(fields=["sitting", "person"], name="candidate_once")]

    def __str__(self):
        return str(self.person)


class SubmittedBy(models.TextChoices):
    CANDIDATE = "candidate", _("考生交卷")
    DEADLINE = "deadline", _("时间到自动交卷")


def new_certificate_token() -> str:
    return secrets.token_urlsafe(24)


class Paper(models.Model):
    """The paper drawn for one candidate (from ``seed``), its deadline kept on the server,
    and once submitted its grade. Total and pass mark are copied from the rule when drawn,
    so a later change of the rule does not regrade it."""

    candidate = models.OneToOneField(
        Candidate, verbose_name=_("考生"), on_delete=models.CASCADE, related_name="paper"
    )
    seed = models.BigIntegerField(_("抽题种子"))
    started_at = models.DateTimeField(_("开始时间"))
    deadline_at = models.DateTimeField(_("截止时间"))
    submitted_at = models.DateTimeField(_("交卷时间"), null=True, blank=True)
    submitted_by = models.CharField(
        _("交卷方式"), max_length=10, choices=SubmittedBy.choices, blank=True
    )
    total_marks = models.DecimalField(_("总分"), max_digits=6, decimal_places=1)
    pass_mark = models.DecimalField(_("合格分数"), max_digits=5, decimal_places=1)
    score = models.DecimalField(_("得分"), max_digits=6, decimal_places=1, null=True, blank=True)
    passed = models.BooleanField(_("合格"), null=True, blank=True)
    attendance = models.ForeignKey(
        "training.TrainingAttendance",
        verbose_name=_("培训记录"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    certificate_number = models.CharField(_("证书编号"), max_length=30, blank=True)
    certificate_token = models.CharField(
        _("证书验证码"), max_length=64, unique=True, null=True, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("试卷")
        verbose_name_plural = _("试卷")
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                name="paper_graded_when_submitted",
                condition=Q(submitted_at__isnull=True, score__isnull=True, passed__isnull=True)
                | Q(submitted_at__isnull=False, score__isnull=False, passed__isnull=False),
            ),
        ]

    def __str__(self):
        return str(self.candidate)

    @property
    def is_submitted(self) -> bool:
        return self.submitted_at is not None


class PaperQuestion(models.Model):
    """One question of a paper: the version drawn, the order its options were shown in
    (``option_order[i]`` is the index in ``version.options`` of the i-th option shown), the
    letters chosen (the version's own letters, sorted) and, once graded, the marks given."""

    paper = models.ForeignKey(
        Paper, verbose_name=_("试卷"), on_delete=models.CASCADE, related_name="questions"
    )
    position = models.PositiveSmallIntegerField(_("题号"))
    version = models.ForeignKey(
        QuestionVersion, verbose_name=_("试题版本"), on_delete=models.PROTECT, related_name="+"
    )
    option_order = models.JSONField(_("选项顺序"), default=list)
    marks = models.DecimalField(_("分值"), max_digits=4, decimal_places=1)
    chosen = models.CharField(_("作答"), max_length=6, blank=True)
    answered_at = models.DateTimeField(_("作答时间"), null=True, blank=True)
    awarded = models.DecimalField(_("得分"), max_digits=4, decimal_places=1, null=True, blank=True)

    class Meta:
        verbose_name = _("试卷试题")
        verbose_name_plural = _("试卷试题")
        ordering = ["paper", "position"]
        constraints = [
            models.UniqueConstraint(fields=["paper", "position"], name="paper_position_once")
        ]

    def __str__(self):
        return f"{self.paper} #{self.position}"

    def shown_letters(self) -> str:
        """The chosen answer in the letters the candidate saw."""
        shown = {self.option_order[i]: OPTION_LETTERS[i] for i in range(len(self.option_order))}
        return "".join(
            sorted(shown[OPTION_LETTERS.index(letter)] for letter in self.chosen if letter)
        )
