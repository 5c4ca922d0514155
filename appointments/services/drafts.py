"""Creating the drafts of filings (SPEC §2): an appointment (or a change of holder) and a
dismissal."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from cqo_registry.workflows import save_validated

from ..models import (
    CQO_POST,
    Appointment,
    EndReason,
    Filing,
    FilingKind,
)
from .common import (
    _holder_concerned,
    _no_holder,
    _post,
    _record,
    _require_no_open_filing,
    _senior_manager_refused,
    _senior_manager_required,
)

# --- Creating drafts -------------------------------------------------------------------------


@transaction.atomic
def filing_create_appointment(
    *,
    enterprise,
    person,
    position: str,
    appointed_on: date,
    is_senior_manager: bool,
    is_principal: bool = False,
    departments: list[str] | None = None,
    letter=None,
    replace_current: bool = False,
    end_reason: str = EndReason.REASSIGNED,
    declared_person: dict | None = None,
    actor=None,
    post: str = CQO_POST,
    replaces: Appointment | None = None,
) -> Filing:
    """Draft an ``appoint`` filing, or a ``change`` filing when ``replace_current`` (the
    current CQO is replaced by ``person`` from ``appointed_on``). ``declared_person`` is what
    the enterprise typed about the person (see ``declaration``), kept on the filing.

    ``post`` (issue 19): the code of the post the person is appointed to, the CQO's by
    default. For a post with several holders a change names the holder it replaces
    (``replaces``, one of :func:`current_holders`); for a single-holder post the current
    holder is found as for the CQO. The senior-manager rule applies only where the post says
    so. Raises ``ValidationError`` (``not_senior_manager``, ``open_filing_exists``,
    ``no_current``, ``change_before_current``, ``unknown_post``)."""
    if post != CQO_POST:
        _post(post)
    replace_current = replace_current or replaces is not None
    if not is_senior_manager and _senior_manager_required(post):
        raise _senior_manager_refused(post)
    if replace_current:
        replaces = _holder_concerned(enterprise, post, replaces)
    _require_no_open_filing(enterprise, post, holder=replaces)
    if replace_current and replaces is None:
        raise _no_holder(
            post,
            _("该企业没有在任的首席质量官，请提交聘任备案。"),
            _("该企业没有在任的%(post)s，请提交聘任备案。"),
        )
    if replaces is not None and appointed_on < replaces.appointed_on:
        raise ValidationError(
            _("新首席质量官的聘任日期不能早于现任的聘任日期（%(day)s）。")
            % {"day": replaces.appointed_on},
            code="change_before_current",
        )
    appointment = Appointment(
        enterprise=enterprise,
        person=person,
        post_id=post,
        position=position,
        appointed_on=appointed_on,
        is_senior_manager=is_senior_manager,
        is_principal=is_principal,
        departments=list(departments or []),
    )
    if letter is not None:
        appointment.letter = letter
    save_validated(appointment, actor)
    filing = Filing(
        kind=FilingKind.CHANGE if replaces else FilingKind.APPOINT,
        enterprise=enterprise,
        appointment=appointment,
        replaces=replaces,
        end_date=appointed_on if replaces else None,
        end_reason=end_reason if replaces else "",
        declared_person=dict(declared_person or {}),
        created_by=actor,
    )
    save_validated(filing, actor)
    _record(filing, action="create", from_status="", actor=actor)
    return filing


@transaction.atomic
def filing_create_dismissal(
    *,
    enterprise,
    end_date: date,
    end_reason: str = EndReason.DISMISSED,
    actor=None,
    post: str = CQO_POST,
    appointment: Appointment | None = None,
) -> Filing:
    """Draft a ``dismiss`` filing for the enterprise's current CQO — or, with ``post``
    (issue 19), its current holder of that post; for a post with several holders
    ``appointment`` names the holder (one of :func:`current_holders`). Raises
    ``ValidationError`` (``no_current``, ``open_filing_exists``, ``end_before_start``)."""
    appointment = _holder_concerned(enterprise, post, appointment)
    _require_no_open_filing(enterprise, post, holder=appointment)
    if appointment is None:
        raise _no_holder(post, _("该企业没有在任的首席质量官。"), _("该企业没有在任的%(post)s。"))
    if end_date < appointment.appointed_on:
        raise ValidationError(
            _("解聘日期不能早于聘任日期（%(day)s）。") % {"day": appointment.appointed_on},
            code="end_before_start",
        )
    filing = Filing(
        kind=FilingKind.DISMISS,
        enterprise=enterprise,
        appointment=appointment,
        end_date=end_date,
        end_reason=end_reason,
        created_by=actor,
    )
    save_validated(filing, actor)
    _record(filing, action="create", from_status="", actor=actor)
    return filing
