"""The responses the product repeats, built once (issue "Security, part 1" §1–2):

* :func:`excel_response` — an .xlsx download: formula-like text written as text,
  ``Cache-Control: private, no-store`` (exports carry personal data), an attachment name that
  survives Chinese characters;
* :func:`pdf_response` — a PDF the product renders (receipt, report): an attachment,
  ``private, no-store``;
* :func:`private_file_response` — an uploaded private file (letter, document): served with the
  type found in its content (never HTML or SVG: anything but PDF/JPG/PNG goes out as an
  opaque download), as an attachment unless an inline PDF or image is asked for,
  ``nosniff``, ``Content-Security-Policy: sandbox`` (a file that slipped through still runs no
  script on the site's origin) and ``private, no-store``;
* :func:`progress_fields` — the progress of a background run (a snapshot recompute, an export)
  as its progress bar polls it.

Views check the user's scope before calling these; the helpers only shape the response.
"""

import tempfile
from pathlib import PurePath
from urllib.parse import quote

from django.http import FileResponse, HttpResponse
from openpyxl import Workbook

from .spreadsheets import escape_workbook
from .uploads import DOCUMENT_TYPES, HEAD_BYTES, INLINE_TYPES, sniff

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PRIVATE_CACHE_CONTROL = "private, no-store"
OPAQUE_CONTENT_TYPE = "application/octet-stream"
# Larger workbooks spill from memory to a temporary file while they are streamed.
SPOOL_BYTES = 8 * 1024 * 1024


def content_disposition(filename: str, *, inline: bool = False) -> str:
    """RFC 6266/5987: an ASCII fallback plus the UTF-8 name for browsers that read it."""
    kind = "inline" if inline else "attachment"
    fallback = "".join(c if c.isascii() and c not in '"\\' else "_" for c in filename)
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"


def _private(response):
    response["Cache-Control"] = PRIVATE_CACHE_CONTROL
    response["X-Content-Type-Options"] = "nosniff"
    return response


def excel_response(workbook: Workbook, *, filename: str) -> FileResponse:
    """``workbook`` as an .xlsx download named ``filename``.

    A write-only workbook must have been filled with ``spreadsheets.write_table`` (or
    ``write_cell``), which write formula-like text as text; any other workbook has every
    formula-like cell turned into text here."""
    if not workbook.write_only:
        escape_workbook(workbook)
    output = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)
    workbook.save(output)
    output.seek(0)
    response = FileResponse(output, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition(filename)
    return _private(response)


def pdf_response(content: bytes, *, filename: str) -> HttpResponse:
    """A rendered PDF (``content``) as an attachment named ``filename``, never cached."""
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition(filename)
    return _private(response)


def private_file_response(
    field_file, *, filename: str, inline: bool = False, allowed: dict[str, str] = DOCUMENT_TYPES
) -> FileResponse:
    """Serve a stored private file (a ``FieldFile``) under ``filename``.

    The type is read again from the stored content: one of ``allowed`` (MIME type →
    extension; by default a PDF, JPG or PNG) is served as such (its extension put on
    ``filename``), inline when ``inline`` is asked for and it is a PDF or an image; anything
    else — a file stored before uploads were checked — goes out as
    ``application/octet-stream``, always as an attachment. Raises ``FileNotFoundError`` when
    the stored file is gone."""
    handle = field_file.open("rb")
    head = handle.read(HEAD_BYTES)
    handle.seek(0)
    checked = sniff(head, allowed)
    stem = PurePath(filename).stem or "file"
    if checked is None:
        content_type, name, inline = OPAQUE_CONTENT_TYPE, f"{stem}.bin", False
    else:
        content_type, name = checked.mime, f"{stem}.{checked.extension}"
        inline = inline and checked.mime in INLINE_TYPES
    response = FileResponse(handle, content_type=content_type)
    response["Content-Disposition"] = content_disposition(name, inline=inline)
    # A document is never a page: no script, no plugins, no same-origin access.
    response["Content-Security-Policy"] = "sandbox"
    return _private(response)


def progress_fields(run, *, finished: bool) -> dict:
    """The keys every background run's progress JSON shares, for ``run`` (a
    ``reports.models.SnapshotRun`` or ``cqo_registry.exports.models.ReportRun``: ``status``
    in the one vocabulary pending/running/done/failed, ``done`` and ``total`` rows, ``percent``
    0–100, ``error``). ``progress`` and ``finished`` are what ``recompute.js`` reads;
    ``percent`` and ``running`` what ``progress.js`` reads (as the import's progress answers
    them). The caller adds its own links."""
    return {
        "id": run.pk,
        "status": run.status,
        "status_display": run.get_status_display(),
        "progress": run.percent,
        "percent": run.percent,
        "done": run.done,
        "total": run.total,
        "finished": finished,
        "running": not finished,
        "error": run.error if run.status == "failed" else "",
    }
