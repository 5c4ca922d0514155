"""Mail never fails the request that caused it: against a real SMTP server (aiosmtpd) that is
stopped, an approval stands, the page says it is done, and the mail goes out once the server is
back. Mails are sent once, permanent refusals are given up, temporary ones retried.

Tasks run in-process here (test settings, no broker): the send task queued on commit runs right
after the commit and leaves the mail pending when the server is down; the sweep then sends it.
The retry with back-off in a real worker is tested in ``tests/infra/test_mail_worker.py``.
"""

import logging
import threading
from datetime import timedelta

import pytest
from celery import Celery
from django.db import connection, transaction
from django.utils import timezone

from appointments import services
from appointments.models import FilingStatus
from cqo_registry.accounts import notifications
from cqo_registry.accounts.models import Notification, NotificationKind
from cqo_registry.accounts.tasks import retry_countdown, sweep_notification_emails
from cqo_registry.queueing import queue_on_commit
from enterprises.models import Town
from tests.factories import PersonFactory, pdf_letter
from tests.smtp import SmtpSink

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def smtp(settings):
    """A running SMTP server the site sends through."""
    sink = SmtpSink().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = sink.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 5
    yield sink
    sink.stop()


@pytest.fixture
def submitted(home_enterprise, enterprise_user, reviewer, smtp):
    enterprise_user.email = "qa@example.cn"
    enterprise_user.save()
    reviewer.email = "reviewer@example.cn"
    reviewer.save()
    filing = services.filing_create_appointment(
        enterprise=home_enterprise,
        person=PersonFactory(),
        position="总经理",
        appointed_on=timezone.localdate() - timedelta(days=3),
        is_senior_manager=True,
        actor=enterprise_user,
        letter=pdf_letter(),
    )
    return services.filing_submit(filing=filing, actor=enterprise_user)


def approval_note(user) -> Notification:
    return Notification.objects.get(user=user, kind=NotificationKind.FILING_APPROVED)


def approve_on_the_page(client_for, reviewer, filing):
    return client_for(reviewer).post(f"/review/filings/{filing.pk}/approve/", follow=True)


def test_mail_goes_out_through_the_server_after_commit(
    client_for, submitted, reviewer, enterprise_user, smtp
):
    assert smtp.recipients() == [reviewer.email]  # the submission, to the reviewer

    approve_on_the_page(client_for, reviewer, submitted)

    submitted.refresh_from_db()
    assert smtp.recipients() == [reviewer.email, enterprise_user.email]
    assert submitted.number in smtp.subjects()[-1]
    note = approval_note(enterprise_user)
    assert note.emailed_at is not None and not note.email_pending
    assert note.email_attempts == 1 and note.email_error == ""


def test_smtp_down_the_approval_stands_and_the_mail_follows_when_it_is_back(
    client_for, submitted, reviewer, enterprise_user, smtp
):
    smtp.stop()

    response = approve_on_the_page(client_for, reviewer, submitted)

    # The approval stands and the page says so.
    assert response.status_code == 200
    submitted.refresh_from_db()
    assert submitted.status == FilingStatus.APPROVED
    assert f"已通过聘任备案，备案号 {submitted.number}" in response.content.decode()
    # The mail is owed, with the failure recorded.
    note = approval_note(enterprise_user)
    assert note.email_pending and note.emailed_at is None
    assert note.email_attempts == 1
    assert "Connection" in note.email_error or "refused" in note.email_error.lower()
    # Nothing goes out while the server is down, however often the sweep runs.
    assert sweep_notification_emails.delay(older_than_seconds=0).get() == 0
    note.refresh_from_db()
    assert note.email_pending and note.email_attempts == 2

    smtp.start()
    sent = sweep_notification_emails.delay(older_than_seconds=0).get()

    assert sent == 1
    assert smtp.recipients().count(enterprise_user.email) == 1
    assert submitted.number in smtp.subjects()[-1]
    note.refresh_from_db()
    assert not note.email_pending and note.emailed_at is not None and note.email_error == ""
    # Once: the next sweep finds nothing to send.
    assert sweep_notification_emails.delay(older_than_seconds=0).get() == 0
    assert smtp.recipients().count(enterprise_user.email) == 1


