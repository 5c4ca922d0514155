"""Workflows of training (SPEC §2 Training, notice §6.1) and of the yearly duty evaluation
(履职评价, notice §4 and §5).

Views and tasks change these records only through these functions. Each one is keyword-only,
runs in one transaction, validates with ``full_clean`` before saving and raises
``ValidationError`` with a message the user can act on. History rows are attributed to the
``actor`` (``_history_user``), also outside a request."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import PurePath

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext as _

from appointments.models import Appointment
from appointments.registry import active_on, filed_current_on
from cqo_registry import clock
from cqo_registry.importing.bulk import insert_with_history
from cqo_registry.uploads import check_upload
from cqo_registry.workflows import save_validated
from enterprises.models import Person, Town

from .models import (
    EVALUATION_FLOW,
    Evaluation,
    EvaluationDocument,
    EvaluationItem,
    EvaluationScore,
    Grade,
    TrainingAttendance,
    TrainingSession,
)
from .signals import lists_changed

# Grades by the share of the maximum total reached, highest first; below the last one the
# grade is 不合格. The bureau's usual bands for duty evaluations: 90 % / 75 % / 60 %.
GRADE_THRESHOLDS: tuple[tuple[Decimal, str], ...] = (
    (Decimal("0.90"), Grade.EXCELLENT),
    (Decimal("0.75"), Grade.QUALIFIED),
    (Decimal("0.60"), Grade.BASIC),
)


# --- Who counts as a CQO to train --------------------------------------------------------------


def filed_current_appointments(day: date) -> QuerySet[Appointment]:
    """Filed current appointments at ``day`` in enterprises active at ``day`` (SPEC §3, the
    population of T3)."""
    return Appointment.objects.filter(filed_current_on(day)).filter(
        active_on(day, prefix="enterprise__")
    )


def trained_person_ids(day: date) -> QuerySet:
    """Persons with a passed attendance of a session that ended on or before ``day`` — the
    statistics' definition of *trained*, so this list and T3 always agree."""
    return TrainingAttendance.objects.filter(passed=True, session__ends_on__lte=day).values(
        "person_id"
    )


def untrained_appointments(day: date) -> QuerySet[Appointment]:
    """Filed current appointments at ``day`` whose CQO is not trained at ``day``.

    ``NOT EXISTS``, never ``NOT IN (subquery)``: PostgreSQL hashes a ``NOT IN`` list only
    while it fits in ``work_mem`` and past it rescans it for every appointment (the
    untrained-CQO list's count ran for more than 12 minutes at 300,000 enterprises)."""
    trained = trained_person_ids(day).filter(person=OuterRef("person_id"))
    return filed_current_appointments(day).filter(~Exists(trained))


# --- Sessions ------------------------------------------------------------------------------


SESSION_FIELDS = (
    "title",
    "kind",
    "starts_on",
    "ends_on",
    "hours",
    "organiser",
    "place",
    "capacity",
)


def _check_session_dates(session: TrainingSession) -> None:
    if session.starts_on and session.ends_on and session.ends_on < session.starts_on:
        raise ValidationError({"ends_on": _("结束日期不能早于开始日期。")})


@transaction.atomic
def training_session_create(
    *,
    title: str,
    kind: str,
    starts_on: date,
    ends_on: date,
    hours: Decimal | None = None,
    organiser: str = "",
    place: str = "",
    capacity: int | None = None,
    actor,
) -> TrainingSession:
    session = TrainingSession(
        title=title,
        kind=kind,
        starts_on=starts_on,
        ends_on=ends_on,
        hours=hours,
        organiser=organiser,
        place=place,
        capacity=capacity,
    )
    _check_session_dates(session)
    save_validated(session, actor)
    return session


@transaction.atomic
def training_session_update(
    *, session: TrainingSession, changes: Mapping[str, object], actor
) -> TrainingSession:
    """Change a session's fields (only those of ``SESSION_FIELDS``). The capacity may not
    drop below the number already enrolled."""
    session = TrainingSession.objects.select_for_update(of=("self",)).get(pk=session.pk)
    for name, value in changes.items():
        if name not in SESSION_FIELDS:
            raise ValueError(f"not a session field: {name}")
        setattr(session, name, value)
    _check_session_dates(session)
    enrolled = session.attendances.count()
    if session.capacity is not None and session.capacity < enrolled:
        raise ValidationError(
            {
                "capacity": _("已有 %(enrolled)d 人报名，名额不能少于报名人数。")
                % {"enrolled": enrolled}
            }
        )
    save_validated(session, actor)
    return session


