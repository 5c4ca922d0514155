"""Benchmark of the statistics engine, snapshots and dashboards at province scale (issue 4).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cqo_bench_stats \\
        .venv/bin/python bench/bench_stats.py [--enterprises 100000] [--runs 7] [--requests 60]
                                              [--loop-limit 0] [--skip-loop] [--reuse]

(also ``make bench``; DATABASE_URL defaults to the URL above). Drops and re-creates the
database named in DATABASE_URL (PostgreSQL only; its name must contain "bench"), migrates it and
fills it with COPY (seeded random, the same data on every run): 20 towns, N enterprises,
~1.2·N appointments with their filings (filed, pending, ended, changed), ~1.5·N training
attendances. ``--reuse`` keeps an existing filled database. Then measures, for one date D:

(a) ``statistics.compute_all(D)`` — every target with every breakdown (median of --runs);
(b) the same figures from a plain per-enterprise Python loop over the ORM, once, with the
    speed ratio and a check that both agree (``--loop-limit K``: loop over the first K
    enterprises only, and the engine over the same subset);
(c) ``/dashboard/?as_of=D`` through django.test.Client as a logged-in leader, after taking
    the snapshot of D — figures and the other indicators (principal share, late filings,
    vacancies) are then read from it (p50/p95 of --requests, and the query count);
(d) ``/dashboard/explain/T1/?as_of=D`` (50 rows a page), plus a town's "missing", page 20,
    and T3's "missing" (p50/p95, query counts); their totals come from the same snapshot.

Prints a Markdown section for bench/RESULTS.md (the machine, then the numbers). Settings:
``cqo_registry.settings.test`` (DEBUG off, tasks in-process, any host for the test client).
"""

import argparse
import io
import json
import os
import platform
import random
import statistics as stats
import sys
import time
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cqo_registry.settings.test")

D = date(2022, 6, 30)
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/cqo_bench_stats"
SEED = 20210131
TOWN_COUNT = 20
SECTIONS = "AABCCCCCCCCCCDEEFFFGGGGHIIJKLMMNOPQRS"  # weighted: manufacturing first


# --- Database ------------------------------------------------------------------------------


def recreate_database(url: str) -> None:
    from urllib.parse import urlparse

    import psycopg2

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    conn = psycopg2.connect(parsed._replace(path="/postgres").geturl())
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    conn.close()


def _copy_text(value) -> str:
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, date | datetime):
        return value.isoformat()
    text = str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def copy_rows(model, rows: list[dict]) -> None:
    """COPY ``rows`` into ``model``'s table; missing fields take the model's defaults."""
    from django.db import connection
    from django.db.models import DateTimeField, JSONField

    now = datetime.now(UTC)
    fields = list(model._meta.concrete_fields)
    buffer = io.StringIO()
    for row in rows:
        values = []
        for f in fields:
            if f.attname in row:
                value = row[f.attname]
            elif isinstance(f, DateTimeField) and (f.auto_now or f.auto_now_add):
                value = now
            elif f.has_default():
                value = f.get_default()
            elif f.null:
                value = None
            else:
                value = ""
            if isinstance(f, JSONField):
                value = json.dumps(value)
            values.append(_copy_text(value))
        buffer.write("\t".join(values) + "\n")
    buffer.seek(0)
    table = model._meta.db_table
    columns = ", ".join(f'"{f.column}"' for f in fields)
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(f'COPY "{table}" ({columns}) FROM STDIN', buffer)
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
            f'(SELECT COALESCE(MAX(id), 1) FROM "{table}"))'
        )


def rand_date(rng, start: date, end: date) -> date:
    return start + timedelta(days=rng.randrange((end - start).days + 1))


