"""Helpers of the portal tests: the POST data of a filing form (letters: ``tests.factories``)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import make_id_number


def filing_data(**overrides):
    data = {
        "person_name": "张质量",
        "id_number": make_id_number(4242),
        "mobile": "13812345678",
        "email": "zhang@example.cn",
        "education": "bachelor",
        "title": "质量工程师",
        "years_in_quality": "6",
        "position": "副总经理",
        "is_senior_manager": "on",
        "departments": ["management", "inspection"],
        "appointed_on": (timezone.localdate() - timedelta(days=5)).isoformat(),
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


@pytest.fixture
def vacant_user(enterprise_user):
    """The home enterprise's user; the enterprise has no CQO (no appointment built)."""
    return enterprise_user
