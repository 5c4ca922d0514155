"""The three files of SPEC §4, imported with `import_data`, give exactly the SPEC §3 figures
through `target_stats` — everything the definitions need is stored by the imports."""

import json
from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command

from enterprises.models import Town
from tests.imports.conftest import (
    APPOINTMENT_HEADER,
    ENTERPRISE_HEADER,
    TRAINING_HEADER,
    make_id,
    make_uscc,
    xlsx,
)

pytestmark = pytest.mark.django_db

E = {n: make_uscc(n) for n in range(1, 9)}
P = {n: make_id(n) for n in range(1, 7)}

ENTERPRISES = [
    # uscc, name, town, section, scale, requires, established, deregistered
    (E[1], "一号公司", "城关镇", "C", "规模以上", "是", date(2010, 1, 1), None),
    (E[2], "二号公司", "城关镇", "C", "规模以上", "是", date(2010, 1, 1), None),
    (E[3], "三号公司", "开发区", "F", "规模以上", "是", None, None),
    (E[4], "四号公司", "开发区", "C", "规模以上", "是", date(2012, 5, 1), date(2021, 1, 31)),
    (E[5], "五号公司", "开发区", "C", "中小企业", "是", None, None),
    (E[6], "六号公司", "城关镇", "H", "微型企业", "是", None, None),
    (E[7], "七号公司", "城关镇", "C", "中小企业", "否", None, None),
    (E[8], "八号公司", "开发区", "C", "中小企业", "是", date(2022, 1, 1), None),
]
APPOINTMENTS = [
    # uscc, name, id, appointed, ended, filed
    (E[1], "甲", P[1], date(2020, 12, 1), None, date(2020, 12, 10)),
    (E[2], "乙", P[2], date(2021, 1, 20), None, date(2021, 2, 5)),  # filed after 01-31
    (E[4], "丁", P[4], date(2020, 6, 1), None, date(2020, 6, 5)),  # enterprise gone 01-31
    (E[5], "戊", P[5], date(2021, 3, 1), date(2021, 12, 31), date(2021, 3, 10)),  # ends on D
    (E[6], "己", P[6], date(2021, 6, 1), None, date(2021, 6, 10)),
]
TRAINING = [
    (P[1], "甲", "质量月综合技能培训", date(2021, 9, 15), 16, "是"),
    (P[2], "乙", "任职培训", date(2022, 12, 31), 8, "是"),  # passed on D counts
    (P[6], "己", "任职培训", date(2022, 5, 1), 8, "否"),
    (P[5], "戊", "任职培训", date(2022, 5, 1), 8, "是"),  # but no longer CQO
]


def import_file(kind, header, rows, tmp_path):
    path = tmp_path / f"{kind}.xlsx"
    path.write_bytes(xlsx(header, rows))
    call_command("import_data", kind, str(path), stdout=StringIO())


def stats(day: str) -> dict:
    out = StringIO()
    call_command("target_stats", "--as-of", day, "--format", "json", stdout=out)
    return {t["code"]: t for t in json.loads(out.getvalue())["targets"]}


@pytest.fixture
def imported(tmp_path):
    Town.objects.create(name="城关镇", code="341522100000")
    Town.objects.create(name="开发区", code="341522400000")
    enterprise_rows = [
        [uscc, name, town, section, scale, req, est, dereg, "法人", "0564-1234567", "地址"]
        for uscc, name, town, section, scale, req, est, dereg in ENTERPRISES
    ]
    import_file("enterprises", ENTERPRISE_HEADER, enterprise_rows, tmp_path)
    appointment_rows = [
        [uscc, name, pid, "副总经理", "是", "否", start, end, filed, "13912345678"]
        for uscc, name, pid, start, end, filed in APPOINTMENTS
    ]
    import_file("appointments", APPOINTMENT_HEADER, appointment_rows, tmp_path)
    import_file("training", TRAINING_HEADER, [list(row) for row in TRAINING], tmp_path)


def test_t1_at_its_deadline(imported):
    t1 = stats("2021-01-31")["T1"]
    assert (t1["population"], t1["counted"]) == (3, 1)
    assert t1["rate"] == pytest.approx(1 / 3)
    towns = {row["town"]: (row["population"], row["counted"]) for row in t1["by_town"]}
    assert towns == {"城关镇": (2, 1), "开发区": (1, 0)}
    sections = {row["industry"]: (row["population"], row["counted"]) for row in t1["by_industry"]}
    assert sections == {"C": (2, 1), "F": (1, 0)}


def test_t2_at_its_deadline(imported):
    t2 = stats("2021-12-31")["T2"]
    assert (t2["population"], t2["counted"], t2["rate"]) == (2, 1, 0.5)


def test_t3_at_its_deadline(imported):
    t3 = stats("2022-12-31")["T3"]
    assert (t3["population"], t3["counted"]) == (3, 2)
    towns = {row["town"]: (row["population"], row["counted"]) for row in t3["by_town"]}
    assert towns == {"城关镇": (3, 2), "开发区": (0, 0)}


def test_reimporting_the_files_changes_no_figure(imported, tmp_path):
    before = [stats(day) for day in ("2021-01-31", "2021-12-31", "2022-12-31")]
    enterprise_rows = [
        [uscc, name, town, section, scale, req, est, dereg, "法人", "0564-1234567", "地址"]
        for uscc, name, town, section, scale, req, est, dereg in ENTERPRISES
    ]
    import_file("enterprises", ENTERPRISE_HEADER, enterprise_rows, tmp_path)
    import_file("training", TRAINING_HEADER, [list(row) for row in TRAINING], tmp_path)
    after = [stats(day) for day in ("2021-01-31", "2021-12-31", "2022-12-31")]
    assert after == before
