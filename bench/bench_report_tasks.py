"""Peak memory and time of the files background exports build (issue 15 §2), on a filled
bench database. Read-only: it builds each file into a temporary file and writes nothing to the
database (no run row; the kinds' ``write`` only reads).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cqo_bench_100k \\
        .venv/bin/python bench/bench_report_tasks.py [--as-of 2022-06-30] [--timeout 900]
            [--only assessment_xlsx,assessment_pdf,...] [--pdf-list-limit N] [--json FILE]

Each file is built in a fresh child process (``resource.getrusage(RUSAGE_SELF).ru_maxrss`` is
a process's peak, so one process per measurement), as a bureau admin (the whole county), the
way the task builds it: ``cqo_registry.exports.base.get_kind(kind).write(...)``. The child
reports its peak RSS after Django, openpyxl and WeasyPrint are imported (the baseline every
worker has) and after the file is written, the wall time, the rows and the file's size.

``assessment_pdf_full_list`` is the PDF as it was before (every enterprise without a CQO
listed, ``--pdf-list-limit`` lifted): the "before" of the PDF. Use a database filled by
``bench_stats.py`` (``cqo_bench_100k``, ``cqo_bench_300k``); it is never dropped or changed.
Prints a Markdown table for bench/RESULTS.md with the machine.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cqo_registry.settings.test")

KINDS = ["assessment_xlsx", "assessment_pdf", "registry", "explain", "vacancies", "untrained"]
EXTRA = ["assessment_pdf_full_list"]


def bureau_user():
    """A bureau admin who sees the whole county, never saved."""
    from cqo_registry.accounts.models import Role, User

    return User(username="bench", role=Role.BUREAU_ADMIN, is_active=True)


def child(kind: str, as_of: str, pdf_list_limit: int | None) -> dict:
    import resource

    import django

    django.setup()
    import openpyxl  # noqa: F401
    import weasyprint  # noqa: F401
    from django.conf import settings

    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    from cqo_registry.exports.base import get_kind

    parameters = {"query": "", "day": as_of, "as_of": as_of}
    real = kind
    if kind == "assessment_pdf_full_list":
        real = "assessment_pdf"
        settings.CQO_ASSESSMENT_PDF_LIST_LIMIT = 10**9
    elif pdf_list_limit is not None:
        settings.CQO_ASSESSMENT_PDF_LIST_LIMIT = pdf_list_limit
    if real == "explain":
        parameters = {"code": "T1", "query": f"as_of={as_of}"}
    export = get_kind(real)
    steps = []
    started = time.perf_counter()
    with tempfile.TemporaryFile() as output:
        rows = export.write(
            bureau_user(), parameters, output, lambda done, total: steps.append((done, total))
        )
        size = output.tell()
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "kind": kind,
        "rows": rows,
        "seconds": round(elapsed, 1),
        "baseline_mb": round(base / 1024),
        "peak_mb": round(peak / 1024),
        "file_mb": round(size / 1024 / 1024, 1),
        "progress_reports": len(steps),
    }


def machine() -> dict:
    import django

    django.setup()
    from django.db import connection

    cpu = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    kb = int(Path("/proc/meminfo").read_text().split()[1])
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM enterprises_enterprise")
        enterprises = cursor.fetchone()[0]
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "ram": f"{kb / 1024 / 1024:.1f} GiB",
        "os": platform.platform(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "postgresql": pg,
        "database": connection.settings_dict["NAME"],
        "enterprises": enterprises,
    }


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--as-of", default="2022-06-30")
    parser.add_argument("--timeout", type=int, default=900, help="statement_timeout, seconds")
    parser.add_argument("--only", default="", help="comma-separated kinds")
    parser.add_argument("--pdf-list-limit", type=int, default=None)
    parser.add_argument("--json", default="")
    parser.add_argument("--child", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ["PGOPTIONS"] = f"-c statement_timeout={args.timeout * 1000}"
    if args.child:
        print(json.dumps(child(args.child, args.as_of, args.pdf_list_limit)))
        return
    kinds = args.only.split(",") if args.only else KINDS + EXTRA
    info = machine()
    before = load()
    results = []
    for kind in kinds:
        command = [sys.executable, __file__, "--child", kind, "--as-of", args.as_of]
        command += ["--timeout", str(args.timeout)]
        if args.pdf_list_limit is not None:
            command += ["--pdf-list-limit", str(args.pdf_list_limit)]
        print(json.dumps({"running": kind, "load": load()}), file=sys.stderr, flush=True)
        done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)
        if done.returncode:
            results.append({"kind": kind, "error": done.stderr.strip().splitlines()[-1:]})
        else:
            results.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(json.dumps(results[-1]), file=sys.stderr, flush=True)
    after = load()
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": info, "results": results}, indent=2))
    print(
        f"Machine: {info['nproc']} CPUs ({info['cpu']}), {info['ram']} RAM, {info['os']}; "
        f"PostgreSQL {info['postgresql']}, Python {info['python']}, Django {info['django']}. "
        f"Database `{info['database']}` ({info['enterprises']:,} enterprises), as of "
        f"{args.as_of}. Load average before {before}, after {after}.\n"
    )
    print("| file | rows | wall s | baseline RSS MB | peak RSS MB | file MB |")
    print("|---|---:|---:|---:|---:|---:|")
    for row in results:
        if "error" in row:
            print(f"| {row['kind']} | error: {row['error']} | | | | |")
            continue
        print(
            f"| {row['kind']} | {row['rows']:,} | {row['seconds']} | {row['baseline_mb']} "
            f"| {row['peak_mb']} | {row['file_mb']} |"
        )


if __name__ == "__main__":
    main()
