"""Reminders before deadlines (issue 17 §4): one service and one schedule table for the
overdue vacancy, a returned filing not resubmitted, a draft without its letter, a training
session ahead and the yearly confirmation due — idempotent, with catch-up, by the channels the
schedule says —, the bureau admin's page, and each enterprise's history of what was sent."""

from datetime import date, timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from appointments import services as filing_services
from appointments.models import Filing, FilingStatus
from confirmations import services as confirmation_services
from cqo_registry.accounts.models import Notification, NotificationKind
from cqo_registry.reminders import services
from cqo_registry.reminders.models import (
    Channels,
    ReminderLog,
    ReminderRule,
    ReminderType,
)
from cqo_registry.reminders.tasks import send_reminders
from enterprises.models import Enterprise, ReminderKind, VacancyReminder
from tests.factories import (
    EnterpriseFactory,
    FilingFactory,
    PersonFactory,
    TrainingAttendanceFactory,
    TrainingSessionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def today() -> date:
    return timezone.localdate()


def send(day=None, **kwargs) -> dict:
    return services.reminders_send(day=day or today(), **kwargs)


def rule(kind, offset, *, repeat=None, before=True):
    return ReminderRule(kind=kind, offset_days=offset, repeat_days=repeat)


# --- When a rule falls due --------------------------------------------------------------------


def test_a_rule_falls_due_before_or_after_its_anchor():
    anchor = date(2026, 6, 30)
    before = rule(ReminderType.CONFIRMATION_DUE, 7)
    assert services.occurrence_of(before, anchor, date(2026, 6, 22)) is None
    assert services.occurrence_of(before, anchor, date(2026, 6, 23)) == date(2026, 6, 23)
    assert services.occurrence_of(before, anchor, date(2026, 6, 29)) == date(2026, 6, 23)
    after = rule(ReminderType.FILING_RETURNED, 7)
    assert services.occurrence_of(after, anchor, date(2026, 7, 6)) is None
    assert services.occurrence_of(after, anchor, date(2026, 7, 7)) == date(2026, 7, 7)
    daily = rule(ReminderType.VACANCY_OVERDUE, 0, repeat=1)
    assert services.occurrence_of(daily, anchor, date(2026, 7, 9)) == date(2026, 7, 9)
    weekly = rule(ReminderType.VACANCY_OVERDUE, 3, repeat=7)
    assert services.occurrence_of(weekly, anchor, date(2026, 7, 12)) == date(2026, 7, 10)


def test_the_latest_rule_wins_and_earlier_ones_are_not_sent_late():
    anchor = date(2026, 6, 30)
    rules = [rule(ReminderType.CONFIRMATION_DUE, n) for n in (30, 7, 1)]
    found, occurrence = services.latest_due(rules, anchor, date(2026, 6, 25))
    assert (found.offset_days, occurrence) == (7, date(2026, 6, 23))
    assert services.latest_due(rules, anchor, date(2026, 5, 30)) is None


# --- The yearly confirmation due --------------------------------------------------------------


@pytest.fixture
def confirmation_round(county, bureau_admin, enterprise_user, outsider_enterprise_user):
    return confirmation_services.round_open(
        year=today().year, due_on=today() + timedelta(days=30), actor=bureau_admin
    )


def test_confirmation_reminders_go_out_30_7_and_1_days_before(
    confirmation_round, county, enterprise_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert send()[ReminderType.CONFIRMATION_DUE] == 3
    note = Notification.objects.get(user=enterprise_user, kind=NotificationKind.CONFIRMATION_DUE)
    assert "还有 30 天" in note.title and note.url == "/portal/confirmation/"
    assert enterprise_user.email in [m.to[0] for m in mail.outbox]
    # The same day again: nothing more. Eight days on: nothing (the 30-day one was sent).
    assert send()[ReminderType.CONFIRMATION_DUE] == 0
    assert send(today() + timedelta(days=8))[ReminderType.CONFIRMATION_DUE] == 0
    # An enterprise that answered gets no more reminders.
    confirmation_services.confirmation_confirm(
        confirmation=county.home_enterprise.confirmations.get(),
        position="总经理",
        departments=["safety"],
        is_principal=False,
        mobile="",
        email="",
        actor=enterprise_user,
    )
    assert send(today() + timedelta(days=23))[ReminderType.CONFIRMATION_DUE] == 2
    offsets = sorted(
        ReminderLog.objects.filter(enterprise=county.outsider_enterprise).values_list(
            "offset_days", flat=True
        )
    )
    assert offsets == [7, 30]
    assert not ReminderLog.objects.filter(enterprise=county.home_enterprise, offset_days=7).exists()
    # After the due date the round's reminders stop.
    assert send(today() + timedelta(days=31))[ReminderType.CONFIRMATION_DUE] == 0


def test_a_missed_reminder_is_sent_at_the_next_run(confirmation_round, county):
    # Beat was down until five days before the due date: the 7-day reminder goes out now.
    assert send(today() + timedelta(days=25))[ReminderType.CONFIRMATION_DUE] == 3
    assert set(ReminderLog.objects.values_list("offset_days", flat=True)) == {7}


def test_channels_in_app_only_send_no_email(
    confirmation_round, enterprise_user, django_capture_on_commit_callbacks
):
    ReminderRule.objects.filter(kind=ReminderType.CONFIRMATION_DUE).update(channels=Channels.IN_APP)
    with django_capture_on_commit_callbacks(execute=True):
        send()
    note = Notification.objects.get(user=enterprise_user, kind=NotificationKind.CONFIRMATION_DUE)
    assert not note.email_pending and note.emailed_at is None
    assert mail.outbox == []


def test_an_inactive_rule_sends_nothing(confirmation_round):
    ReminderRule.objects.filter(kind=ReminderType.CONFIRMATION_DUE).update(active=False)
    assert ReminderType.CONFIRMATION_DUE not in send()
    assert not ReminderLog.objects.exists()


# --- A training session ahead -----------------------------------------------------------------


def test_enrolled_cqos_enterprises_are_reminded_before_a_session(county, enterprise_user):
    session = TrainingSessionFactory(
        title="2026年质量月综合技能培训",
        starts_on=today() + timedelta(days=7),
        ends_on=today() + timedelta(days=8),
        place="县政务中心",
    )
    TrainingAttendanceFactory(
        session=session, person=county.home_appointment.person, attended=False, passed=False
    )
    assert send()[ReminderType.TRAINING_AHEAD] == 1
    note = Notification.objects.get(user=enterprise_user, kind=NotificationKind.TRAINING_AHEAD)
    assert "2026年质量月综合技能培训" in note.title
    assert county.home_appointment.person.name in note.body and "县政务中心" in note.body
    assert send(today() + timedelta(days=3))[ReminderType.TRAINING_AHEAD] == 0
    assert send(today() + timedelta(days=6))[ReminderType.TRAINING_AHEAD] == 1  # the day before
    assert send(today() + timedelta(days=6))[ReminderType.TRAINING_AHEAD] == 0
    assert send(today() + timedelta(days=7))[ReminderType.TRAINING_AHEAD] == 0  # started


# --- Filings: a draft without its letter, a returned one not resubmitted ----------------------


@pytest.fixture
def vacant(home_town):
    enterprise = EnterpriseFactory(town=home_town, name="城关待备案有限公司")
    user = UserFactory(username="vacant_user", enterprise_user=True, enterprise=enterprise)
    return enterprise, user


def test_a_draft_without_its_letter_is_reminded_before_its_filing_deadline(
    vacant, settings, reviewer
):
    enterprise, user = vacant
    settings.CQO_FILING_LIMIT_DAYS = 30
    person = PersonFactory()
    filing = filing_services.filing_create_appointment(
        enterprise=enterprise,
        person=person,
        position="副总经理",
        appointed_on=today() - timedelta(days=23),  # deadline in 7 days
        is_senior_manager=True,
        departments=["safety"],
        actor=user,
    )
    assert send()[ReminderType.LETTER_MISSING] == 1
    note = Notification.objects.get(user=user, kind=NotificationKind.LETTER_MISSING)
    assert note.url == reverse("portal:filing_edit", args=[filing.pk])
    assert (today() + timedelta(days=7)).isoformat() in note.title


def test_a_returned_filing_is_reminded_until_resubmitted(vacant, reviewer):
    enterprise, user = vacant
    filing = FilingFactory(
        draft=True,
        appointment__enterprise=enterprise,
        enterprise=enterprise,
        appointment__appointed_on=today() - timedelta(days=12),
    )
    Filing.objects.filter(pk=filing.pk).update(
        status=FilingStatus.RETURNED,
        return_reasons="请补充分管部门。",
        reviewed_at=timezone.now() - timedelta(days=7),
    )
    assert send()[ReminderType.FILING_RETURNED] == 1
    note = Notification.objects.get(user=user, kind=NotificationKind.FILING_RESUBMIT)
    assert "退回 7 天" in note.title and note.body == "请补充分管部门。"
    Filing.objects.filter(pk=filing.pk).update(status=FilingStatus.SUBMITTED)
    assert send(today() + timedelta(days=7))[ReminderType.FILING_RETURNED] == 0


# --- The overdue vacancy, as it always was ----------------------------------------------------


def make_overdue(town, days=45) -> Enterprise:
    enterprise = EnterpriseFactory(town=town, name="城关超期企业")
    Enterprise.objects.filter(pk=enterprise.pk).update(
        created_at=timezone.now() - timedelta(days=days)
    )
    return enterprise


def test_overdue_vacancies_are_reminded_every_day_through_the_service(
    home_town, town_officer, settings
):
    settings.CQO_VACANCY_LIMIT_DAYS = 30
    overdue = make_overdue(home_town)
    user = UserFactory(username="overdue_user", enterprise_user=True, enterprise=overdue)
    assert send()[ReminderType.VACANCY_OVERDUE] == 1
    assert send()[ReminderType.VACANCY_OVERDUE] == 0
    assert VacancyReminder.objects.get().kind == ReminderKind.OVERDUE
    assert {n.user for n in Notification.objects.all()} == {user, town_officer}
    assert send(today() + timedelta(days=1))[ReminderType.VACANCY_OVERDUE] == 1
    assert ReminderLog.objects.filter(kind=ReminderType.VACANCY_OVERDUE).count() == 2


def test_the_beat_task_runs_the_service(home_town, settings):
    settings.CQO_VACANCY_LIMIT_DAYS = 30
    make_overdue(home_town)
    assert send_reminders.delay().get()[ReminderType.VACANCY_OVERDUE] == 1
    assert send_reminders.delay(today().isoformat()).get()[ReminderType.VACANCY_OVERDUE] == 0


# --- The bureau admin's page ------------------------------------------------------------------


def test_the_bureau_admin_sees_and_changes_the_schedule(
    confirmation_round, client_for, bureau_admin
):
    send()
    client = client_for(bureau_admin)
    page = client.get(reverse("reminders:schedule"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "期限前 30 天" in html and 'id="reminder-log"' in html
    assert "信息确认将于" in html  # what was sent
    added = client.post(
        reverse("reminders:schedule"),
        {
            "kind": ReminderType.CONFIRMATION_DUE,
            "offset_days": 14,
            "channels": "in_app",
            "active": "on",
        },
    )
    assert added.status_code == 302
    new = ReminderRule.objects.get(kind=ReminderType.CONFIRMATION_DUE, offset_days=14)
    assert new.history.first().history_user == bureau_admin
    duplicate = client.post(
        reverse("reminders:schedule"),
        {"kind": ReminderType.CONFIRMATION_DUE, "offset_days": 14, "channels": "in_app"},
    )
    assert duplicate.status_code == 400
    edit = reverse("reminders:rule_edit", args=[new.pk])
    assert client.get(edit).status_code == 200
    assert (
        client.post(
            edit,
            {"kind": ReminderType.CONFIRMATION_DUE, "offset_days": 10, "channels": "in_app_email"},
        ).status_code
        == 302
    )
    new.refresh_from_db()
    assert (new.offset_days, new.channels, new.active) == (10, Channels.IN_APP_EMAIL, False)
    assert client.post(reverse("reminders:rule_delete", args=[new.pk])).status_code == 302
    assert not ReminderRule.objects.filter(pk=new.pk).exists()


@pytest.mark.parametrize(
    "role", ["reviewer", "leader", "town_officer", "enterprise_user", "no_role_user"]
)
def test_only_the_bureau_admin_reaches_the_schedule(client_for, users, role):
    client = client_for(users[role])
    existing = ReminderRule.objects.first()
    assert client.get(reverse("reminders:schedule")).status_code == 403
    payload = {"kind": ReminderType.TRAINING_AHEAD, "offset_days": 3, "channels": "in_app"}
    assert client.post(reverse("reminders:schedule"), payload).status_code == 403
    assert (
        client.post(reverse("reminders:rule_edit", args=[existing.pk]), payload).status_code == 403
    )
    assert client.post(reverse("reminders:rule_delete", args=[existing.pk])).status_code == 403
    assert ReminderRule.objects.filter(pk=existing.pk).exists()
    assert not ReminderRule.objects.filter(offset_days=3).exists()


# --- Each enterprise's history ----------------------------------------------------------------


def test_an_enterprise_history_shows_what_was_sent_when(
    confirmation_round, county, client_for, reviewer, town_officer, home_town
):
    send()
    url = reverse("reminders:enterprise", args=[county.home_enterprise.pk])
    for user in (reviewer, town_officer):
        page = client_for(user).get(url)
        assert page.status_code == 200
        assert [row["kind"] for row in page.context["rows"]] == ["年度确认即将截止"]
        assert "信息确认将于" in page.content.decode()


def test_manual_vacancy_reminders_are_in_the_history(home_town, client_for, reviewer):
    enterprise = make_overdue(home_town)
    VacancyReminder.objects.create(
        enterprise=enterprise, kind=ReminderKind.MANUAL, sent_on=today(), sent_by=reviewer
    )
    rows = (
        client_for(reviewer)
        .get(reverse("reminders:enterprise", args=[enterprise.pk]))
        .context["rows"]
    )
    assert [row["kind"] for row in rows] == ["人工提醒"]


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("outsider_town_officer", 404),
        ("leader", 403),
        ("enterprise_user", 403),
        ("outsider_enterprise_user", 403),
        ("no_role_user", 403),
    ],
)
def test_outsiders_cannot_read_an_enterprise_history(county, client_for, users, role, status):
    url = reverse("reminders:enterprise", args=[county.home_enterprise.pk])
    assert client_for(users[role]).get(url).status_code == status


def test_anonymous_users_are_sent_to_sign_in(county, client_for):
    rule_pk = ReminderRule.objects.first().pk
    for url in (
        reverse("reminders:schedule"),
        reverse("reminders:rule_edit", args=[rule_pk]),
        reverse("reminders:enterprise", args=[county.home_enterprise.pk]),
    ):
        response = client_for(None).get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
