"""Workflows of the yearly confirmation (年度确认, issue 17 §3).

* ``round_open`` — a bureau admin opens the round of a year with a due date: every active
  enterprise that requires a CQO gets a pending confirmation, and its users are told (a task,
  on commit). One round is open at a time.
* ``confirmation_confirm`` — the enterprise confirms its CQO, position, departments and
  contact details, each as the registry has them or corrected; corrections are applied with
  history saying why (the position, departments and principal flag on the filed appointment;
  mobile and e-mail on the person, through ``appointments.services.person_for_filing``, which
  never lets one enterprise overwrite another's CQO record).
* ``confirmation_record_change`` / ``confirmation_report_vacancy`` — a CQO who changed or left
  is not corrected here: the answer is a change or dismissal filing made with the filing
  services (the portal's views do both in one transaction), which the bureau reviews.
* ``round_close`` — closes the round and freezes its figures (county and per town).

Writes run in one transaction, lock the row they change and raise ``ValidationError`` with a
message the user can act on.
"""

from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from appointments import services as filing_services
from appointments.models import Appointment, Department, Filing
from appointments.registry import active_on
from cqo_registry import clock
from cqo_registry.accounts import notifications
from cqo_registry.accounts.models import NotificationKind, Role, User
from cqo_registry.importing.bulk import insert_with_history
from cqo_registry.queueing import queue_on_commit
from cqo_registry.workflows import save_validated
from enterprises.models import Enterprise, Town

from .models import (
    RESPONDED,
    Confirmation,
    ConfirmationFigure,
    ConfirmationRound,
    ConfirmationStatus,
)

# What a confirmation asks about the current appointment and its person.
APPOINTMENT_FIELDS = ("position", "departments", "is_principal")
PERSON_FIELDS = ("mobile", "email")


# --- Rounds ---------------------------------------------------------------------------------


def open_round() -> ConfirmationRound | None:
    return ConfirmationRound.objects.filter(closed_at__isnull=True).first()


@transaction.atomic
def round_open(*, year: int, due_on: date, actor) -> ConfirmationRound:
    """Open the round of ``year``, due on ``due_on``: a pending confirmation for every
    enterprise active today that requires a CQO. Enterprises that come to require one later
    are confirmed the next year."""
    today = clock.localdate()
    if due_on < today:
        raise ValidationError({"due_on": _("截止日期不能早于今天。")}, code="past_due")
    # Serialise openings: two admins opening at once must not leave two rounds open.
    list(ConfirmationRound.objects.select_for_update(of=("self",)).all())
    current = open_round()
    if current is not None:
        raise ValidationError(
            _("%(year)s 年度确认尚未关闭，请先关闭后再开始新的一轮。") % {"year": current.year},
            code="round_open",
        )
    if ConfirmationRound.objects.filter(year=year).exists():
        raise ValidationError({"year": _("%(year)s 年度确认已经开展过。") % {"year": year}})
    round_ = ConfirmationRound(year=year, opened_on=today, due_on=due_on, opened_by=actor)
    save_validated(round_, actor)
    enterprises = Enterprise.objects.filter(active_on(today), requires_cqo=True).order_by("pk")
    insert_with_history(
        [
            Confirmation(round=round_, enterprise_id=pk)
            for pk in enterprises.values_list("pk", flat=True)
        ],
        Confirmation,
        user=actor,
        reason=_("开始 %(year)s 年度确认") % {"year": year},
    )
    from .tasks import announce_confirmation_round

    queue_on_commit(announce_confirmation_round, round_.pk)
    return round_


