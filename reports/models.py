from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class Population(models.TextChoices):
    """Who a target counts (SPEC §3). A fixed set: each needs its own query."""

    ABOVE_SCALE = "above_scale", _("存续的规模以上企业")
    SME_REQUIRED = "sme_required", _("存续的需聘任首席质量官的中小微企业")
    FILED_CQOS = "filed_cqos", _("存续企业中已备案在任的首席质量官（人）")


class Criterion(models.TextChoices):
    FILED_CURRENT = "filed_current", _("有已备案的在任首席质量官")
    TRAINED = "trained", _("已培训合格")


class Target(models.Model):
    """A programme target (notice part 二), e.g. T1: 100% of above-scale enterprises with a
    filed CQO by 2021-01-31. Targets are data: bureau admins add next years' targets."""

    code = models.CharField(_("代码"), max_length=20, unique=True)
    name = models.CharField(_("名称"), max_length=200)
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
                    Q(population__in=["above_scale", "sme_required"], criterion="filed_current")
                    | Q(population="filed_cqos", criterion="trained")
                ),
            ),
        ]

    def __str__(self):
        return f"{self.code} {self.name}"
