"""The writes of sittings and papers (issue 20): entering candidates, opening and closing a
sitting, a candidate's sign-in, drawing a paper, saving answers, grading, and what a pass
writes into training (a passed attendance, so that T3 and the trained figures follow).

Times are the server's: a paper's deadline is ``started_at`` + the rule's duration, and every
answer after it is refused; a paper past its deadline is submitted by
:func:`papers_close_expired` (run by the pages that show it and by ``exams_close_expired``)."""

import random
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from appointments.models import Appointment
from appointments.receipts import bureau_name
from cqo_registry import clock
from cqo_registry.importing import parsers
from enterprises.models import Person
from training.models import SessionKind, TrainingAttendance, TrainingSession

from . import paper_rules
from .models import (
    OPTION_LETTERS,
    Candidate,
    Paper,
    PaperQuestion,
    PaperRule,
    Question,
    QuestionType,
    QuestionVersion,
    Sitting,
    SittingStatus,
    SubmittedBy,
    new_certificate_token,
)

CERTIFICATE_PREFIX = "KH"


class ExamError(ValidationError):
    """What a candidate or the bureau is told when an exam step is refused."""


# --- Candidates ---------------------------------------------------------------------------------


def eligible_appointments(sitting: Sitting):
    """Current appointments to the sitting's post — holders (filed) and those nominated
    (filing not yet approved) — not yet entered for the sitting."""
    return (
        Appointment.objects.filter(post=sitting.post_id, ended_on__isnull=True)
        .exclude(person__exam_candidacies__sitting=sitting)
        .select_related("person", "enterprise__town")
        .order_by("enterprise__town__name", "enterprise__name", "pk")
    )


@dataclass
class Entry:
    added: list[Candidate] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)


@transaction.atomic
def sitting_add_candidates(*, sitting: Sitting, appointment_ids: list[int], actor) -> Entry:
    """Enter the persons of ``appointment_ids`` (current appointments to the sitting's post)
    as candidates. A person the retake rule refuses is listed in ``refused`` with the reason;
    an id that is not such an appointment raises ``ExamError``."""
    if sitting.status == SittingStatus.CLOSED:
        raise ExamError(_("考试已结束，不能再添加考生。"))
    appointments = list(eligible_appointments(sitting).filter(pk__in=appointment_ids))
    if len({a.pk for a in appointments}) != len(set(appointment_ids)):
        raise ExamError(_("所选人员不是本岗位的在岗或拟任人员，或已是本场考生。"))
    rule = PaperRule.objects.filter(post=sitting.post_id).first()
    entry = Entry()
    seen = set()
    for appointment in appointments:
        if appointment.person_id in seen:
            continue
        seen.add(appointment.person_id)
        standing = paper_rules.retake_standing(
            person_id=appointment.person_id, rule=rule, on=sitting.held_on
        )
        if not standing.allowed:
            entry.refused.append(f"{appointment.person.name}：{standing.reason}")
            continue
        entry.added.append(
            Candidate(
                sitting=sitting,
                person=appointment.person,
                enterprise=appointment.enterprise,
                is_retake=standing.is_retake,
            )
        )
    Candidate.objects.bulk_create(entry.added)
    return entry


@transaction.atomic
def candidate_remove(*, candidate: Candidate, actor) -> None:
    if Paper.objects.filter(candidate=candidate).exists():
        raise ExamError(_("该考生已开始答题，不能移出。"))
    candidate.delete()


SITTING_STEPS = {
    "open": ({SittingStatus.PLANNED, SittingStatus.CLOSED}, SittingStatus.OPEN),
    "close": ({SittingStatus.OPEN}, SittingStatus.CLOSED),
}


@transaction.atomic
def sitting_step(*, sitting: Sitting, action: str, actor) -> Sitting:
    """Open a sitting for sign-in (``open``; a closed one may be opened again) or close it
    (``close``: papers still running are submitted as they stand)."""
    sitting = Sitting.objects.select_for_update(of=("self",)).get(pk=sitting.pk)
    allowed, target = SITTING_STEPS[action]
    if sitting.status not in allowed:
        raise ExamError(_("当前状态不能执行此操作。"))
    if action == "open" and not PaperRule.objects.filter(post=sitting.post_id).exists():
        raise ExamError(_("该岗位还没有组卷规则，请先设置。"))
    sitting.status = target
    sitting.save(update_fields=["status"])
    if action == "close":
        for paper in Paper.objects.filter(candidate__sitting=sitting, submitted_at__isnull=True):
            paper_submit(paper=paper, by=SubmittedBy.DEADLINE)
    return sitting


