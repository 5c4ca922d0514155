"""Reads of exam results across sittings (issue 20): the results overview per town and per
post, its filters, its summaries, and the sanction path a failed spot check suggests.

Who sees which rows is the access helper's (``accounts.access.scope``): the bureau and
leaders the county, a town officer the candidates of their own town's enterprises (SPEC §1:
"statistics of their own town"); nobody else anything. A candidate whose enterprise is not
known (removed since) has no town: only county-wide readers see them.

A candidate is **finished** once their paper is submitted, or once their sitting is closed
(without a submitted paper: absent, 未参加). Figures count finished candidates only, so a
sitting still running or planned does not lower a pass rate.
"""

from dataclasses import dataclass
from decimal import Decimal

import django_filters
from django.db.models import (
    Avg,
    Count,
    Exists,
    F,
    FloatField,
    OuterRef,
    Q,
    QuerySet,
)
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from appointments.models import CQO_POST, Appointment, PostType, Sanction, SanctionKind
from cqo_registry import params
from cqo_registry.accounts import access
from enterprises.selectors import town_list

from .models import Candidate, Paper, SittingStatus

SUBMITTED = Q(paper__submitted_at__isnull=False)
FINISHED = SUBMITTED | Q(sitting__status=SittingStatus.CLOSED)


class Result:
    """The result filter's values."""

    PASSED = "passed"
    FAILED = "failed"
    ABSENT = "absent"
    CHOICES = [
        (PASSED, gettext_lazy("合格")),
        (FAILED, gettext_lazy("不合格")),
        (ABSENT, gettext_lazy("未参加")),
    ]


def finished_candidates(user) -> QuerySet[Candidate]:
    """Finished candidates of every sitting that ``user`` may see (see the module's
    docstring), newest sitting first, with person, enterprise, town, sitting, post and paper
    loaded, and two annotations the spot-check suggestion reads (:func:`suggests_sanction`):
    ``sanctioned_since`` (a sanction of the enterprise's CQO decided on or after the sitting's
    day) and ``enterprise_has_cqo`` (the enterprise has a filed current CQO to sanction)."""
    since = Sanction.objects.filter(
        appointment__enterprise=OuterRef("enterprise"),
        decided_on__gte=OuterRef("sitting__held_on"),
    )
    cqo = Appointment.objects.filter(
        enterprise=OuterRef("enterprise"),
        post=CQO_POST,
        filed_on__isnull=False,
        ended_on__isnull=True,
    )
    return access.scope(
        Candidate.objects.filter(FINISHED)
        .select_related("person", "enterprise__town", "sitting__post", "paper")
        .annotate(sanctioned_since=Exists(since), enterprise_has_cqo=Exists(cqo))
        .order_by("-sitting__held_on", "-sitting_id", "enterprise__town__name", "pk"),
        user,
        town_field="enterprise__town",
        enterprise_field=None,
    )


class IsoDateFilter(django_filters.DateFilter):
    """A date of a GET form: ISO only, within the years the registry knows."""

    field_class = params.DateField


