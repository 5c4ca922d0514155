"""The risk list (SPEC §6 "risk feed"; issue 17 §2).

An active enterprise with a failed spot check (监督抽查不合格) or an administrative penalty in
the last ``CQO_RISK_WINDOW_DAYS`` days (default 365: the last twelve months) appears on the
list, with every reason the bureau weighs joined:

* failed spot checks and penalties in the window (each counts),
* major quality incidents (重大质量安全事故) in the window (each counts),
* a vacancy — it requires a CQO and has no filed current one (SPEC §2; the dashboards' own
  definition, ``appointments.registry.has_filed_cqo``),
* its last duty evaluation graded 不合格,
* overdue training — its current CQO has been in post more than ``CQO_TRAINING_DUE_DAYS``
  days (default 365) without a passed training (the statistics' definition of trained).

Each reason scores its weight (``RiskWeight``, set by the bureau admin; defaults 3, 3, 3, 2,
2, 1) times its count; the list is ranked by score, ties by the most recent spot check or
penalty. Reviewers and bureau admins see the county, a town officer their own town.

The list *suggests* an interview (约谈) of the enterprise's current CQO while no sanction has
been recorded since its latest spot check or penalty; a reviewer turns the suggestion into a
sanction in one step (:func:`risk_interview_record`, through ``sanctions.sanction_record``).
Nothing is sanctioned automatically.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import (
    BooleanField,
    Case,
    Count,
    DateField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest
from django.db.models.lookups import IsNull
from django.utils.translation import gettext as _

from cqo_registry import clock
from cqo_registry.accounts import access
from enterprises.models import Enterprise
from training.models import Evaluation, EvaluationStatus, Grade
from training.services import trained_person_ids

from . import sanctions, services
from .models import (
    RISK_DEFAULT_WEIGHTS,
    Appointment,
    Penalty,
    QualityIncident,
    RiskFactor,
    RiskWeight,
    Sanction,
    SanctionKind,
    Severity,
    SpotCheck,
)
from .registry import active_on, filed_current_on

# Before any real date: the "latest event" of an enterprise that has none of a kind.
NEVER = date(1900, 1, 1)


# --- Weights ----------------------------------------------------------------------------------


def risk_weights() -> dict[str, int]:
    """Each factor's weight (``RiskFactor`` value → int): the bureau admin's, else the
    default of issue 17 §2."""
    weights = {str(factor): weight for factor, weight in RISK_DEFAULT_WEIGHTS.items()}
    weights.update(RiskWeight.objects.values_list("factor", "weight"))
    return weights


@transaction.atomic
def risk_weights_set(*, weights: dict[str, int], actor) -> None:
    """Store the weights (every ``RiskFactor``, each 0–100), with history of who changed
    which. Raises ``ValidationError`` for a factor left out or a weight out of range."""
    missing = set(RiskFactor.values) - set(weights)
    if missing:
        raise ValidationError(_("请填写每一项权重。"), code="missing")
    for factor in RiskFactor.values:
        row = RiskWeight.objects.select_for_update(of=("self",)).filter(factor=factor).first()
        row = row or RiskWeight(factor=factor)
        if row.pk and row.weight == weights[factor]:
            continue
        row.weight = weights[factor]
        row._history_user = actor
        row.full_clean()
        row.save()


# --- The list ---------------------------------------------------------------------------------


def _count(queryset) -> Coalesce:
    counted = queryset.order_by().values("enterprise").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def _latest(queryset, field: str, value: str | None = None) -> Subquery:
    ordered = queryset.order_by(f"-{field}", "-pk").values(value or field)[:1]
    return Subquery(ordered)


def risk_window(day: date) -> tuple[date, date]:
    """The window of events that count at ``day``: after its first day, up to ``day``."""
    return day - timedelta(days=settings.CQO_RISK_WINDOW_DAYS), day


def risk_list(user, *, day: date | None = None) -> QuerySet[Enterprise]:
    """Enterprises on the risk list at ``day`` (default today) that ``user`` may see, ranked
    (highest ``score`` first, ties by the latest spot check or penalty), each annotated with
    its reasons: ``failed_checks``, ``last_failed_on``/``last_failed_product``,
    ``penalties_count``, ``last_penalty_on``/``last_penalty_number``, ``major_incidents``,
    ``vacant``, ``last_grade``/``last_grade_year``, ``overdue_training``, the current CQO
    (``current_appointment_id``, ``cqo_name``), ``last_sanction_on``, ``last_event_on`` and
    ``score``. One query for a page, whatever the data (correlated subqueries)."""
    day = day or clock.localdate()
    after, until = risk_window(day)
    weights = risk_weights()
    failed = SpotCheck.objects.filter(
        enterprise=OuterRef("pk"), passed=False, checked_on__gt=after, checked_on__lte=until
    )
    penalties = Penalty.objects.filter(
        enterprise=OuterRef("pk"), decided_on__gt=after, decided_on__lte=until
    )
    incidents = QualityIncident.objects.filter(
        enterprise=OuterRef("pk"),
        severity=Severity.MAJOR,
        occurred_on__gt=after,
        occurred_on__lte=until,
    )
    current = Appointment.objects.filter(filed_current_on(day), enterprise=OuterRef("pk"))
    # NOT EXISTS, never NOT IN (subquery): PostgreSQL hashes a NOT IN list only while it fits
    # in work_mem (every passed attendance of the county) and past it rescans it per row.
    trained = trained_person_ids(day).filter(person=OuterRef("person_id"))
    untrained = current.filter(
        appointed_on__lt=day - timedelta(days=settings.CQO_TRAINING_DUE_DAYS)
    ).filter(~Exists(trained))
    evaluations = Evaluation.objects.filter(
        appointment__enterprise=OuterRef("pk"), status=EvaluationStatus.SCORED
    )
    sanctions_of = Sanction.objects.filter(appointment__enterprise=OuterRef("pk"))
    # The enterprises with a failed spot check or a penalty in the window, as one semi-join
    # (``pk IN (… UNION ALL …)``): the database starts from the window's few events. The
    # same condition as ``EXISTS(failed) OR EXISTS(penalties)``, which it cannot turn into a
    # join and so tried on every active enterprise of the county, for the page's count too.
    flagged = (
        SpotCheck.objects.filter(passed=False, checked_on__gt=after, checked_on__lte=until)
        .order_by()
        .values("enterprise_id")
        .union(
            Penalty.objects.filter(decided_on__gt=after, decided_on__lte=until)
            .order_by()
            .values("enterprise_id"),
            all=True,
        )
    )
    queryset = access.scope(
        Enterprise.objects.filter(active_on(day), pk__in=flagged),
        user,
        town_field="town",
        enterprise_field=None,
    )
    queryset = queryset.select_related("town").annotate(
        failed_checks=_count(failed),
        last_failed_on=_latest(failed, "checked_on"),
        last_failed_product=_latest(failed, "checked_on", "product"),
        penalties_count=_count(penalties),
        last_penalty_on=_latest(penalties, "decided_on"),
        last_penalty_number=_latest(penalties, "decided_on", "decision_number"),
        major_incidents=_count(incidents),
        current_appointment_id=_latest(current, "appointed_on", "pk"),
        last_grade=_latest(evaluations, "year", "grade"),
        last_grade_year=_latest(evaluations, "year"),
        # Both flags are per-row probes of the enterprise's own appointments (scalar
        # subqueries): as EXISTS, PostgreSQL may hash the county's every filed appointment
        # or every untrained one, once per query, to answer for the list's few rows.
        overdue_training=_present(untrained),
        cqo_name=_latest(current, "appointed_on", "person__name"),
        last_sanction_on=_latest(sanctions_of, "decided_on"),
    )
    queryset = queryset.annotate(
        # has_filed_cqo(day), the dashboards' vacancy: ``current`` is its set of appointments.
        vacant=Case(
            When(Q(requires_cqo=True, current_appointment_id__isnull=True), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        ),
        last_event_on=Greatest(
            Coalesce("last_failed_on", Value(NEVER)),
            Coalesce("last_penalty_on", Value(NEVER)),
            output_field=DateField(),
        ),
        score=(
            F("failed_checks") * weights[RiskFactor.FAILED_SPOT_CHECK]
            + F("penalties_count") * weights[RiskFactor.PENALTY]
            + F("major_incidents") * weights[RiskFactor.MAJOR_INCIDENT]
            + _points(Q(vacant=True), weights[RiskFactor.VACANCY])
            + _points(Q(last_grade=Grade.UNQUALIFIED), weights[RiskFactor.LAST_GRADE_UNQUALIFIED])
            + _points(Q(overdue_training=True), weights[RiskFactor.OVERDUE_TRAINING])
        ),
    )
    return queryset.order_by("-score", "-last_event_on", "name", "pk")


def _present(queryset) -> Case:
    """Whether the correlated ``queryset`` has a row, as a scalar subquery (one index probe
    per row of the list) rather than an EXISTS."""
    found = Subquery(queryset.order_by().values("pk")[:1])
    return Case(
        When(IsNull(found, True), then=Value(False)),
        default=Value(True),
        output_field=BooleanField(),
    )


def _points(condition: Q, weight: int) -> Case:
    return Case(When(condition, then=Value(weight)), default=Value(0), output_field=IntegerField())


@dataclass(frozen=True)
class Reason:
    text: str
    points: int


def reasons(row: Enterprise, weights: dict[str, int]) -> list[Reason]:
    """The reasons of one row of :func:`risk_list`, each with the points it scores, in the
    order the issue names them."""
    found = []
    window = settings.CQO_RISK_WINDOW_DAYS
    if row.failed_checks:
        found.append(
            Reason(
                _("近 %(days)s 天监督抽查不合格 %(n)s 次（最近：%(day)s，%(product)s）")
                % {
                    "days": window,
                    "n": row.failed_checks,
                    "day": row.last_failed_on,
                    "product": row.last_failed_product,
                },
                row.failed_checks * weights[RiskFactor.FAILED_SPOT_CHECK],
            )
        )
    if row.penalties_count:
        found.append(
            Reason(
                _("近 %(days)s 天行政处罚 %(n)s 件（最近：%(day)s，%(number)s）")
                % {
                    "days": window,
                    "n": row.penalties_count,
                    "day": row.last_penalty_on,
                    "number": row.last_penalty_number,
                },
                row.penalties_count * weights[RiskFactor.PENALTY],
            )
        )
    if row.major_incidents:
        found.append(
            Reason(
                _("近 %(days)s 天发生重大质量安全事故 %(n)s 起")
                % {"days": window, "n": row.major_incidents},
                row.major_incidents * weights[RiskFactor.MAJOR_INCIDENT],
            )
        )
    if row.overdue_training:
        found.append(
            Reason(
                _("首席质量官%(name)s任职超过 %(days)s 天仍未培训合格")
                % {"name": row.cqo_name or "", "days": settings.CQO_TRAINING_DUE_DAYS},
                weights[RiskFactor.OVERDUE_TRAINING],
            )
        )
    if row.vacant:
        found.append(Reason(_("首席质量官空缺"), weights[RiskFactor.VACANCY]))
    if row.last_grade == Grade.UNQUALIFIED:
        found.append(
            Reason(
                _("最近一次履职评价（%(year)s 年度）不合格") % {"year": row.last_grade_year},
                weights[RiskFactor.LAST_GRADE_UNQUALIFIED],
            )
        )
    elif row.last_grade:
        found.append(
            Reason(
                _("最近一次履职评价（%(year)s 年度）：%(grade)s")
                % {"year": row.last_grade_year, "grade": Grade(row.last_grade).label},
                0,
            )
        )
    return found


def suggests_interview(row: Enterprise) -> bool:
    """An interview of the current CQO is suggested while no sanction has been decided on or
    after the latest spot check or penalty (and there is a current CQO to interview)."""
    if row.current_appointment_id is None:
        return False
    return row.last_sanction_on is None or row.last_sanction_on < row.last_event_on


def interview_reason(row: Enterprise, weights: dict[str, int]) -> str:
    """The suggested sanction's reason: the risk list's reasons, joined."""
    scored = [reason.text for reason in reasons(row, weights) if reason.points]
    return _("风险提示：%(reasons)s。约谈首席质量官。") % {"reasons": _("；").join(scored)}


# --- The one step from suggestion to sanction --------------------------------------------------


def risk_interview_record(*, enterprise: Enterprise, reason: str, decided_on: date, actor):
    """Record the suggested interview (约谈) of ``enterprise``'s current CQO as a sanction —
    ``sanctions.sanction_record``, which tells the enterprise. Raises ``ValidationError``
    when the enterprise has no filed current CQO, or the reason is empty."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("请填写约谈事由。"), code="reason_required")
    appointment = services.current_appointment(enterprise)
    if appointment is None:
        raise ValidationError(
            _("该企业目前没有已备案的在任首席质量官，无法约谈；请督促企业聘任并备案。"),
            code="no_current",
        )
    return sanctions.sanction_record(
        appointment=appointment,
        kind=SanctionKind.INTERVIEW,
        reason=reason,
        decided_on=decided_on,
        actor=actor,
    )
