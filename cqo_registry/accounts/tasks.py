"""Notification email tasks.

``send_notification_emails`` is queued after the commit that stored the notifications
(``notifications.notify``); while the mail server is down it retries with exponential back-off
(``CQO_EMAIL_RETRY_SECONDS``, doubling, at most 30 minutes apart). ``sweep_notification_emails``
runs every five minutes from beat (schedule stored by migration 0006, django-celery-beat) and
sends what is still pending: mails whose task was lost with a broker outage, or ran out of
retries. Both take ids or numbers (JSON), and are idempotent: a notification's mail goes out
once however often they run.
"""

import logging
import smtplib
from datetime import timedelta

from celery import shared_task
from celery.utils.time import get_exponential_backoff_interval
from django.conf import settings
from django.core.mail import EmailMultiAlternatives

from . import notifications

logger = logging.getLogger(__name__)

RETRY_MAX_SECONDS = 30 * 60
MAX_RETRIES = 12  # about five hours of back-off; the sweep carries on after that


def retry_countdown(retries: int) -> int:
    """Seconds before retry number ``retries + 1``: ``CQO_EMAIL_RETRY_SECONDS`` doubled per
    retry, capped at 30 minutes, with full jitter so that a recovering server is not hit by
    every waiting task at once."""
    return get_exponential_backoff_interval(
        factor=settings.CQO_EMAIL_RETRY_SECONDS,
        retries=retries,
        maximum=RETRY_MAX_SECONDS,
        full_jitter=True,
    )


@shared_task(bind=True, max_retries=MAX_RETRIES)
def send_notification_emails(self, notification_ids: list[int]) -> int:
    """Send the pending emails of these notifications. Returns how many were sent.

    When the mail server cannot take them, retry later with back-off. Run in-process (no
    broker: ``make run``, tests) there is nobody to retry later, and the request that queued
    it must not wait: the mails stay pending for the sweep.
    """
    try:
        return notifications.notification_emails_send(notification_ids=notification_ids).sent
    except notifications.MailDeferred as exc:
        if self.request.is_eager:
            logger.warning("Mail server unavailable; emails left pending: %s", exc)
            return 0
        raise self.retry(exc=exc, countdown=retry_countdown(self.request.retries)) from exc


@shared_task
def sweep_notification_emails(older_than_seconds: int = 120) -> int:
    """Send every notification email still pending after ``older_than_seconds`` (younger
    ones belong to the task queued with them). Returns how many were sent; a mail server
    still down leaves them pending for the next sweep."""
    ids = notifications.pending_email_ids(older_than=timedelta(seconds=older_than_seconds))
    if not ids:
        return 0
    try:
        return notifications.notification_emails_send(notification_ids=ids).sent
    except notifications.MailDeferred as exc:
        logger.warning("Mail server unavailable; %d emails still pending: %s", len(ids), exc)
        return 0


@shared_task(bind=True, max_retries=MAX_RETRIES)
def send_account_email(self, subject: str, text: str, html: str, to: str) -> int:
    """Send one account e-mail already rendered by the request (a password-reset link, an
    invitation: ``mail.send_on_commit``). Returns 1 when sent, 0 when given up.

    A mail server that is down is retried with back-off like notifications; a recipient the
    server refuses for good (5xx) is given up. These mails are not kept in the database (the
    link they carry is a secret that expires): one lost with a broker outage is asked for
    again by the person waiting for it. Run in-process (no broker) a failure is logged and the
    request that asked for it goes on."""
    message = EmailMultiAlternatives(subject, text, to=[to])
    message.attach_alternative(html, "text/html")
    try:
        message.send()
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _reply in exc.recipients.values()]
        if codes and all(code >= 500 for code in codes):
            logger.warning("Account e-mail to %s given up: recipient refused %s", to, codes)
            return 0
        failure = exc
    except OSError as exc:  # refused, timed out, disconnected; other SMTP errors
        failure = exc
    else:
        return 1
    if self.request.is_eager:
        logger.warning("Mail server unavailable; account e-mail to %s not sent: %s", to, failure)
        return 0
    raise self.retry(exc=failure, countdown=retry_countdown(self.request.retries))
