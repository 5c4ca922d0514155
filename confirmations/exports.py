"""A confirmation round's Excel export (issue 15 §2): its rows and columns, used by the
synchronous export (``views.round_export``) and by the background task
(:class:`RoundExport`) alike."""

from django.db.models import Case, IntegerField, Q, Value, When
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cqo_registry import clock, params
from cqo_registry.accounts import access
from cqo_registry.exports.base import TableExport
from enterprises.exports import enterprise_columns

from . import selectors
from .models import ConfirmationRound, ConfirmationStatus

LATE = "late"
STATUS_FILTERS = [
    (LATE, gettext_lazy("逾期未确认")),
    *ConfirmationStatus.choices,
]


def past_due(round_: ConfirmationRound) -> bool:
    """Whether the round was past its due date — today, or when it closed."""
    day = timezone.localdate(round_.closed_at) if round_.closed_at else clock.localdate()
    return day > round_.due_on


def round_rows(user, data: QueryDict, round_: ConfirmationRound):
    """The round's confirmations ``user`` may see, filtered by ``?status=`` (a status, or
    ``late``), ``?town=`` (county roles) and ``?q=``; and the filters as read."""
    queryset = selectors.confirmation_list(user, round_)
    status = params.choice(data, "status", [value for value, _label in STATUS_FILTERS])
    if status == LATE:
        if past_due(round_):
            queryset = queryset.filter(status=ConfirmationStatus.PENDING)
        else:
            queryset = queryset.none()
    elif status:
        queryset = queryset.filter(status=status)
    town_id = params.object_id(data, "town") if access.sees_whole_county(user) else None
    if town_id:
        queryset = queryset.filter(enterprise__town=town_id)
    q = params.text(data, "q")
    if q:
        queryset = queryset.filter(
            Q(enterprise__name__icontains=q) | Q(enterprise__uscc__iexact=q.upper())
        )
    # The enterprises still to answer (late after the due date) first: those are chased.
    unanswered_first = Case(
        When(status=ConfirmationStatus.PENDING, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    ordered = queryset.order_by(
        unanswered_first,
        "enterprise__town__code",
        "enterprise__town__name",
        "enterprise__name",
        "pk",
    )
    return ordered, {"status": status, "town": town_id or "", "q": q}


def round_columns():
    labels = dict(ConfirmationStatus.choices)
    return [
        *enterprise_columns("enterprise."),
        (_("确认情况"), 24, lambda c: str(labels.get(c.status, c.status))),
        (_("确认时间"), 18, lambda c: c.confirmed_at or ""),
        (_("更正内容"), 40, lambda c: "、".join(c.corrected_fields)),
        (_("相关备案"), 18, lambda c: (c.filing.number or str(c.filing)) if c.filing else ""),
    ]


class RoundExport(TableExport):
    """``parameters``: ``query`` (the round page's filters), ``year`` (the round's)."""

    slug = "confirmations"
    permission = "confirmations.view_rounds"
    audit_name = "confirmations:round_export"

    def _round(self, parameters) -> ConfirmationRound:
        return ConfirmationRound.objects.get(year=parameters["year"])

    def title(self, parameters):
        return str(self._round(parameters))

    def filename(self, parameters):
        return f"confirmation-{parameters['year']}.xlsx"

    def rows(self, user, parameters):
        return round_rows(user, QueryDict(parameters.get("query", "")), self._round(parameters))[0]

    def columns(self, user, parameters):
        return round_columns()

    def audit_object(self, parameters):
        return ConfirmationRound.objects.filter(year=parameters["year"]).first()
