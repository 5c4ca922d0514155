"""Settings shared by every environment. Values come from the environment (django-environ);
``.env.example`` documents each variable."""

from datetime import timedelta
from importlib.util import find_spec
from pathlib import Path

import environ
from kombu import Queue

from cqo_registry.private_storage import s3_private_storage
from cqo_registry.spreadsheets import EscapedCSV, EscapedXLSX

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("DJANGO_SECRET_KEY", default="insecure-local-only-key-change-me")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])

INSTALLED_APPS = [
    "cqo_registry.admin_site.RegistryAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "csp",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_filters",
    "import_export",
    "simple_history",
    "rules.apps.AutodiscoverRulesConfig",
    "cqo_registry.accounts.axes_app.AxesConfig",
    "django_celery_beat",
    "cqo_registry.accounts",
    "cqo_registry.importing",
    "cqo_registry.reminders",
    "cqo_registry.bureau",
    "enterprises",
    "appointments",
    "training",
    "reports",
    "confirmations",
    "exams",
    # Deletes a private file from storage once the row that held it is deleted or points at
    # another file, after the commit; only for models marked with ``cleanup.select``.
    "django_cleanup.apps.CleanupSelectedConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # No NUL bytes in a path or query string: a 400 before any view or filter sees them.
    "cqo_registry.middleware.RefuseNulMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Below WhiteNoise: static files keep their own caching, everything else is private.
    "cqo_registry.middleware.PrivateCacheMiddleware",
    "cqo_registry.sessions.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # After the host is checked: links leaving the site use the request's address (site.py).
    "cqo_registry.site.SiteUrlMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # Django's, with the signed-in user kept per process while no account changes.
    "cqo_registry.accounts.signed_in.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # django-axes must come last so that it sees the outcome of authentication.
    "axes.middleware.AxesMiddleware",
    # After authentication: the user is read from the primary before a page's reads move.
    "cqo_registry.replica.ReplicaReadsMiddleware",
]

ROOT_URLCONF = "cqo_registry.urls"
WSGI_APPLICATION = "cqo_registry.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "cqo_registry.accounts.context_processors.role",
                "cqo_registry.bureau.profile.context",
            ],
        },
    },
]

# SQLite in the project folder unless DATABASE_URL says otherwise (PostgreSQL in production).
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# A PostgreSQL read replica (streaming replication) for the dashboards, reports and the JSON API:
# reads of the pages in CQO_REPLICA_URL_NAMES go there (cqo_registry.replica); unset, everything
# reads from DATABASE_URL.
DATABASE_REPLICA_URL = env("DATABASE_REPLICA_URL", default="")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = env.db("DATABASE_REPLICA_URL")
CQO_READ_REPLICA = "replica" if DATABASE_REPLICA_URL else None
# A list page's row statement prepared once per PostgreSQL connection (cqo_registry.
# keyed_statements). Turn off behind a pooler that shares server connections between clients
# (PgBouncer in transaction or statement mode).
CQO_PREPARED_STATEMENTS = env.bool("CQO_PREPARED_STATEMENTS", default=True)
DATABASE_ROUTERS = ["cqo_registry.replica.ReplicaRouter"]
CQO_REPLICA_URL_NAMES = [
    "reports:dashboard",
    "reports:town_dashboard",
    "reports:explain",
    "reports:explain_export",
    "reports:assessment",
    "reports:assessment_xlsx",
    "reports:assessment_pdf",
    "reports:eligibility",
    "reports:eligibility_json",
]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Users, authentication and the security baseline (MLPS 2.0 level 2, PIPL) -------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "rules.permissions.ObjectPermissionBackend",
    # The admin's app list follows the role rules of the model permissions (backends.py).
    "cqo_registry.accounts.backends.RoleModulePermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "cqo_registry.accounts.validators.CharacterClassValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