def build(enterprises: int) -> dict:
    from django.db import connection, transaction
    from stdnum.cn import ric, uscc

    from appointments.models import Appointment, Filing
    from enterprises.models import Enterprise, Person, Town
    from training.models import TrainingAttendance, TrainingSession

    rng = random.Random(SEED)
    started = time.perf_counter()
    towns = [
        {"id": i, "name": f"基准{i:02d}镇", "code": f"3401211{i:02d}000"}
        for i in range(1, TOWN_COUNT + 1)
    ]
    ent_rows = []
    for i in range(1, enterprises + 1):
        body = f"913401{i:011d}"
        scale = rng.choices(["above", "sme", "micro"], weights=[20, 50, 30])[0]
        established = (
            None if rng.random() < 0.1 else rand_date(rng, date(1995, 1, 1), date(2023, 6, 1))
        )
        deregistered = None
        if rng.random() < 0.06:
            deregistered = rand_date(
                rng, max(established or date(2019, 1, 1), date(2019, 1, 1)), date(2024, 6, 1)
            )
        ent_rows.append(
            {
                "id": i,
                "uscc": body + uscc.calc_check_digit(body),
                "name": f"基准企业{i:06d}有限公司",
                "town_id": rng.randrange(1, TOWN_COUNT + 1),
                "industry": rng.choice(SECTIONS),
                "scale": scale,
                "requires_cqo": scale == "above" or rng.random() < 0.4,
                "established_on": established,
                "deregistered_on": deregistered,
            }
        )

    persons, appointments, filings = [], [], []
    person_ids = []  # persons that may serve a second enterprise

    def new_person() -> int:
        n = len(persons) + 1
        birth = date(1965, 1, 1) + timedelta(days=n % 12000)
        body = f"340104{birth:%Y%m%d}{n % 1000:03d}"
        # n in the sequence part keeps the number unique beyond 1000 per birth date.
        id_number = body[:6] + f"{n:011d}"[-11:]
        id_number = id_number + ric.calc_check_digit(id_number + "0")
        persons.append({"id": n, "name": f"质量官{n:06d}", "id_number": id_number})
        person_ids.append(n)
        return n

    for ent in ent_rows:
        if rng.random() > 0.8:
            continue
        chain = 1 + (rng.random() < 0.4) + (rng.random() < 0.12)
        day = rand_date(rng, date(2019, 6, 1), date(2022, 3, 1))
        for link in range(chain):
            last = link == chain - 1
            person = rng.choice(person_ids) if person_ids and rng.random() < 0.03 else new_person()
            filed = day + timedelta(days=rng.randrange(2, 60))
            if last and rng.random() < 0.08:
                filed = None  # still pending
            ended = reason = None
            if not last:
                ended = day + timedelta(days=rng.randrange(60, 500))
                reason = rng.choice(["left", "reassigned", "dismissed"])
            elif filed and rng.random() < 0.1:
                ended = filed + timedelta(days=rng.randrange(30, 700))
                reason = rng.choice(["dismissed", "left", "exit"])
            aid = len(appointments) + 1
            appointments.append(
                {
                    "id": aid,
                    "enterprise_id": ent["id"],
                    "person_id": person,
                    "position": "副总经理",
                    "is_principal": rng.random() < 0.15,
                    "departments": ["quality_management"],
                    "appointed_on": day,
                    "ended_on": ended,
                    "end_reason": reason or "",
                    "filed_on": filed,
                }
            )
            fid = len(filings) + 1
            filings.append(
                {
                    "id": fid,
                    "kind": "appoint" if link == 0 else "change",
                    "status": "approved" if filed else "submitted",
                    "source": "import",
                    "enterprise_id": ent["id"],
                    "appointment_id": aid,
                    "number": f"质备〔{filed.year}〕{fid:06d}号" if filed else None,
                    "number_year": filed.year if filed else None,
                    "number_seq": fid if filed else None,
                    "approved_on": filed,
                    "submitted_at": datetime.combine(day, datetime.min.time(), UTC),
                }
            )
            if ended is None:
                break
            day = ended  # the next CQO takes over the day the previous one left

    sessions = []
    for s in range(1, 61):
        starts = rand_date(rng, date(2019, 9, 1), date(2023, 9, 1))
        sessions.append(
            {
                "id": s,
                "title": f"首席质量官培训班第{s}期",
                "kind": "quality_month" if starts.month == 9 else "other",
                "starts_on": starts,
                "ends_on": starts + timedelta(days=1),
            }
        )
    attendances, seen = [], set()
    target_attendances = int(enterprises * 1.5)
    while len(attendances) < target_attendances:
        key = (rng.randrange(1, 61), rng.randrange(1, len(persons) + 1))
        if key in seen:
            continue
        seen.add(key)
        passed = rng.random() < 0.85
        attendances.append(
            {
                "id": len(attendances) + 1,
                "session_id": key[0],
                "person_id": key[1],
                "attended": True,
                "passed": passed,
            }
        )
    generated = time.perf_counter() - started

    started = time.perf_counter()
    with transaction.atomic():
        copy_rows(Town, towns)
        copy_rows(Enterprise, ent_rows)
        copy_rows(Person, persons)
        copy_rows(Appointment, appointments)
        copy_rows(Filing, filings)
        copy_rows(TrainingSession, sessions)
        copy_rows(TrainingAttendance, attendances)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    loaded = time.perf_counter() - started
    return {
        "towns": len(towns),
        "enterprises": len(ent_rows),
        "persons": len(persons),
        "appointments": len(appointments),
        "filings": len(filings),
        "sessions": len(sessions),
        "attendances": len(attendances),
        "generate_s": generated,
        "load_s": loaded,
    }


