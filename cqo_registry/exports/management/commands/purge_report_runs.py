"""``manage.py purge_report_runs``: delete background exports (rows and files) older than
``CQO_EXPORT_RETENTION_DAYS`` now, as beat's daily task does."""

from django.core.management.base import BaseCommand

from cqo_registry.exports.services import report_runs_purge


class Command(BaseCommand):
    help = "Delete background exports (and their files) past CQO_EXPORT_RETENTION_DAYS."

    def handle(self, *args, **options):
        deleted = report_runs_purge()
        self.stdout.write(f"{deleted} report run(s) deleted.")
