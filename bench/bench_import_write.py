"""Where the first import's time goes on the database's side, per checkout (PostgreSQL).

    .venv/bin/python bench/bench_import_write.py [CHECKOUT ...] [--rounds 3] [--rows 20000]
        [--without-trigram] [--drop-each] [--drop INDEX[,INDEX…] ...]

For each round and each checkout in turn (default: this one): a fresh PostgreSQL database,
copied from a template migrated once per checkout (with the 15 towns of ``bench_import.py``),
then ``call_command("import_data", "enterprises", FILE)`` in-process — no start-up; the
command's own work: read, validate, write. Measured:

* **client CPU** — the Python process's CPU time (``time.thread_time``) for the command;
* **server CPU** — the CPU time of the database connection's server process, read from
  ``/proc/<pg_backend_pid()>/schedstat`` (nanoseconds on the CPU) before and after each
  statement and each ``COPY``: the database's own work, which the ``manage.py`` process's
  rusage leaves out, and which load moves far less than wall-clock time;
* per kind of statement (``COPY`` per table, ``INSERT``/``UPDATE``/``SELECT``…), that server CPU
  and the count.

``--without-trigram`` drops the trigram indexes of ``enterprises/0015`` from the fresh
database before importing (measurement only: the product needs them, issue 15) to show what
maintaining them costs. PostgreSQL must run on this machine (``/proc`` of its processes must be
readable). Both checkouts run with this checkout's virtualenv.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(HERE / "bench"))
from bench_import import DATA, PG, TOWNS, make_file, psql  # noqa: E402

PYTHON = sys.executable
TRIGRAM = ("enterprise_name_trgm", "enterprise_uscc_trgm", "enterprise_legal_rep_trgm")

CHILD = r"""
import collections, json, os, sys, time
tree, path, pending = sys.argv[1], sys.argv[2], sys.argv[4]
drop_trigram = [name for name in sys.argv[3].split(",") if name]
sys.path.insert(0, tree)
os.chdir(tree)
import django
django.setup()
from django.core.management import call_command
from django.db import connection
from cqo_registry.importing import bulk

with connection.cursor() as cursor:
    for name in drop_trigram:
        cursor.execute(f'DROP INDEX IF EXISTS "{name}"')
    if pending:
        cursor.execute(f"SET gin_pending_list_limit = '{pending}'")
    cursor.execute("SELECT pg_backend_pid()")
    pid = cursor.fetchone()[0]

def server_ns():
    with open(f"/proc/{pid}/schedstat") as f:
        return int(f.read().split()[0])

stats = collections.defaultdict(lambda: [0, 0])

def record(key, started):
    entry = stats[key]
    entry[0] += 1
    entry[1] += server_ns() - started

def wrapper(execute, sql, params, many, context):
    started = server_ns()
    try:
        return execute(sql, params, many, context)
    finally:
        words = sql.split(None, 3)
        key = words[0].upper()
        if key == "INSERT" and len(words) > 2:
            key += " " + words[2].strip('"')
        elif key == "UPDATE" and len(words) > 1:
            key += " " + words[1].strip('"')
        record(key, started)

original_copy = bulk._copy

def timed_copy(cursor, table, columns, rows):
    started = server_ns()
    try:
        return original_copy(cursor, table, columns, rows)
    finally:
        record("COPY " + table, started)

bulk._copy = timed_copy
server0 = server_ns()
client0 = time.thread_time()
wall0 = time.perf_counter()
with connection.execute_wrapper(wrapper):
    call_command("import_data", "enterprises", path, stdout=open(os.devnull, "w"))
wall = time.perf_counter() - wall0
client = time.thread_time() - client0
server = (server_ns() - server0) / 1e9
TRIGRAM = ("enterprise_name_trgm", "enterprise_uscc_trgm", "enterprise_legal_rep_trgm")
with connection.cursor() as cursor:
    cursor.execute("SELECT relname FROM pg_class WHERE relname = ANY(%s)", [list(TRIGRAM)])
    present = [row[0] for row in cursor.fetchall()]
    if present:
        started = server_ns()
        for name in present:
            cursor.execute("SELECT gin_clean_pending_list(%s::regclass)", [name])
        stats["(after) gin_clean_pending_list"] = [len(present), server_ns() - started]
