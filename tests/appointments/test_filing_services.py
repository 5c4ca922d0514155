"""The filing workflow (appointments/services.py): draft → submit → approve / return /
withdraw, numbers, change and dismissal filings, timeliness, and who did what."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.utils import timezone

from appointments.models import (
    Appointment,
    EndReason,
    Filing,
    FilingKind,
    FilingNumberCounter,
    FilingStatus,
)
from appointments.services import (
    current_appointment,
    filing_approve,
    filing_create_appointment,
    filing_create_dismissal,
    filing_return,
    filing_submit,
    filing_withdraw,
)
from tests.factories import (
    AppointmentFactory,
    EnterpriseFactory,
    PersonFactory,
    UserFactory,
    pdf_letter,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk(db):
    """The enterprise user who files."""
    return UserFactory(username="clerk", enterprise_user=True)


@pytest.fixture
def reviewer(db):
    return UserFactory(username="reviewer", reviewer=True)


def today() -> date:
    return timezone.localdate()


def draft(enterprise=None, *, actor, appointed_on=None, **kwargs) -> Filing:
    """An appoint filing in draft, with its letter unless told ``letter=None``."""
    kwargs.setdefault("letter", pdf_letter())
    return filing_create_appointment(
        enterprise=enterprise or EnterpriseFactory(),
        person=kwargs.pop("person", None) or PersonFactory(),
        position=kwargs.pop("position", "副总经理"),
        appointed_on=appointed_on or today() - timedelta(days=5),
        is_senior_manager=kwargs.pop("is_senior_manager", True),
        actor=actor,
        **kwargs,
    )


def submitted(enterprise=None, *, actor, **kwargs) -> Filing:
    return filing_submit(filing=draft(enterprise, actor=actor, **kwargs), actor=actor)


def number(seq: int) -> str:
    return f"质备〔{today().year}〕{seq:04d}号"


# --- The happy path ---------------------------------------------------------------------------


def test_create_makes_a_draft_and_a_pending_appointment(clerk):
    filing = draft(actor=clerk, departments=["safety", "management"], is_principal=True)

    assert filing.kind == FilingKind.APPOINT
    assert filing.status == FilingStatus.DRAFT
    assert filing.created_by == clerk
    assert filing.number is None
    appointment = filing.appointment
    assert appointment.filed_on is None
    assert appointment.is_principal is True
    assert appointment.departments == ["safety", "management"]
    assert current_appointment(filing.enterprise) is None


def test_submit_records_time_and_days_to_submit(clerk):
    filing = draft(actor=clerk, appointed_on=today() - timedelta(days=12))

    filing = filing_submit(filing=filing, actor=clerk)

    assert filing.status == FilingStatus.SUBMITTED
    assert filing.submitted_at is not None
    assert filing.days_to_submit == 12
    assert filing.is_late is False


def test_approve_assigns_number_and_files_the_appointment(clerk, reviewer):
    filing = submitted(actor=clerk)

    filing = filing_approve(filing=filing, actor=reviewer)

    assert filing.status == FilingStatus.APPROVED
    assert filing.number == number(1)
    assert (filing.number_year, filing.number_seq) == (today().year, 1)
    assert filing.approved_on == today()
    assert filing.reviewed_by == reviewer
    assert filing.reviewed_at is not None
    appointment = Appointment.objects.get(pk=filing.appointment_id)
    assert appointment.filed_on == today()
    assert current_appointment(filing.enterprise) == appointment


def test_approved_numbers_are_sequential_within_the_year(clerk, reviewer):
    numbers = [filing_approve(filing=submitted(actor=clerk), actor=reviewer).number for _ in "abc"]

    assert numbers == [number(1), number(2), number(3)]
    assert FilingNumberCounter.objects.get(year=today().year).last == 3


def test_numbers_restart_in_a_new_year(clerk, reviewer):
    # Last year's counter does not affect this year's numbers.
    FilingNumberCounter.objects.create(year=today().year - 1, last=41)

    filing = filing_approve(filing=submitted(actor=clerk), actor=reviewer)

    assert filing.number == number(1)


def test_events_record_each_transition_with_its_actor(clerk, reviewer):
    filing = submitted(actor=clerk)
    filing_approve(filing=filing, actor=reviewer)

    events = list(filing.events.values_list("action", "from_status", "to_status", "actor"))
    assert events == [
        ("create", "", "draft", clerk.pk),
        ("submit", "draft", "submitted", clerk.pk),
        ("approve", "submitted", "approved", reviewer.pk),
    ]


def test_history_rows_record_the_acting_user(clerk, reviewer):
    filing = submitted(actor=clerk)
    assert filing.history.first().history_user == clerk
    assert filing.appointment.history.first().history_user == clerk

    filing_approve(filing=filing, actor=reviewer)

    filing.refresh_from_db()
    assert filing.history.first().history_user == reviewer
    assert filing.history.first().status == FilingStatus.APPROVED
    assert filing.appointment.history.first().history_user == reviewer
    assert filing.appointment.history.first().filed_on == today()


# --- Return, resubmit, withdraw ---------------------------------------------------------------


@pytest.mark.parametrize("reasons", ["", "   "])
def test_return_requires_reasons(clerk, reviewer, reasons):
    filing = submitted(actor=clerk)

    with pytest.raises(ValidationError) as excinfo:
        filing_return(filing=filing, reasons=reasons, actor=reviewer)

    assert excinfo.value.code == "reasons_required"
    filing.refresh_from_db()
    assert filing.status == FilingStatus.SUBMITTED


def test_returned_filing_can_be_resubmitted_and_approved(clerk, reviewer):
    filing = submitted(actor=clerk)

    filing = filing_return(filing=filing, reasons="聘任文件未盖章", actor=reviewer)
    assert filing.status == FilingStatus.RETURNED
    assert filing.return_reasons == "聘任文件未盖章"
    assert filing.reviewed_by == reviewer

    filing = filing_submit(filing=filing, actor=clerk)
    assert filing.status == FilingStatus.SUBMITTED

    filing = filing_approve(filing=filing, actor=reviewer)
    assert filing.number == number(1)
    actions = list(filing.events.values_list("action", flat=True))
    assert actions == ["create", "submit", "return", "resubmit", "approve"]
    assert filing.events.get(action="return").note == "聘任文件未盖章"


def test_approving_a_returned_filing_is_refused(clerk, reviewer):
    filing = filing_return(filing=submitted(actor=clerk), reasons="缺少材料", actor=reviewer)

    with pytest.raises(ValidationError) as excinfo:
        filing_approve(filing=filing, actor=reviewer)

    assert excinfo.value.code == "wrong_status"
    filing.refresh_from_db()
    assert filing.status == FilingStatus.RETURNED
    assert filing.number is None


def test_approving_twice_is_refused_and_keeps_the_first_number(clerk, reviewer):
    filing = filing_approve(filing=submitted(actor=clerk), actor=reviewer)

    with pytest.raises(ValidationError) as excinfo:
        filing_approve(filing=filing, actor=reviewer)

    assert excinfo.value.code == "wrong_status"
    filing.refresh_from_db()
    assert filing.number == number(1)
    assert FilingNumberCounter.objects.get(year=today().year).last == 1


def test_approving_a_draft_is_refused(clerk, reviewer):
    with pytest.raises(ValidationError):
        filing_approve(filing=draft(actor=clerk), actor=reviewer)


@pytest.mark.parametrize("stage", ["draft", "submitted", "returned"])
def test_withdraw_from_any_open_state(clerk, reviewer, stage):
    filing = draft(actor=clerk)
    if stage in {"submitted", "returned"}:
        filing = filing_submit(filing=filing, actor=clerk)
    if stage == "returned":
        filing = filing_return(filing=filing, reasons="重填", actor=reviewer)

    filing = filing_withdraw(filing=filing, actor=clerk)

    assert filing.status == FilingStatus.WITHDRAWN
    assert filing.events.last().action == "withdraw"
    assert filing.events.last().from_status == stage


def test_withdrawn_filing_can_be_neither_submitted_nor_approved(clerk, reviewer):
    filing = filing_withdraw(filing=submitted(actor=clerk), actor=clerk)

    with pytest.raises(ValidationError):
        filing_submit(filing=filing, actor=clerk)
    with pytest.raises(ValidationError):
        filing_approve(filing=filing, actor=reviewer)
    with pytest.raises(ValidationError):
        filing_withdraw(filing=filing, actor=clerk)


def test_approved_filing_cannot_be_withdrawn(clerk, reviewer):
    filing = filing_approve(filing=submitted(actor=clerk), actor=reviewer)

    with pytest.raises(ValidationError):
        filing_withdraw(filing=filing, actor=clerk)


# --- Change and dismissal ---------------------------------------------------------------------


def test_change_filing_ends_the_old_appointment_and_files_the_new_one(clerk, reviewer):
    old = AppointmentFactory(appointed_on=date(2021, 1, 4))
    enterprise = old.enterprise
    new_start = today() - timedelta(days=3)

    filing = draft(enterprise, actor=clerk, appointed_on=new_start, replace_current=True)
    assert filing.kind == FilingKind.CHANGE
    assert filing.replaces == old
    # Until approval, the old CQO stays current.
    assert current_appointment(enterprise) == old

    filing = filing_approve(filing=filing_submit(filing=filing, actor=clerk), actor=reviewer)

    old.refresh_from_db()
    assert old.ended_on == new_start
    assert old.end_reason == EndReason.REASSIGNED
    new = Appointment.objects.get(pk=filing.appointment_id)
    assert new.filed_on == today()
    assert current_appointment(enterprise) == new
    assert old.history.first().history_user == reviewer


def test_change_filing_keeps_the_given_end_reason(clerk, reviewer):
    old = AppointmentFactory()
    filing = draft(old.enterprise, actor=clerk, replace_current=True, end_reason=EndReason.LEFT)

    filing_approve(filing=filing_submit(filing=filing, actor=clerk), actor=reviewer)

    old.refresh_from_db()
    assert old.end_reason == EndReason.LEFT


def test_change_without_current_cqo_is_refused(clerk):
    with pytest.raises(ValidationError) as excinfo:
        draft(actor=clerk, replace_current=True)
    assert excinfo.value.code == "no_current"


def test_change_dated_before_the_current_appointment_is_refused(clerk):
    old = AppointmentFactory(appointed_on=date(2022, 6, 1))
    with pytest.raises(ValidationError) as excinfo:
        draft(old.enterprise, actor=clerk, appointed_on=date(2022, 5, 31), replace_current=True)
    assert excinfo.value.code == "change_before_current"
    assert Appointment.objects.filter(enterprise=old.enterprise).count() == 1


def test_dismissal_ends_the_appointment_and_leaves_no_current_cqo(clerk, reviewer):
    appointment = AppointmentFactory(appointed_on=date(2021, 1, 4))
    enterprise = appointment.enterprise
    end = today() - timedelta(days=2)

    filing = filing_create_dismissal(enterprise=enterprise, end_date=end, actor=clerk)
    assert filing.kind == FilingKind.DISMISS
    assert filing.appointment == appointment
    filing = filing_submit(filing=filing, actor=clerk)
    assert filing.days_to_submit == 2

    filing = filing_approve(filing=filing, actor=reviewer)

    appointment.refresh_from_db()
    assert appointment.ended_on == end
    assert appointment.end_reason == EndReason.DISMISSED
    assert filing.number == number(1)
    assert current_appointment(enterprise) is None


def test_dismissal_without_current_cqo_is_refused(clerk):
    with pytest.raises(ValidationError) as excinfo:
        filing_create_dismissal(enterprise=EnterpriseFactory(), end_date=today(), actor=clerk)
    assert excinfo.value.code == "no_current"


def test_dismissal_before_the_appointment_date_is_refused(clerk):
    appointment = AppointmentFactory(appointed_on=date(2022, 6, 1))
    with pytest.raises(ValidationError) as excinfo:
        filing_create_dismissal(
            enterprise=appointment.enterprise, end_date=date(2022, 5, 1), actor=clerk
        )
    assert excinfo.value.code == "end_before_start"


# --- Refusals that change nothing -------------------------------------------------------------


def test_approving_appoint_while_another_cqo_is_current_changes_nothing(clerk, reviewer):
    first = filing_approve(filing=submitted(actor=clerk), actor=reviewer)
    assert first.number == number(1)
    enterprise = EnterpriseFactory()
    # An appoint filing waits while a CQO gets filed by another way (a legacy import).
    loser = submitted(enterprise, actor=clerk)
    AppointmentFactory(enterprise=enterprise)

    with pytest.raises(ValidationError) as excinfo:
        filing_approve(filing=loser, actor=reviewer)

    assert excinfo.value.code == "already_current"
    loser.refresh_from_db()
    assert loser.status == FilingStatus.SUBMITTED
    assert loser.number is None
    assert loser.approved_on is None
    assert Appointment.objects.get(pk=loser.appointment_id).filed_on is None
    assert not loser.events.filter(action="approve").exists()
    # No number was consumed: the next approval follows without a gap.
    assert filing_approve(filing=submitted(actor=clerk), actor=reviewer).number == number(2)


def test_second_filing_in_progress_is_refused(clerk):
    enterprise = EnterpriseFactory()
    submitted(enterprise, actor=clerk)
    with pytest.raises(ValidationError) as excinfo:
        draft(enterprise, actor=clerk)
    assert excinfo.value.code == "open_filing_exists"
    assert Filing.objects.filter(enterprise=enterprise).count() == 1


def test_not_senior_manager_is_refused(clerk):
    enterprise = EnterpriseFactory()
    with pytest.raises(ValidationError) as excinfo:
        draft(enterprise, actor=clerk, is_senior_manager=False)
    assert excinfo.value.code == "not_senior_manager"
    assert not Appointment.objects.filter(enterprise=enterprise).exists()
    assert not Filing.objects.filter(enterprise=enterprise).exists()


def test_future_appointment_date_is_refused_on_submit(clerk):
    filing = draft(actor=clerk, appointed_on=today() + timedelta(days=1))

    with pytest.raises(ValidationError) as excinfo:
        filing_submit(filing=filing, actor=clerk)

    assert excinfo.value.code == "future_date"
    filing.refresh_from_db()
    assert filing.status == FilingStatus.DRAFT


def test_an_appointment_dated_before_the_enterprise_was_established_is_refused(clerk):
    enterprise = EnterpriseFactory(established_on=date(2015, 3, 1))
    filing = draft(enterprise, actor=clerk, appointed_on=date(1, 1, 1))
    with pytest.raises(ValidationError) as excinfo:
        filing_submit(filing=filing, actor=clerk)
    assert excinfo.value.code == "before_established"
    filing.refresh_from_db()
    assert filing.status == FilingStatus.DRAFT
    # The day it was established is a possible appointment date.
    filing.appointment.appointed_on = date(2015, 3, 1)
    filing.appointment.save()
    assert filing_submit(filing=filing, actor=clerk).status == FilingStatus.SUBMITTED


def test_future_dismissal_date_is_refused_on_submit(clerk):
    appointment = AppointmentFactory()
    filing = filing_create_dismissal(
        enterprise=appointment.enterprise, end_date=today() + timedelta(days=10), actor=clerk
    )
    with pytest.raises(ValidationError) as excinfo:
        filing_submit(filing=filing, actor=clerk)
    assert excinfo.value.code == "future_date"


def test_appointment_dated_today_can_be_submitted(clerk):
    filing = filing_submit(filing=draft(actor=clerk, appointed_on=today()), actor=clerk)
    assert filing.days_to_submit == 0


# --- Timeliness -------------------------------------------------------------------------------


def test_submission_after_the_limit_is_flagged_late(clerk, settings):
    limit = settings.CQO_FILING_LIMIT_DAYS
    on_time = submitted(actor=clerk, appointed_on=today() - timedelta(days=limit))
    late = submitted(actor=clerk, appointed_on=today() - timedelta(days=limit + 1))

    assert (on_time.days_to_submit, on_time.is_late) == (limit, False)
    assert (late.days_to_submit, late.is_late) == (limit + 1, True)


@override_settings(CQO_FILING_LIMIT_DAYS=10)
def test_late_flag_follows_the_setting(clerk):
    filing = submitted(actor=clerk, appointed_on=today() - timedelta(days=11))
    assert filing.is_late is True


@override_settings(CQO_FILING_LIMIT_DAYS=90)
def test_longer_limit_is_not_late(clerk):
    filing = submitted(actor=clerk, appointed_on=today() - timedelta(days=60))
    assert filing.is_late is False


def test_resubmission_recomputes_days_to_submit(clerk, reviewer):
    filing = submitted(actor=clerk, appointed_on=today() - timedelta(days=3))
    filing = filing_return(filing=filing, reasons="补充材料", actor=reviewer)
    filing.refresh_from_db()
    filing = filing_submit(filing=filing, actor=clerk)
    assert filing.days_to_submit == 3


@pytest.mark.parametrize("change", [False, True], ids=["appoint", "change"])
def test_submit_without_a_letter_is_refused_and_the_draft_kept(change, clerk):
    enterprise = AppointmentFactory().enterprise if change else EnterpriseFactory()
    filing = draft(enterprise, actor=clerk, letter=None, replace_current=change)
    with pytest.raises(ValidationError) as error:
        filing_submit(filing=filing, actor=clerk)
    assert error.value.code == "letter_required"
    filing.refresh_from_db()
    assert filing.status == FilingStatus.DRAFT
    assert filing.submitted_at is None
    # A dismissal has no letter to give: test_dismissal_ends_the_appointment_... submits one.
