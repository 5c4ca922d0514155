"""Benchmark of the statistics engine, snapshots and dashboards at province scale (issues 4, 11).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cqo_bench_stats \\
        .venv/bin/python bench/bench_stats.py [--enterprises 100000] [--runs 5] [--requests 40]
            [--live-requests 3] [--timeout 300] [--loop-limit 0] [--skip-loop]
            [--skip-drilldown] [--reuse] [--json FILE]

(also ``make bench``; DATABASE_URL defaults to the URL above). Drops and re-creates the
database named in DATABASE_URL (PostgreSQL only; its name must contain "bench"), migrates it and
fills it with COPY (seeded random, the same data on every run): 20 towns, N enterprises,
~1.2·N appointments with their filings (filed, pending, ended, changed), ~1.5·N training
attendances. ``--reuse`` keeps an existing filled database (one database per size, e.g.
``cqo_bench_100k``, ``cqo_bench_300k``, ``cqo_bench_1m``). The server's settings are left at
their defaults; only ``statement_timeout`` is set (``--timeout``, per connection) so that a plan
gone wrong fails the run instead of running for hours. Then measures, for one date D:

(a) ``statistics.compute_all(D)`` — every target with every breakdown — and the reference
    query of ``stats_reference.py`` (SPEC §3 in plain SQL), alternately (median of --runs),
    and checks that both give the same figures;
(b) the same figures from a plain per-enterprise Python loop over the ORM, once, with the
    speed ratio and a check that both agree (``--loop-limit K``: loop over the first K
    enterprises only, and the engine over the same subset; ``--skip-loop``: not at all);
(c) ``/dashboard/?as_of=D+1`` — a date without a snapshot, so computed live;
(d) the snapshot task (``recompute_snapshot``, in-process) for D;
(e) ``/dashboard/?as_of=D`` through django.test.Client as a logged-in leader, from that
    snapshot (p50/p95 of --requests, and the query count);
(f) drill-down lists ``/dashboard/explain/T1/…`` (first page, a town's "missing") and T3's
    "missing" (first page), 50 rows a page (p50/p95, query counts); pages at any depth are
    ``bench_drilldown.py``'s (the lists page by keyset, following each page's "next" link).

Prints a Markdown section for bench/RESULTS.md (the machine, its load, then the numbers).
Settings: ``cqo_registry.settings.test`` (DEBUG off, tasks in-process, any host for the test
client).
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

    from cqo_registry.encryption import EncryptedCharField, EncryptedJSONField

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
            elif isinstance(f, EncryptedCharField | EncryptedJSONField):
                # Stored as the registry stores it (issue 14 §2).
                value = f.get_db_prep_value(value, connection)
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

    from cqo_registry.encryption import digest

    persons, appointments, filings = [], [], []
    person_ids = []  # persons that may serve a second enterprise

    def new_person() -> int:
        n = len(persons) + 1
        birth = date(1965, 1, 1) + timedelta(days=n % 12000)
        body = f"340104{birth:%Y%m%d}{n % 1000:03d}"
        # n in the sequence part keeps the number unique beyond 1000 per birth date.
        id_number = body[:6] + f"{n:011d}"[-11:]
        id_number = id_number + ric.calc_check_digit(id_number + "0")
        # With its lookup hash; copy_rows encrypts the number (issue 14 §2).
        persons.append(
            {
                "id": n,
                "name": f"质量官{n:06d}",
                "id_number": id_number,
                "id_number_digest": digest(id_number),
            }
        )
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


def set_statement_timeout(seconds: int) -> None:
    """Every statement of this process is cancelled after ``seconds``: a plan that went wrong
    fails the run instead of running for hours. Nothing else of the server's defaults is
    changed (work_mem stays what the server says)."""
    from django.db import connections

    options = connections["default"].settings_dict.setdefault("OPTIONS", {})
    options["options"] = f"-c statement_timeout={seconds * 1000}"


def server_settings() -> dict:
    from django.db import connection

    shown = {}
    with connection.cursor() as cursor:
        for name in (
            "work_mem",
            "shared_buffers",
            "max_parallel_workers_per_gather",
            "statement_timeout",
        ):
            cursor.execute(f"SHOW {name}")
            shown[name] = cursor.fetchone()[0]
    return shown


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def engine_and_reference(day: date, runs: int) -> dict:
    """(a) the engine and the reference query, alternately, ``runs`` times each (so that both
    see the same load), and whether they agree on every figure."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bench.stats_reference import reference_rows, reference_shape
    from enterprises.models import Town
    from reports import statistics
    from reports.models import Target

    targets = list(Target.objects.all())
    town_names = dict(Town.objects.values_list("pk", "name"))
    statistics.compute_all(day, targets)  # warm-up (plans, caches)
    engine_times, reference_times, per_target = [], [], defaultdict(list)
    results = rows = None
    for _ in range(runs):
        started = time.perf_counter()
        results = statistics.compute_all(day, targets)
        engine_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        with connection.cursor() as cursor:
            rows = reference_rows(cursor, day)
        reference_times.append(time.perf_counter() - started)
    with CaptureQueriesContext(connection) as captured:
        statistics.compute_all(day, targets)
    for query in captured.captured_queries:
        kind = "persons (T3)" if "serving AS" in query["sql"] else "enterprises (T1+T2)"
        if "appointments_appointment" in query["sql"]:
            per_target[kind].append(float(query["time"]))
    engine = engine_shape(results)
    reference = reference_shape(rows, targets, town_names)
    return (
        {
            "engine_median_s": stats.median(engine_times),
            "engine_min_s": min(engine_times),
            "engine_max_s": max(engine_times),
            "reference_median_s": stats.median(reference_times),
            "reference_min_s": min(reference_times),
            "reference_max_s": max(reference_times),
            "runs": runs,
            "queries": len(captured.captured_queries),
            "per_query_s": {k: v[0] for k, v in per_target.items()},
            "agree": engine == reference,
            "figures": {
                r.target.code: {"population": r.total.population, "counted": r.total.counted}
                for r in results
            },
        },
        engine,
        reference,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--enterprises", "--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--live-requests", type=int, default=3)
    parser.add_argument("--timeout", type=int, default=300, help="statement_timeout, seconds")
    parser.add_argument("--loop-limit", type=int, default=0, help="0: loop over all")
    parser.add_argument("--skip-loop", action="store_true")
    parser.add_argument("--skip-drilldown", action="store_true")
    parser.add_argument("--reuse", action="store_true", help="keep a filled database")
    parser.add_argument("--json", help="also write the results to this file")
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
    set_statement_timeout(args.timeout)
    from django.core.management import call_command
    from django.test import Client

    from cqo_registry.accounts.models import Role, User
    from enterprises.models import Enterprise
    from reports import snapshots
    from reports.models import SnapshotKind
    from reports.tasks import recompute_snapshot

    out = {"machine": None, "date": D.isoformat(), "started": datetime.now(UTC).isoformat()}
    out["load_before"] = load_average()
    call_command("migrate", verbosity=0)
    if not args.reuse or not Enterprise.objects.exists():
        out["data"] = build(args.enterprises)
    else:
        out["data"] = {"enterprises": Enterprise.objects.count(), "reused": True}
    out["machine"] = machine()
    out["server"] = server_settings()
    print(json.dumps(out["data"], ensure_ascii=False), file=sys.stderr)

    # (a) the engine and the reference query
    out["engine"], engine, reference = engine_and_reference(D, args.runs)
    if not out["engine"]["agree"]:
        for code in engine:
            if reference.get(code) != engine[code]:
                print(f"DISAGREE {code}: reference {reference.get(code)} engine {engine[code]}")
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
            engine_s = out["engine"]["engine_median_s"]
        out["loop"] = {
            "enterprises": limit or out["data"]["enterprises"],
            "loop_s": loop_s,
            "engine_s": engine_s,
            "ratio": loop_s / engine_s,
            "agree": looped == engine,
        }
        print(json.dumps(out["loop"]), file=sys.stderr)

    leader, _ = User.objects.get_or_create(username="bench_leader", defaults={"role": Role.LEADER})
    client = Client()
    client.force_login(leader)

    # (c) the live dashboard of a date without a snapshot (never snapshotted by this script)
    live_day = D + timedelta(days=1)
    assert snapshots.snapshot_for(live_day) is None
    out["live_dashboard"] = time_requests(
        client, f"/dashboard/?as_of={live_day.isoformat()}", args.live_requests
    )
    print(json.dumps(out["live_dashboard"]), file=sys.stderr)

    # (d) the snapshot task (what the dashboard's "recompute" queues), in-process
    run = snapshots.snapshot_run_create(as_of=D, kind=SnapshotKind.ON_DEMAND)
    started = time.perf_counter()
    recompute_snapshot.apply(args=[run.pk]).get()
    out["snapshot"] = {
        "take_s": time.perf_counter() - started,
        "figures": run.figures.count(),
        "indicators": run.indicators.count(),
    }
    print(json.dumps(out["snapshot"]), file=sys.stderr)

    # (e) the leaders' dashboard from the snapshot
    out["dashboard"] = time_requests(client, f"/dashboard/?as_of={D.isoformat()}", args.requests)
    print(json.dumps(out["dashboard"]), file=sys.stderr)

    # (f) drill-down lists, 50 rows a page
    if not args.skip_drilldown:
        town = Enterprise.objects.values_list("town_id", flat=True).first()
        t1 = f"/dashboard/explain/T1/?as_of={D.isoformat()}"
        t3 = f"/dashboard/explain/T3/?as_of={D.isoformat()}&show=missing"
        out["explain"] = [
            time_requests(client, url, args.requests)
            # First pages only: the lists page by a signed cursor (keyset), so deeper pages
            # are reached by following "next" — bench_drilldown.py walks every page.
            for url in (t1, f"{t1}&town={town}&show=missing", t3)
        ]
        for row in out["explain"]:
            print(json.dumps(row), file=sys.stderr)

    out["load_after"] = load_average()
    if args.json:
        Path(args.json).write_text(json.dumps(out, ensure_ascii=False, indent=1))
    print(markdown(out))


def markdown(out: dict) -> str:
    m, d, sv = out["machine"], out["data"], out["server"]
    lines = [
        f"Machine: nproc {m['nproc']}, {m['cpu']}, {m['ram']} RAM, {m['os']}; PostgreSQL "
        f"{m['postgresql']} (work_mem {sv['work_mem']}, shared_buffers {sv['shared_buffers']}, "
        f"max_parallel_workers_per_gather {sv['max_parallel_workers_per_gather']}, "
        f"statement_timeout {sv['statement_timeout']}), Python {m['python']}, "
        f"Django {m['django']}. Load average before / after: {out['load_before']} / "
        f"{out['load_after']}.",
        "",
        "Data: "
        + ", ".join(
            f"{k} {v:,}" if isinstance(v, int) else f"{k} {v:.1f}"
            for k, v in d.items()
            if k != "reused"
        )
        + f"; as of {out['date']}.",
        "",
        "| measure | result | reference, same run |",
        "|---|---|---|",
    ]
    e = out["engine"]
    lines.append(
        f"| (a) all targets, all breakdowns, one date (median of {e['runs']}) | "
        f"**{e['engine_median_s']:.2f} s** (min {e['engine_min_s']:.2f}, max "
        f"{e['engine_max_s']:.2f}; {e['queries']} queries: "
        + ", ".join(f"{k} {v:.2f} s" for k, v in e["per_query_s"].items())
        + f") | {e['reference_median_s']:.2f} s (min {e['reference_min_s']:.2f}, max "
        f"{e['reference_max_s']:.2f}); figures agree: **{'yes' if e['agree'] else 'NO'}** |"
    )
    if "loop" in out:
        lo = out["loop"]
        lines.append(
            f"| (b) per-enterprise ORM loop over {lo['enterprises']:,} enterprises | "
            f"{lo['loop_s']:.1f} s vs engine {lo['engine_s']:.2f} s = **{lo['ratio']:.0f}×**; "
            f"figures agree: **{'yes' if lo['agree'] else 'NO'}** | |"
        )
    live = out["live_dashboard"]
    lines.append(
        f"| (c) `{live['url']}`, no snapshot of that date (live) | p50 {live['p50_ms']:.0f} ms, "
        f"max **{live['max_ms']:.0f} ms** ({live['queries']} queries) | |"
    )
    s = out["snapshot"]
    lines.append(
        f"| (d) the snapshot task (`recompute_snapshot`) | **{s['take_s']:.2f} s**, "
        f"{s['figures']} figure rows, {s['indicators']} indicator rows | |"
    )
    db = out["dashboard"]
    lines.append(
        f"| (e) `{db['url']}` as leader, from the snapshot | p50 {db['p50_ms']:.0f} ms, "
        f"p95 **{db['p95_ms']:.0f} ms**, {db['queries']} queries | |"
    )
    for row in out.get("explain", []):
        lines.append(
            f"| (f) `{row['url']}` (50 rows) | p50 {row['p50_ms']:.0f} ms, p95 "
            f"**{row['p95_ms']:.0f} ms**, {row['queries']} queries | |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