# --- (b) the plain per-enterprise loop -------------------------------------------------------


def loop_figures(day: date, limit: int | None):
    """Every target's figures the naive way: a Python loop over enterprises, asking the ORM
    about each one (its appointments, then each CQO's training). Same shape as the engine's
    output: {code: (total, by_town, by_industry)} of (population, counted)."""
    from enterprises.models import Enterprise
    from reports.models import Population, Target
    from training.models import TrainingAttendance

    targets = list(Target.objects.all())
    county = {t.code: [0, 0] for t in targets}
    towns = {t.code: defaultdict(lambda: [0, 0]) for t in targets}
    sections = {t.code: defaultdict(lambda: [0, 0]) for t in targets}
    persons = {t.code: {} for t in targets if t.population == Population.FILED_CQOS}
    queryset = Enterprise.objects.select_related("town").order_by("pk")
    if limit:
        queryset = queryset[:limit]
    for ent in queryset.iterator(chunk_size=2000):
        if not ent.is_active_on(day):
            continue
        current = [a for a in ent.appointments.all() if a.is_current_on(day)]
        for target in targets:
            if target.population == Population.FILED_CQOS:
                for appointment in current:
                    persons[target.code].setdefault(appointment.person_id, []).append(ent)
                continue
            if target.population == Population.ABOVE_SCALE:
                member = ent.scale == "above"
            else:
                member = ent.scale in ("sme", "micro") and ent.requires_cqo
            if not member:
                continue
            hit = 1 if current else 0
            for bucket in (
                county[target.code],
                towns[target.code][ent.town.name],
                sections[target.code][ent.industry],
            ):
                bucket[0] += 1
                bucket[1] += hit
    for code, served in persons.items():
        for person_id, ents in served.items():
            trained = TrainingAttendance.objects.filter(
                person_id=person_id, passed=True, session__ends_on__lte=day
            ).exists()
            hit = 1 if trained else 0
            county[code][0] += 1
            county[code][1] += hit
            # A person is counted once per town / section they serve in.
            for name in {e.town.name for e in ents}:
                towns[code][name][0] += 1
                towns[code][name][1] += hit
            for section in {e.industry for e in ents}:
                sections[code][section][0] += 1
                sections[code][section][1] += hit
    return {
        code: (
            tuple(county[code]),
            {k: tuple(v) for k, v in towns[code].items()},
            {k: tuple(v) for k, v in sections[code].items()},
        )
        for code in county
    }


def engine_shape(results):
    return {
        r.target.code: (
            (r.total.population, r.total.counted),
            {k: (f.population, f.counted) for k, f in r.by_town.items()},
            {k: (f.population, f.counted) for k, f in r.by_industry.items()},
        )
        for r in results
    }


