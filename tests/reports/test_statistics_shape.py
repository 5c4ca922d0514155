"""The statistics engine's query shape (issue 11): a fixed number of queries whatever the
number of targets, and on PostgreSQL no subplan for the "filed" and "trained" marks — an
``IN (subquery)`` list is hashed only while it fits in ``work_mem`` and rescanned for every
row past it, which is what stopped a 300,000-enterprise county. Speed itself is measured in
bench/ (``bench_stats.py``), never here."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reports import statistics
from reports.models import Criterion, Population, Target
from tests.factories import (
    AppointmentFactory,
    EnterpriseFactory,
    TargetFactory,
    TrainingAttendanceFactory,
    TrainingSessionFactory,
)

D = date(2021, 6, 30)

pytestmark = pytest.mark.django_db


def small_county():
    trained = AppointmentFactory(enterprise=EnterpriseFactory(scale="above"))
    AppointmentFactory(enterprise=EnterpriseFactory(scale="sme", requires_cqo=True))
    EnterpriseFactory(scale="micro", requires_cqo=True)
    session = TrainingSessionFactory(starts_on=date(2021, 3, 1), ends_on=date(2021, 3, 2))
    TrainingAttendanceFactory(person=trained.person, session=session)


def engine_queries(day: date) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        statistics.compute_all(day)
    # The engine's own queries are those over the appointments (not the targets or towns).
    return [
        query["sql"]
        for query in captured.captured_queries
        if "appointments_appointment" in query["sql"]
    ]


def test_query_count_does_not_grow_with_the_targets():
    small_county()
    with CaptureQueriesContext(connection) as three:
        before = statistics.compute_all(D)
    TargetFactory(code="T1-2025", name="规上企业 2025", deadline=date(2025, 12, 31))
    TargetFactory(
        code="T3-2025",
        name="培训 2025",
        population=Population.FILED_CQOS,
        criterion=Criterion.TRAINED,
        deadline=date(2025, 12, 31),
    )
    with CaptureQueriesContext(connection) as five:
        after = {result.target.code: result for result in statistics.compute_all(D)}
    assert len(five.captured_queries) == len(three.captured_queries) == 4
    for result in before:
        assert after[result.target.code].total == result.total
    assert after["T1-2025"].total == after["T1"].total == statistics.Figure(1, 1)
    assert after["T3-2025"].total == after["T3"].total == statistics.Figure(2, 1)
    assert after["T3-2025"].by_town == after["T3"].by_town


def test_progress_is_reported_once_per_target_in_order():
    small_county()
    seen = []
    results = statistics.compute_all(D, progress=seen.append)
    assert seen == [1, 2, 3] and len(results) == 3


@pytest.mark.postgres
def test_postgres_plans_the_marks_as_joins_not_subplans():
    small_county()
    queries = engine_queries(D)
    assert len(queries) == 2  # the enterprise targets together, the CQO targets
    with connection.cursor() as cursor:
        # The smallest work_mem: a hashed subplan would not fit and turn into a rescan.
        cursor.execute("SET work_mem = '64kB'")
        try:
            for sql in queries:
                cursor.execute("EXPLAIN " + sql)
                plan = "\n".join(row[0] for row in cursor.fetchall())
                assert "SubPlan" not in plan, plan
        finally:
            cursor.execute("RESET work_mem")


def test_a_person_serving_several_towns_and_sections_counts_once_in_each():
    from tests.factories import PersonFactory, TownFactory

    north, south = TownFactory(), TownFactory()
    busy, single = PersonFactory(), PersonFactory()
    for town, section in ((north, "C"), (south, "C"), (south, "H")):
        AppointmentFactory(person=busy, enterprise=EnterpriseFactory(town=town, industry=section))
    AppointmentFactory(person=single, enterprise=EnterpriseFactory(town=north, industry="H"))
    # An enterprise without a town yet (待完善): its CQO counts county-wide only.
    AppointmentFactory(enterprise=EnterpriseFactory(town=None, industry=""))
    session = TrainingSessionFactory(starts_on=date(2021, 3, 1), ends_on=date(2021, 3, 2))
    TrainingAttendanceFactory(person=busy, session=session)
    TrainingAttendanceFactory(person=busy, session=TrainingSessionFactory())
    t3 = statistics.compute_target(Target.objects.get(code="T3"), D)
    assert t3.total == statistics.Figure(3, 1)
    assert t3.by_town == {
        north.name: statistics.Figure(2, 1),
        south.name: statistics.Figure(1, 1),
    }
    assert t3.by_industry == {"C": statistics.Figure(1, 1), "H": statistics.Figure(2, 1)}
