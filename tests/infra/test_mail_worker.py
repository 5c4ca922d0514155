"""The notification email task in a real worker retries with back-off while the mail server is
down, and sends the mail once when it is back (PostgreSQL: the worker reads the notification
from the test database, which a SQLite test database in memory would hide from it; Redis: the
broker)."""

import pytest
from django.db import connection

from cqo_registry.accounts.models import Notification, NotificationKind
from cqo_registry.accounts.tasks import send_notification_emails
from tests.infra.celery_workers import celery_worker, wait_until
from tests.smtp import SmtpSink

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

TIMEOUT = 60  # seconds; a cold worker start imports Django and every app


def database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def smtp():
    sink = SmtpSink()  # a port of its own, not listening yet: the mail server is down
    yield sink
    sink.stop()


def test_worker_retries_while_the_mail_server_is_down_then_sends_once(
    sender, redis_url, smtp, tmp_path, town_officer
):
    town_officer.email = "officer@example.cn"
    town_officer.save()
    note = Notification.objects.create(
        user=town_officer, kind=NotificationKind.OTHER, title="测试邮件", email_pending=True
    )
    environment = {
        "DATABASE_URL": database_url(),
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp.port),
        "EMAIL_TIMEOUT": "5",
        "CQO_EMAIL_RETRY_SECONDS": "1",  # back-off of 1, 2, 4… seconds
    }
    with celery_worker(
        redis_url=redis_url, log_path=tmp_path / "worker.log", environment=environment
    ) as worker:
        sender.send_task(send_notification_emails.name, args=[[note.pk]], queue=worker["queue"])

        def attempts() -> int:
            return Notification.objects.get(pk=note.pk).email_attempts

        # Tried, failed, retried and failed again while the server is down.
        wait_until(lambda: attempts() >= 2, worker, timeout=TIMEOUT, what="two failed attempts")
        assert smtp.received == []
        assert "Retry in" in worker["log"].read_text(errors="replace")

        smtp.start()
        wait_until(
            lambda: not Notification.objects.get(pk=note.pk).email_pending,
            worker,
            timeout=TIMEOUT,
            what="the mail sent after the server came back",
        )

    note.refresh_from_db()
    assert note.emailed_at is not None and note.email_error == ""
    assert smtp.recipients() == [town_officer.email]
    assert smtp.subjects() == ["【首席质量官备案】测试邮件"]
