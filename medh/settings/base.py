"""Settings shared by every environment.

All configuration comes from one ``environ.Env()`` that reads the process environment and,
when present, a ``.env`` file at the project root. Every variable is documented in README.md.
"""

import datetime as dt
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("SECRET_KEY", default="dev-only-insecure-key-change-me")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # Before staticfiles so runserver serves static files the way production does.
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_filters",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_tasks",
    "django_tasks_db",
    "simple_history",
    "csp",
    "axes",
    "core",
    "accounts",
    "notifications",
    "trainers",
    "allocation",
    "enrollments",
    "attendance",
    "feedback",
    "planning",
    "webhooks",
    "reports",
]

MIDDLEWARE = [
    # First, so every log line of the request (the other middleware's included) carries its id.
    "core.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Each request starts reading from the primary, unpinned (core/replica.py).
    "core.replica.ReplicaRequestMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After whitenoise (static files stay cacheable): API answers and signed-in pages are not.
    "core.middleware.NoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language of an anonymous page: the django_language cookie (set_language), else
    # Accept-Language. UserLanguageMiddleware overrides it for a signed-in user's pages and
    # for the API (Accept-Language only).
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Times on every page in the signed-in user's zone (User.time_zone).
    "accounts.middleware.UserTimeZoneMiddleware",
    # Pages in the signed-in user's language (User.language); the API by Accept-Language.
    "accounts.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # The audit trail records the logged-in user as the author of every change in a request.
    "simple_history.middleware.HistoryRequestMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes requires: it turns a login refused by the throttle into a 429.
    "axes.middleware.AxesMiddleware",
]

# AxesStandaloneBackend only refuses logins of a locked-out account (it has no get_user, so
# force_login and the session keep using the next backend). ModelBackendWithInbox checks the
# password and, as the session backend, loads the unread-notification count with the user
# (one query, as before), so the bell in the navigation costs no query of its own.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "notifications.backends.ModelBackendWithInbox",
]

ROOT_URLCONF = "medh.urls"
WSGI_APPLICATION = "medh.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.navigation",
            ],
        },
    },
]


# SQLite by default, so the demo needs nothing installed. IMMEDIATE transactions take the
# write lock at BEGIN, so even the demo serializes its writes instead of failing with
# "database is locked" half-way through a transaction. DATABASE_URL switches to PostgreSQL.
def database_from_url(url_variable: str = "DATABASE_URL") -> dict:
    """The database named by the environment variable, with our PostgreSQL session options."""
    database = env.db(url_variable)
    if "postgresql" in database["ENGINE"]:
        # PostgreSQL JIT-compiles every query whose estimated cost passes jit_above_cost. For
        # a page's aggregates over 100,000 students that compilation took a second, ten times
        # the query itself (bench/dashboards.py); a web app's queries never recoup it.
        database.setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
    # A connection kept open between requests (CONN_MAX_AGE) is checked before a request
    # reuses it, and replaced if the server dropped it meanwhile (a restart, a failover, an
    # idle timeout); without it the first request after a drop answered 503.
    database["CONN_HEALTH_CHECKS"] = env.bool("CONN_HEALTH_CHECKS", default=True)
    return database


def replica_database() -> dict:
    """The read replica of ``DATABASE_REPLICA_URL`` (core/replica.py): a short connect timeout,
    so a replica that is down costs a report page ``DATABASE_REPLICA_CONNECT_TIMEOUT`` seconds
    once before it falls back to the primary, not a hung request."""
    database = database_from_url("DATABASE_REPLICA_URL")
    timeout = env.int("DATABASE_REPLICA_CONNECT_TIMEOUT", default=2)
    database.setdefault("OPTIONS", {}).setdefault("connect_timeout", timeout)
    return database


if env("DATABASE_URL", default=""):
    DATABASES = {"default": database_from_url()}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env("SQLITE_PATH", default=str(BASE_DIR / "db.sqlite3")),
            "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20},
        }
    }