# Lock an account for 30 minutes after 5 failed logins.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = ["username"]
# The lockout the security baseline asks for is per account. Locking by IP address too would
# lock out a whole town office behind one NAT address after five typos by different people.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"

# Idle timeout: the session expires 30 minutes after the last request. The session is written
# when its data changes or when its stored expiry lags by more than SESSION_REFRESH_SECONDS —
# not on every request, which cost every signed-in page an UPDATE and a commit
# (cqo_registry/sessions.py).
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_MINUTES", default=30) * 60
SESSION_ENGINE = "cqo_registry.sessions"
SESSION_SAVE_EVERY_REQUEST = False
SESSION_REFRESH_SECONDS = env.int("SESSION_REFRESH_SECONDS", default=60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True

# --- Response headers (MLPS 2.0 level 3, OWASP ASVS 5.0 V3.4) -------------------------------
# Every asset is served by the site itself (no CDN) and no page has inline script or style:
# scripts and styles come from static files only. Letters are embedded from the site itself
# (<object> for a PDF, <img> for an image); chart and form icons are data: URLs in the CSS.
# Private files carry their own stricter policy ("sandbox", cqo_registry.responses), which
# django-csp leaves in place.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'self'"],
        "frame-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
    }
}
X_FRAME_OPTIONS = "DENY"
# No page uses the camera, microphone, location, payment or device APIs.
PERMISSIONS_POLICY = {
    "accelerometer": [],
    "camera": [],
    "display-capture": [],
    "geolocation": [],
    "gyroscope": [],
    "magnetometer": [],
    "microphone": [],
    "midi": [],
    "payment": [],
    "usb": [],
}

# --- Language and time --------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static assets (vendored, never from a CDN) and private uploads -----------------------
STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "var" / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploaded files (appointment letters, documents) are personal data: they live outside the
# static tree, have no public URL, and are served only by permission-checked views.
MEDIA_ROOT = env.path("PRIVATE_MEDIA_ROOT", default=BASE_DIR / "var" / "private")
MEDIA_URL = "/private-files-are-not-served/"
# Several web hosts share one store of private files: an S3-compatible bucket (MinIO, Ceph, a
# cloud's object storage) when PRIVATE_STORAGE_BUCKET is set, else the folder MEDIA_ROOT (which
# several hosts can also share over NFS). Files stay private either way: no public URL, served
# only by the permission-checked views, which read them through the storage.
PRIVATE_STORAGE_BUCKET = env("PRIVATE_STORAGE_BUCKET", default="")
if PRIVATE_STORAGE_BUCKET:
    PRIVATE_STORAGE = s3_private_storage(
        bucket=PRIVATE_STORAGE_BUCKET,
        endpoint_url=env("PRIVATE_STORAGE_ENDPOINT_URL", default=""),
        access_key=env("PRIVATE_STORAGE_ACCESS_KEY_ID", default=""),
        secret_key=env("PRIVATE_STORAGE_SECRET_ACCESS_KEY", default=""),
        region=env("PRIVATE_STORAGE_REGION", default=""),
        prefix=env("PRIVATE_STORAGE_PREFIX", default="private"),
    )
else:
    PRIVATE_STORAGE = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": PRIVATE_STORAGE,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Where `make backup` (manage.py backup) writes its archives. Keep copies off the machine.
CQO_BACKUP_DIR = env.path("CQO_BACKUP_DIR", default=BASE_DIR / "var" / "backups")
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 30 * 1024 * 1024

