from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from cqo_registry.clock import StampField


class Population(models.TextChoices):
    """Who a target counts (SPEC §3). A fixed set: each needs its own query. The first three
    are the CQO's (SPEC §3, the target's post is the CQO's); the last two are any post's
    (issue 19), read with the target's ``post``."""

    ABOVE_SCALE = "above_scale", _("存续的规模以上企业")
    SME_REQUIRED = "sme_required", _("存续的需聘任首席质量官的中小微企业")
    FILED_CQOS = "filed_cqos", _("存续企业中已备案在任的首席质量官（人）")
    POST_REQUIRED = "post_required", _("存续的须设该岗位的企业")
    POST_HOLDERS = "post_holders", _("存续企业中已备案在任的该岗位人员（人）")


class Criterion(models.TextChoices):
    FILED_CURRENT = "filed_current", _("有已备案的在任首席质量官")
    TRAINED = "trained", _("已培训合格")
    POST_FILLED = "post_filled", _("该岗位有已备案的在任人员")
    POST_TRAINED = "post_trained", _("达到该岗位的年度培训要求")


# The CQO's populations (SPEC §3) and the populations of any post (issue 19), each with the
# one criterion it is counted by.
CQO_POPULATIONS = (Population.ABOVE_SCALE, Population.SME_REQUIRED, Population.FILED_CQOS)
POST_POPULATIONS = (Population.POST_REQUIRED, Population.POST_HOLDERS)
PERSON_POPULATIONS = (Population.FILED_CQOS, Population.POST_HOLDERS)
CRITERION_OF = {
    Population.ABOVE_SCALE: Criterion.FILED_CURRENT,
    Population.SME_REQUIRED: Criterion.FILED_CURRENT,
    Population.FILED_CQOS: Criterion.TRAINED,
    Population.POST_REQUIRED: Criterion.POST_FILLED,
    Population.POST_HOLDERS: Criterion.POST_TRAINED,
}


class Target(models.Model):
    """A programme target (notice part 二), e.g. T1: 100% of above-scale enterprises with a
    filed CQO by 2021-01-31. Targets are data: bureau admins add next years' targets.

    ``post`` (issue 19): the post the target is about, the CQO's by default. The CQO's
    populations (T1–T3's) belong to the CQO's post alone; a target of any post (the CQO's
    too) counts either the active enterprises that must fill it (``post_required``, counted
    when the post is filled) or the persons holding it (``post_holders``, counted when they
    meet the post's yearly training; see ``reports.statistics``)."""

    code = models.CharField(_("代码"), max_length=20, unique=True)
    name = models.CharField(_("名称"), max_length=200)
    post = models.ForeignKey(
        "appointments.PostType",
        verbose_name=_("岗位"),
        to_field="code",
        default="cqo",
        on_delete=models.PROTECT,
        related_name="targets",
    )
    population = models.CharField(_("统计对象"), max_length=20, choices=Population.choices)
    criterion = models.CharField(_("达标条件"), max_length=20, choices=Criterion.choices)
    deadline = models.DateField(_("完成时限"))
    goal_rate = models.DecimalField(_("目标比例"), max_digits=5, decimal_places=4, default=1)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("工作目标")
        verbose_name_plural = _("工作目标")
        ordering = ["deadline", "code"]
        constraints = [
            models.CheckConstraint(
                name="target_goal_rate_range", condition=Q(goal_rate__gt=0, goal_rate__lte=1)
            ),
            models.CheckConstraint(
                name="target_population_criterion_pair",
                condition=(
                    Q(
                        population__in=["above_scale", "sme_required"],
                        criterion="filed_current",
                        post="cqo",
                    )
                    | Q(population="filed_cqos", criterion="trained", post="cqo")
                    | Q(population="post_required", criterion="post_filled")
                    | Q(population="post_holders", criterion="post_trained")
                ),
            ),
        ]

    def __str__(self):
        return f"{self.code} {self.name}"

    def clean(self):
        """The population's own criterion, and the CQO's populations for the CQO's post only:
        said in words before the database's check says it in a constraint's name."""
        errors = {}
        expected = CRITERION_OF.get(self.population)
        if expected is not None and self.criterion != expected:
            errors["criterion"] = _("该统计对象的达标条件应为“%(criterion)s”。") % {
                "criterion": expected.label
            }
        if self.population in CQO_POPULATIONS and self.post_id not in (None, "cqo"):
            errors["population"] = _(
                "该统计对象只适用于首席质量官岗位；其他岗位请选择“须设该岗位的企业”或“该岗位人员”。"
            )
        if errors:
            raise ValidationError(errors)

    @property
    def is_persons(self) -> bool:
        """Whether the target counts persons (T3-like) rather than enterprises."""
        return self.population in PERSON_POPULATIONS


