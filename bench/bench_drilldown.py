"""Benchmark of the drill-down pages at any depth (issue 11 §1: any 50-row page p95 ≤ 100 ms at
300,000 enterprises, constant query counts).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cqo_bench_300k \\
        .venv/bin/python bench/bench_drilldown.py [--requests 30] [--timeout 300] [--json FILE]

Runs on a database that ``bench_stats.py`` filled (``--reuse`` there; nothing is dropped or
loaded here) and that holds the snapshot of D that ``bench_stats.py`` takes. For each list —
T1 county-wide, T1 of one town "missing", T3 "missing" county-wide and of one town (from
the snapshot of D, so the count is the snapshot's), and T1 at D + 1 (no snapshot: no page
counts the list; its count is fetched once after the first page, as the page's script does,
and cached) — it:

1. walks the whole list as a person would, following each page's "next" link from the first
   page to the last, timing every request once, and checks that the rows (``data-row`` of
   the table) come each exactly once, as many as the page says there are;
2. requests the first, the middle and the last page ``--requests`` times each (p50 / p95 /
   max, server time in-process through ``django.test.Client`` as a logged-in leader) and
   counts their queries.

3. (``--keys``) times the query that picks a page's rows alone, in-process, for the first,
   middle and last page of T1 and of T3 "missing": by keyset (this code) and by OFFSET (what
   the pages did before: the same ordered list sliced ``[offset:offset + 51]``), alternately,
   so that both see the same load on a shared machine.

Prints a Markdown section for bench/RESULTS.md (machine, load average before and after).
"""

import argparse
import html
import json
import os
import re
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cqo_registry.settings.test")

from bench_stats import (  # noqa: E402 (after the path)
    D,
    load_average,
    machine,
    percentile,
    server_settings,
    set_statement_timeout,
)

NEXT = re.compile(r'rel="next" href="([^"]+)"')
ROW = re.compile(r'data-row="(\d+)"')
COUNT = re.compile(r'id="explain-table">\s*<caption[^>]*>[^<0-9]*([0-9,]+)')


def get(client, url: str):
    started = time.perf_counter()
    response = client.get(url)
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode(), elapsed


def walk(client, first_url: str) -> dict:
    """Every page of a list by its "next" links: the page URLs, each request's time, and
    whether every row came exactly once (and as many as the list's count says)."""
    path = first_url.split("?", 1)[0]
    urls, times, rows = [], [], []
    url = first_url
    count = None
    while url:
        body, elapsed = get(client, url)
        urls.append(url)
        times.append(elapsed)
        rows += ROW.findall(body)
        if count is None:
            match = COUNT.search(body)
            count = int(match.group(1).replace(",", "")) if match else None
        if count is None and len(urls) == 1:
            # A date without a snapshot: the page does not wait for its count, which its
            # script fetches afterwards (issue 11) — as here.
            counted = client.get(
                first_url.replace("/?", "/count/?", 1), HTTP_ACCEPT="application/json"
            )
            count = counted.json()["count"] if counted.status_code == 200 else None
        link = NEXT.search(body)
        url = path + html.unescape(link.group(1)) if link else None
    return {
        "urls": urls,
        "pages": len(urls),
        "rows": len(rows),
        "count": count,
        "each_once": len(rows) == len(set(rows)),
        "matches_count": count == len(rows),
        "walk_p50_ms": percentile(times, 50),
        "walk_p95_ms": percentile(times, 95),
        "walk_max_ms": max(times),
        "walk_s": sum(times) / 1000,
    }


def timed(client, url: str, requests: int) -> dict:
    from contextlib import ExitStack

    from django.db import connections

    # Counted by a wrapper around every execute (CaptureQueriesContext loses them: the test
    # client's request_started signal resets the connection's query log mid-request).
    executed = []

    def count(execute, sql, params, many, context):
        executed.append(sql)
        return execute(sql, params, many, context)

    with ExitStack() as stack:
        for connection in connections.all():
            stack.enter_context(connection.execute_wrapper(count))
        get(client, url)
    times = [get(client, url)[1] for _ in range(requests)]
    return {
        "queries": len(executed),
        "p50_ms": percentile(times, 50),
        "p95_ms": percentile(times, 95),
        "max_ms": max(times),
    }


