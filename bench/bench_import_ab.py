"""A/B of the enterprises import between two checkouts, robust to a loaded machine.

    .venv/bin/python bench/bench_import_ab.py OTHER_CHECKOUT [--rounds 7] [--db cqo_ab]

For each round, for this checkout and ``OTHER_CHECKOUT`` in turn (e.g. ``git worktree add
/tmp/before <rev>``): a fresh PostgreSQL database, migrated, with the 15 towns of
``bench_import.py``; then ``manage.py import_data enterprises`` of the 20,000-row file twice (a
first import, then a re-import). Reports, per checkout, the median and minimum CPU time (user +
sys) of the ``manage.py`` process — the database server's work is left out, and it is the same
COPY in both — and of wall-clock time. CPU time moves far less than wall-clock time when other
work shares the machine. Both checkouts run with this checkout's virtualenv.
"""

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(HERE / "bench"))
from bench_import import DATA, PG, TOWNS, make_file, psql  # noqa: E402

PYTHON = sys.executable


def fresh(tree: Path, env: dict, db: str) -> None:
    psql(f'DROP DATABASE IF EXISTS "{db}"')
    psql(f'CREATE DATABASE "{db}"')
    subprocess.run([PYTHON, "manage.py", "migrate", "-v0"], cwd=tree, env=env, check=True)
    code = "from enterprises.models import Town\n" + "".join(
        f"Town.objects.create(name={t!r}, code='34010{n:07d}')\n" for n, t in enumerate(TOWNS)
    )
    subprocess.run(
        [PYTHON, "manage.py", "shell", "-c", code],
        cwd=tree,
        env=env,
        check=True,
        capture_output=True,
    )


def timed_import(tree: Path, env: dict, path: Path) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        [PYTHON, "manage.py", "import_data", "enterprises", str(path)],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        raise SystemExit(f"import failed in {tree}:\n{done.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("other", type=Path, help="the other checkout (e.g. the code before)")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--db", default="cqo_ab")
    parser.add_argument("--rows", type=int, default=20000)
    args = parser.parse_args()
    path = DATA / f"enterprises_{args.rows}.xlsx"
    if not path.exists():
        make_file(args.rows, path)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cqo_registry.settings.local",
        "DATABASE_URL": PG + args.db,
        "LOG_LEVEL": "WARNING",
    }
    trees = {"other": args.other.resolve(), "this": HERE}
    results = {name: {"first": [], "again": []} for name in trees}
    for _round in range(args.rounds):
        for name, tree in trees.items():
            fresh(tree, env, args.db)
            results[name]["first"].append(timed_import(tree, env, path))
            results[name]["again"].append(timed_import(tree, env, path))
    psql(f'DROP DATABASE IF EXISTS "{args.db}"')
    print("| checkout | import | CPU median | CPU min | wall median | wall min |")
    print("|---|---|---:|---:|---:|---:|")
    for name in trees:
        for kind, runs in results[name].items():
            cpu = [c for c, _w in runs]
            wall = [w for _c, w in runs]
            print(
                f"| {name} | {kind} | {statistics.median(cpu):.2f} | {min(cpu):.2f} "
                f"| {statistics.median(wall):.2f} | {min(wall):.2f} |"
            )
    print(f"\nload average at the end: {open('/proc/loadavg').read().strip()}")


if __name__ == "__main__":
    main()