# --- Forms --------------------------------------------------------------------------------
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Celery -------------------------------------------------------------------------------
# With no broker configured (make run, tests) tasks run in-process.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="")
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=CELERY_BROKER_URL or None)
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_TIME_LIMIT = 30 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 25 * 60
# A task is acknowledged when it has finished, not when a worker took it: a worker killed
# mid-task (or its machine lost) leaves the message to be delivered again, and every task is
# written to be run twice safely. One message reserved per process, so that a killed worker
# holds back no others.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Results are kept only by tasks that ask for them (ignore_result=False); progress lives in the
# database.
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # Seconds before a message taken by a worker that never acknowledged it (killed, machine
    # lost) is delivered again. Longer than the longest task (the 30-minute time limit) and
    # the longest retry countdown (30 minutes), or a slow task would run twice at once.
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
    # Look for such messages every 10 seconds (kombu's default scans every 100): one small
    # Redis query per worker, and a lost task is back soon after its visibility timeout.
    "unacked_restore_throttle": 1,
    # A broker that does not answer fails a publish in seconds instead of hanging a request.
    "socket_connect_timeout": 3,
    "socket_timeout": 10,
}
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"socket_connect_timeout": 3, "socket_timeout": 10}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Beat writes each entry's last run to the database as it sends it (not every 3 minutes), so
# that /healthz can tell how long beat has been silent.
CELERY_BEAT_SYNC_EVERY = 1
# cqo_registry is a project package, not an installed app, so autodiscovery misses it.
CELERY_IMPORTS = ["cqo_registry.tasks"]
# Separate queues, so that machines can be given to one kind of work: a worker started without
# --queues takes them all (one machine); on several, `celery worker --queues statistics` on one
# host, `--queues mail,celery` on another… (README, "Past one machine"). Routes by task name;
# imports and report exports are routed by the names such tasks take.
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_QUEUES = [
    Queue(name) for name in ("celery", "statistics", "mail", "imports", "reports")
]
CELERY_TASK_ROUTES = {
    "cqo_registry.accounts.tasks.*": {"queue": "mail"},
    "reports.tasks.*snapshot*": {"queue": "statistics"},
    "*.tasks.import_*": {"queue": "imports"},
    "cqo_registry.importing.tasks.*": {"queue": "imports"},
    "*.tasks.export_*": {"queue": "reports"},
    "reports.tasks.*report*": {"queue": "reports"},
}

# --- Cache --------------------------------------------------------------------------------
# Carries a background import's progress from the worker to the page that polls it, so web and
# worker processes must share it: Redis when the broker is Redis (or CACHE_URL says so), each
# process's memory otherwise (tasks then run in-process). It also holds the sign-in and lookup
# throttles; while Redis is down it answers from each process's memory (cqo_registry/cache.py),
# so no page fails for it.
CACHE_URL = env(
    "CACHE_URL", default=CELERY_BROKER_URL if CELERY_BROKER_URL.startswith("redis") else ""
)
if CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "cqo_registry.cache.ResilientRedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": "cqo",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Each process's own copies of values cached under a data version (cqo_registry.versioned_cache)
# and of filter fragments rendered under one: nothing shared, nothing to invalidate.
CACHES["process"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "cqo-process",
    "OPTIONS": {"MAX_ENTRIES": 2000},
}

# --- Email --------------------------------------------------------------------------------
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
# The SMTP server (production's default backend; set EMAIL_BACKEND to use it locally too).
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="cqo-registry@localhost")
# Seconds an SMTP conversation may stall before the send counts as failed (and is retried).
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
# First retry of a notification email after this many seconds, doubling up to 30 minutes.
CQO_EMAIL_RETRY_SECONDS = env.int("CQO_EMAIL_RETRY_SECONDS", default=60)
# /healthz reports beat as degraded when it has sent nothing for this many seconds (its email
# sweep runs every five minutes).
CQO_BEAT_SILENT_SECONDS = env.int("CQO_BEAT_SILENT_SECONDS", default=15 * 60)
# Absolute links in emails and on printed receipts (QR codes) start with the address of the
# request that makes them (cqo_registry/site.py); this is for work done outside a request (a
# Celery task, a command). Production requires it.
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

