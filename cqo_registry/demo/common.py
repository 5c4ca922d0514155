"""Small helpers shared by the demo builders: identifiers, back-dated timestamps, display.

The demo's steps run on the day they happened under ``cqo_registry.clock.running_at``."""

import unicodedata
from contextlib import contextmanager
from datetime import date, datetime, time

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from stdnum.cn import uscc

from .names import COUNTY_CODE, FEMALE_CHARS, SHOWCASE


def showcase_uscc() -> str:
    return make_uscc("91", COUNTY_CODE, SHOWCASE["org_code"])


def make_uscc(prefix: str, region: str, org_body: str) -> str:
    code17 = prefix + region + org_body + org_code_check(org_body)
    return code17 + uscc.calc_check_digit(code17)


def org_code_check(body: str) -> str:
    """Check character of a GB 11714 organisation code (the USCC's 9th–17th characters carry
    one). python-stdnum has no module for it; this only makes the codes look real, the USCC
    itself is validated by ``uscc.validate``."""
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    values = [int(c) if c.isdigit() else ord(c) - 55 for c in body]
    check = 11 - sum(v * w for v, w in zip(values, weights, strict=True)) % 11
    return {10: "X", 11: "0"}.get(check, str(check))


@contextmanager
def own_timestamps(model):
    """Let ``bulk_create`` keep the back-dated values of ``auto_now``/``auto_now_add`` fields
    (it would stamp them with now). Safe only because the command runs single-threaded."""
    fields = [
        f
        for f in model._meta.concrete_fields
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
    ]
    flags = [(f, f.auto_now, f.auto_now_add) for f in fields]
    for f in fields:
        f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in flags:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


def is_male(name: str) -> bool:
    return not any(c in FEMALE_CHARS for c in name[1:])


def at_hour(day: date, hour: int = 9, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def pad(text: str, width: int) -> str:
    return text + " " * max(0, width - display_width(text))


# The smallest file the upload check takes for a PDF.
LETTER_PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"


def appointment_letter() -> SimpleUploadedFile:
    """A letter of appointment for a demo filing: an appoint or change filing is submitted
    with one (``appointments.services.filing_submit``). A new upload each call."""
    return SimpleUploadedFile("聘任文件.pdf", LETTER_PDF, content_type="application/pdf")
