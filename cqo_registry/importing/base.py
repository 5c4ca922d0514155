"""The all-or-nothing import runner shared by the command line and the browser.

An :class:`Importer` subclass describes one file: its columns (Chinese headers, with the
spellings templates print), how each row is checked against lookups loaded once into dicts,
file-wide checks, and the bulk writes. :func:`run_import` finds the header row in every sheet
that has one, validates every row first and collects every bad row; only when no row is bad
does it write, inside one ``transaction.atomic``, with ``bulk_create``/``bulk_update`` (and
their history) in batches. A dry run validates and counts without writing.

What a real file holds beside the data, and what the runner does with it (SPEC §4; README,
"Preparing import files"):

* title and unit rows above the header — the header is the row that names the most columns;
* note rows below the data (制表人, 填表说明, 注：…) — skipped, and listed in the summary;
* headers with line breaks, spaces, full- or half-width brackets and a parenthesised note —
  recognised (``企业规模（规模以上/中小企业/微型企业）`` is 企业规模);
* several sheets (one per town) — every sheet with a header is imported, and every message
  names its sheet; sheets without one (instructions) are listed as skipped;
* hidden rows — imported, and counted in the summary;
* merged cells — every row of the range has its value (see :mod:`.reading`);
* formula cells with no saved value — an error of their own, never a blank."""

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.dispatch import Signal
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import parsers
from .bulk import insert_with_history, update_with_history
from .reading import NumberedRow, Sheet, Workbook, cycle_collection_paused, iter_nonblank

CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"
# How many leading rows may hold a title or a unit line above the header.
HEADER_SEARCH_ROWS = 20
# A row is the header when it names at least this many of the file's columns.
HEADER_MIN_COLUMNS = 2
# Parenthesised notes in headers: （必填）, (YYYY-MM-DD), 【选填】, [是/否].
HEADER_NOTE_RE = re.compile(r"\([^()]*\)|【[^】]*】|\[[^\]]*\]")
HEADER_NOISE_RE = re.compile(r"[\s*＊:：]")
# The first words of note rows printed below a table.
NOTE_MARKERS = (
    "制表人", "制表", "填表人", "填报人", "填报单位", "填报日期", "审核人", "审核", "负责人",
    "单位负责人", "联系人", "联系电话", "填表说明", "说明", "注", "备注", "合计", "总计", "小计",
)  # fmt: skip
NOTE_RE = re.compile(
    r"^(?:" + "|".join(NOTE_MARKERS) + r")\s*[:：]|^(?:注|说明)\s*\d|^(?:合计|总计|小计)$"
)
# What a USCC or an ID number looks like: a row holding only one is data, not a note.
CODE_LIKE_RE = re.compile(r"^[0-9A-Za-z]{15,18}$")
NOTE_FIRST_CHARACTERS = frozenset(marker[0] for marker in NOTE_MARKERS)
# A file this wrong is not worth reading on: its first errors say what to fix.
MAX_ERRORS = 20_000
# Progress is reported every this many rows.
PROGRESS_EVERY = 500

# Sent once by an import that wrote, inside its transaction, right after ``Importer.write``
# (``sender``: the importer's class, ``importer``: the importer). Bulk writes send no
# ``post_save``: what caches figures of the written tables (the training lists, issue 15 §1)
# listens to this instead.
rows_written = Signal()


def normalise_header(value) -> str:
    """``"企业规模（规模以上/中小企业/微型企业）"`` → ``"企业规模"``; ``"*统一社会信用代码"`` and
    ``"企业名称\\n（全称）"`` likewise: NFKC, notes in brackets, spaces, stars and colons out."""
    folded = unicodedata.normalize("NFKC", parsers.text(value))
    return HEADER_NOISE_RE.sub("", HEADER_NOTE_RE.sub("", folded))


@dataclass(frozen=True)
class Column:
    header: str  # the Chinese header, as in SPEC §4
    key: str
    parse: Callable = parsers.text
    required: bool = False  # the column must be in the file and every cell filled
    max_length: int | None = None
    aliases: tuple[str, ...] = ()  # other headers templates print for the same column
    note: str = ""  # how to fill it in (the blank form's instructions, the upload page)
    example: str = ""

    def spellings(self) -> list[str]:
        return [normalise_header(h) for h in (self.header, *self.aliases)]


