from datetime import date

import pytest
from django.core.management import CommandError, call_command

from enterprises.models import Enterprise, Town

from .conftest import ENTERPRISE_HEADER, enterprise_row, make_uscc

pytestmark = pytest.mark.django_db


def run(path, *args):
    from io import StringIO

    out, err = StringIO(), StringIO()
    try:
        call_command("import_data", "enterprises", str(path), *args, stdout=out, stderr=err)
    except CommandError as exc:
        return False, out.getvalue(), err.getvalue() + str(exc)
    return True, out.getvalue(), err.getvalue()


def test_clean_import_creates_rows_and_reports_counts(towns, write_xlsx):
    path = write_xlsx(
        ENTERPRISE_HEADER,
        [
            enterprise_row(1),
            enterprise_row(2, industry="F", scale="中小企业", requires="否", town="河口镇"),
            enterprise_row(3, industry="制造业", scale="微型企业", requires=""),
        ],
    )
    ok, out, _err = run(path)
    assert ok
    assert "企业：新增 3，更新 0，未变 0" in out
    first = Enterprise.objects.get(uscc=make_uscc(1))
    assert (first.industry, first.scale, first.requires_cqo) == ("C", "above", True)
    assert first.town.name == "城关镇" and first.established_on == date(2010, 1, 1)
    second = Enterprise.objects.get(uscc=make_uscc(2))
    assert (second.industry, second.scale, second.requires_cqo) == ("F", "sme", False)
    assert Enterprise.objects.get(uscc=make_uscc(3)).industry == "C"
    assert first.history.count() == 1


def test_bad_rows_write_nothing_and_every_bad_row_is_reported(towns, write_xlsx):
    bad_uscc = make_uscc(2)[:-1] + ("0" if make_uscc(2)[-1] != "0" else "1")
    path = write_xlsx(
        ENTERPRISE_HEADER,
        [
            enterprise_row(1),
            enterprise_row(2, uscc=bad_uscc),
            enterprise_row(3, scale="大型企业"),
            enterprise_row(4, requires="否"),
            enterprise_row(1, name="另一个名称"),  # row 2's USCC with another name
            enterprise_row(5, established=date(2020, 1, 1), deregistered=date(2019, 1, 1)),
            enterprise_row(1),  # row 2 again, identical: a warning, read once
        ],
    )
    ok, _out, err = run(path)
    assert not ok
    assert Enterprise.objects.count() == 0
    assert "第 3 行 [统一社会信用代码]：" in err and "校验位不符" in err
    assert "第 4 行 [企业规模]：“大型企业”应为" in err
    assert "第 5 行 [是否需聘任首席质量官]：规模以上企业必须聘任" in err
    assert "第 6 行 [统一社会信用代码]：与第 2 行是同一条记录，但企业名称不同" in err
    assert "第 7 行 [注销日期]：注销日期早于成立日期" in err
    assert "提醒：第 8 行 [统一社会信用代码]：与第 2 行完全相同，按一行导入" in err
    assert "5 行有错误" in err


def test_reimport_changes_nothing_not_even_history(towns, write_xlsx):
    path = write_xlsx(ENTERPRISE_HEADER, [enterprise_row(1), enterprise_row(2)])
    assert run(path)[0]
    before = list(Enterprise.objects.values_list("uscc", "updated_at"))
    history = Enterprise.history.count()
    ok, out, _ = run(path)
    assert ok and "企业：新增 0，更新 0，未变 2" in out
    assert list(Enterprise.objects.values_list("uscc", "updated_at")) == before
    assert Enterprise.history.count() == history


def test_changed_rows_are_updated_with_history(towns, write_xlsx):
    assert run(write_xlsx(ENTERPRISE_HEADER, [enterprise_row(1), enterprise_row(2)]))[0]
    path = write_xlsx(
        ENTERPRISE_HEADER, [enterprise_row(1, name="改名公司"), enterprise_row(2)], "b.xlsx"
    )
    ok, out, _ = run(path)
    assert ok and "企业：新增 0，更新 1，未变 1" in out
    changed = Enterprise.objects.get(uscc=make_uscc(1))
    assert changed.name == "改名公司"
    assert changed.history.first().history_type == "~"


def test_dry_run_writes_nothing(towns, write_xlsx):
    ok, out, _ = run(write_xlsx(ENTERPRISE_HEADER, [enterprise_row(1)]), "--dry-run")
    assert ok and "试运行" in out and "新增 1" in out
    assert Enterprise.objects.count() == 0