# --- Enrolment ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Enrolment:
    enrolled: int  # attendances created now
    already: int  # candidates who were enrolled before (left as they are)


def _enrol(*, session: TrainingSession, person_ids: Iterable[int], actor) -> Enrolment:
    """Enrol the persons not yet enrolled, all or none: over capacity nobody is enrolled."""
    # Lock the session so that two clerks enrolling at once cannot overfill it.
    session = TrainingSession.objects.select_for_update(of=("self",)).get(pk=session.pk)
    wanted = set(person_ids)
    enrolled_ids = set(session.attendances.values_list("person_id", flat=True))
    new_ids = sorted(wanted - enrolled_ids)
    if session.capacity is not None and len(enrolled_ids) + len(new_ids) > session.capacity:
        raise ValidationError(
            _(
                "名额不足：该培训班名额 %(capacity)d 人，已报名 %(enrolled)d 人，"
                "本次需报名 %(new)d 人，未报名任何人。"
            )
            % {"capacity": session.capacity, "enrolled": len(enrolled_ids), "new": len(new_ids)},
            code="over_capacity",
        )
    attendances = [
        TrainingAttendance(session=session, person_id=pid, attended=False, passed=False)
        for pid in new_ids
    ]
    insert_with_history(
        attendances, TrainingAttendance, user=actor, reason=_("报名：%(s)s") % {"s": session}
    )
    # A bulk insert sends no post_save: the sessions list's enrolled counts are cached.
    lists_changed()
    return Enrolment(enrolled=len(new_ids), already=len(wanted & enrolled_ids))


@transaction.atomic
def training_enrol_person(*, session: TrainingSession, person: Person, actor) -> Enrolment:
    """Enrol one filed current CQO. Enrolling someone twice is refused."""
    today = clock.localdate()
    if not filed_current_appointments(today).filter(person=person).exists():
        raise ValidationError(
            _("%(name)s 不是已备案的现任首席质量官，不能报名。") % {"name": person.name},
            code="not_a_cqo",
        )
    if TrainingAttendance.objects.filter(session=session, person=person).exists():
        raise ValidationError(
            _("%(name)s 已报名该培训班。") % {"name": person.name}, code="already_enrolled"
        )
    return _enrol(session=session, person_ids=[person.pk], actor=actor)


@transaction.atomic
def training_enrol_town(*, session: TrainingSession, town: Town, actor) -> Enrolment:
    """Enrol every filed current CQO serving an enterprise of ``town`` (those enrolled
    already are left as they are)."""
    today = clock.localdate()
    ids = (
        filed_current_appointments(today)
        .filter(enterprise__town=town)
        .values_list("person_id", flat=True)
    )
    result = _enrol(session=session, person_ids=ids, actor=actor)
    if result.enrolled == 0 and result.already == 0:
        raise ValidationError(
            _("%(town)s 没有已备案的现任首席质量官。") % {"town": town.name}, code="none"
        )
    return result


@transaction.atomic
def training_enrol_untrained(
    *, session: TrainingSession, actor, town: Town | None = None
) -> Enrolment:
    """Enrol every filed current CQO who is not trained yet (optionally of one town)."""
    queryset = untrained_appointments(clock.localdate())
    if town is not None:
        queryset = queryset.filter(enterprise__town=town)
    result = _enrol(
        session=session, person_ids=queryset.values_list("person_id", flat=True), actor=actor
    )
    if result.enrolled == 0 and result.already == 0:
        raise ValidationError(_("没有未培训的首席质量官。"), code="none")
    return result


@transaction.atomic
def training_unenrol(*, attendance: TrainingAttendance, actor) -> None:
    """Take back an enrolment that has no attendance recorded yet."""
    attendance = TrainingAttendance.objects.select_for_update(of=("self",)).get(pk=attendance.pk)
    if attendance.attended or attendance.passed:
        raise ValidationError(
            _("已登记出勤或合格的培训记录不能取消报名。"), code="attendance_recorded"
        )
    attendance._history_user = actor
    attendance.delete()


# --- Attendance ----------------------------------------------------------------------------


ATTENDANCE_FIELDS = ("attended", "hours", "score", "passed", "certificate_number")


def _check_attendance(attendance: TrainingAttendance) -> None:
    if attendance.passed and not attendance.attended:
        raise ValidationError(
            {"passed": _("未出勤的不能登记为合格。")}, code="passed_requires_attended"
        )


