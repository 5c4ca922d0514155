"""`make run` and the bureau admin's pages say when PDFs cannot print Chinese (issue 12)."""

from io import StringIO

import pytest
from django.core.management import call_command

from cqo_registry import pdf_support

pytestmark = pytest.mark.django_db


def test_command_names_what_is_missing_and_the_apt_line(monkeypatch):
    monkeypatch.setattr(pdf_support, "missing", lambda: ["a Chinese font (fonts-noto-cjk)"])
    out = StringIO()
    call_command("pdf_support", stdout=out)
    assert "fonts-noto-cjk" in out.getvalue()
    assert pdf_support.APT_LINE in out.getvalue()


def test_this_machine_has_what_ci_installs():
    # CI installs fonts-noto-cjk and Pango (.ci/run): nothing is missing there.
    from tests.conftest import service_missing

    pdf_support.missing.cache_clear()
    if pdf_support.missing():
        service_missing(", ".join(pdf_support.missing()))


def test_bureau_admin_is_warned_on_the_settings_page(client_for, bureau_admin, monkeypatch):
    monkeypatch.setattr(pdf_support, "missing", lambda: ["Pango (libpango-1.0-0)"])
    html = client_for(bureau_admin).get("/bureau/").content.decode()
    assert 'id="pdf-warning"' in html and "fonts-noto-cjk" in html


def test_no_warning_when_pdfs_work(client_for, bureau_admin, monkeypatch):
    monkeypatch.setattr(pdf_support, "missing", lambda: [])
    assert 'id="pdf-warning"' not in client_for(bureau_admin).get("/bureau/").content.decode()
