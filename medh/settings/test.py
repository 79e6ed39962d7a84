"""Test settings: fast password hashing, in-memory email; DATABASE_URL selects PostgreSQL."""

from .base import *  # noqa: F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Tests never need the compressed manifest; plain storage avoids a collectstatic step.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Serve static files straight from the finders (no collectstatic in tests, no warning about
# a missing STATIC_ROOT); browser tests load the vendored assets this way.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
# Emails are delivered from the outbox right after the commit, into mail.outbox; the fault
# tests start a real `run_outbox` worker instead (notifications/tests/test_worker_faults.py).
NOTIFICATION_DELIVERY = "on_commit"
# The webhook tests' receiver listens on loopback (webhooks/tests); the URL checks themselves
# are tested with this turned off. It also keeps registration from resolving host names.
WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True
# The read replica (DATABASE_REPLICA_URL, core/replica.py): a streaming replica holds the
# primary's test database under the same name, read-only. "MIRROR" keeps Django from creating
# or flushing it; conftest.py's django_db_setup then points the alias at the test database's
# name on the replica's own server. Reads go there only in the tests that turn REPLICA_READS
# on (tests/test_replica.py): elsewhere a test's uncommitted rows are not on the replica.
if "replica" in DATABASES:  # noqa: F405
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}  # noqa: F405
REPLICA_READS = False