# --- django-import-export -----------------------------------------------------------------
IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_SKIP_ADMIN_LOG = True
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "add"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"
# The admin's import buttons lead to the product's own import page (cqo_registry/importing),
# which reads .xlsx, .xls and .ods with python-calamine; only export is django-import-export's.
# Exports write text that starts with = + - @ (a name, an address) as text, never as a
# formula; the .xlsx keeps the value itself, so an exported file imports back unchanged.
EXPORT_FORMATS = [EscapedXLSX, EscapedCSV]
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = True

# --- Spreadsheet imports (cqo_registry/importing) -------------------------------------------
# Checked before a sheet is parsed, so that a file over a limit is refused in seconds and
# bounded memory: a 3.5 MB workbook can unpack to gigabytes of XML.
CQO_IMPORT_MAX_UPLOAD_MB = env.int("CQO_IMPORT_MAX_UPLOAD_MB", default=20)
CQO_IMPORT_MAX_UNPACKED_MB = env.int("CQO_IMPORT_MAX_UNPACKED_MB", default=200)
CQO_IMPORT_MAX_CELLS = env.int("CQO_IMPORT_MAX_CELLS", default=2_000_000)
# Browser imports of more data rows than this run as a Celery task with a progress bar.
CQO_IMPORT_BACKGROUND_ROWS = env.int("CQO_IMPORT_BACKGROUND_ROWS", default=2000)
# Uploaded import files hold ID numbers: purged when nobody confirms them within this time.
CQO_IMPORT_UPLOAD_RETENTION_HOURS = env.int("CQO_IMPORT_UPLOAD_RETENTION_HOURS", default=24)

# --- Background exports (cqo_registry/exports, issue 15 §2) ----------------------------------
# Exports of more rows than this (and the assessment report, always) are built by a Celery
# task with a progress page; smaller ones are sent at once.
CQO_EXPORT_BACKGROUND_ROWS = env.int("CQO_EXPORT_BACKGROUND_ROWS", default=5000)
# A background export's file (and its row) is deleted this many days after it was asked for.
CQO_EXPORT_RETENTION_DAYS = env.int("CQO_EXPORT_RETENTION_DAYS", default=7)
# The assessment PDF lists the enterprises without a CQO one by one up to this many; past it
# the PDF gives their count per town and the full list is in the Excel report (a PDF of tens
# of thousands of lines would take minutes and gigabytes to lay out).
CQO_ASSESSMENT_PDF_LIST_LIMIT = env.int("CQO_ASSESSMENT_PDF_LIST_LIMIT", default=3000)

# --- The programme's own settings ---------------------------------------------------------
# Days allowed between an appointment (or its end) and its filing before it is flagged late,
# and before a vacancy counts as overdue (notice §3.1, §3.6).
CQO_FILING_LIMIT_DAYS = env.int("CQO_FILING_LIMIT_DAYS", default=30)
CQO_VACANCY_LIMIT_DAYS = env.int("CQO_VACANCY_LIMIT_DAYS", default=30)
# The guideline reviewers see hints against (SPEC §6): many provinces ask for 3+ years in
# quality work and a college degree or a quality-engineer title.
CQO_GUIDELINE_MIN_YEARS = env.int("CQO_GUIDELINE_MIN_YEARS", default=3)
CQO_GUIDELINE_MIN_EDUCATION = env("CQO_GUIDELINE_MIN_EDUCATION", default="college")
CQO_GUIDELINE_TITLES = env.list("CQO_GUIDELINE_TITLES", default=["质量工程师", "工程师"])
# The bureau's first particulars, until a bureau admin saves its own on the bureau settings
# page (/bureau/): printed on receipts, reports, e-mails, the page header and the login page.
CQO_BUREAU_NAME = env("CQO_BUREAU_NAME", default="县市场监督管理局")
CQO_BUREAU_COUNTY = env("CQO_BUREAU_COUNTY", default="")
CQO_BUREAU_PHONE = env("CQO_BUREAU_PHONE", default="")
# The risk list (issue 17 §2): spot checks, penalties and incidents of the last this many days
# count; a CQO in post this many days without a passed training is overdue for it.
CQO_RISK_WINDOW_DAYS = env.int("CQO_RISK_WINDOW_DAYS", default=365)
CQO_TRAINING_DUE_DAYS = env.int("CQO_TRAINING_DUE_DAYS", default=365)