# A PostgreSQL streaming replica for the reports' and dashboards' reads (core/replica.py,
# docs/deployment.md). Without DATABASE_REPLICA_URL there is no "replica" alias and no router.
if env("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = replica_database()
    DATABASE_ROUTERS = ["core.replica.ReplicaRouter"]
# After a replica failure, report pages read from the primary for this many seconds.
DATABASE_REPLICA_RETRY_SECONDS = env.int("DATABASE_REPLICA_RETRY_SECONDS", default=30)
REPLICA_READS = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Login throttling (django-axes, hooks in accounts/security.py): after AXES_FAILURE_LIMIT failed
# logins for one account from one address, that pair is refused (429, with a page or the API
# envelope) for AXES_COOLOFF_TIME, even with the right password. Other addresses and other
# accounts are unaffected, so one attacker cannot lock a user out everywhere. A success before
# the limit clears the count; failures during the lockout do not extend it.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# And per address, whatever accounts it tries: after AXES_IP_FAILURE_LIMIT failed logins from
# one address within the cool-off, every login from it is refused (429) until the cool-off
# ends (accounts.security.LoginThrottleHandler). 0 turns this limit off. Keep it well above
# AXES_FAILURE_LIMIT: an office behind one NAT address shares it.
AXES_IP_FAILURE_LIMIT = env.int("AXES_IP_FAILURE_LIMIT", default=20)
AXES_HANDLER = "accounts.security.LoginThrottleHandler"
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_USERNAME_CALLABLE = "accounts.security.login_username"
AXES_CLIENT_IP_CALLABLE = "accounts.security.client_ip"
AXES_LOCKOUT_CALLABLE = "accounts.security.lockout_response"
# No start-up banner on every manage.py command; lockouts are still logged as warnings.
AXES_VERBOSE = False
# How many reverse proxies of ours stand in front of the app, each appending to
# X-Forwarded-For. 0 (the default): the socket's address is the client's, and the header is
# ignored, since a client can write anything into it.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# The load balancer's probes (core/health.py) answer over plain HTTP too.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]

# An API token lives this long from its issue (POST /api/v1/auth/login), then the client logs
# in again. A password change, a web logout and the API logout revoke it earlier
# (accounts/signals.py).
API_TOKEN_LIFETIME = dt.timedelta(hours=env.int("API_TOKEN_LIFETIME_HOURS", default=24))

# A password-reset link works this long after the email was rendered, once, and dies when the
# password changes or the user signs in (Django's tokens hash both). An invitation, sent to
# someone who never signed in, may wait longer to be opened.
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT_SECONDS", default=60 * 60 * 24)
INVITATION_TIMEOUT = env.int("INVITATION_TIMEOUT_SECONDS", default=60 * 60 * 24 * 7)

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
# The languages a user may pick (User.language) and the pages, emails and API speak.
LANGUAGES = [("en", "English"), ("de", "Deutsch")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("TIME_ZONE", default="UTC")
# The platform's teaching day, in each batch's own zone: alternative times offered on a
# schedule conflict start and end inside it (allocation/alternatives.py).
TEACHING_HOURS = ("08:00", "21:00")
USE_I18N = True
# English (the source language of every marked string) and German (locale/de/LC_MESSAGES,
# compiled to .mo by scripts/_venv.sh; README "Translations").
LANGUAGES = [("en", "English"), ("de", "Deutsch")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# The JSON API (docs/api.md): the original Medh envelope and paths, "Bearer <token>"
# or the browser session, JSON in and out, every error through one handler.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # First, so a request without credentials gets 401 with "WWW-Authenticate: Bearer".
        "core.api.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # DRF's JSON parser with a size and a depth limit (a deeply nested body was a 500).
    "DEFAULT_PARSER_CLASSES": ["core.api.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "core.api.exceptions.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "core.api.schema.EnvelopeAutoSchema",
    "DEFAULT_THROTTLE_CLASSES": [],
    "DEFAULT_VERSIONING_CLASS": None,
    # OPTIONS would describe the endpoint outside the envelope; the schema does that instead.
    "DEFAULT_METADATA_CLASS": None,
    "URL_FORMAT_OVERRIDE": None,
    "UNICODE_JSON": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Medh Allocation API",
    "DESCRIPTION": (
        "Batches, enrollments, individual instructor assignments and multi-trainer staffing, "
        "with the paths and the envelope of the original Medh API."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI's files come from drf-spectacular-sidecar, served with the static files: the
    # docs page loads nothing from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "BatchStatusEnum": "allocation.models.BatchStatus",
        "RosterRoleEnum": "allocation.models.RosterRole",
        "RosterStatusEnum": "allocation.models.RosterStatus",
        "StaffRoleEnum": "allocation.models.StaffRole",
        "EnrollmentStatusEnum": "enrollments.models.EnrollmentStatus",
        "UserRoleEnum": "accounts.models.Role",
        "WebhookEventTypeEnum": "webhooks.models.EventType",
        # The attendance API takes and gives the bare values (present, late, absent, excused).
        "AttendanceStatusEnum": "attendance.models.AttendanceStatus.values",
    },
    # Ids in paths are digits only (core.api.converters.IdConverter).
    "PATH_CONVERTER_OVERRIDES": {
        "id": {"type": "integer", "minimum": 0, "maximum": 999_999_999_999_999_999}
    },
}

# Security headers, in every environment (production.py adds HTTPS). Django's defaults,
# written out so that they are visibly chosen.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp): scripts, styles, fonts and images from our own origin
# only; no inline script, no eval, no plugins, no framing, forms post only to us.
# - style-src-attr 'unsafe-inline': the only inline allowance. Progress bars and chart bars
#   set their width from data with style="width: N%"; a style attribute cannot run script.
#   <style> elements stay forbidden (style-src), except the error pages' own block (500.html,
#   503.html), allowed by its hash because those pages must render with no static files
#   (tests/test_security.py recomputes the hashes from the templates).
CSP_ERROR_PAGE_STYLE_HASHES = ["'sha256-2NALwXsWbNPXTB4pPbBkbdf3cViSn30fB3FLN8Yif4o='"]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", *CSP_ERROR_PAGE_STYLE_HASHES],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Dev: one line per email (to, subject, Message-ID) on the worker's console.
EMAIL_BACKEND = env("EMAIL_BACKEND", default="notifications.mail.OneLineConsoleBackend")
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
# Seconds any one step of an SMTP conversation may take (connect, each command): a mail
# server that accepts and never answers costs the outbox worker this long, not forever.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Medh Allocation <noreply@medh.local>")
# Absolute links in emails ("open your schedule") start with this.
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")

# The audit trail is a record, not an undo button: old versions are never written back.
SIMPLE_HISTORY_REVERT_DISABLED = True

# Background tasks (notification emails, imports, automatic batch creation). TASK_BACKEND:
# "immediate" runs a task in the process that enqueues it (dev, tests); "database" stores it
# for the worker (`manage.py db_worker`), which production uses. README.md, "Deployment", and
# docs/notifications.md.
# "rq": queued on Redis (django-tasks-rq, REDIS_URL) and run by `manage.py rqworker default`
# (scripts/worker); the notification outbox then also gets a wake-up task per change
# (notifications/tasks.py), its rows staying the record.
TASK_BACKENDS = {
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
    "database": "django_tasks_db.DatabaseBackend",
    "rq": "django_tasks_rq.RQBackend",
}
TASKS = {"default": {"BACKEND": TASK_BACKENDS[env("TASK_BACKEND", default="immediate")]}}
# Notification emails go through the outbox (docs/notifications.md). "worker": sent by
# `manage.py run_outbox` (production, the demo); "on_commit": sent in the process that made
# the change, right after its commit (tests, dev without a worker).
NOTIFICATION_DELIVERY = env(
    "NOTIFICATION_DELIVERY",
    default="on_commit" if env("TASK_BACKEND", default="immediate") == "immediate" else "worker",
)
# A notification email that fails is tried this many times, waiting RETRY_SECONDS, then
# twice as long each time, before it is marked failed (and logged as an error).
NOTIFICATION_MAX_ATTEMPTS = env.int("NOTIFICATION_MAX_ATTEMPTS", default=4)
NOTIFICATION_RETRY_SECONDS = env.int("NOTIFICATION_RETRY_SECONDS", default=30)
# A worker's claim on an email: if it has not marked it sent by then (it crashed or hung),
# another worker sends it again, with the same Message-ID. Must exceed the slowest send
# (a few EMAIL_TIMEOUTs); a batch hands back what it has not sent by half of it.
NOTIFICATION_LEASE_SECONDS = env.int("NOTIFICATION_LEASE_SECONDS", default=120)
OUTBOX_POLL_SECONDS = env.float("OUTBOX_POLL_SECONDS", default=1.0)
# On SIGTERM the worker lets the email in flight finish for this long, then cuts it.
OUTBOX_STOP_GRACE_SECONDS = env.float("OUTBOX_STOP_GRACE_SECONDS", default=3.0)
# 1:1 mentoring bookings (allocation.services.mentor_bookings): either side may cancel or
# move a booking until NOTICE_HOURS before it starts (admins at any time); a slot can be
# booked from MIN_LEAD_HOURS ahead; the reminder goes out REMINDER_HOURS before the session
# (written by `manage.py send_mentoring_reminders`, run every few minutes from cron); the
# slots API answers for at most MAX_RANGE_DAYS at once.
MENTORING_NOTICE_HOURS = env.int("MENTORING_NOTICE_HOURS", default=24)
MENTORING_MIN_LEAD_HOURS = env.int("MENTORING_MIN_LEAD_HOURS", default=2)
MENTORING_REMINDER_HOURS = env.int("MENTORING_REMINDER_HOURS", default=24)
MENTORING_MAX_RANGE_DAYS = env.int("MENTORING_MAX_RANGE_DAYS", default=56)
# Webhooks (webhooks/, docs/webhooks.md): attempts per delivery (30 s, 1 min, 2 min, ... apart),
# the HTTP timeout in seconds, and whether endpoints may be private or loopback addresses
# (off: a registered URL cannot make the server probe its own network; the tests turn it on).
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=6)
WEBHOOK_TIMEOUT = env.float("WEBHOOK_TIMEOUT", default=10.0)
WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = env.bool("WEBHOOKS_ALLOW_PRIVATE_ADDRESSES", default=False)

# Redis (REDIS_URL, e.g. redis://127.0.0.1:6379/0): the shared cache of the login throttle
# (accounts.security.CachedLoginThrottleHandler) and, with TASK_BACKEND=rq, the task queue.
# Without it the throttle counts in the database and there is no cache server.
REDIS_URL = env("REDIS_URL", default="")
# Seconds a Redis command may take before the caller gives up and falls back (the throttle to
# the database, the outbox wake-up to the worker's poll).
REDIS_TIMEOUT = env.float("REDIS_TIMEOUT", default=1.0)
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "medh",
            "OPTIONS": {
                "socket_connect_timeout": REDIS_TIMEOUT,
                "socket_timeout": REDIS_TIMEOUT,
            },
        }
    }
    AXES_HANDLER = "accounts.security.CachedLoginThrottleHandler"
    AXES_CACHE = "default"


