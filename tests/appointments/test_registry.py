"""The registry's date rules (``appointments.registry``) on the edge cases of the SPEC's words:
established on D, deregistered on D, approved after D, appointed after D, ended on D; the one
"vacant since" and the overdue limit."""

from datetime import date, datetime, timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from appointments import registry
from appointments.models import Appointment
from enterprises.models import Enterprise
from tests.factories import AppointmentFactory, EnterpriseFactory

pytestmark = pytest.mark.django_db

D = date(2021, 6, 30)


def active_ids(day):
    return set(Enterprise.objects.filter(registry.active_on(day)).values_list("pk", flat=True))


def filed_ids(day):
    return set(
        Appointment.objects.filter(registry.filed_current_on(day)).values_list("pk", flat=True)
    )


# --- active at D (SPEC §3) --------------------------------------------------------------


@pytest.mark.parametrize(
    ("established_on", "deregistered_on", "active"),
    [
        (None, None, True),  # both empty
        (D, None, True),  # established on D: ≤ D
        (D + timedelta(days=1), None, False),  # established after D
        (None, D, False),  # deregistered on D: not > D
        (None, D + timedelta(days=1), True),  # deregistered after D
        (D - timedelta(days=10), D - timedelta(days=1), False),  # gone before D
    ],
)
def test_active_on_edges(established_on, deregistered_on, active):
    enterprise = EnterpriseFactory(established_on=established_on, deregistered_on=deregistered_on)
    assert (enterprise.pk in active_ids(D)) is active
    # The model's own one-row form says the same.
    assert enterprise.is_active_on(D) is active


def test_active_on_through_a_relation():
    appointment = AppointmentFactory(enterprise=EnterpriseFactory(deregistered_on=D))
    rows = Appointment.objects.filter(registry.active_on(D, prefix="enterprise__"))
    assert appointment not in rows
    assert appointment in Appointment.objects.filter(
        registry.active_on(D - timedelta(days=1), prefix="enterprise__")
    )


# --- filed current appointment at D (SPEC §3) --------------------------------------------


@pytest.mark.parametrize(
    ("appointed_on", "filed_on", "ended_on", "filed"),
    [
        (D - timedelta(days=30), D - timedelta(days=20), None, True),
        (D - timedelta(days=30), D, None, True),  # approved on D
        (D - timedelta(days=30), D + timedelta(days=1), None, False),  # approved after D
        (D - timedelta(days=30), None, None, False),  # never approved
        (D, D, None, True),  # appointed on D
        (D + timedelta(days=1), D, None, False),  # appointed after D (filed ahead)
        (D - timedelta(days=30), D - timedelta(days=20), D, False),  # ended on D
        (D - timedelta(days=30), D - timedelta(days=20), D + timedelta(days=1), True),
    ],
)
def test_filed_current_on_edges(appointed_on, filed_on, ended_on, filed):
    appointment = AppointmentFactory(
        appointed_on=appointed_on,
        filed_on=filed_on,
        ended_on=ended_on,
        end_reason="dismissed" if ended_on else "",
    )
    assert (appointment.pk in filed_ids(D)) is filed
    assert (
        appointment.enterprise_id
        in set(registry.filed_cqo_enterprise_ids(D).values_list("enterprise_id", flat=True))
    ) is filed
    has = Enterprise.objects.filter(registry.has_filed_cqo(D), pk=appointment.enterprise_id)
    assert has.exists() is filed


# --- vacancies and "vacant since" (SPEC §2) ------------------------------------------------


def since(enterprise, day=D, *, per_row=False):
    row = registry.vacant_enterprises(day, per_row=per_row).filter(pk=enterprise.pk).first()
    return None if row is None else row.vacancy_start


def created_on(enterprise):
    return timezone.localdate(enterprise.created_at)


def set_created(enterprise, day: date):
    moment = timezone.make_aware(datetime.combine(day, datetime.min.time()).replace(hour=9))
    Enterprise.objects.filter(pk=enterprise.pk).update(created_at=moment)


