"""The admin is the bureau's back office: every page renders for bureau roles with a bounded
number of queries, and nobody else gets in."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from appointments import services
from appointments.models import Appointment
from cqo_registry.accounts.models import Role, User
from enterprises.models import Enterprise, Person, Town
from tests.factories import pdf_letter
from training.models import TrainingAttendance, TrainingSession

USCCS = ["91340100MA2N0BFA4H", "91110000802100433B", "91440300708461136T"]
ID_NUMBERS = ["11010519491231002X", "440524188001010014", "34010419900307123X"]


def make_user(role, **extra):
    return User.objects.create_user(
        username=f"u_{role or 'none'}", password="x", role=role, **extra
    )


@pytest.fixture
def registry(db):
    town = Town.objects.create(name="城关镇", code="341522100000")
    enterprises = [
        Enterprise.objects.create(
            uscc=uscc, name=f"企业{i}", town=town, industry="C", scale="above"
        )
        for i, uscc in enumerate(USCCS)
    ]
    persons = [
        Person.objects.create(name=f"人员{i}", id_number=number)
        for i, number in enumerate(ID_NUMBERS)
    ]
    for enterprise, person in zip(enterprises, persons, strict=True):
        Appointment.objects.create(
            enterprise=enterprise,
            person=person,
            position="副总经理",
            appointed_on=datetime.date(2021, 1, 5),
            filed_on=datetime.date(2021, 1, 10),
        )
    session = TrainingSession.objects.create(
        title="质量月综合技能培训",
        starts_on=datetime.date(2021, 9, 10),
        ends_on=datetime.date(2021, 9, 10),
    )
    for person in persons:
        TrainingAttendance.objects.create(session=session, person=person, passed=True)
    return {"town": town, "enterprises": enterprises, "persons": persons}


CHANGELISTS = [
    "admin:enterprises_town_changelist",
    "admin:enterprises_enterprise_changelist",
    "admin:enterprises_person_changelist",
    "admin:appointments_appointment_changelist",
    "admin:appointments_filing_changelist",
    "admin:appointments_filingevent_changelist",
    "admin:training_trainingsession_changelist",
    "admin:training_trainingattendance_changelist",
]


@pytest.mark.parametrize("url_name", CHANGELISTS)
def test_changelists_render_for_reviewer_with_bounded_queries(client, registry, url_name):
    client.force_login(make_user(Role.REVIEWER))
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse(url_name)).status_code == 200
    # Three more rows of everything must not cost more queries (no N+1 in list columns).
    extra_town = Town.objects.create(name="开发区街道", code="341522200000")
    for i in range(3):
        uscc = ["91330000MA27U0AE2L", "91320000134755079K", "91310000MA1FL4PH1B"][i]
        enterprise = Enterprise.objects.create(
            uscc=uscc, name=f"新企业{i}", town=extra_town, industry="C", scale="above"
        )
        person = Person.objects.create(
            name=f"新人员{i}",
            id_number=["110101199003074477", "110101199003077219", "11010119900307867X"][i],
        )
        appointment = services.filing_create_appointment(
            enterprise=enterprise,
            person=person,
            position="总经理",
            appointed_on=datetime.date(2021, 1, 5),
            is_senior_manager=True,
            letter=pdf_letter(),
        ).appointment
        TrainingAttendance.objects.create(session=TrainingSession.objects.get(), person=person)
        assert appointment.pk
    with CaptureQueriesContext(connection) as more:
        assert client.get(reverse(url_name)).status_code == 200
    assert len(more) == len(few)


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:enterprises_enterprise_add",
        "admin:training_trainingsession_add",
        "admin:enterprises_enterprise_export",
    ],
)
def test_add_and_export_pages_render(client, registry, url_name):
    client.force_login(make_user(Role.REVIEWER))
    assert client.get(reverse(url_name)).status_code == 200


def test_import_button_leads_to_the_import_page(client, registry):
    # The import itself is the product's page (tests/imports/test_import_pages.py).
    client.force_login(make_user(Role.REVIEWER))
    response = client.get(reverse("admin:enterprises_enterprise_import"), follow=True)
    assert response.redirect_chain == [("/imports/new/enterprises/", 302)]
    assert response.status_code == 200


def test_change_page_shows_history(client, registry):
    client.force_login(make_user(Role.REVIEWER))
    enterprise = registry["enterprises"][0]
    response = client.get(reverse("admin:enterprises_enterprise_history", args=[enterprise.pk]))
    assert response.status_code == 200


def test_search_by_uscc_and_id_number(client, registry):
    client.force_login(make_user(Role.REVIEWER))
    response = client.get(reverse("admin:enterprises_enterprise_changelist"), {"q": USCCS[1]})
    assert list(response.context["cl"].result_list) == [registry["enterprises"][1]]
    response = client.get(reverse("admin:enterprises_person_changelist"), {"q": ID_NUMBERS[2]})
    assert list(response.context["cl"].result_list) == [registry["persons"][2]]


@pytest.mark.parametrize("role", [Role.LEADER, Role.ENTERPRISE, Role.TOWN_OFFICER, ""])
def test_non_bureau_roles_cannot_enter_admin(client, registry, role):
    extra = {}
    if role == Role.ENTERPRISE:
        extra["enterprise"] = registry["enterprises"][0]
    if role == Role.TOWN_OFFICER:
        extra["town"] = registry["town"]
    client.force_login(make_user(role, is_staff=True, **extra))
    response = client.get(reverse("admin:enterprises_enterprise_changelist"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_reviewer_cannot_manage_users_or_delete(client, registry):
    client.force_login(make_user(Role.REVIEWER))
    assert client.get(reverse("admin:accounts_user_changelist")).status_code == 403
    enterprise = registry["enterprises"][0]
    url = reverse("admin:enterprises_enterprise_delete", args=[enterprise.pk])
    assert client.get(url).status_code == 403


def test_bureau_admin_manages_users(client, registry):
    client.force_login(make_user(Role.BUREAU_ADMIN))
    assert client.get(reverse("admin:accounts_user_changelist")).status_code == 200
    assert client.get(reverse("admin:accounts_user_add")).status_code == 200


def test_admin_action_approves_submitted_filings_in_order(client, registry):
    reviewer = make_user(Role.REVIEWER)
    enterprise = Enterprise.objects.create(
        uscc="91330000MA27U0AE2L", name="待审企业", town=registry["town"], industry="C", scale="sme"
    )
    person = Person.objects.create(name="新人", id_number="110101199003074477")
    filing = services.filing_create_appointment(
        enterprise=enterprise,
        person=person,
        position="总经理",
        appointed_on=datetime.date(2024, 3, 1),
        is_senior_manager=True,
        letter=pdf_letter(),
    )
    services.filing_submit(filing=filing)
    client.force_login(reviewer)
    response = client.post(
        reverse("admin:appointments_filing_changelist"),
        {"action": "approve_selected", "_selected_action": [filing.pk]},
    )
    assert response.status_code == 302
    filing.refresh_from_db()
    assert filing.status == "approved"
    assert filing.reviewed_by == reviewer
    assert filing.number.startswith("质备〔")


def test_only_bureau_admin_edits_targets_and_towns(client, registry):
    client.force_login(make_user(Role.REVIEWER))
    assert client.get(reverse("admin:reports_target_changelist")).status_code == 200
    assert client.get(reverse("admin:reports_target_add")).status_code == 403
    assert client.get(reverse("admin:enterprises_town_add")).status_code == 403
    client.force_login(make_user(Role.BUREAU_ADMIN))
    assert client.get(reverse("admin:reports_target_add")).status_code == 200
    assert client.get(reverse("admin:enterprises_town_add")).status_code == 200
