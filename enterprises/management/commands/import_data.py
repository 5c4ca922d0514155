"""``manage.py import_data {enterprises|appointments|training} FILE [--dry-run]
[--create-towns]`` (SPEC §5): all or nothing; every bad row is reported, with its sheet."""

import time
from pathlib import Path

from django.core.checks import Tags
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from cqo_registry.import_rows import report_to_command
from cqo_registry.importing import UnreadableFile, read_workbook, run_import
from cqo_registry.importing.registry import DATA_KINDS, get_importer_class


class Command(BaseCommand):
    help = "Import an Excel file (.xlsx, .xls or .ods) of enterprises, appointments or training."
    # The models' checks only: an import writes rows and serves no page, so the URL, admin,
    # template and static-file checks (which import every view module: ~0.3 s of each run)
    # are left to `check`, `migrate` and the deploy's `check --deploy`.
    requires_system_checks = [Tags.models]

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=DATA_KINDS)
        parser.add_argument("file")
        parser.add_argument(
            "--dry-run", action="store_true", help="Validate and count; write nothing."
        )
        parser.add_argument(
            "--create-towns",
            action="store_true",
            help="Create towns the enterprises file names but the registry lacks.",
        )

    def handle(self, *args, kind, file, dry_run, create_towns, **options):
        started = time.perf_counter()
        try:
            workbook = read_workbook(Path(file))
        except UnreadableFile as exc:
            raise CommandError(str(exc)) from exc
        importer = get_importer_class(kind)(
            create_towns=create_towns, file_name=Path(file).name, from_command_line=True
        )
        result = run_import(importer, workbook, dry_run=dry_run)
        report_to_command(self, result, _("导入失败：%(rows)d 行有错误，未写入任何数据。"))
        for line in result.summary_lines():
            self.stdout.write(line)
        elapsed = time.perf_counter() - started
        if dry_run:
            message = _("试运行：共 %(rows)d 行，全部有效，未写入数据（%(seconds).2f 秒）。")
        else:
            message = _("导入完成：共 %(rows)d 行（%(seconds).2f 秒）。")
        self.stdout.write(
            self.style.SUCCESS(message % {"rows": result.rows_read, "seconds": elapsed})
        )
