"""Settings for the benchmarks: production's choices on plain HTTP on loopback.

From ``medh.settings.base`` with what production changes that costs time per request:
DEBUG off, persistent database connections (``CONN_MAX_AGE``), and background tasks queued
in the database (``TASK_BACKEND=database``), notification emails sent by the outbox worker
(``NOTIFICATION_DELIVERY=worker``). No worker runs during a benchmark, so a notification's
row (inbox and outbox entry, ids only) is written inside the measured request, as in
production, but nothing is rendered or sent. Left out: the HTTPS redirect, HSTS and secure cookies
(loopback has no TLS) and the manifest static storage (no ``collectstatic`` needed).
``ROOT_URLCONF`` adds the benchmark-only endpoints (``bench/urls.py``) to the site's.
"""

from medh.settings.base import *  # noqa: F403
from medh.settings.base import TASK_BACKENDS, env

DEBUG = False
SECRET_KEY = env("SECRET_KEY", default="bench-only-" + "x" * 50)
# "testserver" for the in-process profiler (Django's test client).
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
DATABASES = {"default": env.db("DATABASE_URL")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
TASKS = {"default": {"BACKEND": TASK_BACKENDS[env("TASK_BACKEND", default="database")]}}
NOTIFICATION_DELIVERY = "worker"  # as in production: the request only writes the outbox row
ROOT_URLCONF = "bench.urls"
