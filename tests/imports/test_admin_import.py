import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cqo_registry.accounts.models import User
from enterprises.models import Enterprise

from .conftest import ENTERPRISE_HEADER, enterprise_row, make_uscc, xlsx

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    user = User.objects.create_superuser("boss", "boss@example.com", "Sup3r-secret!")
    client.force_login(user)
    return client


def upload(client, content):
    url = reverse("admin:enterprises_enterprise_import")
    page = client.get(url)
    assert page.status_code == 200
    return client.post(
        url,
        {
            "format": "0",  # IMPORT_FORMATS[0] is XLSX
            "import_file": SimpleUploadedFile("企业名录.xlsx", content),
        },
    )


def test_admin_preview_shows_row_errors_and_writes_nothing(admin_client, towns):
    content = xlsx(ENTERPRISE_HEADER, [enterprise_row(1), enterprise_row(2, town="无此镇")])
    response = upload(admin_client, content)
    assert response.status_code == 200
    html = response.content.decode()
    result = response.context["result"]
    assert result.has_validation_errors()
    (invalid,) = result.invalid_rows
    assert invalid.number == 3
    assert invalid.field_specific_errors == {
        "所属镇": ["镇（街道）“无此镇”不存在；请先在系统中添加，或导入时选择创建新镇"]
    }
    assert "无此镇" in html and "confirm_form" not in response.context
    assert Enterprise.objects.count() == 0


def test_admin_good_file_previews_then_confirm_creates_rows(admin_client, towns):
    content = xlsx(ENTERPRISE_HEADER, [enterprise_row(1), enterprise_row(2)])
    response = upload(admin_client, content)
    result = response.context["result"]
    assert not result.has_validation_errors() and not result.has_errors()
    assert result.totals["new"] == 2
    assert [r.import_type for r in result.valid_rows()] == ["new", "new"]
    assert make_uscc(1) in response.content.decode()
    assert Enterprise.objects.count() == 0  # the preview is a dry run
    confirm = response.context["confirm_form"]
    data = {name: confirm[name].value() for name in confirm.fields}
    done = admin_client.post(reverse("admin:enterprises_enterprise_process_import"), data)
    assert done.status_code == 302
    assert Enterprise.objects.count() == 2
    assert Enterprise.objects.get(uscc=make_uscc(1)).history.first().history_user.username == (
        "boss"
    )


def test_export_is_reimportable_unchanged(admin_client, towns, write_xlsx):
    from enterprises.resources import EnterpriseResource

    upload_content = xlsx(
        ENTERPRISE_HEADER, [enterprise_row(1), enterprise_row(2, scale="微型企业", requires="否")]
    )
    from tablib import Dataset

    resource = EnterpriseResource()
    assert not resource.import_data(Dataset().load(upload_content, "xlsx")).has_validation_errors()
    exported = resource.export()
    assert exported.headers == ENTERPRISE_HEADER
    row = dict(zip(exported.headers, exported[0], strict=True))
    assert row["行业门类"] == "C 制造业" and row["企业规模"] == "规模以上"
    again = resource.import_data(Dataset().load(exported.export("xlsx"), "xlsx"))
    assert again.totals["skip"] == 2 and again.totals["new"] == 0
