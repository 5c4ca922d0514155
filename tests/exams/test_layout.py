"""One question at a time or all on one page (issue 20): the post's paper rule sets the
layout the paper opens in, a sitting may set its own, and the candidate may switch on the
page (static/js/exam.js; its browser test is tests/browser/test_exam_walk.py). Either way the
page carries every question (without JavaScript it is all on one page), the answer card's
links jump to each question, answers go to the same endpoint, and no key reaches the page."""

import re

import pytest
from django.test import Client

from exams.models import Paper, PaperRule, QuestionLayout, Sitting

from .test_paper_rules import rule_data
from .test_taking import answer, shown_answers, sign_in

pytestmark = pytest.mark.django_db


def paper_page(exam) -> tuple[Client, str]:
    client = Client()
    sign_in(client, exam)
    return client, client.get("/exam/paper/").content.decode()


def layout_of(page: str) -> str:
    return re.search(r'id="paper"[^>]*data-layout="(\w+)"', page).group(1)


def test_the_paper_opens_all_on_one_page_by_default(exam):
    assert PaperRule.objects.get(post_id="cqo").question_layout == QuestionLayout.ALL
    assert exam.sitting.question_layout == "" and exam.sitting.layout == QuestionLayout.ALL
    _, page = paper_page(exam)
    assert layout_of(page) == "all"


def test_the_rule_form_sets_the_layout(client_for, reviewer):
    client = client_for(reviewer)
    assert "逐题作答" in client.get("/exams/rules/cqo/").content.decode()
    response = client.post("/exams/rules/cqo/", rule_data(question_layout="one"))
    assert response.status_code == 302
    assert PaperRule.objects.get(post_id="cqo").question_layout == QuestionLayout.ONE
    response = client.post("/exams/rules/cqo/", rule_data(question_layout="many"))
    assert response.status_code == 200
    assert PaperRule.objects.get(post_id="cqo").question_layout == QuestionLayout.ONE


def test_the_rule_sets_one_question_at_a_time(exam):
    PaperRule.objects.filter(post_id="cqo").update(question_layout=QuestionLayout.ONE)
    assert Sitting.objects.get(pk=exam.sitting.pk).layout == QuestionLayout.ONE
    _, page = paper_page(exam)
    assert layout_of(page) == "one"


def test_a_sitting_overrides_the_rule_and_blank_follows_it(client_for, reviewer, exam):
    PaperRule.objects.filter(post_id="cqo").update(question_layout=QuestionLayout.ONE)
    client = client_for(reviewer)
    form = client.get(f"/exams/sittings/{exam.sitting.pk}/edit/").content.decode()
    assert "按岗位组卷规则" in form and "逐题作答" in form and "整卷一页" in form
    data = {
        "post": "cqo",
        "title": exam.sitting.title,
        "held_on": "2026-11-30",
        "place": "县行政中心",
        "question_layout": "all",
    }
    assert client.post(f"/exams/sittings/{exam.sitting.pk}/edit/", data).status_code == 302
    exam.sitting.refresh_from_db()
    assert exam.sitting.question_layout == "all" and exam.sitting.layout == "all"
    _, page = paper_page(exam)
    assert layout_of(page) == "all"
    data["question_layout"] = ""
    client.post(f"/exams/sittings/{exam.sitting.pk}/edit/", data)
    exam.sitting.refresh_from_db()
    assert exam.sitting.question_layout == "" and exam.sitting.layout == "one"
    # A layout that is not one of the two is refused.
    data["question_layout"] = "three"
    assert client.post(f"/exams/sittings/{exam.sitting.pk}/edit/", data).status_code == 200
    exam.sitting.refresh_from_db()
    assert exam.sitting.question_layout == ""


def test_the_sitting_page_says_which_layout_the_paper_opens_in(client_for, reviewer, exam):
    client = client_for(reviewer)

    def shown() -> str:
        page = client.get(f"/exams/sittings/{exam.sitting.pk}/").content.decode()
        return re.search(r'id="sitting-layout">([^<]+)<', page).group(1)

    assert shown() == "整卷一页"
    PaperRule.objects.filter(post_id="cqo").update(question_layout=QuestionLayout.ONE)
    assert shown() == "逐题作答"
    Sitting.objects.filter(pk=exam.sitting.pk).update(question_layout=QuestionLayout.ALL)
    assert shown() == "整卷一页"


def test_one_at_a_time_page_has_every_question_the_card_and_no_key(exam):
    Sitting.objects.filter(pk=exam.sitting.pk).update(question_layout=QuestionLayout.ONE)
    client, page = paper_page(exam)
    assert layout_of(page) == "one"
    paper = Paper.objects.get()
    questions = list(paper.questions.select_related("version").order_by("position"))
    # Every question is on the page (what shows without JavaScript) with the card's anchor.
    assert page.count('class="card mb-3 question"') == len(questions)
    for question in questions:
        assert f'id="question-{question.position}"' in page
        assert f'href="#question-{question.position}"' in page
        assert question.version.stem in page
    assert 'id="question-nav"' in page and 'id="layout-switch"' in page
    assert "answer" not in re.sub(r"exam/paper/answer/|data-answer-url", "", page).lower()
    for question in questions:
        if question.version.explanation:
            assert question.version.explanation not in page
    # Answers go to the same endpoint; the card marks what was answered after a reload.
    right = shown_answers(paper)
    first, second = questions[0].position, questions[1].position
    assert answer(client, first, right[first]).json()["saved"]
    assert answer(client, second, right[second]).json()["saved"]
    page = client.get("/exam/paper/").content.decode()
    filled = re.findall(r'class="overview-item filled" data-position="(\d+)"', page)
    assert filled == [str(first), str(second)]
    assert "已答 2 / 8" in page
    client.post("/exam/paper/submit/")
    paper.refresh_from_db()
    assert paper.score == questions[0].marks + questions[1].marks


def test_the_layout_does_not_change_the_paper(exam):
    """The same candidate's paper is the same questions in the same order in both layouts."""
    client, page_all = paper_page(exam)
    Sitting.objects.filter(pk=exam.sitting.pk).update(question_layout=QuestionLayout.ONE)
    page_one = client.get("/exam/paper/").content.decode()
    assert Paper.objects.count() == 1
    stems = re.compile(r"</span> (.+?)</legend>")
    assert stems.findall(page_all) == stems.findall(page_one)


def test_the_layout_in_english(exam):
    Sitting.objects.filter(pk=exam.sitting.pk).update(question_layout=QuestionLayout.ONE)
    client = Client()
    client.cookies["django_language"] = "en"
    sign_in(client, exam)
    page = client.get("/exam/paper/").content.decode()
    assert "Answer card" in page and "One question at a time" in page
    assert 'data-counter-text="Question %(position)s of %(count)s"' in page
    assert "0 of 8 answered" in page and ">Next<" in page
