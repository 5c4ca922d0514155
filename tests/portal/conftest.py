"""Helpers of the portal tests: letters of each kind, and the POST data of a filing form."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tests.factories import make_id_number

PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64
JPG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64


def pdf_letter(name="聘任文件.pdf"):
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


def png_letter(name="letter.png"):
    return SimpleUploadedFile(name, PNG_BYTES, content_type="image/png")


def filing_data(**overrides):
    data = {
        "person_name": "张质量",
        "id_number": make_id_number(4242),
        "mobile": "13812345678",
        "email": "zhang@example.cn",
        "education": "bachelor",
        "title": "质量工程师",
        "years_in_quality": "6",
        "position": "副总经理",
        "is_senior_manager": "on",
        "departments": ["management", "inspection"],
        "appointed_on": (timezone.localdate() - timedelta(days=5)).isoformat(),
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


@pytest.fixture
def vacant_user(enterprise_user):
    """The home enterprise's user; the enterprise has no CQO (no appointment built)."""
    return enterprise_user
