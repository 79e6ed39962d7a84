"""Production: no default secrets; HTTPS everywhere. Required: SECRET_KEY, ALLOWED_HOSTS,
DATABASE_URL. See README.md, "Configuration"."""

from .base import *  # noqa: F403
from .base import database_from_url, env, replica_database

DEBUG = False
SECRET_KEY = env("SECRET_KEY")  # no default: refuse to start without one
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
DATABASES = {"default": database_from_url()}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
if env("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = replica_database()
    DATABASES["replica"]["CONN_MAX_AGE"] = DATABASES["default"]["CONN_MAX_AGE"]
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Behind a TLS-terminating proxy that sets X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
# X-Content-Type-Options, Referrer-Policy, X-Frame-Options, Cross-Origin-Opener-Policy and
# the Content-Security-Policy come from base.py, the same in every environment.

TASKS = {"default": {"BACKEND": TASK_BACKENDS[env("TASK_BACKEND", default="database")]}}  # noqa: F405
_rq_apps, RQ_QUEUES = rq_settings(TASKS)  # noqa: F405
INSTALLED_APPS = [app for app in INSTALLED_APPS if app != "django_rq"] + _rq_apps  # noqa: F405
OUTBOX_WAKE_QUEUE = bool(_rq_apps)
# Emails leave from the outbox worker (`manage.py run_outbox`), never from a request.
NOTIFICATION_DELIVERY = env("NOTIFICATION_DELIVERY", default="worker")

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
EMAIL_PORT = env.int("EMAIL_PORT", default=587)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=True)
