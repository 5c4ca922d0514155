from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from appointments.models import Appointment, EndReason, Filing, FilingSource, FilingStatus
from enterprises.models import Person
from training.models import TrainingAttendance, TrainingSession

from .conftest import (
    APPOINTMENT_HEADER,
    ENTERPRISE_HEADER,
    TRAINING_HEADER,
    enterprise_row,
    make_id,
    make_uscc,
)

pytestmark = pytest.mark.django_db


def run(kind, path):
    out, err = StringIO(), StringIO()
    try:
        call_command("import_data", kind, str(path), stdout=out, stderr=err)
    except CommandError:
        return False, out.getvalue(), err.getvalue()
    return True, out.getvalue(), err.getvalue()


@pytest.fixture
def enterprises(towns, write_xlsx):
    assert run(
        "enterprises",
        write_xlsx(ENTERPRISE_HEADER, [enterprise_row(1), enterprise_row(2)], "e.xlsx"),
    )[0]


def appt(i_ent, i_person, name, start, end=None, filed=None):
    return [
        make_uscc(i_ent),
        name,
        make_id(i_person),
        "副总经理",
        "是",
        "否",
        start,
        end,
        filed,
        "13912345678",
    ]


def test_appointments_set_filed_on_and_create_approved_filings(enterprises, write_xlsx):
    path = write_xlsx(
        APPOINTMENT_HEADER,
        [
            appt(1, 1, "张三", date(2020, 3, 1), date(2021, 5, 31), date(2020, 3, 20)),
            appt(1, 2, "李四", "2021-06-01", None, "2021-06-15"),
            appt(2, 3, "王五", date(2021, 1, 1)),
        ],
    )
    ok, out, err = run("appointments", path)
    assert ok, err
    first = Appointment.objects.get(person__name="张三")
    assert first.filed_on == date(2020, 3, 20) and first.ended_on == date(2021, 5, 31)
    assert first.end_reason == EndReason.DISMISSED
    assert Appointment.objects.get(person__name="王五").filed_on is None
    filings = Filing.objects.order_by("approved_on")
    assert [
        (f.appointment.person.name, f.status, f.source, f.approved_on, f.number) for f in filings
    ] == [
        ("张三", FilingStatus.APPROVED, FilingSource.IMPORT, date(2020, 3, 20), None),
        ("李四", FilingStatus.APPROVED, FilingSource.IMPORT, date(2021, 6, 15), None),
    ]
    assert Person.objects.get(name="张三").mobile == "13912345678"
    # Idempotent: a second run adds no appointment, filing or history.
    history = Appointment.history.count()
    ok, out, _ = run("appointments", path)
    assert ok and "聘任：新增 0，更新 0，未变 3" in out and "备案：新增 0，更新 0，未变 2" in out
    assert Filing.objects.count() == 2 and Appointment.history.count() == history


def test_overlapping_filed_appointments_are_refused(enterprises, write_xlsx):
    path = write_xlsx(
        APPOINTMENT_HEADER,
        [
            appt(1, 1, "张三", date(2020, 3, 1), None, date(2020, 3, 20)),
            appt(1, 2, "李四", date(2021, 6, 1), None, date(2021, 6, 15)),
        ],
    )
    ok, _out, err = run("appointments", path)
    assert not ok and Appointment.objects.count() == 0
    assert "第 3 行 [聘任日期]：第 3 行与第 2 行的任期重叠" in err


def test_overlap_with_an_appointment_already_in_the_registry(enterprises, write_xlsx):
    first = write_xlsx(
        APPOINTMENT_HEADER,
        [appt(1, 1, "张三", date(2020, 3, 1), None, date(2020, 3, 20))],
        "a.xlsx",
    )
    assert run("appointments", first)[0]
    second = write_xlsx(
        APPOINTMENT_HEADER,
        [appt(1, 2, "李四", date(2021, 6, 1), None, date(2021, 6, 15))],
        "b.xlsx",
    )
    ok, _out, err = run("appointments", second)
    assert not ok and "系统中已有的聘任（张三，2020-03-01 起）" in err
    # Ending the first one in the same file makes it valid; the write order respects the
    # one-current-appointment index.
    third = write_xlsx(
        APPOINTMENT_HEADER,
        [
            appt(1, 1, "张三", date(2020, 3, 1), date(2021, 5, 31), date(2020, 3, 20)),
            appt(1, 2, "李四", date(2021, 6, 1), None, date(2021, 6, 15)),
        ],
        "c.xlsx",
    )
    ok, out, err = run("appointments", third)
    assert ok, err
    assert (
        Appointment.objects.filter(ended_on__isnull=True, filed_on__isnull=False).get().person.name
        == "李四"
    )


def test_unknown_enterprise_and_name_mismatch_are_errors(enterprises, write_xlsx):
    assert run(
        "appointments",
        write_xlsx(APPOINTMENT_HEADER, [appt(1, 1, "张三", date(2020, 3, 1))], "a.xlsx"),
    )[0]
    path = write_xlsx(
        APPOINTMENT_HEADER,
        [appt(9, 2, "李四", date(2020, 3, 1)), appt(2, 1, "张叁", date(2020, 3, 1))],
    )
    ok, _out, err = run("appointments", path)
    assert not ok
    assert "第 2 行 [统一社会信用代码]：系统中没有统一社会信用代码为" in err
    assert "第 3 行 [姓名]：" in err and "“张三”，与“张叁”不符" in err


def test_training_import_creates_sessions_people_and_passed_attendances(db, write_xlsx):
    rows = [
        [make_id(1), "张三", "2021年质量月综合技能培训", date(2021, 9, 10), 16, "是"],
        [make_id(2), "李四", "2021年质量月综合技能培训", "2021-09-10", 16, "否"],
    ]
    ok, out, err = run("training", write_xlsx(TRAINING_HEADER, rows))
    assert ok, err
    session = TrainingSession.objects.get()
    assert (session.starts_on, session.ends_on, session.hours) == (
        date(2021, 9, 10),
        date(2021, 9, 10),
        16,
    )
    passed = dict(TrainingAttendance.objects.values_list("person__name", "passed"))
    assert passed == {"张三": True, "李四": False}
    assert Person.objects.count() == 2
    ok, out, _ = run("training", write_xlsx(TRAINING_HEADER, rows, "again.xlsx"))
    assert ok and "培训记录：新增 0，更新 0，未变 2" in out