# --- Accounts people can keep (issue 13): passwords, two factors, sessions, throttles ------
# Everything of the account policy is in this section (apps and middleware are added here,
# not in the lists above) so that it reads, and merges, as one piece.
INSTALLED_APPS += [  # noqa: F405 — defined above
    "django_otp",
    "django_otp.plugins.otp_totp",  # the authenticator app's codes (TOTP, RFC 6238)
    "django_otp.plugins.otp_static",  # single-use recovery codes
    "captcha",  # django-simple-captcha: images drawn by the product, no outside service
    "django_ratelimit",
]
# django-zxcvbn-password-validator is needed for its Chinese (zh_Hans) catalogue of zxcvbn's
# advice only (no models, templates or checks). As an installed app it imported zxcvbn and its
# word lists at every start-up (~140 M instructions, ~4% of a manage.py command's start-up);
# found here by path, its package is not imported until a password is checked. Its msgids
# overlap no other catalogue, so the translations are the same.
LOCALE_PATHS.append(
    Path(find_spec("django_zxcvbn_password_validator").submodule_search_locations[0]) / "locale"
)
# The signed-in user and device are kept per process under the accounts data version
# (cqo_registry/accounts/signed_in.py), each for at most this long whatever the version says.
CQO_SIGNED_IN_KEEP_SECONDS = 60
# OTPMiddleware marks a request verified by a second factor; the account policy then sends a
# signed-in user to whatever their account still needs (second factor, new password) and
# ends sessions past their absolute lifetime. RatelimitMiddleware answers 429 for throttles.
MIDDLEWARE.insert(
    MIDDLEWARE.index("cqo_registry.accounts.signed_in.AuthenticationMiddleware") + 1,
    "cqo_registry.accounts.signed_in.OTPMiddleware",
)
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.messages.middleware.MessageMiddleware") + 1,
    "cqo_registry.accounts.middleware.AccountPolicyMiddleware",
)
MIDDLEWARE.insert(
    MIDDLEWARE.index("axes.middleware.AxesMiddleware"),
    "django_ratelimit.middleware.RatelimitMiddleware",
)

# Passwords. Strength by zxcvbn (0-4): 3 refuses "Admin@123"-type passwords (a word, a symbol,
# a year or a run of digits). The extra words are what people here build passwords from.
PASSWORD_MINIMAL_STRENGTH = env.int("CQO_PASSWORD_MIN_STRENGTH", default=3)
PASSWORD_EXTRA_DICTIONARY = [
    "admin",
    "demo",
    "cqo",
    "zhiliang",
    "zhiliangguan",
    "shouxi",
    "beian",
    "shichang",
    "jianguan",
    "shijianju",
    "qiye",
    "welcome",
    "password",
    "mima",
]
# A new password may not be any of the last N (the current one included).
CQO_PASSWORD_HISTORY = env.int("CQO_PASSWORD_HISTORY", default=5)
AUTH_PASSWORD_VALIDATORS += [  # noqa: F405
    {"NAME": "django_zxcvbn_password_validator.ZxcvbnPasswordValidator"},
    {
        "NAME": "cqo_registry.accounts.validators.PasswordHistoryValidator",
        "OPTIONS": {"history": CQO_PASSWORD_HISTORY},
    },
]
# Maximum password age in days for bureau admins, reviewers, leaders and town officers, and
# for enterprise users; 0 means no maximum. Demo accounts never expire.
CQO_PASSWORD_MAX_AGE_DAYS = env.int("CQO_PASSWORD_MAX_AGE_DAYS", default=90)
CQO_PASSWORD_MAX_AGE_ENTERPRISE_DAYS = env.int("CQO_PASSWORD_MAX_AGE_ENTERPRISE_DAYS", default=0)
# A password-reset link works this long (Django's default is three days).
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT_HOURS", default=2) * 3600