class RowRef:
    """One row of one sheet. ``str()`` is how messages name it: ``第 3 行``, or, in a workbook
    of several sheets, ``工作表“城关镇”第 3 行``. Ordered by sheet, then row. (A plain class with
    slots: one is made for every row of every file.)"""

    __slots__ = ("sheet_index", "number", "sheet", "show_sheet")

    def __init__(self, sheet_index: int, number: int, sheet: str = "", show_sheet: bool = False):
        self.sheet_index = sheet_index
        self.number = number
        self.sheet = sheet
        self.show_sheet = show_sheet

    def _key(self) -> tuple[int, int]:
        return (self.sheet_index, self.number)

    def __eq__(self, other):
        return isinstance(other, RowRef) and self._key() == other._key()

    def __lt__(self, other):
        return self._key() < other._key()

    def __hash__(self):
        return hash(self._key())

    def __repr__(self):
        return f"RowRef({self.sheet!r}, {self.number})"

    def __str__(self) -> str:
        if self.show_sheet:
            return _("工作表“%(sheet)s”第 %(row)d 行") % {"sheet": self.sheet, "row": self.number}
        return _("第 %(row)d 行") % {"row": self.number}


@dataclass(frozen=True)
class RowError:
    row: int  # the spreadsheet row number (the header is row 1 in a plain file); 0: the file
    column: str  # the column header, '' for a whole-row problem
    reason: str
    sheet: str = ""  # the sheet's name, in a workbook of several sheets

    def __str__(self) -> str:
        where = ""
        if self.sheet:
            where = _("工作表“%(sheet)s” ") % {"sheet": self.sheet}
        if not self.row:
            return f"{where}{self.reason}" if where else self.reason
        if self.column:
            return where + _("第 %(row)d 行 [%(column)s]：%(reason)s") % {
                "row": self.row,
                "column": self.column,
                "reason": self.reason,
            }
        return where + _("第 %(row)d 行：%(reason)s") % {"row": self.row, "reason": self.reason}

    def as_dict(self) -> dict:
        return {"sheet": self.sheet, "row": self.row, "column": self.column, "reason": self.reason}


@dataclass
class RowOutcome:
    """What happens to the file's main record of one row (for a preview)."""

    row: RowRef
    action: str  # CREATED / UPDATED / UNCHANGED
    obj: object


@dataclass
class ImportResult:
    kind: str
    dry_run: bool = False
    written: bool = False
    headers: list[str] = field(default_factory=list)
    # model verbose name -> {created, updated, unchanged}
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)
    outcomes: list[RowOutcome] = field(default_factory=list)
    raw_rows: dict[RowRef, list] = field(default_factory=dict)
    # header -> index of its cell in ``raw_rows`` (for showing a row as the file has it)
    positions: dict[str, int] = field(default_factory=dict)
    rows_read: int = 0
    sheets_read: list[str] = field(default_factory=list)
    sheets_skipped: list[str] = field(default_factory=list)
    hidden_rows_read: int = 0
    note_rows: list[RowError] = field(default_factory=list)  # skipped, with their text
    merged_ranges: int = 0  # merged ranges that reach into the data
    towns_created: list[str] = field(default_factory=list)
    sheets_hidden: list[str] = field(default_factory=list)  # hidden in the workbook: not read
    unfilled_rows: int = 0  # rows with nothing in the file's required columns: skipped
    # What a file's own preview shows beyond the counts (JSON-serialisable; the above-scale
    # reconciliation's lists and its effect on the targets), kept on the browser's job.
    details: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors

    def count(self, label: str, action: str, n: int = 1) -> None:
        bucket = self.counts.setdefault(label, {CREATED: 0, UPDATED: 0, UNCHANGED: 0})
        bucket[action] += n

    def summary_lines(self, *, counts: bool = True) -> list[str]:
        """What the import did (``counts``) and what it noticed, one sentence a line, for the
        command line and the browser (which shows the counts as a table)."""
        lines = []
        for label, bucket in self.counts.items() if counts else ():
            lines.append(
                _("%(label)s：新增 %(created)d，更新 %(updated)d，未变 %(unchanged)d")
                % {"label": label, **bucket}
            )
        if len(self.sheets_read) > 1:
            lines.append(
                _("读取了 %(count)d 个工作表：%(names)s")
                % {"count": len(self.sheets_read), "names": "、".join(self.sheets_read)}
            )
        if self.sheets_skipped:
            lines.append(
                _("没有表头、未读取的工作表：%(names)s") % {"names": "、".join(self.sheets_skipped)}
            )
        if self.sheets_hidden:
            lines.append(
                _("隐藏的工作表未读取：%(names)s（如要导入，请先在 Excel 中取消隐藏）")
                % {"names": "、".join(self.sheets_hidden)}
            )
        if self.unfilled_rows:
            lines.append(
                _("跳过了 %(count)d 行：这些行的必填列都是空的（只有序号或预填的默认值）")
                % {"count": self.unfilled_rows}
            )
        if self.hidden_rows_read:
            lines.append(
                _("其中 %(count)d 行在 Excel 中是隐藏的（已一并导入）")
                % {"count": self.hidden_rows_read}
            )
        if self.merged_ranges:
            lines.append(
                _("%(count)d 处合并单元格已按其值填入所跨的每一行") % {"count": self.merged_ranges}
            )
        if self.note_rows:
            lines.append(
                _("跳过了表格下方的 %(count)d 行说明：%(rows)s")
                % {
                    "count": len(self.note_rows),
                    "rows": "；".join(str(note) for note in self.note_rows),
                }
            )
        if self.towns_created:
            lines.append(
                _("新建了 %(count)d 个镇（街道）：%(names)s（请在系统中补填统计用区划代码）")
                % {"count": len(self.towns_created), "names": "、".join(self.towns_created)}
            )
        return lines


