"""The exam walks of issue 20.

The candidate's walk on a phone, all questions on one page: sign in with the venue's access
code, ID number and name; answer; lose the connection and answer on (kept in the browser);
come back and reload — nothing is lost; submit; see the result; the certificate verifies;
T3's definition of trained counts the person. Screenshots in test-artifacts/exam-walk/.

The whole walk (the issue's Done-when): a bureau user on a desktop imports a question bank
(an .xlsx the test builds) through the import page, sets the post's paper rule to one
question at a time, creates a sitting, enters the candidate, opens it and reads the access
code off the page; the candidate signs in on a phone, answers one question at a time with
the previous/next buttons and the answer card, loses the connection, answers on, comes back,
reloads (back on the same question), switches layout, submits and sees the result; the
certificate verifies; T3 — the statistics engine and the dashboard's list behind the figure
— counts the person as trained. Screenshots in test-artifacts/exam-bureau-walk/."""

import shutil

import pytest
from django.utils import timezone
from openpyxl import Workbook

from exams import services
from exams.models import Paper, PaperRule, PaperSection, Question, Sitting, SittingStatus
from reports.models import Target
from reports.statistics import compute_target
from tests.conftest import ensure_notice_targets
from tests.exams.conftest import (
    HEADER,
    exam,  # noqa: F401 — the fixture
    make_bank,
    question_row,
)
from tests.factories import (
    DEFAULT_PASSWORD,
    AppointmentFactory,
    EnterpriseFactory,
    FilingFactory,
    UserFactory,
)
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
    *middle, last = rest[1:]
    for question in middle:
        choose(question)
    for question in middle:
        phone.locator(f'.question[data-position="{question.position}"].saved').wait_for()
    # The last answer cannot reach the server when the candidate hands in: the paper is not
    # handed in (the answer would be lost), the page says why; once the connection is back,
    # handing in again sends the answer first.
    phone.route("**/exam/paper/answer/", lambda route: route.abort())
    choose(last)
    phone.locator(f'.question[data-position="{last.position}"].pending').wait_for()
    phone.click("#submit-paper")
    phone.wait_for_function(
        "() => document.getElementById('save-status').textContent.includes('试卷未交')"
    )
    assert phone.url == f"{live_server.url}/exam/paper/"
    paper.refresh_from_db()
    assert not paper.is_submitted
    phone.unroute("**/exam/paper/answer/")
    phone.screenshot(path=SHOTS / "3-answered.png", full_page=True)
    phone.click("#submit-paper")
    phone.wait_for_url(f"{live_server.url}/exam/result/")
    last.refresh_from_db()
    assert last.chosen == last.version.answer
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


# --- The whole walk: the bureau's half on a desktop, the candidate one question at a time ------

BANK_SHOTS = ARTIFACTS / "exam-bureau-walk"