def engine_on_subset(day: date, limit: int):
    """The engine restricted to the first ``limit`` enterprises (for --loop-limit)."""
    from unittest import mock

    from appointments.models import Appointment
    from enterprises.models import Enterprise
    from reports import statistics

    last_pk = Enterprise.objects.order_by("pk").values_list("pk", flat=True)[limit - 1]
    original_population = statistics.enterprise_population
    original_cqo = statistics.cqo_appointments

    def population(p, d):
        return original_population(p, d).filter(pk__lte=last_pk)

    def cqos(d):
        return original_cqo(d).filter(enterprise_id__lte=last_pk)

    with (
        mock.patch.object(statistics, "enterprise_population", population),
        mock.patch.object(statistics, "cqo_appointments", cqos),
    ):
        assert Appointment.objects.exists()
        return statistics.compute_all(day)


# --- Timing helpers -------------------------------------------------------------------------


def percentile(values, p):
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def time_requests(client, url: str, count: int):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    queries = len(captured.captured_queries)
    times = []
    for _ in range(count):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    return {
        "url": url,
        "queries": queries,
        "bytes": len(response.content),
        "p50_ms": percentile(times, 50),
        "p95_ms": percentile(times, 95),
        "max_ms": max(times),
    }


def machine() -> dict:
    import django
    from django.db import connection

    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "?"
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        ram = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0]
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "ram": ram,
        "os": platform.platform(),
        "postgresql": pg,
        "python": platform.python_version(),
        "django": django.get_version(),
    }


# --- Main -----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--enterprises", "--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--loop-limit", type=int, default=0, help="0: loop over all")
    parser.add_argument("--skip-loop", action="store_true")
    parser.add_argument("--reuse", action="store_true", help="keep a filled database")
    args = parser.parse_args()

    url = os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("Set DATABASE_URL to a PostgreSQL database (it is dropped and re-created).")
    if "bench" not in url.rsplit("/", 1)[-1] and not args.reuse:
        sys.exit("Refusing to drop a database whose name does not contain 'bench'.")
    if not args.reuse:
        recreate_database(url)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from cqo_registry.accounts.models import Role, User
    from enterprises.models import Enterprise
    from reports import snapshots, statistics
    from reports.models import SnapshotKind

    out = {"machine": None, "date": D.isoformat()}
    call_command("migrate", verbosity=0)
    if not args.reuse or not Enterprise.objects.exists():
        out["data"] = build(args.enterprises)
    else:
        out["data"] = {"enterprises": Enterprise.objects.count(), "reused": True}
    out["machine"] = machine()
    print(json.dumps(out["data"], ensure_ascii=False), file=sys.stderr)

    # (a) the engine
    statistics.compute_all(D)  # warm-up (plans, caches)
    times = []
    for _ in range(args.runs):
        started = time.perf_counter()
        results = statistics.compute_all(D)
        times.append(time.perf_counter() - started)
    with CaptureQueriesContext(connection) as captured:
        statistics.compute_all(D)
    out["engine"] = {
        "median_s": stats.median(times),
        "min_s": min(times),
        "max_s": max(times),
        "runs": args.runs,
        "queries": len(captured.captured_queries),
        "per_target_s": {},
    }
    for result in results:
        started = time.perf_counter()
        statistics.compute_target(result.target, D)
        out["engine"]["per_target_s"][result.target.code] = time.perf_counter() - started
    out["figures"] = {
        r.target.code: {"population": r.total.population, "counted": r.total.counted}
        for r in results
    }
    print(json.dumps(out["engine"]), file=sys.stderr)

    # (b) the plain loop
    if not args.skip_loop:
        limit = args.loop_limit or None
        started = time.perf_counter()
        looped = loop_figures(D, limit)
        loop_s = time.perf_counter() - started
        if limit:
            started = time.perf_counter()
            subset = engine_on_subset(D, limit)
            engine_s = time.perf_counter() - started
            engine = engine_shape(subset)
        else:
            engine_s = out["engine"]["median_s"]
            engine = engine_shape(results)
        out["loop"] = {
            "enterprises": limit or out["data"]["enterprises"],
            "loop_s": loop_s,
            "engine_s": engine_s,
            "ratio": loop_s / engine_s,
            "agree": looped == engine,
        }
        if looped != engine:
            for code in engine:
                if looped.get(code) != engine[code]:
                    print(
                        f"DISAGREE {code}: loop {looped.get(code)} engine {engine[code]}",
                        file=sys.stderr,
                    )
        print(json.dumps(out["loop"]), file=sys.stderr)

    # (c) the leaders' dashboard from a snapshot
    started = time.perf_counter()
    run = snapshots.snapshot_take(as_of=D, kind=SnapshotKind.ON_DEMAND)
    out["snapshot"] = {
        "take_s": time.perf_counter() - started,
        "figures": run.figures.count(),
        "indicators": run.indicators.count(),
    }
    leader, _ = User.objects.get_or_create(username="bench_leader", defaults={"role": Role.LEADER})
    town = Enterprise.objects.values_list("town_id", flat=True).first()
    client = Client()
    client.force_login(leader)
    out["dashboard"] = time_requests(client, f"/dashboard/?as_of={D.isoformat()}", args.requests)
    print(json.dumps(out["dashboard"]), file=sys.stderr)

    # (d) drill-down lists, 50 rows a page
    explain = f"/dashboard/explain/T1/?as_of={D.isoformat()}"
    out["explain"] = [
        time_requests(client, explain, args.requests),
        time_requests(client, f"{explain}&town={town}&show=missing", args.requests),
        time_requests(client, f"{explain}&page=20", args.requests),
        time_requests(
            client, f"/dashboard/explain/T3/?as_of={D.isoformat()}&show=missing", args.requests
        ),
    ]
    for row in out["explain"]:
        print(json.dumps(row), file=sys.stderr)

    print(markdown(out))