class ResultFilter(django_filters.FilterSet):
    """The overview's filters: town (the candidate's enterprise's; a town officer's choice
    is their own town only), post (the sitting's), sitting date range, result (passed,
    failed, absent) and kind (spot checks or the others). Invalid values are the filter
    form's errors (the page then shows none)."""

    town = django_filters.ModelChoiceFilter(
        label=gettext_lazy("所属镇"),
        field_name="enterprise__town",
        queryset=None,
        empty_label=gettext_lazy("全部镇（街道）"),
    )
    post = django_filters.ModelChoiceFilter(
        label=gettext_lazy("岗位"),
        field_name="sitting__post",
        queryset=PostType.objects.order_by("sort_order", "pk"),
        to_field_name="code",
        empty_label=gettext_lazy("全部岗位"),
    )
    held_from = IsoDateFilter(
        label=gettext_lazy("考试日期自"), field_name="sitting__held_on", lookup_expr="gte"
    )
    held_to = IsoDateFilter(
        label=gettext_lazy("至"), field_name="sitting__held_on", lookup_expr="lte"
    )
    result = django_filters.ChoiceFilter(
        label=gettext_lazy("结果"),
        choices=Result.CHOICES,
        method="filter_result",
        empty_label=gettext_lazy("全部结果"),
    )
    kind = django_filters.ChoiceFilter(
        label=gettext_lazy("考核类型"),
        choices=[
            ("spot_check", gettext_lazy("监督抽查考核")),
            ("regular", gettext_lazy("其他考核")),
        ],
        method="filter_kind",
        empty_label=gettext_lazy("全部类型"),
    )

    class Meta:
        model = Candidate
        fields = ["town", "post", "held_from", "held_to", "result", "kind"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["town"].queryset = town_list(user).order_by("code", "name")

    def filter_kind(self, queryset, name, value):
        if value in ("spot_check", "regular"):
            return queryset.filter(sitting__is_spot_check=value == "spot_check")
        return queryset

    def filter_result(self, queryset, name, value):
        if value == Result.PASSED:
            return queryset.filter(paper__passed=True)
        if value == Result.FAILED:
            return queryset.filter(paper__passed=False)
        if value == Result.ABSENT:
            return queryset.exclude(SUBMITTED)
        return queryset


def filtered_results(user, data) -> tuple[ResultFilter, QuerySet[Candidate]]:
    """The overview's filter bound to ``data`` (a page's query) and the finished candidates
    it selects for ``user`` (none while the filter form is invalid)."""
    filterset = ResultFilter(data, queryset=finished_candidates(user), user=user)
    rows = filterset.qs if filterset.is_valid() else filterset.queryset.none()
    return filterset, rows


@dataclass
class SummaryRow:
    """One line of a summary: ``candidates`` finished, ``sat`` (paper submitted),
    ``passed``; ``pass_rate`` = passed / sat (0–1, ``None`` when nobody sat); ``mean_score``
    the mean of the submitted papers' scores and ``mean_percent`` the mean of score / total
    marks × 100 (papers of different posts may have different totals), both ``None`` when
    nobody sat."""

    key: str
    label: str
    candidates: int
    sat: int
    passed: int
    mean_score: Decimal | None
    mean_percent: float | None

    @property
    def pass_rate(self) -> float | None:
        return self.passed / self.sat if self.sat else None

    @property
    def pass_percent(self) -> float | None:
        return round(self.passed * 100 / self.sat, 1) if self.sat else None


def _summary(rows: QuerySet[Candidate], key: str, label: str, unknown: str) -> list[SummaryRow]:
    percent = Cast("paper__score", FloatField()) * 100.0 / Cast("paper__total_marks", FloatField())
    grouped = (
        rows.order_by()
        .values(key, label)
        .annotate(
            candidates=Count("pk"),
            sat=Count("pk", filter=SUBMITTED),
            passed_count=Count("pk", filter=Q(paper__passed=True)),
            mean_score=Avg("paper__score", filter=SUBMITTED),
            mean_percent=Avg(percent, filter=SUBMITTED),
        )
        .order_by(F(key).asc(nulls_last=True))
    )
    return [
        SummaryRow(
            key=str(row[key] or ""),
            label=row[label] or unknown,
            candidates=row["candidates"],
            sat=row["sat"],
            passed=row["passed_count"],
            mean_score=(
                Decimal(row["mean_score"]).quantize(Decimal("0.1"))
                if row["mean_score"] is not None
                else None
            ),
            mean_percent=row["mean_percent"],
        )
        for row in grouped
    ]


def summary_by_town(rows: QuerySet[Candidate]) -> list[SummaryRow]:
    """The figures of ``rows`` per town of the candidate's enterprise, by town code; one
    query. Candidates with no enterprise are one line "未知"."""
    return _summary(rows, "enterprise__town__code", "enterprise__town__name", _("未知"))


def summary_by_post(rows: QuerySet[Candidate]) -> list[SummaryRow]:
    """The figures of ``rows`` per post of the sitting; one query."""
    return _summary(rows, "sitting__post__sort_order", "sitting__post__name", _("未知"))


def summary_total(rows: list[SummaryRow]) -> SummaryRow:
    """The sum of summary lines (means weighted by the candidates who sat)."""
    sat = sum(r.sat for r in rows)
    scored = [r for r in rows if r.sat]
    return SummaryRow(
        key="",
        label=_("合计"),
        candidates=sum(r.candidates for r in rows),
        sat=sat,
        passed=sum(r.passed for r in rows),
        mean_score=(
            (sum(r.mean_score * r.sat for r in scored) / sat).quantize(Decimal("0.1"))
            if sat
            else None
        ),
        mean_percent=sum(r.mean_percent * r.sat for r in scored) / sat if sat else None,
    )


# --- A failed spot check suggests the sanction path -----------------------------------------


def suggests_sanction(candidate: Candidate) -> bool:
    """A candidate who failed a spot-check sitting (``Sitting.is_spot_check``) suggests the
    sanction path (约谈/警示/退出, notice §6.2) for their enterprise's CQO — like a major
    incident does (``appointments.sanctions.suggests_sanction``) — until a sanction of that
    enterprise's CQO is decided on or after the sitting's day, and while the enterprise has a
    filed current CQO to sanction. Needs the annotations of :func:`finished_candidates`.
    Nothing is sanctioned automatically: a reviewer acts on the suggestion."""
    paper = getattr(candidate, "paper", None)
    return bool(
        candidate.sitting.is_spot_check
        and candidate.enterprise_id is not None
        and paper is not None
        and paper.passed is False
        and candidate.enterprise_has_cqo
        and not candidate.sanctioned_since
    )


def spot_check_failures(user) -> QuerySet[Candidate]:
    """The finished candidates of ``user``'s scope who failed a spot check (suggestion or
    not: :func:`suggests_sanction` decides)."""
    return finished_candidates(user).filter(sitting__is_spot_check=True, paper__passed=False)


def sanction_prefill(user, paper_id: int):
    """What the sanction form starts from for the failed spot-check paper ``paper_id``:
    ``(enterprise, initial)`` — an interview (约谈) of the enterprise's CQO (the candidate
    when they hold the enterprise's filed CQO appointment, else its current CQO), decided
    today, the reason naming the person, the post, the sitting and the score. ``None`` when
    ``user`` may not see such a paper or it is not a failed spot check of a known enterprise
    (the form's view answers 404). Registered with ``appointments.sanctions.SANCTION_PREFILLS``
    as ``exam_paper`` by :class:`exams.apps.ExamsConfig`."""
    candidate = (
        spot_check_failures(user)
        .filter(paper__pk=paper_id, enterprise__isnull=False)
        .select_related("enterprise__town")
        .first()
    )
    if candidate is None:
        return None
    paper: Paper = candidate.paper
    sitting = candidate.sitting
    initial = {
        "kind": SanctionKind.INTERVIEW,
        "decided_on": timezone.localdate(),
        "reason": _(
            "%(day)s 监督抽查考核（%(title)s，%(post)s）：%(name)s 得分 %(score)s / %(total)s，"
            "合格分数 %(pass_mark)s，考核不合格。"
        )
        % {
            "day": sitting.held_on.isoformat(),
            "title": sitting.title,
            "post": sitting.post,
            "name": candidate.person.name,
            "score": paper.score,
            "total": paper.total_marks,
            "pass_mark": paper.pass_mark,
        },
    }
    own = (
        Appointment.objects.filter(
            enterprise=candidate.enterprise_id,
            person=candidate.person_id,
            post=CQO_POST,
            filed_on__isnull=False,
        )
        .order_by("ended_on", "-appointed_on")
        .first()
    )
    if own is not None:
        initial["appointment"] = own.pk
    return candidate.enterprise, initial
