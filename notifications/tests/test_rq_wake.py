"""The task queue on Redis (``TASK_BACKEND=rq``, django-tasks-rq) wakes the outbox: a real
``manage.py rqworker`` process against the local Redis (127.0.0.1:6379; .ci/run starts it)
delivers a committed notification once, through the outbox's lease; with Redis down the
change still commits and ``run_outbox``'s poll delivers it, once.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection, transaction

from accounts.tests.factories import StudentFactory
from notifications.models import EmailStatus, Notification
from notifications.services import notify
from notifications.tests.test_worker_faults import WorkerProcess, wait_for
from tests.fake_smtp import FakeSMTPServer

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
# A Redis database of its own, so the test's queue meets no other job.
REDIS_URL = os.environ.get("MEDH_TEST_REDIS_URL", "redis://127.0.0.1:6379/9")
RQ = "django_tasks_rq.RQBackend"


def redis_up() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.exceptions.RedisError:
        return False


@pytest.fixture
def local_redis():
    if not redis_up():
        if os.environ.get("MEDH_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"MEDH_REQUIRE_POSTGRES=1 but Redis does not answer at {REDIS_URL}")
        pytest.skip(f"needs Redis at {REDIS_URL} (redis-server --daemonize yes)")
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()  # database 9 is the test's own
    return REDIS_URL


@pytest.fixture
def smtp():
    with FakeSMTPServer() as server:
        yield server


def queue_settings(settings, url: str) -> None:
    """This process enqueues on the RQ backend, as an app server with TASK_BACKEND=rq."""
    settings.TASKS = {"default": {"BACKEND": RQ}}
    settings.RQ_QUEUES = {"default": {"URL": f"{url}?socket_connect_timeout=1"}}
    settings.NOTIFICATION_DELIVERY = "worker"
    settings.OUTBOX_WAKE_QUEUE = True


def worker_env(url: str) -> dict[str, str]:
    return {"TASK_BACKEND": "rq", "REDIS_URL": url}


class RQWorkerProcess(WorkerProcess):
    """``manage.py rqworker default`` on the test database, sending to the fake server."""

    def start(self) -> RQWorkerProcess:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "manage.py",
                    "rqworker",
                    "default",
                    "--job-class",
                    "django_tasks_rq.backend.Job",
                ],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        return self


def notify_student(email: str) -> Notification:
    student = StudentFactory(email=email)
    with transaction.atomic():
        (n,) = notify(
            recipients=[student],
            event="enrollment_cancelled",
            context={"enrollment": None, "batch": None},
            url="/me/schedule/",
        )
    return n


def test_the_queue_wakes_the_worker_which_delivers_once(local_redis, smtp, settings, tmp_path):
    queue_settings(settings, local_redis)
    worker = RQWorkerProcess(smtp, tmp_path / "rq.log", **worker_env(local_redis)).start()
    try:
        n = notify_student("quick@example.com")  # committed; the wake-up job is enqueued
        sent = wait_for(
            lambda: Notification.objects.filter(pk=n.pk, email_status=EmailStatus.SENT).first(),
            timeout=15,
            what="the RQ worker to deliver the notification",
        )
        assert sent.email_attempts == 1
        assert smtp.message_ids()[sent.message_id] == 1
        # A second wake-up for the same row (a duplicate job) sends nothing again.
        from notifications.tasks import deliver_notifications

        deliver_notifications.enqueue([n.pk])
        time.sleep(1.5)
        assert sum(smtp.message_ids().values()) == 1
        assert Notification.objects.get(pk=n.pk).email_attempts == 1
    finally:
        worker.stop()
    assert "deliver_notifications" in worker.output()


def test_with_redis_down_the_change_commits_and_the_poll_delivers(smtp, settings, tmp_path, caplog):
    closed = "redis://127.0.0.1:1/0"  # nothing listens there: Redis is "down"
    queue_settings(settings, closed)
    started = time.monotonic()
    n = notify_student("later@example.com")
    assert time.monotonic() - started < 5
    assert "not queued" in caplog.text
    assert Notification.objects.get(pk=n.pk).email_status == EmailStatus.PENDING
    # The outbox worker polls the outbox whatever the queue does.
    db = connection.settings_dict
    assert db["NAME"]
    poller = WorkerProcess(smtp, tmp_path / "outbox.log").start()
    try:
        sent = wait_for(
            lambda: Notification.objects.filter(pk=n.pk, email_status=EmailStatus.SENT).first(),
            timeout=15,
            what="run_outbox's poll to deliver the notification",
        )
    finally:
        poller.stop()
    assert smtp.message_ids()[sent.message_id] == 1
    assert sent.email_attempts == 1
