"""The receipt (备案回执) of an approved filing: a PDF in Chinese with the filing number, the
enterprise, the CQO with a masked ID number, and a QR code to the verification page; for the
bureau and the filing's own enterprise only."""

import shutil
import subprocess
from pathlib import Path

import pytest
from django.urls import reverse

from appointments import receipts
from appointments.services import filing_approve
from tests.conftest import service_missing

from .conftest import make_submitted

pytestmark = pytest.mark.django_db

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def require_pdf_tools():
    if shutil.which("pdftotext") is None:
        service_missing("pdftotext (poppler-utils)")
    fonts = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True).stdout
    if "Noto Sans CJK SC" not in fonts:
        service_missing('the font "Noto Sans CJK SC" (fonts-noto-cjk)')


def pdf_text(content: bytes, tmp_path) -> str:
    path = tmp_path / "receipt.pdf"
    path.write_bytes(content)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def receipt_url(filing) -> str:
    return reverse("review:receipt", args=[filing.pk])


def test_receipt_pdf_in_chinese(client_for, reviewer, approved, tmp_path):
    response = client_for(reviewer).get(receipt_url(approved))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert "filename*=utf-8''" in response["Content-Disposition"].lower()
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "receipt.pdf").write_bytes(response.content)
    require_pdf_tools()
    text = pdf_text(response.content, tmp_path)
    compact = "".join(text.split())
    assert approved.number in compact
    assert approved.enterprise.name in compact
    assert approved.enterprise.uscc in compact
    person = approved.appointment.person
    assert person.name in compact
    assert person.masked_id_number in compact
    assert person.id_number not in compact
    assert "首席质量官聘任备案回执" in compact
    assert "县市场监督管理局" in compact
    assert approved.verify_token in compact  # the printed verification address


def test_receipt_names_the_configured_bureau(client_for, reviewer, approved, settings, tmp_path):
    settings.CQO_BUREAU_NAME = "长丰县市场监督管理局"

    response = client_for(reviewer).get(receipt_url(approved))

    require_pdf_tools()
    assert "长丰县市场监督管理局" in "".join(pdf_text(response.content, tmp_path).split())


def test_qr_code_points_to_the_verification_page(approved, settings):
    settings.SITE_URL = "https://cqo.example.gov.cn"

    url = receipts.verify_url(approved)
    svg = receipts.qr_svg(url)

    assert url == f"https://cqo.example.gov.cn/verify/{approved.verify_token}/"
    assert svg.startswith("<svg") and "<path" in svg and 'class="qr"' in svg
    assert "width=" not in svg.split(">", 1)[0]


def test_enterprise_downloads_its_own_receipt(client_for, enterprise_user, approved):
    response = client_for(enterprise_user).get(receipt_url(approved))

    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")


def test_another_enterprise_gets_404(client_for, outsider_enterprise_user, approved):
    response = client_for(outsider_enterprise_user).get(receipt_url(approved))

    assert response.status_code == 404


@pytest.mark.parametrize("role", ["leader", "town_officer", "no_role_user"])
def test_roles_without_receipts_get_403(request, client_for, approved, role):
    response = client_for(request.getfixturevalue(role)).get(receipt_url(approved))

    assert response.status_code == 403


def test_anonymous_user_goes_to_login(client_for, approved):
    response = client_for(None).get(receipt_url(approved))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("role", ["reviewer", "enterprise_user"])
def test_filing_not_approved_has_no_receipt(request, client_for, submitted, role):
    response = client_for(request.getfixturevalue(role)).get(receipt_url(submitted))

    assert response.status_code == 404


def test_change_receipt_names_the_replaced_cqo(
    client_for, reviewer, county, enterprise_user, tmp_path
):
    change = make_submitted(county.home_enterprise, replace=True, actor=enterprise_user)
    change = filing_approve(filing=change, actor=reviewer)

    response = client_for(reviewer).get(receipt_url(change))

    require_pdf_tools()
    compact = "".join(pdf_text(response.content, tmp_path).split())
    assert "首席质量官变更备案回执" in compact
    assert county.home_appointment.person.name in compact


def test_imported_filing_without_number_still_has_a_receipt(
    client_for, reviewer, home_appointment, tmp_path
):
    from appointments.models import Filing

    filing = Filing.objects.get(appointment=home_appointment)
    Filing.objects.filter(pk=filing.pk).update(
        number=None, number_year=None, number_seq=None, source="import"
    )

    response = client_for(reviewer).get(receipt_url(filing))

    assert response.status_code == 200
    require_pdf_tools()
    assert "历史数据" in "".join(pdf_text(response.content, tmp_path).split())


def test_receipt_is_chinese_even_for_an_english_reader(client_for, reviewer, approved, tmp_path):
    client = client_for(reviewer)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    response = client.get(receipt_url(approved))
    require_pdf_tools()
    compact = "".join(pdf_text(response.content, tmp_path).split())
    assert "首席质量官聘任备案回执" in compact