def markdown(out: dict) -> str:
    m, d = out["machine"], out["data"]
    lines = [
        f"Machine: {m['nproc']} vCPU {m['cpu']}, {m['ram']} RAM, {m['os']}; PostgreSQL "
        f"{m['postgresql']}, Python {m['python']}, Django {m['django']}.",
        "",
        "Data: "
        + ", ".join(
            f"{k} {v:,}" if isinstance(v, int) else f"{k} {v:.1f}"
            for k, v in d.items()
            if k != "reused"
        )
        + f"; as of {out['date']}.",
        "",
        "| measure | result | goal |",
        "|---|---|---|",
    ]
    e = out["engine"]
    lines.append(
        f"| (a) all targets, all breakdowns, one date (median of {e['runs']}) | "
        f"{e['median_s']:.2f} s (min {e['min_s']:.2f}, max {e['max_s']:.2f}; {e['queries']} "
        f"queries; per target "
        + ", ".join(f"{k} {v:.2f} s" for k, v in e["per_target_s"].items())
        + ") | ≤ 2 s |"
    )
    if "loop" in out:
        lo = out["loop"]
        lines.append(
            f"| (b) per-enterprise ORM loop over {lo['enterprises']:,} enterprises | "
            f"{lo['loop_s']:.1f} s vs engine {lo['engine_s']:.2f} s = **{lo['ratio']:.0f}×**; "
            f"figures agree: **{'yes' if lo['agree'] else 'NO'}** | ≥ 50× |"
        )
    s = out["snapshot"]
    lines.append(
        f"| taking the snapshot of that date | {s['take_s']:.2f} s, {s['figures']} figure rows, "
        f"{s['indicators']} indicator rows | — |"
    )
    db = out["dashboard"]
    lines.append(
        f"| (c) `{db['url']}` as leader, from the snapshot | p50 {db['p50_ms']:.0f} ms, "
        f"p95 **{db['p95_ms']:.0f} ms**, {db['queries']} queries | p95 ≤ 150 ms |"
    )
    for row in out["explain"]:
        lines.append(
            f"| (d) `{row['url']}` (50 rows) | p50 {row['p50_ms']:.0f} ms, p95 "
            f"**{row['p95_ms']:.0f} ms**, {row['queries']} queries | p95 ≤ 100 ms |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