# --- Sign-in and drawing ------------------------------------------------------------------------


def candidate_for(*, access_code: str, id_number: str, name: str) -> Candidate | None:
    """The candidate of the open sitting with ``access_code`` whose ID number and name are
    these (name compared folded: full-width and spacing aside), or None — the caller does
    not say which of the three was wrong."""
    code = parsers.fold(access_code).upper().replace(" ", "")
    if not code or len(code) > 12:
        return None
    sitting = Sitting.objects.filter(access_code=code, status=SittingStatus.OPEN).first()
    if sitting is None:
        return None
    id_number = parsers.fold(id_number).upper().replace(" ", "")
    if len(id_number) != 18:
        return None
    person = Person.objects.filter(id_number=id_number).first()
    if person is None or parsers.person_name(name) != parsers.person_name(person.name):
        return None
    return (
        Candidate.objects.select_related("sitting__post", "person")
        .filter(sitting=sitting, person=person)
        .first()
    )


def _draw(rule: PaperRule, rng: random.Random) -> list[tuple[int, int, Decimal]]:
    """(question id, version id, marks) for every question of a paper, section by section;
    raises ``ExamError`` when the bank is short."""
    drawn: list[tuple[int, int, Decimal]] = []
    taken: set[int] = set()
    pool_rows = list(
        Question.objects.filter(post=rule.post_id, active=True, current__isnull=False)
        .order_by("pk")
        .values_list("pk", "current_id", "qtype", "category")
    )
    for section in rule.sections.all():
        pool = [
            (pk, version)
            for pk, version, qtype, category in pool_rows
            if qtype == section.qtype
            and (not section.category or category == section.category)
            and pk not in taken
        ]
        if len(pool) < section.count:
            raise ExamError(_("题库试题不足，无法组卷，请联系监考人员。"))
        chosen = rng.sample(pool, section.count)
        taken.update(pk for pk, _v in chosen)
        drawn.extend((pk, version, section.marks) for pk, version in chosen)
    return drawn


@transaction.atomic
def paper_start(*, candidate: Candidate, now=None, seed: int | None = None) -> Paper:
    """The candidate's paper, drawn now if it was not yet: a random seed is kept, and from it
    the questions (by section, in random order) and each question's options are shuffled
    (判断 keeps 正确 before 错误). Raises ``ExamError`` when the sitting is not open or the
    bank cannot fill the rule. ``seed``: the draw's seed (the demo's, to be repeatable);
    by default a random one."""
    now = now or clock.now()
    candidate = Candidate.objects.select_for_update(of=("self",)).get(pk=candidate.pk)
    existing = Paper.objects.filter(candidate=candidate).first()
    if existing is not None:
        return existing
    sitting = candidate.sitting
    if sitting.status != SittingStatus.OPEN:
        raise ExamError(_("本场考试未开放。"))
    rule = PaperRule.objects.filter(post=sitting.post_id).first()
    if rule is None:
        raise ExamError(_("该岗位还没有组卷规则，请联系监考人员。"))
    seed = secrets.randbits(62) if seed is None else seed
    rng = random.Random(seed)
    drawn = _draw(rule, rng)
    versions = {
        v.pk: v
        for v in QuestionVersion.objects.filter(pk__in=[version for _q, version, _m in drawn])
    }
    paper = Paper.objects.create(
        candidate=candidate,
        seed=seed,
        started_at=now,
        deadline_at=now + timedelta(minutes=rule.duration_minutes),
        total_marks=sum((marks for _q, _v, marks in drawn), Decimal("0")),
        pass_mark=rule.pass_mark,
    )
    rows = []
    for position, (_question, version_id, marks) in enumerate(drawn, start=1):
        version = versions[version_id]
        order = list(range(len(version.options)))
        if version.qtype != QuestionType.JUDGE:
            rng.shuffle(order)
        rows.append(
            PaperQuestion(
                paper=paper, position=position, version=version, option_order=order, marks=marks
            )
        )
    PaperQuestion.objects.bulk_create(rows)
    return paper


# --- Answers, submission and grading --------------------------------------------------------------


def _expired(paper: Paper, now) -> bool:
    return now >= paper.deadline_at