print("RESULT " + json.dumps({
    "client": client, "server": server, "wall": wall,
    "kinds": {k: [n, ns / 1e9] for k, (n, ns) in stats.items()},
}))
"""


def template(tree: Path, env: dict, name: str) -> None:
    psql(f'DROP DATABASE IF EXISTS "{name}"')
    psql(f'CREATE DATABASE "{name}"')
    tenv = {**env, "DATABASE_URL": PG + name}
    subprocess.run([PYTHON, "manage.py", "migrate", "-v0"], cwd=tree, env=tenv, check=True)
    code = "from enterprises.models import Town\n" + "".join(
        f"Town.objects.create(name={t!r}, code='34010{n:07d}')\n" for n, t in enumerate(TOWNS)
    )
    subprocess.run([PYTHON, "manage.py", "shell", "-c", code], cwd=tree, env=tenv, check=True)


def one_import(
    tree: Path, env: dict, tmpl: str, db: str, path: Path, drop: str, pending: str
) -> dict:
    psql(f'DROP DATABASE IF EXISTS "{db}"')
    psql(f'CREATE DATABASE "{db}" TEMPLATE "{tmpl}"')
    done = subprocess.run(
        [PYTHON, "-c", CHILD, str(tree), str(path), drop, pending],
        env={**env, "DATABASE_URL": PG + db},
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise SystemExit(f"import failed in {tree}:\n{done.stderr[-3000:]}")
    line = next(x for x in done.stdout.splitlines() if x.startswith("RESULT "))
    return json.loads(line[7:])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("trees", nargs="*", type=Path, default=[HERE])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--without-trigram", action="store_true")
    parser.add_argument(
        "--drop-each",
        action="store_true",
        help="also one variant per trigram index of enterprises/0015, that index alone dropped",
    )
    parser.add_argument(
        "--drop",
        action="append",
        default=[],
        metavar="INDEX[,INDEX…]",
        help="also a variant with these indexes dropped before the import (repeatable): what "
        "maintaining them costs",
    )
    parser.add_argument(
        "--gin-pending-list-limit",
        default="",
        help="set on the import's connection (e.g. 64MB): what deferring GIN merges would save",
    )
    args = parser.parse_args()
    path = DATA / f"enterprises_{args.rows}.xlsx"
    if not path.exists():
        make_file(args.rows, path)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cqo_registry.settings.local",
        "LOG_LEVEL": "WARNING",
        "DJANGO_DEBUG": "false",
    }
    trees = [t.resolve() for t in args.trees]
    variants = [(t, "") for t in trees]
    if args.without_trigram:
        variants += [(t, ",".join(TRIGRAM)) for t in trees]
    if args.drop_each:
        variants += [(t, name) for t in trees for name in TRIGRAM]
    variants += [(t, names) for t in trees for names in args.drop]
    for index, tree in enumerate(trees):
        template(tree, env, f"cqo_w_tmpl{index}")
    runs = {v: [] for v in variants}
    for _round in range(args.rounds):
        for tree, drop in variants:
            tmpl = f"cqo_w_tmpl{trees.index(tree)}"
            runs[(tree, drop)].append(
                one_import(tree, env, tmpl, "cqo_w_run", path, drop, args.gin_pending_list_limit)
            )
    psql('DROP DATABASE IF EXISTS "cqo_w_run"')
    for index in range(len(trees)):
        psql(f'DROP DATABASE IF EXISTS "cqo_w_tmpl{index}"')
    med = statistics.median
    print(f"| checkout (medians of {args.rounds}) | client CPU | server CPU | wall |")
    print("|---|---:|---:|---:|")
    for (tree, drop), rs in runs.items():
        label = f"{tree}{f' (dropped: {drop})' if drop else ''}"
        print(
            f"| {label} | {med(r['client'] for r in rs):.3f} s | "
            f"{med(r['server'] for r in rs):.3f} s | {med(r['wall'] for r in rs):.3f} s |"
        )
    print("\nServer CPU per kind of statement (median s; count):")
    for (tree, drop), rs in runs.items():
        print(f"\n{tree}{f' (dropped: {drop})' if drop else ''}")
        kinds = sorted({k for r in rs for k in r["kinds"]})
        rows = []
        for kind in kinds:
            values = [r["kinds"].get(kind, [0, 0.0]) for r in rs]
            rows.append((med(v[1] for v in values), kind, values[0][0]))
        for seconds, kind, count in sorted(rows, reverse=True)[:12]:
            print(f"  {seconds:7.3f} s  {count:6d}  {kind}")
    print(f"\nload average at the end: {open('/proc/loadavg').read().strip()}")


if __name__ == "__main__":
    main()
