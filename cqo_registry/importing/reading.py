"""Reading spreadsheets as bureaus really send them, safely.

``read_workbook`` returns every worksheet of a file as numbered rows (the first row is 1, as
Excel shows it), with what a clerk's eye sees but a plain reader misses:

* **merged cells** — every cell of a merged range takes the range's value (a town merged down
  over ten rows is the town of each of them);
* **hidden rows** — read like any other, and counted so the summary can say so;
* **formula cells without a saved value** — what scripts write: remembered, so that the
  import says "open and save it in Excel" instead of reading a blank.

Before anything is parsed, the file is held to the limits in settings (upload size, unpacked
size, cell count — ``CQO_IMPORT_MAX_UPLOAD_MB``, ``CQO_IMPORT_MAX_UNPACKED_MB``,
``CQO_IMPORT_MAX_CELLS``): a 3.5 MB workbook can unpack to gigabytes, and a single cell at
XFD1048576 makes a dense reader allocate billions of cells. An .xlsx is checked by streaming
its XML in chunks (bounded memory, no parse); the counts come from the same pass that finds
hidden rows and formulas.

python-calamine then reads .xlsx, legacy .xls and .ods (what WPS and LibreOffice users send)
about ten times faster than openpyxl; it gives dates as ``datetime.date``, numbers as
``float`` and blanks as ``''``. Every failure becomes :class:`UnreadableFile` with a message
in the user's language — never a library's English."""

import contextlib
import gc
import io
import logging
import re
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

from django.conf import settings
from django.utils.translation import gettext as _
from python_calamine import CalamineWorkbook, PasswordError, SheetTypeEnum, SheetVisibleEnum

logger = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".ods"}
NumberedRow = tuple[int, list]

MB = 1024 * 1024
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# An .xlsx saved with a password is an OLE container holding this stream (UTF-16LE name).
ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
CHUNK = 4 * MB
# A single row's XML longer than this is not a row of a registry file.
MAX_ROW_XML = 64 * MB


class UnreadableFile(Exception):
    """The file is not a spreadsheet we can (or may) read; the message is shown to the user."""


@dataclass(frozen=True)
class ReadLimits:
    """Upload size, unpacked size (bytes) and cell count a file must stay within."""

    upload_bytes: int
    unpacked_bytes: int
    cells: int

    @classmethod
    def from_settings(cls) -> "ReadLimits":
        return cls(
            upload_bytes=settings.CQO_IMPORT_MAX_UPLOAD_MB * MB,
            unpacked_bytes=settings.CQO_IMPORT_MAX_UNPACKED_MB * MB,
            cells=settings.CQO_IMPORT_MAX_CELLS,
        )


@dataclass
class Sheet:
    """One worksheet: rows numbered as in Excel, merged ranges filled in."""

    name: str
    rows: list[NumberedRow]
    hidden_rows: frozenset[int] = frozenset()
    # (row number, column index from 0) of formula cells that hold no saved value
    formula_cells: frozenset[tuple[int, int]] = frozenset()
    # (row number, column index) -> the error a cell shows (#N/A, #DIV/0!…)
    error_cells: dict[tuple[int, int], str] = field(default_factory=dict)
    # merged ranges as (first row, first column index, last row, last column index)
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)


@dataclass
class Workbook:
    sheets: list[Sheet]
    # Sheets hidden in the workbook (templates hide lookups and old data there): not read.
    hidden_sheets: list[str] = field(default_factory=list)
    # The kind found in the file's content (not its name): "xlsx", "xls" or "ods".
    format: str = "xlsx"

    @property
    def row_count(self) -> int:
        return sum(len(sheet.rows) for sheet in self.sheets)


@dataclass
class _SheetScan:
    """What the streaming pass over one worksheet's XML found."""

    cells: int = 0
    last_row: int = 0
    last_column: int = 0
    hidden_rows: set[int] = field(default_factory=set)
    formula_cells: set[tuple[int, int]] = field(default_factory=set)
    error_cells: dict[tuple[int, int], str] = field(default_factory=dict)

    @property
    def area(self) -> int:
        return self.last_row * self.last_column


