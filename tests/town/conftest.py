"""Vacancies for the town pages: enterprises without a filed CQO that entered the registry a
given number of days ago (the vacancy starts then, SPEC §2)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from enterprises.models import Enterprise
from tests.factories import EnterpriseFactory

LIMIT_DAYS = 30


def make_vacancy(town, *, days_open: int, **fields) -> Enterprise:
    # Without an establishment date the registry knows of it from the day its record was
    # created, so that is when its vacancy starts.
    fields.setdefault("established_on", None)
    enterprise = EnterpriseFactory(town=town, **fields)
    Enterprise.objects.filter(pk=enterprise.pk).update(
        created_at=timezone.now() - timedelta(days=days_open)
    )
    enterprise.refresh_from_db()
    return enterprise


@pytest.fixture(autouse=True)
def vacancy_limit(settings):
    settings.CQO_VACANCY_LIMIT_DAYS = LIMIT_DAYS
    return LIMIT_DAYS
