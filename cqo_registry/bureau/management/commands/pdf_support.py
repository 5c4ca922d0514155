from django.core.management.base import BaseCommand

from cqo_registry import pdf_support


class Command(BaseCommand):
    help = "Say whether PDFs (receipts, reports) can print Chinese here, and what to install."

    def handle(self, *args, **options):
        problems = pdf_support.missing()
        if not problems:
            self.stdout.write("PDF receipts and reports: Pango and a Chinese font are installed.")
            return
        self.stdout.write(
            self.style.WARNING(
                "PDF receipts and reports cannot print Chinese here: missing "
                + ", ".join(problems)
                + ".\nInstall with one line:\n  "
                + pdf_support.APT_LINE
            )
        )
