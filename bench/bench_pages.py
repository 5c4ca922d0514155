"""Pages under load (issue 15 §1): each page's req/s as a percentage of a bare view's.

    .venv/bin/python bench/bench_pages.py [--db-url postgres://postgres@127.0.0.1:5432/cqo_bench_100k]
        [--enterprises 100000] [--workers 2] [--clients 8] [--seconds 3] [--max-requests 1500]
        [--rounds 2] [--only NAME,NAME] [--json FILE]

1. The database: ``--db-url`` (default ``cqo_bench_100k``, the database of
   ``bench/bench_stats.py --enterprises 100000``). When it does not exist or holds no enterprise
   it is created and filled by ``bench_stats.build`` (the same seeded county); an existing one
   is kept, only migrated. The snapshot of 2022-06-30 is taken when missing, and the
   benchmark's users are created or reset (idempotent): a leader, a town officer of town 1 and
   a reviewer with an authenticator (the second factor stays on, as in production).
2. The server: a Redis of its own on a free port (the production cache and the throttles' store;
   no persistence), ``collectstatic`` into ``var/bench-pages/static``, then gunicorn with
   ``cqo_registry.settings.production``, ``--workers`` sync workers (the deployment's default
   worker class), on a free loopback port. The environment is the production one of
   ``.env.example`` with three changes, each said in the report: ``CQO_BENCH_BARE_VIEW=1``
   (routes ``/bench/ok``, a bare "ok" through the whole middleware stack), the public lookup's
   throttle raised (else every request after the 60th of a minute is a cheap 429) and no access
   log. Each request carries ``X-Forwarded-Proto: https`` as the TLS-ending proxy sets it.
3. The load: signs in over HTTP (password, then the TOTP code), fetches each page once (any
   answer but 200 fails the run), then for ``--rounds`` rounds, for each page: ``--clients``
   threads each with its own connection send requests back to back for ``--seconds`` or until
   ``--max-requests`` in all, first to the bare view, then to the page — so every page has a bare
   phase right before and after it, and its percentage is of the mean of those two. The load
   average is sampled at every phase.

Prints a Markdown section for bench/RESULTS.md: the machine, its load during the run, and per
page req/s, % of the bare view, p50/p99/max in ms, and the response size.
"""

import argparse
import base64
import hashlib
import http.client
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics as stats
import subprocess
import sys
import threading
import time
import urllib.parse
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/cqo_bench_100k"
D = date(2022, 6, 30)
PASSWORD = "Bench#Pages2026!"
TOTP_KEY = "3132333435363738393031323334353637383930"  # hex, the reviewer's authenticator
# The secret the bench database's ID numbers were encrypted with (bench_stats builds it with
# the test settings, whose data keys derive from their SECRET_KEY).
BUILD_SECRET = "test-only-secret-key"
WORK = ROOT / "var" / "bench-pages"

# (name, user, path). "anonymous" is not signed in.
PAGES = [
    ("leader dashboard (snapshot)", "leader", f"/dashboard/?as_of={D.isoformat()}"),
    ("town dashboard", "town", f"/town/?as_of={D.isoformat()}"),
    ("town vacancy list", "town", "/town/vacancies/"),
    ("review queue", "reviewer", "/review/"),
    ("registrations", "reviewer", "/review/registrations/"),
    ("enterprise registry list", "reviewer", "/enterprises/"),
    ("registry search", "reviewer", "/enterprises/?q=%E4%BC%81%E4%B8%9A01234"),
    ("incomplete enterprises", "reviewer", "/enterprises/incomplete/"),
    ("vacancy list (county)", "reviewer", "/town/vacancies/"),
    ("drill-down T1", "reviewer", f"/dashboard/explain/T1/?as_of={D.isoformat()}"),
    ("training sessions", "reviewer", "/training/"),
    ("untrained CQOs", "reviewer", "/training/untrained/"),
    ("evaluations", "reviewer", "/evaluations/"),
    ("sanctions", "reviewer", "/oversight/"),
    ("risk list", "reviewer", "/oversight/risk/"),
    ("confirmations", "reviewer", "/confirmations/"),
    ("public lookup ?q=", "anonymous", "/public/?q=%E4%BC%81%E4%B8%9A01234"),
    ("honour roll", "anonymous", "/public/honours/"),
]
BARE = ("bare view /bench/ok", "anonymous", "/bench/ok")


# --- Preparation (in this process, test settings) -------------------------------------------


def database_ready(url: str) -> bool:
    import psycopg2

    parsed = urllib.parse.urlparse(url)
    try:
        conn = psycopg2.connect(url)
    except psycopg2.OperationalError:
        return False
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT to_regclass('enterprises_enterprise') IS NOT NULL")
            if not cursor.fetchone()[0]:
                return False
            cursor.execute("SELECT EXISTS (SELECT 1 FROM enterprises_enterprise)")
            return cursor.fetchone()[0]
    finally:
        conn.close()
        del parsed


