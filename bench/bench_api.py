"""Benchmark of the provincial platform's read API at province scale (issue 18).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cqo_bench_api \\
        .venv/bin/python bench/bench_api.py [--enterprises 100000] [--requests 100] [--reuse]

Drops and re-creates the database of DATABASE_URL (its name must contain "bench"), fills it
as ``bench_stats.py`` does (the same seeded county: 100,000 enterprises, ~120,000
appointments with filings, ~150,000 attendances) and gives every enterprise and appointment
its "created" history row (what saving them through the site leaves). Then, with a token of
``registry:read`` through django.test.Client — authentication, scope, rate, the audit row
written per call, JSON — it times (p50/p95 of --requests, and the query count):

(a) the first page of 100 enterprises, (b) a page of 100 near the end (cursor at id 90,000:
a keyset page costs the same at any depth), (c) a page of 100 current CQOs (ID numbers and
mobiles decrypted, then masked), (d) 100 changes of the enterprise feed from deep in the
history. Goal: a page of 100 enterprises at 100,000 enterprises, p95 ≤ 100 ms.
"""

import argparse
import base64
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cqo_registry.settings.test")

from bench_stats import build, machine, percentile, recreate_database  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/cqo_bench_api"


def add_created_history(model) -> int:
    """One "+" history row per row of ``model``, as a save through the ORM leaves."""
    from django.db import connection

    history = model.history.model
    columns = [f.column for f in model._meta.concrete_fields]
    quoted = ", ".join(f'"{c}"' for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f'INSERT INTO "{history._meta.db_table}" ({quoted}, history_date, history_type, '
            f"history_change_reason) "
            f"SELECT {quoted}, now(), '+', NULL FROM \"{model._meta.db_table}\" ORDER BY id"
        )
        inserted = cursor.rowcount
        cursor.execute(f'ANALYZE "{history._meta.db_table}"')
        return inserted


def time_requests(client, url: str, count: int) -> dict:
    """Wall-clock and this process's CPU time per request (p50/p95, ms), and the query count
    of one request. On a shared machine the wall clock includes waiting for a CPU; the CPU
    time is what the request itself costs the web process (the queries' time in PostgreSQL
    is in the wall clock only)."""
    from contextlib import ExitStack

    from django.db import connections
    from django.test.utils import CaptureQueriesContext

    # Every alias: reads may go to the replica alias (cqo_registry.replica). The logs are
    # emptied first: a log already at its length limit (9,000, after loading the data) would
    # capture nothing.
    for connection in connections.all():
        connection.queries_log.clear()
    with ExitStack() as stack:
        captured = [stack.enter_context(CaptureQueriesContext(c)) for c in connections.all()]
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    walls, cpus = [], []
    for _ in range(count):
        wall, cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
        assert response.status_code == 200
    return {
        "url": url,
        "queries": sum(len(c.captured_queries) for c in captured),
        "bytes": len(response.content),
        "p50_ms": percentile(walls, 50),
        "p95_ms": percentile(walls, 95),
        "cpu_p50_ms": percentile(cpus, 50),
        "cpu_p95_ms": percentile(cpus, 95),
    }


def cursor_at(position: int) -> str:
    """DRF's cursor for "after id ``position``" (its own encoding: base64 of ``p=<id>``)."""
    return base64.b64encode(f"p={position}".encode()).decode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--enterprises", "--rows", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--reuse", action="store_true", help="keep a filled database")
    args = parser.parse_args()

    url = os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("Set DATABASE_URL to a PostgreSQL database (it is dropped and re-created).")
    if "bench" not in url.rsplit("/", 1)[-1]:
        sys.exit("Refusing to use a database whose name does not contain 'bench'.")
    if not args.reuse:
        recreate_database(url)

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client

    from api.models import ApiToken, Scope
    from appointments.models import Appointment
    from enterprises.models import Enterprise

    call_command("migrate", verbosity=0)
    out = {}
    if not args.reuse or not Enterprise.objects.exists():
        out["data"] = build(args.enterprises)
        out["data"]["history_rows"] = add_created_history(Enterprise) + add_created_history(
            Appointment
        )
    else:
        out["data"] = {"enterprises": Enterprise.objects.count(), "reused": True}
    out["machine"] = machine()
    print(json.dumps(out["data"], ensure_ascii=False), file=sys.stderr)

    # The bench measures a page, not the throttle: a rate no run reaches.
    settings.CQO_API_RATE = "1000000/min"
    _row, key = ApiToken.objects.create_key(name="bench", scopes=[Scope.REGISTRY_READ])
    client = Client(HTTP_AUTHORIZATION=f"Api-Key {key}")
    deep = int(Enterprise.objects.count() * 0.9)
    history = Enterprise.history.model.objects.order_by("history_id")
    deep_change = history.values_list("history_id", flat=True)[deep] if deep else 0
    urls = {
        "enterprises, first page": "/api/enterprises/",
        "enterprises, page at id 90%": f"/api/enterprises/?cursor={cursor_at(deep)}",
        "current CQOs, first page": "/api/cqos/",
        "enterprise changes, 100 from 90%": f"/api/changes/enterprises/?after={deep_change}",
    }
    out["results"] = {}
    for name, path in urls.items():
        out["results"][name] = time_requests(client, path, args.requests)
        print(name, json.dumps(out["results"][name]), file=sys.stderr)
    out["load"] = os.getloadavg()
    print(markdown(out, args.requests))


def markdown(out: dict, requests: int) -> str:
    m = out["machine"]
    lines = [
        "## bench_api.py — the provincial platform's read API (issue 18)",
        "",
        f"Machine: {m['nproc']} CPUs ({m['cpu']}), {m['ram']}, {m['os']}; PostgreSQL "
        f"{m['postgresql']} on the same machine; Python {m['python']}, Django {m['django']}. "
        f"Load average while measured: {out['load'][0]:.1f} (1 min) on {m['nproc']} CPUs.",
        "",
        f"Data: {json.dumps(out['data'], ensure_ascii=False)}",
        "",
        f"Each URL requested {requests} times through django.test.Client with a "
        "`registry:read` token (authentication, scope, throttle, audit row, JSON), after one "
        "warm-up request. Goal: a page of 100 enterprises p95 ≤ 100 ms.",
        "",
        "| request | queries | bytes | p50 ms | p95 ms | CPU p50 ms | CPU p95 ms |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in out["results"].items():
        lines.append(
            f"| {name} (`{r['url']}`) | {r['queries']} | {r['bytes']:,} | {r['p50_ms']:.1f} "
            f"| {r['p95_ms']:.1f} | {r['cpu_p50_ms']:.1f} | {r['cpu_p95_ms']:.1f} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
