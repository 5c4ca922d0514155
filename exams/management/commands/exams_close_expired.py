"""``manage.py exams_close_expired``: submit every paper past its deadline (issue 20). The
pages submit a paper lazily when they see it expired; this closes the ones nobody looks at
(run it from cron or the beat schedule every few minutes)."""

from django.core.management.base import BaseCommand

from exams.services import papers_close_expired


class Command(BaseCommand):
    help = "Submit every exam paper past its deadline."

    def handle(self, *args, **options):
        done = papers_close_expired()
        self.stdout.write(f"{done} paper(s) submitted at their deadline")
