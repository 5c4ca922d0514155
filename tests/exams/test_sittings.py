"""Sittings (issue 20 §"Sittings"): candidates are persons holding or nominated to the post,
the retake rule, opening and closing, the venue sheet with QR code and access code, and who
may see what."""

from datetime import timedelta

import pytest
from django.utils import timezone

from exams import services
from exams.models import Candidate, Paper, Sitting, SittingStatus
from tests.factories import AppointmentFactory

from .conftest import make_bank, make_rule

pytestmark = pytest.mark.django_db


def test_bureau_creates_a_sitting_and_enters_candidates(client_for, reviewer, county):
    make_bank()
    make_rule()
    client = client_for(reviewer)
    response = client.post(
        "/exams/sittings/new/",
        {"post": "cqo", "title": "第一期", "held_on": "2026-12-01", "place": "县行政中心"},
    )
    assert response.status_code == 302
    sitting = Sitting.objects.get()
    assert len(sitting.access_code) == 6 and sitting.status == SittingStatus.PLANNED
    page = client.get(f"/exams/sittings/{sitting.pk}/").content.decode()
    # Every current CQO is offered; a nominated one (filing not approved) too.
    nominee = AppointmentFactory(filed_on=None)
    page = client.get(f"/exams/sittings/{sitting.pk}/").content.decode()
    assert f'value="{county.home_appointment.pk}"' in page
    assert f'value="{nominee.pk}"' in page
    client.post(
        f"/exams/sittings/{sitting.pk}/candidates/",
        {"appointment": [county.home_appointment.pk, nominee.pk]},
    )
    assert Candidate.objects.filter(sitting=sitting).count() == 2
    client.post(f"/exams/sittings/{sitting.pk}/open/")
    sitting.refresh_from_db()
    assert sitting.status == SittingStatus.OPEN
    sheet = client.get(f"/exams/sittings/{sitting.pk}/print/").content.decode()
    assert sitting.access_code in sheet and "<svg" in sheet
    assert f"/exam/?code={sitting.access_code}" in sheet


def test_a_person_of_another_post_cannot_be_entered(client_for, reviewer, county):
    sitting = Sitting.objects.create(
        post_id="food_officer", title="食品安全员", held_on="2026-12-01", place="x"
    )
    client_for(reviewer).post(
        f"/exams/sittings/{sitting.pk}/candidates/", {"appointment": [county.home_appointment.pk]}
    )
    assert not Candidate.objects.exists()


def test_a_sitting_without_a_rule_cannot_open(client_for, reviewer):
    sitting = Sitting.objects.create(post_id="cqo", title="x", held_on="2026-12-01", place="x")
    client_for(reviewer).post(f"/exams/sittings/{sitting.pk}/open/")
    sitting.refresh_from_db()
    assert sitting.status == SittingStatus.PLANNED


def test_retake_rule(reviewer, county):
    make_bank()
    make_rule(free_retakes=1, retake_days=30)
    person_appointment = county.home_appointment
    today = timezone.localdate()

    def sit_and_fail(day):
        sitting = Sitting.objects.create(
            post_id="cqo", title=f"场次{day}", held_on=day, place="x", status="open"
        )
        entry = services.sitting_add_candidates(
            sitting=sitting, appointment_ids=[person_appointment.pk], actor=reviewer
        )
        if not entry.added:
            return entry
        paper = services.paper_start(candidate=entry.added[0])
        services.paper_submit(paper=paper)  # nothing answered: a fail
        return entry

    first = sit_and_fail(today - timedelta(days=20))
    assert first.added and not first.added[0].is_retake
    retake = sit_and_fail(today - timedelta(days=10))
    assert retake.added and retake.added[0].is_retake
    refused = sit_and_fail(today)
    assert not refused.added and "补考机会" in refused.refused[0]
    # Past the window, a new attempt.
    later = sit_and_fail(today + timedelta(days=45))
    assert later.added and not later.added[0].is_retake


def test_a_candidate_who_started_cannot_be_removed(client_for, reviewer, exam):
    services.paper_start(candidate=exam.candidate)
    client_for(reviewer).post(
        f"/exams/sittings/{exam.sitting.pk}/candidates/{exam.candidate.pk}/remove/"
    )
    assert Candidate.objects.filter(pk=exam.candidate.pk).exists()


def test_closing_submits_running_papers(client_for, reviewer, exam):
    paper = services.paper_start(candidate=exam.candidate)
    client_for(reviewer).post(f"/exams/sittings/{exam.sitting.pk}/close/")
    paper.refresh_from_db()
    assert paper.is_submitted and paper.submitted_by == "deadline"


def test_leader_reads_results_but_does_not_act(client_for, leader, exam):
    client = client_for(leader)
    assert client.get(f"/exams/sittings/{exam.sitting.pk}/").status_code == 200
    assert (
        exam.sitting.access_code
        not in client.get(f"/exams/sittings/{exam.sitting.pk}/").content.decode()
    )
    assert client.get(f"/exams/sittings/{exam.sitting.pk}/print/").status_code == 403
    assert client.post(f"/exams/sittings/{exam.sitting.pk}/close/").status_code == 403


@pytest.mark.parametrize(
    "role",
    [
        "town_officer",
        "outsider_town_officer",
        "enterprise_user",
        "outsider_enterprise_user",
        "no_role_user",
    ],
)
def test_outsiders_get_403(request, client_for, role, exam):
    paper = services.paper_start(candidate=exam.candidate)
    client = client_for(request.getfixturevalue(role))
    pk = exam.sitting.pk
    for url in [
        "/exams/",
        "/exams/sittings/new/",
        f"/exams/sittings/{pk}/",
        f"/exams/sittings/{pk}/print/",
        f"/exams/sittings/{pk}/results.xlsx",
        f"/exams/papers/{paper.pk}/",
        f"/exams/papers/{paper.pk}/certificate.pdf",
    ]:
        assert client.get(url).status_code == 403, url
    assert client.post(f"/exams/sittings/{pk}/close/").status_code == 403
    assert client.post(f"/exams/sittings/{pk}/candidates/", {"appointment": [1]}).status_code == 403
    assert not Paper.objects.filter(submitted_at__isnull=False).exists()


def test_anonymous_goes_to_login(client, exam):
    assert client.get(f"/exams/sittings/{exam.sitting.pk}/").status_code == 302


def test_sitting_pages_take_the_same_queries_whatever_the_candidates(client_for, reviewer, exam):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import AppointmentFactory

    client = client_for(reviewer)
    pk = exam.sitting.pk

    def count(path):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(path).status_code == 200
        return len(queries)

    before = [count(f"/exams/sittings/{pk}/"), count(f"/exams/sittings/{pk}/results.xlsx")]
    more = [AppointmentFactory().pk for _ in range(5)]
    services.sitting_add_candidates(sitting=exam.sitting, appointment_ids=more, actor=reviewer)
    for candidate in exam.sitting.candidates.all()[:3]:
        services.paper_start(candidate=candidate)
    after = [count(f"/exams/sittings/{pk}/"), count(f"/exams/sittings/{pk}/results.xlsx")]
    assert after == before


def test_the_post_of_a_sitting_with_candidates_stays(client_for, reviewer, exam):
    client_for(reviewer).post(
        f"/exams/sittings/{exam.sitting.pk}/edit/",
        {"post": "food_officer", "title": "改名", "held_on": "2026-12-01", "place": "x"},
    )
    exam.sitting.refresh_from_db()
    assert exam.sitting.post_id == "cqo" and exam.sitting.title == "改名"
