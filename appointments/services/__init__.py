"""Workflows of appointments and filings (SPEC §2). Views, imports and tasks change these
records only through these functions; each runs in one transaction, checks the state it
starts from, and records a ``FilingEvent``. Errors are ``ValidationError`` with a message a
user can act on.

``common`` holds what the steps share (the event a step records, the open-filing guard, the
current holders), ``drafts`` creates filings, ``transitions`` moves them along ``FILING_FLOW``
and applies an approval, ``corrections`` is the portal's side (the person named, corrections of
a draft or returned filing)."""

from .common import NUMBER_FORMAT, OPEN_STATUSES, current_appointment, current_holders
from .corrections import (
    EDITABLE_APPOINTMENT_FIELDS,
    declaration,
    filing_update_draft,
    person_for_filing,
)
from .drafts import filing_create_appointment, filing_create_dismissal
from .transitions import (
    DECISION_NOTICES,
    appointment_end,
    filing_approve,
    filing_return,
    filing_submit,
    filing_withdraw,
    next_filing_seq,
)

__all__ = [
    "DECISION_NOTICES",
    "EDITABLE_APPOINTMENT_FIELDS",
    "NUMBER_FORMAT",
    "OPEN_STATUSES",
    "appointment_end",
    "current_appointment",
    "current_holders",
    "declaration",
    "filing_approve",
    "filing_create_appointment",
    "filing_create_dismissal",
    "filing_return",
    "filing_submit",
    "filing_update_draft",
    "filing_withdraw",
    "next_filing_seq",
    "person_for_filing",
]
