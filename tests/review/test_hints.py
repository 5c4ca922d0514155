"""Eligibility hints (SPEC §6), one case at a time, and against the configurable guideline."""

import pytest

from appointments.hints import DANGER, INFO, OK, WARNING, appointment_hints, filing_hints
from enterprises.models import Education
from tests.factories import AppointmentFactory, EnterpriseFactory, PersonFactory

from .conftest import make_dismissal

pytestmark = pytest.mark.django_db


def hint(appointment, code):
    return next(h for h in appointment_hints(appointment) if h.code == code)


def pending(**fields):
    """An appointment awaiting review (not filed), with a person made from ``person__*``."""
    person_fields = {k[len("person__") :]: v for k, v in fields.items() if k.startswith("person__")}
    fields = {k: v for k, v in fields.items() if not k.startswith("person__")}
    person = PersonFactory(**person_fields)
    return AppointmentFactory(person=person, filed_on=None, **fields)


def test_senior_manager_ok():
    assert hint(pending(is_senior_manager=True), "senior_manager").level == OK


def test_not_senior_manager_is_against_the_notice():
    found = hint(pending(is_senior_manager=False), "senior_manager")
    assert found.level == DANGER
    assert "高层管理人员" in found.message


def test_principal_serving_as_cqo_is_encouraged():
    found = hint(pending(is_principal=True), "principal")
    assert found.level == OK
    assert "主要负责人" in found.message


def test_not_principal_is_only_information():
    assert hint(pending(is_principal=False), "principal").level == INFO


@pytest.mark.parametrize(
    ("years", "level"), [(None, WARNING), (0, WARNING), (2, WARNING), (3, OK), (15, OK)]
)
def test_years_in_quality_against_the_default_guideline(years, level):
    assert hint(pending(person__years_in_quality=years), "years").level == level


def test_years_guideline_is_configurable(settings):
    settings.CQO_GUIDELINE_MIN_YEARS = 5
    found = hint(pending(person__years_in_quality=4), "years")
    assert found.level == WARNING
    assert "5" in found.message


@pytest.mark.parametrize(
    ("education", "title", "level"),
    [
        (Education.BACHELOR, "", OK),  # degree is enough
        (Education.COLLEGE, "", OK),  # the minimum itself
        (Education.SECONDARY, "质量工程师", OK),  # the title is enough
        (Education.SECONDARY, "助理工程师", OK),  # "工程师" is a keyword
        (Education.MASTER, "高级质量工程师", OK),
        (Education.SECONDARY, "", WARNING),
        (Education.OTHER, "会计师", WARNING),
        ("", "", WARNING),  # unknown
    ],
)
def test_education_or_title_against_the_default_guideline(education, title, level):
    appointment = pending(person__education=education, person__title=title)
    assert hint(appointment, "education_title").level == level


def test_education_and_title_guideline_is_configurable(settings):
    settings.CQO_GUIDELINE_MIN_EDUCATION = "bachelor"
    settings.CQO_GUIDELINE_TITLES = ["质量师"]

    college = pending(person__education=Education.COLLEGE, person__title="工程师")
    titled = pending(person__education=Education.COLLEGE, person__title="中级质量师")

    assert hint(college, "education_title").level == WARNING
    assert hint(titled, "education_title").level == OK


def test_same_person_cqo_elsewhere_now():
    person = PersonFactory()
    elsewhere = AppointmentFactory(person=person, enterprise=EnterpriseFactory(name="别家有限公司"))
    appointment = pending(person__name="unused")
    appointment.person = person
    appointment.save()

    found = hint(appointment, "elsewhere")

    assert found.level == WARNING
    assert "别家有限公司" in found.message
    assert elsewhere.enterprise.name in found.message


def test_ended_or_unfiled_appointments_elsewhere_do_not_count():
    person = PersonFactory()
    AppointmentFactory(person=person, ended_on="2022-01-01", end_reason="left")
    AppointmentFactory(person=person, filed_on=None)  # another filing still under review
    appointment = AppointmentFactory(person=person, filed_on=None)

    assert hint(appointment, "elsewhere").level == OK


def test_dismissal_has_no_hints(county):
    filing = make_dismissal(county.home_enterprise)
    assert filing_hints(filing) == []


def test_every_hint_is_given_once(submitted):
    codes = [h.code for h in filing_hints(submitted)]
    assert codes == ["senior_manager", "principal", "years", "education_title", "elsewhere"]
