from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from cqo_registry.backups import BackupError, backup_restore


class Command(BaseCommand):
    help = _(
        "从 backup 命令（make backup）生成的归档文件恢复数据库和私有文件，并按清单核对各表行数"
        "和各文件校验值。目标数据库应为新建的空数据库；要覆盖已有数据时加 --force。"
        "需要 PostgreSQL 客户端 pg_restore。"
    )

    def add_arguments(self, parser):
        parser.add_argument("archive", help=_("备份归档文件（cqo-backup-….tar）。"))
        parser.add_argument(
            "--force",
            action="store_true",
            help=_("目标数据库已有数据时仍然恢复（先删除归档中的对象再重建）。"),
        )
        parser.add_argument("--database", default="default", help=_("数据库别名。"))

    def handle(self, *args, archive, force, database, **options):
        try:
            report = backup_restore(archive=Path(archive), alias=database, force=force)
        except BackupError as error:
            raise CommandError(str(error)) from error
        if report.mismatches:
            raise CommandError(
                _("恢复后核对不一致：%(details)s") % {"details": "；".join(report.mismatches)}
            )
        self.stdout.write(
            _("已恢复并核对：%(tables)s 张表的行数、%(files)s 个私有文件的校验值均与备份一致。")
            % {"tables": report.tables, "files": report.files}
        )
