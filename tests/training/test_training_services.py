"""Training and evaluation workflows (training.services): enrolment rules, attendance,
the training file import feeding the statistics, evaluation totals and grades."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from appointments.models import EndReason
from cqo_registry.importing import read_workbook, run_import
from reports.models import Target
from reports.statistics import compute_target
from tests.factories import (
    AppointmentFactory,
    EnterpriseFactory,
    PersonFactory,
    TrainingAttendanceFactory,
    TrainingSessionFactory,
)
from tests.imports.conftest import TRAINING_HEADER, xlsx
from training import services
from training.importers import TrainingImporter
from training.models import (
    Evaluation,
    EvaluationItem,
    EvaluationStatus,
    Grade,
    TrainingAttendance,
    TrainingSession,
)

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
    b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture
def county(county):
    """The shared cast, with its CQOs' passed sessions dated in the past: the factory's
    session dates advance a week per session made in the whole run, so late in a long
    suite they lie in the future and the cast would not count as trained yet."""
    TrainingSession.objects.filter(attendances__passed=True).update(
        starts_on=date(2021, 9, 1), ends_on=date(2021, 9, 2)
    )
    return county


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "private"
    return settings.MEDIA_ROOT


def untrained_cqo(town, **appointment):
    """A filed current CQO in ``town`` without any training."""
    return AppointmentFactory(enterprise=EnterpriseFactory(town=town), **appointment)


def future_session(**kwargs):
    start = timezone.localdate() + timedelta(days=30)
    return TrainingSessionFactory(starts_on=start, ends_on=start + timedelta(days=1), **kwargs)


# --- Sessions -----------------------------------------------------------------------------


def test_session_create_records_who(bureau_admin):
    session = services.training_session_create(
        title="2024年质量月首席质量官综合技能培训",
        kind="quality_month",
        starts_on=date(2024, 9, 10),
        ends_on=date(2024, 9, 11),
        hours=Decimal(16),
        capacity=50,
        actor=bureau_admin,
    )
    assert session.history.get().history_user == bureau_admin


def test_session_end_before_start_is_refused(bureau_admin):
    with pytest.raises(ValidationError):
        services.training_session_create(
            title="任职培训",
            kind="induction",
            starts_on=date(2024, 9, 10),
            ends_on=date(2024, 9, 9),
            actor=bureau_admin,
        )


def test_capacity_cannot_drop_below_enrolled(reviewer, home_town):
    session = future_session(capacity=5)
    for _ in range(3):
        services.training_enrol_person(
            session=session, person=untrained_cqo(home_town).person, actor=reviewer
        )
    with pytest.raises(ValidationError) as error:
        services.training_session_update(session=session, changes={"capacity": 2}, actor=reviewer)
    assert "capacity" in error.value.message_dict
    services.training_session_update(session=session, changes={"capacity": 3}, actor=reviewer)


# --- Enrolment ----------------------------------------------------------------------------


def test_enrol_person_creates_an_unattended_attendance(reviewer, home_town):
    appointment = untrained_cqo(home_town)
    session = future_session()
    result = services.training_enrol_person(
        session=session, person=appointment.person, actor=reviewer
    )
    assert result.enrolled == 1
    attendance = TrainingAttendance.objects.get(session=session, person=appointment.person)
    assert (attendance.attended, attendance.passed) == (False, False)
    assert attendance.history.get().history_user == reviewer


def test_enrol_person_twice_is_refused(reviewer, home_town):
    appointment = untrained_cqo(home_town)
    session = future_session()
    services.training_enrol_person(session=session, person=appointment.person, actor=reviewer)
    with pytest.raises(ValidationError) as error:
        services.training_enrol_person(session=session, person=appointment.person, actor=reviewer)
    assert error.value.code == "already_enrolled"
    assert session.attendances.count() == 1


def test_enrol_person_who_is_no_filed_current_cqo_is_refused(reviewer, home_town):
    pending = untrained_cqo(home_town, filed_on=None)
    ended = untrained_cqo(home_town, ended_on=date(2022, 1, 1), end_reason=EndReason.LEFT)
    session = future_session()
    for person in (pending.person, ended.person, PersonFactory()):
        with pytest.raises(ValidationError) as error:
            services.training_enrol_person(session=session, person=person, actor=reviewer)
        assert error.value.code == "not_a_cqo"
    assert not session.attendances.exists()


def test_enrol_over_capacity_enrols_nobody(reviewer, home_town):
    session = future_session(capacity=2)
    for _ in range(3):
        untrained_cqo(home_town)
    with pytest.raises(ValidationError) as error:
        services.training_enrol_town(session=session, town=home_town, actor=reviewer)
    assert error.value.code == "over_capacity"
    assert "名额不足" in error.value.messages[0]
    assert not session.attendances.exists()


def test_enrol_single_person_into_a_full_session_is_refused(reviewer, home_town):
    session = future_session(capacity=1)
    services.training_enrol_person(
        session=session, person=untrained_cqo(home_town).person, actor=reviewer
    )
    with pytest.raises(ValidationError) as error:
        services.training_enrol_person(
            session=session, person=untrained_cqo(home_town).person, actor=reviewer
        )
    assert error.value.code == "over_capacity"


def test_enrol_town_takes_its_filed_current_cqos_only(reviewer, county, home_town, other_town):
    session = future_session()
    extra = untrained_cqo(home_town)
    untrained_cqo(home_town, filed_on=None)  # not filed: not enrolled
    untrained_cqo(other_town)  # another town
    result = services.training_enrol_town(session=session, town=home_town, actor=reviewer)
    enrolled = set(session.attendances.values_list("person_id", flat=True))
    assert enrolled == {
        county.home_appointment.person_id,
        county.second_home_appointment.person_id,
        extra.person_id,
    }
    assert result.enrolled == 3


def test_enrol_town_again_skips_those_enrolled(reviewer, county, home_town):
    session = future_session()
    services.training_enrol_town(session=session, town=home_town, actor=reviewer)
    newcomer = untrained_cqo(home_town)
    result = services.training_enrol_town(session=session, town=home_town, actor=reviewer)
    assert (result.enrolled, result.already) == (1, 2)
    assert session.attendances.filter(person=newcomer.person).exists()


def test_enrol_untrained_takes_those_without_a_passed_attendance(
    reviewer, county, home_town, other_town
):
    session = future_session()
    never = untrained_cqo(home_town)
    failed = untrained_cqo(other_town)
    TrainingAttendanceFactory(person=failed.person, passed=False)
    result = services.training_enrol_untrained(session=session, actor=reviewer)
    enrolled = set(session.attendances.values_list("person_id", flat=True))
    # The county's CQOs all passed a session already.
    assert enrolled == {never.person_id, failed.person_id}
    assert result.enrolled == 2


def test_enrol_untrained_of_one_town(reviewer, home_town, other_town):
    session = future_session()
    mine = untrained_cqo(home_town)
    untrained_cqo(other_town)
    services.training_enrol_untrained(session=session, town=home_town, actor=reviewer)
    assert list(session.attendances.values_list("person_id", flat=True)) == [mine.person_id]


def test_enrol_untrained_when_everyone_is_trained_says_so(reviewer, county):
    with pytest.raises(ValidationError) as error:
        services.training_enrol_untrained(session=future_session(), actor=reviewer)
    assert error.value.code == "none"


def test_unenrol_only_before_attendance_is_recorded(reviewer, home_town):
    session = future_session()
    services.training_enrol_person(
        session=session, person=untrained_cqo(home_town).person, actor=reviewer
    )
    attendance = session.attendances.get()
    attendance.attended = True
    attendance.save()
    with pytest.raises(ValidationError):
        services.training_unenrol(attendance=attendance, actor=reviewer)
    attendance.attended = False
    attendance.save()
    services.training_unenrol(attendance=attendance, actor=reviewer)
    assert not session.attendances.exists()


# --- Attendance ---------------------------------------------------------------------------


def test_record_attendance(reviewer):
    attendance = TrainingAttendanceFactory(attended=False, passed=False, hours=None)
    services.training_record_attendance(
        attendance=attendance,
        attended=True,
        hours=Decimal("16"),
        score=Decimal("88.5"),
        passed=True,
        certificate_number="ZL2024-001",
        actor=reviewer,
    )
    attendance.refresh_from_db()
    assert attendance.passed and attendance.score == Decimal("88.5")
    assert attendance.history.latest().history_user == reviewer


def test_passed_without_attended_is_refused(reviewer):
    attendance = TrainingAttendanceFactory(attended=False, passed=False)
    with pytest.raises(ValidationError) as error:
        services.training_record_attendance(
            attendance=attendance,
            attended=False,
            hours=None,
            score=None,
            passed=True,
            actor=reviewer,
        )
    assert "passed" in error.value.message_dict
    attendance.refresh_from_db()
    assert not attendance.passed


def test_record_attendances_is_all_or_nothing(reviewer):
    session = TrainingSessionFactory()
    good = TrainingAttendanceFactory(session=session, attended=False, passed=False)
    bad = TrainingAttendanceFactory(session=session, attended=False, passed=False)
    with pytest.raises(ValidationError):
        services.training_record_attendances(
            session=session,
            changes={good.pk: {"attended": True}, bad.pk: {"passed": True}},
            actor=reviewer,
        )
    good.refresh_from_db()
    assert not good.attended


def test_record_attendances_refuses_another_sessions_attendance(reviewer):
    session = TrainingSessionFactory()
    foreign = TrainingAttendanceFactory(attended=False, passed=False)
    with pytest.raises(ValidationError):
        services.training_record_attendances(
            session=session, changes={foreign.pk: {"attended": True}}, actor=reviewer
        )


# --- Untrained CQOs and the statistics ----------------------------------------------------


def test_untrained_follows_the_statistics_definition(county, home_town):
    today = timezone.localdate()
    never = untrained_cqo(home_town)
    later = untrained_cqo(home_town)
    TrainingAttendanceFactory(person=later.person, session=future_session())  # not ended yet
    untrained = set(services.untrained_appointments(today).values_list("pk", flat=True))
    assert untrained == {never.pk, later.pk}


def training_file(rows) -> bytes:
    return xlsx(TRAINING_HEADER, rows)


def import_training(data: bytes, actor, *, dry_run: bool):
    importer = TrainingImporter(user=actor, file_name="培训.xlsx")
    return run_import(importer, read_workbook(data, filename="培训.xlsx"), dry_run=dry_run)


def t3(day: date):
    return compute_target(Target.objects.get(code="T3"), day).total


def test_imported_passes_count_as_trained_from_their_date(reviewer, home_town):
    day = date(2022, 9, 15)
    first = untrained_cqo(home_town, appointed_on=date(2021, 1, 4))
    second = untrained_cqo(home_town, appointed_on=date(2021, 1, 4))
    data = training_file(
        [
            [first.person.id_number, first.person.name, "质量月综合技能培训", day, 16, "是"],
            [second.person.id_number, second.person.name, "质量月综合技能培训", day, 16, "否"],
        ]
    )
    before = t3(day - timedelta(days=1))
    assert (before.population, before.counted) == (2, 0)

    result = import_training(data, reviewer, dry_run=False)
    assert result.ok and result.written
    assert t3(day - timedelta(days=1)).counted == 0
    assert t3(day).counted == 1
    assert t3(day + timedelta(days=1)).counted == 1
    session = TrainingSession.objects.get(title="质量月综合技能培训", starts_on=day)
    assert session.attendances.count() == 2


def test_import_dry_run_writes_nothing(reviewer, home_town):
    cqo = untrained_cqo(home_town)
    data = training_file(
        [[cqo.person.id_number, cqo.person.name, "任职培训", "2022-05-01", 8, "是"]]
    )
    result = import_training(data, reviewer, dry_run=True)
    assert result.ok and not result.written
    assert not TrainingAttendance.objects.exists()


# --- Evaluations --------------------------------------------------------------------------


def test_grade_thresholds():
    hundred = Decimal(100)
    cases = {
        "100": Grade.EXCELLENT,
        "90": Grade.EXCELLENT,
        "89.9": Grade.QUALIFIED,
        "75": Grade.QUALIFIED,
        "74.9": Grade.BASIC,
        "60": Grade.BASIC,
        "59.9": Grade.UNQUALIFIED,
        "0": Grade.UNQUALIFIED,
    }
    for total, grade in cases.items():
        assert services.grade_for(Decimal(total), hundred) == grade, total
    # By share, not by points: 45 of 50 is 90 %.
    assert services.grade_for(Decimal(45), Decimal(50)) == Grade.EXCELLENT
    assert services.grade_for(Decimal("44.9"), Decimal(50)) == Grade.QUALIFIED


def test_open_creates_a_score_per_active_item(reviewer, home_appointment):
    EvaluationItem.objects.filter(code="T5").update(active=False)
    evaluation = services.evaluation_open(appointment=home_appointment, year=2023, actor=reviewer)
    codes = list(evaluation.scores.values_list("item__code", flat=True))
    assert len(codes) == 9 and "T5" not in codes
    assert evaluation.status == EvaluationStatus.DRAFT
    assert evaluation.history.get().history_user == reviewer


def test_open_twice_is_refused(reviewer, home_appointment):
    services.evaluation_open(appointment=home_appointment, year=2023, actor=reviewer)
    with pytest.raises(ValidationError):
        services.evaluation_open(appointment=home_appointment, year=2023, actor=reviewer)


def test_open_year_opens_one_per_filed_current_cqo(reviewer, county, home_town):
    untrained_cqo(home_town, filed_on=None)  # not filed: no evaluation
    services.evaluation_open(appointment=county.home_appointment, year=2023, actor=reviewer)
    assert services.evaluation_open_year(year=2023, actor=reviewer) == 2
    assert Evaluation.objects.filter(year=2023).count() == 3
    assert services.evaluation_open_year(year=2023, actor=reviewer) == 0
    assert all(e.scores.count() == 10 for e in Evaluation.objects.all())


def test_open_year_in_the_future_is_refused(reviewer, county):
    with pytest.raises(ValidationError):
        services.evaluation_open_year(year=timezone.localdate().year + 1, actor=reviewer)


@pytest.fixture
def evaluation(reviewer, home_appointment):
    return services.evaluation_open(appointment=home_appointment, year=2023, actor=reviewer)


def item_ids(evaluation):
    return list(evaluation.scores.values_list("item_id", flat=True))


def fill_self(evaluation, user, value="8"):
    return services.evaluation_save_self_assessment(
        evaluation=evaluation,
        self_assessment="本年度组织质量攻关三项。",
        self_scores={pk: Decimal(value) for pk in item_ids(evaluation)},
        actor=user,
    )


def test_self_scores_above_the_maximum_are_refused(evaluation, enterprise_user):
    ids = item_ids(evaluation)
    with pytest.raises(ValidationError) as error:
        services.evaluation_save_self_assessment(
            evaluation=evaluation,
            self_assessment="",
            self_scores={ids[0]: Decimal("10.1")},
            actor=enterprise_user,
        )
    assert error.value.code == "score_out_of_range"
    assert not evaluation.scores.filter(self_score__isnull=False).exists()


def test_submit_needs_every_self_score(evaluation, enterprise_user):
    ids = item_ids(evaluation)
    services.evaluation_save_self_assessment(
        evaluation=evaluation,
        self_assessment="说明",
        self_scores={ids[0]: Decimal(5)},
        actor=enterprise_user,
    )
    with pytest.raises(ValidationError) as error:
        services.evaluation_submit_self(evaluation=evaluation, actor=enterprise_user)
    assert error.value.code == "self_scores_missing"


def test_self_assessment_is_locked_once_submitted(evaluation, enterprise_user):
    fill_self(evaluation, enterprise_user)
    evaluation = services.evaluation_submit_self(evaluation=evaluation, actor=enterprise_user)
    assert evaluation.status == EvaluationStatus.SELF_SUBMITTED
    assert evaluation.self_submitted_at is not None
    with pytest.raises(ValidationError) as error:
        fill_self(evaluation, enterprise_user, value="9")
    assert error.value.code == "wrong_status"


def score_all(evaluation, reviewer, values):
    return services.evaluation_score(
        evaluation=evaluation,
        scores=dict(zip(item_ids(evaluation), values, strict=True)),
        comments="履职到位。",
        actor=reviewer,
    )


@pytest.mark.parametrize(
    "values, total, grade",
    [
        (["10"] * 9 + ["0"], "90.0", Grade.EXCELLENT),
        (["10"] * 8 + ["9.9", "0"], "89.9", Grade.QUALIFIED),
        (["7.5"] * 10, "75.0", Grade.QUALIFIED),
        (["7.5"] * 9 + ["7.4"], "74.9", Grade.BASIC),
        (["6"] * 10, "60.0", Grade.BASIC),
        (["6"] * 9 + ["5.9"], "59.9", Grade.UNQUALIFIED),
    ],
)
def test_score_total_and_grade_at_the_thresholds(
    evaluation, enterprise_user, reviewer, values, total, grade
):
    fill_self(evaluation, enterprise_user)
    services.evaluation_submit_self(evaluation=evaluation, actor=enterprise_user)
    evaluation = score_all(evaluation, reviewer, [Decimal(v) for v in values])
    evaluation.refresh_from_db()
    assert evaluation.total == Decimal(total)
    assert evaluation.max_total == Decimal(100)
    assert evaluation.grade == grade
    assert evaluation.status == EvaluationStatus.SCORED
    assert evaluation.scored_by == reviewer and evaluation.scored_at is not None
    assert evaluation.history.latest().history_user == reviewer


def test_max_total_follows_the_items_weights(evaluation, enterprise_user, reviewer):
    EvaluationItem.objects.filter(code="D1").update(max_score=20)
    fill_self(evaluation, enterprise_user)
    services.evaluation_submit_self(evaluation=evaluation, actor=enterprise_user)
    evaluation = score_all(evaluation, reviewer, [Decimal(9)] * 10)
    assert evaluation.max_total == Decimal(110)
    assert evaluation.total == Decimal(90)
    assert evaluation.grade == Grade.QUALIFIED  # 90 / 110 = 81.8 %


def test_scores_above_the_maximum_are_refused(evaluation, enterprise_user, reviewer):
    fill_self(evaluation, enterprise_user)
    services.evaluation_submit_self(evaluation=evaluation, actor=enterprise_user)
    with pytest.raises(ValidationError):
        score_all(evaluation, reviewer, [Decimal("10.5")] + [Decimal(10)] * 9)
    evaluation.refresh_from_db()
    assert evaluation.status == EvaluationStatus.SELF_SUBMITTED


def test_scoring_needs_every_item(evaluation, enterprise_user, reviewer):
    fill_self(evaluation, enterprise_user)
    services.evaluation_submit_self(evaluation=evaluation, actor=enterprise_user)
    ids = item_ids(evaluation)
    with pytest.raises(ValidationError) as error:
        services.evaluation_score(
            evaluation=evaluation, scores={ids[0]: Decimal(10)}, actor=reviewer
        )
    assert error.value.code == "scores_missing"


def test_a_draft_cannot_be_scored(evaluation, reviewer):
    with pytest.raises(ValidationError) as error:
        score_all(evaluation, reviewer, [Decimal(10)] * 10)
    assert error.value.code == "wrong_status"


def test_documents_are_checked_by_content(evaluation, enterprise_user, media_root):
    disguised = SimpleUploadedFile("报告.pdf", b"MZ\x90\x00 not a pdf at all" * 20)
    with pytest.raises(ValidationError) as error:
        services.evaluation_save_self_assessment(
            evaluation=evaluation,
            self_assessment="",
            self_scores={},
            documents=[SimpleUploadedFile("ok.pdf", PDF), disguised],
            actor=enterprise_user,
        )
    assert error.value.code == "bad_type"
    assert not evaluation.documents.exists()
    services.evaluation_save_self_assessment(
        evaluation=evaluation,
        self_assessment="",
        self_scores={},
        # A PNG named .pdf is stored as what it is.
        documents=[SimpleUploadedFile("报告.pdf", PDF), SimpleUploadedFile("照片.pdf", PNG)],
        actor=enterprise_user,
    )
    names = sorted(d.file.name.rsplit(".", 1)[-1] for d in evaluation.documents.all())
    assert names == ["pdf", "png"]
    assert not any("报告" in d.file.name for d in evaluation.documents.all())


def test_documents_over_10_mb_are_refused(evaluation, enterprise_user, media_root):
    big = SimpleUploadedFile("big.pdf", PDF + b"0" * (10 * 1024 * 1024))
    with pytest.raises(ValidationError) as error:
        services.evaluation_save_self_assessment(
            evaluation=evaluation,
            self_assessment="",
            self_scores={},
            documents=[big],
            actor=enterprise_user,
        )
    assert error.value.code == "too_large"
