"""Campaigns for the selection tests: the period 2023 (the cast's CQOs were appointed and
filed in January 2021 and trained in 2021–2023 sessions, so they are eligible)."""

from datetime import date

import pytest

from training.models import CampaignStatus, SelectionCampaign

PERIOD_START = date(2023, 1, 1)
PERIOD_END = date(2023, 12, 31)


@pytest.fixture
def make_campaign(db):
    def make(status=CampaignStatus.NOMINATING, **fields) -> SelectionCampaign:
        values = {
            "year": 2023,
            "title": "2023年度优秀首席质量官评选",
            "period_start": PERIOD_START,
            "period_end": PERIOD_END,
            "quota": 2,
            "status": status,
        }
        values.update(fields)
        return SelectionCampaign.objects.create(**values)

    return make


@pytest.fixture
def campaign(make_campaign):
    return make_campaign()
