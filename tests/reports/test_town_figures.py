"""A town's figures (the town dashboard's, ``selectors.town_figures``) are the county's
figures of that town: the engine limited to the town cuts the filed appointments and the
passed attendances to the town's own enterprises and persons before aggregating them, and
must count exactly what the county-wide run counts for the town — including a trained
person serving in two towns and a filed enterprise in the other town."""

from datetime import date

import pytest

from reports import selectors, statistics
from reports.models import Target
from tests.factories import (
    AppointmentFactory,
    EnterpriseFactory,
    FilingFactory,
    PersonFactory,
    TrainingAttendanceFactory,
    TrainingSessionFactory,
)
from tests.reports.test_drilldown import D, build_county

pytestmark = pytest.mark.django_db


@pytest.fixture
def towns(home_town, other_town):
    build_county([home_town, other_town], size=2)
    # A trained person serving in both towns (counted once in each town, once county-wide),
    # and one trained person serving only in the other town.
    session = TrainingSessionFactory(starts_on=date(2021, 1, 4), ends_on=date(2021, 1, 5))
    both = PersonFactory()
    for town, industry in ((home_town, "C"), (other_town, "H")):
        appointment = AppointmentFactory(
            person=both, enterprise=EnterpriseFactory(town=town, industry=industry)
        )
        FilingFactory(appointment=appointment)
    TrainingAttendanceFactory(person=both, session=session)
    elsewhere = AppointmentFactory(enterprise=EnterpriseFactory(town=other_town, industry="C"))
    TrainingAttendanceFactory(person=elsewhere.person, session=session)
    return home_town, other_town


def test_each_town_counts_what_the_county_counts_for_it(towns):
    targets = list(Target.objects.all())
    county = {result.target.code: result for result in statistics.compute_all(D, targets)}
    assert {"T1", "T2", "T3"} <= set(county)
    for town in towns:
        for result in selectors.town_figures(D, town, targets=targets):
            whole = county[result.target.code]
            assert result.total == whole.by_town[town.name], (town.name, result.target.code)
            assert result.by_town == {town.name: whole.by_town[town.name]}
    t3 = county["T3"]
    assert all(figure.population > figure.counted > 0 for figure in t3.by_town.values())
