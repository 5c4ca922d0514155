"""A/B timing of chosen drill-down pages, for comparing two checkouts on one database
(issue 11 §1: T3's pages and the first page of a date without a snapshot).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cqo_bench_dk_300k \\
        .venv/bin/python bench/bench_drilldown_ab.py [--root CHECKOUT] [--requests 10] [--json F]

``--root`` is the checkout whose code serves the pages (default: this one); run it for the
old and the new checkout alternately, back to back, on a database that ``bench_stats.py``
filled and snapshotted at D, so that both see the same data and about the same load. Pages:
the first and a middle page of T1 (a yardstick), of T3 "missing", of T3 county-wide and of
T3 "missing" of one town, and the first page at D + 1 (no snapshot: the list is counted) of
T1, T3 and T3 "missing". A middle page is reached by a cursor made here for the row halfway
down the list, as the page's own "next" link would carry it. Server time in-process through
``django.test.Client`` as a logged-in leader, ms p50 / p95 / max, and the queries of one
request. Prints one JSON object.

Where the checkout has the count endpoint (``reports:explain_count``, issue 11: the first
page of a date without a snapshot no longer waits for the count, the page's script fetches
it after), the count of each no-snapshot list is timed too, cold (the cache emptied before
every request: it counts) and warm (cached: what paging on costs), and the count shown is
taken from it. The cache is emptied before every request of a page as well, so that no page
is timed with a count another request left.
"""

import argparse
import hashlib
import json
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
parser.add_argument("--root", default=str(Path(__file__).resolve().parent.parent))
parser.add_argument("--requests", type=int, default=10)
parser.add_argument("--timeout", type=int, default=300, help="statement_timeout, seconds")
parser.add_argument("--json", help="also write the results to this file")
parser.add_argument("--only", help='page names to time, separated by ";" (default: all)')
args = parser.parse_args()

ROOT = Path(args.root).resolve()
# From the checkout itself: Django's start-up puts the working directory first on the path.
os.chdir(ROOT)
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cqo_registry.settings.test")

from bench_drilldown import COUNT, ROW  # noqa: E402
from bench_stats import D, load_average, percentile, set_statement_timeout  # noqa: E402