@transaction.atomic
def training_record_attendance(
    *,
    attendance: TrainingAttendance,
    attended: bool,
    hours: Decimal | None,
    score: Decimal | None,
    passed: bool,
    certificate_number: str = "",
    actor,
) -> TrainingAttendance:
    attendance.attended = attended
    attendance.hours = hours
    attendance.score = score
    attendance.passed = passed
    attendance.certificate_number = certificate_number
    _check_attendance(attendance)
    save_validated(attendance, actor)
    return attendance


@transaction.atomic
def training_record_attendances(
    *, session: TrainingSession, changes: Mapping[int, Mapping[str, object]], actor
) -> int:
    """Record the attendance of several attendees of ``session`` at once (attendance id →
    changed fields); all or none. Returns how many were changed."""
    attendances = {
        a.pk: a
        for a in session.attendances.select_for_update(of=("self",)).filter(pk__in=list(changes))
    }
    changed = 0
    for pk, values in changes.items():
        attendance = attendances.get(pk)
        if attendance is None:
            raise ValidationError(_("培训记录不属于该培训班。"), code="foreign_attendance")
        for name, value in values.items():
            if name not in ATTENDANCE_FIELDS:
                raise ValueError(f"not an attendance field: {name}")
            setattr(attendance, name, value)
        try:
            _check_attendance(attendance)
            save_validated(attendance, actor)
        except ValidationError as error:
            raise ValidationError(
                _("%(name)s：%(reason)s")
                % {"name": attendance.person.name, "reason": "；".join(error.messages)}
            ) from error
        changed += 1
    return changed


# --- Yearly duty evaluation --------------------------------------------------------------------


def grade_for(total: Decimal, max_total: Decimal) -> str:
    """The grade of ``total`` out of ``max_total`` (see ``GRADE_THRESHOLDS``)."""
    if max_total <= 0:
        return Grade.UNQUALIFIED
    for share, grade in GRADE_THRESHOLDS:
        # Compare in decimals (total ≥ share × max), never in floats: 89.9 of 100 is not 90 %.
        if total >= share * max_total:
            return grade
    return Grade.UNQUALIFIED


def _new_scores(evaluations: list[Evaluation], items: list[EvaluationItem]) -> list:
    return [EvaluationScore(evaluation=e, item=i) for e in evaluations for i in items]


def _active_items() -> list[EvaluationItem]:
    items = list(EvaluationItem.objects.filter(active=True))
    if not items:
        raise ValidationError(
            _("没有启用的履职评价项目，请先在后台设置评价项目。"), code="no_items"
        )
    return items


@transaction.atomic
def evaluation_open(*, appointment: Appointment, year: int, actor) -> Evaluation:
    """Open the ``year`` evaluation of one appointment, with a score row per active item."""
    if appointment.filed_on is None:
        raise ValidationError(_("该聘任尚未备案，不能开展履职评价。"), code="not_filed")
    if Evaluation.objects.filter(appointment=appointment, year=year).exists():
        raise ValidationError(_("%(year)d 年度的履职评价已存在。") % {"year": year}, code="exists")
    items = _active_items()
    evaluation = Evaluation(appointment=appointment, year=year)
    save_validated(evaluation, actor)
    insert_with_history(_new_scores([evaluation], items), EvaluationScore, user=actor)
    return evaluation


def evaluation_reference_day(year: int) -> date:
    """The day whose filed current CQOs are evaluated for ``year``: the year's last day, or
    today while the year is running."""
    return min(date(year, 12, 31), clock.localdate())


