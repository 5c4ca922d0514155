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
from functools import cached_property, lru_cache

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import (
    BooleanField,
    Case,
    Count,
    DateField,
    Exists,
    ExpressionWrapper,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest
from django.db.models.lookups import Exact
from django.db.models.query import ModelIterable
from django.utils.translation import gettext as _

from cqo_registry import clock
from cqo_registry.accounts import access
from enterprises.models import Enterprise, EnterpriseQuerySet
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
#
# Two steps (issue 15): ``risk_candidates`` ranks every enterprise on the list with only the
# expressions its order needs (one correlated subquery per factor), and ``risk_rows`` fetches
# the reasons — counts, latest events, the current CQO, the last grade, the last sanction — for
# the few rows a page shows, in four plain queries. ``risk_list`` is the two together: a
# queryset whose fetched rows come prepared, whatever slice of it is fetched.


def _count(queryset) -> Coalesce:
    counted = queryset.order_by().values("enterprise").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def _latest(queryset, field: str, value: str | None = None) -> Subquery:
    ordered = queryset.order_by(f"-{field}", "-pk").values(value or field)[:1]
    return Subquery(ordered)


def _points(condition, weight: int) -> Case:
    return Case(When(condition, then=Value(weight)), default=Value(0), output_field=IntegerField())


def risk_window(day: date) -> tuple[date, date]:
    """The window of events that count at ``day``: after its first day, up to ``day``."""
    return day - timedelta(days=settings.CQO_RISK_WINDOW_DAYS), day


@dataclass
class _Rule:
    """The events and appointments that count at one day, of every enterprise (callers
    narrow them to one enterprise or to a page's enterprises: clones, so the querysets,
    built once per process and day, never hold rows)."""

    day: date
    failed: QuerySet
    penalties: QuerySet
    incidents: QuerySet
    current: QuerySet

    @classmethod
    def at(cls, day: date) -> "_Rule":
        return cls._at(day, settings.CQO_RISK_WINDOW_DAYS, settings.CQO_TRAINING_DUE_DAYS)

    @classmethod
    @lru_cache(maxsize=8)
    def _at(cls, day: date, window_days: int, due_days: int) -> "_Rule":
        # Built once per process for each day (and settings): the keys say what it read.
        after, until = risk_window(day)
        return cls(
            day=day,
            failed=SpotCheck.objects.filter(
                passed=False, checked_on__gt=after, checked_on__lte=until
            ),
            penalties=Penalty.objects.filter(decided_on__gt=after, decided_on__lte=until),
            incidents=QualityIncident.objects.filter(
                severity=Severity.MAJOR, occurred_on__gt=after, occurred_on__lte=until
            ),
            # has_filed_cqo(day), the dashboards' vacancy: this is its set of appointments.
            current=Appointment.objects.filter(filed_current_on(day)),
        )

    @cached_property
    def current_overdue(self) -> QuerySet:
        """``current``, each appointment with ``overdue`` (bool): overdue for training."""
        return self.current.annotate(overdue=self.overdue(True))

    def overdue(self, then: bool | int) -> Case:
        """``then`` for a current appointment overdue for training — in post more than
        ``CQO_TRAINING_DUE_DAYS`` days without a passed training (the statistics'
        definition of trained) —, else False (or 0). NOT EXISTS, never NOT IN (subquery):
        PostgreSQL hashes a NOT IN list only while it fits in work_mem (every passed
        attendance of the county) and past it rescans it per row."""
        trained = trained_person_ids(self.day).filter(person=OuterRef("person_id"))
        due = self.day - timedelta(days=settings.CQO_TRAINING_DUE_DAYS)
        flag = isinstance(then, bool)
        return Case(
            When(~Exists(trained), appointed_on__lt=due, then=Value(then)),
            default=Value(False if flag else 0),
            output_field=BooleanField() if flag else IntegerField(),
        )


def risk_candidates(
    user, *, day: date | None = None, weights: dict[str, int] | None = None
) -> QuerySet[Enterprise]:
    """The enterprises on the risk list at ``day`` (default today) that ``user`` may see, in
    the list's order, each with only what the order needs: ``score`` (int) and
    ``last_event_on`` (date; 1900-01-01 for none), and its town (``select_related``).

    The rule of SPEC §6 "risk feed" and issue 17 §2 (the module's docstring). On the list:
    active at ``day``, with a failed spot check or a penalty in the window.
    Order: ``score`` descending, ties by ``last_event_on`` descending, then name and pk.
    ``score`` is the sum, over the factors, of weight × count (failed spot checks,
    penalties, major incidents in the window) or weight × flag (vacancy, last duty
    evaluation 不合格, overdue training) with ``weights`` (:func:`risk_weights` unless
    given). The reasons behind a score are :func:`risk_rows`' work."""
    day = day or clock.localdate()
    weights = weights or risk_weights()
    ranked = _ranked(
        day,
        tuple(sorted(weights.items())),
        settings.CQO_RISK_WINDOW_DAYS,
        settings.CQO_TRAINING_DUE_DAYS,
    )
    # A fresh clone of the built queryset: the shared one is never evaluated or changed.
    return access.scope(ranked.all(), user, town_field="town", enterprise_field=None)


@lru_cache(maxsize=8)
def _ranked(
    day: date, weights: tuple[tuple[str, int], ...], window_days: int, due_days: int
) -> QuerySet[Enterprise]:
    """The county's ranked list at ``day`` with ``weights`` (factor, weight pairs), built once
    per process for each day, weights and window (``window_days``, ``due_days``: the settings
    it reads, keys of the memo only): the queryset holds no rows, only the statement
    (building its expressions took a third of the page's CPU, issue 15), and callers
    clone it (``.all()``, ``.filter()``) as Django's class-level view querysets are.

    One correlated subquery per factor, vacancy and overdue training sharing one on the
    current appointments; a factor weighted 0 is left out."""
    weights = dict(weights)
    rule = _Rule.at(day)
    # The enterprises with a failed spot check or a penalty in the window, as one semi-join
    # (``pk IN (… UNION ALL …)``): the database starts from the window's few events. The
    # same condition as ``EXISTS(failed) OR EXISTS(penalties)``, which it cannot turn into a
    # join and so tried on every active enterprise of the county, for the page's count too.
    flagged = (
        rule.failed.order_by()
        .values("enterprise_id")
        .union(rule.penalties.order_by().values("enterprise_id"), all=True)
    )
    queryset = Enterprise.objects.filter(active_on(day), pk__in=flagged)
    mine = OuterRef("pk")
    terms = [
        _count(events.filter(enterprise=mine)) * weights[factor]
        for factor, events in (
            (RiskFactor.FAILED_SPOT_CHECK, rule.failed),
            (RiskFactor.PENALTY, rule.penalties),
            (RiskFactor.MAJOR_INCIDENT, rule.incidents),
        )
        if weights[factor]
    ]
    if weights[RiskFactor.VACANCY] or weights[RiskFactor.OVERDUE_TRAINING]:
        # The current appointments' highest overdue-training points, NULL when there is no
        # current appointment — and then the vacancy's points, if a CQO is required.
        overdue_points = (
            rule.current.filter(enterprise=mine)
            .annotate(points=rule.overdue(weights[RiskFactor.OVERDUE_TRAINING]))
            .order_by("-points")
            .values("points")[:1]
        )
        terms.append(
            Coalesce(
                Subquery(overdue_points, output_field=IntegerField()),
                _points(Q(requires_cqo=True), weights[RiskFactor.VACANCY]),
            )
        )
    if weights[RiskFactor.LAST_GRADE_UNQUALIFIED]:
        evaluations = Evaluation.objects.filter(
            appointment__enterprise=mine, status=EvaluationStatus.SCORED
        )
        terms.append(
            _points(
                Exact(_latest(evaluations, "year", "grade"), Grade.UNQUALIFIED),
                weights[RiskFactor.LAST_GRADE_UNQUALIFIED],
            )
        )
    score = terms[0] if terms else Value(0)
    for term in terms[1:]:
        score = score + term
    queryset = queryset.select_related("town").annotate(
        score=ExpressionWrapper(score, output_field=IntegerField()),
        last_event_on=Greatest(
            Coalesce(_latest(rule.failed.filter(enterprise=mine), "checked_on"), Value(NEVER)),
            Coalesce(_latest(rule.penalties.filter(enterprise=mine), "decided_on"), Value(NEVER)),
            output_field=DateField(),
        ),
    )
    return queryset.order_by("-score", "-last_event_on", "name", "pk")


def risk_rows(rows: list[Enterprise], *, day: date) -> list[Enterprise]:
    """Set the reasons on ``rows`` (rows of :func:`risk_candidates` at ``day``: a page of
    them) and return them: ``failed_checks``, ``last_failed_on``/``last_failed_product``,
    ``penalties_count``, ``last_penalty_on``/``last_penalty_number``, ``major_incidents``
    (counts in the window; the latest by date, then pk), the current CQO
    (``current_appointment_id``, ``cqo_name``: the latest appointed), ``vacant``,
    ``overdue_training``, ``last_grade``/``last_grade_year`` (the latest scored evaluation)
    and ``last_sanction_on`` (None where there is none). Four queries whatever the number of
    rows, none for no rows; the same rules (SPEC §6, issue 17 §2) as
    :func:`risk_candidates`' score."""
    if not rows:
        return rows
    rule = _Rule.at(day)
    ids = [row.pk for row in rows]
    by_id = {row.pk: row for row in rows}
    for row in rows:
        row.failed_checks = row.penalties_count = row.major_incidents = 0
        row.last_failed_on = row.last_failed_product = None
        row.last_penalty_on = row.last_penalty_number = None
        row.current_appointment_id = row.cqo_name = None
        row.overdue_training = False
        row.last_grade = row.last_grade_year = row.last_sanction_on = None
    # The window's events of the page's enterprises, one statement: (enterprise, day, text,
    # pk, kind), the latest first within each kind.
    events = (
        rule.failed.filter(enterprise_id__in=ids)
        .order_by()
        .annotate(kind=Value(RiskFactor.FAILED_SPOT_CHECK.value))
        .values_list("enterprise_id", "checked_on", "product", "pk", "kind")
        .union(
            rule.penalties.filter(enterprise_id__in=ids)
            .order_by()
            .annotate(kind=Value(RiskFactor.PENALTY.value))
            .values_list("enterprise_id", "decided_on", "decision_number", "pk", "kind"),
            rule.incidents.filter(enterprise_id__in=ids)
            .order_by()
            .annotate(kind=Value(RiskFactor.MAJOR_INCIDENT.value), text=Value(""))
            .values_list("enterprise_id", "occurred_on", "text", "pk", "kind"),
            all=True,
        )
    )
    for enterprise_id, day_of, text, _pk, kind in sorted(
        events, key=lambda event: (event[1], event[3]), reverse=True
    ):
        row = by_id[enterprise_id]
        if kind == RiskFactor.FAILED_SPOT_CHECK:
            if not row.failed_checks:
                row.last_failed_on, row.last_failed_product = day_of, text
            row.failed_checks += 1
        elif kind == RiskFactor.PENALTY:
            if not row.penalties_count:
                row.last_penalty_on, row.last_penalty_number = day_of, text
            row.penalties_count += 1
        else:
            row.major_incidents += 1
    for enterprise_id, pk, name, overdue in (
        rule.current_overdue.filter(enterprise_id__in=ids)
        .order_by("-appointed_on", "-pk")
        .values_list("enterprise_id", "pk", "person__name", "overdue")
    ):
        row = by_id[enterprise_id]
        if row.current_appointment_id is None:
            row.current_appointment_id, row.cqo_name = pk, name
        row.overdue_training = row.overdue_training or overdue
    for enterprise_id, year, grade in (
        Evaluation.objects.filter(
            appointment__enterprise_id__in=ids, status=EvaluationStatus.SCORED
        )
        .order_by("-year", "-pk")
        .values_list("appointment__enterprise_id", "year", "grade")
    ):
        row = by_id[enterprise_id]
        if row.last_grade_year is None:
            row.last_grade, row.last_grade_year = grade, year
    for enterprise_id, decided_on in (
        Sanction.objects.filter(appointment__enterprise_id__in=ids)
        .order_by()
        .values("appointment__enterprise_id")
        .annotate(last=Max("decided_on"))
        .values_list("appointment__enterprise_id", "last")
    ):
        by_id[enterprise_id].last_sanction_on = decided_on
    for row in rows:
        row.vacant = row.requires_cqo and row.current_appointment_id is None
    return rows


class RiskList(EnterpriseQuerySet):
    """:func:`risk_candidates` whose fetched rows come with their reasons
    (:func:`risk_rows` at ``day``): a page of it (a slice) prepares only that page's rows;
    ``count()`` and ``exists()`` prepare nothing. ``weights`` are those it is ranked by."""

    day: date | None = None
    weights: dict[str, int] | None = None

    def _clone(self):
        clone = super()._clone()
        clone.day, clone.weights = self.day, self.weights
        return clone

    def _fetch_all(self):
        fetching = self._result_cache is None
        super()._fetch_all()
        if fetching and self._iterable_class is ModelIterable:
            risk_rows(self._result_cache, day=self.day)


def risk_list(user, *, day: date | None = None) -> RiskList:
    """Enterprises on the risk list at ``day`` (default today) that ``user`` may see, ranked
    (:func:`risk_candidates`: highest ``score`` first, ties by the latest spot check or
    penalty), each fetched row with its reasons (:func:`risk_rows`): ``failed_checks``,
    ``last_failed_on``/``last_failed_product``, ``penalties_count``,
    ``last_penalty_on``/``last_penalty_number``, ``major_incidents``, ``vacant``,
    ``last_grade``/``last_grade_year``, ``overdue_training``, the current CQO
    (``current_appointment_id``, ``cqo_name``), ``last_sanction_on``, ``last_event_on`` and
    ``score``; ``.weights`` are the weights it is ranked by. A page costs its count, one
    ranked query and four plain ones for its rows."""
    day = day or clock.localdate()
    weights = risk_weights()
    candidates = risk_candidates(user, day=day, weights=weights)
    ranked = RiskList(model=Enterprise, query=candidates.query, using=candidates.db)
    ranked.day, ranked.weights = day, weights
    return ranked


@dataclass(frozen=True)
class Reason:
    text: str
    points: int


def reasons(row: Enterprise, weights: dict[str, int]) -> list[Reason]:
    """The reasons of one row of :func:`risk_list`, each with the points it scores, in the
    order the issue names them."""
    found = []
    # The events counted over the risk window, each scoring its weight: (how many, factor,
    # text, what the text says of the latest one).
    in_window = (
        (
            row.failed_checks,
            RiskFactor.FAILED_SPOT_CHECK,
            _("近 %(days)s 天监督抽查不合格 %(n)s 次（最近：%(day)s，%(product)s）"),
            {"day": row.last_failed_on, "product": row.last_failed_product},
        ),
        (
            row.penalties_count,
            RiskFactor.PENALTY,
            _("近 %(days)s 天行政处罚 %(n)s 件（最近：%(day)s，%(number)s）"),
            {"day": row.last_penalty_on, "number": row.last_penalty_number},
        ),
        (
            row.major_incidents,
            RiskFactor.MAJOR_INCIDENT,
            _("近 %(days)s 天发生重大质量安全事故 %(n)s 起"),
            {},
        ),
    )
    for count, factor, text, latest in in_window:
        if count:
            values = {"days": settings.CQO_RISK_WINDOW_DAYS, "n": count, **latest}
            found.append(Reason(text % values, count * weights[factor]))
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
