"""Reads of the yearly confirmation, scoped to the user (``access.scope``), and the figures the
dashboard shows for any date.

The round *of a date* D is the latest round opened on or before D; an enterprise of it has
*confirmed by D* when it answered (any answer: confirmed, corrected, CQO changed, vacancy) on
or before D; it is *late at D* when it had not by D and the round was due before D. Any date
can be replayed from these, and the drill-down's list is the figure's own set."""

from dataclasses import dataclass
from datetime import date

from django.db.models import (
    BooleanField,
    CharField,
    Count,
    DateTimeField,
    Exists,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)

from cqo_registry.accounts import access
from enterprises.models import Enterprise

from .models import Confirmation, ConfirmationRound


def round_on(day: date) -> ConfirmationRound | None:
    """The round of ``day``: the latest opened on or before it."""
    return (
        ConfirmationRound.objects.filter(opened_on__lte=day).order_by("-opened_on", "-pk").first()
    )


def confirmed_by(day: date) -> Q:
    """Confirmations answered on or before ``day`` (in the site's time zone)."""
    return Q(confirmed_at__date__lte=day)


def confirmation_list(user, round_: ConfirmationRound) -> QuerySet[Confirmation]:
    """The round's confirmations ``user`` may see (bureau and leaders: the county; a town
    officer: the town; an enterprise user: its own), with what the list shows."""
    return access.scope(
        Confirmation.objects.filter(round=round_).select_related(
            "enterprise__town", "confirmed_by", "filing", "appointment__person"
        ),
        user,
        town_field="enterprise__town",
        enterprise_field="enterprise",
    )


def for_enterprise(enterprise_id: int) -> Confirmation | None:
    """The enterprise's confirmation in the open round, whatever its answer; ``None`` when no
    round is open or the enterprise is not asked in it."""
    return (
        Confirmation.objects.filter(round__closed_at__isnull=True, enterprise_id=enterprise_id)
        .select_related("round", "filing")
        .first()
    )


def confirmation_enterprises(day: date) -> QuerySet[Enterprise]:
    """The drill-down's rows: the enterprises of the round of ``day`` (none before the first
    round), annotated by :func:`with_answer`."""
    round_ = round_on(day)
    if round_ is None:
        return with_answer(Enterprise.objects.none(), day)
    asked = Confirmation.objects.filter(round=round_).values("enterprise_id")
    return with_answer(Enterprise.objects.filter(pk__in=asked), day)


def with_answer(queryset: QuerySet[Enterprise], day: date) -> QuerySet[Enterprise]:
    """``queryset`` annotated with :func:`answer_annotations`."""
    return queryset.annotate(**answer_annotations(day))


def answer_annotations(day: date) -> dict:
    """Annotations of enterprises: ``counted`` when they had confirmed in the round of ``day``
    by ``day``, with that answer's ``confirmation_status`` and ``confirmation_at`` (blank when
    not counted: an answer given after ``day`` is not shown on a replay of ``day``)."""
    round_ = round_on(day)
    if round_ is None:
        return {
            "counted": Value(False, output_field=BooleanField()),
            "confirmation_status": Value("", output_field=CharField()),
            "confirmation_at": Value(None, output_field=DateTimeField()),
        }
    answered = Confirmation.objects.filter(
        confirmed_by(day), round=round_, enterprise=OuterRef("pk")
    )
    return {
        "counted": Exists(answered),
        "confirmation_status": Subquery(answered.values("status")[:1]),
        "confirmation_at": Subquery(answered.values("confirmed_at")[:1]),
    }


@dataclass(frozen=True)
class ConfirmationIndicator:
    """The dashboard's figure: the round of the date, how many enterprises it asks, how many
    had confirmed by the date, and how many were late."""

    round: ConfirmationRound
    population: int
    confirmed: int
    late: int

    @property
    def rate(self) -> float | None:
        return self.confirmed / self.population if self.population else None

    @property
    def pending(self) -> int:
        return self.population - self.confirmed


def indicator(day: date, *, town=None) -> ConfirmationIndicator | None:
    """The confirmation figure at ``day`` (county-wide, or of ``town``); ``None`` before the
    first round. One query after the round's."""
    round_ = round_on(day)
    if round_ is None:
        return None
    queryset = Confirmation.objects.filter(round=round_)
    if town is not None:
        queryset = queryset.filter(enterprise__town=town)
    totals = queryset.aggregate(
        population=Count("pk"), confirmed=Count("pk", filter=confirmed_by(day))
    )
    population, confirmed = totals["population"], totals["confirmed"]
    late = population - confirmed if round_.due_on < day else 0
    return ConfirmationIndicator(
        round=round_, population=population, confirmed=confirmed, late=late
    )


__all__ = [
    "ConfirmationIndicator",
    "confirmation_enterprises",
    "confirmation_list",
    "answer_annotations",
    "with_answer",
    "confirmed_by",
    "for_enterprise",
    "indicator",
    "round_on",
]