# Two factors (TOTP and recovery codes) for bureau admins and reviewers: required when on.
# On by default (production); local settings turn it off.
CQO_TWO_FACTOR_REQUIRED = env.bool("CQO_TWO_FACTOR_REQUIRED", default=True)
OTP_TOTP_ISSUER = env("CQO_TWO_FACTOR_ISSUER", default="首席质量官备案")
CQO_RECOVERY_CODES = 10

# seed_demo may give the demo accounts its well-known default password (README) only where
# this is on; production turns it off, so that demo accounts there need --password.
CQO_DEMO_ALLOW_DEFAULT_PASSWORD = True

# Sessions: besides the idle timeout above, a session ends this many hours after sign-in.
SESSION_ABSOLUTE_HOURS = env.int("SESSION_ABSOLUTE_HOURS", default=12)

# Invitations an enterprise admin sends to colleagues are valid for this many days.
CQO_INVITATION_VALID_DAYS = env.int("CQO_INVITATION_VALID_DAYS", default=7)

# Throttles (django-ratelimit, counted in the cache above). Sign-in: after this many failed
# sign-ins from one IP address within the window the form asks for a CAPTCHA, and after the
# second count it answers 429 until the window ends (the lockout per username is django-axes',
# above). Rates are "count/period" (s, m, h, d).
CQO_LOGIN_IP_WINDOW_MINUTES = env.int("CQO_LOGIN_IP_WINDOW_MINUTES", default=15)
CQO_LOGIN_IP_CAPTCHA_AFTER = env.int("CQO_LOGIN_IP_CAPTCHA_AFTER", default=30)
CQO_LOGIN_IP_BLOCK_AFTER = env.int("CQO_LOGIN_IP_BLOCK_AFTER", default=60)
CQO_PUBLIC_LOOKUP_RATE = env("CQO_PUBLIC_LOOKUP_RATE", default="60/m")
CQO_REGISTRATION_RATE = env("CQO_REGISTRATION_RATE", default="5/h")
# The exam's sign-in on phones (issue 20): failed sign-ins per address (a venue's phones may
# share one address behind the intranet's NAT, hence a generous count) and per ID number
# (guessing the name that goes with a known ID number).
CQO_EXAM_SIGN_IN_IP_RATE = env("CQO_EXAM_SIGN_IN_IP_RATE", default="60/15m")
CQO_EXAM_SIGN_IN_ID_RATE = env("CQO_EXAM_SIGN_IN_ID_RATE", default="5/15m")
RATELIMIT_VIEW = "cqo_registry.accounts.views.throttles.too_many_requests"
# The client's address: REMOTE_ADDR, or behind a reverse proxy the header it sets (e.g.
# HTTP_X_REAL_IP) — without it every user would share the proxy's address and its limits.
CQO_CLIENT_IP_HEADER = env("CQO_CLIENT_IP_HEADER", default="")
RATELIMIT_IP_META_KEY = "cqo_registry.accounts.throttles.client_ip"
AXES_CLIENT_IP_CALLABLE = "cqo_registry.accounts.throttles.client_ip"
# Django's own RedisCache increments atomically, which is all django-ratelimit needs; it is
# merely not on the package's list. Each process's memory (no broker) is shared by the one
# process that then serves everything (make run, tests).
SILENCED_SYSTEM_CHECKS += ["django_ratelimit.W001"]  # noqa: F405
if not CACHE_URL:
    SILENCED_SYSTEM_CHECKS += ["django_ratelimit.E003"]  # noqa: F405

