"""One enterprise's vacancy page: scope (another town's enterprise is a 404), notes and
reminders recorded with their author, and what happens for an enterprise that is not vacant."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from cqo_registry.accounts.models import Notification, NotificationKind
from enterprises.models import ReminderKind, VacancyNote, VacancyReminder
from tests.factories import UserFactory

from .conftest import make_vacancy


@pytest.fixture
def vacancy(home_town):
    return make_vacancy(
        home_town,
        days_open=40,
        name="城关空缺企业",
        legal_representative="王法人",
        contact_phone="0551-66880000",
    )


@pytest.fixture
def vacancy_user(vacancy):
    return UserFactory(username="vacancy_user", enterprise_user=True, enterprise=vacancy)


@pytest.fixture
def outsider_vacancy(other_town):
    return make_vacancy(other_town, days_open=40, name="双墩空缺企业")


def page_url(enterprise):
    return reverse("town:vacancy", args=[enterprise.pk])


def note_url(enterprise):
    return reverse("town:vacancy_note", args=[enterprise.pk])


def remind_url(enterprise):
    return reverse("town:vacancy_remind", args=[enterprise.pk])


def message_texts(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_town_officer_sees_the_enterprise_and_its_contacts(client_for, town_officer, vacancy):
    response = client_for(town_officer).get(page_url(vacancy))
    assert response.status_code == 200
    html = response.content.decode()
    assert "城关空缺企业" in html
    assert "王法人" in html
    assert "0551-66880000" in html
    assert "已空缺 40 天" in html
    assert 'id="note-form"' in html and 'id="remind-form"' in html


def test_bureau_opens_any_town(client_for, reviewer, bureau_admin, outsider_vacancy):
    for user in (reviewer, bureau_admin):
        assert client_for(user).get(page_url(outsider_vacancy)).status_code == 200


def test_outsider_town_officer_gets_404(client_for, outsider_town_officer, vacancy, vacancy_user):
    client = client_for(outsider_town_officer)
    assert client.get(page_url(vacancy)).status_code == 404
    assert client.post(note_url(vacancy), {"text": "越权"}).status_code == 404
    assert client.post(remind_url(vacancy)).status_code == 404
    assert not VacancyNote.objects.exists()
    assert not VacancyReminder.objects.exists()
    assert not Notification.objects.exists()


def test_unknown_enterprise_is_404(client_for, reviewer):
    assert client_for(reviewer).get(reverse("town:vacancy", args=[999999])).status_code == 404


@pytest.mark.parametrize("action", ["page", "note", "remind"])
def test_leader_enterprise_and_anonymous_are_refused(
    client_for, action, leader, enterprise_user, vacancy
):
    url = {"page": page_url, "note": note_url, "remind": remind_url}[action](vacancy)
    method = "get" if action == "page" else "post"
    for user in (leader, enterprise_user):
        assert getattr(client_for(user), method)(url).status_code == 403
    response = getattr(client_for(None), method)(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_add_note_records_the_author(client_for, town_officer, vacancy):
    client = client_for(town_officer)
    response = client.post(note_url(vacancy), {"text": "  已电话联系，企业下周提交  "})
    assert response.status_code == 302
    assert response["Location"] == page_url(vacancy)
    note = VacancyNote.objects.get()
    assert (note.enterprise, note.author, note.text) == (
        vacancy,
        town_officer,
        "已电话联系，企业下周提交",
    )
    assert "已电话联系，企业下周提交" in client.get(page_url(vacancy)).content.decode()


def test_reviewer_may_add_a_note_too(client_for, reviewer, outsider_vacancy):
    client_for(reviewer).post(note_url(outsider_vacancy), {"text": "局里已约谈"})
    assert VacancyNote.objects.get().author == reviewer


def test_blank_note_is_refused(client_for, town_officer, vacancy):
    response = client_for(town_officer).post(note_url(vacancy), {"text": "   "})
    assert response.status_code == 400
    assert "请填写跟进情况" in response.content.decode()
    assert not VacancyNote.objects.exists()


def test_note_page_only_accepts_post(client_for, town_officer, vacancy):
    assert client_for(town_officer).get(note_url(vacancy)).status_code == 405
    assert client_for(town_officer).get(remind_url(vacancy)).status_code == 405


def test_reminder_notifies_the_enterprise_and_records_the_actor(
    client_for,
    town_officer,
    vacancy,
    vacancy_user,
    enterprise_user,
    django_capture_on_commit_callbacks,
    mailoutbox,
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(town_officer).post(remind_url(vacancy))
    assert response.status_code == 302
    reminder = VacancyReminder.objects.get()
    assert (reminder.enterprise, reminder.kind, reminder.sent_by, reminder.sent_on) == (
        vacancy,
        ReminderKind.MANUAL,
        town_officer,
        timezone.localdate(),
    )
    notification = Notification.objects.get()
    assert notification.user == vacancy_user  # not another enterprise's user
    assert notification.kind == NotificationKind.VACANCY_REMINDER
    assert notification.url == reverse("portal:home")
    assert "40" in notification.body
    assert [m.to for m in mailoutbox] == [[vacancy_user.email]]


def test_second_reminder_the_same_day_is_refused(client_for, town_officer, vacancy, vacancy_user):
    client = client_for(town_officer)
    client.post(remind_url(vacancy))
    response = client.post(remind_url(vacancy), follow=True)
    assert "今天已向该企业发送过提醒" in response.content.decode()
    assert VacancyReminder.objects.count() == 1
    assert Notification.objects.count() == 1


def test_reminder_without_enterprise_accounts_says_so(client_for, town_officer, vacancy):
    response = client_for(town_officer).post(remind_url(vacancy), follow=True)
    assert "还没有已激活的系统账号" in response.content.decode()
    assert not VacancyReminder.objects.exists()


def test_enterprise_with_a_filed_cqo_is_not_a_vacancy(
    client_for, town_officer, home_appointment, enterprise_user
):
    enterprise = home_appointment.enterprise
    client = client_for(town_officer)
    response = client.get(page_url(enterprise))
    assert response.status_code == 200
    html = response.content.decode()
    assert "不在空缺名单中" in html
    assert 'id="note-form"' not in html and 'id="remind-form"' not in html
    # A stale form posted anyway is refused with the same explanation.
    response = client.post(note_url(enterprise), {"text": "已备案还跟进"})
    assert any("不在空缺名单中" in text for text in message_texts(response))
    response = client.post(remind_url(enterprise))
    assert any("不在空缺名单中" in text for text in message_texts(response))
    assert not VacancyNote.objects.exists()
    assert not VacancyReminder.objects.exists()
    assert not Notification.objects.exists()


def test_page_shows_appointment_history_without_personal_numbers(
    client_for, town_officer, home_town
):
    from datetime import timedelta

    from tests.factories import AppointmentFactory

    enterprise = make_vacancy(home_town, days_open=500, name="历史企业")
    ended = AppointmentFactory(
        enterprise=enterprise,
        appointed_on=timezone.localdate() - timedelta(days=300),
        filed_on=timezone.localdate() - timedelta(days=290),
        ended_on=timezone.localdate() - timedelta(days=10),
        end_reason="left",
    )
    html = client_for(town_officer).get(page_url(enterprise)).content.decode()
    assert ended.person.name in html
    assert "离职" in html
    assert ended.person.id_number not in html
    assert ended.person.mobile not in html
