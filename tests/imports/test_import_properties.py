"""Property: whatever a clerk's file holds, it either imports with every value stored in its
normalised form, or is refused with each bad row named and nothing written.

Hypothesis writes random valid and invalid rows into real .xlsx files (openpyxl): code columns
sometimes in number cells, dates in every accepted spelling, yes/no in every accepted word,
towns with and without their suffix, title rows above the header and note rows below."""

import io
from datetime import date

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from stdnum.cn import ric

from cqo_registry.importing import read_workbook, run_import
from enterprises.importers import EnterpriseImporter
from enterprises.models import Enterprise, Person, Town
from training.importers import TrainingImporter
from training.models import TrainingAttendance

from .conftest import ENTERPRISE_HEADER, TRAINING_HEADER, make_uscc

pytestmark = pytest.mark.django_db

PROPERTY_SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

SCALES = {"规模以上": "above", "中小企业": "sme", "微型企业": "micro"}
YES = ["是", "Y", "yes", "√", "1", "需要", "合格", "通过"]
NO = ["否", "N", "no", "×", "0", "不需要", "不合格", "未通过"]
TOWN_SPELLINGS = ["城关镇", "城关", "城关 镇", " 城关镇 ", "城关镇\u3000"]
TITLE_ROWS = [["XX县企业名录（2021年）"], ["填报单位：XX县市场监督管理局", None, "单位：家"]]
NOTE_ROWS = [["制表人：王某某"], ["注：本表由各镇汇总"], ["填表说明："], ["1. 代码为 18 位"]]


def date_spellings(day: date) -> list:
    serial = (day - date(1899, 12, 30)).days
    return [
        day,
        day.isoformat(),
        f"{day.year}/{day.month}/{day.day}",
        f"{day.year}.{day.month}.{day.day}",
        f"{day.year}年{day.month}月{day.day}日",
        f"{day:%Y%m%d}",
        int(f"{day:%Y%m%d}"),
        serial,
    ]


days = st.dates(min_value=date(1990, 1, 1), max_value=date(2025, 12, 31))


@st.composite
def enterprise_rows(draw, index: int):
    """``(cells, expected)``: ``expected`` is the stored values, or None for a bad row."""
    scale_word = draw(st.sampled_from(list(SCALES)))
    scale = SCALES[scale_word]
    established = draw(days)
    requires = True if scale == "above" else draw(st.booleans())
    cells = {
        "uscc": make_uscc(index),
        "name": f"属性{index}号有限公司",
        "town": draw(st.sampled_from(TOWN_SPELLINGS)),
        "industry": draw(st.sampled_from(["C", "C 制造业", "制造业", "c"])),
        "scale": scale_word,
        "requires": draw(st.sampled_from(YES if requires else NO)),
        "established": draw(st.sampled_from(date_spellings(established))),
    }
    if draw(st.booleans()):  # codes typed the way people type them
        code = cells["uscc"]
        cells["uscc"] = draw(
            st.sampled_from([code.lower(), f" {code[:6]} {code[6:]} ", code[:9] + "-" + code[9:]])
        )
    defect = draw(
        st.sampled_from(
            [None] * 6
            + [
                "check_digit",
                "number_cell",
                "bad_date",
                "bare_year",
                "scale",
                "no_name",
                "above_no",
            ]
        )
    )
    if defect == "check_digit":
        code = make_uscc(index)
        cells["uscc"] = code[:-1] + ("0" if code[-1] != "0" else "1")
    elif defect == "number_cell":
        cells["uscc"] = float(make_uscc(index)[:15] + "000")
    elif defect == "bad_date":
        cells["established"] = f"{established.year}-13-40"
    elif defect == "bare_year":
        cells["established"] = established.year
    elif defect == "scale":
        cells["scale"] = "大型企业"
    elif defect == "no_name":
        cells["name"] = "  "
    elif defect == "above_no":
        cells["scale"], cells["requires"] = "规模以上", "否"
    row = [
        cells["uscc"], cells["name"], cells["town"], cells["industry"], cells["scale"],
        cells["requires"], cells["established"], None, "法人", "0550-5600000", "工业园",
    ]  # fmt: skip
    expected = None
    if defect is None:
        expected = {
            "uscc": make_uscc(index),
            "name": cells["name"],
            "town__name": "城关镇",
            "industry": "C",
            "scale": scale,
            "requires_cqo": requires,
            "established_on": established,
        }
    return row, expected


def workbook(header, rows, *, titles: int, notes: int) -> bytes:
    book = Workbook()
    sheet = book.active
    for title in TITLE_ROWS[:titles]:
        sheet.append(title)
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    for note in NOTE_ROWS[:notes]:
        sheet.append(note)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def import_rolled_back(importer, content: bytes, check) -> None:
    """Run one example in a savepoint, so that examples do not see each other's rows."""
    savepoint = transaction.savepoint()
    try:
        result = run_import(importer, read_workbook(content, filename="f.xlsx"))
        check(result)
    finally:
        transaction.savepoint_rollback(savepoint)


