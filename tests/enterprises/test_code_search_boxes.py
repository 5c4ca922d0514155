"""Issue 8: a USCC or an ID number typed into any search box the way clerks copy it — with
spaces, dashes, full-width digits or lower-case letters — finds the record stored in its one
spelling, on every list page that offers a search, not only in the admin and the public lookup."""

import pytest
from django.urls import reverse

from enterprises.models import EnterpriseRegistration
from tests.factories import (
    AppointmentFactory,
    EnterpriseFactory,
    FilingFactory,
    UserFactory,
    make_uscc,
)

FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def as_clerks_type_it(code: str) -> str:
    """``91341122MA2T…`` → ``" ９１３４-1122 ma2t…"``: full-width digits at the start, a dash,
    a space and lower-case letters."""
    return " " + code[:4].translate(FULL_WIDTH) + "-" + code[4:8] + " " + code[8:].lower()


def names_on(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def found_and_other(home_town):
    """Two enterprises of one town; the search must list the first and not the second."""
    found = EnterpriseFactory(town=home_town, name="检索目标机械有限公司", uscc=make_uscc(70001))
    other = EnterpriseFactory(town=home_town, name="另一家纺织有限公司", uscc=make_uscc(70002))
    return found, other


def test_review_queue(client_for, reviewer, found_and_other):
    found, other = found_and_other
    for enterprise in found_and_other:
        FilingFactory(appointment=AppointmentFactory(enterprise=enterprise))
    url = f"{reverse('review:queue')}?status=approved&q={as_clerks_type_it(found.uscc)}"
    page = names_on(client_for(reviewer).get(url))
    assert found.name in page and other.name not in page


def test_review_registrations(client_for, reviewer, home_town):
    def registration(number: int, name: str) -> EnterpriseRegistration:
        return EnterpriseRegistration.objects.create(
            uscc=make_uscc(number),
            name=name,
            contact_name="李四",
            mobile="13900000001",
            email=f"r{number}@example.cn",
            town=home_town,
            scale="sme",
            industry="C",
            user=UserFactory(username=f"applicant{number}", enterprise_user=False, is_active=False),
        )

    found, other = registration(90011, "检索注册甲公司"), registration(90012, "检索注册乙公司")
    url = f"{reverse('review:registrations')}?q={as_clerks_type_it(found.uscc)}"
    page = names_on(client_for(reviewer).get(url))
    assert found.name in page and other.name not in page


def test_untrained_list(client_for, reviewer, found_and_other):
    found, other = found_and_other
    for enterprise in found_and_other:
        FilingFactory(appointment=AppointmentFactory(enterprise=enterprise))
    url = f"{reverse('training:untrained')}?q={as_clerks_type_it(found.uscc)}"
    page = names_on(client_for(reviewer).get(url))
    assert found.name in page and other.name not in page


def test_town_vacancy_list(client_for, town_officer, found_and_other):
    found, other = found_and_other  # neither has a CQO: both are vacant
    url = f"{reverse('town:vacancies')}?q={as_clerks_type_it(found.uscc)}"
    page = names_on(client_for(town_officer).get(url))
    assert found.name in page and other.name not in page


def test_incomplete_enterprises(client_for, reviewer):
    found = EnterpriseFactory(town=None, name="待完善甲公司", uscc=make_uscc(70011))
    other = EnterpriseFactory(town=None, name="待完善乙公司", uscc=make_uscc(70012))
    url = f"{reverse('enterprises:incomplete')}?q={as_clerks_type_it(found.uscc)}"
    page = names_on(client_for(reviewer).get(url))
    assert found.name in page and other.name not in page


def test_drill_down(client_for, leader, found_and_other):
    found, other = found_and_other
    url = f"{reverse('reports:explain', args=['T1'])}?q={as_clerks_type_it(found.uscc)}"
    response = client_for(leader).get(url)
    assert response.status_code == 200
    assert [row.pk for row in response.context["page"].object_list] == [found.pk]
