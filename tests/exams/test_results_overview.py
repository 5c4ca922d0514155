"""Issue 20: the results overview per town and per post (/exams/results/) — who sees which
candidates, its filters, its summaries, its Excel export (at once and in the background) —
and the sanction path a fail on a spot check suggests, on the overview and the sitting's page,
through the prefilled sanction form."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from io import BytesIO

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from appointments.models import Sanction, SanctionKind
from cqo_registry.audit.models import AuditAction, AuditEvent
from cqo_registry.exports.models import ReportRun, ReportRunStatus
from exams.models import Sitting, SittingStatus
from tests.factories import (
    AppointmentFactory,
    CandidateFactory,
    PaperFactory,
    PersonFactory,
    SittingFactory,
)

pytestmark = pytest.mark.django_db

OVERVIEW = reverse("exams:results")
EXPORT = reverse("exams:results_export")


def graded(candidate, *, score: str, passed: bool, total: str = "100"):
    at = timezone.make_aware(datetime.combine(candidate.sitting.held_on, datetime.min.time()))
    return PaperFactory(
        candidate=candidate,
        started_at=at,
        deadline_at=at + timedelta(minutes=60),
        submitted_at=at + timedelta(minutes=30),
        submitted_by="candidate",
        score=Decimal(score),
        total_marks=Decimal(total),
        passed=passed,
    )


def enter(sitting, appointment, **kwargs):
    return CandidateFactory(
        sitting=sitting, person=appointment.person, enterprise=appointment.enterprise, **kwargs
    )


@pytest.fixture
def results(county):
    """A closed spot check of the CQO's post on 2026-10-01 — the home CQO failed (40), the
    outsider's passed (80), the second home CQO was absent —; an open food-officer sitting on
    2026-11-01 where a food officer of the second home enterprise passed (90) and another has
    not finished; and a planned CQO sitting whose candidate is not finished either."""
    spot = SittingFactory(
        title="首席质量官监督抽查考核",
        held_on=date(2026, 10, 1),
        is_spot_check=True,
        status=SittingStatus.CLOSED,
    )
    failed = graded(enter(spot, county.home_appointment), score="40", passed=False)
    outsider = graded(enter(spot, county.outsider_appointment), score="80", passed=True)
    absent = enter(spot, county.second_home_appointment)
    food = SittingFactory(
        post_id="food_officer",
        title="食品安全员考核",
        held_on=date(2026, 11, 1),
        status=SittingStatus.OPEN,
    )
    officer = AppointmentFactory(enterprise=county.second_home_enterprise, post_id="food_officer")
    food_pass = graded(enter(food, officer), score="90", passed=True)
    running = AppointmentFactory(enterprise=county.second_home_enterprise, post_id="food_officer")
    PaperFactory(candidate=enter(food, running))  # still answering: not finished
    planned = SittingFactory(title="首席质量官考核（未开始）", held_on=date(2026, 12, 1))
    CandidateFactory(sitting=planned, person=PersonFactory(), enterprise=county.home_enterprise)
    return {
        "county": county,
        "spot": spot,
        "failed": failed,
        "outsider": outsider,
        "absent": absent,
        "food": food,
        "food_pass": food_pass,
    }


def shown(response) -> set[int]:
    return {c.pk for c in response.context["page"].object_list}


def summary(response, name: str) -> dict:
    return {
        row.label: (row.candidates, row.sat, row.passed, row.mean_score)
        for row in response.context[name]
    }


# --- Who sees what -------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["bureau_admin", "reviewer", "leader"])
def test_bureau_and_leaders_see_every_finished_candidate_of_the_county(
    request, client_for, results, role
):
    response = client_for(request.getfixturevalue(role)).get(OVERVIEW)
    assert response.status_code == 200
    assert shown(response) == {
        results["failed"].candidate_id,
        results["outsider"].candidate_id,
        results["absent"].pk,
        results["food_pass"].candidate_id,
    }
    assert summary(response, "by_town") == {
        "城关镇": (3, 2, 1, Decimal("65.0")),
        "双墩镇": (1, 1, 1, Decimal("80.0")),
    }
    by_post = summary(response, "by_post")
    assert by_post["首席质量官"] == (3, 2, 1, Decimal("60.0"))
    assert by_post["食品安全员"] == (1, 1, 1, Decimal("90.0"))
    total = response.context["town_total"]
    assert (total.candidates, total.sat, total.passed) == (4, 3, 2)
    assert total.pass_percent == pytest.approx(66.7)
    html = response.content.decode()
    assert 'id="by-town"' in html and 'id="by-post"' in html and "66.7%" in html


def test_a_town_officer_sees_their_town_only_whatever_the_filter_says(
    client_for, results, town_officer, other_town
):
    client = client_for(town_officer)
    response = client.get(OVERVIEW)
    assert response.status_code == 200
    assert results["outsider"].candidate_id not in shown(response)
    assert len(shown(response)) == 3
    assert set(summary(response, "by_town")) == {"城关镇"}
    # Asking for another town is not a choice they have: nothing is shown, nothing leaks.
    response = client.get(OVERVIEW, {"town": other_town.pk})
    assert response.status_code == 200
    assert shown(response) == set() and summary(response, "by_town") == {}
    assert "双墩电子有限公司" not in response.content.decode()
    # They read results, not the sittings' pages (county-wide), nor sanction suggestions.
    assert 'id="sanction-suggestions"' not in response.content.decode()
    assert client.get(reverse("exams:sitting", args=[results["spot"].pk])).status_code == 403


def test_the_other_towns_officer_sees_only_the_outsider(client_for, results, outsider_town_officer):
    response = client_for(outsider_town_officer).get(OVERVIEW)
    assert shown(response) == {results["outsider"].candidate_id}


@pytest.mark.parametrize("role", ["enterprise_user", "outsider_enterprise_user", "no_role_user"])
def test_other_roles_get_403(request, client_for, results, role):
    client = client_for(request.getfixturevalue(role))
    assert client.get(OVERVIEW).status_code == 403
    assert client.get(EXPORT).status_code == 403


def test_the_anonymous_go_to_the_login_page(client, results):
    for url in (OVERVIEW, EXPORT):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))


# --- Filters -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query, expected",
    [
        ({"post": "food_officer"}, {"food_pass"}),
        ({"result": "failed"}, {"failed"}),
        ({"result": "passed"}, {"outsider", "food_pass"}),
        ({"result": "absent"}, {"absent"}),
        ({"kind": "spot_check"}, {"failed", "outsider", "absent"}),
        ({"kind": "regular"}, {"food_pass"}),
        ({"held_from": "2026-10-02"}, {"food_pass"}),
        ({"held_to": "2026-10-01"}, {"failed", "outsider", "absent"}),
        ({"held_from": "2026-10-01", "held_to": "2026-10-31", "result": "passed"}, {"outsider"}),
    ],
)
def test_filters(client_for, results, reviewer, query, expected):
    def pk(name):
        row = results[name]
        return row.candidate_id if hasattr(row, "candidate_id") else row.pk

    response = client_for(reviewer).get(OVERVIEW, query)
    assert shown(response) == {pk(name) for name in expected}


def test_filter_by_town_and_its_summary(client_for, results, reviewer, other_town):
    response = client_for(reviewer).get(OVERVIEW, {"town": other_town.pk})
    assert shown(response) == {results["outsider"].candidate_id}
    assert summary(response, "by_town") == {"双墩镇": (1, 1, 1, Decimal("80.0"))}


@pytest.mark.parametrize(
    "query", [{"held_from": "2026-13-40"}, {"town": "abc"}, {"post": "nope"}, {"result": "x"}]
)
def test_an_invalid_filter_shows_nothing_and_says_so(client_for, results, reviewer, query):
    response = client_for(reviewer).get(OVERVIEW, query)
    assert response.status_code == 200
    assert shown(response) == set()
    assert response.context["filter"].form.errors


def test_the_page_reads_in_a_fixed_number_of_queries(client_for, results, reviewer):
    client = client_for(reviewer)
    with CaptureQueriesContext(connection) as few:
        client.get(OVERVIEW)
    for n in range(4):
        candidate = CandidateFactory(
            sitting=results["spot"],
            person=PersonFactory(),
            enterprise=results["county"].outsider_enterprise if n % 2 else None,
        )
        graded(candidate, score=str(30 + n), passed=False)
    with CaptureQueriesContext(connection) as more:
        client.get(OVERVIEW)
    assert len(more) == len(few)


# --- Export --------------------------------------------------------------------------------


def sheets(response) -> dict[str, list[list]]:
    book = load_workbook(BytesIO(b"".join(response.streaming_content)))
    return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in book}


def test_export_writes_the_rows_and_both_summaries(client_for, results, reviewer):
    response = client_for(reviewer).get(EXPORT, {"kind": "spot_check"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert response["Cache-Control"] == "private, no-store"
    book = sheets(response)
    assert list(book) == ["考试结果", "按镇汇总", "按岗位汇总"]
    header, *rows = book["考试结果"]
    assert header[:4] == ["考试日期", "考试场次", "监督抽查考核", "岗位"]
    assert header[-1] == "处理建议"
    by_name = {row[header.index("姓名")]: row for row in rows}
    failed = by_name[results["failed"].candidate.person.name]
    assert failed[header.index("结果")] == "不合格"
    assert failed[header.index("得分")] == 40
    assert failed[header.index("处理建议")] == "建议启动约谈等处理程序"
    # Reviewers see ID numbers in full; the absent candidate has no score.
    assert failed[header.index("身份证号")] == results["failed"].candidate.person.id_number
    assert by_name[results["absent"].person.name][header.index("结果")] == "未参加"
    assert book["按镇汇总"][0] == ["所属镇", "考生", "参考", "合格", "合格率（%）", "平均分",
                                  "平均得分率（%）"]  # fmt: skip
    assert ["城关镇", 2, 1, 0, 0, 40, 40] in book["按镇汇总"]
    assert book["按镇汇总"][-1][:4] == ["合计", 3, 2, 1]
    assert book["按岗位汇总"][1][:4] == ["首席质量官", 3, 2, 1]
    (event,) = AuditEvent.objects.filter(action=AuditAction.EXPORT)
    assert event.detail == {"export": "exams:results_export", "rows": 3}


def test_a_town_officers_export_is_their_town_masked_and_without_suggestions(
    client_for, results, town_officer
):
    book = sheets(client_for(town_officer).get(EXPORT))
    header, *rows = book["考试结果"]
    assert "处理建议" not in header
    assert {row[header.index("所属镇")] for row in rows} == {"城关镇"}
    ids = {row[header.index("身份证号")] for row in rows}
    assert all("*" in number for number in ids)


def test_a_large_export_is_built_in_the_background_with_the_askers_scope(
    client_for, results, town_officer, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.CQO_EXPORT_BACKGROUND_ROWS = 1
    settings.MEDIA_ROOT = tmp_path / "private"
    client = client_for(town_officer)
    # One passed candidate in their town: not over the threshold, sent at once.
    at_once = client.get(EXPORT, {"result": "passed"})
    assert at_once["Content-Type"].startswith("application/vnd.openxmlformats")
    # Three: the page that starts the task.
    assert "开始生成" in client.get(EXPORT).content.decode()
    assert not ReportRun.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(EXPORT)
    run = ReportRun.objects.get()
    assert response.status_code == 302
    assert (run.kind, run.status, run.rows) == ("exam_results", ReportRunStatus.DONE, 3)
    download = client.get(reverse("exports:download", args=[run.pk]))
    assert download.status_code == 200
    book = sheets(download)
    header, *rows = book["考试结果"]
    assert {row[header.index("所属镇")] for row in rows} == {"城关镇"}
    assert [r[0] for r in book["按镇汇总"]] == ["所属镇", "城关镇", "合计"]


# --- A failed spot check suggests the sanction path --------------------------------------------


def sanction_url(paper) -> str:
    return reverse("oversight:sanction_create") + f"?exam_paper={paper.pk}"


def test_the_bureau_sees_the_suggestion_on_the_overview_and_the_sittings_page(
    client_for, results, reviewer
):
    client = client_for(reviewer)
    failed = results["failed"]
    response = client.get(OVERVIEW)
    assert [c.pk for c in response.context["suggestions"]] == [failed.candidate_id]
    html = response.content.decode()
    assert html.count(f"?exam_paper={failed.pk}") == 2  # the box and the row
    page = client.get(reverse("exams:sitting", args=[results["spot"].pk]))
    html = page.content.decode()
    assert 'id="sanction-suggestions"' in html and f"?exam_paper={failed.pk}" in html
    assert f"?exam_paper={results['outsider'].pk}" not in html


def test_leaders_see_results_but_no_suggestion(client_for, results, leader):
    html = client_for(leader).get(OVERVIEW).content.decode()
    assert "exam_paper=" not in html
    page = client_for(leader).get(reverse("exams:sitting", args=[results["spot"].pk]))
    assert "exam_paper=" not in page.content.decode()


def test_a_fail_outside_a_spot_check_suggests_nothing(client_for, results, reviewer):
    Sitting.objects.filter(pk=results["spot"].pk).update(is_spot_check=False)
    response = client_for(reviewer).get(OVERVIEW)
    assert response.context["suggestions"] == []
    assert client_for(reviewer).get(sanction_url(results["failed"])).status_code == 404


def test_the_suggestion_opens_the_sanction_form_prefilled(client_for, results, reviewer):
    failed = results["failed"]
    response = client_for(reviewer).get(sanction_url(failed))
    assert response.status_code == 200
    assert response.context["enterprise"] == results["county"].home_enterprise
    form = response.context["form"]
    assert form.initial["kind"] == SanctionKind.INTERVIEW
    assert form.initial["appointment"] == results["county"].home_appointment.pk
    reason = form.initial["reason"]
    assert "首席质量官监督抽查考核" in reason and "40" in reason
    assert failed.candidate.person.name in reason


def test_acting_on_the_suggestion_records_a_sanction_and_the_suggestion_goes(
    client_for, results, reviewer
):
    client = client_for(reviewer)
    failed = results["failed"]
    form = client.get(sanction_url(failed)).context["form"]
    data = {
        "appointment": form.initial["appointment"],
        "kind": form.initial["kind"],
        "reason": form.initial["reason"],
        "decided_on": timezone.localdate().isoformat(),
    }
    response = client.post(sanction_url(failed), data)
    assert response.status_code == 302
    sanction = Sanction.objects.get()
    assert sanction.appointment == results["county"].home_appointment
    assert "监督抽查考核" in sanction.reason
    assert client.get(OVERVIEW).context["suggestions"] == []
    page = client.get(reverse("exams:sitting", args=[results["spot"].pk]))
    assert 'id="sanction-suggestions"' not in page.content.decode()


def test_a_sanction_before_the_spot_check_does_not_answer_it(client_for, results, reviewer):
    Sanction.objects.create(
        appointment=results["county"].home_appointment,
        kind=SanctionKind.WARNING,
        reason="早先的警示",
        decided_on=date(2026, 9, 1),
        decided_by=reviewer,
    )
    suggestions = client_for(reviewer).get(OVERVIEW).context["suggestions"]
    assert [c.pk for c in suggestions] == [results["failed"].candidate_id]


@pytest.mark.parametrize("role", ["leader", "town_officer", "enterprise_user"])
def test_only_the_bureau_opens_the_prefilled_form(request, client_for, results, role):
    response = client_for(request.getfixturevalue(role)).get(sanction_url(results["failed"]))
    assert response.status_code == 403


@pytest.mark.parametrize("which", ["outsider", "food_pass"])
def test_a_paper_that_is_no_failed_spot_check_is_404(client_for, results, reviewer, which):
    assert client_for(reviewer).get(sanction_url(results[which])).status_code == 404


def test_a_sitting_is_marked_as_a_spot_check_on_its_form(client_for, reviewer):
    response = client_for(reviewer).post(
        reverse("exams:sitting_create"),
        {
            "post": "cqo",
            "title": "首席质量官监督抽查考核（二期）",
            "held_on": "2026-12-10",
            "place": "县市场监管局",
            "is_spot_check": "on",
        },
    )
    assert response.status_code == 302
    assert Sitting.objects.get().is_spot_check is True


def test_the_menu_leads_leaders_and_town_officers_to_the_results(client_for, leader, town_officer):
    home = reverse("home")
    town_menu = client_for(town_officer).get(home, follow=True).content.decode()
    assert f'href="{OVERVIEW}"' in town_menu
    leader_menu = client_for(leader).get(home, follow=True).content.decode()
    assert f'href="{reverse("exams:sitting_list")}"' in leader_menu
    sittings = client_for(leader).get(reverse("exams:sitting_list")).content.decode()
    assert f'href="{OVERVIEW}"' in sittings
