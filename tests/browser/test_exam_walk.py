"""The candidate's walk on a phone (issue 20): sign in with the venue's access code, ID
number and name; answer; lose the connection and answer on (kept in the browser); come back
and reload — nothing is lost; submit; see the result; the certificate verifies; T3's
definition of trained counts the person. Screenshots in test-artifacts/exam-walk/."""

import shutil

import pytest

from exams.models import Paper
from tests.exams.conftest import exam  # noqa: F401 — the fixture
from training.services import trained_person_ids

from .conftest import ARTIFACTS

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

SHOTS = ARTIFACTS / "exam-walk"


def right_letters(question) -> list[str]:
    shown = {question.option_order[i]: "ABCDEF"[i] for i in range(len(question.option_order))}
    return [shown["ABCDEF".index(letter)] for letter in question.version.answer]


def test_candidate_walk_on_a_phone(new_page, live_server, settings, exam):  # noqa: F811
    settings.SITE_URL = live_server.url
    if SHOTS.exists():
        shutil.rmtree(SHOTS)
    SHOTS.mkdir(parents=True)
    person = exam.candidate.person
    phone = new_page(phone=True)
    phone.on("dialog", lambda dialog: dialog.accept())
    # The QR code on the venue sheet carries the access code.
    phone.goto(f"{live_server.url}/exam/?code={exam.sitting.access_code}")
    assert phone.locator("#id_access_code").input_value() == exam.sitting.access_code
    phone.fill("#id_id_number", person.id_number)
    phone.fill("#id_name", person.name)
    phone.screenshot(path=SHOTS / "1-sign-in.png", full_page=True)
    phone.click("#sign-in-form button[type=submit]")
    phone.wait_for_url(f"{live_server.url}/exam/paper/")
    paper = Paper.objects.get(candidate=exam.candidate)
    questions = list(paper.questions.select_related("version").order_by("position"))
    assert phone.locator(".question").count() == len(questions)

    def choose(question):
        for letter in right_letters(question):
            phone.check(f"#q{question.position}{letter}")

    first, second, *rest = questions
    choose(first)
    phone.locator(f'.question[data-position="{first.position}"].saved').wait_for()
    # The connection drops: the answer is kept in the browser, marked not saved.
    phone.context.set_offline(True)
    choose(second)
    phone.locator(f'.question[data-position="{second.position}"].pending').wait_for()
    phone.screenshot(path=SHOTS / "2-offline.png", full_page=True)
    second.refresh_from_db()
    assert second.chosen == ""
    # Back online: the kept answer is sent by itself.
    phone.context.set_offline(False)
    phone.locator(f'.question[data-position="{second.position}"].saved').wait_for()
    second.refresh_from_db()
    assert second.chosen == second.version.answer
    # The server refuses the next answer (the connection drops mid-request); the candidate
    # reloads the page at once: the answer kept in the browser is shown again and sent.
    third = rest[0]
    phone.route("**/exam/paper/answer/", lambda route: route.abort())
    choose(third)
    phone.locator(f'.question[data-position="{third.position}"].pending').wait_for()
    phone.unroute("**/exam/paper/answer/")
    phone.reload()
    for letter in right_letters(third):
        assert phone.locator(f"#q{third.position}{letter}").is_checked()
    for question in (first, second):
        for letter in right_letters(question):
            assert phone.locator(f"#q{question.position}{letter}").is_checked()
    phone.wait_for_function(
        "key => !Object.keys(JSON.parse(localStorage.getItem(key) || '{}')).length",
        arg=f"exam-pending-{paper.pk}",
    )
    third.refresh_from_db()
    assert third.chosen == third.version.answer
    for question in rest[1:]:
        choose(question)
    for question in rest[1:]:
        phone.locator(f'.question[data-position="{question.position}"].saved').wait_for()
    phone.screenshot(path=SHOTS / "3-answered.png", full_page=True)
    phone.click("#submit-paper")
    phone.wait_for_url(f"{live_server.url}/exam/result/")
    assert phone.locator("#verdict").inner_text() == "合格"
    phone.screenshot(path=SHOTS / "4-result.png", full_page=True)
    paper.refresh_from_db()
    assert paper.score == paper.total_marks and paper.passed
    # The certificate's verify page, as its QR code opens it.
    phone.goto(f"{live_server.url}/exam/verify/{paper.certificate_token}/")
    assert "真实" in phone.locator("#verify-result").inner_text()
    phone.screenshot(path=SHOTS / "5-verify.png", full_page=True)
    trained = {row["person_id"] for row in trained_person_ids(exam.sitting.held_on)}
    assert person.pk in trained
