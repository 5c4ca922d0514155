"""Benchmark of the enterprises import (SPEC §4/§5; goal: 20,000 rows in ≤ 5 s on PostgreSQL).

    .venv/bin/python bench/bench_import.py [--rows 20000] [--db cqo_bench] [--keep]

Generates bench/data/enterprises_<rows>.xlsx (valid USCCs from stdnum's check digit), creates a
fresh PostgreSQL database, migrates it, adds the towns, then times:

1. ``manage.py import_data enterprises FILE`` — first import (every row created);
2. the same command again — re-import (every row unchanged, nothing written);
3. the same command on a file where 10% of the rows changed — partial update;
4. the browser path (the admin's import buttons lead to it): upload and check, then confirm,
   on a fresh database;
5. the first import again, in-process (``call_command``: no interpreter or Django start-up).

Times are wall-clock of the whole ``manage.py`` process (Python and Django start-up included)
and, for the browser path, of the service calls the pages make. Prints a Markdown table.
"""

import argparse
import os
import platform
import random
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"
PYTHON = sys.executable
PG = "postgres://postgres@127.0.0.1:5432/"
TOWNS = [
    f"{n}镇"
    for n in "城关 河口 新桥 白马 青山 杨柳 花园 龙泉 石门 长岭 东湖 西湾 南塘 北坡 中和".split()
]
SCALES = ["规模以上", "中小企业", "微型企业"]
SECTIONS = ["C 制造业", "F", "制造业", "E 建筑业", "H", "I 信息传输、软件和信息技术服务业"]


LAST_DEREGISTRATION = date(2025, 6, 30)


def uscc(i: int) -> str:
    from stdnum.cn import uscc as std

    body = f"91340100{i:09d}"  # 91 = enterprise, 340100 = region, 9-char org code
    return body + std.calc_check_digit(body)


def make_file(rows: int, path: Path, *, variant: int = 0) -> None:
    from openpyxl import Workbook

    rng = random.Random(42)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("企业名录")
    ws.append(
        [
            "统一社会信用代码",
            "企业名称",
            "所属镇",
            "行业门类",
            "企业规模",
            "是否需聘任首席质量官",
            "成立日期",
            "注销日期",
            "法定代表人",
            "联系电话",
            "地址",
        ]
    )
    for i in range(rows):
        scale = SCALES[rng.randrange(3)]
        established = date(1995, 1, 1) + timedelta(days=rng.randrange(9000))
        changed = variant and i % 10 == 0
        ws.append(
            [
                uscc(i),
                f"安徽测试{i}号{'新' if changed else ''}有限公司",
                TOWNS[i % len(TOWNS)],
                SECTIONS[i % len(SECTIONS)],
                scale,
                "是" if scale == "规模以上" or i % 3 else "否",
                # Half the dates as Excel dates, half as text, as real files mix them.
                established if i % 2 else established.isoformat(),
                # Deregistered before today (a date after today is refused): the
                # registry records what has happened.
                min(established + timedelta(days=4000), LAST_DEREGISTRATION)
                if i % 50 == 0
                else None,
                f"法人{i}",
                f"0551-{6000000 + i}",
                f"{TOWNS[i % len(TOWNS)]}工业园{i}号",
            ]
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)


def psql(sql: str) -> None:
    subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-q", "-c", sql],
        check=True,
        capture_output=True,
    )