class Importer:
    """One file's definition. Subclasses set the class attributes and implement ``load``,
    ``check_row``, ``check_file`` (optional) and ``write``; they report problems with
    :meth:`error` / :meth:`warn` and outcomes with :meth:`outcome` / ``self.result.count``.
    ``row`` arguments are :class:`RowRef`; ``str(row)`` names it in messages."""

    kind: str = ""
    title = gettext_lazy("导入")
    columns: list[Column] = []
    batch_size = 1000
    # A file whose check shows more than counts: the template of its preview on the job page
    # (given the job's ``result["details"]`` as ``details``) and, optionally, the preview as
    # an Excel download (``details_workbook``).
    details_template: str = ""
    # Where the records a file writes are listed in the back office (the job page links it).
    admin_changelist: str = ""

    def __init__(
        self,
        *,
        user=None,
        create_towns: bool = False,
        file_name: str = "",
        from_command_line: bool = False,
    ):
        self.user = user
        self.create_towns = create_towns
        self.file_name = file_name
        # Messages name the option where the user is: a checkbox, or a command-line flag.
        self.from_command_line = from_command_line
        self.result = ImportResult(kind=self.kind)

    # --- hooks ---------------------------------------------------------------------------
    def load(self) -> None:
        """Load every lookup the rows need, once (no query per row)."""

    def check_row(self, row: RowRef, values: dict, present: frozenset) -> None:
        raise NotImplementedError

    def check_bad_row(self, row: RowRef, values: dict, present: frozenset) -> None:
        """A row with a bad cell (its error given): the checks that need only the cells in
        ``values`` (the good ones), so that the clerk sees every error of the row in one
        reading instead of the next one after each fix. Nothing is remembered of the row
        (the file is refused anyway). Default: none."""

    def check_file(self) -> None:
        """Checks across rows, after every row has been seen."""

    def write(self) -> None:
        raise NotImplementedError

    @classmethod
    def details_workbook(cls, details: dict):
        """The preview (``ImportResult.details``) as an openpyxl workbook; ``None`` when the
        file has no preview to download."""
        return None

    # --- helpers for subclasses ----------------------------------------------------------
    def error(self, row: RowRef | None, column: str, reason: str) -> None:
        self.result.errors.append(_row_message(row, column, reason))

    def warn(self, row: RowRef | None, column: str, reason: str) -> None:
        self.result.warnings.append(_row_message(row, column, reason))

    def outcome(self, row: RowRef, label: str, action: str, obj) -> None:
        self.result.count(label, action)
        self.result.outcomes.append(RowOutcome(row, action, obj))

    def seen_before(
        self, row: RowRef, key, column: str, values: dict, *, alike: tuple[str, ...] = ()
    ) -> bool:
        """Whether ``key`` was already read from this file (``self.seen``: key -> (row,
        values), which the importer sets up): then the row is handled (``same_key_twice``:
        a warning when identical, an error naming ``column`` when not) and True is returned;
        else the row is remembered under ``key`` and False returned. ``alike`` names values
        that may be spelt differently once the key matched (a training title folded into the
        key)."""
        if key in self.seen:
            first, first_values = self.seen[key]
            first_values = {**first_values, **{name: values.get(name) for name in alike}}
            self.same_key_twice(row, first, column, values, first_values)
            return True
        self.seen[key] = (row, values)
        return False

    def same_key_twice(
        self, row: RowRef, first: RowRef, column: str, values: dict, first_values: dict
    ) -> bool:
        """A key seen again in ``row`` (first at ``first``): identical values are a warning
        and the row is read once; different values are an error naming both rows and the
        columns that differ. Returns True when the row is to be skipped without error."""
        differing = [
            str(c.header)
            for c in self.columns
            if c.key in values and values.get(c.key) != first_values.get(c.key)
        ]
        if not differing:
            self.warn(row, column, _("与%(first)s完全相同，按一行导入") % {"first": first})
            return True
        self.error(
            row,
            column,
            _("与%(first)s是同一条记录，但%(columns)s不同：请核对后只保留一行")
            % {"first": first, "columns": "、".join(differing)},
        )
        return False

    @property
    def change_reason(self) -> str:
        # simple_history keeps at most 100 characters of change reason.
        reason = _("数据导入：%(title)s") % {"title": self.title}
        if self.file_name:
            reason += f"（{self.file_name}）"
        return reason[:100]

    def insert(self, objs, model) -> None:
        """Insert new rows with their history (see :mod:`.bulk`)."""
        insert_with_history(
            objs, model, user=self.user, reason=self.change_reason, batch_size=self.batch_size
        )

    def update(self, objs, model, fields) -> None:
        update_with_history(
            objs,
            model,
            fields,
            user=self.user,
            reason=self.change_reason,
            batch_size=self.batch_size,
        )


