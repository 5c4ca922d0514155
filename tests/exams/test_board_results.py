"""Issue 19: the board of an enterprise's posts shows each holder's last exam for the post, once
exams exist (issue 20) — on the registry's enterprise page and the enterprise's portal home."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from appointments import posts
from tests.factories import AppointmentFactory, CandidateFactory, PaperFactory, SittingFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def food_enterprise(home_enterprise):
    home_enterprise.licence_food_production = True
    home_enterprise.established_on = date(2015, 1, 1)
    home_enterprise.save()
    return home_enterprise


def officer(enterprise, today):
    return AppointmentFactory(
        enterprise=enterprise,
        post_id="food_officer",
        appointed_on=today - timedelta(days=100),
        filed_on=today - timedelta(days=90),
    )


def graded(person, post, *, day: date, score: str, passed: bool):
    """A paper of ``person`` for ``post`` submitted at 10:00 on ``day`` and graded."""
    at = timezone.make_aware(datetime.combine(day, datetime.min.time().replace(hour=10)))
    sitting = SittingFactory(post_id=post, held_on=day)
    return PaperFactory(
        candidate=CandidateFactory(sitting=sitting, person=person),
        started_at=at - timedelta(minutes=30),
        deadline_at=at + timedelta(minutes=30),
        submitted_at=at,
        submitted_by="candidate",
        score=Decimal(score),
        passed=passed,
    )


def by_post(enterprise, day):
    return {row.post.code: row for row in posts.enterprise_board(enterprise, day)}


def test_each_holder_shows_their_last_exam_for_the_post_and_none_before_it(food_enterprise):
    today = timezone.localdate()
    first, second = officer(food_enterprise, today), officer(food_enterprise, today)
    graded(first.person, "food_officer", day=today - timedelta(days=40), score="52", passed=False)
    retake = graded(
        first.person, "food_officer", day=today - timedelta(days=10), score="86", passed=True
    )
    # Another post's exam is not this post's result.
    graded(second.person, "food_director", day=today - timedelta(days=5), score="90", passed=True)

    holders = {h.person_id: h for h in by_post(food_enterprise, today)["food_officer"].holders}
    assert holders[first.person_id].last_exam == retake
    assert holders[second.person_id].last_exam is None
    # As of a day before the retake, the board shows the failed first try.
    earlier = today - timedelta(days=20)
    holders = {h.person_id: h for h in by_post(food_enterprise, earlier)["food_officer"].holders}
    assert holders[first.person_id].last_exam.passed is False


def test_a_board_reads_the_results_in_one_query_and_none_without_exam_posts(
    food_enterprise, home_enterprise
):
    today = timezone.localdate()
    for _ in range(3):
        graded(officer(food_enterprise, today).person, "food_officer", day=today, score="70",
               passed=True)  # fmt: skip
    with CaptureQueriesContext(connection) as with_exams:
        posts.enterprise_board(food_enterprise, today)
    food_enterprise.licence_food_production = False
    food_enterprise.save()
    AppointmentFactory(enterprise=food_enterprise, appointed_on=today - timedelta(days=30))
    with CaptureQueriesContext(connection) as cqo_only:  # the CQO's post asks for no exam
        posts.enterprise_board(food_enterprise, today)
    papers = [q for q in with_exams.captured_queries if "exams_paper" in q["sql"]]
    assert len(papers) == 1
    assert not [q for q in cqo_only.captured_queries if "exams_paper" in q["sql"]]


def test_the_registry_page_and_the_portal_show_the_result(
    client_for, reviewer, enterprise_user, food_enterprise, outsider_enterprise_user
):
    today = timezone.localdate()
    holder = officer(food_enterprise, today)
    graded(holder.person, "food_officer", day=today - timedelta(days=3), score="86", passed=True)
    day = (today - timedelta(days=3)).isoformat()

    for client, url in [
        (client_for(reviewer), f"/enterprises/{food_enterprise.pk}/"),
        (client_for(enterprise_user), "/portal/"),
    ]:
        page = client.get(url).content.decode()
        start = page.index('id="post-board"')
        board = page[start : page.index("</table>", start)]
        assert f"{holder.person.name} 最近考核 86/100 分（{day}）" in board
        assert "考核合格" in board
    # Another enterprise's user sees neither the board nor the result.
    other = client_for(outsider_enterprise_user).get("/portal/").content.decode()
    assert holder.person.name not in other


def test_a_failed_last_exam_is_marked_failed_in_english_too(
    client_for, enterprise_user, food_enterprise
):
    today = timezone.localdate()
    holder = officer(food_enterprise, today)
    graded(holder.person, "food_officer", day=today, score="41.5", passed=False)
    client = client_for(enterprise_user)
    page = client.get("/portal/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "41.5/100" in page
    assert "Failed the exam" in page
