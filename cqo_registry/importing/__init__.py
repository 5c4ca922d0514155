"""Excel imports (SPEC §4, §5): one definition of each file's columns and row validation,
used by ``manage.py import_data`` and by the admin's import (django-import-export)."""

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
    run_import,
    validation_reason,
)
from .reading import UnreadableFile, read_workbook, rows_from_dataset

__all__ = [
    "CREATED",
    "UNCHANGED",
    "UPDATED",
    "Column",
    "ImportResult",
    "Importer",
    "RowError",
    "RowOutcome",
    "UnreadableFile",
    "parsers",
    "read_workbook",
    "rows_from_dataset",
    "run_import",
    "validation_reason",
]
