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
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Times on every page in the signed-in user's zone (User.time_zone).
    "accounts.middleware.UserTimeZoneMiddleware",
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

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env("TIME_ZONE", default="UTC")
USE_I18N = True
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
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
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

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Medh Allocation <noreply@medh.local>")
# Absolute links in emails ("open your schedule") start with this.
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")

# The audit trail is a record, not an undo button: old versions are never written back.
SIMPLE_HISTORY_REVERT_DISABLED = True

# Background tasks (notification emails, imports, automatic batch creation). TASK_BACKEND:
# "immediate" runs a task in the process that enqueues it (dev, tests); "database" stores it
# for the worker (`manage.py db_worker`), which production uses. README.md, "Deployment", and
# docs/notifications.md.
TASK_BACKENDS = {
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
    "database": "django_tasks_db.DatabaseBackend",
}
TASKS = {"default": {"BACKEND": TASK_BACKENDS[env("TASK_BACKEND", default="immediate")]}}
# A notification email that fails is tried this many times, with a growing delay when the
# backend can defer, before it is marked failed (and logged as an error).
NOTIFICATION_MAX_ATTEMPTS = env.int("NOTIFICATION_MAX_ATTEMPTS", default=4)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}
