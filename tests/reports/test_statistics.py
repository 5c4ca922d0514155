"""The statistics engine follows SPEC §3 to the letter, edges included, and agrees with a
plain per-row reference implementation on random data."""

import json
import random
from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from reports import statistics
from reports.models import Target
from tests.factories import (
    AppointmentFactory,
    EnterpriseFactory,
    PersonFactory,
    TownFactory,
    TrainingAttendanceFactory,
    TrainingSessionFactory,
)

D = date(2021, 6, 30)

pytestmark = pytest.mark.django_db


def figures(code: str, day: date = D):
    return statistics.compute_target(Target.objects.get(code=code), day)


def test_notice_targets_are_seeded():
    assert list(Target.objects.values_list("code", "deadline")) == [
        ("T1", date(2021, 1, 31)),
        ("T2", date(2021, 12, 31)),
        ("T3", date(2022, 12, 31)),
    ]


def test_appointment_starting_on_d_counts_and_ending_on_d_does_not():
    starts = AppointmentFactory(appointed_on=D, filed_on=D)
    AppointmentFactory(
        appointed_on=date(2021, 1, 4), filed_on=date(2021, 1, 5), ended_on=D, end_reason="dismissed"
    )
    result = figures("T1")
    assert (result.total.population, result.total.counted) == (2, 1)
    assert result.by_town[starts.enterprise.town.name].counted == 1


def test_filing_approved_after_d_does_not_count_yet():
    appointment = AppointmentFactory(appointed_on=date(2021, 6, 1), filed_on=D + timedelta(1))
    assert figures("T1").total.counted == 0
    assert figures("T1", appointment.filed_on).total.counted == 1


def test_enterprise_deregistered_on_d_is_out_and_established_on_d_is_in():
    EnterpriseFactory(deregistered_on=D)
    EnterpriseFactory(established_on=D)
    EnterpriseFactory(established_on=D + timedelta(1))
    assert figures("T1").total.population == 1


def test_zero_population_gives_null_rate():
    result = figures("T2")
    assert result.total.population == 0
    assert result.total.rate is None


def test_t2_counts_required_smes_and_micro_only():
    EnterpriseFactory(scale="sme", requires_cqo=True)
    EnterpriseFactory(scale="micro", requires_cqo=True)
    EnterpriseFactory(scale="sme", requires_cqo=False)
    EnterpriseFactory(scale="above")
    assert figures("T2").total.population == 2


def test_t3_counts_distinct_persons_trained_by_d():
    person = PersonFactory()
    town = TownFactory()
    # One person serving two enterprises is one CQO county-wide.
    AppointmentFactory(person=person, enterprise=EnterpriseFactory(town=town))
    AppointmentFactory(person=person, enterprise=EnterpriseFactory(town=town))
    untrained = AppointmentFactory()
    late_session = TrainingSessionFactory(starts_on=D, ends_on=D + timedelta(1))
    TrainingAttendanceFactory(person=untrained.person, session=late_session)
    failed = AppointmentFactory()
    TrainingAttendanceFactory(
        person=failed.person,
        passed=False,
        session=TrainingSessionFactory(starts_on=date(2021, 3, 1), ends_on=date(2021, 3, 1)),
    )
    TrainingAttendanceFactory(person=person, session=TrainingSessionFactory(starts_on=D, ends_on=D))
    result = figures("T3")
    assert (result.total.population, result.total.counted) == (3, 1)
    assert result.by_town[town.name].population == 1
    assert figures("T3", D + timedelta(1)).total.counted == 2


def test_by_industry_breakdown():
    AppointmentFactory(enterprise=EnterpriseFactory(industry="H"))
    EnterpriseFactory(industry="C")
    result = figures("T1")
    assert result.by_industry["H"].rate == 1.0
    assert result.by_industry["C"].rate == 0.0


