"""Production: PostgreSQL, Redis + Celery worker and beat, HTTPS behind a reverse proxy.
Secrets have no default here: the process refuses to start without them."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env

DEBUG = False
SECRET_KEY = env("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
# The address users reach the site at, for links made outside a request (e-mails sent by a
# task): no default, a wrong one would put dead links in every e-mail.
SITE_URL = env("SITE_URL").rstrip("/")
DATABASES = {"default": env.db("DATABASE_URL")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASE_REPLICA_URL:  # noqa: F405 — read in base
    DATABASES["replica"] = env.db("DATABASE_REPLICA_URL")
    DATABASES["replica"]["CONN_MAX_AGE"] = DATABASES["default"]["CONN_MAX_AGE"]
    DATABASES["replica"]["CONN_HEALTH_CHECKS"] = True
# A database that does not answer fails a request in seconds rather than hanging it.
DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = env.int(
    "DATABASE_CONNECT_TIMEOUT", default=5
)

# Background work needs its broker: without one every task would run inside the web request
# and beat would never run, silently. Refuse to start instead.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="")
if not CELERY_BROKER_URL:
    raise ImproperlyConfigured(
        "Set the CELERY_BROKER_URL environment variable (e.g. redis://redis:6379/0): "
        "production runs its tasks on Celery workers and beat."
    )
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=CELERY_BROKER_URL)
CELERY_TASK_ALWAYS_EAGER = False

STORAGES = {
    "default": PRIVATE_STORAGE,  # noqa: F405 — a folder, or an S3-compatible bucket (base)
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
# /healthz is probed over plain HTTP inside the compose network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# SMTP by default here; the server's address and credentials are read in base settings.
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")


# --- Accounts (issue 13) -------------------------------------------------------------------
# Bureau admins and reviewers sign in with a second factor; demo accounts need --password.
CQO_TWO_FACTOR_REQUIRED = env.bool("CQO_TWO_FACTOR_REQUIRED", default=True)
CQO_DEMO_ALLOW_DEFAULT_PASSWORD = False

# --- Personal data encrypted at rest (issue 14 §2) ----------------------------------------
# No default: without its keys the registry cannot read or write ID numbers and mobiles.
CQO_DATA_KEYS = env.list("CQO_DATA_KEYS", default=[])
CQO_DATA_HMAC_KEY = env("CQO_DATA_HMAC_KEY", default="")
if not CQO_DATA_KEYS or not CQO_DATA_HMAC_KEY:
    raise ImproperlyConfigured(
        "Set CQO_DATA_KEYS (Fernet keys, comma-separated) and CQO_DATA_HMAC_KEY: ID numbers "
        "and mobiles are stored encrypted (README, Personal data at rest)."
    )
