"""Paper rules per post (issue 20): sections, marks, pass mark, duration and the retake rule,
set on the rule page by the bureau; the page warns where the bank is short."""

import pytest

from exams.models import PaperRule
from tests.factories import QuestionFactory

pytestmark = pytest.mark.django_db


def rule_data(**over):
    data = {
        "duration_minutes": "30",
        "pass_mark": "6",
        "retake_days": "30",
        "free_retakes": "1",
        "question_layout": "all",
        "sections-TOTAL_FORMS": "2",
        "sections-INITIAL_FORMS": "0",
        "sections-MIN_NUM_FORMS": "0",
        "sections-MAX_NUM_FORMS": "1000",
        "sections-0-qtype": "single",
        "sections-0-category": "",
        "sections-0-count": "3",
        "sections-0-marks": "2",
        "sections-1-qtype": "judge",
        "sections-1-category": "",
        "sections-1-count": "2",
        "sections-1-marks": "1",
    }
    data.update(over)
    return data


def test_reviewer_sets_a_rule_and_sees_the_bank_short(client_for, reviewer):
    QuestionFactory.create_batch(2)
    client = client_for(reviewer)
    response = client.post("/exams/rules/cqo/", rule_data())
    assert response.status_code == 302, response.content.decode()[:3000]
    rule = PaperRule.objects.get(post="cqo")
    assert rule.total_marks() == 8 and rule.sections.count() == 2
    page = client.get("/exams/rules/cqo/").content.decode()
    assert page.count('class="alert alert-warning shortfall"') == 2
    assert "cqo" in client.get("/exams/rules/").content.decode()


def test_pass_mark_above_the_total_is_refused(client_for, reviewer):
    response = client_for(reviewer).post("/exams/rules/cqo/", rule_data(pass_mark="50"))
    assert response.status_code == 200
    assert "高于试卷总分" in response.content.decode()
    assert not PaperRule.objects.exists()


def test_a_rule_needs_a_section(client_for, reviewer):
    data = rule_data(**{"sections-0-count": "", "sections-0-marks": "", "sections-0-qtype": ""})
    data.update({"sections-1-count": "", "sections-1-marks": "", "sections-1-qtype": ""})
    response = client_for(reviewer).post("/exams/rules/cqo/", data)
    assert response.status_code == 200 and not PaperRule.objects.exists()


def test_unknown_post_is_404(client_for, reviewer):
    assert client_for(reviewer).get("/exams/rules/nothing/").status_code == 404


@pytest.mark.parametrize("role", ["leader", "town_officer", "enterprise_user", "no_role_user"])
def test_outsiders_get_403(request, client_for, role):
    client = client_for(request.getfixturevalue(role))
    assert client.get("/exams/rules/").status_code == 403
    assert client.post("/exams/rules/cqo/", rule_data()).status_code == 403
    assert not PaperRule.objects.exists()
