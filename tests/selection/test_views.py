"""Selection pages: who may see and do what, nominating through the browser, the review form,
and the public honour roll (with the 公示 list)."""

from datetime import date

import pytest
from django.urls import reverse

from training import selection
from training.models import (
    CampaignStatus,
    Nomination,
    NominationSource,
    NominationStatus,
    SelectionCampaign,
)

pytestmark = pytest.mark.django_db

STATEMENT = "长期负责质量管理体系建设，成效显著。"
VIEWERS = ["bureau_admin", "reviewer", "leader", "town_officer", "enterprise_user"]


def nominate(campaign, appointment, user):
    return Nomination.objects.create(
        campaign=campaign,
        appointment=appointment,
        source=NominationSource.TOWN,
        nominated_by=user,
        statement=STATEMENT,
    )


@pytest.mark.parametrize("role", VIEWERS)
def test_viewers_see_the_campaign_list(client_for, users, campaign, role):
    response = client_for(users[role]).get(reverse("selection:campaign_list"))
    assert response.status_code == 200
    assert campaign.title in response.content.decode()


def test_no_role_user_is_refused_and_anonymous_sent_to_login(client_for, users, campaign):
    url = reverse("selection:campaign_list")
    assert client_for(users["no_role_user"]).get(url).status_code == 403
    response = client_for(None).get(url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    detail = reverse("selection:campaign_detail", args=[campaign.pk])
    assert client_for(users["no_role_user"]).get(detail).status_code == 403


def test_drafts_are_the_bureaus_own(client_for, users, make_campaign):
    draft = make_campaign(status=CampaignStatus.DRAFT)
    url = reverse("selection:campaign_detail", args=[draft.pk])
    assert client_for(users["reviewer"]).get(url).status_code == 200
    for role in ("leader", "town_officer", "enterprise_user"):
        assert client_for(users[role]).get(url).status_code == 404


@pytest.mark.parametrize("role", ["reviewer", "leader", "town_officer", "enterprise_user"])
def test_only_bureau_admin_creates_campaigns(client_for, users, role):
    assert client_for(users[role]).get(reverse("selection:campaign_create")).status_code == 403


def test_bureau_admin_creates_a_campaign(client_for, users):
    response = client_for(users["bureau_admin"]).post(
        reverse("selection:campaign_create"),
        {
            "year": 2024,
            "title": "2024年度优秀首席质量官评选",
            "quota": 10,
            "period_start": "2024-01-01",
            "period_end": "2024-12-31",
        },
    )
    assert response.status_code == 302
    campaign = SelectionCampaign.objects.get(year=2024)
    assert campaign.status == CampaignStatus.DRAFT
    assert campaign.history.latest().history_user == users["bureau_admin"]


def test_phase_steps_confirm_on_get_and_act_on_post(client_for, users, make_campaign):
    campaign = make_campaign(status=CampaignStatus.DRAFT)
    client = client_for(users["bureau_admin"])
    url = reverse("selection:campaign_open", args=[campaign.pk])
    assert client.get(url).status_code == 200
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DRAFT
    assert client.post(url).status_code == 302
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.NOMINATING
    for role in ("reviewer", "leader", "town_officer", "enterprise_user", "no_role_user"):
        assert client_for(users[role]).post(url).status_code == 403


def test_enterprise_user_nominates_own_cqo_in_the_browser(
    client_for, users, campaign, home_appointment
):
    client = client_for(users["enterprise_user"])
    candidates = client.get(reverse("selection:candidates", args=[campaign.pk]))
    assert candidates.status_code == 200
    assert home_appointment.person.name in candidates.content.decode()
    url = reverse("selection:nominate", args=[campaign.pk, home_appointment.pk])
    response = client.post(url, {"statement": STATEMENT})
    assert response.status_code == 302
    nomination = Nomination.objects.get(campaign=campaign, appointment=home_appointment)
    assert nomination.source == NominationSource.ENTERPRISE
    again = client.post(url, {"statement": STATEMENT})
    assert again.status_code == 400
    assert "已被推荐" in again.content.decode()


def test_nominating_is_refused_outside_the_nominating_phase(
    client_for, users, make_campaign, home_appointment
):
    campaign = make_campaign(status=CampaignStatus.REVIEWING)
    url = reverse("selection:nominate", args=[campaign.pk, home_appointment.pk])
    response = client_for(users["enterprise_user"]).post(url, {"statement": STATEMENT})
    assert response.status_code == 400
    assert not Nomination.objects.exists()


def test_town_officer_nominates_in_town_and_not_elsewhere(
    client_for, users, campaign, second_home_appointment, outsider_appointment
):
    client = client_for(users["town_officer"])
    ok = client.post(
        reverse("selection:nominate", args=[campaign.pk, second_home_appointment.pk]),
        {"statement": STATEMENT},
    )
    assert ok.status_code == 302
    refused = client.post(
        reverse("selection:nominate", args=[campaign.pk, outsider_appointment.pk]),
        {"statement": STATEMENT},
    )
    assert refused.status_code == 404
    assert not Nomination.objects.filter(appointment=outsider_appointment).exists()


def test_enterprise_cannot_nominate_another_enterprises_cqo(
    client_for, users, campaign, second_home_appointment, outsider_appointment
):
    client = client_for(users["enterprise_user"])
    for appointment in (second_home_appointment, outsider_appointment):
        url = reverse("selection:nominate", args=[campaign.pk, appointment.pk])
        assert client.post(url, {"statement": STATEMENT}).status_code == 404
    assert not Nomination.objects.exists()


@pytest.mark.parametrize("role", ["bureau_admin", "reviewer", "leader", "no_role_user"])
def test_others_do_not_nominate(client_for, users, campaign, home_appointment, role):
    url = reverse("selection:nominate", args=[campaign.pk, home_appointment.pk])
    assert client_for(users[role]).post(url, {"statement": STATEMENT}).status_code == 403


def test_nominations_are_scoped_on_the_campaign_page(client_for, users, campaign, county):
    nominate(campaign, county.home_appointment, users["town_officer"])
    nominate(campaign, county.second_home_appointment, users["town_officer"])
    nominate(campaign, county.outsider_appointment, users["outsider_town_officer"])
    url = reverse("selection:campaign_detail", args=[campaign.pk])
    names = {
        key: appointment.person.name
        for key, appointment in (
            ("home", county.home_appointment),
            ("second", county.second_home_appointment),
            ("outsider", county.outsider_appointment),
        )
    }
    leader_page = client_for(users["leader"]).get(url).content.decode()
    assert all(name in leader_page for name in names.values())
    assert "符合条件" in leader_page
    town_page = client_for(users["town_officer"]).get(url).content.decode()
    assert names["home"] in town_page and names["second"] in town_page
    assert names["outsider"] not in town_page
    own_page = client_for(users["enterprise_user"]).get(url).content.decode()
    assert names["home"] in own_page
    assert names["second"] not in own_page and names["outsider"] not in own_page


def test_nomination_page_is_404_outside_scope(client_for, users, campaign, county):
    nomination = nominate(campaign, county.home_appointment, users["town_officer"])
    url = reverse("selection:nomination_detail", args=[nomination.pk])
    for role in ("reviewer", "leader", "town_officer", "enterprise_user"):
        assert client_for(users[role]).get(url).status_code == 200
    for role in ("outsider_town_officer", "outsider_enterprise_user"):
        assert client_for(users[role]).get(url).status_code == 404
    assert client_for(users["no_role_user"]).get(url).status_code == 403


def test_reviewer_shortlists_and_scores_through_the_form(client_for, users, make_campaign, county):
    campaign = make_campaign(status=CampaignStatus.REVIEWING)
    nomination = nominate(campaign, county.home_appointment, users["town_officer"])
    url = reverse("selection:nomination_review", args=[nomination.pk])
    page = client_for(users["reviewer"]).get(
        reverse("selection:nomination_detail", args=[nomination.pk])
    )
    assert 'id="review-form"' in page.content.decode()
    response = client_for(users["reviewer"]).post(
        url, {"decision": "shortlist", "notes": "", "score": "88.5"}
    )
    assert response.status_code == 302
    nomination.refresh_from_db()
    assert nomination.status == NominationStatus.SHORTLISTED
    assert str(nomination.score) == "88.5"
    for role in ("leader", "town_officer", "enterprise_user", "no_role_user"):
        assert client_for(users[role]).post(url, {"decision": "ineligible"}).status_code == 403


def test_marking_ineligible_without_notes_is_a_form_error(client_for, users, make_campaign, county):
    campaign = make_campaign(status=CampaignStatus.REVIEWING)
    nomination = nominate(campaign, county.home_appointment, users["town_officer"])
    response = client_for(users["reviewer"]).post(
        reverse("selection:nomination_review", args=[nomination.pk]),
        {"decision": "ineligible", "notes": ""},
    )
    assert response.status_code == 400
    nomination.refresh_from_db()
    assert nomination.status == NominationStatus.NOMINATED


# --- The public honour roll ------------------------------------------------------------------


@pytest.fixture
def on_notice(make_campaign, county, reviewer, bureau_admin, town_officer):
    campaign = make_campaign(status=CampaignStatus.REVIEWING, quota=1)
    first = nominate(campaign, county.home_appointment, town_officer)
    second = nominate(campaign, county.second_home_appointment, town_officer)
    for nomination, score in ((first, 90), (second, 80)):
        selection.nomination_shortlist(nomination=nomination, actor=reviewer)
        selection.nomination_score(nomination=nomination, score=score, actor=reviewer)
    selection.campaign_rank(campaign=campaign, actor=reviewer)
    selection.campaign_start_publicity(
        campaign=campaign, actor=bureau_admin, starts_on=date(2024, 2, 1), ends_on=date(2024, 2, 7)
    )
    return campaign, first, second


def test_public_sees_candidates_on_notice(client_for, on_notice):
    campaign, first, second = on_notice
    response = client_for(None).get(reverse("honours:roll"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "公示中" in page
    assert first.appointment.person.name in page
    assert first.appointment.enterprise.name in page
    assert second.appointment.person.name not in page  # ranked beyond the quota
    assert first.appointment.person.id_number not in page
    assert first.appointment.person.masked_id_number not in page
    assert first.appointment.person.mobile not in page


def test_public_sees_the_honour_roll_after_publishing(client_for, on_notice, bureau_admin):
    campaign, first, second = on_notice
    selection.campaign_publish(campaign=campaign, actor=bureau_admin, today=date(2024, 2, 8))
    page = client_for(None).get(reverse("honours:roll")).content.decode()
    assert f'id="roll-{campaign.year}"' in page
    assert first.appointment.person.name in page
    assert first.appointment.position in page
    assert second.appointment.person.name not in page
    assert "公示中" not in page


def test_nothing_public_before_publicity(client_for, make_campaign, county, town_officer):
    campaign = make_campaign(status=CampaignStatus.REVIEWING)
    nomination = nominate(campaign, county.home_appointment, town_officer)
    nomination.status = NominationStatus.SHORTLISTED
    nomination.save()
    page = client_for(None).get(reverse("honours:roll")).content.decode()
    assert county.home_appointment.person.name not in page
    assert 'id="roll-empty"' in page


def test_honour_roll_query_count_does_not_grow(
    client_for, on_notice, bureau_admin, django_assert_max_num_queries
):
    campaign, *_ = on_notice
    selection.campaign_publish(campaign=campaign, actor=bureau_admin, today=date(2024, 2, 8))
    with django_assert_max_num_queries(4):
        client_for(None).get(reverse("honours:roll"))


@pytest.mark.parametrize(
    "name",
    [
        "campaign_edit",
        "campaign_open",
        "campaign_close",
        "campaign_rank",
        "campaign_publicity",
        "campaign_publish",
    ],
)
def test_bureau_admin_pages_render_and_others_are_refused(client_for, users, campaign, name):
    url = reverse(f"selection:{name}", args=[campaign.pk])
    assert client_for(users["bureau_admin"]).get(url).status_code == 200
    refused = ["leader", "town_officer", "enterprise_user", "no_role_user"]
    if name != "campaign_rank":
        refused.append("reviewer")
    for role in refused:
        assert client_for(users[role]).get(url).status_code == 403, role


@pytest.mark.parametrize(
    ("status", "step"),
    [
        (CampaignStatus.DRAFT, "campaign_open"),
        (CampaignStatus.NOMINATING, "campaign_close"),
        (CampaignStatus.REVIEWING, "campaign_publicity"),
        (CampaignStatus.PUBLICITY, "campaign_publish"),
    ],
)
def test_campaign_page_offers_the_next_step_to_the_admin_only(
    client_for, users, make_campaign, status, step
):
    campaign = make_campaign(status=status)
    page_url = reverse("selection:campaign_detail", args=[campaign.pk])
    step_url = reverse(f"selection:{step}", args=[campaign.pk])
    assert step_url in client_for(users["bureau_admin"]).get(page_url).content.decode()
    assert step_url not in client_for(users["leader"]).get(page_url).content.decode()
