"""Developer machine and ``make run``: SQLite, tasks in-process, emails on the console.

Set CELERY_BROKER_URL to run tasks on a local worker instead (base settings)."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])

if CELERY_TASK_ALWAYS_EAGER:  # noqa: F405
    # Tasks run in-process: Celery's line per finished task ("Task … succeeded") is noise.
    LOGGING = {
        **LOGGING,  # noqa: F405
        "loggers": {"celery.app.trace": {"level": "WARNING"}},
    }

# --- Accounts (issue 13) -------------------------------------------------------------------
# No second factor on a developer's machine unless asked for; production requires it.
CQO_TWO_FACTOR_REQUIRED = env.bool("CQO_TWO_FACTOR_REQUIRED", default=False)
