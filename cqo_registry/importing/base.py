"""The all-or-nothing import runner shared by the command line and the admin.

An :class:`Importer` subclass describes one file: its columns (Chinese headers), how each
row is checked against lookups loaded once into dicts, file-wide checks, and the bulk writes.
:func:`run_import` validates every row first and collects every bad row; only when no row is
bad does it write, inside one ``transaction.atomic``, with ``bulk_create``/``bulk_update`` (and
their history) in batches. A dry run validates and counts without writing."""

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import parsers
from .bulk import insert_with_history, update_with_history
from .reading import NumberedRow, iter_nonblank

CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"
# How many leading rows may hold a title (e.g. a merged “XX县企业名录” banner) above the header.
HEADER_SEARCH_ROWS = 10
HEADER_NOISE_RE = re.compile(r"[\s*＊]|[（(]\s*(必填|选填|是/否|YYYY-MM-DD)\s*[)）]")


@dataclass(frozen=True)
class Column:
    header: str  # the Chinese header, as in SPEC §4
    key: str
    parse: Callable = parsers.text
    required: bool = False  # the column must be in the file and every cell filled
    max_length: int | None = None


@dataclass(frozen=True)
class RowError:
    row: int  # the spreadsheet row number; the header is row 1
    column: str  # the column header, '' for a whole-row problem
    reason: str

    def __str__(self) -> str:
        if self.column:
            return _("第 %(row)d 行 [%(column)s]：%(reason)s") % {
                "row": self.row,
                "column": self.column,
                "reason": self.reason,
            }
        return _("第 %(row)d 行：%(reason)s") % {"row": self.row, "reason": self.reason}


@dataclass
class RowOutcome:
    """What happens to the file's main record of one row (for the admin's preview)."""

    row: int
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
    outcomes: list[RowOutcome] = field(default_factory=list)
    raw_rows: dict[int, list] = field(default_factory=dict)
    # header -> index of its cell in ``raw_rows`` (for showing a row as the file has it)
    positions: dict[str, int] = field(default_factory=dict)
    rows_read: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    def count(self, label: str, action: str, n: int = 1) -> None:
        bucket = self.counts.setdefault(label, {CREATED: 0, UPDATED: 0, UNCHANGED: 0})
        bucket[action] += n

    def summary_lines(self) -> list[str]:
        lines = []
        for label, bucket in self.counts.items():
            lines.append(
                _("%(label)s：新增 %(created)d，更新 %(updated)d，未变 %(unchanged)d")
                % {"label": label, **bucket}
            )
        return lines


class Importer:
    """One file's definition. Subclasses set the class attributes and implement ``load``,
    ``check_row``, ``check_file`` (optional) and ``write``; they report problems with
    :meth:`error` and outcomes with :meth:`outcome` / ``self.result.count``."""

    kind: str = ""
    title = gettext_lazy("导入")
    columns: list[Column] = []
    batch_size = 1000

    def __init__(self, *, user=None, create_towns: bool = False, file_name: str = ""):
        self.user = user
        self.create_towns = create_towns
        self.file_name = file_name
        self.result = ImportResult(kind=self.kind)

    # --- hooks ---------------------------------------------------------------------------
    def load(self) -> None:
        """Load every lookup the rows need, once (no query per row)."""

    def check_row(self, row: int, values: dict, present: frozenset) -> None:
        raise NotImplementedError

    def check_file(self) -> None:
        """Checks across rows, after every row has been seen."""

    def write(self) -> None:
        raise NotImplementedError

    # --- helpers for subclasses ----------------------------------------------------------
    def error(self, row: int, column: str, reason: str) -> None:
        self.result.errors.append(RowError(row, str(column), str(reason)))

    def outcome(self, row: int, label: str, action: str, obj) -> None:
        self.result.count(label, action)
        self.result.outcomes.append(RowOutcome(row, action, obj))

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


def validation_reason(exc: ValidationError) -> str:
    return "；".join(str(m) for m in exc.messages)


def normalise_header(value) -> str:
    return HEADER_NOISE_RE.sub("", parsers.text(value))


def _find_header(importer: Importer, rows: list[NumberedRow]):
    wanted = {normalise_header(c.header): c for c in importer.columns}
    for number, values in rows[:HEADER_SEARCH_ROWS]:
        if any(normalise_header(v) in wanted for v in values):
            return number, values, wanted
    return None, None, wanted


def _map_header(importer: Importer, number: int, values: list, wanted: dict):
    positions: list[tuple[int, Column]] = []
    seen: dict[str, int] = {}
    for index, cell in enumerate(values):
        column = wanted.get(normalise_header(cell))
        if column is None:
            continue  # extra columns (remarks, serial numbers) are ignored
        if column.key in seen:
            importer.error(number, column.header, _("表头重复"))
            continue
        seen[column.key] = index
        positions.append((index, column))
    missing = [str(c.header) for c in importer.columns if c.required and c.key not in seen]
    if missing:
        importer.error(number, "", _("缺少必需的列：%(columns)s") % {"columns": "、".join(missing)})
    return positions


def run_import(importer: Importer, rows: Iterable[NumberedRow], *, dry_run: bool = False):
    """Validate every row, then (unless ``dry_run`` or a row is bad) write all of them in one
    transaction. Returns the importer's :class:`ImportResult`."""
    result = importer.result
    result.dry_run = dry_run
    rows = list(iter_nonblank(rows))
    header_row, header_values, wanted = _find_header(importer, rows)
    if header_row is None:
        importer.error(
            1,
            "",
            _("找不到表头，第一行应为列名：%(columns)s")
            % {"columns": "、".join(str(c.header) for c in importer.columns)},
        )
        return result
    positions = _map_header(importer, header_row, header_values, wanted)
    result.headers = [str(c.header) for _i, c in positions]
    result.positions = {str(c.header): i for i, c in positions}
    if not result.ok:
        return result
    present = frozenset(c.key for _i, c in positions)

    def validate_and_write():
        importer.load()
        for number, values in rows:
            if number <= header_row:
                continue
            result.rows_read += 1
            result.raw_rows[number] = values
            parsed = {}
            bad = False
            for index, column in positions:
                raw = values[index] if index < len(values) else None
                if column.required and parsers.is_blank(raw):
                    importer.error(number, column.header, _("必填"))
                    bad = True
                    continue
                try:
                    value = column.parse(raw)
                except parsers.CellError as exc:
                    importer.error(number, column.header, exc.reason)
                    bad = True
                    continue
                if column.max_length and isinstance(value, str) and len(value) > column.max_length:
                    importer.error(
                        number,
                        column.header,
                        _("超过 %(max)d 个字符") % {"max": column.max_length},
                    )
                    bad = True
                    continue
                parsed[column.key] = value
            if not bad:
                importer.check_row(number, parsed, present)
        importer.check_file()
        if result.errors or dry_run:
            return
        importer.write()
        result.written = True

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
                0, "", _("数据库拒绝写入（%(reason)s），未导入任何数据，请重试") % {"reason": exc}
            )
    result.errors.sort(key=lambda e: e.row)
    return result
