"""Keeping the registry true (issue 17): the above-scale reconciliation, the risk feed, the
yearly confirmation and the reminders. The shared cast of ``tests/conftest.py`` by role name,
and Excel files made in memory."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "private"
    return settings.MEDIA_ROOT


def xlsx(header, rows, *, title_rows=()) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in title_rows:
        sheet.append(row)
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


@pytest.fixture
def write_xlsx(tmp_path):
    def write(header, rows, name="file.xlsx", **kwargs):
        path = tmp_path / name
        path.write_bytes(xlsx(header, rows, **kwargs))
        return path

    return write