def assert_reimport_changes_nothing(importer_class, content: bytes, model) -> None:
    """A file the registry accepted, imported again, changes nothing and adds no history."""
    history = model.history.count()
    again = run_import(importer_class(), read_workbook(content, filename="f.xlsx"))
    assert again.written
    for label, bucket in again.counts.items():
        assert bucket["created"] == bucket["updated"] == 0, (label, bucket)
    assert model.history.count() == history


@pytest.fixture
def town(db):
    return Town.objects.create(name="城关镇", code="340100000001")


@PROPERTY_SETTINGS
@given(data=st.data(), titles=st.integers(0, 2), notes=st.integers(0, 4))
def test_enterprise_files_import_normalised_or_are_refused_row_by_row(town, data, titles, notes):
    count = data.draw(st.integers(1, 8))
    drawn = [data.draw(enterprise_rows(1000 + i)) for i in range(count)]
    content = workbook(ENTERPRISE_HEADER, [r for r, _e in drawn], titles=titles, notes=notes)
    first_data_row = titles + 2
    bad_rows = {first_data_row + i for i, (_r, e) in enumerate(drawn) if e is None}

    def check(result):
        if bad_rows:
            assert not result.written
            assert {e.row for e in result.errors} == bad_rows
            assert not Enterprise.objects.exists()
            return
        assert result.written, [str(e) for e in result.errors]
        stored = list(Enterprise.objects.order_by("uscc").values(*drawn[0][1]))
        assert stored == sorted((e for _r, e in drawn), key=lambda e: e["uscc"])
        assert len(result.note_rows) == notes
        assert_reimport_changes_nothing(EnterpriseImporter, content, Enterprise)

    import_rolled_back(EnterpriseImporter(), content, check)


def id_number(index: int) -> str:
    body = f"3401041985{index % 12 + 1:02d}{index % 28 + 1:02d}{index % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


@st.composite
def training_rows(draw, index: int):
    number = id_number(index)
    day = draw(st.dates(min_value=date(2020, 1, 1), max_value=date(2024, 12, 31)))
    passed = draw(st.booleans())
    typed = draw(
        st.sampled_from([number, number.lower(), f" {number[:6]} {number[6:]}", number + " "])
    )
    name = f"学员{index}"
    hours = draw(st.sampled_from([8, 8.0, "8", "８", 7.5, "7.5"]))
    defect = draw(
        st.sampled_from([None] * 5 + ["check_digit", "number_cell", "bad_date", "passed_word"])
    )
    passed_cell = draw(st.sampled_from(YES if passed else NO))
    day_cell = draw(st.sampled_from(date_spellings(day)))
    if defect == "check_digit":
        typed = number[:-1] + ("0" if number[-1] != "0" else "1")
    elif defect == "number_cell":
        typed = float(number[:15] + "000")
    elif defect == "bad_date":
        day_cell = day.year
    elif defect == "passed_word":
        passed_cell = "良好"
    row = [typed, name, "质量月综合技能培训（第一期）", day_cell, hours, passed_cell]
    expected = None
    if defect is None:
        expected = {"person__id_number": number, "person__name": name, "passed": passed}
    return row, expected, day


@PROPERTY_SETTINGS
@given(data=st.data(), titles=st.integers(0, 2), notes=st.integers(0, 4))
def test_training_files_import_normalised_or_are_refused_row_by_row(db, data, titles, notes):
    count = data.draw(st.integers(1, 6))
    drawn = [data.draw(training_rows(2000 + i)) for i in range(count)]
    content = workbook(TRAINING_HEADER, [r for r, _e, _d in drawn], titles=titles, notes=notes)
    first_data_row = titles + 2
    bad_rows = {first_data_row + i for i, (_r, e, _d) in enumerate(drawn) if e is None}

    def check(result):
        if bad_rows:
            assert not result.written
            assert {e.row for e in result.errors} == bad_rows
            assert not Person.objects.exists() and not TrainingAttendance.objects.exists()
            return
        assert result.written, [str(e) for e in result.errors]
        # ID numbers are stored encrypted: sorted here, not by the database.
        stored = TrainingAttendance.objects.select_related("person", "session")
        found = [
            {
                "person__id_number": a.person.id_number,
                "person__name": a.person.name,
                "passed": a.passed,
            }
            for a in stored
        ]
        assert sorted(found, key=lambda e: e["person__id_number"]) == sorted(
            (e for _r, e, _d in drawn), key=lambda e: e["person__id_number"]
        )
        assert {a.session.starts_on for a in stored} == {d for _r, _e, d in drawn}
        assert all(a.hours in (8, 7.5) for a in stored)
        assert_reimport_changes_nothing(TrainingImporter, content, TrainingAttendance)

    import_rolled_back(TrainingImporter(), content, check)