def paper_answer(*, paper: Paper, position: int, shown: list[str], now=None) -> str:
    """Save the answer to question ``position`` as given: ``shown`` holds the letters the
    candidate chose as the page showed them (A = the first option shown). Returns the
    version's letters stored. Raises ``ExamError`` once the paper is submitted or past its
    deadline (which then submits it), or for letters the question does not have.
    One ``UPDATE`` of one row: answers of many candidates at once do not wait on a lock."""
    now = now or clock.now()
    if paper.is_submitted:
        raise ExamError(_("已交卷，不能再作答。"))
    if _expired(paper, now):
        paper_submit(paper=paper, by=SubmittedBy.DEADLINE, now=now)
        raise ExamError(_("考试时间已到，已自动交卷。"))
    row = (
        PaperQuestion.objects.filter(paper=paper, position=position)
        .values("option_order", "version__qtype")
        .first()
    )
    if row is None:
        raise ExamError(_("没有这道题。"))
    order = row["option_order"]
    letters = sorted({letter.strip().upper() for letter in shown if letter.strip()})
    if any(letter not in OPTION_LETTERS[: len(order)] for letter in letters):
        raise ExamError(_("没有这个选项。"))
    if row["version__qtype"] != QuestionType.MULTIPLE and len(letters) > 1:
        raise ExamError(_("这道题只能选一个答案。"))
    chosen = "".join(sorted(OPTION_LETTERS[order[OPTION_LETTERS.index(s)]] for s in letters))
    updated = PaperQuestion.objects.filter(
        paper=paper, position=position, paper__submitted_at__isnull=True
    ).update(chosen=chosen, answered_at=now)
    if not updated:
        raise ExamError(_("已交卷，不能再作答。"))
    return chosen


def certificate_number(paper: Paper) -> str:
    return f"{CERTIFICATE_PREFIX}{paper.candidate.sitting.held_on:%Y}{paper.pk:06d}"


@transaction.atomic
def paper_submit(*, paper: Paper, by: str = SubmittedBy.CANDIDATE, now=None) -> Paper:
    """Grade and close the paper (once: a second call returns it as it is). A question
    scores its marks when the letters chosen are exactly the answer's. A pass writes (or
    marks passed) the person's attendance of the sitting's training session — or of a
    session made for the sitting — with the score and the certificate number."""
    now = now or clock.now()
    paper = Paper.objects.select_for_update(of=("self",)).get(pk=paper.pk)
    if paper.is_submitted:
        return paper
    questions = list(paper.questions.select_related("version"))
    score = Decimal("0")
    for question in questions:
        right = bool(question.chosen) and question.chosen == question.version.answer
        question.awarded = question.marks if right else Decimal("0")
        score += question.awarded
    PaperQuestion.objects.bulk_update(questions, ["awarded"])
    paper.score = score
    paper.passed = score >= paper.pass_mark
    paper.submitted_at = min(now, paper.deadline_at)
    paper.submitted_by = by
    if paper.passed:
        paper.certificate_number = certificate_number(paper)
        paper.certificate_token = new_certificate_token()
        paper.attendance = _record_pass(paper)
    paper.save()
    return paper


def exam_training_session(sitting: Sitting) -> TrainingSession:
    """The training session a sitting's passes are recorded in: the linked one, or one
    named after the sitting on its day."""
    if sitting.training_session_id:
        return sitting.training_session
    session, _created = TrainingSession.objects.get_or_create(
        title=(_("%(title)s（考核）") % {"title": sitting.title})[:200],
        starts_on=sitting.held_on,
        defaults={
            "ends_on": sitting.held_on,
            "kind": SessionKind.OTHER,
            "place": sitting.place,
            "organiser": bureau_name()[:100],
        },
    )
    return session


def _record_pass(paper: Paper) -> TrainingAttendance:
    candidate = paper.candidate
    session = exam_training_session(candidate.sitting)
    attendance, _created = TrainingAttendance.objects.select_for_update(of=("self",)).get_or_create(
        session=session, person_id=candidate.person_id
    )
    attendance.attended = True
    attendance.passed = True
    attendance.score = paper.score
    attendance.certificate_number = paper.certificate_number
    attendance._change_reason = _("考试合格")
    attendance.save()
    return attendance


def papers_close_expired(*, sitting: Sitting | None = None, now=None) -> int:
    """Submit every paper past its deadline (of ``sitting``, or all). Returns how many."""
    now = now or clock.now()
    expired = Paper.objects.filter(submitted_at__isnull=True, deadline_at__lte=now)
    if sitting is not None:
        expired = expired.filter(candidate__sitting=sitting)
    done = 0
    for paper in expired:
        paper_submit(paper=paper, by=SubmittedBy.DEADLINE, now=now)
        done += 1
    return done
