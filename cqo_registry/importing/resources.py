"""A django-import-export resource whose import runs one of our importers.

The admin's import page calls ``resource.import_data(dataset, dry_run=True)`` for the preview
and ``import_data(dataset, dry_run=False)`` on confirm. Both go through the same importer as
``manage.py import_data`` — same columns, same row checks, same all-or-nothing writes — and the
outcome is translated into the ``Result`` the admin's template shows: bad rows as
``invalid_rows`` (spreadsheet row number, column, reason), good ones as new/update/skip rows.
Export writes exactly the file's columns with their Chinese headers, so an exported file
imports again unchanged."""

from collections import defaultdict
from datetime import date, datetime

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils import translation
from django.utils.translation import gettext as _
from import_export import resources
from import_export.results import Result, RowResult

from .base import CREATED, UNCHANGED, UPDATED, ImportResult, run_import
from .reading import rows_from_dataset

# The preview page renders one table row per file row. For a 20,000-row file that page would
# weigh tens of megabytes and take seconds to render, so the preview shows the first rows
# only; the totals (and the success message after confirming) count every row.
PREVIEW_ROW_LIMIT = 200
# Every bad row is reported, up to this many on the page (the command line lists them all).
ERROR_ROW_LIMIT = 1000

IMPORT_TYPES = {
    CREATED: RowResult.IMPORT_TYPE_NEW,
    UPDATED: RowResult.IMPORT_TYPE_UPDATE,
    UNCHANGED: RowResult.IMPORT_TYPE_SKIP,
}


def yes_no(value) -> str:
    # The file format is Chinese whatever the user's language: the untranslated msgids.
    with translation.override(None):
        return _("是") if value else _("否")


def _display(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class ImporterResource(resources.ModelResource):
    """Subclasses set ``importer_class`` and declare one export field per file column."""

    importer_class = None

    def __init__(self, *, create_towns: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.create_towns = create_towns

    def get_user_visible_fields(self):
        # The import page lists these as the columns the file must have.
        return self.get_export_fields()

    def import_data(
        self,
        dataset,
        dry_run=False,
        raise_errors=False,
        use_transactions=None,
        collect_failed_rows=False,
        rollback_on_validation_errors=False,
        **kwargs,
    ):
        user = kwargs.get("user")
        importer = self.importer_class(
            user=user if getattr(user, "is_authenticated", False) else None,
            create_towns=kwargs.get("create_towns", self.create_towns),
            file_name=kwargs.get("file_name") or "",
        )
        outcome = run_import(importer, rows_from_dataset(dataset), dry_run=dry_run)
        return self.build_result(outcome)

    def build_result(self, outcome: ImportResult) -> Result:
        result = self.get_result_class()()
        result.diff_headers = outcome.headers or [
            str(c.header) for c in self.importer_class.columns
        ]
        result.total_rows = outcome.rows_read

        def cells(row: int) -> dict:
            raw = outcome.raw_rows.get(row, [])
            return {
                header: _display(raw[index]) if index < len(raw) else ""
                for header, index in outcome.positions.items()
            }

        if outcome.errors:
            by_row = defaultdict(lambda: defaultdict(list))
            for error in outcome.errors:
                by_row[error.row][error.column or NON_FIELD_ERRORS].append(error.reason)
            for row in sorted(by_row)[:ERROR_ROW_LIMIT]:
                result.append_invalid_row(
                    number=row, row=cells(row), validation_error=ValidationError(by_row[row])
                )
            hidden = len(by_row) - ERROR_ROW_LIMIT
            if hidden > 0:
                result.append_invalid_row(
                    number="…",
                    row={},
                    validation_error=ValidationError(
                        _(
                            "另有 %(count)d 行有错误未列出；请改正以上各行后重新上传，"
                            "或用命令行 import_data 查看全部错误"
                        )
                        % {"count": hidden}
                    ),
                )
            result.totals[RowResult.IMPORT_TYPE_INVALID] = len(by_row)
            return result

        for index, row_outcome in enumerate(outcome.outcomes):
            import_type = IMPORT_TYPES[row_outcome.action]
            result.totals[import_type] += 1
            if outcome.dry_run and index >= PREVIEW_ROW_LIMIT:
                continue
            row_result = RowResult()
            row_result.import_type = import_type
            row_result.number = row_outcome.row
            if outcome.dry_run:
                values = cells(row_outcome.row)
                row_result.diff = [values.get(h, "") for h in result.diff_headers]
            else:
                # Rows of the registry that did not change are compared as plain values.
                if hasattr(row_outcome.obj, "pk"):
                    row_result.instance = row_outcome.obj
                    row_result.add_instance_info(row_outcome.obj)
            result.append_row_result(row_result)
        return result