def prepare(url: str, enterprises: int) -> dict:
    """The filled database, its snapshot of D and the benchmark's users; returns what it did."""
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cqo_registry.settings.test")
    done = {}
    fresh = not database_ready(url)
    if fresh:
        if "bench" not in url.rsplit("/", 1)[-1]:
            sys.exit("Refusing to create a database whose name does not contain 'bench'.")
        import bench_stats

        bench_stats.recreate_database(url)
    import django

    django.setup()
    from django.contrib.auth.hashers import PBKDF2PasswordHasher
    from django.core.management import call_command
    from django.utils import timezone
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from cqo_registry.accounts.models import Role, User
    from enterprises.models import Enterprise, Town
    from reports import snapshots

    call_command("migrate", verbosity=0)
    if fresh:
        import bench_stats

        done["built"] = bench_stats.build(enterprises)
    done["enterprises"] = Enterprise.objects.count()
    if snapshots.snapshot_for(D) is None:
        snapshots.snapshot_take(as_of=D, kind="on_demand")
        done["snapshot_taken"] = D.isoformat()
    town = Town.objects.order_by("pk").first()
    for username, role, extra in [
        ("bench_leader", Role.LEADER, {}),
        ("bench_town", Role.TOWN_OFFICER, {"town": town}),
        ("bench_reviewer", Role.REVIEWER, {}),
    ]:
        user, _ = User.objects.update_or_create(
            username=username,
            defaults={
                "role": role,
                "is_active": True,
                "must_change_password": False,
                "password_changed_at": timezone.now(),
                "email": f"{username}@bench.test",
                **extra,
            },
        )
        # Hashed as production hashes (the test settings' hasher is MD5, unknown there).
        user.password = PBKDF2PasswordHasher().encode(PASSWORD, PBKDF2PasswordHasher().salt())
        user.save()
        if role == Role.REVIEWER:
            TOTPDevice.objects.filter(user=user).delete()
            TOTPDevice.objects.create(user=user, name="bench", key=TOTP_KEY, confirmed=True)
    from axes.models import AccessAttempt

    AccessAttempt.objects.filter(username__startswith="bench_").delete()
    return done


# --- The server -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def production_env(url: str, redis_port: int) -> dict:
    secret = BUILD_SECRET
    data_key = base64.urlsafe_b64encode(
        hashlib.sha256(f"cqo-data-key:{secret}".encode()).digest()
    ).decode()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CQO_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="cqo_registry.settings.production",
        DJANGO_SECRET_KEY="bench-pages-" + "x" * 50,
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DATABASE_URL=url,
        CELERY_BROKER_URL=f"redis://127.0.0.1:{redis_port}/0",
        SITE_URL="https://127.0.0.1",
        STATIC_ROOT=str(WORK / "static"),
        PRIVATE_MEDIA_ROOT=str(WORK / "private"),
        CQO_DATA_KEYS=data_key,
        CQO_DATA_HMAC_KEY="bench-pages-lookup-hash-key",
        CQO_BENCH_BARE_VIEW="1",
        CQO_PUBLIC_LOOKUP_RATE="1000000/m",
        LOG_LEVEL="WARNING",
    )
    return env


