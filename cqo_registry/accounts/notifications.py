"""Notifications: an in-app message per user, and an email after the transaction commits.

Callers say who, what and where to click; ``dedupe_key`` makes a call idempotent (the same
key is stored once, so a re-run of a daily task sends nothing new)."""

from collections.abc import Iterable

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from .models import BUREAU_ROLES, Notification, Role, User


def notify(
    *,
    users: Iterable[User],
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
    dedupe_key: str | None = None,
    email: bool = True,
) -> list[Notification]:
    """Store one notification per user and queue their emails on commit. With a
    ``dedupe_key`` each user's copy is keyed ``<dedupe_key>:<user id>`` and stored once."""
    created = []
    for user in users:
        key = f"{dedupe_key}:{user.pk}" if dedupe_key else None
        if key and Notification.objects.filter(dedupe_key=key).exists():
            continue
        try:
            with transaction.atomic():
                note = Notification.objects.create(
                    user=user, kind=kind, title=title, body=body, url=url, dedupe_key=key
                )
        except IntegrityError:  # a concurrent run stored the same key first
            continue
        created.append(note)
    if email:
        ids = [note.pk for note in created if note.user.email]
        if ids:
            transaction.on_commit(lambda: send_notification_emails(ids))
    return created


def send_notification_emails(notification_ids: list[int]) -> None:
    """Send the emails of stored notifications (text and HTML), once each."""
    pending = Notification.objects.filter(pk__in=notification_ids, emailed_at__isnull=True)
    for note in pending.select_related("user"):
        context = {"notification": note, "user": note.user, "site_url": settings.SITE_URL}
        subject = render_to_string("emails/notification_subject.txt", context).strip()
        text = render_to_string("emails/notification.txt", context)
        html = render_to_string("emails/notification.html", context)
        message = EmailMultiAlternatives(subject, text, to=[note.user.email])
        message.attach_alternative(html, "text/html")
        message.send()
        Notification.objects.filter(pk=note.pk).update(emailed_at=timezone.now())


def reviewers() -> list[User]:
    """Bureau users who review filings (active reviewers and bureau admins)."""
    return list(User.objects.filter(is_active=True, role__in=list(BUREAU_ROLES)))


def enterprise_users(enterprise_id: int) -> list[User]:
    return list(
        User.objects.filter(is_active=True, role=Role.ENTERPRISE, enterprise_id=enterprise_id)
    )


def town_officers(town_id: int) -> list[User]:
    return list(User.objects.filter(is_active=True, role=Role.TOWN_OFFICER, town_id=town_id))


def unread_count(user) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True).count()
