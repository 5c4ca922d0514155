"""Excel imports (SPEC §4, §5): one reading layer (:mod:`.reading`), one definition of each
file's columns and row validation (the ``*/importers.py`` of each app, on :mod:`.base`), used by
``manage.py import_data`` and by the browser's imports."""

from . import parsers
from .base import (
    CREATED,
    UNCHANGED,
    UPDATED,
    Column,
    Importer,
    ImportResult,
    RowError,
    RowOutcome,
    RowRef,
    run_import,
    validation_reason,
)
from .reading import ReadLimits, Sheet, UnreadableFile, Workbook, read_workbook, rows_from_dataset

__all__ = [
    "CREATED",
    "UNCHANGED",
    "UPDATED",
    "Column",
    "ImportResult",
    "Importer",
    "RowError",
    "RowOutcome",
    "RowRef",
    "ReadLimits",
    "Sheet",
    "UnreadableFile",
    "Workbook",
    "parsers",
    "read_workbook",
    "rows_from_dataset",
    "run_import",
    "validation_reason",
]
