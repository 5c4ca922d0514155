"""One page's cost inside the process: CPU per request, its queries, and where the CPU goes.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tmp_copy_of_bench \\
        .venv/bin/python bench/profile_page.py PATH [--role reviewer | --user USERNAME]
            [--requests 30] [--warmup 3] [--two-factor] [--profile [N]] [--sort cumulative]
            [--settings cqo_registry.settings.test] [--language en] [--allow-write]
            [--output FILE] [--dump FILE] [--sql FILE] [--redis URL] [--plain-statements]

Signs in a user with ``django.test.Client.force_login`` — ``--user`` an existing user, or
``--role`` the user ``profile_<role>`` (created on first use; a town officer gets the first
town, an enterprise user the first active enterprise) — requests PATH ``--warmup`` times, then
``--requests`` times, and prints:

* CPU per request (``time.process_time``: this process only, so the database's own work is
  not in it) and wall time per request, median / min / max in ms;
* the queries of one request (the last), each with its time in ms and its SQL cut to one line,
  and their total — the set every request of the page runs;
* with ``--output FILE``, the last response's body written to FILE (to compare two
  checkouts' pages byte for byte);
* with ``--redis URL``, the cache is production's (Redis at URL) rather than the test
  settings' local memory, so that a page's cached fragments cost what they cost there;
* the list pages' row statements prepared once per connection, as production prepares them
  (``CQO_PREPARED_STATEMENTS``, which the test settings turn off); ``--plain-statements``
  leaves them plain;
* with ``--sql FILE``, the last request's queries written to FILE in full, one a line (to
  ``EXPLAIN ANALYZE`` them);
* with ``--dump FILE`` (and ``--profile``), the profile's stats written to FILE, for
  ``pstats`` (``print_callees``) to tell where one function's time goes;
* with ``--profile``, a cProfile of all the timed requests: the top N functions (default 30)
  by ``--sort`` (``cumulative`` or ``tottime``). cProfile slows Python code down ~2×, so the
  CPU figures of a profiled run are not the page's: run once without it for those.

``--two-factor`` turns ``CQO_TWO_FACTOR_REQUIRED`` on and gives a bureau user a confirmed
authenticator (``profile`` device) when they have none, as production does: a page then pays
the second-factor checks it pays there. A user with a confirmed authenticator is signed in
with a session verified by it, with or without ``--two-factor``.

It writes to the database: the user (and device) when missing, a session row, and whatever the
page writes. It therefore refuses a shared benchmark database (name starting ``cqo_bench``)
unless ``--allow-write``: copy one instead (``createdb -T cqo_bench_100k tmp_NAME`` takes a
second) and drop the copy afterwards. The settings default to the test settings (local-memory
cache, no second factor, the database of ``DATABASE_URL``); the figures are of one process
with nothing else to do, so compare them with each other (before / after a change, on the
same machine and database), not with ``bench_pages.py``'s req/s.
"""

import argparse
import cProfile
import io
import os
import pstats
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ROLES = ("bureau_admin", "reviewer", "town_officer", "leader", "enterprise")


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", help="the page, e.g. /oversight/risk/?page=2")
    who = parser.add_mutually_exclusive_group()
    who.add_argument("--role", choices=ROLES, default="reviewer")
    who.add_argument("--user", help="an existing username (instead of --role)")
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--two-factor", action="store_true")
    parser.add_argument("--profile", type=int, nargs="?", const=30, default=0, metavar="N")
    parser.add_argument("--sort", choices=("cumulative", "tottime"), default="cumulative")
    parser.add_argument("--settings", default="cqo_registry.settings.test")
    parser.add_argument(
        "--language", help="the language cookie's value (e.g. en); default: the site's language"
    )
    parser.add_argument("--allow-write", action="store_true")
    parser.add_argument("--output", metavar="FILE", help="write the last response's body here")
    parser.add_argument(
        "--redis",
        metavar="URL",
        help="use production's cache (Redis at URL, e.g. redis://127.0.0.1:6379/5) instead of "
        "the test settings' local-memory one: what a cached fragment costs to fetch",
    )
    parser.add_argument(
        "--dump", metavar="FILE", help="with --profile, also write the profile's stats here"
    )
    parser.add_argument(
        "--plain-statements",
        action="store_true",
        help="do not prepare the list pages' row statements (production prepares them)",
    )
    parser.add_argument(
        "--sql", metavar="FILE", help="write the last request's queries here in full, one a line"
    )
    return parser.parse_args(argv)


