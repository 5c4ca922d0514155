"""Notifications are stored per user, emailed after commit, and idempotent by key."""

import pytest
from django.core import mail

from cqo_registry.accounts import notifications
from cqo_registry.accounts.models import Notification, NotificationKind

pytestmark = pytest.mark.django_db(transaction=True)


def test_notify_stores_and_emails_after_commit(reviewer, bureau_admin):
    reviewer.email = "reviewer@example.cn"
    reviewer.save()
    bureau_admin.email = ""  # no address: in-app only
    bureau_admin.save()
    created = notifications.notify(
        users=[reviewer, bureau_admin],
        kind=NotificationKind.FILING_SUBMITTED,
        title="新的备案待审核",
        body="某企业提交了聘任备案。",
        url="/review/",
    )
    assert len(created) == 2
    assert [m.to for m in mail.outbox if "新的备案待审核" in m.subject] == [[reviewer.email]]
    message = mail.outbox[-1]
    assert "/review/" in message.body
    assert message.alternatives[0][1] == "text/html"
    assert Notification.objects.get(user=reviewer).emailed_at is not None


def test_same_dedupe_key_is_stored_once(town_officer):
    for _ in range(2):
        notifications.notify(
            users=[town_officer],
            kind=NotificationKind.VACANCY_OVERDUE,
            title="空缺超期",
            dedupe_key="vacancy-overdue:1:2026-11-23",
        )
    assert Notification.objects.filter(user=town_officer).count() == 1


def test_recipient_helpers_pick_active_users_of_the_scope(
    reviewer, enterprise_user, home_enterprise, town_officer, home_town, outsider_town_officer
):
    assert reviewer in notifications.reviewers()
    assert enterprise_user not in notifications.reviewers()
    assert notifications.enterprise_users(home_enterprise.pk) == [enterprise_user]
    assert notifications.town_officers(home_town.pk) == [town_officer]
    enterprise_user.is_active = False
    enterprise_user.save()
    assert notifications.enterprise_users(home_enterprise.pk) == []
    assert notifications.unread_count(town_officer) == 0


def test_unread_count_counts_the_users_own_unread_notifications(reviewer, town_officer):
    from django.contrib.auth.models import AnonymousUser
    from django.utils import timezone

    from tests.factories import NotificationFactory

    NotificationFactory.create_batch(3, user=reviewer)
    NotificationFactory(user=reviewer, read_at=timezone.now())
    NotificationFactory(user=town_officer)
    assert notifications.unread_count(reviewer) == 3
    assert notifications.unread_count(town_officer) == 1
    assert notifications.unread_count(AnonymousUser()) == 0