def _row_message(row: RowRef | None, column: str, reason: str) -> RowError:
    if row is None:
        return RowError(0, str(column), str(reason))
    return RowError(row.number, str(column), str(reason), row.sheet if row.show_sheet else "")


def validation_reason(exc: ValidationError) -> str:
    return "；".join(str(m) for m in exc.messages)


# --- finding the table in each sheet -----------------------------------------------------------


@dataclass
class _Table:
    """A sheet's header and data rows."""

    sheet: Sheet
    index: int
    header_row: int
    positions: list[tuple[int, Column]]
    rows: list[NumberedRow]
    show_sheet: bool  # messages name the sheet (the workbook has several)
    header: list  # the header row's cells, to know it again when it is repeated below


def _header_columns(values: list, wanted: dict[str, Column]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, cell in enumerate(values):
        column = wanted.get(normalise_header(cell)) if not parsers.is_blank(cell) else None
        if column is not None:
            found.setdefault(column.key, index)
    return found


def _find_header(rows: list[NumberedRow], wanted: dict[str, Column]):
    """The row (among the first ones) that names the most of the file's columns."""
    best, best_count = None, HEADER_MIN_COLUMNS - 1
    for number, values in rows[:HEADER_SEARCH_ROWS]:
        count = len(_header_columns(values, wanted))
        if count > best_count:
            best, best_count = (number, values), count
    return best


def _map_header(importer: Importer, ref: RowRef, values: list, wanted: dict[str, Column]):
    positions: list[tuple[int, Column]] = []
    seen: dict[str, int] = {}
    for index, cell in enumerate(values):
        if parsers.is_blank(cell):
            continue
        column = wanted.get(normalise_header(cell))
        if column is None:
            continue  # extra columns (remarks, 序号) are ignored
        if column.key in seen:
            importer.error(ref, column.header, _("表头重复"))
            continue
        seen[column.key] = index
        positions.append((index, column))
    missing = [str(c.header) for c in importer.columns if c.required and c.key not in seen]
    if missing:
        importer.error(ref, "", _("缺少必需的列：%(columns)s") % {"columns": "、".join(missing)})
    return positions


def _tables(importer: Importer, workbook: Workbook) -> list[_Table]:
    result = importer.result
    result.sheets_hidden = list(workbook.hidden_sheets)
    wanted = {spelling: c for c in importer.columns for spelling in c.spellings()}
    show_sheet = len(workbook.sheets) > 1
    tables = []
    for index, sheet in enumerate(workbook.sheets):
        rows = list(iter_nonblank(sheet.rows))
        found = _find_header(rows, wanted)
        if found is None:
            if sheet.name:
                result.sheets_skipped.append(sheet.name)
            continue
        number, values = found
        ref = RowRef(index, number, sheet.name, show_sheet)
        positions = _map_header(importer, ref, values, wanted)
        result.sheets_read.append(sheet.name)
        if not result.headers:
            result.headers = [str(c.header) for _i, c in positions]
            result.positions = {str(c.header): i for i, c in positions}
        data = [(n, v) for n, v in rows if n > number]
        tables.append(_Table(sheet, index, number, positions, data, show_sheet, values))
    if not tables:
        importer.error(
            None,
            "",
            _("找不到表头：文件每个工作表的前 %(rows)d 行中，没有一行写着这些列名：%(columns)s")
            % {
                "rows": HEADER_SEARCH_ROWS,
                "columns": "、".join(str(c.header) for c in importer.columns),
            },
        )
    return tables


def _note_text(values: list) -> str | None:
    """The text of a note row (制表人：…), or None for a row that may be data. Runs for every
    row, so it looks at the first filled cell only, and at its first character first."""
    for value in values:
        if value is None or value == "":
            continue
        if type(value) is not str:
            return None
        text = value.strip()
        if not text:
            continue
        if text[0] in NOTE_FIRST_CHARACTERS and NOTE_RE.match(unicodedata.normalize("NFKC", text)):
            return text
        return None
    return None


def _continues_note(values: list) -> bool:
    """A row below a note that only carries more of it — one text, however merged, that is not
    a code: ``1. 统一社会信用代码为 18 位`` under ``填表说明：``. A data row has many values."""
    texts = {parsers.text(v) for v in values if not parsers.is_blank(v)}
    if len(texts) != 1:
        return False
    (text,) = texts
    return not CODE_LIKE_RE.match(re.sub(r"\s", "", text))


# --- the runner --------------------------------------------------------------------------------


def header_rows(importer_class, workbook: Workbook) -> int:
    """How many rows lie below the header of the sheets that have one (blank rows aside): a
    quick count before a check, for a progress bar."""
    wanted = {spelling: c for c in importer_class.columns for spelling in c.spellings()}
    total = 0
    for sheet in workbook.sheets:
        rows = list(iter_nonblank(sheet.rows))
        found = _find_header(rows, wanted)
        if found is not None:
            total += sum(1 for number, _values in rows if number > found[0])
    return total


def _as_workbook(source) -> Workbook:
    if isinstance(source, Workbook):
        return source
    return Workbook(sheets=[Sheet(name="", rows=list(source))])


def run_import(
    importer: Importer,
    source: Workbook | Iterable[NumberedRow],
    *,
    dry_run: bool = False,
    progress: Callable[[int, int], None] | None = None,
):
    """Validate every row of every table in ``source`` (a :class:`Workbook`, or numbered rows
    of one sheet), then — unless ``dry_run`` or a row is bad — write all of them in one
    transaction. ``progress(done, total)`` is called every few hundred rows. Returns the
    importer's :class:`ImportResult`. The cyclic garbage collector is paused meanwhile
    (:func:`.reading.cycle_collection_paused`)."""
    with cycle_collection_paused():
        return _run_import(importer, source, dry_run=dry_run, progress=progress)


def _run_import(importer, source, *, dry_run, progress):
    result = importer.result
    result.dry_run = dry_run
    workbook = _as_workbook(source)
    tables = _tables(importer, workbook)
    if not result.ok:
        return _finish(result)
    total = sum(len(t.rows) for t in tables)

    def validate_and_write():
        importer.load()
        done = 0
        for table in tables:
            if len(result.errors) > MAX_ERRORS:
                break
            done = _check_table(importer, table, done, total, progress)
        if not result.rows_read:
            importer.error(
                None, "", _("列名行下面没有数据：文件是空的，或数据不在列名所在的工作表")
            )
        importer.check_file()
        if result.errors or dry_run:
            return
        importer.write()
        result.written = True
        rows_written.send(sender=type(importer), importer=importer)

    if dry_run:
        validate_and_write()
    else:
        try:
            # Lookups, validation and writes in one transaction: all or nothing.
            with transaction.atomic():
                validate_and_write()
        except IntegrityError as exc:
            # Someone changed the same records between our read and our write; nothing
            # was written (the transaction rolled back).
            result.written = False
            importer.error(
                None,
                "",
                _("数据库拒绝写入（%(reason)s），未导入任何数据，请重试") % {"reason": exc},
            )
    if progress:
        progress(total, total)
    return _finish(result)


def _finish(result: ImportResult) -> ImportResult:
    sheet_order = {name: index for index, name in enumerate(result.sheets_read)}
    result.errors.sort(key=lambda e: (sheet_order.get(e.sheet, 0), e.row))
    result.warnings.sort(key=lambda e: (sheet_order.get(e.sheet, 0), e.row))
    return result


def _check_table(importer: Importer, table: _Table, done: int, total: int, progress) -> int:
    result = importer.result
    show_sheet = table.show_sheet
    present = frozenset(c.key for _i, c in table.positions)
    formulas = table.sheet.formula_cells
    hidden = table.sheet.hidden_rows
    result.merged_ranges += sum(1 for m in table.sheet.merged if m[2] > table.header_row)
    plan = _parse_plan(table.positions)
    errors = table.sheet.error_cells
    required = [index for index, column in table.positions if column.required]
    in_note = False
    for number, values in table.rows:
        if len(result.errors) >= MAX_ERRORS:
            _stop_reading(importer, table, number)
            break
        ref = RowRef(table.index, number, table.sheet.name, show_sheet)
        done += 1
        if progress and done % PROGRESS_EVERY == 0:
            progress(done, total)
        note = _note_text(values)
        if note is not None or (in_note and _continues_note(values)):
            in_note = True
            result.note_rows.append(_row_message(ref, "", note or _first_text(values)))
            continue
        in_note = False
        if values == table.header:
            # The header again (tables pasted one under another): said, not read as data.
            result.note_rows.append(_row_message(ref, "", _("重复的表头行")))
            continue
        if required and all(_blank_at(values, index) for index in required):
            if not any(
                (number, index) in formulas or (number, index) in errors
                for index, _c in table.positions
            ):
                result.unfilled_rows += 1  # only 序号 or a default filled down: not a row
                continue
        result.rows_read += 1
        if number in hidden:
            result.hidden_rows_read += 1
        result.raw_rows[ref] = values
        parsed, bad = _parse_row(importer, ref, values, plan, formulas, errors)
        if bad:
            # One reading names every error of the row: the checks its good cells allow.
            importer.check_bad_row(ref, parsed, present)
        else:
            importer.check_row(ref, parsed, present)
    return done


def _stop_reading(importer: Importer, table: _Table, number: int) -> None:
    importer.error(
        RowRef(table.index, number, table.sheet.name, table.show_sheet),
        "",
        _("错误超过 %(count)s 处，从这一行起不再检查：请先改正已列出的错误")
        % {"count": f"{MAX_ERRORS:,}"},
    )


def _first_text(values: list) -> str:
    return next((parsers.text(v) for v in values if not parsers.is_blank(v)), "")


def _parse_plan(positions: list[tuple[int, Column]]) -> list[tuple]:
    """What ``_parse_row`` needs of each column, unpacked once per table: it runs per cell."""
    return [
        (index, column.key, column.parse, column.required, column.max_length, column)
        for index, column in positions
    ]


def _blank_at(values: list, index: int) -> bool:
    return index >= len(values) or parsers.is_blank(values[index])


def _parse_row(
    importer, ref: RowRef, values: list, plan: list[tuple], formulas, errors
) -> tuple[dict, bool]:
    """The row's parsed cells (``{key: value}``, bad cells left out) and whether any cell was
    bad (its error given)."""
    parsed = {}
    bad = False
    width = len(values)
    for index, key, parse, required, max_length, column in plan:
        raw = values[index] if index < width else None
        if errors and (ref.number, index) in errors:
            importer.error(
                ref,
                column.header,
                _(
                    "单元格 %(cell)s 显示错误值 %(value)s（公式出错或引用的数据不存在）："
                    "请改正后再导入"
                )
                % {"cell": _cell_name(ref.number, index), "value": errors[(ref.number, index)]},
            )
            bad = True
            continue
        if formulas and (ref.number, index) in formulas:
            importer.error(
                ref,
                column.header,
                _(
                    "单元格 %(cell)s 是公式，但文件里没有保存计算结果（程序生成的文件常见）："
                    "请用 Excel 或 WPS 打开、保存后再导入"
                )
                % {"cell": _cell_name(ref.number, index)},
            )
            bad = True
            continue
        # parsers.is_blank, inline: this runs for every required cell of every row.
        if required and (raw is None or (isinstance(raw, str) and not raw.strip())):
            importer.error(ref, column.header, _("必填"))
            bad = True
            continue
        try:
            value = parse(raw)
        except parsers.CellError as exc:
            importer.error(ref, column.header, exc.reason)
            bad = True
            continue
        if max_length and type(value) is str and len(value) > max_length:
            importer.error(ref, column.header, _("超过 %(max)d 个字符") % {"max": max_length})
            bad = True
            continue
        parsed[key] = value
    return parsed, bad


def _cell_name(row: int, index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return f"{letters}{row}"