# --- Snapshots (SPEC §6 "replay any date": frozen figures) -----------------------------------


class SnapshotEditRefused(Exception):
    """Raised when code tries to change or delete frozen snapshot data."""


class SnapshotKind(models.TextChoices):
    DAILY = "daily", _("每日快照")
    DEADLINE = "deadline", _("完成时限快照")
    ON_DEMAND = "on_demand", _("手动重算")


class SnapshotStatus(models.TextChoices):
    PENDING = "pending", _("排队中")
    RUNNING = "running", _("计算中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


class SnapshotScope(models.TextChoices):
    COUNTY = "county", _("全县")
    TOWN = "town", _("镇")
    INDUSTRY = "industry", _("行业门类")
    # A town's figure of one section: ``key`` = "town id:section letter".
    TOWN_INDUSTRY = "town_ind", _("镇内行业门类")


OPEN_STATUSES = (SnapshotStatus.PENDING, SnapshotStatus.RUNNING)


class FrozenQuerySet(models.QuerySet):
    """Bulk writes that would change stored rows are refused (creating rows is allowed)."""

    def update(self, **kwargs):
        raise SnapshotEditRefused(_("快照不可修改。"))

    def delete(self):
        raise SnapshotEditRefused(_("快照不可删除。"))

    delete.queryset_only = True


class SnapshotRunQuerySet(FrozenQuerySet):
    def record_progress(self, **fields) -> int:
        """Update the progress of runs still open (pending/running). The only write allowed
        on a stored run: it never touches a finished run or the run's identity."""
        if not set(fields) <= SnapshotRun.PROGRESS_FIELDS:
            raise SnapshotEditRefused(_("快照不可修改。"))
        return models.QuerySet.update(self.filter(status__in=OPEN_STATUSES), **fields)

    def done(self):
        return self.filter(status=SnapshotStatus.DONE)


class SnapshotRun(models.Model):
    """One stored computation of every target's figures as of ``as_of``. Versions count per
    date across kinds: recomputing a stored date makes a new version and never edits one, so
    the figures reported on a day can be reproduced later. Only the progress fields of a run
    still open change; finished runs and their figures are frozen (model layer here, and a
    trigger on PostgreSQL)."""

    PROGRESS_FIELDS = frozenset({"status", "done", "total", "task_id", "error", "finished_at"})

    as_of = models.DateField(_("统计日期"))
    version = models.PositiveIntegerField(_("版本"))
    kind = models.CharField(_("类型"), max_length=10, choices=SnapshotKind.choices)
    created_at = StampField(_("创建时间"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=SnapshotStatus.choices, default=SnapshotStatus.PENDING
    )
    done = models.PositiveIntegerField(_("已完成目标数"), default=0)
    total = models.PositiveIntegerField(_("目标总数"), default=0)
    task_id = models.CharField(_("任务编号"), max_length=255, blank=True)
    error = models.TextField(_("错误信息"), blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    objects = SnapshotRunQuerySet.as_manager()

    class Meta:
        verbose_name = _("统计快照")
        verbose_name_plural = _("统计快照")
        ordering = ["-as_of", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["as_of", "version"], name="snapshot_run_version"),
            # The daily task is idempotent even when two workers run it at once: one daily
            # run per date (a failed one does not block a retry).
            models.UniqueConstraint(
                fields=["as_of"],
                condition=Q(kind="daily") & ~Q(status="failed"),
                name="snapshot_one_daily_per_date",
            ),
            models.CheckConstraint(
                name="snapshot_run_version_positive", condition=Q(version__gte=1)
            ),
            models.CheckConstraint(name="snapshot_run_progress", condition=Q(done__lte=F("total"))),
        ]
        indexes = [models.Index(fields=["kind", "as_of"], name="snapshot_run_kind_idx")]

    def __str__(self):
        return f"{self.as_of:%Y-%m-%d} v{self.version} ({self.get_kind_display()})"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise SnapshotEditRefused(_("快照不可修改。"))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise SnapshotEditRefused(_("快照不可删除。"))

    @property
    def percent(self) -> int:
        if self.status == SnapshotStatus.DONE:
            return 100
        return round(100 * self.done / self.total) if self.total else 0


class SnapshotFigure(models.Model):
    """One frozen figure of a run: a target's population and counted, county-wide
    (``key`` ''), for a town (``key`` = town id; ``label`` = its name at the time), for an
    industry section (``key`` = the section letter) or for a section within a town (the town
    dashboards' breakdown: ``key`` = "town id:section letter", ``label`` = the town's name at
    the time)."""

    run = models.ForeignKey(
        SnapshotRun, verbose_name=_("快照"), on_delete=models.PROTECT, related_name="figures"
    )
    target = models.ForeignKey(
        Target, verbose_name=_("工作目标"), on_delete=models.PROTECT, related_name="+"
    )
    scope = models.CharField(_("范围"), max_length=10, choices=SnapshotScope.choices)
    key = models.CharField(_("键"), max_length=20, blank=True)
    label = models.CharField(_("名称"), max_length=50, blank=True)
    population = models.PositiveIntegerField(_("统计对象数"))
    counted = models.PositiveIntegerField(_("达标数"))

    objects = FrozenQuerySet.as_manager()

    class Meta:
        verbose_name = _("快照数据")
        verbose_name_plural = _("快照数据")
        constraints = [
            models.UniqueConstraint(
                fields=["run", "target", "scope", "key"], name="snapshot_figure_once"
            ),
            models.CheckConstraint(
                name="snapshot_figure_counted_le_population",
                condition=Q(counted__lte=F("population")),
            ),
            models.CheckConstraint(
                name="snapshot_figure_county_key",
                condition=~Q(scope="county") | Q(key=""),
            ),
        ]
        indexes = [
            # trend(): one target's figure of one scope across all stored dates.
            models.Index(fields=["target", "scope", "key"], name="snapshot_figure_trend_idx"),
        ]

    def __str__(self):
        return f"{self.run} {self.target.code} {self.scope} {self.key}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise SnapshotEditRefused(_("快照不可修改。"))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise SnapshotEditRefused(_("快照不可删除。"))


class SnapshotIndicator(models.Model):
    """The dashboard's other indicators of a run as of its date, frozen with its figures:
    county-wide (``key`` '') or for a town (``key`` = town id; ``label`` = its name then).
    Principal-as-CQO share (filed current appointments held by the enterprise's principal),
    late filings (in the date's year, and in all), and vacancies with the overdue ones —
    ``vacancy_limit_days`` is the limit they were counted with."""

    run = models.ForeignKey(
        SnapshotRun, verbose_name=_("快照"), on_delete=models.PROTECT, related_name="indicators"
    )
    scope = models.CharField(
        _("范围"),
        max_length=10,
        choices=[
            (SnapshotScope.COUNTY, SnapshotScope.COUNTY.label),
            (SnapshotScope.TOWN, SnapshotScope.TOWN.label),
        ],
    )
    key = models.CharField(_("键"), max_length=20, blank=True)
    label = models.CharField(_("名称"), max_length=50, blank=True)
    principal_population = models.PositiveIntegerField(_("在任首席质量官数"))
    principal_counted = models.PositiveIntegerField(_("主要负责人兼任数"))
    late_year_population = models.PositiveIntegerField(_("当年报送备案数"))
    late_year_counted = models.PositiveIntegerField(_("当年逾期报送数"))
    late_total_population = models.PositiveIntegerField(_("累计报送备案数"))
    late_total_counted = models.PositiveIntegerField(_("累计逾期报送数"))
    vacancies = models.PositiveIntegerField(_("空缺企业数"))
    overdue_vacancies = models.PositiveIntegerField(_("逾期空缺企业数"))
    vacancy_limit_days = models.PositiveIntegerField(_("空缺时限（天）"))

    objects = FrozenQuerySet.as_manager()

    class Meta:
        verbose_name = _("快照指标")
        verbose_name_plural = _("快照指标")
        constraints = [
            models.UniqueConstraint(fields=["run", "scope", "key"], name="snapshot_indicator_once"),
            models.CheckConstraint(
                name="snapshot_indicator_county_key", condition=~Q(scope="county") | Q(key="")
            ),
            models.CheckConstraint(
                name="snapshot_indicator_counted_le_population",
                condition=Q(principal_counted__lte=F("principal_population"))
                & Q(late_year_counted__lte=F("late_year_population"))
                & Q(late_total_counted__lte=F("late_total_population"))
                & Q(overdue_vacancies__lte=F("vacancies")),
            ),
        ]

    def __str__(self):
        return f"{self.run} {self.scope} {self.key}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise SnapshotEditRefused(_("快照不可修改。"))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise SnapshotEditRefused(_("快照不可删除。"))
