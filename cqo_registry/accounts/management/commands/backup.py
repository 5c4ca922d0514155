from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from cqo_registry.backups import BackupError, backup_create


class Command(BaseCommand):
    help = _(
        "备份数据库（pg_dump 自定义格式）和全部私有文件（聘任文件等），合为一个归档文件 "
        "cqo-backup-YYYYMMDD-HHMMSS.tar，附清单（各表行数、各文件校验值）。"
        "用 restore 命令（make restore）恢复。需要 PostgreSQL 客户端 pg_dump。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output-dir",
            default=str(settings.CQO_BACKUP_DIR),
            help=_("归档文件存放的文件夹（默认 CQO_BACKUP_DIR，即 %(default)s）。")
            % {"default": settings.CQO_BACKUP_DIR},
        )
        parser.add_argument("--database", default="default", help=_("数据库别名。"))

    def handle(self, *args, output_dir, database, **options):
        try:
            archive, manifest = backup_create(output_dir=Path(output_dir), alias=database)
        except BackupError as error:
            raise CommandError(str(error)) from error
        rows = sum(manifest["tables"].values())
        self.stdout.write(
            _("已备份：%(path)s（%(tables)s 张表共 %(rows)s 行，%(files)s 个私有文件）")
            % {
                "path": archive,
                "tables": len(manifest["tables"]),
                "rows": rows,
                "files": len(manifest["files"]),
            }
        )
