"""Production settings pass Django's deployment checklist with the documented environment."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.conf import settings

ENV_EXAMPLE = Path(settings.BASE_DIR) / ".env.example"


def documented_environment() -> dict[str, str]:
    """The active ``KEY=value`` lines of .env.example, filled in as an operator would."""
    values = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    values["DJANGO_SECRET_KEY"] = secrets.token_urlsafe(64)
    values["POSTGRES_PASSWORD"] = secrets.token_hex(24)
    values["CQO_DATA_KEYS"] = Fernet.generate_key().decode()
    values["CQO_DATA_HMAC_KEY"] = secrets.token_urlsafe(48)
    # What docker-compose.yml builds for its services. `check --deploy` does not connect.
    values["DATABASE_URL"] = (
        f"postgres://{values['POSTGRES_USER']}:{values['POSTGRES_PASSWORD']}"
        f"@postgres:5432/{values['POSTGRES_DB']}"
    )
    return values


def manage(*args: str, environment: dict[str, str]) -> subprocess.CompletedProcess:
    # A clean environment: nothing of this test run (DATABASE_URL of the PostgreSQL pass,
    # pytest's settings module) may leak into what is being checked.
    base = {key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env={**base, **environment},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_passes_check_deploy():
    environment = documented_environment()
    assert environment["DJANGO_SETTINGS_MODULE"] == "cqo_registry.settings.production"

    result = manage("check", "--deploy", "--fail-level", "WARNING", environment=environment)

    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    local_env = Path(settings.BASE_DIR) / ".env"
    if local_env.exists() and "DJANGO_SECRET_KEY=" in local_env.read_text(encoding="utf-8"):
        pytest.skip("a local .env supplies DJANGO_SECRET_KEY to every process started here")
    environment = documented_environment()
    del environment["DJANGO_SECRET_KEY"]

    result = manage("check", environment=environment)

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def _no_local_env_supplies(name: str) -> None:
    local_env = Path(settings.BASE_DIR) / ".env"
    if local_env.exists() and f"{name}=" in local_env.read_text(encoding="utf-8"):
        pytest.skip(f"a local .env supplies {name} to every process started here")


@pytest.mark.parametrize("broker", [None, ""], ids=["unset", "empty"])
def test_production_refuses_to_start_without_a_broker(broker):
    """Without a broker every task would run inside the web request and beat never: the
    production settings refuse to start instead (web, worker and beat alike)."""
    _no_local_env_supplies("CELERY_BROKER_URL")
    environment = documented_environment()
    del environment["CELERY_BROKER_URL"]
    if broker is not None:
        environment["CELERY_BROKER_URL"] = broker

    result = manage("check", environment=environment)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "Set the CELERY_BROKER_URL environment variable" in result.stderr


def test_production_runs_tasks_on_the_broker_not_in_process():
    environment = documented_environment()
    code = (
        "from django.conf import settings as s; "
        "print(s.CELERY_BROKER_URL, s.CELERY_TASK_ALWAYS_EAGER, s.CELERY_TASK_ACKS_LATE)"
    )

    result = manage("shell", "-c", code, environment=environment)

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].split() == [
        environment["CELERY_BROKER_URL"],
        "False",
        "True",
    ]
