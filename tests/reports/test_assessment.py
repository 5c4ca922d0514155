"""The county assessment report (质量工作考核): figures from the engine, the town ranking,
the enterprises without a CQO, the Excel and PDF downloads, and who may see them."""

import shutil
import subprocess
from datetime import date, timedelta
from io import BytesIO
from urllib.parse import quote

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from cqo_registry.responses import content_disposition
from reports import assessment, statistics
from reports.models import Target
from tests.conftest import service_missing
from tests.factories import AppointmentFactory, EnterpriseFactory, TownFactory

D = date(2021, 6, 30)
URLS = ["reports:assessment", "reports:assessment_xlsx", "reports:assessment_pdf"]

pytestmark = pytest.mark.django_db


@pytest.fixture
def vacancies(county, home_town, other_town):
    """Enterprises at D beside the county cast (three with filed CQOs since 2021-01-11)."""
    # No establishment date: the registry knows of it since its record was created (today).
    never = EnterpriseFactory(town=home_town, name="城关从未聘任有限公司", established_on=None)
    ended = AppointmentFactory(
        enterprise=EnterpriseFactory(town=other_town, name="双墩解聘未补有限公司"),
        appointed_on=date(2021, 1, 4),
        ended_on=date(2021, 5, 31),
        end_reason="dismissed",
    )
    sme = EnterpriseFactory(town=other_town, name="双墩中小有限公司", scale="sme")
    filed_late = AppointmentFactory(
        enterprise=EnterpriseFactory(town=home_town, name="城关备案在后有限公司"),
        appointed_on=date(2021, 6, 1),
        filed_on=D + timedelta(days=1),
    )
    # Not in the list: not required, deregistered on D, not yet established, filed on D.
    EnterpriseFactory(town=home_town, scale="sme", requires_cqo=False)
    EnterpriseFactory(town=home_town, deregistered_on=D)
    EnterpriseFactory(town=home_town, established_on=D + timedelta(days=1))
    AppointmentFactory(enterprise=EnterpriseFactory(town=other_town), appointed_on=D, filed_on=D)
    return {
        "never": never,
        "ended": ended.enterprise,
        "sme": sme,
        "filed_late": filed_late.enterprise,
    }


def test_report_figures_are_the_engines(vacancies):
    report = assessment.build_report(D)
    assert [s.target.code for s in report.sections] == ["T1", "T2", "T3"]
    for section in report.sections:
        engine = statistics.compute_target(section.target, D)
        at_deadline = statistics.compute_target(section.target, section.target.deadline)
        assert section.at_date.total == engine.total
        assert section.at_deadline.total == at_deadline.total
        for row in section.rows:
            assert row.at_date == engine.by_town.get(row.town, statistics.Figure(0, 0))
            assert row.at_deadline == at_deadline.by_town.get(row.town, statistics.Figure(0, 0))
    t1 = report.sections[0]
    # Home: 2 filed + never + filed_late; other: 1 filed + ended + filed on D.
    assert {row.town: (row.at_date.population, row.at_date.counted) for row in t1.rows} == {
        "城关镇": (4, 2),
        "双墩镇": (3, 2),
    }


def test_towns_ranked_by_rate_then_counted_with_empty_towns_last():
    towns = {name: TownFactory(name=name) for name in ["甲镇", "乙镇", "丙镇", "丁镇", "戊镇"]}

    def enterprises(town, filed, vacant):
        for _ in range(filed):
            AppointmentFactory(enterprise=EnterpriseFactory(town=towns[town]))
        for _ in range(vacant):
            EnterpriseFactory(town=towns[town])

    enterprises("甲镇", 1, 1)  # 50 %, 1 counted
    enterprises("乙镇", 2, 0)  # 100 %
    enterprises("丙镇", 2, 2)  # 50 %, 2 counted: before 甲镇
    enterprises("丁镇", 0, 1)  # 0 %
    # 戊镇 has no enterprise: no rate, listed last without a rank.
    t1 = assessment.build_report(D).sections[0]
    assert [(row.town, row.rank, row.rate_text) for row in t1.rows] == [
        ("乙镇", 1, "100.0%"),
        ("丙镇", 2, "50.0%"),
        ("甲镇", 3, "50.0%"),
        ("丁镇", 4, "0.0%"),
        ("戊镇", None, "—"),
    ]


def test_equal_rate_and_counted_share_a_rank():
    rows = assessment.rank_towns(
        {
            "甲": statistics.Figure(2, 1),
            "乙": statistics.Figure(2, 1),
            "丙": statistics.Figure(1, 0),
        },
        {},
        ["甲", "乙", "丙"],
    )
    assert [(row.town, row.rank) for row in rows] == [("乙", 1), ("甲", 1), ("丙", 3)]


