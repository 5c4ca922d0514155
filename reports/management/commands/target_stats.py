import json
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from reports import statistics


def parse_day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--as-of must be a date YYYY-MM-DD, got {value!r}") from exc


class Command(BaseCommand):
    help = "Print each target's figures as of a date (SPEC §3, §5)."

    def add_arguments(self, parser):
        parser.add_argument("--as-of", help="YYYY-MM-DD (default: today, Asia/Shanghai)")
        parser.add_argument("--format", choices=["json", "table"], default="table")

    def handle(self, *args, as_of=None, format="table", **options):
        day = parse_day(as_of) if as_of else timezone.localdate()
        results = statistics.compute_all(day)
        if format == "json":
            self.stdout.write(json.dumps(statistics.as_json(day, results), ensure_ascii=False))
            return
        self.stdout.write(f"统计日期 {day.isoformat()}")
        for result in results:
            self._write_table(result)

    def _write_table(self, result):
        target = result.target
        self.stdout.write("")
        self.stdout.write(f"{target.code} {target.name}（时限 {target.deadline}）")
        self.stdout.write(f"  {'范围':<16}{'应统计':>8}{'已达标':>8}{'比例':>9}")
        rows = [("全县", result.total)]
        rows += [(name, fig) for name, fig in sorted(result.by_town.items())]
        rows += [(f"行业 {key}", fig) for key, fig in sorted(result.by_industry.items())]
        for label, fig in rows:
            rate = "—" if fig.rate is None else f"{fig.rate:.1%}"
            self.stdout.write(f"  {label:<16}{fig.population:>8}{fig.counted:>8}{rate:>9}")
