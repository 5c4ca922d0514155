"""/portal/: the CQO status at a glance in each state, the history, training and
notifications — and who may come here at all."""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from appointments.services import filing_create_appointment, filing_return, filing_submit
from cqo_registry.accounts.models import Notification, NotificationKind
from tests.factories import PersonFactory, TrainingSessionFactory, pdf_letter

URL = "/portal/"


def page(client):
    response = client.get(URL)
    assert response.status_code == 200
    return response


def test_filed_shows_cqo_number_and_date(client_for, enterprise_user, home_appointment):
    response = page(client_for(enterprise_user))
    assert response.context["status"].state == "filed"
    html = response.content.decode()
    filing = home_appointment.filings.get()
    assert home_appointment.person.name in html
    assert home_appointment.position in html
    assert filing.number in html
    assert home_appointment.filed_on.isoformat() in html
    # The CQO's training (the cast's passed attendance) shows.
    assert "已参加培训并合格" in html


def test_under_review(client_for, enterprise_user, home_enterprise):
    filing = filing_create_appointment(
        enterprise=home_enterprise,
        person=PersonFactory(name="待审人"),
        position="总经理",
        appointed_on=timezone.localdate() - timedelta(days=2),
        is_senior_manager=True,
        actor=enterprise_user,
        letter=pdf_letter(),
    )
    filing_submit(filing=filing, actor=enterprise_user)
    html = page(client_for(enterprise_user)).content.decode()
    assert 'id="status-submitted"' in html
    assert "待审人" in html


def test_returned_shows_reasons(client_for, enterprise_user, home_enterprise, reviewer):
    filing = filing_create_appointment(
        enterprise=home_enterprise,
        person=PersonFactory(),
        position="总经理",
        appointed_on=timezone.localdate() - timedelta(days=2),
        is_senior_manager=True,
        actor=enterprise_user,
        letter=pdf_letter(),
    )
    filing_submit(filing=filing, actor=enterprise_user)
    filing_return(filing=filing, reasons="聘任文件未盖章", actor=reviewer)
    html = page(client_for(enterprise_user)).content.decode()
    assert 'id="status-returned"' in html
    assert "聘任文件未盖章" in html
    assert f"/portal/filings/{filing.pk}/edit/" in html
    # The reviewer appears as the bureau, not by name.
    assert "reviewer" not in html.split('id="filing-history"')[1]


@pytest.mark.parametrize(("age", "overdue"), [(5, False), (45, True)])
def test_vacant_days_open_and_overdue(client_for, enterprise_user, home_enterprise, age, overdue):
    start = timezone.localdate() - timedelta(days=age)
    type(home_enterprise).objects.filter(pk=home_enterprise.pk).update(
        created_at=timezone.now() - timedelta(days=age), established_on=start
    )
    with override_settings(CQO_VACANCY_LIMIT_DAYS=30):
        response = page(client_for(enterprise_user))
    status = response.context["status"]
    assert status.state == "vacant"
    assert status.days_open == age
    assert status.overdue is overdue
    html = response.content.decode()
    assert f"已空缺 {age} 天" in html
    assert ("已超期" in html) is overdue


def test_not_required_sme(client_for, enterprise_user, home_enterprise):
    type(home_enterprise).objects.filter(pk=home_enterprise.pk).update(
        scale="sme", requires_cqo=False
    )
    assert page(client_for(enterprise_user)).context["status"].state == "not_required"


def test_upcoming_sessions_and_notifications(client_for, enterprise_user, home_appointment):
    TrainingSessionFactory(
        title="今年质量月培训", starts_on=timezone.localdate() + timedelta(days=9)
    )
    TrainingSessionFactory(title="往年的培训", starts_on=timezone.localdate() - timedelta(days=9))
    Notification.objects.create(
        user=enterprise_user, kind=NotificationKind.OTHER, title="请核对企业信息"
    )
    html = page(client_for(enterprise_user)).content.decode()
    upcoming = html.split('id="upcoming-sessions"')[1].split('id="notifications"')[0]
    assert "今年质量月培训" in upcoming and "往年的培训" not in upcoming
    assert "请核对企业信息" in html


def test_only_own_enterprise(client_for, enterprise_user, county):
    html = page(client_for(enterprise_user)).content.decode()
    assert county.outsider_appointment.person.name not in html
    assert county.second_home_appointment.person.name not in html


def test_anonymous_goes_to_login(client, db):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/portal/")


@pytest.mark.parametrize(
    "role", ["leader", "town_officer", "reviewer", "bureau_admin", "no_role_user"]
)
def test_other_roles_get_403(client_for, request, role):
    user = request.getfixturevalue(role)
    assert client_for(user).get(URL).status_code == 403
