"""A filing's transitions (SPEC §2, ``FILING_FLOW``): submit, withdraw, return, approve — and
what an approval applies (the appointment started or ended, the filing numbered)."""

from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cqo_registry import clock
from cqo_registry.accounts import notifications
from cqo_registry.accounts.models import NotificationKind
from cqo_registry.workflows import save_validated
from enterprises.models import Enterprise

from ..models import (
    CQO_POST,
    FILING_FLOW,
    Appointment,
    EndReason,
    Filing,
    FilingKind,
    FilingNumberCounter,
    FilingStatus,
)
from .common import NUMBER_FORMAT, _record, current_appointment

# --- Transitions -----------------------------------------------------------------------------


def _locked(filing: Filing) -> Filing:
    """Re-read the filing under a row lock so that concurrent reviewers serialise here."""
    return (
        Filing.objects.select_for_update(of=("self",))
        .select_related("appointment")
        .get(pk=filing.pk)
    )


def _reference_date(filing: Filing) -> date:
    """The day the event happened: the (new) appointment date, or the end date."""
    if filing.kind == FilingKind.DISMISS:
        return filing.end_date
    return filing.appointment.appointed_on


@transaction.atomic
def filing_submit(*, filing: Filing, actor=None) -> Filing:
    """Submit a draft, or resubmit a returned filing after correction.

    Raises ``ValidationError`` (code ``letter_required``) when an appoint or change filing
    has no appointment letter (SPEC §2: the letter of appointment is filed with the
    appointment), (``future_date``) when the date it reports is after today, and
    (``before_established``) when an appointment date is before the enterprise was
    established (the import's rule: such a date is a typing slip, e.g. 0001-01-01)."""
    filing = _locked(filing)
    previous = filing.status
    FILING_FLOW.require(filing, "submit")
    if filing.kind != FilingKind.DISMISS and not filing.appointment.letter:
        raise ValidationError(
            _("提交备案前请上传聘任文件（可先保存为草稿）。"), code="letter_required"
        )
    today = clock.localdate()
    reference = _reference_date(filing)
    if reference > today:
        raise ValidationError(
            _("日期（%(day)s）不能晚于今天，请在事项发生后再备案。") % {"day": reference},
            code="future_date",
        )
    established = filing.enterprise.established_on
    if filing.kind != FilingKind.DISMISS and established and reference < established:
        raise ValidationError(
            _("聘任日期（%(day)s）早于企业的成立日期（%(established)s），请核对。")
            % {"day": reference, "established": established},
            code="before_established",
        )
    filing.status = FILING_FLOW.target("submit")
    filing.submitted_at = clock.now()
    filing.days_to_submit = (today - reference).days
    filing.is_late = filing.days_to_submit > settings.CQO_FILING_LIMIT_DAYS
    save_validated(filing, actor)
    _record(
        filing,
        action="resubmit" if previous == "returned" else "submit",
        from_status=previous,
        actor=actor,
    )
    with translation.override(settings.LANGUAGE_CODE):  # stored text: Chinese
        notifications.notify(
            users=notifications.reviewers(),
            kind=NotificationKind.FILING_SUBMITTED,
            title=_about_filing(
                filing,
                _("新的%(kind)s待审核：%(name)s"),
                _("新的%(post)s%(kind)s待审核：%(name)s"),
                name=filing.enterprise.name,
            ),
            url=reverse("review:filing", args=[filing.pk]),
        )
    return filing


@transaction.atomic
def filing_withdraw(*, filing: Filing, actor=None) -> Filing:
    filing = _locked(filing)
    previous = filing.status
    FILING_FLOW.require(filing, "withdraw")
    filing.status = FILING_FLOW.target("withdraw")
    save_validated(filing, actor)
    _record(filing, action="withdraw", from_status=previous, actor=actor)
    return filing


@transaction.atomic
def filing_return(*, filing: Filing, reasons: str, actor) -> Filing:
    reasons = (reasons or "").strip()
    if not reasons:
        raise ValidationError(_("退回时必须填写退回原因。"), code="reasons_required")
    filing = _locked(filing)
    FILING_FLOW.require(filing, "return")
    filing.status = FILING_FLOW.target("return")
    filing.return_reasons = reasons
    _decided(filing, "return", actor=actor, reasons=reasons)
    return filing


@transaction.atomic
def filing_approve(*, filing: Filing, actor) -> Filing:
    """Approve a submitted filing: give it the next number of the year and apply it to the
    appointments (a change ends the old appointment and files the new one together)."""
    filing = _locked(filing)
    FILING_FLOW.require(filing, "approve")
    today = clock.localdate()
    _apply(filing, on=today, actor=actor)
    filing.number_year, filing.number_seq = today.year, next_filing_seq(today.year)
    filing.number = NUMBER_FORMAT.format(year=filing.number_year, seq=filing.number_seq)
    filing.status = FILING_FLOW.target("approve")
    filing.approved_on = today
    _decided(filing, "approve", actor=actor)
    return filing