def test_without_cqo_list_is_exact(vacancies):
    # Every enterprise of the test entered the registry today; D is in the past, so one
    # without an establishment date never served by a filed CQO has been vacant "since" D
    # (0 days) in the replay.
    rows = list(assessment.build_report(D).vacant_rows())
    assert [(row.town, row.uscc, row.name, row.scale) for row in rows] == [
        ("城关镇", e.uscc, e.name, e.get_scale_display())
        for e in sorted([vacancies["never"], vacancies["filed_late"]], key=lambda e: e.name)
    ] + [
        ("双墩镇", e.uscc, e.name, e.get_scale_display())
        for e in sorted([vacancies["ended"], vacancies["sme"]], key=lambda e: e.name)
    ]
    by_name = {row.name: row for row in rows}
    assert by_name["双墩解聘未补有限公司"].vacant_since == date(2021, 5, 31)
    assert by_name["双墩解聘未补有限公司"].days_vacant == 30
    assert by_name["城关从未聘任有限公司"].days_vacant == 0


def test_vacancy_counts_from_registry_entry_when_never_filed(home_town):
    enterprise = EnterpriseFactory(town=home_town, established_on=None)
    today = assessment.default_day()
    later = today + timedelta(days=45)
    (row,) = list(assessment.build_report(later).vacant_rows())
    assert row.uscc == enterprise.uscc
    assert (row.vacant_since, row.days_vacant) == (today, 45)


# --- The page -----------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["leader", "bureau_admin", "reviewer"])
def test_report_page_for_allowed_roles(role, request, client_for, vacancies):
    client = client_for(request.getfixturevalue(role))
    response = client.get(reverse("reports:assessment"), {"as_of": D.isoformat()})
    assert response.status_code == 200
    html = response.content.decode()
    assert "首席质量官工作考核报表" in html
    assert "城关从未聘任有限公司" in html and vacancies["never"].uscc in html
    assert "export.xlsx?as_of=2021-06-30" in html and "export.pdf?as_of=2021-06-30" in html
    report = response.context["report"]
    assert report.as_of == D
    assert response.context["vacant_page"].paginator.count == 4


def test_report_page_defaults_to_today_in_shanghai(client_for, leader):
    response = client_for(leader).get(reverse("reports:assessment"))
    assert response.status_code == 200
    assert response.context["report"].as_of == assessment.default_day()


def test_bad_date_is_a_form_error(client_for, leader):
    response = client_for(leader).get(reverse("reports:assessment"), {"as_of": "2021-02-30"})
    assert response.status_code == 400
    assert response.context["form"].errors["as_of"]
    assert "请输入有效日期" in response.content.decode()


@pytest.mark.parametrize("name", ["reports:assessment_xlsx", "reports:assessment_pdf"])
def test_downloads_refuse_a_bad_date(name, client_for, leader):
    response = client_for(leader).get(reverse(name), {"as_of": "yesterday"})
    assert response.status_code == 400


def test_page_query_count_does_not_grow_with_the_list(
    client_for, leader, home_town, django_assert_max_num_queries
):
    client = client_for(leader)
    url = reverse("reports:assessment")
    for _ in range(3):
        EnterpriseFactory(town=home_town)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(url, {"as_of": D.isoformat()})
    for _ in range(30):
        EnterpriseFactory(town=home_town)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url, {"as_of": D.isoformat()})
    assert response.context["vacant_page"].paginator.count == 33


@pytest.mark.parametrize("name", URLS)
@pytest.mark.parametrize(
    "role", ["town_officer", "outsider_town_officer", "enterprise_user", "no_role_user"]
)
def test_other_roles_get_403(name, role, request, client_for):
    response = client_for(request.getfixturevalue(role)).get(reverse(name))
    assert response.status_code == 403


@pytest.mark.parametrize("name", URLS)
def test_anonymous_goes_to_login(name, client_for):
    response = client_for(None).get(reverse(name), {"as_of": D.isoformat()})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


# --- Excel --------------------------------------------------------------------------------