def refuse_shared_database() -> None:
    url = os.environ.get("DATABASE_URL", "")
    name = urlparse(url).path.lstrip("/")
    if name.startswith("cqo_bench"):
        sys.exit(
            f"{name} is a shared benchmark database and this script writes a session to it; "
            "copy it (createdb -T) or pass --allow-write."
        )


def the_user(args):
    """The user to sign in: ``--user``, or ``profile_<role>`` created or reset to the role."""
    from django.utils import timezone

    from cqo_registry.accounts.models import Role, User
    from enterprises.models import Enterprise, Town

    if args.user:
        return User.objects.get(username=args.user)
    role = {
        "bureau_admin": Role.BUREAU_ADMIN,
        "reviewer": Role.REVIEWER,
        "town_officer": Role.TOWN_OFFICER,
        "leader": Role.LEADER,
        "enterprise": Role.ENTERPRISE,
    }[args.role]
    extra = {}
    if role == Role.TOWN_OFFICER:
        extra["town"] = Town.objects.order_by("pk").first()
    if role == Role.ENTERPRISE:
        extra["enterprise"] = Enterprise.objects.order_by("pk").first()
    user, _ = User.objects.update_or_create(
        username=f"profile_{args.role}",
        defaults={
            "role": role,
            "is_active": True,
            "must_change_password": False,
            "password_changed_at": timezone.now(),
            **extra,
        },
    )
    return user


def signed_in_client(user, two_factor: bool):
    from django.test import Client
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client = Client()
    client.force_login(user)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if two_factor and device is None:
        device = TOTPDevice.objects.create(user=user, name="profile", confirmed=True)
    if device is not None:  # a user with an authenticator has entered its code
        session = client.session
        session["otp_device_id"] = device.persistent_id  # what django_otp.login stores
        session.save()
    return client


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f}"


def main(argv=None) -> None:
    args = parse_args(argv)
    if not args.allow_write:
        refuse_shared_database()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", args.settings)
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test.utils import CaptureQueriesContext, override_settings

    override_settings(CQO_PREPARED_STATEMENTS=not args.plain_statements).enable()
    if args.two_factor:
        override_settings(CQO_TWO_FACTOR_REQUIRED=True).enable()
    if args.redis:
        backend = {"BACKEND": "cqo_registry.cache.ResilientRedisCache", "LOCATION": args.redis}
        caches = {"default": {**backend, "KEY_PREFIX": "profile"}}
        override_settings(CACHES={**settings.CACHES, **caches}).enable()
    client = signed_in_client(the_user(args), args.two_factor)
    if args.language:  # what the language switcher sets
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = args.language
    for _ in range(args.warmup):
        response = client.get(args.path)
    if args.warmup and response.status_code != 200:
        sys.exit(f"{args.path} answered {response.status_code}, not 200")

    cpu, wall = [], []
    profiler = cProfile.Profile() if args.profile else None
    for n in range(args.requests):
        last = n == args.requests - 1
        with CaptureQueriesContext(connection) as queries:
            if profiler:
                profiler.enable()
            started_cpu, started_wall = time.process_time(), time.perf_counter()
            response = client.get(args.path)
            cpu.append(time.process_time() - started_cpu)
            wall.append(time.perf_counter() - started_wall)
            if profiler:
                profiler.disable()
        if last:
            captured = list(queries.captured_queries)
    print(
        f"{args.path} — {response.status_code}, {len(response.content):,} bytes, "
        f"settings {os.environ['DJANGO_SETTINGS_MODULE']}, database {connection.vendor} "
        f"{connection.settings_dict['NAME']}, two-factor {'on' if args.two_factor else 'off'}"
    )
    print(
        f"CPU per request, ms:  median {ms(statistics.median(cpu))}  min {ms(min(cpu))}  "
        f"max {ms(max(cpu))}  ({args.requests} requests after {args.warmup} warm-ups)"
    )
    print(
        f"wall per request, ms: median {ms(statistics.median(wall))}  min {ms(min(wall))}  "
        f"max {ms(max(wall))}"
    )
    total = sum(float(q["time"]) for q in captured)
    print(f"queries of one request: {len(captured)}, {total * 1000:.2f} ms in all")
    for q in captured:
        sql = " ".join(q["sql"].split())
        print(f"  {float(q['time']) * 1000:7.2f} ms  {sql[:160]}")
    if args.output:
        Path(args.output).write_bytes(response.content)
    if args.sql:
        Path(args.sql).write_text("".join(" ".join(q["sql"].split()) + ";\n" for q in captured))
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(args.sort).print_stats(args.profile)
        if args.dump:  # read with pstats.Stats(FILE).print_callees("explain") and the like
            profiler.dump_stats(args.dump)
        print(out.getvalue())


if __name__ == "__main__":
    main()
