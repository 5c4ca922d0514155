"""Drill-down rows link to the enterprise's or the person's page (issue 12)."""

from datetime import date

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_enterprise_rows_link_to_the_enterprise_page(client_for, reviewer, county, home_enterprise):
    url = reverse("reports:explain", args=["T1"]) + f"?as_of={date.today().isoformat()}"
    html = client_for(reviewer).get(url).content.decode()
    assert f'href="{reverse("enterprises:detail", args=[home_enterprise.pk])}"' in html


def test_person_rows_link_to_the_person_page(client_for, reviewer, county, home_appointment):
    url = reverse("reports:explain", args=["T3"]) + f"?as_of={date.today().isoformat()}"
    html = client_for(reviewer).get(url).content.decode()
    assert f'href="{reverse("persons:detail", args=[home_appointment.person_id])}"' in html