@pytest.mark.parametrize("per_row", [False, True])
def test_vacant_only_when_required_active_and_without_filed_cqo(per_row):
    vacant = EnterpriseFactory()
    not_required = EnterpriseFactory(scale="sme", requires_cqo=False)
    gone = EnterpriseFactory(deregistered_on=D)
    filed = AppointmentFactory(appointed_on=D - timedelta(days=5), filed_on=D).enterprise
    late = AppointmentFactory(
        appointed_on=D - timedelta(days=5), filed_on=D + timedelta(days=1)
    ).enterprise
    rows = set(registry.vacant_enterprises(D, per_row=per_row).values_list("pk", flat=True))
    assert vacant.pk in rows and late.pk in rows
    assert not rows & {not_required.pk, gone.pk, filed.pk}


def test_vacant_since_establishment_when_the_record_has_one():
    enterprise = EnterpriseFactory(established_on=date(2015, 3, 2))
    assert since(enterprise) == date(2015, 3, 2)


def test_vacant_since_the_record_was_created_without_an_establishment_date():
    enterprise = EnterpriseFactory(established_on=None)
    set_created(enterprise, date(2020, 4, 1))
    assert since(enterprise) == date(2020, 4, 1)


def test_vacant_since_the_last_filed_appointment_ended():
    enterprise = EnterpriseFactory(established_on=date(2015, 3, 2))
    for start, end in [(date(2019, 1, 2), date(2020, 2, 3)), (date(2020, 3, 1), date(2021, 5, 31))]:
        AppointmentFactory(
            enterprise=enterprise, appointed_on=start, ended_on=end, end_reason="dismissed"
        )
    assert since(enterprise) == date(2021, 5, 31)
    assert registry.days_vacant(since(enterprise), D) == 30


def test_an_end_after_d_or_a_filing_after_d_does_not_count():
    enterprise = EnterpriseFactory(established_on=date(2015, 3, 2))
    AppointmentFactory(  # ended on D: vacant from D
        enterprise=enterprise, appointed_on=date(2020, 1, 6), ended_on=D, end_reason="dismissed"
    )
    assert since(enterprise) == D
    unfiled = EnterpriseFactory(established_on=date(2016, 1, 1))
    AppointmentFactory(  # approved only after D: the registry did not know it at D
        enterprise=unfiled,
        appointed_on=date(2020, 1, 6),
        filed_on=D + timedelta(days=3),
        ended_on=D - timedelta(days=1),
        end_reason="dismissed",
    )
    assert since(unfiled) == date(2016, 1, 1)


def test_vacant_since_never_later_than_d():
    # Replaying a date before the record was created: vacant since D, 0 days.
    enterprise = EnterpriseFactory(established_on=None)
    assert created_on(enterprise) > D
    assert since(enterprise) == D
    assert registry.days_vacant(since(enterprise), D) == 0


@pytest.mark.parametrize("per_row", [False, True])
def test_both_forms_give_the_same_rows_and_dates(per_row):
    EnterpriseFactory(established_on=None)
    EnterpriseFactory(established_on=date(2012, 5, 5))
    AppointmentFactory(ended_on=date(2021, 2, 1), end_reason="left")
    by_count = dict(registry.vacant_enterprises(D).values_list("pk", "vacancy_start"))
    by_row = dict(registry.vacant_enterprises(D, per_row=True).values_list("pk", "vacancy_start"))
    assert by_count == by_row and len(by_count) == 3


def test_overdue_is_older_than_the_limit():
    limit = settings.CQO_VACANCY_LIMIT_DAYS
    at_limit = EnterpriseFactory(established_on=D - timedelta(days=limit))
    past_limit = EnterpriseFactory(established_on=D - timedelta(days=limit + 1))
    overdue = set(
        registry.vacant_enterprises(D).filter(registry.overdue(D)).values_list("pk", flat=True)
    )
    assert past_limit.pk in overdue and at_limit.pk not in overdue
    assert registry.is_overdue(D - timedelta(days=limit + 1), D)
    assert not registry.is_overdue(D - timedelta(days=limit), D)