CAPTCHA_LENGTH = 4
CAPTCHA_TIMEOUT = 10  # minutes
CAPTCHA_IMAGE_SIZE = (120, 44)
CAPTCHA_FONT_SIZE = 30
# Letters and digits that cannot be mistaken for one another.
CAPTCHA_CHALLENGE_FUNCT = "cqo_registry.accounts.throttles.captcha_challenge"

# --- The audit trail (issue 14 §1) ------------------------------------------------------------
INSTALLED_APPS += ["cqo_registry.audit", "cqo_registry.exports"]  # noqa: F405
# Last: the user is known (and read from the primary) when the log context is set.
MIDDLEWARE += ["cqo_registry.audit.context.RequestContextMiddleware"]  # noqa: F405
# Days audit rows are kept before the daily purge removes them. MLPS 2.0 level 3 asks for at
# least six months: a lower value is refused.
CQO_AUDIT_RETENTION_DAYS = env.int("CQO_AUDIT_RETENTION_DAYS", default=180)
if CQO_AUDIT_RETENTION_DAYS < 180:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("CQO_AUDIT_RETENTION_DAYS must be at least 180 (six months).")

# Every log line says who (the signed-in user) and from where (the client's address, as the
# throttles read it); "-" outside a request.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_context": {"()": "cqo_registry.audit.context.RequestContextFilter"},
        # An ordinary 403 (PermissionDenied) is one line, not a traceback (cqo_registry/errors.py).
        "ordinary_403": {"()": "cqo_registry.errors.OrdinaryForbiddenFilter"},
    },
    "formatters": {
        "with_context": {
            "format": "%(asctime)s %(levelname)s %(name)s user=%(user)s ip=%(client_ip)s "
            "%(message)s"
        }
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_context"],
            "formatter": "with_context",
        }
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.request": {"filters": ["ordinary_403"]}},
}

# --- Personal data encrypted at rest (issue 14 §2, cqo_registry.encryption) ------------------
# Fernet keys, comma-separated: the first encrypts, all decrypt (key rotation: README). Empty
# (a developer's machine, tests): derived from SECRET_KEY. Production requires both.
CQO_DATA_KEYS = env.list("CQO_DATA_KEYS", default=[])
CQO_DATA_HMAC_KEY = env("CQO_DATA_HMAC_KEY", default="")

# --- The provincial platform's read API (issue 18) --------------------------------------------
INSTALLED_APPS += [  # noqa: F405
    "rest_framework",
    "rest_framework_api_key",
    "drf_spectacular",
    # Swagger UI's files served by the site itself (no CDN; the CSP allows only 'self').
    "drf_spectacular_sidecar",
    "api",
]
REST_FRAMEWORK = {
    # JSON only: no browsable API pages (their inline script would break the CSP).
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # The API's views name their own token authentication; the schema and its page are open.
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "CQO Registry API",
    "DESCRIPTION": (
        "Read access for the provincial platform: enterprises, current CQOs, filings, "
        "training records, target statistics for any date, and a change feed per resource "
        "for incremental sync. Every call needs a token issued by the county bureau "
        '("Authorization: Api-Key TOKEN") with the scope the endpoint names.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.document_refusals",
    ],
}
# Calls per token, e.g. "600/min" (DRF throttle rate: N/s, N/min, N/hour or N/day).
CQO_API_RATE = env("CQO_API_RATE", default="600/min")  # noqa: F405
# djangorestframework-api-key: the header the key comes in ("Authorization: Api-Key <key>").
API_KEY_CUSTOM_HEADER = None

# --- The load benchmark (issue 15, bench/bench_pages.py) -------------------------------------
# Routes /bench/ok, a bare "ok" through the whole middleware stack that the benchmark measures
# every page against. Off everywhere but in that benchmark's gunicorn.
CQO_BENCH_BARE_VIEW = env.bool("CQO_BENCH_BARE_VIEW", default=False)