def bank_file(path) -> None:
    """The question bank as the bureau fills the blank form: 6 single-choice questions
    (answer A), 3 multiple-choice (AC) and 3 judge (正确) for the CQO's post."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    for n in range(1, 7):
        sheet.append(question_row(n))
    for n in range(7, 10):
        sheet.append(question_row(n, qtype="多选", answer="AC"))
    for n in range(10, 13):
        sheet.append(question_row(n, qtype="判断", answer="正确"))
    workbook.save(path)


def test_bureau_opens_a_sitting_and_a_candidate_sits_one_question_at_a_time(
    new_page, live_server, settings, tmp_path, home_town
):
    settings.SITE_URL = live_server.url
    if BANK_SHOTS.exists():
        shutil.rmtree(BANK_SHOTS)
    BANK_SHOTS.mkdir(parents=True)
    ensure_notice_targets()
    today = timezone.localdate()
    UserFactory(username="reviewer", reviewer=True)
    # A filed CQO who was never trained: T3 does not count him yet.
    appointment = AppointmentFactory(enterprise=EnterpriseFactory(town=home_town))
    FilingFactory(appointment=appointment)
    person = appointment.person
    t3 = Target.objects.get(code="T3")
    before = compute_target(t3, today).total
    assert person.pk not in {row["person_id"] for row in trained_person_ids(today)}

    # --- The bureau, on a desktop ---------------------------------------------------------
    desk = new_page()
    desk.goto(f"{live_server.url}/accounts/login/")
    desk.fill("input[name=username]", "reviewer")
    desk.fill("input[name=password]", DEFAULT_PASSWORD)
    desk.click("#login-form [type=submit]")
    desk.wait_for_url(lambda url: "/accounts/login/" not in url)
    # The question bank: upload, the check's summary, confirm.
    bank = tmp_path / "题库.xlsx"
    bank_file(bank)
    desk.goto(f"{live_server.url}/imports/new/questions/")
    desk.locator("#import-form input[type=file]").set_input_files(str(bank))
    desk.click("#import-form [type=submit]")
    desk.locator("#import-ok").wait_for()
    assert "12" in desk.locator("#import-ok").inner_text()
    desk.screenshot(path=BANK_SHOTS / "1-bank-checked.png", full_page=True)
    desk.click("#confirm-form [type=submit]")
    desk.locator("#import-done").wait_for()
    desk.screenshot(path=BANK_SHOTS / "2-bank-imported.png", full_page=True)
    assert Question.objects.filter(post_id="cqo").count() == 12
    # The paper rule: 4 single × 1 and 2 multiple × 2, 6 to pass, one question at a time.
    desk.goto(f"{live_server.url}/exams/rules/cqo/")
    form = desk.locator("#rule-form")
    form.locator("[name=duration_minutes]").fill("30")
    form.locator("[name=pass_mark]").fill("6")
    form.locator("[name=question_layout]").select_option("one")
    form.locator("[name=sections-0-qtype]").select_option("single")
    form.locator("[name=sections-0-count]").fill("4")
    form.locator("[name=sections-0-marks]").fill("1")
    form.locator("[name=sections-1-qtype]").select_option("multiple")
    form.locator("[name=sections-1-count]").fill("2")
    form.locator("[name=sections-1-marks]").fill("2")
    # (No full-page screenshot before this click: it can leave the click on nothing.)
    form.locator("[type=submit]").click()
    desk.locator(".alert-success >> text=组卷规则已保存。").wait_for()
    assert desk.locator(".shortfall").count() == 0  # the imported bank is enough
    desk.screenshot(path=BANK_SHOTS / "3-rule-saved.png", full_page=True)
    rule = PaperRule.objects.get(post_id="cqo")
    assert rule.question_layout == "one" and rule.total_marks() == 8
    # The sitting: created, the CQO entered, opened; the access code read off the page.
    desk.goto(f"{live_server.url}/exams/sittings/new/")
    form = desk.locator("#sitting-form")
    form.locator("[name=post]").select_option("cqo")
    form.locator("[name=title]").fill("首席质量官考核（浏览器）")
    form.locator("[name=held_on]").fill(today.isoformat())
    form.locator("[name=place]").fill("县行政中心三楼")
    form.locator("[type=submit]").click()
    desk.locator("#add-candidates").wait_for()
    desk.check(f"#appt-{appointment.pk}")
    desk.click("#add-candidates [type=submit]")
    desk.locator(f'#candidates tr[data-candidate] >> text="{person.name}"').wait_for()
    desk.click("#open-sitting")
    desk.locator("#close-sitting").wait_for()
    access_code = desk.locator("#access-code").inner_text().strip()
    desk.screenshot(path=BANK_SHOTS / "4-sitting-open.png", full_page=True)
    sitting = Sitting.objects.get()
    assert access_code == sitting.access_code and sitting.layout == "one"

    # --- The candidate, on a phone --------------------------------------------------------
    phone = new_page(phone=True)
    phone.on("dialog", lambda dialog: dialog.accept())
    phone.goto(f"{live_server.url}/exam/?code={access_code}")
    phone.fill("#id_id_number", person.id_number)
    phone.fill("#id_name", person.name)
    phone.click("#sign-in-form button[type=submit]")
    phone.wait_for_url(f"{live_server.url}/exam/paper/")
    paper = Paper.objects.get(candidate__sitting=sitting)
    questions = list(paper.questions.select_related("version").order_by("position"))
    assert len(questions) == 6
    visible = phone.locator(".question:visible")
    counter = phone.locator("#question-counter")

    def showing(question):
        assert visible.count() == 1
        assert visible.first.get_attribute("data-position") == str(question.position)
        assert counter.inner_text() == f"第 {question.position} / 6 题"

    def choose(question):
        for letter in right_letters(question):
            phone.check(f"#q{question.position}{letter}")

    def square(question):
        return phone.locator(f'.overview-item[data-position="{question.position}"]')

    phone.locator("#paper.one-at-a-time").wait_for()
    showing(questions[0])
    assert phone.locator("#prev-question").is_disabled()
    assert phone.locator("#layout-one").get_attribute("aria-pressed") == "true"
    choose(questions[0])
    phone.locator(f'.question[data-position="{questions[0].position}"].saved').wait_for()
    assert "filled" in square(questions[0]).get_attribute("class")
    phone.screenshot(path=BANK_SHOTS / "5-one-question.png", full_page=True)
    phone.click("#next-question")
    showing(questions[1])
    # The connection drops: answers are kept in the browser; the card shows them unsaved.
    phone.context.set_offline(True)
    choose(questions[1])
    phone.locator(f'.overview-item.pending[data-position="{questions[1].position}"]').wait_for()
    # The card jumps to a question: the fifth (a multiple-choice one).
    square(questions[4]).click()
    showing(questions[4])
    choose(questions[4])
    phone.locator(f'.overview-item.pending[data-position="{questions[4].position}"]').wait_for()
    phone.screenshot(path=BANK_SHOTS / "6-offline.png", full_page=True)
    assert not paper.questions.exclude(chosen="").exclude(position=questions[0].position).exists()
    # Back online: the kept answers are sent by themselves.
    phone.context.set_offline(False)
    for question in (questions[1], questions[4]):
        phone.locator(f'.question[data-position="{question.position}"].saved').wait_for(
            state="attached"
        )
        assert "pending" not in square(question).get_attribute("class")
    # A reload (the phone locked, the browser reopened) comes back to the same question
    # with every answer given.
    phone.reload()
    phone.locator("#paper.one-at-a-time").wait_for()
    showing(questions[4])
    assert phone.locator("#overview-count").inner_text() == "已答 3 / 6"
    for question in (questions[0], questions[1], questions[4]):
        for letter in right_letters(question):
            assert phone.locator(f"#q{question.position}{letter}").is_checked()
    # The candidate switches to all on one page and back.
    phone.click("#layout-all")
    assert visible.count() == 6 and phone.locator("#question-nav").is_hidden()
    phone.click("#layout-one")
    showing(questions[4])
    # The rest, with the previous and next buttons.
    phone.click("#prev-question")
    showing(questions[3])
    phone.click("#prev-question")
    showing(questions[2])
    choose(questions[2])
    phone.click("#next-question")
    choose(questions[3])
    phone.click("#next-question")
    phone.click("#next-question")
    showing(questions[5])
    assert phone.locator("#next-question").is_disabled()
    choose(questions[5])
    # Every answer sent: nothing kept in the browser, no square left unsaved.
    phone.wait_for_function(
        "key => !Object.keys(JSON.parse(localStorage.getItem(key) || '{}')).length",
        arg=f"exam-pending-{paper.pk}",
    )
    assert phone.locator(".overview-item.pending").count() == 0
    assert phone.locator(".overview-item.filled").count() == 6
    assert phone.locator("#overview-count").inner_text() == "已答 6 / 6"
    assert paper.questions.filter(chosen="").count() == 0
    phone.screenshot(path=BANK_SHOTS / "7-all-answered.png", full_page=True)
    phone.click("#submit-paper")
    phone.wait_for_url(f"{live_server.url}/exam/result/")
    assert phone.locator("#verdict").inner_text() == "合格"
    phone.screenshot(path=BANK_SHOTS / "8-result.png", full_page=True)
    paper.refresh_from_db()
    assert paper.score == 8 and paper.passed
    # The certificate's verify page, as its QR code opens it.
    phone.goto(f"{live_server.url}/exam/verify/{paper.certificate_token}/")
    assert "真实" in phone.locator("#verify-result").inner_text()
    phone.screenshot(path=BANK_SHOTS / "9-verify.png", full_page=True)

    # --- T3 counts the person as trained ---------------------------------------------------
    after = compute_target(t3, today).total
    assert (after.population, after.counted) == (before.population, before.counted + 1)
    desk.goto(f"{live_server.url}/dashboard/explain/T3/?as_of={today.isoformat()}&show=counted")
    desk.locator(f'#explain-table tr[data-row="{person.pk}"][data-counted="1"]').wait_for()
    desk.screenshot(path=BANK_SHOTS / "10-t3-counted.png", full_page=True)


def test_a_long_paper_one_at_a_time_keeps_the_question_on_the_phone_screen(
    new_page, live_server, county, reviewer
):
    """40 questions one at a time on a phone: the answer card scrolls inside itself, so the
    question and its previous/next buttons are on the first screen; the card keeps the
    current square in sight and jumps; the answer card's count follows the answers."""
    make_bank(singles=40, multiples=0, judges=0)
    rule = PaperRule.objects.create(post_id="cqo", pass_mark="20", question_layout="one")
    PaperSection.objects.create(rule=rule, qtype="single", count=40, marks="1", order=0)
    sitting = Sitting.objects.create(
        post_id="cqo", title="长试卷", held_on=timezone.localdate(), place="县行政中心"
    )
    entry = services.sitting_add_candidates(
        sitting=sitting, appointment_ids=[county.home_appointment.pk], actor=reviewer
    )
    Sitting.objects.filter(pk=sitting.pk).update(status=SittingStatus.OPEN)
    person = entry.added[0].person
    phone = new_page(phone=True)
    phone.goto(f"{live_server.url}/exam/?code={sitting.access_code}")
    phone.fill("#id_id_number", person.id_number)
    phone.fill("#id_name", person.name)
    phone.click("#sign-in-form button[type=submit]")
    phone.wait_for_url(f"{live_server.url}/exam/paper/")
    phone.locator("#paper.one-at-a-time").wait_for()
    height = phone.viewport_size["height"]

    def on_first_screen(selector):
        box = phone.locator(selector).bounding_box()
        return box is not None and box["y"] + box["height"] <= height

    assert on_first_screen(".question.current") and on_first_screen("#next-question")
    card = phone.locator("#overview").bounding_box()
    assert card["height"] < height / 3
    phone.screenshot(path=SHOTS.parent / "exam-long-paper-1.png")
    # Next, next, …: the current square scrolls into the card's sight.
    for _ in range(30):
        phone.click("#next-question")
    assert phone.locator("#question-counter").inner_text() == "第 31 / 40 题"
    square = phone.locator('.overview-item.current[data-position="31"]').bounding_box()
    assert card["y"] <= square["y"] and square["y"] + square["height"] <= card["y"] + card["height"]
    phone.locator('.question.current input[value="A"]').check()
    phone.locator('.overview-item.filled[data-position="31"]').wait_for()
    assert phone.locator("#overview-count").inner_text() == "已答 1 / 40"
    phone.screenshot(path=SHOTS.parent / "exam-long-paper-2.png")