def fresh_db(name: str, env: dict) -> None:
    psql(f'DROP DATABASE IF EXISTS "{name}"')
    psql(f'CREATE DATABASE "{name}"')
    subprocess.run([PYTHON, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    code = "from enterprises.models import Town\n" + "".join(
        f"Town.objects.create(name={t!r}, code='34010{n:07d}')\n" for n, t in enumerate(TOWNS)
    )
    subprocess.run([PYTHON, "manage.py", "shell", "-c", code], cwd=ROOT, env=env, check=True)


def timed_command(env: dict, *args) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(
        [PYTHON, "manage.py", "import_data", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - started
    if done.returncode:
        raise SystemExit(f"import failed:\n{done.stdout}\n{done.stderr[-3000:]}")
    return elapsed, done.stdout.strip().splitlines()[0]


def browser_path(env: dict, path: Path) -> list[tuple[str, float]]:
    """What the browser's import page does (the admin's import buttons lead there): upload and
    check (a dry run), then confirm — timed in-process, tasks in-process (no broker)."""
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.files.uploadedfile import SimpleUploadedFile

    from cqo_registry.accounts.models import Role, User
    from cqo_registry.importing import jobs

    user, _ = User.objects.get_or_create(username="bench", defaults={"role": Role.REVIEWER})
    upload = SimpleUploadedFile(path.name, path.read_bytes())
    started = time.perf_counter()
    job = jobs.import_job_create(kind="enterprises", upload=upload, user=user)
    checked = time.perf_counter() - started
    job.refresh_from_db()
    assert job.can_confirm, job.errors[:3]
    started = time.perf_counter()
    jobs.import_job_confirm(job=job, user=user)
    confirmed = time.perf_counter() - started
    job.refresh_from_db()
    assert job.status == "done", job.errors[:3]
    return [
        ("browser import: upload and check (dry run)", checked),
        ("browser import: confirm (first import)", confirmed),
    ]


def command_in_process(path: Path) -> float:
    """The first import through ``call_command`` in this (already set up) process: the
    import itself, without the ~1.9 s of interpreter start, Django set-up and system checks
    that every ``manage.py`` run pays."""
    from io import StringIO

    from django.core.management import call_command

    started = time.perf_counter()
    call_command("import_data", "enterprises", str(path), stdout=StringIO())
    return time.perf_counter() - started


def machine() -> list[str]:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    import django

    pg = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-tAc", "SHOW server_version"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    return [
        f"- CPUs (nproc): {os.cpu_count()} — {cpu}",
        f"- RAM: {mem_kb / 1024 / 1024:.1f} GiB",
        f"- Python {platform.python_version()}, Django {django.get_version()}, PostgreSQL {pg}",
        f"- OS: {platform.platform()}",
    ]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--db", default="cqo_bench")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cqo_registry.settings.local",
        "DATABASE_URL": PG + args.db,
        "LOG_LEVEL": "WARNING",
        "DJANGO_DEBUG": "false",
    }
    path = DATA / f"enterprises_{args.rows}.xlsx"
    changed = DATA / f"enterprises_{args.rows}_changed.xlsx"
    started = time.perf_counter()
    make_file(args.rows, path)
    make_file(args.rows, changed, variant=1)
    print(f"generated {path.name} and {changed.name} in {time.perf_counter() - started:.1f} s")

    results = []
    fresh_db(args.db, env)
    for label, file in (
        ("import_data enterprises — first import (all created)", path),
        ("import_data enterprises — re-import (all unchanged)", path),
        ("import_data enterprises — 10% of rows changed", changed),
    ):
        elapsed, summary = timed_command(env, "enterprises", str(file))
        results.append((label, elapsed, summary))
    elapsed, summary = timed_command(env, "enterprises", str(path), "--dry-run")
    results.append(("import_data enterprises --dry-run", elapsed, summary))

    fresh_db(args.db, env)
    for label, seconds in browser_path(env, path):
        results.append((label, seconds, ""))
    from django.db import connections

    connections.close_all()
    fresh_db(args.db, env)
    seconds = command_in_process(path)
    results.append(
        ("import_data enterprises — first import, in-process (no start-up)", seconds, "")
    )
    if not args.keep:
        from django.db import connections

        connections.close_all()
        psql(f'DROP DATABASE IF EXISTS "{args.db}"')

    print(f"\n{args.rows:,} rows, PostgreSQL\n")
    print("| what | seconds | rows/s | summary |\n|---|---:|---:|---|")
    for label, seconds, summary in results:
        print(f"| {label} | {seconds:.2f} | {args.rows / seconds:,.0f} | {summary} |")
    print("\nMachine:\n" + "\n".join(machine()))


if __name__ == "__main__":
    main()
