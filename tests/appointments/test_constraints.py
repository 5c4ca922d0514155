"""Rules the database itself enforces (SPEC §2): they hold even for code that skips
full_clean(), such as bulk imports or a shell session. Rows are written with
``objects.create`` on purpose."""

from datetime import date

import pytest
from django.db import IntegrityError, transaction

from appointments.models import Appointment, EndReason, Filing, FilingKind, FilingStatus
from enterprises.models import Enterprise, Person, Scale
from tests.factories import (
    AppointmentFactory,
    EnterpriseFactory,
    FilingFactory,
    PersonFactory,
    TownFactory,
    TrainingSessionFactory,
    UserFactory,
    make_id_number,
    make_uscc,
)
from training.models import TrainingSession

pytestmark = pytest.mark.django_db


def appointment_kwargs(enterprise, **overrides):
    values = {
        "enterprise": enterprise,
        "person": PersonFactory(),
        "position": "总经理",
        "appointed_on": date(2022, 3, 1),
    }
    values.update(overrides)
    return values


# --- One current appointment per enterprise ---------------------------------------------------


def test_second_current_appointment_for_one_enterprise_is_refused():
    current = AppointmentFactory()
    with transaction.atomic(), pytest.raises(IntegrityError):
        Appointment.objects.create(
            **appointment_kwargs(current.enterprise, filed_on=date(2022, 3, 5))
        )
    assert Appointment.objects.filter(enterprise=current.enterprise).count() == 1


def test_pending_appointment_next_to_current_one_is_allowed():
    # A change filing drafts the new appointment while the old one is still current.
    current = AppointmentFactory()
    Appointment.objects.create(**appointment_kwargs(current.enterprise, filed_on=None))
    assert Appointment.objects.filter(enterprise=current.enterprise).count() == 2


def test_ended_appointment_next_to_current_one_is_allowed():
    current = AppointmentFactory()
    Appointment.objects.create(
        **appointment_kwargs(
            current.enterprise,
            appointed_on=date(2018, 1, 1),
            filed_on=date(2018, 1, 5),
            ended_on=date(2020, 12, 31),
            end_reason=EndReason.LEFT,
        )
    )
    assert Appointment.objects.filter(enterprise=current.enterprise).count() == 2


def test_current_appointments_of_different_enterprises_are_allowed():
    first = AppointmentFactory()
    second_enterprise = EnterpriseFactory(town=first.enterprise.town)
    Appointment.objects.create(**appointment_kwargs(second_enterprise, filed_on=date(2022, 3, 5)))


# --- Appointment dates and end reason -----------------------------------------------------------


def test_appointment_ending_before_it_starts_is_refused():
    enterprise = EnterpriseFactory()
    with transaction.atomic(), pytest.raises(IntegrityError):
        Appointment.objects.create(
            **appointment_kwargs(
                enterprise, ended_on=date(2022, 2, 28), end_reason=EndReason.DISMISSED
            )
        )


def test_appointment_ending_on_its_first_day_is_allowed():
    enterprise = EnterpriseFactory()
    Appointment.objects.create(
        **appointment_kwargs(enterprise, ended_on=date(2022, 3, 1), end_reason=EndReason.LEFT)
    )


def test_end_without_reason_is_refused():
    enterprise = EnterpriseFactory()
    with transaction.atomic(), pytest.raises(IntegrityError):
        Appointment.objects.create(**appointment_kwargs(enterprise, ended_on=date(2022, 6, 1)))


def test_reason_without_end_is_refused():
    enterprise = EnterpriseFactory()
    with transaction.atomic(), pytest.raises(IntegrityError):
        Appointment.objects.create(**appointment_kwargs(enterprise, end_reason=EndReason.DISMISSED))


# --- Unique identifiers -----------------------------------------------------------------------


def test_duplicate_uscc_is_refused():
    existing = EnterpriseFactory()
    with transaction.atomic(), pytest.raises(IntegrityError):
        Enterprise.objects.create(
            uscc=existing.uscc, name="另一家公司", town=existing.town, industry="C", scale="sme"
        )


def test_duplicate_id_number_is_refused():
    existing = PersonFactory()
    with transaction.atomic(), pytest.raises(IntegrityError):
        Person.objects.create(name="重名", id_number=existing.id_number)


def test_lower_case_uscc_is_refused():
    # The unique index compares exact strings: only one spelling may be stored.
    town = TownFactory()
    with transaction.atomic(), pytest.raises(IntegrityError):
        Enterprise.objects.create(
            uscc="9144030071526726xg", name="小写代码", town=town, industry="C", scale="sme"
        )


