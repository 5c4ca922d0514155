"""Test suite. DATABASE_URL picks the database (SQLite by default; CI also runs PostgreSQL)."""

from .base import *  # noqa: F403
from .base import BASE_DIR, env

DEBUG = False
SECRET_KEY = "test-only-secret-key"
ALLOWED_HOSTS = ["*"]
# Fast hashing: the suite creates many users.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = env.path("PRIVATE_MEDIA_ROOT", default=BASE_DIR / "var" / "test-private")
# Tests run tasks in-process unless a test starts a real worker itself.
CELERY_BROKER_URL = ""
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = True