@contextlib.contextmanager
def cycle_collection_paused():
    """Pause Python's cyclic garbage collector for a bulk read or import, and resume it after.

    Reading and validating 20,000 rows allocates a few hundred thousand tuples, dicts and model
    instances that live until the import ends; each time enough of them pile up, the collector
    walks every object the process holds — Django's and every installed app's too — and finds
    nothing to free (rows hold no reference cycles). Measured with callgrind on the 20,000-row
    enterprises file, those walks were about 740 M of 9,350 M instructions, growing with every
    app the project adds. Reference counting still frees everything as usual; cycles made in the
    meantime are collected by the next collection after the pause. Nested pauses are fine."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def read_workbook(source, *, filename: str | None = None, limits: ReadLimits | None = None):
    """Read every worksheet of ``source`` (a path, ``bytes`` or a binary file object).

    Returns a :class:`Workbook`. Raises :class:`UnreadableFile` for a file of another kind, a
    damaged or password-protected file, or one over ``limits`` (default: the settings) — the
    limits are checked before the sheets are parsed."""
    with cycle_collection_paused():
        return _read_workbook(source, filename=filename, limits=limits)


def _read_workbook(source, *, filename: str | None, limits: ReadLimits | None):
    limits = limits or ReadLimits.from_settings()
    name = filename or (str(source) if isinstance(source, str | Path) else "")
    suffix = Path(name).suffix.lower() if name else ""
    if suffix and suffix not in SUPPORTED_SUFFIXES:
        raise UnreadableFile(
            _("不支持的文件类型“%(suffix)s”，请上传 .xlsx、.xls 或 .ods 文件") % {"suffix": suffix}
        )
    data = _read_bytes(source, name, limits)
    if data.startswith(ZIP_MAGIC):
        scans, kind = _check_zip(data, limits)
    elif data.startswith(OLE_MAGIC):
        if ENCRYPTED_PACKAGE in data[:65536] or ENCRYPTED_PACKAGE in data[-65536:]:
            raise UnreadableFile(_password_message())
        scans, kind = _check_xls(data, limits), "xls"
    else:
        raise UnreadableFile(
            _(
                "这不是 Excel 文件（.xlsx、.xls）或 .ods 文件："
                "请用 Excel 或 WPS 另存为 .xlsx 后再导入"
            )
        )
    workbook = _parse(data, scans, limits)
    workbook.format = kind
    return workbook


def _password_message() -> str:
    return _("文件设置了打开密码，无法读取：请在 Excel 或 WPS 中取消密码、保存后再导入")


def _damaged_message() -> str:
    return _("文件已损坏或不是有效的 Excel 文件：请用 Excel 或 WPS 打开并另存为 .xlsx 后再导入")


def _too_big(limit_mb: int) -> str:
    return _("文件超过 %(mb)d MB，不能导入：请按镇（街道）或年份拆成几个文件") % {"mb": limit_mb}


def _read_bytes(source, name: str, limits: ReadLimits) -> bytes:
    limit_mb = limits.upload_bytes // MB
    try:
        if isinstance(source, str | Path):
            path = Path(source)
            if path.stat().st_size > limits.upload_bytes:
                raise UnreadableFile(_too_big(limit_mb))
            return path.read_bytes()
        if isinstance(source, bytes):
            data = source
        else:
            # Read one byte more than allowed: enough to know, without reading a huge upload.
            data = source.read(limits.upload_bytes + 1)
    except FileNotFoundError:
        raise UnreadableFile(_("找不到文件：%(name)s") % {"name": name}) from None
    except (IsADirectoryError, PermissionError, OSError) as exc:
        logger.debug("cannot read import file %s: %s", name, exc)
        raise UnreadableFile(_("无法打开文件：%(name)s") % {"name": name}) from None
    if len(data) > limits.upload_bytes:
        raise UnreadableFile(_too_big(limit_mb))
    return data


# --- .xlsx / .ods: the zip container, checked and scanned before parsing --------------------


def _check_zip(data: bytes, limits: ReadLimits) -> tuple[dict[str, _SheetScan], str]:
    """Refuse a zip whose declared or actual unpacked size, or whose sheets' cell count or
    used area, is over the limits. Returns the scan of each .xlsx worksheet by sheet name, and
    the kind ("xlsx" or "ods")."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, EOFError):
        raise UnreadableFile(_damaged_message()) from None
    if any(info.flag_bits & 0x1 for info in infos):
        raise UnreadableFile(_password_message())
    declared = sum(info.file_size for info in infos)
    if declared > limits.unpacked_bytes:
        raise UnreadableFile(_unpacked_message(limits))
    names = {info.filename for info in infos}
    try:
        if "xl/workbook.xml" in names:
            return _scan_xlsx(archive, limits, data), "xlsx"
        if "content.xml" in names:
            return _scan_ods(archive, limits), "ods"
    except (
        zipfile.BadZipFile,
        ElementTree.ParseError,
        KeyError,
        EOFError,
        ValueError,
        zlib.error,
    ) as exc:
        logger.debug("damaged spreadsheet: %s", exc)
        raise UnreadableFile(_damaged_message()) from None
    raise UnreadableFile(_damaged_message())


