"""The portal's side of a filing (SPEC §2): the person it names, and corrections of a draft or
returned filing."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from cqo_registry.workflows import save_validated

from ..models import (
    DECLARED_FIELDS,
    FILING_FLOW,
    Appointment,
    Filing,
    FilingKind,
)
from .common import _record, _senior_manager_refused, _senior_manager_required
from .transitions import _locked

# --- Portal: the person of a filing, and corrections of a draft or returned filing ------------


def person_for_filing(
    *,
    enterprise,
    id_number: str,
    name: str,
    actor=None,
    mobile: str = "",
    email: str = "",
    education: str = "",
    title: str = "",
    years_in_quality: int | None = None,
):
    """The Person an enterprise names as its CQO: the one with this ID number if the registry
    has it, else a new one.

    Typing an ID number must not tell an enterprise anything about a person outside its own
    history (PIPL; issue "Security, part 1" §3): for such a person a different name is not an
    error here — the filing keeps the name the enterprise typed (``declaration``), its pages
    show only that, and the reviewer sees both names (``hints``) and returns the filing. Only
    for a person this enterprise has already filed is a different name refused at once.

    An existing person's details are updated only when the name matches, and overwritten only
    when no other enterprise has appointed them; otherwise only blank details are filled in,
    so one enterprise cannot rewrite another's CQO record."""
    from enterprises.models import Person
    from enterprises.validators import normalize_id_number

    id_number = normalize_id_number(id_number)
    name = (name or "").strip()
    details = {
        "mobile": mobile,
        "email": email,
        "education": education,
        "title": title,
        "years_in_quality": years_in_quality,
    }
    person = Person.objects.select_for_update(of=("self",)).filter(id_number=id_number).first()
    if person is None:
        person = Person(id_number=id_number, name=name, **details)
        save_validated(person, actor)
        return person
    if person.name != name:
        filed_here = Appointment.objects.filter(
            person=person, enterprise=enterprise, filed_on__isnull=False
        ).exists()
        if not filed_here:
            return person
        raise ValidationError(
            {
                "person_name": _(
                    "该身份证号已登记的姓名与填写的“%(name)s”不一致，请核对姓名和身份证号；"
                    "如登记有误请联系县市场监管局。"
                )
                % {"name": name}
            },
            code="name_mismatch",
        )
    elsewhere = Appointment.objects.filter(person=person).exclude(enterprise=enterprise).exists()
    changed = False
    for field, value in details.items():
        if value in ("", None):
            continue
        if elsewhere and getattr(person, field) not in ("", None):
            continue
        if getattr(person, field) != value:
            setattr(person, field, value)
            changed = True
    if changed:
        save_validated(person, actor)
    return person


def declaration(**person_fields) -> dict:
    """The person fields an enterprise typed, as kept on ``Filing.declared_person`` (the ID
    number stays on the person record only)."""
    declared = {field: person_fields.get(field) for field in DECLARED_FIELDS}
    declared["name"] = (declared["name"] or "").strip()
    return declared


EDITABLE_APPOINTMENT_FIELDS = (
    "person",
    "position",
    "is_senior_manager",
    "is_principal",
    "departments",
    "appointed_on",
)


@transaction.atomic
def filing_update_draft(*, filing: Filing, actor=None, **fields) -> Filing:
    """Correct a draft or returned filing before (re)submitting it.

    For an appoint or change filing, ``fields`` may hold the pending appointment's
    ``person``, ``position``, ``is_senior_manager``, ``is_principal``, ``departments``,
    ``appointed_on`` and ``letter`` (``None`` keeps the current letter), and for a change
    the old CQO's ``end_reason``. For a dismissal: ``end_date`` and ``end_reason``. The
    status stays as it is; an ``edit`` event records the correction."""
    filing = _locked(filing)
    FILING_FLOW.require(filing, "edit")
    allowed = set(EDITABLE_APPOINTMENT_FIELDS) | {"letter", "end_reason", "declared_person"}
    if filing.kind == FilingKind.DISMISS:
        allowed = {"end_date", "end_reason"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValueError(f"not editable on a {filing.kind} filing: {sorted(unknown)}")

    if filing.kind == FilingKind.DISMISS:
        end_date = fields.get("end_date", filing.end_date)
        if end_date < filing.appointment.appointed_on:
            raise ValidationError(
                _("解聘日期不能早于聘任日期（%(day)s）。")
                % {"day": filing.appointment.appointed_on},
                code="end_before_start",
            )
        filing.end_date = end_date
        filing.end_reason = fields.get("end_reason", filing.end_reason)
    else:
        appointment = Appointment.objects.select_for_update(of=("self",)).get(
            pk=filing.appointment_id
        )
        if appointment.filed_on is not None:  # never rewrite a filed appointment
            raise ValidationError(_("该聘任已备案，不能修改。"), code="already_filed")
        for field in EDITABLE_APPOINTMENT_FIELDS:
            if field in fields:
                setattr(appointment, field, fields[field])
        if fields.get("departments") is not None:
            appointment.departments = list(fields["departments"])
        if not appointment.is_senior_manager and _senior_manager_required(appointment.post_id):
            raise _senior_manager_refused(appointment.post_id)
        if fields.get("letter") is not None:
            appointment.letter = fields["letter"]
        if filing.kind == FilingKind.CHANGE:
            replaces = filing.replaces
            if appointment.appointed_on < replaces.appointed_on:
                raise ValidationError(
                    _("新首席质量官的聘任日期不能早于现任的聘任日期（%(day)s）。")
                    % {"day": replaces.appointed_on},
                    code="change_before_current",
                )
            filing.end_date = appointment.appointed_on
            filing.end_reason = fields.get("end_reason") or filing.end_reason
        if fields.get("declared_person") is not None:
            filing.declared_person = dict(fields["declared_person"])
        save_validated(appointment, actor)
    save_validated(filing, actor)
    _record(filing, action="edit", from_status=filing.status, actor=actor)
    return filing