# What the enterprise is told of a reviewer's decision: (notification kind, text for a CQO
# filing, text for another post's filing); formatted by :func:`_about_filing`.
DECISION_NOTICES = {
    "return": (
        NotificationKind.FILING_RETURNED,
        gettext_lazy("您的%(kind)s被退回，请按意见修改后重新提交"),
        gettext_lazy("您的%(post)s%(kind)s被退回，请按意见修改后重新提交"),
    ),
    "approve": (
        NotificationKind.FILING_APPROVED,
        gettext_lazy("您的%(kind)s已通过，备案号 %(number)s"),
        gettext_lazy("您的%(post)s%(kind)s已通过，备案号 %(number)s"),
    ),
}


def _decided(filing: Filing, action: str, *, actor, reasons: str = "") -> None:
    """Close a reviewer's ``action`` on a submitted ``filing`` (its new status already set):
    stamp who reviewed it and when, save it, record the event (``reasons`` as its note) and
    tell the enterprise (:data:`DECISION_NOTICES`, ``reasons`` as the body)."""
    filing.reviewed_by = actor
    filing.reviewed_at = clock.now()
    save_validated(filing, actor)
    _record(filing, action=action, from_status=FilingStatus.SUBMITTED, actor=actor, note=reasons)
    kind, cqo_text, post_text = DECISION_NOTICES[action]
    with translation.override(settings.LANGUAGE_CODE):  # stored text: Chinese
        title = _about_filing(filing, cqo_text, post_text, number=filing.number)
        _tell_enterprise(filing, kind=kind, title=title, body=reasons)


def _about_filing(filing: Filing, cqo_text: str, post_text: str, **values) -> str:
    """A message about ``filing``: ``cqo_text`` for a CQO filing, ``post_text`` (naming the
    post, issue 19) for another post's; both are formatted with ``%(kind)s`` (the filing's
    kind), ``%(post)s`` (its post's name) and ``values``."""
    text = cqo_text if filing.is_cqo else post_text
    return text % {"kind": filing.get_kind_display(), "post": filing.post.name, **values}


def _tell_enterprise(filing: Filing, *, kind: str, title: str, body: str = "") -> None:
    notifications.notify(
        users=notifications.enterprise_users(filing.enterprise_id),
        kind=kind,
        title=title,
        body=body,
        url=reverse("portal:home"),
    )


def next_filing_seq(year: int) -> int:
    """Take the next sequence number of ``year``. Must run inside the approving transaction:
    the counter row stays locked until it commits, and a rollback gives the number back."""
    FilingNumberCounter.objects.get_or_create(year=year)
    counter = FilingNumberCounter.objects.select_for_update(of=("self",)).get(year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return counter.last


def _apply(filing: Filing, *, on: date, actor) -> None:
    # Lock the enterprise first: two filings of one enterprise approved at the same moment
    # then queue here, and the second sees the first's appointment (a clear error instead of
    # a unique-index violation).
    Enterprise.objects.select_for_update(of=("self",)).filter(pk=filing.enterprise_id).first()
    appointment = Appointment.objects.select_for_update(of=("self",)).get(pk=filing.appointment_id)
    if filing.kind == FilingKind.DISMISS:
        appointment_end(
            appointment=appointment,
            ended_on=filing.end_date,
            reason=filing.end_reason,
            actor=actor,
        )
        return
    if filing.kind == FilingKind.CHANGE:
        old = Appointment.objects.select_for_update(of=("self",)).get(pk=filing.replaces_id)
        if old.ended_on is None:
            appointment_end(
                appointment=old, ended_on=filing.end_date, reason=filing.end_reason, actor=actor
            )
    holder = current_appointment(filing.enterprise_id, appointment.post_id)
    if holder is not None and appointment.single_holder:
        if appointment.post_id == CQO_POST:
            message = _("该企业已有在任首席质量官（%(name)s），请提交变更备案。")
        else:
            message = _("该企业已有在任%(post)s（%(name)s），请提交变更备案。")
        raise ValidationError(
            message % {"name": holder.person.name, "post": appointment.post.name},
            code="already_current",
        )
    appointment.filed_on = on
    save_validated(appointment, actor)


def appointment_end(*, appointment: Appointment, ended_on: date, reason: str, actor=None):
    """End an appointment (dismissal, departure, reassignment, exit by sanction). The
    enterprise has a vacancy from ``ended_on`` unless another filed appointment follows."""
    if appointment.ended_on is not None:
        raise ValidationError(_("该聘任已于 %(day)s 结束。") % {"day": appointment.ended_on})
    if reason not in EndReason.values:
        raise ValidationError(_("解聘原因无效。"), code="invalid_reason")
    appointment.ended_on = ended_on
    appointment.end_reason = reason
    save_validated(appointment, actor)
    return appointment
