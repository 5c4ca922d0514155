"""Reading spreadsheets into numbered rows.

python-calamine reads .xlsx, legacy .xls and .ods (what WPS and LibreOffice users send) about
ten times faster than openpyxl; it gives dates as ``datetime.date`` and blanks as ``''``.
Rows keep their spreadsheet numbers (the first row is 1) so that errors point at the row the
clerk sees in Excel."""

import io
from collections.abc import Iterable, Iterator
from pathlib import Path

from django.utils.translation import gettext as _
from python_calamine import CalamineWorkbook

SUPPORTED_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".ods"}

NumberedRow = tuple[int, list]


class UnreadableFile(Exception):
    """The file is not a spreadsheet we can read; the message is shown to the user."""


def read_workbook(source, *, filename: str | None = None) -> list[NumberedRow]:
    """All rows of the first sheet as ``(row_number, values)``. ``source`` is a path, bytes
    or a binary file object."""
    name = filename or (str(source) if isinstance(source, str | Path) else "")
    suffix = Path(name).suffix.lower() if name else ""
    if suffix and suffix not in SUPPORTED_SUFFIXES:
        raise UnreadableFile(
            _("不支持的文件类型“%(suffix)s”，请上传 .xlsx、.xls 或 .ods 文件") % {"suffix": suffix}
        )
    try:
        if isinstance(source, str | Path):
            workbook = CalamineWorkbook.from_path(str(source))
        else:
            data = source if isinstance(source, bytes) else source.read()
            workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        if not workbook.sheet_names:
            return []
        sheet = workbook.get_sheet_by_index(0)
        # skip_empty_area=False keeps leading blank rows, so list index + 1 is the row
        # number Excel shows.
        values = sheet.to_python(skip_empty_area=False)
    except FileNotFoundError:
        raise UnreadableFile(_("找不到文件：%(name)s") % {"name": name}) from None
    except Exception as exc:  # calamine raises its own error types per format
        raise UnreadableFile(
            _("无法读取文件（%(reason)s），请确认是 Excel（.xlsx/.xls）或 .ods 文件")
            % {"reason": exc}
        ) from exc
    return list(enumerate(values, start=1))


def rows_from_dataset(dataset) -> list[NumberedRow]:
    """Rows of a ``tablib.Dataset`` (what django-import-export's admin hands the resource):
    its headers are spreadsheet row 1 and its rows follow from row 2."""
    rows: list[NumberedRow] = [(1, list(dataset.headers or []))]
    rows.extend((number, list(row)) for number, row in enumerate(dataset, start=2))
    return rows


def iter_nonblank(rows: Iterable[NumberedRow]) -> Iterator[NumberedRow]:
    for number, values in rows:
        if any(v is not None and (not isinstance(v, str) or v.strip()) for v in values):
            yield number, values
