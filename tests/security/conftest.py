"""Files an attacker uploads, and the real ones they imitate."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360f8cf00000301010018dd8db40000000049454e44ae426082"
)
# What the reviewer-turned-admin attack used: a page whose script acts as whoever opens it.
HTML = (
    b"<!doctype html><html><body><script>"
    b"fetch('/admin/accounts/user/add/',{method:'POST'})</script></body></html>"
)
SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" '
    b'onload="fetch(\'/admin/\')"><circle r="4"/></svg>'
)
# Each hostile file under the names an attacker would give it.
HOSTILE_UPLOADS = [
    ("letter.html", HTML, "text/html"),
    ("letter.pdf", HTML, "application/pdf"),  # renamed: the content decides
    ("letter.svg", SVG, "image/svg+xml"),
    ("letter.png", SVG, "image/png"),
]


def upload(name: str, content: bytes, content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "private"
    return settings.MEDIA_ROOT
