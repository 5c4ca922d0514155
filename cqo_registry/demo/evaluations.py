"""Yearly duty evaluations (履职评价) of the demo county, made with ``training.services`` on
the dates they happened (``running_at``): for each of the last three complete years, the filed CQOs
of a small town (``EVALUATED_TOWNS``) and the showcase's are evaluated early the next
year — opened by the bureau in January, self-assessed by the enterprise in January–February,
scored in March.

The earlier years are scored, each with every grade; in the latest year one enterprise has
not started, one is still writing its self-assessment, two wait for the bureau's scores and
the others are scored.

Each evaluation takes some forty writes through the services (a validated save and a history
row per item, for the self scores and again for the bureau's), so the demo evaluates a pilot
of some twenty, not the county's two hundred CQOs a year: ``make run`` seeds on first start."""

from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Q

from cqo_registry.clock import running_at
from training import services
from training.models import EvaluationItem, Grade

from .common import at_hour
from .names import EVALUATED_TOWNS, EVALUATION_COMMENTS, SELF_ASSESSMENTS

YEARS = 3
# Shares of the maximum total the bureau's scores reach, per grade (services.GRADE_THRESHOLDS).
BANDS = {
    Grade.EXCELLENT: (Decimal("0.90"), Decimal("0.98")),
    Grade.QUALIFIED: (Decimal("0.75"), Decimal("0.895")),
    Grade.BASIC: (Decimal("0.60"), Decimal("0.745")),
    Grade.UNQUALIFIED: (Decimal("0.42"), Decimal("0.59")),
}
GRADE_WEIGHTS = {Grade.EXCELLENT: 24, Grade.QUALIFIED: 52, Grade.BASIC: 17, Grade.UNQUALIFIED: 7}
# The latest year: evaluations not started, self-assessments saved but not submitted, and
# self-assessments waiting for the bureau.
NOT_STARTED, WRITING, WAITING = 1, 1, 2


def latest_year(today: date) -> int:
    """The latest year evaluated: last year once its round (January to March) is over."""
    return today.year - 1 if today >= date(today.year, 4, 1) else today.year - 2


def _half(value: Decimal) -> Decimal:
    """Rounded to half points, as the bureau scores."""
    return (value * 2).to_integral_value() / 2


def build_evaluations(builder, *, reviewer, enterprise_user) -> None:
    rng, today = builder.rng, builder.today
    items = list(EvaluationItem.objects.filter(active=True).order_by("order", "code"))
    if not items:
        return
    max_total = sum(item.max_score for item in items)
    latest = latest_year(today)
    showcase = enterprise_user.enterprise_id if enterprise_user else None

    def scores_for(grade: str) -> dict[int, Decimal]:
        low, high = BANDS[grade]
        share = low + (high - low) * Decimal(rng.randint(0, 100)) / 100
        target = _half(max_total * share)
        if target < max_total * low:  # rounding must not leave the band
            target += Decimal("0.5")
        values = {
            item.pk: min(
                item.max_score,
                max(Decimal(0), _half(item.max_score * share + rng.choice((-1, 0, 0, 1)))),
            )
            for item in items
        }
        # Move half points until the items add up to the target (within each item's bounds).
        step, position = Decimal("0.5"), 0
        while (gap := target - sum(values.values())) != 0:
            item = items[position % len(items)]
            position += 1
            change = step if gap > 0 else -step
            if 0 <= values[item.pk] + change <= item.max_score:
                values[item.pk] += change
        return values

    for year in range(latest - YEARS + 1, latest + 1):
        appointments = list(
            services.filed_current_appointments(date(year, 12, 31))
            .filter(Q(enterprise__town__name__in=EVALUATED_TOWNS) | Q(enterprise=showcase))
            .select_related("enterprise")
            .order_by("enterprise__town__code", "enterprise__name", "pk")
        )
        if not appointments:
            continue
        order = list(range(len(appointments)))
        rng.shuffle(order)
        others = [i for i in order if appointments[i].enterprise_id != showcase]
        # Each grade at least once in a scored year, then as the bureau's grades usually fall.
        grades = {}
        states = {}
        if year < latest:
            grades = dict(zip(others, list(GRADE_WEIGHTS), strict=False))
        else:
            pending = others[: NOT_STARTED + WRITING + WAITING]
            for rank, index in enumerate(pending):
                states[index] = (
                    "not_started"
                    if rank < NOT_STARTED
                    else "writing"
                    if rank < NOT_STARTED + WRITING
                    else "waiting"
                )
        for index in order:
            appointment = appointments[index]
            own = appointment.enterprise_id == showcase
            if own:
                grade = Grade.EXCELLENT  # the county's model enterprise
            elif index in grades:
                grade = grades[index]
            else:
                grade = rng.choices(list(GRADE_WEIGHTS), weights=list(GRADE_WEIGHTS.values()))[0]
            state = states.get(index, "scored")
            opened = date(year + 1, 1, 8)
            with running_at(at_hour(opened, 9, rng.randint(0, 59))):
                evaluation = services.evaluation_open(
                    appointment=appointment, year=year, actor=reviewer
                )
            if state == "not_started":
                continue
            bureau = scores_for(grade)
            # Enterprises rate themselves a little higher than the bureau does.
            own_scores = {
                item.pk: min(
                    item.max_score, bureau[item.pk] + rng.choice((0, 0, Decimal("0.5"), 1))
                )
                for item in items
            }
            if state == "writing":  # saved halfway: some items have no self score yet
                for item in items[rng.randint(3, 7) :]:
                    own_scores[item.pk] = None
            actor = enterprise_user if own else None
            written = date(year + 1, 1, 15) + timedelta(days=rng.randint(0, 40))
            with running_at(at_hour(written, rng.randint(9, 16), rng.randint(0, 59))):
                services.evaluation_save_self_assessment(
                    evaluation=evaluation,
                    self_assessment=rng.choice(SELF_ASSESSMENTS),
                    self_scores=own_scores,
                    actor=actor,
                )
                if state != "writing":
                    services.evaluation_submit_self(evaluation=evaluation, actor=actor)
            if state != "scored":
                continue
            scored = date(year + 1, 3, 2) + timedelta(days=rng.randint(0, 27))
            scored = max(scored, written + timedelta(days=1))
            with running_at(at_hour(scored, 10, rng.randint(0, 59))):
                services.evaluation_score(
                    evaluation=evaluation,
                    scores=bureau,
                    comments=EVALUATION_COMMENTS[grade],
                    actor=reviewer,
                )
