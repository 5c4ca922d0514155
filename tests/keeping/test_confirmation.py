"""The yearly confirmation (issue 17 §3): a bureau admin opens a round with a due date, every
enterprise that requires a CQO confirms or corrects its CQO's details in the portal — a CQO
who changed becomes a change filing, one who left a dismissal filing —, late enterprises are
listed for their town officer and on the dashboard with the drill-down, and the round's
figures are frozen when it closes. Every page refuses the roles it is not for."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from appointments.models import Filing, FilingKind, FilingStatus
from confirmations import services
from confirmations.models import (
    Confirmation,
    ConfirmationFigure,
    ConfirmationRound,
    ConfirmationStatus,
)
from cqo_registry.accounts.models import Notification, NotificationKind
from reports import selectors
from reports.models import SnapshotEditRefused
from tests.factories import EnterpriseFactory, make_id_number, pdf_letter

pytestmark = pytest.mark.django_db

PORTAL = "/portal/confirmation/"


def today():
    return timezone.localdate()


@pytest.fixture
def round_(county, bureau_admin, enterprise_user, outsider_enterprise_user, home_town):
    """The round of this year, due in 30 days: the three enterprises of the county, plus one
    SME the bureau does not require a CQO of (not asked)."""
    EnterpriseFactory(town=home_town, scale="sme", requires_cqo=False)
    return services.round_open(
        year=today().year, due_on=today() + timedelta(days=30), actor=bureau_admin
    )


def answer_of(enterprise) -> Confirmation:
    return Confirmation.objects.get(enterprise=enterprise)


def make_late(round_):
    ConfirmationRound.objects.filter(pk=round_.pk).update(
        opened_on=today() - timedelta(days=40), due_on=today() - timedelta(days=1)
    )
    round_.refresh_from_db()


# --- Opening a round --------------------------------------------------------------------------


def test_the_bureau_admin_opens_a_round_and_enterprises_are_told(
    county, client_for, bureau_admin, enterprise_user, home_town, django_capture_on_commit_callbacks
):
    EnterpriseFactory(town=home_town, scale="sme", requires_cqo=False)
    client = client_for(bureau_admin)
    assert client.get(reverse("confirmations:list")).status_code == 200
    due = (today() + timedelta(days=60)).isoformat()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("confirmations:open"), {"year": today().year, "due_on": due})
    assert response.status_code == 302
    round_ = ConfirmationRound.objects.get()
    asked = set(round_.confirmations.values_list("enterprise", flat=True))
    assert asked == {
        county.home_enterprise.pk,
        county.second_home_enterprise.pk,
        county.outsider_enterprise.pk,
    }
    note = Notification.objects.get(user=enterprise_user, kind=NotificationKind.CONFIRMATION_DUE)
    assert note.url == PORTAL and due in note.title
    # One round at a time; a due date in the past is refused.
    again = client.post(reverse("confirmations:open"), {"year": today().year + 1, "due_on": due})
    assert again.status_code == 400 and "尚未关闭" in again.content.decode()
    assert ConfirmationRound.objects.count() == 1


def test_a_due_date_in_the_past_is_refused(county, client_for, bureau_admin):
    past = (today() - timedelta(days=1)).isoformat()
    response = client_for(bureau_admin).post(
        reverse("confirmations:open"), {"year": today().year, "due_on": past}
    )
    assert response.status_code == 400 and "截止日期不能早于今天" in response.content.decode()
    assert not ConfirmationRound.objects.exists()


@pytest.mark.parametrize(
    "role", ["reviewer", "leader", "town_officer", "enterprise_user", "no_role_user"]
)
def test_only_the_bureau_admin_opens_and_closes_rounds(county, client_for, users, role):
    client = client_for(users[role])
    due = (today() + timedelta(days=60)).isoformat()
    response = client.post(reverse("confirmations:open"), {"year": today().year, "due_on": due})
    assert response.status_code == 403
    assert not ConfirmationRound.objects.exists()
    round_ = services.round_open(
        year=today().year, due_on=today() + timedelta(days=9), actor=users["bureau_admin"]
    )
    close = reverse("confirmations:close", args=[round_.year])
    assert client.get(close).status_code == 403
    assert client.post(close).status_code == 403
    round_.refresh_from_db()
    assert round_.is_open


# --- Answering in the portal ------------------------------------------------------------------


def test_the_enterprise_confirms_without_changes(round_, client_for, enterprise_user, county):
    client = client_for(enterprise_user)
    home = client.get("/portal/").content.decode()
    assert 'id="confirmation-due"' in home
    page = client.get(PORTAL)
    assert page.status_code == 200
    initial = page.context["form"].initial
    appointment = county.home_appointment
    response = client.post(
        PORTAL,
        {
            "position": initial["position"],
            "departments": initial["departments"],
            "email": initial["email"] or "",
        },
    )
    assert response.status_code == 302
    answer = answer_of(county.home_enterprise)
    assert (answer.status, answer.corrections, answer.appointment) == (
        ConfirmationStatus.CONFIRMED,
        {},
        appointment,
    )
    assert answer.confirmed_by == enterprise_user
    # Answered once: the page now says when, and a second answer changes nothing.
    page = client.get(PORTAL).content.decode()
    assert 'id="confirmation-done"' in page and 'id="confirm-form"' not in page
    assert 'id="confirmation-due"' not in client.get("/portal/").content.decode()


def test_corrections_are_applied_with_history_saying_why(
    round_, client_for, enterprise_user, county
):
    appointment = county.home_appointment
    response = client_for(enterprise_user).post(
        PORTAL,
        {
            "position": "总经理",
            "departments": ["safety", "management"],
            "is_principal": "on",
            "mobile": "13912345678",
            "email": "cqo@example.cn",
        },
    )
    assert response.status_code == 302
    answer = answer_of(county.home_enterprise)
    assert answer.status == ConfirmationStatus.CORRECTED
    assert set(answer.corrections) >= {"position", "is_principal", "mobile", "email"}
    appointment.refresh_from_db()
    assert (appointment.position, appointment.is_principal) == ("总经理", True)
    assert appointment.history.first().history_change_reason == f"{today().year} 年度确认更正"
    assert appointment.history.first().history_user == enterprise_user
    appointment.person.refresh_from_db()
    assert (appointment.person.mobile, appointment.person.email) == (
        "13912345678",
        "cqo@example.cn",
    )


def test_a_bad_correction_is_shown_and_nothing_changes(round_, client_for, enterprise_user, county):
    response = client_for(enterprise_user).post(
        PORTAL, {"position": "总经理", "departments": [], "mobile": "12345"}
    )
    assert response.status_code == 400
    assert "请至少选择一个分管部门" in response.content.decode()
    assert answer_of(county.home_enterprise).status == ConfirmationStatus.PENDING


def test_a_changed_cqo_is_answered_with_a_change_filing(
    round_, client_for, enterprise_user, county, settings, tmp_path
):
    client = client_for(enterprise_user)
    page = client.get(reverse("portal:confirmation_change"))
    assert page.status_code == 200 and 'id="confirmation-banner"' in page.content.decode()
    response = client.post(
        reverse("portal:confirmation_change"),
        {
            "person_name": "新质量官",
            "id_number": make_id_number(8101),
            "mobile": "13800001111",
            "position": "副总经理",
            "is_senior_manager": "on",
            "departments": ["safety"],
            "appointed_on": (today() - timedelta(days=3)).isoformat(),
            "end_reason": "left",
            "letter": pdf_letter(),
            "submit": "1",
        },
    )
    assert response.status_code == 302
    filing = Filing.objects.get(kind=FilingKind.CHANGE)
    assert filing.status == FilingStatus.SUBMITTED
    assert filing.replaces == county.home_appointment
    answer = answer_of(county.home_enterprise)
    assert (answer.status, answer.filing) == (ConfirmationStatus.CHANGED, filing)


def test_a_cqo_who_left_is_answered_with_a_dismissal_filing(
    round_, client_for, enterprise_user, county
):
    response = client_for(enterprise_user).post(
        reverse("portal:confirmation_vacancy"),
        {"end_date": (today() - timedelta(days=2)).isoformat(), "end_reason": "left"},
    )
    assert response.status_code == 302
    filing = Filing.objects.get(kind=FilingKind.DISMISS)
    assert filing.status == FilingStatus.SUBMITTED
    answer = answer_of(county.home_enterprise)
    assert (answer.status, answer.filing) == (ConfirmationStatus.VACANCY, filing)


def test_an_enterprise_without_a_cqo_reports_the_vacancy(
    county, client_for, bureau_admin, home_town
):
    from tests.factories import UserFactory

    vacant = EnterpriseFactory(town=home_town, name="城关空缺有限公司")
    user = UserFactory(username="vacant_user", enterprise_user=True, enterprise=vacant)
    services.round_open(year=today().year, due_on=today() + timedelta(days=9), actor=bureau_admin)
    client = client_for(user)
    page = client.get(PORTAL).content.decode()
    assert "没有已备案的在任首席质量官" in page and 'id="confirm-form"' not in page
    assert client.post(reverse("portal:confirmation_vacancy")).status_code == 302
    assert answer_of(vacant).status == ConfirmationStatus.VACANCY


@pytest.mark.parametrize(
    "role", ["bureau_admin", "reviewer", "leader", "town_officer", "no_role_user"]
)
def test_only_enterprise_users_answer(round_, client_for, users, role, county):
    client = client_for(users[role])
    for url in (
        PORTAL,
        reverse("portal:confirmation_change"),
        reverse("portal:confirmation_vacancy"),
    ):
        assert client.get(url).status_code == 403, url
        assert client.post(url, {"position": "x", "departments": ["safety"]}).status_code == 403
    assert not Confirmation.objects.exclude(status=ConfirmationStatus.PENDING).exists()


def test_an_enterprise_answers_only_for_itself(
    round_, client_for, outsider_enterprise_user, county
):
    client = client_for(outsider_enterprise_user)
    page = client.get(PORTAL).content.decode()
    assert county.outsider_appointment.person.name in page
    assert county.home_appointment.person.name not in page
    client.post(
        PORTAL,
        {
            "position": county.outsider_appointment.position,
            "departments": county.outsider_appointment.departments,
        },
    )
    assert answer_of(county.outsider_enterprise).status == ConfirmationStatus.CONFIRMED
    assert answer_of(county.home_enterprise).status == ConfirmationStatus.PENDING


def test_without_an_open_round_there_is_nothing_to_answer(county, client_for, enterprise_user):
    page = client_for(enterprise_user).get(PORTAL)
    assert page.status_code == 200 and 'id="confirmation-none"' in page.content.decode()
    assert client_for(enterprise_user).get(reverse("portal:confirmation_change")).status_code == 302


# --- Late enterprises: the town officer's list and the dashboard ------------------------------


@pytest.fixture
def late_round(round_, county, enterprise_user):
    """The second home enterprise and the outsider have not answered by the due date."""
    services.confirmation_confirm(
        confirmation=answer_of(county.home_enterprise),
        position="总经理",
        departments=["safety"],
        is_principal=False,
        mobile="",
        email="",
        actor=enterprise_user,
    )
    make_late(round_)
    return round_


def listed(client, year, **query) -> set:
    response = client.get(reverse("confirmations:round", args=[year]), query)
    assert response.status_code == 200
    return {c.enterprise_id for c in response.context["page"].object_list}


def test_the_town_officer_lists_the_late_enterprises_of_the_town(
    late_round, county, client_for, town_officer, outsider_town_officer, reviewer
):
    year = late_round.year
    assert listed(client_for(town_officer), year, status="late") == {
        county.second_home_enterprise.pk
    }
    assert listed(client_for(outsider_town_officer), year, status="late") == {
        county.outsider_enterprise.pk
    }
    assert listed(client_for(reviewer), year, status="late") == {
        county.second_home_enterprise.pk,
        county.outsider_enterprise.pk,
    }
    # A town filter is not a way out of the town officer's scope.
    assert listed(client_for(town_officer), year, town=county.outsider_enterprise.town_id) == {
        county.home_enterprise.pk,
        county.second_home_enterprise.pk,
    }
    page = client_for(town_officer).get(reverse("confirmations:round", args=[year])).content
    assert county.outsider_enterprise.name not in page.decode()


@pytest.mark.parametrize("role", ["enterprise_user", "outsider_enterprise_user", "no_role_user"])
def test_other_roles_cannot_see_the_rounds(late_round, client_for, users, role):
    client = client_for(users[role])
    for url in (
        reverse("confirmations:list"),
        reverse("confirmations:round", args=[late_round.year]),
        reverse("confirmations:export", args=[late_round.year]),
    ):
        assert client.get(url).status_code == 403, url


def test_anonymous_users_are_sent_to_sign_in(late_round, client_for):
    for url in (
        reverse("confirmations:list"),
        reverse("confirmations:round", args=[late_round.year]),
        reverse("confirmations:export", args=[late_round.year]),
        reverse("confirmations:close", args=[late_round.year]),
        PORTAL,
    ):
        response = client_for(None).get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url


def test_the_dashboard_shows_the_late_enterprises_with_their_drill_down(
    late_round, county, client_for, leader, town_officer
):
    page = client_for(leader).get(reverse("reports:dashboard"))
    confirmation = page.context["confirmation"]
    assert (confirmation.population, confirmation.confirmed, confirmation.late) == (3, 1, 2)
    html = page.content.decode()
    assert 'data-indicator="confirmation-late"' in html
    missing = page.context["confirmation_links"]["missing"]
    listed_rows = client_for(leader).get(missing).context["page"].object_list
    assert {row.pk for row in listed_rows} == {
        county.second_home_enterprise.pk,
        county.outsider_enterprise.pk,
    }
    town_page = client_for(town_officer).get(reverse("reports:town_dashboard"))
    assert town_page.context["confirmation"].late == 1
    town_rows = client_for(town_officer).get(town_page.context["confirmation_links"]["missing"])
    assert [row.pk for row in town_rows.context["page"].object_list] == [
        county.second_home_enterprise.pk
    ]


def test_the_drill_down_replays_a_date_before_an_answer(late_round, county, client_for, reviewer):
    url = reverse("reports:explain", args=[selectors.CONFIRM_CODE])
    yesterday = (today() - timedelta(days=1)).isoformat()
    response = client_for(reviewer).get(url, {"as_of": yesterday, "show": "counted"})
    assert list(response.context["page"].object_list) == []  # the answer was given today
    export = client_for(reviewer).get(
        reverse("reports:explain_export", args=[selectors.CONFIRM_CODE])
    )
    assert export.status_code == 200


# --- Closing: the figures are frozen ----------------------------------------------------------


def test_closing_freezes_the_figures(late_round, county, client_for, bureau_admin, enterprise_user):
    client = client_for(bureau_admin)
    url = reverse("confirmations:close", args=[late_round.year])
    assert client.get(url).status_code == 200
    assert client.post(url).status_code == 302
    late_round.refresh_from_db()
    assert not late_round.is_open
    county_row = ConfirmationFigure.objects.get(round=late_round, scope="county")
    assert (county_row.population, county_row.responded, county_row.late) == (3, 1, 2)
    home_town_row = ConfirmationFigure.objects.get(
        round=late_round, scope="town", key=str(county.home_enterprise.town_id)
    )
    assert (home_town_row.population, home_town_row.responded, home_town_row.late) == (2, 1, 1)
    with pytest.raises(SnapshotEditRefused):
        ConfirmationFigure.objects.filter(round=late_round).update(late=0)
    with pytest.raises(SnapshotEditRefused):
        county_row.delete()
    # No more answers once closed; the page shows the frozen figures.
    second_user_page = client_for(enterprise_user).get(PORTAL)
    assert 'id="confirmation-none"' in second_user_page.content.decode()
    detail = client.get(reverse("confirmations:round", args=[late_round.year]))
    assert detail.context["figures"].frozen and detail.context["figures"].late == 2
    assert client.get(url).status_code == 404  # closed: nothing to close
