"""The admin's export (django-import-export) writes the import file's columns, so that an
exported file imports again unchanged."""

import pytest
from tablib import Dataset

from enterprises.resources import EnterpriseResource

from .conftest import ENTERPRISE_HEADER, enterprise_row, xlsx

pytestmark = pytest.mark.django_db


def test_export_is_reimportable_unchanged(towns):
    upload_content = xlsx(
        ENTERPRISE_HEADER, [enterprise_row(1), enterprise_row(2, scale="微型企业", requires="否")]
    )
    resource = EnterpriseResource()
    assert not resource.import_data(Dataset().load(upload_content, "xlsx")).has_validation_errors()
    exported = resource.export()
    assert exported.headers == ENTERPRISE_HEADER
    row = dict(zip(exported.headers, exported[0], strict=True))
    assert row["行业门类"] == "C 制造业" and row["企业规模"] == "规模以上"
    again = resource.import_data(Dataset().load(exported.export("xlsx"), "xlsx"))
    assert again.totals["skip"] == 2 and again.totals["new"] == 0