def main() -> None:
    import django

    django.setup()
    set_statement_timeout(args.timeout)
    from urllib.parse import quote

    from django.core.cache import cache
    from django.db import connections
    from django.test import Client
    from django.urls import NoReverseMatch, reverse

    from cqo_registry.accounts.models import Role, User
    from enterprises.models import Enterprise
    from reports import selectors
    from reports.selectors.keyset import FORWARD, Cursor, ordering
    from reports.views import drilldown as views

    leader, _ = User.objects.get_or_create(username="bench_leader", defaults={"role": Role.LEADER})
    client = Client()
    client.force_login(leader)
    town = Enterprise.objects.order_by("pk").values_list("town_id", flat=True).first()
    day, live = D.isoformat(), (D + timedelta(days=1)).isoformat()

    def middle(code, show, town_id=None, number=None):
        """The URL of the page that starts halfway down the list (a snapshot's date), or of
        page ``number`` when given."""
        explained = selectors.explained_for_code(code)
        rows = selectors.filter_show(
            selectors.explain_rows(explained, D, user=leader, town_id=town_id), show
        )
        keys = explained.kind.sort_keys
        total = rows.order_by().count()
        offset = total // 2 // views.PAGE_SIZE * views.PAGE_SIZE
        if number is not None:
            offset = min(number - 1, (total - 1) // views.PAGE_SIZE) * views.PAGE_SIZE
        fields = [key.field for key in keys]
        after = list(rows.order_by(*ordering(keys)).values_list(*fields)[offset - 1 : offset][0])
        scope = json.dumps([code, day, town_id, "", "", show, leader.pk], ensure_ascii=False)
        number = offset // views.PAGE_SIZE + 1
        token = Cursor(FORWARD, after, number, scope, {}).sign(views.CURSOR_SALT)
        query = f"as_of={day}&show={show}" + (f"&town={town_id}" if town_id else "")
        return f"/dashboard/explain/{code}/?{query}&cursor={quote(token)}", number

    pages = {
        # T1 county-wide: the yardstick, unchanged by this work (p95 34 ms on a quiet machine).
        "T1, first": (f"/dashboard/explain/T1/?as_of={day}", 1),
        "T1, middle": lambda: middle("T1", "all"),
        "T3 missing, first": (f"/dashboard/explain/T3/?as_of={day}&show=missing", 1),
        "T3 missing, middle": lambda: middle("T3", "missing"),
        "T3 all, first": (f"/dashboard/explain/T3/?as_of={day}&show=all", 1),
        "T3 all, middle": lambda: middle("T3", "all"),
        "T3 town missing, first": (
            f"/dashboard/explain/T3/?as_of={day}&show=missing&town={town}",
            1,
        ),
        "T3 town missing, middle": lambda: middle("T3", "missing", town),
        # Pages 20 and 200 (a town's list has fewer: its last page instead of 200).
        "T1, page 20": lambda: middle("T1", "all", number=20),
        "T1, page 200": lambda: middle("T1", "all", number=200),
        "T3 missing, page 20": lambda: middle("T3", "missing", number=20),
        "T3 missing, page 200": lambda: middle("T3", "missing", number=200),
        "T3 town missing, page 20": lambda: middle("T3", "missing", town, number=20),
        "T3 town missing, last page": lambda: middle("T3", "missing", town, number=10**6),
        "T1 no snapshot, first": (f"/dashboard/explain/T1/?as_of={live}", 1),
        "T3 no snapshot, first": (f"/dashboard/explain/T3/?as_of={live}", 1),
        "T3 missing no snapshot, first": (
            f"/dashboard/explain/T3/?as_of={live}&show=missing",
            1,
        ),
    }
    if args.only:
        wanted = set(args.only.split(";"))
        pages = {name: page for name, page in pages.items() if name in wanted}
    # A middle page is found only when it is to be timed (finding it counts the list).
    pages = {name: page() if callable(page) else page for name, page in pages.items()}
    try:
        reverse("reports:explain_count", args=["T1"])
        has_count_endpoint = True
    except NoReverseMatch:
        has_count_endpoint = False
    counts = {}
    if has_count_endpoint:
        for name in ("T1 no snapshot", "T3 no snapshot", "T3 missing no snapshot"):
            if f"{name}, first" not in pages:
                continue
            url = pages[f"{name}, first"][0].replace("/?", "/count/?", 1)
            counts[f"{name}, count (cold)"] = (url, True)
            counts[f"{name}, count (warm)"] = (url, False)
    executed = []

    def count(execute, sql, params, many, context):
        executed.append(sql)
        return execute(sql, params, many, context)

    out = {
        "code": str(Path(views.__file__).resolve().parents[2]),
        "started": datetime.now(UTC).isoformat(),
        "load_before": load_average(),
        "enterprises": Enterprise.objects.count(),
        "pages": {},
    }
    json_accept = {"HTTP_ACCEPT": "application/json"}
    for name, (url, number) in pages.items():
        cache.clear()
        response = client.get(url)  # warm (plans), and check
        assert response.status_code == 200, (name, response.status_code)
        body = response.content.decode()
        rows, shown = ROW.findall(body), COUNT.search(body)
        assert rows, name
        shown = int(shown.group(1).replace(",", "")) if shown else None
        if shown is None and has_count_endpoint:  # fetched after the page, as its script does
            counted = client.get(url.replace("/?", "/count/?", 1), **json_accept)
            shown = counted.json()["count"]
        executed.clear()
        cache.clear()
        with connections["default"].execute_wrapper(count):
            client.get(url)
        times, cpu = [], []
        for _ in range(args.requests):
            cache.clear()
            started, cpu_started = time.perf_counter(), time.process_time()
            client.get(url)
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - cpu_started) * 1000)
        out["pages"][name] = {
            "page": number,
            "rows": len(rows),
            "first_row": int(rows[0]),
            # The page's rows, to show that two checkouts list the same rows.
            "rows_digest": hashlib.sha256(",".join(rows).encode()).hexdigest()[:12],
            "count": shown,
            "queries": len(executed),
            "p50_ms": percentile(times, 50),
            "p95_ms": percentile(times, 95),
            "max_ms": max(times),
            # This process's CPU (the view, the ORM, the template; not the database's): less
            # inflated by other load on the machine than the wall clock.
            "cpu_p50_ms": percentile(cpu, 50),
            "cpu_p95_ms": percentile(cpu, 95),
        }
        print(name, json.dumps(out["pages"][name]), file=sys.stderr)
    for name, (url, cold) in counts.items():
        cache.clear()
        response = client.get(url, **json_accept)
        assert response.status_code == 200, (name, response.status_code)
        executed.clear()
        if cold:
            cache.clear()
        with connections["default"].execute_wrapper(count):
            client.get(url, **json_accept)
        times = []
        for _ in range(args.requests):
            if cold:
                cache.clear()
            started = time.perf_counter()
            client.get(url, **json_accept)
            times.append((time.perf_counter() - started) * 1000)
        out["pages"][name] = {
            "count": response.json()["count"],
            "queries": len(executed),
            "p50_ms": percentile(times, 50),
            "p95_ms": percentile(times, 95),
            "max_ms": max(times),
        }
        print(name, json.dumps(out["pages"][name]), file=sys.stderr)
    out["load_after"] = load_average()
    if args.json:
        Path(args.json).write_text(json.dumps(out, ensure_ascii=False, indent=1))
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
