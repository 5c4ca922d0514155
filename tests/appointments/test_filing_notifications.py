"""The filing workflow tells the people who must act: reviewers on submission, the
enterprise on approval or return (in-app and by email after commit)."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from appointments import services
from cqo_registry.accounts.models import Notification, NotificationKind
from tests.factories import PersonFactory, pdf_letter

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def submitted(second_home_enterprise, enterprise_user, reviewer):
    enterprise_user.enterprise = second_home_enterprise
    enterprise_user.email = "qa@example.cn"
    enterprise_user.save()
    filing = services.filing_create_appointment(
        enterprise=second_home_enterprise,
        person=PersonFactory(),
        position="总经理",
        appointed_on=timezone.localdate() - timedelta(days=3),
        is_senior_manager=True,
        actor=enterprise_user,
        letter=pdf_letter(),
    )
    return services.filing_submit(filing=filing, actor=enterprise_user)


def test_submission_notifies_reviewers(submitted, reviewer):
    note = Notification.objects.get(user=reviewer)
    assert note.kind == NotificationKind.FILING_SUBMITTED
    assert submitted.enterprise.name in note.title
    assert note.url == f"/review/filings/{submitted.pk}/"


def test_return_notifies_enterprise_with_reasons(submitted, reviewer, enterprise_user):
    services.filing_return(filing=submitted, reasons="聘任文件缺少公章", actor=reviewer)
    note = Notification.objects.get(user=enterprise_user, kind=NotificationKind.FILING_RETURNED)
    assert note.body == "聘任文件缺少公章"
    assert any("聘任文件缺少公章" in m.body for m in mail.outbox if m.to == [enterprise_user.email])


def test_approval_notifies_enterprise_with_number(submitted, reviewer, enterprise_user):
    filing = services.filing_approve(filing=submitted, actor=reviewer)
    note = Notification.objects.get(user=enterprise_user, kind=NotificationKind.FILING_APPROVED)
    assert filing.number in note.title
