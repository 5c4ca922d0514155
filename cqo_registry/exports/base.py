"""What a kind of background export is (issue 15 §2), and the kinds by name.

A kind builds one file from a run's ``parameters`` for a user whose scope is the requester's
at the time they asked (:func:`cqo_registry.exports.services.scope_user`). Each app defines
its kinds next to its synchronous export and both use the same rows and columns, so a file
is the same whether it was sent at once or built by the task. The kinds are named here by
dotted path (like ``cqo_registry.importing.registry``): the shared kit imports no app."""

import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date

from django.db.models import QuerySet
from django.http import HttpResponse, QueryDict
from django.utils.module_loading import import_string

from cqo_registry.audit.services import Counted, audit_export
from cqo_registry.responses import excel_response
from cqo_registry.spreadsheets import Column, table_workbook

# done, total (None: keep the total the run was given)
Progress = Callable[[int, int | None], None]

# Rows fetched per round trip and written between two progress reports. The workbook is
# write-only (rows go to a temporary file as they come), so memory holds one chunk.
CHUNK_ROWS = 2000

KINDS = {
    "assessment_xlsx": "reports.exports.AssessmentExcel",
    "assessment_pdf": "reports.exports.AssessmentPdf",
    "registry": "reports.exports.RegistryExport",
    "explain": "reports.exports.ExplainExport",
    "vacancies": "enterprises.exports.VacancyExport",
    "untrained": "training.exports.UntrainedExport",
    "confirmations": "confirmations.exports.RoundExport",
    "audit": "cqo_registry.audit.exports.AuditExport",
    "exam_results": "exams.exports.ResultsExport",
}


def get_kind(slug: str) -> "ExportKind":
    """The kind named ``slug`` (an instance). Raises ``KeyError`` for an unknown name."""
    return import_string(KINDS[slug])()


class ExportKind:
    """One kind of file. Subclasses set ``slug`` (its key in :data:`KINDS`), ``permission``
    (asked when the export starts and again when its file is downloaded), ``extension``
    (``"xlsx"`` or ``"pdf"``) and ``audit_name`` (the export's name in the audit trail, as
    the synchronous view writes it; ``None`` when that view writes no audit row), and
    implement :meth:`title`, :meth:`filename` and :meth:`write` (which reports its
    progress as ``progress(done, total)``)."""

    slug = ""
    permission = ""
    extension = "xlsx"
    audit_name: str | None = None

    def title(self, parameters: dict) -> str:
        raise NotImplementedError

    def filename(self, parameters: dict) -> str:
        raise NotImplementedError

    def write(self, user, parameters: dict, output, progress: Progress) -> int:
        """Write the file to ``output`` (a binary file object) and return its data rows."""
        raise NotImplementedError

    def audit_object(self, parameters: dict):
        """The row the audit event names (``None``: none)."""
        return None

    def audit_export_name(self, parameters: dict) -> str | None:
        return self.audit_name


class TableExport(ExportKind):
    """A one-sheet list: :meth:`rows` (a queryset scoped to ``user``) and :meth:`columns`
    (``spreadsheets.Column`` triples), streamed into a write-only workbook."""

    def rows(self, user, parameters: dict) -> QuerySet:
        raise NotImplementedError

    def columns(self, user, parameters: dict) -> Sequence[Column]:
        raise NotImplementedError

    def sheet_title(self, parameters: dict) -> str:
        return self.title(parameters)

    def write(self, user, parameters: dict, output, progress: Progress) -> int:
        # No COUNT here: the request counted the rows to decide on a task and the run holds
        # that total (a second count of a slow list would cost as much again).
        rows = self.rows(user, parameters)
        counted = Reporting(rows.iterator(chunk_size=CHUNK_ROWS), progress, total=None)
        workbook = table_workbook(
            self.sheet_title(parameters), self.columns(user, parameters), counted
        )
        workbook.save(output)
        return counted.count


class DayListExport(TableExport):
    """A list page's export as of a day. ``parameters``: ``query`` (the page's filters, as a
    query string) and ``day`` (the ISO date it was asked on). Subclasses set ``heading`` (the
    file's and the sheet's title, lazily translated) and ``filename_format`` (formatted with
    ``day``, a ``date``: ``"list-{day:%Y%m%d}.xlsx"``), and implement :meth:`list_rows` and
    :meth:`list_columns`."""

    heading = ""
    filename_format = ""

    def list_rows(self, user, query: QueryDict, day: date) -> QuerySet:
        raise NotImplementedError

    def list_columns(self, user, day: date) -> Sequence[Column]:
        raise NotImplementedError

    def response(self, request, rows: QuerySet, day: date) -> HttpResponse:
        """The list sent at once (the synchronous export): ``rows``, already scoped to
        ``request.user``, as the workbook the task builds for the same rows — title, columns,
        file name — with the export recorded in the audit trail under :attr:`audit_name`."""
        counted = Counted(rows.iterator(chunk_size=CHUNK_ROWS))
        columns = self.list_columns(request.user, day)
        workbook = table_workbook(str(self.heading), columns, counted)
        audit_export(request, export=self.audit_name, rows=counted.count)
        return excel_response(workbook, filename=self.filename_format.format(day=day))

    def title(self, parameters):
        return str(self.heading)

    def filename(self, parameters):
        return self.filename_format.format(day=date.fromisoformat(parameters["day"]))

    def rows(self, user, parameters):
        query = QueryDict(parameters.get("query", ""))
        return self.list_rows(user, query, date.fromisoformat(parameters["day"]))

    def columns(self, user, parameters):
        return self.list_columns(user, date.fromisoformat(parameters["day"]))


class Reporting:
    """Iterates ``rows``, counting them and reporting ``progress(done, total)`` every
    :data:`CHUNK_ROWS` rows and at the end. ``count`` is the rows seen. ``total`` ``None``:
    not known here (the run keeps the total it was given)."""

    def __init__(self, rows: Iterable, progress: Progress, *, total: int | None):
        self._rows = rows
        self._progress = progress
        self.total = total
        self.count = 0

    def __iter__(self) -> Iterator:
        for row in self._rows:
            self.count += 1
            if self.count % CHUNK_ROWS == 0:
                self._progress(self.count, self.total)
            yield row
        self._progress(self.count, self.total)


def spooled_output():
    """A temporary binary file for a file being built (the storage then copies it)."""
    return tempfile.TemporaryFile()