def keys_ab(user, runs: int) -> dict:
    """The page's keys query alone, keyset against OFFSET, alternately (ms, p50 / p95)."""
    from reports import selectors
    from reports.selectors.keyset import seek

    results = {}
    for code, show in (("T1", "all"), ("T3", "missing")):
        explained = selectors.explained_for_code(code)
        rows = selectors.explain_rows(explained, D, user=user)
        keys = explained.kind.sort_keys
        ordered = seek(selectors.filter_show(rows, show), keys, None)
        total = ordered.count()
        last_page = (total - 1) // 50
        for which, page in (("first", 0), ("middle", last_page // 2), ("last", last_page)):
            offset = page * 50
            after = None
            if offset:
                fields = [key.field for key in keys]
                after = list(ordered.values_list(*fields)[offset - 1 : offset][0])
            timings = {"keyset": [], "offset": []}
            for _ in range(runs):
                started = time.perf_counter()
                found, _more = selectors.explain_page_keys(explained, rows, show, after=after)
                timings["keyset"].append((time.perf_counter() - started) * 1000)
                started = time.perf_counter()
                sliced = list(selectors.explain_keys(rows, show)[offset : offset + 51])
                timings["offset"].append((time.perf_counter() - started) * 1000)
                assert [key[-1] for key in found] == sliced[:50], (code, which)
            results[f"{code} {show} {which} (page {page + 1:,})"] = {
                way: (percentile(t, 50), percentile(t, 95)) for way, t in timings.items()
            }
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--timeout", type=int, default=300, help="statement_timeout, seconds")
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--only", help="comma-separated list names (default: all)")
    parser.add_argument("--keys", action="store_true", help="keyset vs OFFSET, keys query only")
    args = parser.parse_args()

    import django

    django.setup()
    set_statement_timeout(args.timeout)
    from django.test import Client

    from cqo_registry.accounts.models import Role, User
    from enterprises.models import Enterprise
    from reports import snapshots

    assert snapshots.snapshot_for(D) is not None, "run bench_stats.py on this database first"
    out = {
        "started": datetime.now(UTC).isoformat(),
        "load_before": load_average(),
        "machine": machine(),
        "server": server_settings(),
        "enterprises": Enterprise.objects.count(),
        "lists": {},
    }
    leader, _ = User.objects.get_or_create(username="bench_leader", defaults={"role": Role.LEADER})
    client = Client()
    client.force_login(leader)
    town = Enterprise.objects.order_by("pk").values_list("town_id", flat=True).first()
    day, live_day = D.isoformat(), (D + timedelta(days=1)).isoformat()
    lists = {
        "T1": f"/dashboard/explain/T1/?as_of={day}",
        "T1 town missing": f"/dashboard/explain/T1/?as_of={day}&town={town}&show=missing",
        "T3 missing": f"/dashboard/explain/T3/?as_of={day}&show=missing",
        "T3 town missing": f"/dashboard/explain/T3/?as_of={day}&town={town}&show=missing",
        "T1 no snapshot": f"/dashboard/explain/T1/?as_of={live_day}",
    }
    only = set(args.only.split(",")) if args.only else set(lists)
    for name, url in lists.items():
        if name not in only:
            continue
        walked = walk(client, url)
        urls = walked.pop("urls")
        print(json.dumps({name: walked}, ensure_ascii=False), file=sys.stderr)
        pages = {"first": urls[0], "middle": urls[len(urls) // 2], "last": urls[-1]}
        out["lists"][name] = {
            "walk": walked,
            **{which: timed(client, page, args.requests) for which, page in pages.items()},
        }
        print(json.dumps({name: out["lists"][name]}, ensure_ascii=False), file=sys.stderr)
    if args.keys:
        out["keys"] = keys_ab(leader, args.requests)
        print(json.dumps(out["keys"]), file=sys.stderr)
    out["load_after"] = load_average()
    if args.json:
        Path(args.json).write_text(json.dumps(out, ensure_ascii=False, indent=1))
    print(markdown(out, args.requests))


def markdown(out: dict, requests: int) -> str:
    m, sv = out["machine"], out["server"]
    lines = [
        f"Machine: nproc {m['nproc']}, {m['cpu']}, {m['ram']} RAM; PostgreSQL {m['postgresql']} "
        f"(work_mem {sv['work_mem']}); {out['enterprises']:,} enterprises; load average "
        f"{out['load_before']} before, {out['load_after']} after; {requests} requests per page.",
        "",
        "| list | pages (rows) | every row once, count matches | walk p50 / p95 / max | "
        "first p50 / p95 | middle p50 / p95 | last p50 / p95 | queries first / middle / last |",
        "|---|---:|---|---:|---:|---:|---:|---|",
    ]
    for name, row in out["lists"].items():
        w = row["walk"]
        lines.append(
            f"| {name} | {w['pages']:,} ({w['rows']:,}) | "
            f"{'yes' if w['each_once'] else 'NO'}, {'yes' if w['matches_count'] else 'NO'} | "
            f"{w['walk_p50_ms']:.0f} / {w['walk_p95_ms']:.0f} / {w['walk_max_ms']:.0f} ms | "
            + " | ".join(
                f"{row[p]['p50_ms']:.0f} / **{row[p]['p95_ms']:.0f}** ms"
                for p in ("first", "middle", "last")
            )
            + f" | {row['first']['queries']} / {row['middle']['queries']} / "
            f"{row['last']['queries']} |"
        )
    if "keys" in out:
        lines += [
            "",
            "The query that picks a page's 50 rows, alone (ms, p50 / p95, alternately):",
            "",
            "| page | keyset | OFFSET |",
            "|---|---:|---:|",
        ]
        for page, row in out["keys"].items():
            k, o = row["keyset"], row["offset"]
            lines.append(f"| {page} | {k[0]:.1f} / {k[1]:.1f} | {o[0]:.1f} / {o[1]:.1f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
