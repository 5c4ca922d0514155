"""The daily overdue-vacancy reminders: who is told, once a day however often it runs, the
emails leaving after commit, set-based reads, and the beat schedule the migration stores."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from cqo_registry.accounts.models import Notification, NotificationKind
from cqo_registry.reminders.models import ReminderRule, ReminderType
from enterprises import vacancies
from enterprises.models import ReminderKind, VacancyReminder
from enterprises.tasks import send_overdue_vacancy_reminders
from tests.factories import UserFactory

from .conftest import make_vacancy

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def overdue(home_town):
    return make_vacancy(home_town, days_open=45, name="城关超期企业")


@pytest.fixture
def overdue_user(overdue):
    return UserFactory(username="overdue_user", enterprise_user=True, enterprise=overdue)


def test_running_twice_the_same_day_reminds_once(
    overdue, overdue_user, town_officer, outsider_town_officer, enterprise_user, county
):
    # ``county``: the enterprise user's own enterprise has its filed CQO, so it is not vacant
    # (established in 2010, it would otherwise be long overdue).
    assert send_overdue_vacancy_reminders.delay().get() == 1
    assert send_overdue_vacancy_reminders.delay().get() == 0
    reminder = VacancyReminder.objects.get()
    assert (reminder.enterprise, reminder.kind, reminder.sent_on, reminder.sent_by) == (
        overdue,
        ReminderKind.OVERDUE,
        timezone.localdate(),
        None,
    )
    notes = Notification.objects.order_by("user__username")
    assert [(n.user, n.kind) for n in notes] == [
        (overdue_user, NotificationKind.VACANCY_OVERDUE),
        (town_officer, NotificationKind.VACANCY_OVERDUE),
    ]
    by_user = {n.user: n for n in notes}
    assert by_user[overdue_user].url == reverse("portal:home")
    assert by_user[town_officer].url == reverse("town:vacancy", args=[overdue.pk])
    assert "城关超期企业" in by_user[town_officer].title
    day = timezone.localdate().isoformat()
    assert (
        by_user[town_officer].dedupe_key == f"vacancy-overdue:{overdue.pk}:{day}:{town_officer.pk}"
    )
    # Emailed once each, after commit; nobody else (another enterprise, another town).
    assert sorted(m.to[0] for m in mail.outbox) == sorted([overdue_user.email, town_officer.email])
    assert all(n.emailed_at is not None for n in notes)


def test_the_next_day_reminds_again(overdue, overdue_user):
    today = timezone.localdate()
    vacancies.vacancy_send_overdue_reminders(day=today)
    vacancies.vacancy_send_overdue_reminders(day=today + timedelta(days=1))
    assert VacancyReminder.objects.count() == 2
    assert Notification.objects.filter(user=overdue_user).count() == 2


def test_a_lost_reminder_row_does_not_duplicate_notifications(overdue, overdue_user, town_officer):
    """Even if the day's reminder row went missing, the notifications' dedupe key keeps each
    recipient's copy single."""
    vacancies.vacancy_send_overdue_reminders()
    VacancyReminder.objects.all().delete()
    vacancies.vacancy_send_overdue_reminders()
    assert Notification.objects.filter(user=overdue_user).count() == 1
    assert Notification.objects.filter(user=town_officer).count() == 1
    assert len(mail.outbox) == 2


def test_not_yet_overdue_and_filed_enterprises_get_nothing(
    home_town, town_officer, home_appointment, enterprise_user
):
    recent = make_vacancy(home_town, days_open=30)  # exactly the limit: not overdue yet
    UserFactory(enterprise_user=True, enterprise=recent)
    assert send_overdue_vacancy_reminders.delay().get() == 0
    assert not VacancyReminder.objects.exists()
    assert not Notification.objects.exists()
    assert mail.outbox == []


def test_a_manual_reminder_does_not_stop_the_overdue_one(overdue, overdue_user, town_officer):
    VacancyReminder.objects.create(
        enterprise=overdue,
        kind=ReminderKind.MANUAL,
        sent_on=timezone.localdate(),
        sent_by=town_officer,
    )
    assert vacancies.vacancy_send_overdue_reminders() == 1


def test_vacancy_without_users_is_still_recorded(overdue):
    assert vacancies.vacancy_send_overdue_reminders() == 1
    assert VacancyReminder.objects.filter(kind=ReminderKind.OVERDUE).count() == 1
    assert not Notification.objects.exists()


def test_reads_are_set_based(home_town, other_town, django_assert_num_queries):
    for days in (40, 50, 60):
        make_vacancy(home_town, days_open=days)
        make_vacancy(other_town, days_open=days)
    with django_assert_num_queries(1):
        enterprises = list(vacancies.overdue_vacancies(timezone.localdate()))
    assert len(enterprises) == 6
    with django_assert_num_queries(1):
        vacancies._recipients_by_scope(enterprises)


@pytest.mark.django_db  # not transactional: a flushed database has lost the migration's rows
def test_beat_schedule_is_registered():
    # Beat runs the one reminder service (issue 17 §4), whose schedule holds the overdue-vacancy
    # reminder as it always was — every day from the first overdue day; the separate daily
    # task it covers is no longer scheduled (it would only repeat the same reminders).
    task = PeriodicTask.objects.get(task="cqo_registry.reminders.tasks.send_reminders")
    assert task.enabled
    assert (task.crontab.hour, task.crontab.minute) == ("8", "30")
    assert str(task.crontab.timezone) == "Asia/Shanghai"
    assert not PeriodicTask.objects.filter(
        task="enterprises.tasks.send_overdue_vacancy_reminders"
    ).exists()
    rule = ReminderRule.objects.get(kind=ReminderType.VACANCY_OVERDUE)
    assert (rule.offset_days, rule.repeat_days, rule.active) == (0, 1, True)
