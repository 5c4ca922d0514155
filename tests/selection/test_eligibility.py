"""The eligibility rule of the excellent-CQO selection, one failing condition at a time."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from appointments.models import (
    EndReason,
    IncidentSource,
    QualityIncident,
    Sanction,
    SanctionKind,
    Severity,
)
from tests.factories import (
    AppointmentFactory,
    EnterpriseFactory,
    FilingFactory,
    TrainingAttendanceFactory,
    TrainingSessionFactory,
)
from training import selection
from training.models import Nomination, NominationSource

pytestmark = pytest.mark.django_db


def check(appointment, campaign):
    return selection.eligibility_check(appointment=appointment, campaign=campaign)


def sanction(appointment, day, actor, kind=SanctionKind.INTERVIEW):
    return Sanction.objects.create(
        appointment=appointment, kind=kind, reason="履职不到位", decided_on=day, decided_by=actor
    )


def incident(enterprise, day, actor, severity=Severity.MAJOR):
    return QualityIncident.objects.create(
        enterprise=enterprise,
        occurred_on=day,
        severity=severity,
        source=IncidentSource.SPOT_CHECK,
        description="监督抽查不合格",
        recorded_by=actor,
    )


def test_filed_trained_clean_cqo_is_eligible(home_appointment, campaign):
    result = check(home_appointment, campaign)
    assert result.eligible
    assert result.reasons == []


def test_appointment_filed_after_period_end_is_not_eligible(home_enterprise, campaign):
    appointment = AppointmentFactory(
        enterprise=EnterpriseFactory(town=home_enterprise.town), appointed_on=date(2024, 1, 10)
    )
    TrainingAttendanceFactory(person=appointment.person)
    result = check(appointment, campaign)
    assert not result.filed and not result.eligible
    assert "考察期末不是已备案的现任首席质量官" in result.reasons


def in_town(town, **kwargs):
    # A town of the cast, not a new one per record (the town factory's codes are finite).
    return AppointmentFactory(enterprise=EnterpriseFactory(town=town), **kwargs)


def test_appointment_ended_before_period_end_is_not_eligible(campaign, home_town):
    appointment = in_town(home_town, ended_on=date(2023, 6, 30), end_reason=EndReason.LEFT)
    TrainingAttendanceFactory(person=appointment.person)
    assert not check(appointment, campaign).filed


def test_unfiled_appointment_is_not_eligible(campaign, home_town):
    appointment = in_town(home_town, filed_on=None)
    TrainingAttendanceFactory(person=appointment.person)
    assert not check(appointment, campaign).filed


def test_cqo_without_passed_training_is_not_eligible(campaign, home_town):
    appointment = FilingFactory(appointment=in_town(home_town)).appointment
    TrainingAttendanceFactory(person=appointment.person, passed=False)
    result = check(appointment, campaign)
    assert result.filed and not result.trained and not result.eligible
    assert result.reasons == ["考察期末前没有培训合格记录"]


def test_training_passed_after_period_end_does_not_count(campaign, home_town):
    appointment = FilingFactory(appointment=in_town(home_town)).appointment
    late = TrainingSessionFactory(starts_on=date(2024, 3, 1), ends_on=date(2024, 3, 2))
    TrainingAttendanceFactory(person=appointment.person, session=late)
    assert not check(appointment, campaign).trained


def test_sanction_within_period_makes_ineligible(home_appointment, campaign, reviewer):
    sanction(home_appointment, date(2023, 5, 1), reviewer, kind=SanctionKind.WARNING)
    result = check(home_appointment, campaign)
    assert result.sanctioned and not result.eligible
    assert result.reasons == ["考察期内受到约谈、警示或退出处理"]


def test_sanction_outside_period_does_not_count(home_appointment, campaign, reviewer):
    sanction(home_appointment, date(2022, 12, 31), reviewer)
    assert check(home_appointment, campaign).eligible


def test_sanction_of_the_person_at_another_enterprise_counts(home_appointment, campaign, reviewer):
    earlier = in_town(
        home_appointment.enterprise.town,
        person=home_appointment.person,
        appointed_on=date(2020, 1, 1),
        filed_on=date(2020, 1, 5),
        ended_on=date(2023, 12, 31),
        end_reason=EndReason.LEFT,
    )
    sanction(earlier, date(2023, 3, 1), reviewer)
    assert check(home_appointment, campaign).sanctioned


def test_major_incident_within_period_makes_ineligible(home_appointment, campaign, reviewer):
    incident(home_appointment.enterprise, date(2023, 8, 8), reviewer)
    result = check(home_appointment, campaign)
    assert result.major_incident and not result.eligible
    assert result.reasons == ["考察期内企业发生重大质量安全事故"]


def test_lesser_or_out_of_period_incidents_do_not_count(home_appointment, campaign, reviewer):
    incident(home_appointment.enterprise, date(2023, 8, 8), reviewer, severity=Severity.SERIOUS)
    incident(home_appointment.enterprise, date(2024, 1, 2), reviewer)
    incident(home_appointment.enterprise, date(2022, 12, 31), reviewer)
    assert check(home_appointment, campaign).eligible


def test_another_enterprises_major_incident_does_not_count(
    home_appointment, outsider_enterprise, campaign, reviewer
):
    incident(outsider_enterprise, date(2023, 8, 8), reviewer)
    assert check(home_appointment, campaign).eligible


def test_list_marks_agree_with_single_check_in_one_query(county, campaign, reviewer):
    incident(county.outsider_enterprise, date(2023, 8, 8), reviewer)
    sanction(county.second_home_appointment, date(2023, 2, 2), reviewer)
    for appointment in (
        county.home_appointment,
        county.second_home_appointment,
        county.outsider_appointment,
    ):
        Nomination.objects.create(
            campaign=campaign,
            appointment=appointment,
            source=NominationSource.TOWN,
            nominated_by=reviewer,
            statement="推荐理由足够长的说明文字",
        )
    with CaptureQueriesContext(connection) as queries:
        rows = list(selection.with_eligibility(campaign.nominations.all()))
        listed = {row.appointment_id: selection.eligibility_of(row) for row in rows}
    assert len(queries) == 1
    for row in rows:
        assert listed[row.appointment_id] == check(row.appointment, campaign)
    assert listed[county.home_appointment.pk].eligible
    assert listed[county.second_home_appointment.pk].sanctioned
    assert listed[county.outsider_appointment.pk].major_incident
