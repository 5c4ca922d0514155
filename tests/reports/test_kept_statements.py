"""What is compiled or kept once per process (issue 15) is not served to a page it was not
made for: one post's drill-down rows to another post's list."""

from datetime import date

import pytest
from django.urls import reverse

from appointments.models import PostType
from reports.models import Criterion, Population
from tests.factories import TargetFactory
from tests.reports.test_post_dashboard import D as FOOD_DAY
from tests.reports.test_post_dashboard import food  # noqa: F401 (the food officers' fixture)

pytestmark = pytest.mark.django_db


def _holders(client, code: str) -> dict[str, str | None]:
    response = client.get(reverse("reports:explain", args=[code]), {"as_of": FOOD_DAY.isoformat()})
    assert response.status_code == 200
    return {row.name: row.holder_name for row in response.context["page"].object_list}


@pytest.mark.usefixtures("food")
def test_one_posts_rows_are_not_read_for_another_posts_list(client_for, leader):
    """The food officers' list (FS2) and the food directors' (FD2) over the same three
    enterprises, the same day and page size: the directors' list names no holder (there is
    none), however recently the officers' list was read."""
    PostType.objects.filter(code="food_director").update(scales=[])  # the same enterprises
    TargetFactory(
        code="FD2",
        name="食品安全总监配备到位",
        post_id="food_director",
        population=Population.POST_REQUIRED,
        criterion=Criterion.POST_FILLED,
        deadline=date(2024, 12, 31),
    )
    client = client_for(leader)
    officers = _holders(client, "FS2")
    assert any(officers.values()), "the officers' list names its holders"
    directors = _holders(client, "FD2")
    assert set(directors) == set(officers)
    assert set(directors.values()) == {None}


@pytest.mark.usefixtures("food")
def test_a_posts_new_start_shows_on_its_list(client_for, leader):
    """An admin moves the day the food officers' post is in force from: the vacant
    enterprise's vacancy start on the post's list moves with it on the next request."""

    def starts(client) -> dict[str, date]:
        response = client.get(
            reverse("reports:explain", args=["FS2"]), {"as_of": FOOD_DAY.isoformat()}
        )
        assert response.status_code == 200
        return {row.name: row.vacancy_start for row in response.context["page"].object_list}

    client = client_for(leader)
    assert starts(client)["城关超市"] == date(2022, 11, 1)  # the post's seeded start
    PostType.objects.filter(code="food_officer").update(in_force_from=date(2024, 5, 1))
    assert starts(client)["城关超市"] == date(2024, 5, 1)
