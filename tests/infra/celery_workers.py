"""Start a real ``celery worker`` subprocess for a test, on a queue of its own so that no
other worker or stale message of an earlier run can answer in its place."""

import os
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings

SHUTDOWN_TIMEOUT = 15


@contextmanager
def celery_worker(*, redis_url: str, log_path: Path, environment: dict[str, str]):
    """Yield ``{"name", "queue", "process", "log"}`` for a solo-pool worker started with the
    local settings, the broker and result backend at ``redis_url`` and ``environment`` on
    top; always stopped afterwards (SIGTERM, then SIGKILL)."""
    name = f"cqo-test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        # local settings take the broker from the environment (test settings force eager).
        "DJANGO_SETTINGS_MODULE": "cqo_registry.settings.local",
        "DJANGO_DEBUG": "false",
        "CELERY_BROKER_URL": redis_url,
        "CELERY_RESULT_BACKEND": redis_url,
        **environment,
    }
    command = [
        sys.executable, "-m", "celery", "-A", "cqo_registry", "worker",
        "--pool", "solo", "--concurrency", "1",
        "--hostname", f"{name}@%h", "--queues", name,
        "--include", "cqo_registry.tasks",
        "--without-gossip", "--without-mingle", "--without-heartbeat",
        "--loglevel", "INFO",
    ]  # fmt: skip
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command, cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        yield {"name": name, "queue": name, "process": process, "log": log_path}
    finally:
        process.terminate()  # SIGTERM: warm shutdown
        try:
            process.wait(timeout=SHUTDOWN_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=SHUTDOWN_TIMEOUT)


def tail(path: Path, lines: int = 40) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def wait_until(condition, worker, *, timeout: float, what: str):
    """Poll ``condition()`` until it returns something true; fail with the worker's log when
    the worker exits or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if worker["process"].poll() is not None:
            pytest.fail(f"the worker exited early:\n{tail(worker['log'])}")
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {timeout}s:\n{tail(worker['log'])}")
        time.sleep(0.2)
