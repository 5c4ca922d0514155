"""A CQO's page: who may open it, what each role sees of it, masked ID numbers, and a query
count that does not grow with the record."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from appointments import sanctions
from appointments.models import EndReason, SanctionKind
from tests.factories import (
    AppointmentFactory,
    EnterpriseFactory,
    FilingFactory,
    TrainingAttendanceFactory,
)
from training.models import (
    CampaignStatus,
    Evaluation,
    EvaluationStatus,
    Grade,
    Nomination,
    NominationSource,
    NominationStatus,
    SelectionCampaign,
)

pytestmark = pytest.mark.django_db


def url(person):
    return reverse("persons:detail", args=[person.pk])


def add_record(appointment, reviewer, year: int):
    """One more year of record: an evaluation, a training, a sanction, an honour."""
    Evaluation.objects.create(
        appointment=appointment,
        year=year,
        status=EvaluationStatus.SCORED,
        total=90,
        max_total=100,
        grade=Grade.EXCELLENT,
    )
    TrainingAttendanceFactory(person=appointment.person)
    sanctions.sanction_record(
        appointment=appointment,
        kind=SanctionKind.INTERVIEW,
        reason=f"{year}年约谈",
        decided_on=date(year, 3, 1),
        actor=reviewer,
    )
    campaign = SelectionCampaign.objects.create(
        year=year,
        title=f"{year}年度优秀首席质量官评选",
        status=CampaignStatus.PUBLISHED,
        period_start=date(year, 1, 1),
        period_end=date(year, 12, 31),
    )
    Nomination.objects.create(
        campaign=campaign,
        appointment=appointment,
        source=NominationSource.ENTERPRISE,
        nominated_by=reviewer,
        statement="事迹",
        status=NominationStatus.HONOURED,
        rank=1,
    )


@pytest.mark.parametrize("role", ["bureau_admin", "reviewer"])
def test_bureau_sees_the_full_id_number(client_for, users, home_appointment, role):
    person = home_appointment.person
    page = client_for(users[role]).get(url(person)).content.decode()
    assert person.id_number in page
    assert person.mobile in page


@pytest.mark.parametrize("role", ["leader", "town_officer", "enterprise_user"])
def test_others_allowed_see_it_masked(client_for, users, home_appointment, role):
    person = home_appointment.person
    response = client_for(users[role]).get(url(person))
    assert response.status_code == 200
    page = response.content.decode()
    assert person.id_number not in page
    assert person.masked_id_number in page
    assert person.mobile not in page


@pytest.mark.parametrize(
    "role", ["outsider_town_officer", "outsider_enterprise_user", "no_role_user"]
)
def test_outsiders_get_404(client_for, users, home_appointment, role):
    assert client_for(users[role]).get(url(home_appointment.person)).status_code == 404


def test_anonymous_goes_to_login(client_for, home_appointment):
    response = client_for(None).get(url(home_appointment.person))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_other_enterprise_in_the_same_town_gets_404(
    client_for, users, second_home_appointment, enterprise_user
):
    assert client_for(enterprise_user).get(url(second_home_appointment.person)).status_code == 404
    town = client_for(users["town_officer"]).get(url(second_home_appointment.person))
    assert town.status_code == 200


def test_former_cqo_stays_visible_to_their_enterprise(client_for, users, home_enterprise, reviewer):
    former = FilingFactory(
        appointment=AppointmentFactory(
            enterprise=home_enterprise,
            appointed_on=date(2019, 1, 1),
            filed_on=date(2019, 1, 5),
            ended_on=date(2020, 12, 31),
            end_reason=EndReason.LEFT,
        )
    ).appointment
    assert client_for(users["enterprise_user"]).get(url(former.person)).status_code == 200
    assert client_for(users["town_officer"]).get(url(former.person)).status_code == 200


def test_page_shows_the_whole_record(client_for, users, home_appointment, reviewer):
    add_record(home_appointment, reviewer, 2023)
    page = client_for(users["leader"]).get(url(home_appointment.person)).content.decode()
    filing = home_appointment.filings.get()
    assert home_appointment.enterprise.name in page
    assert filing.number in page
    assert "2023年度优秀首席质量官评选" in page and "当选" in page
    assert "优秀" in page  # evaluation grade
    assert "2023年约谈" in page
    assert 'id="attendances"' in page
    assert "编辑" not in page


def test_town_and_enterprise_see_only_their_part_of_a_record(
    client_for, users, home_appointment, reviewer, other_town
):
    person = home_appointment.person
    home_appointment.ended_on = date(2023, 12, 31)
    home_appointment.end_reason = EndReason.LEFT
    home_appointment.save()
    elsewhere = FilingFactory(
        appointment=AppointmentFactory(
            person=person,
            enterprise=EnterpriseFactory(town=other_town, name="双墩另一家企业"),
            appointed_on=date(2024, 1, 2),
        )
    ).appointment
    sanctions.sanction_record(
        appointment=elsewhere,
        kind=SanctionKind.WARNING,
        reason="在另一家企业受到警示",
        decided_on=date(2024, 3, 1),
        actor=reviewer,
    )
    for role in ("town_officer", "enterprise_user"):
        page = client_for(users[role]).get(url(person)).content.decode()
        assert "双墩另一家企业" not in page
        assert "在另一家企业受到警示" not in page
    bureau = client_for(users["reviewer"]).get(url(person)).content.decode()
    assert "双墩另一家企业" in bureau and "在另一家企业受到警示" in bureau


def _queries(client, address) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(address).status_code == 200
    return len(queries)


@pytest.mark.parametrize("role", ["reviewer", "town_officer"])
def test_query_count_does_not_grow_with_the_record(
    client_for, users, home_appointment, reviewer, role
):
    client = client_for(users[role])
    person = home_appointment.person
    add_record(home_appointment, reviewer, 2022)
    client.get(url(person))
    few = _queries(client, url(person))
    second = FilingFactory(
        appointment=AppointmentFactory(
            person=person,
            enterprise=EnterpriseFactory(town=home_appointment.enterprise.town),
            appointed_on=date(2018, 1, 1),
            filed_on=date(2018, 1, 3),
            ended_on=date(2020, 12, 1),
            end_reason=EndReason.REASSIGNED,
        )
    ).appointment
    add_record(home_appointment, reviewer, 2023)
    add_record(second, reviewer, 2019)
    assert _queries(client, url(person)) == few
