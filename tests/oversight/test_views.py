"""Oversight pages: recording incidents and sanctions in the browser, the suggested
interview, private documents, and every URL refused for the roles not allowed."""

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from appointments import sanctions
from appointments.models import (
    EndReason,
    IncidentSource,
    QualityIncident,
    Sanction,
    SanctionKind,
    Severity,
)
from cqo_registry.accounts.models import Notification
from tests.oversight.conftest import PDF_BYTES

pytestmark = pytest.mark.django_db

VIEWERS = ["bureau_admin", "reviewer", "leader", "town_officer", "enterprise_user"]
NOT_RECORDERS = ["leader", "town_officer", "enterprise_user", "no_role_user"]


@pytest.fixture
def incident(home_enterprise, reviewer):
    return sanctions.incident_record(
        enterprise=home_enterprise,
        occurred_on=date(2024, 5, 1),
        severity=Severity.MAJOR,
        source=IncidentSource.SPOT_CHECK,
        description="监督抽查不合格",
        actor=reviewer,
    )


@pytest.fixture
def sanction(home_appointment, reviewer):
    return sanctions.sanction_record(
        appointment=home_appointment,
        kind=SanctionKind.WARNING,
        reason="履职不到位",
        decided_on=date(2024, 6, 1),
        documents=[SimpleUploadedFile("警示函.pdf", PDF_BYTES)],
        actor=reviewer,
    )


# --- Lists and pages ----------------------------------------------------------------------------


@pytest.mark.parametrize("role", VIEWERS)
def test_viewers_see_the_lists(client_for, users, role, sanction, incident):
    client = client_for(users[role])
    sanctions_page = client.get(reverse("oversight:sanction_list"))
    assert sanctions_page.status_code == 200
    assert sanction.appointment.person.name in sanctions_page.content.decode()
    incidents_page = client.get(reverse("oversight:incident_list"))
    assert incidents_page.status_code == 200
    assert incident.enterprise.name in incidents_page.content.decode()


@pytest.mark.parametrize("role", ["outsider_town_officer", "outsider_enterprise_user"])
def test_outsiders_see_none_of_it(client_for, users, role, sanction, incident):
    client = client_for(users[role])
    page = client.get(reverse("oversight:sanction_list")).content.decode()
    assert sanction.appointment.person.name not in page
    assert (
        incident.enterprise.name
        not in client.get(reverse("oversight:incident_list")).content.decode()
    )
    for url in (
        reverse("oversight:sanction_detail", args=[sanction.pk]),
        reverse("oversight:incident_detail", args=[incident.pk]),
        reverse("oversight:document_download", args=[sanction.pk, sanction.documents.get().pk]),
    ):
        assert client.get(url).status_code == 404


def test_every_url_refuses_no_role_users_and_sends_anonymous_to_login(
    client_for, users, sanction, incident
):
    document = sanction.documents.get()
    urls = [
        reverse("oversight:sanction_list"),
        reverse("oversight:incident_list"),
        reverse("oversight:sanction_detail", args=[sanction.pk]),
        reverse("oversight:incident_detail", args=[incident.pk]),
        reverse("oversight:document_download", args=[sanction.pk, document.pk]),
        reverse("oversight:sanction_create"),
        reverse("oversight:incident_create"),
        reverse("oversight:incident_edit", args=[incident.pk]),
    ]
    for url in urls:
        assert client_for(users["no_role_user"]).get(url).status_code == 403, url
        response = client_for(None).get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url


@pytest.mark.parametrize("role", NOT_RECORDERS)
def test_only_bureau_records(client_for, users, role, home_enterprise, home_appointment, incident):
    client = client_for(users[role])
    create_sanction = f"{reverse('oversight:sanction_create')}?enterprise={home_enterprise.pk}"
    assert client.get(create_sanction).status_code == 403
    response = client.post(
        create_sanction,
        {
            "appointment": home_appointment.pk,
            "kind": SanctionKind.EXIT,
            "reason": "退出",
            "decided_on": "2024-06-01",
        },
    )
    assert response.status_code == 403
    create_incident = f"{reverse('oversight:incident_create')}?enterprise={home_enterprise.pk}"
    assert client.post(create_incident, {}).status_code == 403
    assert client.get(reverse("oversight:incident_edit", args=[incident.pk])).status_code == 403
    assert not Sanction.objects.exists()
    home_appointment.refresh_from_db()
    assert home_appointment.ended_on is None


