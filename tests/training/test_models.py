"""Rules of training attendance the database enforces."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from tests.factories import PersonFactory, TrainingAttendanceFactory, TrainingSessionFactory
from training.models import TrainingAttendance

pytestmark = pytest.mark.django_db


def test_a_person_attends_a_session_once():
    attendance = TrainingAttendanceFactory()
    with transaction.atomic(), pytest.raises(IntegrityError):
        TrainingAttendance.objects.create(session=attendance.session, person=attendance.person)


def test_a_person_attends_several_sessions_and_a_session_has_several_people():
    person = PersonFactory()
    session = TrainingSessionFactory()
    TrainingAttendanceFactory(person=person)
    TrainingAttendanceFactory(person=person, session=session)
    TrainingAttendanceFactory(session=session)
    assert person.attendances.count() == 2
    assert session.attendances.count() == 2


def test_passed_requires_attended():
    with transaction.atomic(), pytest.raises(IntegrityError):
        TrainingAttendance.objects.create(
            session=TrainingSessionFactory(), person=PersonFactory(), attended=False, passed=True
        )


def test_absent_and_not_passed_is_allowed():
    TrainingAttendance.objects.create(
        session=TrainingSessionFactory(), person=PersonFactory(), attended=False, passed=False
    )


def test_full_clean_reports_the_duplicate():
    attendance = TrainingAttendanceFactory()
    duplicate = TrainingAttendance(session=attendance.session, person=attendance.person)
    with pytest.raises(ValidationError):
        duplicate.full_clean()