def round_announce(round_id: int) -> int:
    """Tell the users of every enterprise still to confirm in round ``round_id`` that the
    round is open (in-app and e-mail, once each: the dedupe key makes a re-run a no-op).
    Returns how many notifications were stored."""
    round_ = ConfirmationRound.objects.filter(pk=round_id, closed_at__isnull=True).first()
    if round_ is None:
        return 0
    pending = Confirmation.objects.filter(round=round_, status=ConfirmationStatus.PENDING)
    users = User.objects.filter(
        is_active=True,
        role=Role.ENTERPRISE,
        enterprise_id__in=pending.values("enterprise_id"),
    ).order_by("pk")
    values = {"year": round_.year, "due": round_.due_on.isoformat()}
    with translation.override(settings.LANGUAGE_CODE):
        created = notifications.notify(
            users=users,
            kind=NotificationKind.CONFIRMATION_DUE,
            title=_("请在 %(due)s 前完成 %(year)s 年度首席质量官信息确认") % values,
            body=_(
                "请登录本系统，确认贵企业首席质量官及其职务、分管部门、联系方式是否仍然准确；"
                "有变化的请更正，首席质量官已更换或离任的请办理变更或解聘备案。"
            ),
            url=reverse("portal:confirmation"),
            dedupe_key=f"confirmation-open:{round_.pk}",
        )
    return len(created)


@transaction.atomic
def round_close(*, round_: ConfirmationRound, actor) -> ConfirmationRound:
    """Close the round: no more answers, and its figures — county-wide and per town — are
    frozen (``ConfirmationFigure``: refused to change or delete)."""
    round_ = ConfirmationRound.objects.select_for_update(of=("self",)).get(pk=round_.pk)
    if not round_.is_open:
        raise ValidationError(_("该年度确认已经关闭。"), code="closed")
    now = clock.now()
    late = clock.localdate() > round_.due_on
    figures = round_figures(round_)
    town_names = dict(Town.objects.values_list("pk", "name"))
    rows = [_figure(round_, "county", "", "", figures.pop("county"), late)]
    for town_id, counts in sorted(figures.items(), key=lambda item: str(item[0])):
        if town_id is None:
            continue  # enterprises without a town yet: in the county's row only
        rows.append(
            _figure(round_, "town", str(town_id), town_names.get(town_id, ""), counts, late)
        )
    ConfirmationFigure.objects.bulk_create(rows)
    round_.closed_at = now
    round_.closed_by = actor
    save_validated(round_, actor)
    return round_


def round_figures(round_: ConfirmationRound) -> dict:
    """Counts of each answer in ``round_``: ``{"county": {...}, <town id>: {...}}`` with
    ``population`` and one count per status (one grouped query)."""
    per_status = {
        status: Count("pk", filter=Q(status=status)) for status in ConfirmationStatus.values
    }
    rows = (
        Confirmation.objects.filter(round=round_)
        .values("enterprise__town")
        .order_by()
        .annotate(population=Count("pk"), **per_status)
    )
    result: dict = {}
    county = {"population": 0, **{status: 0 for status in ConfirmationStatus.values}}
    for row in rows:
        town = row.pop("enterprise__town")
        result[town] = row
        for key, value in row.items():
            county[key] += value
    result["county"] = county
    return result


def _figure(round_, scope, key, label, counts: dict, past_due: bool) -> ConfirmationFigure:
    pending = counts[ConfirmationStatus.PENDING]
    return ConfirmationFigure(
        round=round_,
        scope=scope,
        key=key,
        label=label,
        population=counts["population"],
        responded=counts["population"] - pending,
        unchanged=counts[ConfirmationStatus.CONFIRMED],
        corrected=counts[ConfirmationStatus.CORRECTED],
        changed=counts[ConfirmationStatus.CHANGED],
        vacancy=counts[ConfirmationStatus.VACANCY],
        late=pending if past_due else 0,
    )


# --- Answers --------------------------------------------------------------------------------


def _pending(confirmation: Confirmation) -> Confirmation:
    confirmation = (
        Confirmation.objects.select_for_update(of=("self",))
        .select_related("round", "enterprise")
        .get(pk=confirmation.pk)
    )
    if not confirmation.round.is_open:
        raise ValidationError(_("该年度确认已经结束，不能再提交。"), code="closed")
    if confirmation.status in RESPONDED:
        raise ValidationError(
            _("贵企业已于 %(at)s 完成本年度确认。")
            % {"at": timezone.localtime(confirmation.confirmed_at).strftime("%Y-%m-%d %H:%M")},
            code="answered",
        )
    return confirmation


