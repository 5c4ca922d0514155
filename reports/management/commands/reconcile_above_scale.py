"""``manage.py reconcile_above_scale FILE [--apply]`` (issue 17 §1): compare the statistics
bureau's above-scale list with the registry and print what would change — or, with
``--apply``, change it, all or nothing. A bad row changes nothing and exits non-zero."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from cqo_registry.import_rows import report_to_command
from cqo_registry.importing import UnreadableFile, read_workbook, run_import
from enterprises.importers import scale_label
from reports.reconciliation import JOINED, LEFT, NEW, AboveScaleImporter


class Command(BaseCommand):
    help = (
        "Reconcile the registry with the statistics bureau's above-scale list (.xlsx, .xls or "
        ".ods; columns 统一社会信用代码, 企业名称, 所属镇 optional). Without --apply, only shows "
        "what would change."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument(
            "--apply", action="store_true", help="Apply the reconciliation (one transaction)."
        )

    def handle(self, *args, file, apply, **options):
        try:
            workbook = read_workbook(Path(file))
        except UnreadableFile as exc:
            raise CommandError(str(exc)) from exc
        importer = AboveScaleImporter(file_name=Path(file).name)
        result = run_import(importer, workbook, dry_run=not apply)
        report_to_command(self, result, _("比对失败：%(rows)d 行有错误，未改动任何数据。"))
        self._print(result.details)
        if apply:
            self.stdout.write(self.style.SUCCESS(_("已应用比对结果。")))
        else:
            self.stdout.write(
                self.style.SUCCESS(_("以上为比对结果，未改动数据；加 --apply 应用。"))
            )

    def _print(self, details: dict) -> None:
        write = self.stdout.write
        counts, without = details["counts"], details["without_cqo"]
        write(
            _("名录 %(on_list)d 家，与系统一致 %(unchanged)d 家（统计日期 %(day)s）。")
            % {
                "on_list": details["on_list"],
                "unchanged": details["unchanged"],
                "day": details["as_of"],
            }
        )
        groups = (
            (NEW, _("新进规上、系统中没有（将新建，待完善）")),
            (JOINED, _("新进规上、系统中已有（规模将改为规模以上）")),
            (LEFT, _("退出规上（规模将改为中小企业）")),
        )
        for key, title in groups:
            write(
                _("%(title)s：%(count)d 家，其中没有已备案首席质量官 %(without)d 家")
                % {"title": title, "count": counts[key], "without": without[key]}
            )
            for entry in details[key]:
                parts = (
                    entry["uscc"],
                    entry["name"],
                    entry["town"] or _("（所属镇待完善）"),
                    scale_label(entry["scale_before"]) if entry["scale_before"] else "",
                    _("有已备案首席质量官") if entry["has_cqo"] else _("无已备案首席质量官"),
                )
                write("  " + "  ".join(part for part in parts if part))
        for target in details["targets"]:
            write(
                _(
                    "%(code)s：统计对象 %(population_before)d → %(population_after)d，"
                    "达标 %(counted_before)d → %(counted_after)d"
                )
                % target
            )
