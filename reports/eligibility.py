"""Honours eligibility (SPEC §2, notice §6.3): did an enterprise have a filed CQO on a date?

An enterprise applying for a quality honour must have had, on the date asked about, a filed
current appointment (``filed_current_on``) while it was itself active (``active_on``, both in
``appointments.registry``) — the same rules as the statistics, so the answer always agrees
with the figures. When the answer is no, the reason says which condition failed.
"""

from dataclasses import dataclass
from datetime import date

from django.db.models import Q
from django.utils.translation import gettext as _

from appointments.models import CQO_POST, Appointment, Filing, FilingKind, FilingStatus
from appointments.registry import active_on, filed_current_on
from enterprises.models import Enterprise
from enterprises.validators import normalize_uscc


class Reason:
    """Machine-readable reason codes (``reason_code`` in the JSON)."""

    ELIGIBLE = "eligible"
    NOT_ESTABLISHED = "not_established"
    DEREGISTERED = "deregistered"
    NOT_FILED = "not_filed"
    ENDED = "ended"
    NOT_YET_APPOINTED = "not_yet_appointed"
    NO_APPOINTMENT = "no_appointment"


@dataclass(frozen=True)
class Eligibility:
    enterprise: Enterprise
    day: date
    eligible: bool
    reason_code: str
    reason: str
    appointment: Appointment | None = None  # the filed current appointment when eligible
    filing_number: str | None = None

    def as_json(self) -> dict:
        cqo = None
        if self.appointment is not None:
            cqo = {
                "name": self.appointment.person.name,
                "position": self.appointment.position,
                "filing_number": self.filing_number,
                "filed_on": self.appointment.filed_on.isoformat(),
            }
        return {
            "uscc": self.enterprise.uscc,
            "name": self.enterprise.name,
            "date": self.day.isoformat(),
            "eligible": self.eligible,
            "reason": self.reason,
            "reason_code": self.reason_code,
            "cqo": cqo,
        }


def filing_number_of(appointment: Appointment) -> str | None:
    """The number of the approved appoint/change filing that made ``appointment`` filed
    (legacy appointments imported without a numbered filing have none)."""
    return (
        Filing.objects.filter(
            appointment=appointment,
            kind__in=[FilingKind.APPOINT, FilingKind.CHANGE],
            status=FilingStatus.APPROVED,
        )
        .exclude(number=None)
        .order_by("approved_on", "pk")
        .values_list("number", flat=True)
        .first()
    )


def check(enterprise: Enterprise, day: date) -> Eligibility:
    def no(code: str, reason: str) -> Eligibility:
        return Eligibility(enterprise, day, False, code, reason)

    fmt = {"day": day.isoformat()}
    if not Enterprise.objects.filter(active_on(day), pk=enterprise.pk).exists():
        if enterprise.deregistered_on is not None and enterprise.deregistered_on <= day:
            return no(
                Reason.DEREGISTERED,
                _("企业已于 %(gone)s 注销，%(day)s 不在存续状态。")
                % {**fmt, "gone": enterprise.deregistered_on.isoformat()},
            )
        return no(
            Reason.NOT_ESTABLISHED,
            _("企业成立于 %(born)s，%(day)s 尚未成立。")
            % {**fmt, "born": enterprise.established_on.isoformat()},
        )

    appointments = Appointment.objects.filter(enterprise=enterprise, post=CQO_POST).select_related(
        "person"
    )
    current = appointments.filter(filed_current_on(day)).order_by("-appointed_on", "-pk").first()
    if current is not None:
        return Eligibility(
            enterprise,
            day,
            True,
            Reason.ELIGIBLE,
            _("%(day)s 有已备案的在任首席质量官。") % fmt,
            appointment=current,
            filing_number=filing_number_of(current),
        )

    serving = Q(appointed_on__lte=day) & (Q(ended_on__isnull=True) | Q(ended_on__gt=day))
    unfiled = appointments.filter(serving).order_by("-appointed_on", "-pk").first()
    if unfiled is not None:
        if unfiled.filed_on is None:
            detail = _("至今尚未备案")
        else:
            detail = _("%(filed)s 才备案") % {"filed": unfiled.filed_on.isoformat()}
        return no(
            Reason.NOT_FILED,
            _("%(name)s 于 %(appointed)s 聘任，但%(detail)s，%(day)s 尚未完成备案。")
            % {
                **fmt,
                "name": unfiled.person.name,
                "appointed": unfiled.appointed_on.isoformat(),
                "detail": detail,
            },
        )

    ended = (
        appointments.filter(filed_on__lte=day, ended_on__lte=day)
        .order_by("-ended_on", "-pk")
        .first()
    )
    if ended is not None:
        return no(
            Reason.ENDED,
            _("原首席质量官 %(name)s 的聘任已于 %(ended)s 结束，%(day)s 无在任首席质量官。")
            % {**fmt, "name": ended.person.name, "ended": ended.ended_on.isoformat()},
        )

    later = appointments.filter(appointed_on__gt=day).order_by("appointed_on", "pk").first()
    if later is not None:
        return no(
            Reason.NOT_YET_APPOINTED,
            _("首席质量官于 %(appointed)s 才聘任，%(day)s 尚未聘任。")
            % {**fmt, "appointed": later.appointed_on.isoformat()},
        )
    return no(Reason.NO_APPOINTMENT, _("%(day)s 未聘任首席质量官。") % fmt)


def find_enterprise(uscc: str) -> Enterprise | None:
    # USCCs are stored in one spelling (a check constraint); a query is normalised the same way.
    return Enterprise.objects.filter(uscc=normalize_uscc(uscc)).first()