def _unpacked_message(limits: ReadLimits) -> str:
    return _(
        "文件解压后超过 %(mb)d MB（可能含有大量空白格式或隐藏内容），不能导入：请只复制数据"
        "粘贴到新工作簿后再导入"
    ) % {"mb": limits.unpacked_bytes // MB}


def _cells_message(limits: ReadLimits) -> str:
    return _(
        "文件的单元格超过 %(cells)s 个（已使用区域过大），不能导入：请删除数据以外的行和列，"
        "或拆成几个文件"
    ) % {"cells": f"{limits.cells:,}"}


REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"


def _xlsx_sheet_parts(archive: zipfile.ZipFile) -> list[tuple[str, str]]:
    """``(sheet name, part path)`` of each worksheet, in the workbook's order."""
    workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {rel.get("Id"): rel.get("Target", "") for rel in rels.iter(PKG_REL)}
    parts = []
    for sheet in workbook.iter():
        if sheet.tag.rsplit("}", 1)[-1] != "sheet":
            continue
        target = targets.get(sheet.get(REL_NS), "")
        if not target:
            continue
        path = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        parts.append((sheet.get("name", ""), path))
    return parts


def _scan_xlsx(archive: zipfile.ZipFile, limits: ReadLimits, data: bytes) -> dict[str, _SheetScan]:
    scans: dict[str, _SheetScan] = {}
    budget = limits.unpacked_bytes
    cells = 0
    names = set(archive.namelist())
    for sheet_name, part in _xlsx_sheet_parts(archive):
        if part not in names:
            continue  # a chart sheet or a missing part: calamine decides
        scan, used = _scan_sheet_xml(archive, part, budget, limits, data)
        budget -= used
        cells += max(scan.cells, scan.area)
        if cells > limits.cells:
            raise UnreadableFile(_cells_message(limits))
        scans[sheet_name] = scan
    return scans


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + (letter - 64)
    return number


@contextlib.contextmanager
def _member_chunks(archive: zipfile.ZipFile, part: str, data: bytes):
    """The unpacked bytes of one member of ``archive``, in chunks of up to ``CHUNK`` bytes.

    A deflated member of a zip held in memory (what ``read_workbook`` makes) is inflated
    straight from its bytes with zlib: ``ZipFile.open`` reads it 4 KB at a time, grows each
    chunk by concatenation and computes its CRC, together about a third more work for a
    12 MB sheet. The CRC is left to the reader that parses the file next (python-calamine
    checks it, and refuses a damaged file). Other members go through ``ZipFile.open``."""
    info = archive.getinfo(part)
    if info.compress_type != zipfile.ZIP_DEFLATED:
        with archive.open(part) as stream:
            yield iter(lambda: stream.read(CHUNK), b"")
        return
    yield _inflate(data, info)


def _inflate(data: bytes, info: zipfile.ZipInfo) -> Iterator[bytes]:
    header = data[info.header_offset : info.header_offset + 30]
    if len(header) < 30 or header[:4] != ZIP_MAGIC:
        raise zipfile.BadZipFile("bad local file header")
    start = (
        info.header_offset
        + 30
        + int.from_bytes(header[26:28], "little")
        + int.from_bytes(header[28:30], "little")
    )
    view = memoryview(data)[start : start + info.compress_size]
    if len(view) < info.compress_size:
        raise EOFError("truncated member")
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    pending = view
    while not inflater.eof:
        chunk = inflater.decompress(pending, CHUNK)
        pending = inflater.unconsumed_tail
        if chunk:
            yield chunk
        elif not pending:
            break  # the input ended before the end of the stream
    if not inflater.eof:
        raise EOFError("truncated member")


def _scan_sheet_xml(archive, part: str, budget: int, limits: ReadLimits, data: bytes):
    """Stream one worksheet's XML: count cells, find the used area, hidden rows and formula
    cells without a value. Stops as soon as the unpacked bytes pass ``budget``."""
    scan = _SheetScan()
    patterns = None
    carry = b""
    used = 0
    with _member_chunks(archive, part, data) as chunks:
        for chunk in chunks:
            used += len(chunk)
            if used > budget:
                raise UnreadableFile(_unpacked_message(limits))
            buffer = carry + chunk
            if patterns is None:
                patterns = _XmlPatterns.for_document(buffer)
            cut = buffer.rfind(patterns.row_end)
            if cut < 0:
                if len(buffer) > MAX_ROW_XML:
                    raise UnreadableFile(_cells_message(limits))
                carry = buffer
                continue
            cut += len(patterns.row_end)
            patterns.scan(buffer[:cut], scan, limits.cells)
            if max(scan.cells, scan.area) > limits.cells:
                raise UnreadableFile(_cells_message(limits))
            carry = buffer[cut:]
    if carry and patterns is not None:
        patterns.scan(carry, scan, limits.cells)
        if max(scan.cells, scan.area) > limits.cells:
            raise UnreadableFile(_cells_message(limits))
    return scan, used


class _XmlPatterns:
    """Byte patterns for one worksheet's XML, with its namespace prefix (Excel writes none,
    some generators write ``x:``). This runs on every import before anything else: cells are
    counted with ``bytes.count``, and the used area comes from the row tags and the columns
    the cells name, with a check that no cell lies beyond — not from reading every one of the
    220,000 cell references of a 20,000-row file."""

    def __init__(self, prefix: bytes):
        p = re.escape(prefix)
        self.row_end = b"</" + prefix + b"row>"
        self.cell_open = b"<" + prefix + b"c "
        # A cell without attributes (so without r="…") that holds a value: the fast pass does
        # not apply. (An empty <c/> holds nothing a reader places.)
        self.bare_cell = b"<" + prefix + b"c>"
        self.hidden_hint = b'hidden="'
        self.hidden_row = re.compile(rb"<" + p + rb'row\b[^>]*\bhidden="(?:1|true)"[^>]*>')
        self.row_number = re.compile(rb'\br="(\d+)"')
        # Excel, WPS and openpyxl write the reference first — <row r="2"><c r="B2" ...> —,
        # which a literal prefix finds fast; a file that does not takes the slower patterns.
        self.ref_first = b"<" + prefix + b'c r="'
        self.row_first = b"<" + prefix + b'row r="'
        self.columns_fast = re.compile(re.escape(self.ref_first) + rb"([A-Z]{1,3})\d")
        self.rows_fast = re.compile(re.escape(self.row_first) + rb"(\d+)")
        self.refs_fast = re.compile(re.escape(self.ref_first) + rb"[A-Z]{1,3}(\d+)")
        self.refs_slow = re.compile(rb"<" + p + rb'c\b[^>]*?\br="([A-Z]{1,3})(\d+)"')
        self.row_tags = b"<" + prefix + b"row "
        self.longer = {
            digits: re.compile(re.escape(self.ref_first) + rb"[A-Z]{1,3}\d{%d}" % digits)
            for digits in range(1, 9)
        }
        self.formula_hint = b"<" + prefix + b"f"
        self.cell = re.compile(rb"<" + p + rb"c\b([^>]*?)(?:/>|>(.*?)</" + p + rb"c>)", re.DOTALL)
        # A calculated formula keeps its result in <v>…</v>. An empty <v/> means "never
        # calculated" (what scripts write) — except in a text cell (t="str"), where Excel and
        # LibreOffice save a formula whose result is the empty string (=IF(…,"",…)) that way.
        self.value = re.compile(rb"<" + p + rb"v>[^<]")
        self.empty_value = re.compile(rb"<" + p + rb"v\s*(?:/>|></" + p + rb"v>)")
        self.text_type = re.compile(rb'\bt="str"')
        self.merge_hint = b"<" + prefix + b"mergeCell "
        self.merge = re.compile(
            rb"<" + p + rb'mergeCell\s+ref="([A-Z]{1,3})(\d+):([A-Z]{1,3})(\d+)"'
        )
        # Cells showing an error (#N/A from a lookup, #DIV/0!): readers give them as blank.
        self.error_hint = b't="e"'
        self.error_cell = re.compile(
            rb"<"
            + p
            + rb'c\b([^>]*\bt="e"[^>]*)>(?:(?!</'
            + p
            + rb"c>).)*?<"
            + p
            + rb"v>([^<]*)</"
            + p
            + rb"v>",
            re.DOTALL,
        )
        self.inline = b"<" + prefix + b"is>"
        self.row_open = b"<" + prefix + b"row "
        # A cell without attributes, or the start of one whose reference is to be checked.
        self.cell_bare_or_before = rb"<" + p + rb"c(?:>| "
        self.within: dict[tuple[int, int], re.Pattern] = {}

    @classmethod
    def for_document(cls, head: bytes) -> "_XmlPatterns":
        match = re.search(rb"<([A-Za-z_][\w.-]*:)?worksheet\b", head)
        return cls((match.group(1) or b"") if match else b"")

    def scan(self, xml: bytes, scan: _SheetScan, limit: int) -> None:
        cells = xml.count(self.cell_open)
        # The narrow pass finds no cell without attributes (<c>) when it answers: they are
        # counted only otherwise.
        area = self._area_narrow(xml, cells, scan.last_column, limit)
        bare = 0 if area else xml.count(self.bare_cell)
        scan.cells += cells + bare
        if self.hidden_hint in xml:
            for tag in self.hidden_row.findall(xml):
                number = self.row_number.search(tag)
                if number:
                    scan.hidden_rows.add(int(number.group(1)))
        if not area and not bare:
            area = self._area_fast(xml, cells, scan.last_column, limit)
        column, row = area or self._area_exact(xml)
        scan.last_column = max(scan.last_column, column)
        scan.last_row = max(scan.last_row, row)
        if self._holds_formula(xml):
            self._formulas(xml, scan)
        if self.error_hint in xml:
            for attributes, shown in self.error_cell.findall(xml):
                ref = re.search(rb'\br="([A-Z]{1,3})(\d+)"', attributes)
                if ref:
                    cell = (int(ref.group(2)), _column_number(ref.group(1)) - 1)
                    scan.error_cells[cell] = shown.decode("utf-8", "replace")
        if self.merge_hint in xml:
            # A merged range is laid out over every cell it spans: its far corner counts.
            for _left, _top, right, bottom in self.merge.findall(xml):
                scan.last_row = max(scan.last_row, int(bottom))
                scan.last_column = max(scan.last_column, _column_number(right))

    def _holds_formula(self, xml: bytes) -> bool:
        """Whether ``<f`` (with the prefix) occurs in ``xml``. ``in`` with a two-byte needle
        costs ~4 instructions a byte; an ``f`` is rare in sheet XML (text is in the shared
        strings, or non-ASCII), and finding one is a ``memchr``: each is checked, and past a
        few dozen the plain search decides."""
        needle = self.formula_hint
        before = len(needle) - 1
        at = xml.find(b"f")
        for _tries in range(64):
            if at < 0:
                return False
            if at >= before and xml.startswith(needle, at - before):
                return True
            at = xml.find(b"f", at + 1)
        return needle in xml

    def _area_narrow(self, xml: bytes, cells: int, widest: int, limit: int) -> tuple | None:
        """What :meth:`_area_fast` returns, for a sheet of at most 26 columns (A–Z) written
        reference first, in about a third of its work: the last row from the row tags
        (split, not a regular expression), and one search for a cell that is *not* of the
        form ``<c r="A1"``–``<c r="{widest}{last row's digits}"`` — instead of collecting
        all 220,000 cell references of a 20,000-row file. ``None`` (then ``_area_fast``
        decides) for any other sheet, or when such a cell is found — a cell without
        attributes (``<c>``) included, so an answer also says that there is none."""
        pieces = xml.split(self.row_open)
        row = 0
        for piece in pieces[1:]:
            end = piece.find(b'"', 3)
            number = piece[3:end]
            if end < 0 or piece[:3] != b'r="' or not number.isdigit():
                return None
            value = int(number)
            if value > row:
                row = value
        digits = len(str(row))
        # The widest column so far, and the last cell's of the chunk and of its first row:
        # the widest of them is a column some cell has; the search proves none is wider.
        column = widest
        start = len(self.ref_first)
        first_row_end = xml.find(self.row_end)
        for at in (xml.rfind(self.ref_first), xml.rfind(self.ref_first, 0, first_row_end)):
            if at < 0:
                return None
            letter = xml[at + start]
            if not 65 <= letter <= 90:
                return None
            column = max(column, letter - 64)
        if column > 26 or digits >= 8:
            return None
        within = self.within.get((column, digits))
        if within is None:
            within = self.within[(column, digits)] = re.compile(
                self.cell_bare_or_before + rb'(?!r="[A-%c]\d{1,%d}"))' % (64 + column, digits)
            )
        if within.search(xml):
            return None
        # Every cell is <c r="(A–column)(digits)": as _area_fast would have found them.
        if (10**digits - 1) * max(column, 1) > limit:
            row = max(row, max(map(int, set(self.refs_fast.findall(xml))), default=0))
        return column, row

    def _area_fast(self, xml: bytes, cells: int, widest: int, limit: int) -> tuple | None:
        """The rightmost column any cell names, and the last row — from the row tags, checked
        against the cells with one search: no cell may name a row with more digits than the
        last row has. A cell that does (a bomb's far-away cell) gets the exact pass. ``None``
        when a cell or a row does not start with its reference (the exact pass then)."""
        columns = self.columns_fast.findall(xml)
        rows = self.rows_fast.findall(xml)
        if len(columns) != cells or len(rows) != xml.count(self.row_tags):
            return None
        column = max((_column_number(c) for c in set(columns)), default=0)
        row = max(map(int, rows), default=0)
        digits = len(str(row))
        if digits < 8 and self.longer[digits + 1].search(xml):
            return self._area_exact(xml)
        if (10**digits - 1) * max(column, widest, 1) > limit:
            # A cell could sit below the last row tag with as many digits: count exactly.
            row = max(row, max(map(int, set(self.refs_fast.findall(xml))), default=0))
        return column, row

    def _area_exact(self, xml: bytes) -> tuple[int, int]:
        refs = set(self.refs_slow.findall(xml))
        if not refs:
            return 0, 0
        letters = max({letters for letters, _row in refs}, key=lambda c: (len(c), c))
        return _column_number(letters), max(int(row) for _letters, row in refs)

    def _formulas(self, xml: bytes, scan: _SheetScan) -> None:
        for attributes, content in self.cell.findall(xml):
            if not content or self.formula_hint not in content:
                continue
            if self.value.search(content) or self.inline in content:
                continue
            if self.text_type.search(attributes) and self.empty_value.search(content):
                continue  # calculated: the empty string
            ref = re.search(rb'\br="([A-Z]{1,3})(\d+)"', attributes)
            if ref:
                scan.formula_cells.add((int(ref.group(2)), _column_number(ref.group(1)) - 1))


# An .ods row and its cells. Cells and rows may carry a repeat count: one element standing for
# 16,384 cells or a million rows, which a reader expands (calamine refuses past 100 million).
ODS_ROW = re.compile(rb"<table:table-row\b([^>]*?)(?:/>|>(.*?)</table:table-row>)", re.DOTALL)
ODS_CELL = re.compile(rb"<table:(?:covered-)?table-cell\b([^>]*)>")
ODS_COLUMNS_REPEATED = re.compile(rb'table:number-columns-repeated="(\d+)"')
ODS_ROWS_REPEATED = re.compile(rb'table:number-rows-repeated="(\d+)"')
ODS_TABLE = b"<table:table "
ODS_TABLE_NAME = re.compile(rb'<table:table [^>]*?table:name="([^"]*)"')
# Rows hidden by hand (collapse) or by a filter.
ODS_HIDDEN = re.compile(rb'table:visibility="(?:collapse|filter)"')


def _unescape(name: bytes) -> str:
    """An XML attribute's text (sheet names may hold &amp; and friends)."""
    from xml.sax.saxutils import unescape

    return unescape(name.decode("utf-8", "replace"), {"&quot;": '"', "&apos;": "'"})


def _repeat(pattern: re.Pattern, attributes: bytes) -> int:
    found = pattern.search(attributes)
    return int(found.group(1)) if found else 1


def _scan_ods(archive: zipfile.ZipFile, limits: ReadLimits) -> dict[str, _SheetScan]:
    """An .ods's content.xml, streamed: its unpacked size, and for each sheet the cells that
    hold a value and the area from A1 to the last of them (repeats counted as the reader will
    expand them), and its hidden rows. Returns the scan of each sheet by name."""
    used = 0
    carry = b""
    area = _OdsArea(limits)
    with archive.open("content.xml") as stream:
        while chunk := stream.read(CHUNK):
            used += len(chunk)
            if used > limits.unpacked_bytes:
                raise UnreadableFile(_unpacked_message(limits))
            buffer = carry + chunk
            cut = buffer.rfind(b"</table:table-row>")
            if cut < 0:
                if len(buffer) > MAX_ROW_XML:
                    raise UnreadableFile(_cells_message(limits))
                carry = buffer
                continue
            cut += len(b"</table:table-row>")
            area.scan(buffer[:cut])
            carry = buffer[cut:]
    area.scan(carry)
    return area.sheets


class _OdsArea:
    """Counts an .ods sheet by sheet; refuses as soon as a sheet passes the cell limit."""

    def __init__(self, limits: ReadLimits):
        self.limits = limits
        self.cells = self.row = 0
        self.sheets: dict[str, _SheetScan] = {}
        self.sheet = _SheetScan()

    def scan(self, xml: bytes) -> None:
        position = 0
        while True:
            table = xml.find(ODS_TABLE, position)
            end = table if table >= 0 else len(xml)
            self._rows(xml[position:end])
            if table < 0:
                return
            name = ODS_TABLE_NAME.search(xml, table)
            self.sheet = _SheetScan()  # a new sheet starts at A1
            self.sheets[_unescape(name.group(1)) if name else str(len(self.sheets))] = self.sheet
            self.row = 0
            position = table + len(ODS_TABLE)

    def _rows(self, xml: bytes) -> None:
        for attributes, content in ODS_ROW.findall(xml):
            repeat_rows = _repeat(ODS_ROWS_REPEATED, attributes)
            column = values = last = 0
            for cell in ODS_CELL.findall(content or b""):
                repeat = _repeat(ODS_COLUMNS_REPEATED, cell)
                if b"office:value-type=" in cell:
                    values += repeat
                    last = column + repeat
                column += repeat
            if ODS_HIDDEN.search(attributes):
                self.sheet.hidden_rows.update(range(self.row + 1, self.row + repeat_rows + 1))
            self.row += repeat_rows
            if values:
                self.cells += values * repeat_rows
                self.sheet.last_row = self.row
                self.sheet.last_column = max(self.sheet.last_column, last)
            if max(self.cells, self.sheet.area) > self.limits.cells:
                raise UnreadableFile(_cells_message(self.limits))


# --- .xls: the legacy binary format ----------------------------------------------------------


def _check_xls(data: bytes, limits: ReadLimits) -> dict[str, _SheetScan]:
    """An .xls's sheets measured with xlrd before calamine lays them out: xlrd keeps only the
    cells a sheet has (a 5 KB file with one cell at IV65536 stays small there, where a dense
    reader fills 16.7 million cells). Also finds hidden rows and merged ranges."""
    import xlrd

    try:
        book = xlrd.open_workbook(
            file_contents=data,
            on_demand=True,
            formatting_info=True,
            ragged_rows=True,  # only the cells a row has: a far cell costs nothing
            logfile=io.StringIO(),
        )
    except xlrd.biffh.XLRDError as exc:
        if "encrypt" in str(exc).lower():
            raise UnreadableFile(_password_message()) from None
        logger.debug("unreadable .xls: %s", exc)
        raise UnreadableFile(_damaged_message()) from None
    except Exception as exc:  # xlrd raises assorted errors on damaged files
        logger.debug("unreadable .xls: %s: %s", type(exc).__name__, exc)
        raise UnreadableFile(_damaged_message()) from None
    scans = {}
    cells = 0
    try:
        for index in range(book.nsheets):
            sheet = book.sheet_by_index(index)
            scan = _SheetScan(last_row=sheet.nrows, last_column=sheet.ncols)
            for _top, bottom, _left, right in sheet.merged_cells:
                scan.last_row, scan.last_column = (
                    max(scan.last_row, bottom),
                    max(scan.last_column, right),
                )
            scan.hidden_rows = {r + 1 for r, info in sheet.rowinfo_map.items() if info.hidden}
            cells += scan.area
            if cells > limits.cells:
                raise UnreadableFile(_cells_message(limits))
            scans[sheet.name] = scan
            book.unload_sheet(index)
    finally:
        book.release_resources()
    return scans


# --- parsing ---------------------------------------------------------------------------------


def _parse(data: bytes, scans: dict[str, _SheetScan], limits: ReadLimits) -> Workbook:
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheets = []
        cells = 0
        hidden = []
        for index, meta in enumerate(workbook.sheets_metadata):
            if meta.typ != SheetTypeEnum.WorkSheet:
                continue
            if meta.visible != SheetVisibleEnum.Visible:
                hidden.append(meta.name)
                continue
            sheet = workbook.get_sheet_by_index(index)
            cells += sheet.height * sheet.width
            if cells > limits.cells:  # .xls and .ods: known only once loaded
                raise UnreadableFile(_cells_message(limits))
            scan = scans.get(meta.name, _SheetScan())
            sheets.append(_sheet(meta.name, sheet, scan))
    except UnreadableFile:
        raise
    except PasswordError:
        raise UnreadableFile(_password_message()) from None
    except Exception as exc:  # calamine raises its own error types per format
        # The user's message says what to do; the library's words are for developers.
        logger.debug("unreadable spreadsheet: %s: %s", type(exc).__name__, exc)
        raise UnreadableFile(_damaged_message()) from None
    return Workbook(sheets=sheets, hidden_sheets=hidden)


def _sheet(name: str, sheet, scan: _SheetScan) -> Sheet:
    # skip_empty_area=False starts at A1, so list index + 1 is the row number Excel shows and
    # a list position is the column index.
    values = sheet.to_python(skip_empty_area=False)
    merged = []
    for (top, left), (bottom, right) in sheet.merged_cell_ranges or []:
        merged.append((top + 1, left, bottom + 1, right))
        _fill_merged(values, top, left, bottom, right)
    return Sheet(
        name=name,
        rows=list(enumerate(values, start=1)),
        hidden_rows=frozenset(scan.hidden_rows),
        formula_cells=frozenset(scan.formula_cells),
        error_cells=dict(scan.error_cells),
        merged=merged,
    )


def _fill_merged(values: list[list], top: int, left: int, bottom: int, right: int) -> None:
    """Give every cell of a merged range the value of its top-left cell (Excel keeps the
    value there only). Rows past the end of the data are added: a range may reach below it."""
    if top >= len(values) or left >= len(values[top]):
        return
    value = values[top][left]
    while len(values) <= bottom:
        values.append([])
    for row in values[top : bottom + 1]:
        if len(row) <= right:
            row.extend([""] * (right + 1 - len(row)))
        for column in range(left, right + 1):
            if row[column] == "" or row[column] is None:
                row[column] = value


def rows_from_dataset(dataset) -> list[NumberedRow]:
    """Rows of a ``tablib.Dataset`` (what django-import-export hands a resource): its headers
    are spreadsheet row 1 and its rows follow from row 2."""
    rows: list[NumberedRow] = [(1, list(dataset.headers or []))]
    rows.extend((number, list(row)) for number, row in enumerate(dataset, start=2))
    return rows


def iter_nonblank(rows: Iterable[NumberedRow]) -> Iterator[NumberedRow]:
    for number, values in rows:
        if any(v is not None and (not isinstance(v, str) or v.strip()) for v in values):
            yield number, values
