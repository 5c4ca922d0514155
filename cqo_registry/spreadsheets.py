"""Spreadsheets the product writes: user-supplied text always comes out as text, never as a
formula (CSV/formula injection, OWASP; issue "Security, part 1" §2).

A name such as ``=HYPERLINK("http://evil","点击")`` or ``@SUM(1+1)*cmd|' /C calc'!A0`` typed
into the registry must not run when a bureau clerk opens an export in Excel or WPS:

* in .xlsx, such a string is written as a *text* cell (``t="inlineStr"``) with Excel's
  "quote prefix" style — the value is unchanged, so the file imports back exactly, and Excel
  keeps it text even when the cell is edited;
* in CSV, which has no cell types, it gets a leading apostrophe (OWASP's advice).

Strings that start with ``= + - @``, a tab or a carriage return are treated this way. Numbers
and dates are written as numbers and dates. :func:`write_table` is the one way the product's
list exports write rows; the admin's exports (django-import-export) use :class:`EscapedXLSX`
and :class:`EscapedCSV`, which escape when ``IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT`` is on.
"""

import io
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime

from django.conf import settings
from import_export.formats import base_formats
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")

# (header, column width in characters, value of a row)
Column = tuple[str, float, Callable[[object], object]]


def looks_like_formula(value) -> bool:
    """Whether a spreadsheet program could read ``value`` (a string) as a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_TRIGGERS)


def as_text(cell):
    """Make an openpyxl cell holding a formula-like string a text cell (value unchanged,
    quote-prefixed). Other cells are left as they are. Returns the cell."""
    if looks_like_formula(cell.value):
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell


def escape_workbook(workbook: Workbook) -> Workbook:
    """Turn every formula-like string of a (not write-only) workbook into text. The product
    writes no formulas of its own, so any formula found came from user data."""
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f" or looks_like_formula(cell.value):
                    cell.data_type = "s"
                    cell.quotePrefix = True
    return workbook


def csv_safe(value):
    """A CSV field that no spreadsheet program evaluates: ``'`` before a formula-like string."""
    return f"'{value}" if looks_like_formula(value) else value


def _local(value):
    if isinstance(value, datetime) and value.tzinfo is not None:
        # Excel has no time zones: write the wall time of the site's zone.
        from django.utils import timezone

        return timezone.localtime(value).replace(tzinfo=None)
    return value


def write_cell(sheet, value) -> WriteOnlyCell:
    """One cell for a write-only sheet: formula-like text as text, dates formatted."""
    cell = as_text(WriteOnlyCell(sheet, value=_local(value)))
    if isinstance(cell.value, datetime):
        cell.number_format = "yyyy-mm-dd hh:mm"
    elif isinstance(cell.value, date):
        cell.number_format = "yyyy-mm-dd"
    return cell


def write_table(sheet, columns: Sequence[Column], rows: Iterable) -> None:
    """Fill a write-only ``sheet``: a bold header row that stays in view, then one row per
    item of ``rows`` with each column's value (see :data:`Column`)."""
    for index, (_header, width, _value) in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    header = []
    for title, _width, _value in columns:
        cell = write_cell(sheet, str(title))
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(horizontal="center")
        header.append(cell)
    sheet.append(header)
    for row in rows:
        sheet.append([write_cell(sheet, value(row)) for _title, _width, value in columns])


def table_workbook(title: str, columns: Sequence[Column], rows: Iterable) -> Workbook:
    """A write-only workbook of one sheet named ``title`` (the characters Excel refuses in a
    sheet name replaced, cut to its 31 characters)."""
    workbook = Workbook(write_only=True)
    name = "".join("_" if c in "[]:*?/\\" else c for c in str(title))[:31]
    write_table(workbook.create_sheet(title=name), columns, rows)
    return workbook


# --- The admin's exports (django-import-export) ------------------------------------------------


def _escape_on_export() -> bool:
    return getattr(settings, "IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT", False) is True


class EscapedXLSX(base_formats.XLSX):
    """The admin's .xlsx export with formula-like text written as text cells, values kept:
    the exported file imports back unchanged (django-import-export's own escaping drops the
    leading ``=`` and turns every cell, blanks and dates included, into a string)."""

    def export_data(self, dataset, **kwargs):
        if not _escape_on_export():
            return super().export_data(dataset, **kwargs)
        headers = list(dataset.headers or [])
        widths = [
            min(max([len(str(h)) * 2 + 2, *(len(str(v)) + 2 for v in dataset.get_col(i))]), 60)
            for i, h in enumerate(headers)
        ]
        columns = [
            (header, width, lambda row, i=i: row[i])
            for i, (header, width) in enumerate(zip(headers, widths, strict=True))
        ]
        workbook = table_workbook(dataset.title or "Sheet1", columns, dataset)
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()


class EscapedCSV(base_formats.CSV):
    """The admin's CSV export with ``'`` before formula-like text (OWASP), in UTF-8 with a
    byte-order mark: Excel on a Chinese Windows reads a CSV without one as GBK and garbles
    every Chinese character. The admin's import reads ``utf-8-sig``, so the file reads back."""

    CONTENT_TYPE = "text/csv; charset=utf-8"

    def export_data(self, dataset, **kwargs):
        return "\ufeff" + super().export_data(dataset, **kwargs)

    def _escape_formulae(self, dataset):
        for _index in range(len(dataset)):
            row = dataset.lpop()
            dataset.append([csv_safe(value) for value in row])