def _answer(confirmation: Confirmation, status: str, actor, **fields) -> Confirmation:
    confirmation.status = status
    confirmation.confirmed_at = clock.now()
    confirmation.confirmed_by = actor
    for name, value in fields.items():
        setattr(confirmation, name, value)
    save_validated(confirmation, actor)
    return confirmation


@transaction.atomic
def confirmation_confirm(
    *,
    confirmation: Confirmation,
    position: str,
    departments: list[str],
    is_principal: bool,
    mobile: str,
    email: str,
    actor,
) -> Confirmation:
    """Confirm the current CQO's details, correcting those that changed (status
    ``confirmed`` when nothing did, ``corrected`` otherwise). Raises ``ValidationError`` when
    the enterprise has no filed current CQO (it reports a vacancy or files an appointment)."""
    confirmation = _pending(confirmation)
    appointment = filing_services.current_appointment(confirmation.enterprise)
    if appointment is None:
        raise ValidationError(
            _("贵企业目前没有已备案的在任首席质量官：请报告空缺，或办理聘任备案。"),
            code="no_current",
        )
    appointment = Appointment.objects.select_for_update(of=("self",)).get(pk=appointment.pk)
    person = appointment.person
    unknown = set(departments) - set(Department.values)
    if unknown:
        raise ValidationError({"departments": _("分管部门无效。")}, code="departments")
    wanted = {
        "position": position.strip(),
        "departments": sorted(departments),
        "is_principal": bool(is_principal),
    }
    registered = {
        "position": appointment.position,
        "departments": sorted(appointment.departments or []),
        "is_principal": appointment.is_principal,
    }
    corrections = {}
    for field, value in wanted.items():
        if registered[field] != value:
            corrections[field] = [registered[field], value]
            setattr(appointment, field, value)
    reason = _("%(year)s 年度确认更正") % {"year": confirmation.round.year}
    if corrections:
        save_validated(appointment, actor, reason=reason)
    contact = {"mobile": mobile.strip(), "email": email.strip()}
    changed_contact = {f: v for f, v in contact.items() if getattr(person, f) != v and v}
    if changed_contact:
        for field, value in changed_contact.items():
            corrections[field] = [getattr(person, field), value]
        filing_services.person_for_filing(
            enterprise=confirmation.enterprise,
            id_number=person.id_number,
            name=person.name,
            actor=actor,
            **changed_contact,
        )
    status = ConfirmationStatus.CORRECTED if corrections else ConfirmationStatus.CONFIRMED
    return _answer(confirmation, status, actor, appointment=appointment, corrections=corrections)


@transaction.atomic
def confirmation_record_change(
    *, confirmation: Confirmation, filing: Filing, actor
) -> Confirmation:
    """The CQO changed: the answer is ``filing``, the change filing just made (with the
    filing services, in the same transaction)."""
    confirmation = _pending(confirmation)
    if filing.enterprise_id != confirmation.enterprise_id:
        raise ValueError("the filing is another enterprise's")
    return _answer(
        confirmation,
        ConfirmationStatus.CHANGED,
        actor,
        appointment=filing.replaces,
        filing=filing,
    )


@transaction.atomic
def confirmation_report_vacancy(
    *, confirmation: Confirmation, filing: Filing | None = None, actor
) -> Confirmation:
    """The enterprise has no CQO: its CQO left (``filing`` is the dismissal filing just made)
    or it has had none. A vacancy is chased like any other (SPEC §2)."""
    confirmation = _pending(confirmation)
    if filing is None and filing_services.current_appointment(confirmation.enterprise):
        raise ValidationError(
            _("贵企业有在任的首席质量官：其已离任的，请填写解聘日期并提交解聘备案。"),
            code="has_current",
        )
    return _answer(
        confirmation,
        ConfirmationStatus.VACANCY,
        actor,
        appointment=filing.appointment if filing else None,
        filing=filing,
    )