def test_refused_recipient_is_given_up_not_retried(
    client_for, submitted, reviewer, enterprise_user, smtp
):
    smtp.refuse[enterprise_user.email] = "550 5.1.1 no such mailbox"

    approve_on_the_page(client_for, reviewer, submitted)

    note = approval_note(enterprise_user)
    assert not note.email_pending and note.emailed_at is None
    assert note.email_error.startswith("recipient refused")
    assert sweep_notification_emails.delay(older_than_seconds=0).get() == 0
    assert enterprise_user.email not in smtp.recipients()


def test_temporary_refusal_keeps_the_mail_pending(
    client_for, submitted, reviewer, enterprise_user, smtp
):
    smtp.refuse[enterprise_user.email] = "451 4.3.0 mailbox busy, try later"

    approve_on_the_page(client_for, reviewer, submitted)

    note = approval_note(enterprise_user)
    assert note.email_pending and "451" in note.email_error
    smtp.refuse.clear()
    assert sweep_notification_emails.delay(older_than_seconds=0).get() == 1
    assert smtp.recipients().count(enterprise_user.email) == 1


def test_sweep_leaves_young_notifications_to_the_task_queued_with_them(town_officer, smtp):
    town_officer.email = "officer@example.cn"
    town_officer.save()
    smtp.stop()
    notifications.notify(users=[town_officer], kind=NotificationKind.OTHER, title="测试通知")
    smtp.start()

    assert sweep_notification_emails.delay(older_than_seconds=120).get() == 0
    assert smtp.recipients() == []
    assert sweep_notification_emails.delay(older_than_seconds=0).get() == 1
    assert smtp.recipients() == [town_officer.email]


def test_user_without_address_gets_no_pending_mail(town_officer, smtp):
    town_officer.email = ""
    town_officer.save()

    (note,) = notifications.notify(users=[town_officer], kind=NotificationKind.OTHER, title="x")

    note.refresh_from_db()
    assert not note.email_pending
    assert notifications.pending_email_ids(older_than=timedelta(0)) == []


@pytest.mark.postgres
def test_a_mail_being_sent_by_another_worker_is_not_sent_again(town_officer, smtp):
    """Two senders at once (the task and the sweep): the one that finds the row locked
    skips it, and the mail goes out once."""
    town_officer.email = "officer@example.cn"
    town_officer.save()
    smtp.stop()
    (note,) = notifications.notify(users=[town_officer], kind=NotificationKind.OTHER, title="x")
    smtp.start()
    locked, release = threading.Event(), threading.Event()

    def hold_the_row():
        try:
            with transaction.atomic():
                Notification.objects.select_for_update().get(pk=note.pk)
                locked.set()
                release.wait(30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_the_row)
    holder.start()
    try:
        assert locked.wait(30)
        result = notifications.notification_emails_send(notification_ids=[note.pk])
    finally:
        release.set()
        holder.join(30)

    assert result.sent == 0 and smtp.recipients() == []
    assert notifications.notification_emails_send(notification_ids=[note.pk]).sent == 1
    assert notifications.notification_emails_send(notification_ids=[note.pk]).sent == 0
    assert smtp.recipients() == [town_officer.email]


def test_unreachable_broker_does_not_fail_the_committed_work(caplog):
    """A broker that refuses connections when the task is queued: the transaction's work is
    committed and the failure logged, nothing raised (the sweep sends the mails later)."""
    outage = Celery("outage", set_as_current=False)
    outage.conf.update(
        broker_url="redis://127.0.0.1:1/0",  # nothing listens on port 1
        task_always_eager=False,
        broker_connection_retry=False,
        broker_transport_options={"socket_connect_timeout": 1},
    )

    @outage.task(name="outage.noop")
    def noop():
        return None

    with caplog.at_level(logging.WARNING, logger="cqo_registry.queueing"):
        with transaction.atomic():
            Town.objects.create(name="新建镇", code="340121199000")
            queue_on_commit(noop)

    assert Town.objects.filter(name="新建镇").exists()
    assert "Broker unreachable: outage.noop not queued" in caplog.text
    outage.close()


def test_retry_back_off_doubles_and_is_capped(settings):
    settings.CQO_EMAIL_RETRY_SECONDS = 60
    # Full jitter: a random wait up to the doubled ceiling, so that recovering servers are not
    # hit by every waiting task at once.
    for retries, ceiling in [(0, 60), (1, 120), (3, 480), (10, 1800)]:
        waits = {retry_countdown(retries) for _ in range(50)}
        assert max(waits) <= ceiling
        assert min(waits) >= 0