@transaction.atomic
def evaluation_open_year(*, year: int, actor) -> int:
    """Open the ``year`` evaluation of every filed current CQO (at the year's end, or today
    while it runs) that has none. Returns how many were opened."""
    if year > clock.localdate().year:
        raise ValidationError(_("不能为未来年度开展履职评价。"), code="future_year")
    items = _active_items()
    day = evaluation_reference_day(year)
    pending = (
        filed_current_appointments(day)
        .exclude(evaluations__year=year)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    evaluations = [Evaluation(appointment_id=pk, year=year) for pk in pending]
    insert_with_history(evaluations, Evaluation, user=actor)
    insert_with_history(_new_scores(evaluations, items), EvaluationScore, user=actor)
    return len(evaluations)


def _locked_evaluation(evaluation: Evaluation) -> Evaluation:
    return Evaluation.objects.select_for_update(of=("self",)).get(pk=evaluation.pk)


def _check_score(value: Decimal | None, item: EvaluationItem) -> None:
    if value is None:
        return
    if value < 0 or value > item.max_score:
        raise ValidationError(
            _("“%(item)s”的得分应在 0 到 %(max)s 分之间。")
            % {"item": item.code, "max": item.max_score},
            code="score_out_of_range",
        )


@transaction.atomic
def evaluation_save_self_assessment(
    *,
    evaluation: Evaluation,
    self_assessment: str,
    self_scores: Mapping[int, Decimal | None],
    documents: Iterable = (),
    actor,
) -> Evaluation:
    """The enterprise's self-assessment while the evaluation is a draft: the text, a self
    score per item (item id → score, at most the item's maximum) and documents to add."""
    evaluation = _locked_evaluation(evaluation)
    EVALUATION_FLOW.require(evaluation, "self_assess")
    # Check every upload before storing any, so a bad second file leaves no orphan first one.
    uploads = list(documents)
    for upload in uploads:
        check_upload(upload)
    scores = {s.item_id: s for s in evaluation.scores.select_related("item")}
    for item_id, value in self_scores.items():
        score = scores.get(item_id)
        if score is None:
            raise ValidationError(_("评价项目不属于该履职评价。"), code="foreign_item")
        _check_score(value, score.item)
        if score.self_score != value:
            score.self_score = value
            save_validated(score, actor)
    evaluation.self_assessment = self_assessment
    save_validated(evaluation, actor)
    for upload in uploads:
        name = PurePath(upload.name).name[:200]
        # Stored under a random name with the type found in the content (PrivateFileField).
        document = EvaluationDocument(
            evaluation=evaluation, name=name, file=upload, uploaded_by=actor
        )
        document.full_clean()
        document.save()
    return evaluation


@transaction.atomic
def evaluation_remove_document(*, document: EvaluationDocument, actor) -> None:
    evaluation = _locked_evaluation(document.evaluation)
    EVALUATION_FLOW.require(evaluation, "self_assess")
    # The file leaves storage once the row's removal is committed (django-cleanup).
    document.delete()


@transaction.atomic
def evaluation_submit_self(*, evaluation: Evaluation, actor) -> Evaluation:
    """Hand the self-assessment to the bureau: every item needs a self score."""
    evaluation = _locked_evaluation(evaluation)
    EVALUATION_FLOW.require(evaluation, "submit_self")
    missing = evaluation.scores.filter(self_score__isnull=True).select_related("item")
    codes = [s.item.code for s in missing]
    if codes:
        raise ValidationError(
            _("请先为每个评价项目填写自评分（尚缺：%(codes)s）。") % {"codes": "、".join(codes)},
            code="self_scores_missing",
        )
    if not evaluation.self_assessment.strip():
        raise ValidationError(_("请先填写自评说明。"), code="no_self_assessment")
    evaluation.status = EVALUATION_FLOW.target("submit_self")
    evaluation.self_submitted_at = clock.now()
    save_validated(evaluation, actor)
    return evaluation


@transaction.atomic
def evaluation_score(
    *,
    evaluation: Evaluation,
    scores: Mapping[int, Decimal],
    comments: str = "",
    notes: Mapping[int, str] | None = None,
    actor,
) -> Evaluation:
    """The bureau's scores (item id → score, every item, at most its maximum). The total is
    their sum, the maximum the sum of the items' maxima, the grade by ``GRADE_THRESHOLDS``.
    A scored evaluation may be scored again (the history keeps the earlier scores)."""
    evaluation = _locked_evaluation(evaluation)
    EVALUATION_FLOW.require(evaluation, "score")
    notes = notes or {}
    rows = list(evaluation.scores.select_related("item"))
    missing = [s.item.code for s in rows if scores.get(s.item_id) is None]
    if missing:
        raise ValidationError(
            _("每个评价项目都需评分（尚缺：%(codes)s）。") % {"codes": "、".join(missing)},
            code="scores_missing",
        )
    unknown = set(scores) - {s.item_id for s in rows}
    if unknown:
        raise ValidationError(_("评价项目不属于该履职评价。"), code="foreign_item")
    total = Decimal(0)
    max_total = Decimal(0)
    for row in rows:
        value = Decimal(scores[row.item_id])
        _check_score(value, row.item)
        note = notes.get(row.item_id, row.note)
        if row.score != value or row.note != note:
            row.score, row.note = value, note
            save_validated(row, actor)
        total += value
        max_total += row.item.max_score
    evaluation.total = total
    evaluation.max_total = max_total
    evaluation.grade = grade_for(total, max_total)
    evaluation.comments = comments
    evaluation.status = EVALUATION_FLOW.target("score")
    evaluation.scored_by = actor
    evaluation.scored_at = clock.now()
    save_validated(evaluation, actor)
    return evaluation
