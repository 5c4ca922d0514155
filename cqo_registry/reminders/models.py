"""Reminders before deadlines (issue 17 §4): one schedule table and one log of what was sent.

A :class:`ReminderRule` says *when* a kind of reminder goes out — ``offset_days`` before or
after the kind's anchor date, optionally repeated every ``repeat_days`` — and *how* (in-app
notification, or in-app and e-mail). Each kind's anchor:

==================  ============================================================  =========
kind                anchor                                                        offset
==================  ============================================================  =========
vacancy_overdue     the first day a vacancy is overdue (SPEC §2)                  after
filing_returned     the day a filing was returned, while not resubmitted          after
letter_missing      a draft filing without a letter: its filing deadline          before
                    (appointment date + ``CQO_FILING_LIMIT_DAYS``)
training_ahead      the start of a training session its enrolled CQO attends     before
confirmation_due    the due date of the yearly confirmation, while unanswered     before
==================  ============================================================  =========

A :class:`ReminderLog` row is one reminder sent about one subject (a vacancy, a filing, a
confirmation, a CQO's training) for one *occurrence* — the date its rule fell due. The
unique occurrence makes every run idempotent.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class ReminderType(models.TextChoices):
    VACANCY_OVERDUE = "vacancy_overdue", _("首席质量官空缺超期")
    FILING_RETURNED = "filing_returned", _("退回的备案未重新提交")
    LETTER_MISSING = "letter_missing", _("备案草稿缺聘任文件")
    TRAINING_AHEAD = "training_ahead", _("培训即将开始")
    CONFIRMATION_DUE = "confirmation_due", _("年度确认即将截止")
    # Every post but the CQO's (issue 19): 食品安全总监/员, 特种设备安全员 … vacant too long.
    POST_VACANCY_OVERDUE = "post_vacancy_overdue", _("其他岗位空缺超期")


# Kinds whose offset counts back from a deadline; the others count on from an event.
BEFORE_KINDS = frozenset(
    {ReminderType.LETTER_MISSING, ReminderType.TRAINING_AHEAD, ReminderType.CONFIRMATION_DUE}
)


class Channels(models.TextChoices):
    IN_APP = "in_app", _("站内通知")
    IN_APP_EMAIL = "in_app_email", _("站内通知和电子邮件")


class ReminderRule(models.Model):
    """One line of the schedule: a kind of reminder, when and how it goes out."""

    kind = models.CharField(_("提醒类型"), max_length=30, choices=ReminderType.choices)
    offset_days = models.PositiveSmallIntegerField(_("天数"))
    repeat_days = models.PositiveSmallIntegerField(
        _("此后每隔几天重复"), null=True, blank=True, help_text=_("空着则只提醒一次。")
    )
    channels = models.CharField(
        _("发送方式"), max_length=20, choices=Channels.choices, default=Channels.IN_APP_EMAIL
    )
    active = models.BooleanField(_("启用"), default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("提醒设置")
        verbose_name_plural = _("提醒设置")
        ordering = ["kind", "-offset_days", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "offset_days"], name="reminder_rule_once"),
            models.CheckConstraint(
                name="reminder_repeat_positive",
                condition=Q(repeat_days__isnull=True) | Q(repeat_days__gte=1),
            ),
            models.CheckConstraint(name="reminder_offset_range", condition=Q(offset_days__lte=366)),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.offset_days}"

    @property
    def before(self) -> bool:
        return self.kind in BEFORE_KINDS

    @property
    def email(self) -> bool:
        return self.channels == Channels.IN_APP_EMAIL


# The schedule a new installation starts with (issue 17 §3 and §4); the bureau admin changes it.
DEFAULT_RULES = [
    # The overdue-vacancy reminder as it always was: every day from the first overdue day.
    (ReminderType.VACANCY_OVERDUE, 0, 1),
    (ReminderType.FILING_RETURNED, 7, None),
    (ReminderType.FILING_RETURNED, 14, None),
    (ReminderType.LETTER_MISSING, 7, None),
    (ReminderType.LETTER_MISSING, 1, None),
    (ReminderType.TRAINING_AHEAD, 7, None),
    (ReminderType.TRAINING_AHEAD, 1, None),
    (ReminderType.CONFIRMATION_DUE, 30, None),
    (ReminderType.CONFIRMATION_DUE, 7, None),
    (ReminderType.CONFIRMATION_DUE, 1, None),
    # Other posts' overdue vacancies: from the first overdue day, then weekly.
    (ReminderType.POST_VACANCY_OVERDUE, 0, 7),
]


class ReminderLog(models.Model):
    """One reminder sent: its kind, subject (``vacancy:<enterprise>``, ``filing:<id>``,
    ``confirmation:<id>``, ``training:<session>:<enterprise>``), the enterprise it concerns,
    the occurrence it was for (the date its rule fell due), when, how and to how many."""

    kind = models.CharField(_("提醒类型"), max_length=30, choices=ReminderType.choices)
    subject = models.CharField(_("事项"), max_length=100)
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name=_("企业"),
        on_delete=models.CASCADE,
        related_name="reminder_logs",
    )
    occurrence = models.DateField(_("应提醒日期"))
    offset_days = models.PositiveSmallIntegerField(_("天数"))
    anchor = models.DateField(_("期限或起算日"))
    sent_at = models.DateTimeField(_("发送时间"))
    channels = models.CharField(_("发送方式"), max_length=20, choices=Channels.choices)
    recipients = models.PositiveIntegerField(_("接收人数"), default=0)
    title = models.CharField(_("标题"), max_length=200)
    rule = models.ForeignKey(
        ReminderRule,
        verbose_name=_("提醒设置"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="logs",
    )

    class Meta:
        verbose_name = _("提醒记录")
        verbose_name_plural = _("提醒记录")
        ordering = ["-sent_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "subject", "occurrence"], name="reminder_once_per_occurrence"
            )
        ]
        indexes = [
            models.Index(fields=["enterprise", "-sent_at"], name="reminder_log_ent_idx"),
            models.Index(fields=["kind", "subject"], name="reminder_log_subject_idx"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.subject} {self.occurrence}"


__all__ = [
    "BEFORE_KINDS",
    "Channels",
    "DEFAULT_RULES",
    "ReminderLog",
    "ReminderRule",
    "ReminderType",
]