def test_target_stats_json_matches_the_contract():
    town = TownFactory(name="城关镇")
    AppointmentFactory(enterprise=EnterpriseFactory(town=town, industry="C"))
    EnterpriseFactory(town=town, industry="C")
    out = StringIO()
    call_command("target_stats", "--as-of", "2021-06-30", "--format", "json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["as_of"] == "2021-06-30"
    t1 = data["targets"][0]
    assert t1 == {
        "code": "T1",
        "deadline": "2021-01-31",
        "population": 2,
        "counted": 1,
        "rate": 0.5,
        "by_town": [{"town": "城关镇", "population": 2, "counted": 1, "rate": 0.5}],
        "by_industry": [{"industry": "C", "population": 2, "counted": 1, "rate": 0.5}],
    }
    assert [t["code"] for t in data["targets"]] == ["T1", "T2", "T3"]


def test_target_stats_table_and_bad_date():
    out = StringIO()
    call_command("target_stats", "--as-of", "2021-06-30", stdout=out)
    assert "T1" in out.getvalue()
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("target_stats", "--as-of", "30/06/2021")


# --- Reference implementation on random data --------------------------------------------


def reference(code: str, day: date) -> tuple[int, int]:
    """SPEC §3 read literally, one row at a time in Python."""
    from appointments.models import Appointment
    from enterprises.models import Enterprise
    from training.models import TrainingAttendance

    def active(e):
        return (e.established_on is None or e.established_on <= day) and (
            e.deregistered_on is None or e.deregistered_on > day
        )

    def current(a):
        return (
            a.filed_on is not None
            and a.filed_on <= day
            and a.appointed_on <= day
            and (a.ended_on is None or a.ended_on > day)
        )

    appointments = list(Appointment.objects.select_related("enterprise"))
    if code in ("T1", "T2"):
        population = [
            e
            for e in Enterprise.objects.all()
            if active(e)
            and (
                e.scale == "above"
                if code == "T1"
                else e.scale in ("sme", "micro") and e.requires_cqo
            )
        ]
        counted = [
            e
            for e in population
            if any(a.enterprise_id == e.pk and current(a) for a in appointments)
        ]
        return len(population), len(counted)
    persons = {a.person_id for a in appointments if current(a) and active(a.enterprise)}
    trained = {
        t.person_id
        for t in TrainingAttendance.objects.select_related("session")
        if t.passed and t.session.ends_on <= day
    }
    return len(persons), len(persons & trained)


def build_random_county(rng: random.Random):
    towns = [TownFactory() for _ in range(3)]
    persons = [PersonFactory() for _ in range(25)]
    sessions = [
        TrainingSessionFactory(
            starts_on=date(2020 + i // 2, 3 + 6 * (i % 2), 1),
            ends_on=date(2020 + i // 2, 3 + 6 * (i % 2), 2),
        )
        for i in range(5)
    ]
    for _ in range(40):
        enterprise = EnterpriseFactory(
            town=rng.choice(towns),
            industry=rng.choice("CFH"),
            scale=(scale := rng.choice(["above", "sme", "micro"])),
            requires_cqo=scale == "above" or rng.random() < 0.6,
            established_on=rng.choice([None, date(2019, 1, 1), date(2021, 3, 1)]),
            deregistered_on=rng.choice([None, None, None, date(2021, 9, 1)]),
        )
        start = date(2020, 6, 1) + timedelta(days=rng.randrange(600))
        if rng.random() < 0.8:
            ended = start + timedelta(days=rng.randrange(400)) if rng.random() < 0.3 else None
            AppointmentFactory(
                enterprise=enterprise,
                person=rng.choice(persons),
                appointed_on=start,
                filed_on=None if rng.random() < 0.1 else start + timedelta(rng.randrange(60)),
                ended_on=ended,
                end_reason="left" if ended else "",
            )
    for person in rng.sample(persons, 15):
        TrainingAttendanceFactory(
            person=person, session=rng.choice(sessions), passed=rng.random() < 0.8
        )


@pytest.mark.parametrize("seed", [1, 2])
def test_engine_agrees_with_reference_on_random_data(seed):
    build_random_county(random.Random(seed))
    for day in [date(2020, 12, 31), date(2021, 1, 31), date(2021, 9, 1), date(2022, 12, 31)]:
        for code in ("T1", "T2", "T3"):
            result = figures(code, day)
            assert (result.total.population, result.total.counted) == reference(code, day), (
                code,
                day,
            )
            towns = result.by_town.values()
            if code != "T3":  # a person may serve in two towns: T3 towns need not add up
                assert sum(f.population for f in towns) == result.total.population
                assert sum(f.counted for f in towns) == result.total.counted
