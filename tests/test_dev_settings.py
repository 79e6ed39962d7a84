"""The development settings that scripts/demo relies on: the links in emails follow the
address it serves (PORT_BIND) unless SITE_URL says otherwise, and the demo's emails go
through the outbox worker, printed one line each."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def dev_settings(**env: str) -> dict:
    clean = {k: v for k, v in os.environ.items() if k not in ("SITE_URL", "PORT_BIND")}
    code = (
        "import json, medh.settings.dev as s; print(json.dumps({'site_url': s.SITE_URL, "
        "'email': s.EMAIL_BACKEND, 'delivery': s.NOTIFICATION_DELIVERY}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, "TASK_BACKEND": "database", **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


@pytest.mark.parametrize(
    "bind, site_url",
    [
        (None, "http://127.0.0.1:8000"),
        ("127.0.0.1:8724", "http://127.0.0.1:8724"),
        ("0.0.0.0:9000", "http://127.0.0.1:9000"),
        ("8001", "http://127.0.0.1:8001"),
        ("demo.local:8080", "http://demo.local:8080"),
    ],
)
def test_links_in_emails_follow_port_bind(bind, site_url):
    env = {} if bind is None else {"PORT_BIND": bind}
    assert dev_settings(**env)["site_url"] == site_url


def test_site_url_wins_over_port_bind():
    settings = dev_settings(PORT_BIND="127.0.0.1:8724", SITE_URL="https://medh.example")
    assert settings["site_url"] == "https://medh.example"


def test_the_demo_sends_through_the_worker_one_line_per_email():
    settings = dev_settings()
    assert settings["delivery"] == "worker"
    assert settings["email"] == "notifications.mail.OneLineConsoleBackend"


def test_production_sends_from_the_outbox_worker_never_from_a_request():
    code = "import medh.settings.production as s; print(s.NOTIFICATION_DELIVERY, s.EMAIL_TIMEOUT)"
    clean = {
        k: v for k, v in os.environ.items() if k not in ("TASK_BACKEND", "NOTIFICATION_DELIVERY")
    }
    env = {
        **clean,
        "SECRET_KEY": "x" * 50,
        "ALLOWED_HOSTS": "medh.example",
        "DATABASE_URL": "postgres://u@127.0.0.1:5432/medh",
    }
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert out.stdout.split() == ["worker", "10"], out.stderr


def production_settings(**env: str) -> dict:
    drop = ("TASK_BACKEND", "DATABASE_REPLICA_URL", "REDIS_URL", "NOTIFICATION_DELIVERY")
    code = (
        "import json, medh.settings.production as s; print(json.dumps({"
        "'aliases': sorted(s.DATABASES), 'routers': getattr(s, 'DATABASE_ROUTERS', []),"
        "'replica': s.DATABASES.get('replica'), 'caches': getattr(s, 'CACHES', {}),"
        "'axes': s.AXES_HANDLER, 'tasks': s.TASKS, 'rq': 'django_rq' in s.INSTALLED_APPS,"
        "'queues': s.RQ_QUEUES, 'wake': s.OUTBOX_WAKE_QUEUE}, default=str))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={
            **{k: v for k, v in os.environ.items() if k not in drop},
            "SECRET_KEY": "x" * 50,
            "ALLOWED_HOSTS": "medh.example",
            "DATABASE_URL": "postgres://u@db:5432/medh",
            **env,
        },
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


def test_without_the_scale_out_variables_nothing_changes():
    settings = production_settings()
    assert settings["aliases"] == ["default"] and settings["routers"] == []
    assert settings["caches"] == {} and settings["axes"] == "accounts.security.LoginThrottleHandler"
    assert settings["tasks"]["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend"
    assert not settings["rq"] and settings["queues"] == {} and not settings["wake"]


def test_the_scale_out_variables_add_the_replica_the_cache_and_the_queue():
    settings = production_settings(
        DATABASE_REPLICA_URL="postgres://u@replica:5432/medh",
        REDIS_URL="redis://cache:6379/0",
        TASK_BACKEND="rq",
    )
    assert settings["aliases"] == ["default", "replica"]
    assert settings["routers"] == ["core.replica.ReplicaRouter"]
    replica = settings["replica"]
    assert replica["HOST"] == "replica" and replica["OPTIONS"]["connect_timeout"] == 2
    assert replica["CONN_MAX_AGE"] == 60
    assert settings["caches"]["default"]["LOCATION"] == "redis://cache:6379/0"
    assert settings["axes"] == "accounts.security.CachedLoginThrottleHandler"
    assert settings["tasks"]["default"]["BACKEND"] == "django_tasks_rq.RQBackend"
    assert settings["rq"] and settings["wake"]
    assert settings["queues"]["default"]["URL"].startswith("redis://cache:6379/0?")
