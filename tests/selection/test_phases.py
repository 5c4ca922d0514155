"""The selection's workflow: phases and their checks, nominations, review, ranking,
publicity and publishing, and the history of who did it."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from appointments.models import Sanction, SanctionKind
from appointments.services import appointment_end
from cqo_registry.accounts.models import Notification
from tests.factories import (
    AppointmentFactory,
    EnterpriseFactory,
    FilingFactory,
    TrainingAttendanceFactory,
    UserFactory,
)
from training import selection
from training.models import CampaignStatus, NominationSource, NominationStatus

pytestmark = pytest.mark.django_db

STATEMENT = "长期负责质量管理体系建设，成效显著。"


def nominate(campaign, appointment, actor, **kwargs):
    return selection.nomination_create(
        campaign=campaign, appointment=appointment, statement=STATEMENT, actor=actor, **kwargs
    )


def test_campaign_moves_through_its_phases(
    bureau_admin, make_campaign, home_appointment, enterprise_user
):
    campaign = selection.campaign_create(
        actor=bureau_admin,
        year=2023,
        title="2023年度评选",
        quota=3,
        period_start=date(2023, 1, 1),
        period_end=date(2023, 12, 31),
    )
    assert campaign.status == CampaignStatus.DRAFT
    campaign = selection.campaign_open_nominations(campaign=campaign, actor=bureau_admin)
    assert campaign.status == CampaignStatus.NOMINATING
    nominate(campaign, home_appointment, enterprise_user)
    campaign = selection.campaign_close_nominations(campaign=campaign, actor=bureau_admin)
    assert campaign.status == CampaignStatus.REVIEWING


def test_a_step_from_the_wrong_phase_is_refused(bureau_admin, make_campaign):
    campaign = make_campaign(status=CampaignStatus.DRAFT)
    with pytest.raises(ValidationError):
        selection.campaign_close_nominations(campaign=campaign, actor=bureau_admin)
    with pytest.raises(ValidationError):
        selection.campaign_publish(campaign=campaign, actor=bureau_admin)
    with pytest.raises(ValidationError):
        selection.campaign_start_publicity(
            campaign=campaign,
            actor=bureau_admin,
            starts_on=date(2024, 1, 1),
            ends_on=date(2024, 1, 7),
        )


def test_closing_without_nominations_is_refused(bureau_admin, campaign):
    with pytest.raises(ValidationError, match="还没有任何推荐"):
        selection.campaign_close_nominations(campaign=campaign, actor=bureau_admin)


def test_period_is_fixed_once_nominations_opened(bureau_admin, campaign):
    with pytest.raises(ValidationError):
        selection.campaign_update(
            campaign=campaign, actor=bureau_admin, period_end=date(2023, 6, 30)
        )
    selection.campaign_update(campaign=campaign, actor=bureau_admin, quota=5)
    campaign.refresh_from_db()
    assert campaign.quota == 5


# --- Nominations -----------------------------------------------------------------------------


def test_enterprise_nominates_its_own_cqo(campaign, home_appointment, enterprise_user):
    nomination = nominate(campaign, home_appointment, enterprise_user)
    assert nomination.source == NominationSource.ENTERPRISE
    assert nomination.status == NominationStatus.NOMINATED
    assert nomination.nominated_by == enterprise_user


def test_town_officer_nominates_a_cqo_of_their_town(
    campaign, second_home_appointment, town_officer
):
    nomination = nominate(campaign, second_home_appointment, town_officer)
    assert nomination.source == NominationSource.TOWN


def test_enterprise_cannot_nominate_another_enterprises_cqo(
    campaign, outsider_appointment, second_home_appointment, enterprise_user
):
    for appointment in (outsider_appointment, second_home_appointment):
        with pytest.raises(PermissionDenied):
            nominate(campaign, appointment, enterprise_user)


def test_town_officer_cannot_nominate_another_towns_cqo(
    campaign, outsider_appointment, town_officer
):
    with pytest.raises(PermissionDenied):
        nominate(campaign, outsider_appointment, town_officer)


def test_bureau_and_leader_do_not_nominate(campaign, home_appointment, reviewer, leader):
    for user in (reviewer, leader):
        with pytest.raises(PermissionDenied):
            nominate(campaign, home_appointment, user)


@pytest.mark.parametrize(
    "status",
    [
        CampaignStatus.DRAFT,
        CampaignStatus.REVIEWING,
        CampaignStatus.PUBLICITY,
        CampaignStatus.PUBLISHED,
    ],
)
def test_nominations_outside_the_nominating_phase_are_refused(
    make_campaign, home_appointment, enterprise_user, status
):
    campaign = make_campaign(status=status)
    with pytest.raises(ValidationError, match="不接受推荐"):
        nominate(campaign, home_appointment, enterprise_user)


def test_nominations_after_the_closing_date_are_refused(
    make_campaign, home_appointment, enterprise_user
):
    campaign = make_campaign(nominations_close_on=date(2024, 1, 31))
    with pytest.raises(ValidationError, match="截止"):
        nominate(campaign, home_appointment, enterprise_user, today=date(2024, 2, 1))
    assert nominate(campaign, home_appointment, enterprise_user, today=date(2024, 1, 31))


def test_a_cqo_is_nominated_once_per_campaign(
    campaign, home_appointment, enterprise_user, town_officer
):
    nominate(campaign, home_appointment, enterprise_user)
    with pytest.raises(ValidationError, match="已被推荐"):
        nominate(campaign, home_appointment, town_officer)
    assert campaign.nominations.count() == 1


def test_ended_appointment_cannot_be_nominated(
    campaign, home_appointment, enterprise_user, bureau_admin
):
    appointment_end(
        appointment=home_appointment, ended_on=date(2024, 3, 1), reason="left", actor=bureau_admin
    )
    with pytest.raises(ValidationError, match="现任"):
        nominate(campaign, home_appointment, enterprise_user)


# --- Review, ranking, publicity, publishing ---------------------------------------------------


@pytest.fixture
def three_nominations(make_campaign, home_town, town_officer):
    campaign = make_campaign(quota=2)
    nominations = []
    for _ in range(3):
        appointment = FilingFactory(
            appointment=AppointmentFactory(enterprise=EnterpriseFactory(town=home_town))
        ).appointment
        TrainingAttendanceFactory(person=appointment.person)
        nominations.append(nominate(campaign, appointment, town_officer))
    campaign.status = CampaignStatus.REVIEWING
    campaign.save()
    return campaign, nominations


def test_shortlisting_an_ineligible_cqo_is_refused_with_reasons(three_nominations, reviewer):
    campaign, (first, *_rest) = three_nominations
    Sanction.objects.create(
        appointment=first.appointment,
        kind=SanctionKind.INTERVIEW,
        reason="约谈",
        decided_on=date(2023, 4, 1),
        decided_by=reviewer,
    )
    with pytest.raises(ValidationError, match="考察期内受到约谈"):
        selection.nomination_shortlist(nomination=first, actor=reviewer)


def test_ruling_out_needs_notes(three_nominations, reviewer):
    _campaign, (first, *_rest) = three_nominations
    with pytest.raises(ValidationError):
        selection.nomination_mark_ineligible(nomination=first, notes="  ", actor=reviewer)
    nomination = selection.nomination_mark_ineligible(
        nomination=first, notes="考察期内企业受到行政处罚", actor=reviewer
    )
    assert nomination.status == NominationStatus.INELIGIBLE
    assert nomination.reviewed_by == reviewer


def test_ranking_orders_by_score_and_quota_limits_the_notice(
    three_nominations, reviewer, bureau_admin
):
    campaign, nominations = three_nominations
    for nomination, score in zip(nominations, ("80", "95", "70"), strict=True):
        selection.nomination_shortlist(nomination=nomination, actor=reviewer)
        selection.nomination_score(nomination=nomination, score=Decimal(score), actor=reviewer)
    ranked = selection.campaign_rank(campaign=campaign, actor=reviewer)
    assert [n.pk for n in ranked] == [nominations[1].pk, nominations[0].pk, nominations[2].pk]
    assert [n.rank for n in ranked] == [1, 2, 3]

    selection.campaign_start_publicity(
        campaign=campaign,
        actor=bureau_admin,
        starts_on=date(2024, 2, 1),
        ends_on=date(2024, 2, 7),
    )
    statuses = {n.pk: n.status for n in campaign.nominations.all()}
    assert statuses[nominations[1].pk] == NominationStatus.SHORTLISTED
    assert statuses[nominations[0].pk] == NominationStatus.SHORTLISTED
    assert statuses[nominations[2].pk] == NominationStatus.NOT_SELECTED
    assert set(selection.on_public_notice()) == {nominations[0], nominations[1]}


def test_ranking_needs_every_shortlisted_scored(three_nominations, reviewer):
    campaign, nominations = three_nominations
    selection.nomination_shortlist(nomination=nominations[0], actor=reviewer)
    with pytest.raises(ValidationError, match="没有评审得分"):
        selection.campaign_rank(campaign=campaign, actor=reviewer)


def test_score_out_of_range_is_refused(three_nominations, reviewer):
    _campaign, nominations = three_nominations
    selection.nomination_shortlist(nomination=nominations[0], actor=reviewer)
    with pytest.raises(ValidationError):
        selection.nomination_score(nomination=nominations[0], score=Decimal("101"), actor=reviewer)


def _ready_for_publicity(campaign, nominations, reviewer):
    for index, nomination in enumerate(nominations):
        selection.nomination_shortlist(nomination=nomination, actor=reviewer)
        selection.nomination_score(nomination=nomination, score=Decimal(90 - index), actor=reviewer)
    selection.campaign_rank(campaign=campaign, actor=reviewer)


def test_publicity_needs_dates_and_every_nomination_reviewed(
    three_nominations, reviewer, bureau_admin
):
    campaign, nominations = three_nominations
    _ready_for_publicity(campaign, nominations[:2], reviewer)
    with pytest.raises(ValidationError, match="未审查"):
        selection.campaign_start_publicity(
            campaign=campaign,
            actor=bureau_admin,
            starts_on=date(2024, 2, 1),
            ends_on=date(2024, 2, 7),
        )
    selection.nomination_mark_ineligible(
        nomination=nominations[2], notes="材料不实", actor=reviewer
    )
    with pytest.raises(ValidationError, match="公示开始和结束日期"):
        selection.campaign_start_publicity(campaign=campaign, actor=bureau_admin)
    with pytest.raises(ValidationError):
        selection.campaign_start_publicity(
            campaign=campaign,
            actor=bureau_admin,
            starts_on=date(2024, 2, 7),
            ends_on=date(2024, 2, 1),
        )
    campaign = selection.campaign_start_publicity(
        campaign=campaign, actor=bureau_admin, starts_on=date(2024, 2, 1), ends_on=date(2024, 2, 7)
    )
    assert campaign.status == CampaignStatus.PUBLICITY


def test_publishing_only_after_the_publicity_period(
    three_nominations, reviewer, bureau_admin, home_town
):
    campaign, nominations = three_nominations
    _ready_for_publicity(campaign, nominations, reviewer)
    selection.campaign_start_publicity(
        campaign=campaign, actor=bureau_admin, starts_on=date(2024, 2, 1), ends_on=date(2024, 2, 7)
    )
    with pytest.raises(ValidationError, match="公示期满"):
        selection.campaign_publish(campaign=campaign, actor=bureau_admin, today=date(2024, 2, 7))
    campaign = selection.campaign_publish(
        campaign=campaign, actor=bureau_admin, today=date(2024, 2, 8)
    )
    assert campaign.status == CampaignStatus.PUBLISHED
    assert campaign.published_on == date(2024, 2, 8)
    honoured = list(selection.honour_roll())
    assert [n.pk for n in honoured] == [nominations[0].pk, nominations[1].pk]
    assert all(n.status == NominationStatus.HONOURED for n in honoured)
    assert not selection.on_public_notice().exists()


def test_honoured_cqos_enterprise_is_notified(three_nominations, reviewer, bureau_admin):
    campaign, nominations = three_nominations
    staff = UserFactory(enterprise_user=True, enterprise=nominations[0].appointment.enterprise)
    _ready_for_publicity(campaign, nominations, reviewer)
    selection.campaign_start_publicity(
        campaign=campaign, actor=bureau_admin, starts_on=date(2024, 2, 1), ends_on=date(2024, 2, 7)
    )
    selection.campaign_publish(campaign=campaign, actor=bureau_admin, today=date(2024, 2, 8))
    note = Notification.objects.get(user=staff)
    assert nominations[0].appointment.person.name in note.title


def test_history_records_the_actor(
    bureau_admin, campaign, home_appointment, enterprise_user, reviewer
):
    selection.campaign_update(campaign=campaign, actor=bureau_admin, quota=4)
    assert campaign.history.latest().history_user == bureau_admin
    nomination = nominate(campaign, home_appointment, enterprise_user)
    assert nomination.history.latest().history_user == enterprise_user
    selection.campaign_close_nominations(campaign=campaign, actor=bureau_admin)
    selection.nomination_shortlist(nomination=nomination, actor=reviewer)
    latest = nomination.history.latest()
    assert latest.history_user == reviewer
    assert latest.status == NominationStatus.SHORTLISTED