def test_lower_case_x_in_id_number_is_stored_upper_case_and_stays_unique():
    # Encrypted, the number cannot be checked by the database (issue 14 §2): the field stores
    # the one spelling, and the lookup hash is unique whatever the case typed.
    person = Person.objects.create(name="小写", id_number="11010519491231002x")
    person.refresh_from_db()
    assert person.id_number == "11010519491231002X"
    with transaction.atomic(), pytest.raises(IntegrityError):
        Person.objects.create(name="大写", id_number="11010519491231002X")


def test_duplicate_filing_number_is_refused():
    existing = FilingFactory()
    other = AppointmentFactory(filed_on=None)
    with transaction.atomic(), pytest.raises(IntegrityError):
        Filing.objects.create(
            kind=FilingKind.APPOINT,
            status=FilingStatus.APPROVED,
            enterprise=other.enterprise,
            appointment=other,
            number=existing.number,
            approved_on=date(2022, 3, 5),
        )


def test_duplicate_year_and_sequence_is_refused():
    existing = FilingFactory()
    other = AppointmentFactory(filed_on=None)
    with transaction.atomic(), pytest.raises(IntegrityError):
        Filing.objects.create(
            kind=FilingKind.APPOINT,
            status=FilingStatus.APPROVED,
            enterprise=other.enterprise,
            appointment=other,
            number="另一个编号",
            number_year=existing.number_year,
            number_seq=existing.number_seq,
            approved_on=date(2022, 3, 5),
        )


def test_many_filings_without_number_are_allowed():
    first = FilingFactory(draft=True)
    second = FilingFactory(draft=True)
    assert first.number is None and second.number is None


def test_approved_filing_without_date_is_refused():
    appointment = AppointmentFactory(filed_on=None)
    with transaction.atomic(), pytest.raises(IntegrityError):
        Filing.objects.create(
            kind=FilingKind.APPOINT,
            status=FilingStatus.APPROVED,
            enterprise=appointment.enterprise,
            appointment=appointment,
        )


def test_dismiss_filing_without_end_date_is_refused():
    appointment = AppointmentFactory()
    with transaction.atomic(), pytest.raises(IntegrityError):
        Filing.objects.create(
            kind=FilingKind.DISMISS,
            enterprise=appointment.enterprise,
            appointment=appointment,
            end_reason=EndReason.DISMISSED,
        )


# --- Enterprise -------------------------------------------------------------------------------


def test_above_scale_enterprise_not_requiring_cqo_is_refused():
    town = TownFactory()
    with transaction.atomic(), pytest.raises(IntegrityError):
        Enterprise.objects.create(
            uscc=make_uscc(900_001),
            name="规上企业",
            town=town,
            industry="C",
            scale=Scale.ABOVE,
            requires_cqo=False,
        )


def test_sme_not_requiring_cqo_is_allowed():
    town = TownFactory()
    Enterprise.objects.create(
        uscc=make_uscc(900_002),
        name="小企业",
        town=town,
        industry="C",
        scale=Scale.SME,
        requires_cqo=False,
    )


def test_deregistered_before_established_is_refused():
    town = TownFactory()
    with transaction.atomic(), pytest.raises(IntegrityError):
        Enterprise.objects.create(
            uscc=make_uscc(900_003),
            name="注销企业",
            town=town,
            industry="C",
            scale=Scale.SME,
            established_on=date(2020, 5, 1),
            deregistered_on=date(2020, 4, 30),
        )


def test_deregistered_without_established_date_is_allowed():
    town = TownFactory()
    Enterprise.objects.create(
        uscc=make_uscc(900_004),
        name="注销企业",
        town=town,
        industry="C",
        scale=Scale.SME,
        deregistered_on=date(2020, 4, 30),
    )


def test_duplicate_town_code_is_refused_but_blank_codes_are_allowed():
    existing = TownFactory()
    TownFactory(name="新建镇一", code="")
    TownFactory(name="新建镇二", code="")
    with transaction.atomic(), pytest.raises(IntegrityError):
        TownFactory(name="另一个镇", code=existing.code)


# --- Training and users -----------------------------------------------------------------------


def test_training_session_ending_before_it_starts_is_refused():
    with transaction.atomic(), pytest.raises(IntegrityError):
        TrainingSession.objects.create(
            title="质量月培训", starts_on=date(2021, 9, 10), ends_on=date(2021, 9, 9)
        )


def test_training_session_title_and_start_are_unique():
    session = TrainingSessionFactory()
    with transaction.atomic(), pytest.raises(IntegrityError):
        TrainingSession.objects.create(
            title=session.title, starts_on=session.starts_on, ends_on=session.ends_on
        )


def test_enterprise_user_without_enterprise_is_refused():
    with transaction.atomic(), pytest.raises(IntegrityError):
        UserFactory(username="lost", role="enterprise")


def test_town_officer_without_town_is_refused():
    with transaction.atomic(), pytest.raises(IntegrityError):
        UserFactory(username="lost", role="town_officer")


def test_person_ids_from_the_factory_are_unique():
    assert len({make_id_number(n) for n in range(3000)}) == 3000
