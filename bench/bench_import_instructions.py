"""Instructions spent reading and validating the 20,000-row enterprises file, per checkout.

    .venv/bin/python bench/bench_import_instructions.py [CHECKOUT ...] [--rows 20000]
        [--tool callgrind|cachegrind] [--keep-profiles DIR]
    .venv/bin/python bench/bench_import_instructions.py --profile [CHECKOUT]

Wall-clock time on a shared 2-CPU machine moves by tens of percent with the load; the number of
instructions a run executes does not. For each checkout (default: this one), on a SQLite
database of its own (migrated, with the 15 towns of ``bench_import.py``, no enterprises), two
processes run under valgrind (``PYTHONHASHSEED=0``):

* **set-up** — Python and Django start, the settings, the apps, the import modules loaded;
* **work** — the same, then ``read_workbook(FILE)`` and ``run_import(importer, workbook,
  dry_run=True)``: the file read and every row validated as a first import (all created).

"read + validate" is work minus set-up. Both checkouts run with this checkout's virtualenv,
so library versions are the same. ``--profile`` runs the work once in-process under cProfile
(no valgrind) and prints the top functions — for finding the cost, not for the record.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(HERE / "bench"))
from bench_import import DATA, TOWNS, make_file  # noqa: E402

PYTHON = sys.executable

CHILD = r"""
import os, sys, time
tree, phase, path = sys.argv[1], sys.argv[2], sys.argv[3]
sys.path.insert(0, tree)
os.chdir(tree)
import django
django.setup()
from django.db import connection
from cqo_registry.importing import read_workbook, run_import
from cqo_registry.importing.registry import get_importer_class
importer_class = get_importer_class("enterprises")
connection.ensure_connection()
if phase == "work":
    started = time.process_time()
    workbook = read_workbook(path)
    read = time.process_time() - started
    importer = importer_class(file_name=os.path.basename(path))
    result = run_import(importer, workbook, dry_run=True)
    done = time.process_time() - started
    assert result.ok, [str(e) for e in result.errors[:5]]
    print("RESULT", result.rows_read, dict(result.counts), f"{read:.3f} {done - read:.3f}")
elif phase == "profile":
    import cProfile, pstats
    profiler = cProfile.Profile()
    profiler.enable()
    workbook = read_workbook(path)
    result = run_import(importer_class(file_name="x.xlsx"), workbook, dry_run=True)
    profiler.disable()
    assert result.ok
    pstats.Stats(profiler).sort_stats("tottime").print_stats(35)
"""


def prepare(tree: Path, db: Path) -> dict:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cqo_registry.settings.local",
        "DATABASE_URL": f"sqlite:///{db}",
        "LOG_LEVEL": "WARNING",
        "DJANGO_DEBUG": "false",
        "PYTHONHASHSEED": "0",
    }
    if not db.exists():
        subprocess.run([PYTHON, "manage.py", "migrate", "-v0"], cwd=tree, env=env, check=True)
        code = "from enterprises.models import Town\n" + "".join(
            f"Town.objects.create(name={t!r}, code='34010{n:07d}')\n" for n, t in enumerate(TOWNS)
        )
        subprocess.run([PYTHON, "manage.py", "shell", "-c", code], cwd=tree, env=env, check=True)
    return env


def instructions(tree: Path, env: dict, phase: str, path: Path, tool: str, out: Path) -> int:
    done = subprocess.run(
        [
            "valgrind",
            f"--tool={tool}",
            f"--{tool}-out-file={out}",
            *(["--cache-sim=no"] if tool == "cachegrind" else []),
            PYTHON,
            "-c",
            CHILD,
            str(tree),
            phase,
            str(path),
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise SystemExit(f"{phase} failed in {tree}:\n{done.stderr[-3000:]}")
    if phase == "work":
        print("   ", next(line for line in done.stdout.splitlines() if line.startswith("RESULT")))
    total = re.search(r"(?:summary|totals):\s*(\d+)", out.read_text())
    return int(total.group(1))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("trees", nargs="*", type=Path, default=[HERE])
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--tool", default="callgrind", choices=["callgrind", "cachegrind"])
    parser.add_argument("--keep-profiles", type=Path)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    path = DATA / f"enterprises_{args.rows}.xlsx"
    if not path.exists():
        make_file(args.rows, path)
    scratch = Path(tempfile.mkdtemp(prefix="cqo_instr_"))
    profiles = args.keep_profiles or scratch
    profiles.mkdir(parents=True, exist_ok=True)
    rows = []
    for index, tree in enumerate(args.trees):
        tree = tree.resolve()
        env = prepare(tree, scratch / f"db{index}.sqlite3")
        if args.profile:
            subprocess.run([PYTHON, "-c", CHILD, str(tree), "profile", str(path)], env=env)
            continue
        counts = {}
        for phase in ("setup", "work"):
            out = profiles / f"{args.tool}.{index}.{phase}.out"
            counts[phase] = instructions(tree, env, phase, path, args.tool, out)
        rows.append((tree, counts["setup"], counts["work"] - counts["setup"]))
    if rows:
        print("| checkout | set-up | read + validate |\n|---|---:|---:|")
        for tree, setup, work in rows:
            print(f"| {tree} | {setup / 1e6:,.0f} M | {work / 1e6:,.0f} M |")


if __name__ == "__main__":
    main()
