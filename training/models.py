from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


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
        indexes = [models.Index(fields=["person", "passed"], name="attendance_person_pass_idx")]

    def __str__(self):
        return f"{self.person} — {self.session}"