def test_enterprise_user_reads_own_sanction_and_its_document(client_for, users, sanction):
    client = client_for(users["enterprise_user"])
    page = client.get(reverse("oversight:sanction_detail", args=[sanction.pk]))
    assert page.status_code == 200
    assert "sanction-history" not in page.content.decode()  # history is the bureau's
    document = sanction.documents.get()
    response = client.get(reverse("oversight:document_download", args=[sanction.pk, document.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert response["Cache-Control"] == "private, no-store"


# --- Recording in the browser ------------------------------------------------------------------


def test_reviewer_records_an_incident(client_for, users, home_enterprise):
    client = client_for(users["reviewer"])
    picker = client.get(reverse("oversight:incident_create"), {"q": home_enterprise.name[:4]})
    assert picker.status_code == 200 and home_enterprise.name in picker.content.decode()
    url = f"{reverse('oversight:incident_create')}?enterprise={home_enterprise.pk}"
    response = client.post(
        url,
        {
            "occurred_on": "2024-05-01",
            "severity": Severity.MAJOR,
            "source": IncidentSource.COMPLAINT,
            "description": "多名消费者投诉产品质量问题",
        },
    )
    incident = QualityIncident.objects.get()
    assert response.status_code == 302
    assert incident.recorded_by == users["reviewer"]
    detail = client.get(reverse("oversight:incident_detail", args=[incident.pk]))
    assert "建议约谈首席质量官" in detail.content.decode()


def test_suggestion_shown_to_bureau_only(client_for, users, incident):
    url = reverse("oversight:incident_detail", args=[incident.pk])
    assert 'id="suggest-sanction"' in client_for(users["reviewer"]).get(url).content.decode()
    assert 'id="suggest-sanction"' not in client_for(users["leader"]).get(url).content.decode()
    listing = client_for(users["reviewer"]).get(reverse("oversight:sanction_list"))
    assert f"?incident={incident.pk}" in listing.content.decode()


def test_suggested_interview_form_is_prefilled(client_for, users, incident, home_appointment):
    client = client_for(users["reviewer"])
    url = f"{reverse('oversight:sanction_create')}?incident={incident.pk}"
    form = client.get(url)
    assert form.status_code == 200
    content = form.content.decode()
    assert "监督抽查不合格" in content
    assert f'value="{home_appointment.pk}" selected' in content
    assert f'value="{incident.pk}" selected' in content
    response = client.post(
        url,
        {
            "appointment": home_appointment.pk,
            "kind": SanctionKind.INTERVIEW,
            "reason": "事故后约谈首席质量官",
            "decided_on": "2024-05-10",
            "incident": incident.pk,
        },
    )
    assert response.status_code == 302
    assert Sanction.objects.get().incident == incident
    assert not sanctions.incidents_needing_action(users["reviewer"]).exists()


def test_exit_in_the_browser_ends_the_appointment_and_notifies(
    client_for, users, home_enterprise, home_appointment
):
    url = f"{reverse('oversight:sanction_create')}?enterprise={home_enterprise.pk}"
    response = client_for(users["bureau_admin"]).post(
        url,
        {
            "appointment": home_appointment.pk,
            "kind": SanctionKind.EXIT,
            "reason": "造成重大质量安全事故",
            "decided_on": "2024-06-01",
            "documents": [SimpleUploadedFile("退出决定.pdf", PDF_BYTES)],
        },
    )
    assert response.status_code == 302
    home_appointment.refresh_from_db()
    assert home_appointment.ended_on == date(2024, 6, 1)
    assert home_appointment.end_reason == EndReason.EXIT
    assert Notification.objects.filter(user=users["enterprise_user"]).exists()
    assert Sanction.objects.get().documents.count() == 1


def test_bad_document_is_a_form_error_and_nothing_changes(
    client_for, users, home_enterprise, home_appointment
):
    url = f"{reverse('oversight:sanction_create')}?enterprise={home_enterprise.pk}"
    response = client_for(users["reviewer"]).post(
        url,
        {
            "appointment": home_appointment.pk,
            "kind": SanctionKind.EXIT,
            "reason": "退出",
            "decided_on": "2024-06-01",
            "documents": [SimpleUploadedFile("决定.pdf", b"<html>not a pdf</html>")],
        },
    )
    assert response.status_code == 400
    assert "PDF" in response.content.decode()
    assert not Sanction.objects.exists()
    home_appointment.refresh_from_db()
    assert home_appointment.ended_on is None


def test_appointment_of_another_enterprise_is_an_invalid_choice(
    client_for, users, home_enterprise, outsider_appointment
):
    url = f"{reverse('oversight:sanction_create')}?enterprise={home_enterprise.pk}"
    response = client_for(users["reviewer"]).post(
        url,
        {
            "appointment": outsider_appointment.pk,
            "kind": SanctionKind.EXIT,
            "reason": "退出",
            "decided_on": "2024-06-01",
        },
    )
    assert response.status_code == 400
    outsider_appointment.refresh_from_db()
    assert outsider_appointment.ended_on is None


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_list_query_count_does_not_grow(client_for, users, county, reviewer):
    def add(appointment, day):
        incident = sanctions.incident_record(
            enterprise=appointment.enterprise,
            occurred_on=day,
            severity=Severity.MAJOR,
            source=IncidentSource.SPOT_CHECK,
            description="抽查不合格",
            actor=reviewer,
        )
        sanctions.sanction_record(
            appointment=appointment,
            kind=SanctionKind.INTERVIEW,
            reason="约谈",
            decided_on=day,
            incident=incident,
            actor=reviewer,
        )
        sanctions.incident_record(
            enterprise=appointment.enterprise,
            occurred_on=day,
            severity=Severity.MAJOR,
            source=IncidentSource.COMPLAINT,
            description="投诉",
            actor=reviewer,
        )

    client = client_for(users["reviewer"])
    add(county.home_appointment, date(2024, 1, 1))
    client.get(reverse("oversight:sanction_list"))  # session and user caches warm
    few = [_queries(client, reverse(name)) for name in LISTS]
    for appointment in (county.second_home_appointment, county.outsider_appointment):
        for day in (date(2024, 2, 1), date(2024, 3, 1)):
            add(appointment, day)
    many = [_queries(client, reverse(name)) for name in LISTS]
    assert few == many


LISTS = ("oversight:sanction_list", "oversight:incident_list")


def test_bureau_pages_render(client_for, users, incident, home_enterprise):
    client = client_for(users["reviewer"])
    assert client.get(reverse("oversight:sanction_create")).status_code == 200
    assert client.get(reverse("oversight:incident_edit", args=[incident.pk])).status_code == 200
    response = client.post(
        reverse("oversight:incident_edit", args=[incident.pk]),
        {
            "occurred_on": "2024-05-02",
            "severity": Severity.SERIOUS,
            "source": IncidentSource.SPOT_CHECK,
            "description": "改为较大事故",
        },
    )
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.severity == Severity.SERIOUS
    assert incident.history.latest().history_user == users["reviewer"]


def test_pages_name_the_person_who_acted_not_their_account(client_for, users, sanction, incident):
    """The decider, the recorder and the history show a person's name, as the vacancy pages
    do (issue 12: a username on one page, the name on the next); an account with no name
    still shows its username."""
    reviewer = users["reviewer"]
    reviewer.first_name = "刘静"
    reviewer.save(update_fields=["first_name"])
    client = client_for(users["bureau_admin"])
    for url in (
        reverse("oversight:sanction_detail", args=[sanction.pk]),
        reverse("oversight:incident_detail", args=[incident.pk]),
    ):
        html = client.get(url).content.decode()
        assert html.count("刘静") >= 2, url  # who decided or recorded it, and its history
        assert f">{reviewer.username}<" not in html and f"{reviewer.username} " not in html, url
    reviewer.first_name = ""
    reviewer.save(update_fields=["first_name"])
    html = client.get(reverse("oversight:sanction_detail", args=[sanction.pk])).content.decode()
    assert reviewer.username in html
