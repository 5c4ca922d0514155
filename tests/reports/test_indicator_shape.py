"""The dashboard's indicators (vacancies, principal share, late filings) computed live — for a
date without a snapshot, and by the snapshot task — keep the statistics engine's shape
(issue 11): on PostgreSQL no mark is a ``NOT IN (subquery)``, which is hashed only while it
fits in ``work_mem`` and past it rescanned for every enterprise (at 1,000,000 enterprises the
vacancy count ran past ten minutes). Speed itself is measured in bench/, never here."""

import re
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from appointments import registry
from reports import selectors
from tests.factories import AppointmentFactory, EnterpriseFactory

D = date(2021, 6, 30)

pytestmark = pytest.mark.django_db

# What a NOT IN (subquery) becomes in a plan: a filter on a (hashed or not) subplan.
NOT_IN_SUBPLAN = re.compile(r"NOT \((hashed )?SubPlan")


@pytest.mark.postgres
def test_live_indicators_plan_no_not_in_subplan(home_town):
    AppointmentFactory(enterprise=EnterpriseFactory(town=home_town))
    vacant = EnterpriseFactory(town=home_town)
    with CaptureQueriesContext(connection) as captured:
        county = selectors.dashboard_indicators(D)
        by_town = selectors.indicators_by_town(D)
    assert county.vacancies == by_town[home_town.pk].vacancies == 1
    assert list(registry.vacant_enterprises(D).values_list("pk", flat=True)) == [vacant.pk]
    queries = [q["sql"] for q in captured.captured_queries if "enterprises_enterprise" in q["sql"]]
    assert queries
    with connection.cursor() as cursor:
        # The smallest work_mem: a hashed subplan would not fit and turn into a rescan.
        cursor.execute("SET work_mem = '64kB'")
        try:
            for sql in queries:
                cursor.execute("EXPLAIN " + sql)
                plan = "\n".join(row[0] for row in cursor.fetchall())
                assert not NOT_IN_SUBPLAN.search(plan), plan
        finally:
            cursor.execute("RESET work_mem")