def test_xlsx_workbook(client_for, reviewer, vacancies):
    response = client_for(reviewer).get(reverse("reports:assessment_xlsx"), {"as_of": "2021-06-30"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml"
    )
    expected_name = quote("首席质量官工作考核报表_2021-06-30.xlsx")
    assert f"filename*=UTF-8''{expected_name}" in response["Content-Disposition"]

    workbook = load_workbook(BytesIO(response.getvalue()))
    assert workbook.sheetnames == ["汇总", "T1", "T2", "T3", "未聘任企业"]
    for sheet in workbook.worksheets:
        assert sheet.freeze_panes == "A3"
        assert "2021-06-30" in sheet["A1"].value
        assert all(cell.font.b for cell in sheet[2] if cell.value)
        assert sheet.column_dimensions["B"].width > 10

    summary = workbook["汇总"]
    assert [c.value for c in summary[2]][:6] == [
        "目标代码",
        "目标名称",
        "完成时限",
        "统计对象数",
        "已达标数",
        "完成率",
    ]
    t1_engine = statistics.compute_target(Target.objects.get(code="T1"), D).total
    t1 = [c for c in summary[3]]
    assert (t1[0].value, t1[3].value, t1[4].value) == ("T1", t1_engine.population, 4)
    assert t1[5].value == pytest.approx(t1_engine.rate)
    assert t1[5].number_format == "0.0%"

    t1_sheet = workbook["T1"]
    assert [c.value for c in t1_sheet[2]] == [
        "排名",
        "镇（街道）",
        "统计对象数",
        "已达标数",
        "完成率",
        "时限日统计对象数",
        "时限日已达标数",
        "时限日完成率",
    ]
    rows = [[c.value for c in row] for row in t1_sheet.iter_rows(min_row=3)]
    # 双墩镇 2/3 (66.7 %) ranks before 城关镇 2/4 (50 %); the county total comes last.
    assert [row[:4] for row in rows] == [
        [1, "双墩镇", 3, 2],
        [2, "城关镇", 4, 2],
        [None, "全县合计", 7, 4],
    ]
    assert rows[0][4] == pytest.approx(2 / 3)
    assert t1_sheet["E3"].number_format == "0.0%"

    vacant = workbook["未聘任企业"]
    assert [c.value for c in vacant[2]] == [
        "序号",
        "镇（街道）",
        "统一社会信用代码",
        "企业名称",
        "企业规模",
        "空缺起始日",
        "空缺天数",
    ]
    listed = [[c.value for c in row] for row in vacant.iter_rows(min_row=3)]
    assert [row[3] for row in listed] == [
        "城关从未聘任有限公司",
        "城关备案在后有限公司",
        "双墩中小有限公司",
        "双墩解聘未补有限公司",
    ]
    assert listed[3][5].date() == date(2021, 5, 31) and listed[3][6] == 30


def test_content_disposition_has_an_ascii_fallback():
    header = content_disposition("首席质量官工作考核报表_2021-06-30.pdf")
    assert header.startswith('attachment; filename="')
    header.encode("ascii")  # the whole header is ASCII
    assert "filename*=UTF-8''%E9%A6%96" in header


# --- PDF ----------------------------------------------------------------------------------


def require_pdf_tools():
    if shutil.which("pdftotext") is None:
        service_missing("pdftotext (poppler-utils)")
    fonts = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True).stdout
    if "Noto Sans CJK SC" not in fonts:
        service_missing('the font "Noto Sans CJK SC" (fonts-noto-cjk)')


def pdf_text(content: bytes, tmp_path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(content)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def test_pdf_renders_the_report_in_chinese(client_for, leader, vacancies, tmp_path):
    response = client_for(leader).get(reverse("reports:assessment_pdf"), {"as_of": "2021-06-30"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert "filename*=UTF-8''" in response["Content-Disposition"]
    require_pdf_tools()
    text = pdf_text(response.content, tmp_path)
    assert "首席质量官工作考核报表" in text
    assert "城关镇" in text and "双墩镇" in text
    assert "城关从未聘任有限公司" in text
    assert vacancies["ended"].uscc in text


def test_pdf_keeps_a_long_list_whole(home_town, tmp_path):
    for n in range(120):
        EnterpriseFactory(town=home_town, name=f"长名单企业{n:03d}号有限公司")
    pdf = assessment.render_pdf(assessment.build_report(D))
    assert pdf.startswith(b"%PDF")
    require_pdf_tools()
    text = pdf_text(pdf, tmp_path)
    assert "长名单企业000号有限公司" in text and "长名单企业119号有限公司" in text


def test_listing_lines_align_cjk_and_wrap_long_cells():
    head, (line,) = assessment.listing_lines(
        ["号", "名称"], [["1", "一二三四五六"]], [2, 6], right={0}
    )
    assert head == "号 名称"
    assert line.split("\n") == [" 1 一二三", "   四五六"]


def test_pdf_past_the_list_limit_counts_per_town(home_town, other_town, tmp_path, settings):
    """Issue 15 §2: past CQO_ASSESSMENT_PDF_LIST_LIMIT the PDF gives the enterprises without a
    CQO per town (bounded memory at any size) and points to the Excel for the list."""
    settings.CQO_ASSESSMENT_PDF_LIST_LIMIT = 2
    for n in range(2):
        EnterpriseFactory(town=home_town, name=f"城关按镇计数{n}号有限公司")
    EnterpriseFactory(town=other_town, name="双墩按镇计数有限公司")
    report = assessment.build_report(D)
    assert assessment.vacant_by_town(report) == [("城关镇", 2), ("双墩镇", 1)]
    pdf = assessment.render_pdf(report)
    require_pdf_tools()
    text = pdf_text(pdf, tmp_path)
    assert "企业超过 2 家" in text and "Excel" in text
    assert "按镇计数" not in text  # no enterprise listed one by one
    lines = [" ".join(line.split()) for line in text.splitlines()]
    assert "城关镇 2" in lines and "双墩镇 1" in lines and "全县合计 3" in lines