def test_unknown_town_is_an_error_unless_create_towns(towns, write_xlsx):
    path = write_xlsx(ENTERPRISE_HEADER, [enterprise_row(1, town="新设镇")])
    ok, _out, err = run(path)
    assert not ok and "第 2 行 [所属镇]：镇（街道）“新设镇”不在系统中" in err
    assert "加上 --create-towns 参数" in err  # the option the command line has
    ok, out, _ = run(path, "--create-towns")
    assert ok and "镇（街道）：新增 1" in out and "新建了 1 个镇（街道）：新设镇" in out
    town = Town.objects.get(name="新设镇")
    assert town.code == "" and Enterprise.objects.get().town == town


def test_excel_dates_and_text_dates_both_parse(towns, write_xlsx):
    path = write_xlsx(
        ENTERPRISE_HEADER,
        [
            enterprise_row(1, established=date(2011, 5, 6)),
            enterprise_row(2, established="2012-07-08"),
            enterprise_row(3, established="2013/9/10"),
            enterprise_row(4, established="2014-13-01"),
        ],
    )
    ok, _out, err = run(path)
    assert not ok and "第 5 行 [成立日期]：“2014-13-01”不是真实的日期" in err
    path = write_xlsx(
        ENTERPRISE_HEADER,
        [
            enterprise_row(i, established=v)
            for i, v in [(1, date(2011, 5, 6)), (2, "2012-07-08"), (3, "2013/9/10")]
        ],
        "ok.xlsx",
    )
    assert run(path)[0]
    days = dict(Enterprise.objects.values_list("uscc", "established_on"))
    assert days[make_uscc(1)] == date(2011, 5, 6)
    assert days[make_uscc(2)] == date(2012, 7, 8)
    assert days[make_uscc(3)] == date(2013, 9, 10)


def test_missing_column_is_reported(towns, write_xlsx):
    header = [h for h in ENTERPRISE_HEADER if h != "企业规模"]
    row = enterprise_row(1)
    del row[4]
    ok, _out, err = run(write_xlsx(header, [row]))
    assert not ok and "第 1 行：缺少必需的列：企业规模" in err


def test_chinese_headers_are_matched_whatever_the_ui_language(towns, write_xlsx):
    from django.utils import translation

    path = write_xlsx(ENTERPRISE_HEADER, [enterprise_row(1)])
    with translation.override("en"):
        run(path)
    assert Enterprise.objects.count() == 1


# --- Licences (issue 19): optional 是/否 columns ------------------------------------------------

LICENCE_HEADER = [*ENTERPRISE_HEADER, "食品生产许可证", "特种设备使用登记"]


def test_licence_columns_are_read_and_blank_means_not_held(towns, write_xlsx):
    path = write_xlsx(
        LICENCE_HEADER,
        [enterprise_row(1) + ["是", ""], enterprise_row(2) + ["否", "是"]],
    )
    ok, out, err = run(path)
    assert ok, err
    first, second = (Enterprise.objects.get(uscc=make_uscc(i)) for i in (1, 2))
    assert first.licences == {"food_production"}
    assert second.licences == {"special_equipment"}


def test_a_bad_licence_value_is_a_row_error_and_nothing_is_written(towns, write_xlsx):
    path = write_xlsx(
        LICENCE_HEADER,
        [enterprise_row(1) + ["是", "否"], enterprise_row(2) + ["也许", "否"]],
    )
    ok, _out, err = run(path)
    assert not ok
    assert "第 3 行" in err and "食品生产许可证" in err and "也许" in err
    assert not Enterprise.objects.exists()


def test_missing_licence_columns_hold_none_for_new_and_keep_what_was_recorded(towns, write_xlsx):
    assert run(write_xlsx(LICENCE_HEADER, [enterprise_row(1) + ["是", "是"]]))[0]
    path = write_xlsx(ENTERPRISE_HEADER, [enterprise_row(1), enterprise_row(2)])
    ok, out, err = run(path)
    assert ok, err
    assert "新增 1，更新 0，未变 1" in out
    assert Enterprise.objects.get(uscc=make_uscc(1)).licences == {
        "food_production",
        "special_equipment",
    }
    assert Enterprise.objects.get(uscc=make_uscc(2)).licences == set()
    # With the column there, the file decides: a blank cell clears the licence.
    ok, out, _err = run(write_xlsx(LICENCE_HEADER, [enterprise_row(1) + ["", "是"]]))
    assert ok and "更新 1" in out
    assert Enterprise.objects.get(uscc=make_uscc(1)).licences == {"special_equipment"}
