"""Filings in each state for the review pages, made through the services (as the portal
would), so that events, days and flags are what a reviewer really sees."""

from datetime import timedelta

import pytest
from django.utils import timezone

from appointments.services import (
    filing_approve,
    filing_create_appointment,
    filing_create_dismissal,
    filing_submit,
)
from enterprises.models import Education
from tests.factories import PersonFactory, pdf_letter


def make_submitted(enterprise, *, actor=None, days_ago=3, person=None, replace=False, **fields):
    """An appoint (or, with ``replace``, change) filing, with its letter, submitted ``days_ago``
    days after the appointment date."""
    defaults = {
        "position": "副总经理",
        "is_senior_manager": True,
        "is_principal": False,
        "departments": ["management", "inspection"],
        "letter": pdf_letter(),
    }
    defaults.update(fields)
    filing = filing_create_appointment(
        enterprise=enterprise,
        person=person or PersonFactory(),
        appointed_on=timezone.localdate() - timedelta(days=days_ago),
        replace_current=replace,
        actor=actor,
        **defaults,
    )
    return filing_submit(filing=filing, actor=actor)


def make_dismissal(enterprise, *, actor=None, days_ago=2, end_reason="left"):
    filing = filing_create_dismissal(
        enterprise=enterprise,
        end_date=timezone.localdate() - timedelta(days=days_ago),
        end_reason=end_reason,
        actor=actor,
    )
    return filing_submit(filing=filing, actor=actor)


@pytest.fixture
def qualified_person(db):
    return PersonFactory(
        name="王质量",
        education=Education.BACHELOR,
        title="高级质量工程师",
        years_in_quality=8,
        email="wang@example.cn",
    )


@pytest.fixture
def submitted(home_enterprise, enterprise_user, qualified_person):
    """A submitted appoint filing of the home enterprise (which has no CQO yet)."""
    return make_submitted(home_enterprise, actor=enterprise_user, person=qualified_person)


@pytest.fixture
def approved(submitted, reviewer):
    return filing_approve(filing=submitted, actor=reviewer)