def rq_settings(tasks: dict) -> tuple[list[str], dict]:
    """The apps and RQ_QUEUES that the RQ task backend needs (none for the others)."""
    if tasks["default"]["BACKEND"] != TASK_BACKENDS["rq"]:
        return [], {}
    url = REDIS_URL or "redis://127.0.0.1:6379/0"
    # A Redis that is down refuses an enqueue within REDIS_TIMEOUT (no socket_timeout: the
    # worker's blocking wait for jobs must not time out).
    url += ("&" if "?" in url else "?") + f"socket_connect_timeout={REDIS_TIMEOUT}"
    return ["django_rq"], {"default": {"URL": url, "DEFAULT_TIMEOUT": 900}}


_rq_apps, RQ_QUEUES = rq_settings(TASKS)
INSTALLED_APPS += _rq_apps
# With the queue on Redis, a change that notifies also enqueues a wake-up of the outbox
# (notifications/tasks.py); the outbox worker's poll stays the fallback.
OUTBOX_WAKE_QUEUE = bool(_rq_apps)
# django-rq's queue dashboard stays out of the admin (the console has its own views).
RQ_SHOW_ADMIN_LINK = False

# Logs go to stderr. LOG_FORMAT=json writes one JSON object per line (python-json-logger) for
# a log collector; "text" (the default) one readable line. Either way each record carries the
# request's id (core/middleware.py, RequestIdMiddleware; "-" outside a request).
LOG_FORMAT = env("LOG_FORMAT", default="text")
LOG_FORMATTERS = {
    "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    "json": {
        "()": "pythonjsonlogger.json.JsonFormatter",
        "fmt": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
        "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
    },
}
if LOG_FORMAT not in LOG_FORMATTERS:
    raise ValueError(f"LOG_FORMAT must be one of {', '.join(LOG_FORMATTERS)}, not {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "core.log_context.RequestIdFilter"}},
    "formatters": {LOG_FORMAT: LOG_FORMATTERS[LOG_FORMAT]},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": LOG_FORMAT,
        }
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}

# Attendance (attendance/__init__.py has the definitions). A session's teacher may take or
# correct its roll from its start until this many days after; an admin at any time.
ATTENDANCE_WINDOW_DAYS = env.int("ATTENDANCE_WINDOW_DAYS", default=7)
# Early warning: a student is at risk in a batch when their attendance rate over their last
# AT_RISK_LAST_N counted sessions is below AT_RISK_RATE, or after AT_RISK_ABSENCES_IN_A_ROW
# absences in a row. Their mentor (else the batch's primary) hears once per episode.
AT_RISK_LAST_N = env.int("AT_RISK_LAST_N", default=6)
AT_RISK_RATE = env.float("AT_RISK_RATE", default=0.6)
AT_RISK_ABSENCES_IN_A_ROW = env.int("AT_RISK_ABSENCES_IN_A_ROW", default=3)
# A student may cancel their own batch enrollment before the batch starts and up to this many
# days after its first day; after that, an admin does (README, "Enrollment policies").
SELF_CANCEL_DAYS_AFTER_START = env.int("SELF_CANCEL_DAYS_AFTER_START", default=7)
