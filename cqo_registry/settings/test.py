"""Test suite. DATABASE_URL picks the database (SQLite by default; CI also runs PostgreSQL)."""

import atexit
import os
import shutil
import tempfile

from .base import *  # noqa: F403
from .base import env

DEBUG = False
SECRET_KEY = "test-only-secret-key"
ALLOWED_HOSTS = ["*"]
# Fast hashing: the suite creates many users.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# A temporary folder per run for the private uploads tests store, removed when the run ends
# (not a fixed folder in the repository). Child processes (a real Celery worker, a live
# server) inherit it through the environment, so they read the files the run wrote.
if "PRIVATE_MEDIA_ROOT" not in os.environ:
    os.environ["PRIVATE_MEDIA_ROOT"] = tempfile.mkdtemp(prefix="cqo-test-private-")
    atexit.register(shutil.rmtree, os.environ["PRIVATE_MEDIA_ROOT"], ignore_errors=True)
MEDIA_ROOT = env.path("PRIVATE_MEDIA_ROOT")
# Tests run tasks in-process unless a test starts a real worker itself.
CELERY_BROKER_URL = ""
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = True
# On PostgreSQL a second alias on the same database stands for the read replica (Django's test
# mirror). Reads go to it only where a test turns CQO_READ_REPLICA on (tests/infra).
if DATABASES["default"]["ENGINE"].endswith("postgresql"):  # noqa: F405
    DATABASES["replica"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}  # noqa: F405
CQO_READ_REPLICA = None

# --- Accounts (issue 13) -------------------------------------------------------------------
# Tests that need the second factor required turn it on themselves.
CQO_TWO_FACTOR_REQUIRED = False
# Each process's memory (conftest.fresh_cache clears it before every test), whatever the
# environment says: the throttles count in the cache.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "process": CACHES["process"],  # noqa: F405
}
SILENCED_SYSTEM_CHECKS = [*SILENCED_SYSTEM_CHECKS, "django_ratelimit.E003"]  # noqa: F405
# Plain statements: tests read the SQL they capture (tests/infra/test_keyed_statements.py turns
# prepared statements on and checks them).
CQO_PREPARED_STATEMENTS = False