class Server:
    def __init__(self, url: str, workers: int):
        self.url = url
        self.workers = workers
        self.procs: list[subprocess.Popen] = []

    def start(self) -> int:
        WORK.mkdir(parents=True, exist_ok=True)
        redis_port = free_port()
        self.procs.append(
            subprocess.Popen(
                [
                    shutil.which("redis-server") or "redis-server",
                    "--port",
                    str(redis_port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                ],
                stdout=open(WORK / "redis.log", "w"),
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
        env = production_env(self.url, redis_port)
        bin_dir = Path(sys.executable).parent
        subprocess.run(
            [str(bin_dir / "python"), "manage.py", "collectstatic", "--noinput", "-v0"],
            cwd=ROOT,
            env=env,
            check=True,
        )
        self.port = free_port()
        self.procs.append(
            subprocess.Popen(
                [
                    str(bin_dir / "gunicorn"),
                    "cqo_registry.wsgi:application",
                    "--bind",
                    f"127.0.0.1:{self.port}",
                    "--workers",
                    str(self.workers),
                    "--timeout",
                    "120",
                ],
                cwd=ROOT,
                env=env,
                stdout=open(WORK / "gunicorn.log", "w"),
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                status, _, _ = Client(self.port).get(BARE[2])
                if status == 200:
                    return self.port
            except OSError:
                pass
            time.sleep(0.3)
        self.stop()
        sys.exit(f"gunicorn did not answer within 60 s: see {WORK / 'gunicorn.log'}")

    def stop(self) -> None:
        for proc in reversed(self.procs):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


# --- The client -----------------------------------------------------------------------------


class Client:
    """One connection (kept alive when the server allows) and one user's cookies, sent whatever
    their Secure flag: TLS ends at the proxy this client stands in for."""

    def __init__(self, port: int, cookies: dict | None = None):
        self.port = port
        self.cookies = dict(cookies or {})
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def request(self, method: str, path: str, form: dict | None = None):
        headers = {
            "Host": f"127.0.0.1:{self.port}",
            "X-Forwarded-Proto": "https",
            "Accept-Language": "zh-hans",
        }
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            origin = f"https://127.0.0.1:{self.port}"
            headers.update(
                {
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Origin": origin,
                    "Referer": origin + path,
                }
            )
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                payload = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()
                if attempt == 2:
                    raise
        for value in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        if response.getheader("Connection", "").lower() == "close":
            self.conn.close()
        return response.status, response.headers, payload

    def get(self, path: str):
        return self.request("GET", path)

    def post(self, path: str, form: dict):
        return self.request("POST", path, form)


def _csrf(payload: bytes) -> str:
    found = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', payload)
    if not found:
        raise RuntimeError("no CSRF token on the form")
    return found.group(1).decode()


def totp_code(key_hex: str, step_offset: int = 0) -> str:
    from django_otp.oath import totp

    return f"{totp(bytes.fromhex(key_hex), t0=0, step=30, digits=6, drift=step_offset):06d}"


def sign_in(port: int, username: str, totp_key: str | None = None) -> dict:
    """The user's cookies after signing in as a browser does: the password, then the
    authenticator's code when asked."""
    client = Client(port)
    _, _, page = client.get("/accounts/login/")
    status, headers, _ = client.post(
        "/accounts/login/",
        {"csrfmiddlewaretoken": _csrf(page), "username": username, "password": PASSWORD},
    )
    if status != 302:
        raise RuntimeError(f"{username}: sign-in answered {status}")
    if totp_key:
        # The account policy's middleware asks for the code on the next page.
        path = "/accounts/two-factor/verify/"
        for _attempt in range(3):
            _, _, page = client.get(path)
            status, headers, _ = client.post(
                path, {"csrfmiddlewaretoken": _csrf(page), "code": totp_code(totp_key)}
            )
            if status == 302:
                break
            # A code is accepted once: another sign-in of this user (another run) may have
            # used this step's code. Wait for the next one.
            time.sleep(31 - time.time() % 30)
        if status != 302 or "/two-factor/" in headers.get("Location", ""):
            raise RuntimeError(f"{username}: the second factor was refused ({status})")
    return client.cookies


# --- The load -------------------------------------------------------------------------------


def load_average() -> tuple[float, float, float]:
    return tuple(float(x) for x in Path("/proc/loadavg").read_text().split()[:3])


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def phase(port: int, cookies: dict, path: str, clients: int, seconds: float, cap: int) -> dict:
    """``clients`` threads, back to back, for ``seconds`` or ``cap`` requests in all."""
    latencies: list[float] = []
    errors: list[int] = []
    sizes: list[int] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    issued = [0]

    def worker():
        client = Client(port, cookies)
        while time.monotonic() < deadline:
            with lock:
                if issued[0] >= cap:
                    return
                issued[0] += 1
            started = time.perf_counter()
            try:
                status, _, payload = client.get(path)
            except OSError:
                status, payload = 0, b""
                client.conn.close()
            elapsed = time.perf_counter() - started
            with lock:
                if status == 200:
                    latencies.append(elapsed)
                    sizes.append(len(payload))
                else:
                    errors.append(status)

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    return {
        "ok": len(latencies),
        "errors": len(errors),
        "error_statuses": sorted(set(errors)),
        "wall_s": wall,
        "rps": len(latencies) / wall,
        "latencies": latencies,
        "bytes": int(stats.median(sizes)) if sizes else 0,
        "load": load_average(),
    }


def machine() -> dict:
    cpu = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = Path("/proc/meminfo").read_text().split("\n")[0].split()[1]
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "mem_gib": round(int(mem) / 1024 / 1024, 1),
        "platform": platform.platform(),
        "python": platform.python_version(),
    }


def busy_processes() -> list[str]:
    """The processes using the most CPU when the run starts (the machine is shared)."""
    out = subprocess.run(
        ["ps", "-eo", "pcpu,etime,args", "--sort=-pcpu"], capture_output=True, text=True
    ).stdout.splitlines()[1:8]
    return [line.strip()[:110] for line in out]


def run(args) -> dict:
    out = {"started": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())}
    out["prepare"] = prepare(args.db_url, args.enterprises)
    out["machine"] = machine()
    pages = PAGES
    if args.only:
        wanted = set(args.only.split(","))
        pages = [p for p in PAGES if p[0] in wanted or p[2] in wanted]
    server = Server(args.db_url, args.workers)
    port = server.start()
    try:
        jar = {
            "anonymous": {},
            "leader": sign_in(port, "bench_leader"),
            "town": sign_in(port, "bench_town"),
            "reviewer": sign_in(port, "bench_reviewer", TOTP_KEY),
        }
        for name, user, path in [BARE, *pages]:
            status, headers, _ = Client(port, jar[user]).get(path)
            if status != 200:
                raise RuntimeError(
                    f"{name}: {path} answered {status} {headers.get('Location', '')} to {user}"
                )
        out["busy_at_start"] = busy_processes()
        out["load_before"] = load_average()
        results = {name: [] for name, _, _ in [BARE, *pages]}
        bare_around = {name: [] for name, _, _ in pages}
        for _round in range(args.rounds):
            previous = phase(port, {}, BARE[2], args.clients, args.seconds, args.max_requests)
            results[BARE[0]].append(previous)
            for name, user, path in pages:
                measured = phase(
                    port, jar[user], path, args.clients, args.seconds, args.max_requests
                )
                results[name].append(measured)
                after = phase(port, {}, BARE[2], args.clients, args.seconds, args.max_requests)
                results[BARE[0]].append(after)
                bare_around[name] += [previous["rps"], after["rps"]]
                previous = after
                print(
                    json.dumps(
                        {
                            "page": name,
                            "rps": round(measured["rps"], 1),
                            "bare": round(after["rps"]),
                        }
                    ),
                    file=sys.stderr,
                    flush=True,
                )
        out["load_after"] = load_average()
    finally:
        server.stop()
    summary = []
    for name, user, path in [BARE, *pages]:
        runs = results[name]
        latencies = [x for r in runs for x in r["latencies"]]
        ok = sum(r["ok"] for r in runs)
        wall = sum(r["wall_s"] for r in runs)
        rps = ok / wall if wall else 0.0
        bare = stats.mean(bare_around[name]) if name in bare_around else rps
        summary.append(
            {
                "page": name,
                "user": user,
                "path": path,
                "requests": ok,
                "errors": sum(r["errors"] for r in runs),
                "rps": rps,
                "pct_of_bare": 100 * rps / bare if bare else 0.0,
                "bare_rps": bare,
                "p50_ms": 1000 * percentile(latencies, 50),
                "p99_ms": 1000 * percentile(latencies, 99),
                "max_ms": 1000 * max(latencies) if latencies else float("nan"),
                "bytes": runs[0]["bytes"],
            }
        )
    loads = [r["load"][0] for runs in results.values() for r in runs]
    out["load_1min"] = {"min": min(loads), "mean": stats.mean(loads), "max": max(loads)}
    out["pages"] = summary
    out["settings"] = {
        "workers": args.workers,
        "clients": args.clients,
        "seconds": args.seconds,
        "max_requests": args.max_requests,
        "rounds": args.rounds,
    }
    return out


def markdown(out: dict) -> str:
    m = out["machine"]
    s = out["settings"]
    lines = [
        f"Run {out['started']}: gunicorn {s['workers']} sync workers, production settings, "
        f"{s['clients']} concurrent clients on loopback, {s['rounds']} rounds of "
        f"{s['seconds']} s (≤ {s['max_requests']} requests) per page, each between two bare "
        "phases.",
        "",
        f"Machine: nproc {m['nproc']}, {m['cpu']}, {m['mem_gib']} GiB, {m['platform']}, Python "
        f"{m['python']}. Load average (1 min) during the run: min {out['load_1min']['min']:.2f}, "
        f"mean {out['load_1min']['mean']:.2f}, max {out['load_1min']['max']:.2f} "
        f"(before {' '.join(f'{x:.2f}' for x in out['load_before'])}, after "
        f"{' '.join(f'{x:.2f}' for x in out['load_after'])}).",
        "",
        "Busiest processes at the start: " + "; ".join(f"`{p}`" for p in out["busy_at_start"][:5]),
        "",
        "| page | as | req/s | % of bare | p50 ms | p99 ms | max ms | requests | errors | bytes |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in out["pages"]:
        lines.append(
            f"| {row['page']} (`{row['path']}`) | {row['user']} | {row['rps']:.1f} | "
            f"{row['pct_of_bare']:.1f}% | {row['p50_ms']:.0f} | {row['p99_ms']:.0f} | "
            f"{row['max_ms']:.0f} | {row['requests']} | {row['errors']} | {row['bytes']:,} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--enterprises", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--max-requests", type=int, default=1500)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--only", help="page names or paths, comma-separated")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()
    out = run(args)
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1, ensure_ascii=False, default=str))
    print(markdown(out))


if __name__ == "__main__":
    main()
