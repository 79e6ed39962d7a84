"""The read replica (core/replica.py) against a real PostgreSQL streaming replica on port 5433
(scripts/replica start; CI sets DATABASE_REPLICA_URL): reports are read there, a request
that wrote reads its own writes from the primary, locking and transactional reads stay on the
primary, and a replica that is down makes report pages fall back while writes go on.

The replica holds the primary's test database under the same name (conftest.py,
``django_db_setup``); each test commits (``transaction=True``) and waits until the replica has
replayed the primary's WAL before it reads.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import OperationalError, connections, transaction
from django.http import HttpResponse
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from allocation.models import Course
from allocation.tests.factories import CourseFactory
from core import replica
from core.replica import READ_FROM_HEADER, ReplicaRequestMiddleware, replica_reads

ROOT = Path(__file__).resolve().parents[1]
# Without DATABASE_REPLICA_URL (SQLite, a PostgreSQL run without the replica) there is no
# "replica" alias to name; those runs skip (or, under MEDH_REQUIRE_POSTGRES=1, fail).
REPLICA_DB = {"default", "replica"} & set(django_settings.DATABASES)


@pytest.fixture
def on_replica(settings):
    """The replica's alias is there and reads may go to it (REPLICA_READS)."""
    if "replica" not in settings.DATABASES or connections["default"].vendor != "postgresql":
        if os.environ.get("MEDH_REQUIRE_POSTGRES") == "1":
            pytest.fail(
                "MEDH_REQUIRE_POSTGRES=1 but DATABASE_REPLICA_URL is not set: run "
                "scripts/replica start and set DATABASE_REPLICA_URL=postgres://postgres@"
                "127.0.0.1:5433/<the primary's database name>"
            )
        pytest.skip("needs a PostgreSQL read replica (DATABASE_REPLICA_URL, scripts/replica)")
    settings.REPLICA_READS = True
    replica.reset_replica_state()
    # One replica test at a time across the xdist workers: one of them stops and restarts the
    # replica, which another worker's test would otherwise find starting up mid-read.
    with open(Path(tempfile.gettempdir()) / "medh-replica-tests.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            wait_until_accepting()
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    replica.reset_replica_state()


def wait_until_accepting(timeout: float = 60.0) -> None:
    """Until the replica accepts connections (a restarted standby first replays its WAL)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            connections["replica"].ensure_connection()
            return
        except OperationalError:
            connections["replica"].close()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def wait_for_replay(timeout: float = 15.0) -> None:
    """Until the replica has replayed everything the primary has written so far."""
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()")
        (lsn,) = cursor.fetchone()
    deadline = time.monotonic() + timeout
    while True:
        with connections["replica"].cursor() as cursor:
            cursor.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [lsn])
            if cursor.fetchone()[0]:
                return
        if time.monotonic() > deadline:
            pytest.fail(f"the replica did not replay {lsn} within {timeout} s")
        time.sleep(0.05)


def server_of(alias: str) -> tuple[bool, int]:
    """(in recovery, port) of the server behind the alias's connection."""
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery(), inet_server_port()")
        return cursor.fetchone()


def replica_script(action: str) -> None:
    subprocess.run([str(ROOT / "scripts" / "replica"), action], check=True, capture_output=True)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, databases=REPLICA_DB)
def test_the_replica_alias_is_a_hot_standby_of_the_test_database(on_replica):
    assert server_of("replica") == (True, 5433)
    assert server_of("default")[0] is False
    name = connections["default"].settings_dict["NAME"]
    assert connections["replica"].settings_dict["NAME"] == name


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, databases=REPLICA_DB)
def test_report_pages_and_csv_are_read_from_the_replica(on_replica, admin, client):
    CourseFactory(code="REP-1", title="Replicated course")
    client.force_login(admin)
    wait_for_replay()
    for name in ["reports:index", "reports:courses", "console:dashboard"]:
        with (
            CaptureQueriesContext(connections["replica"]) as on_replica_,
            CaptureQueriesContext(connections["default"]) as on_primary,
        ):
            response = client.get(reverse(name))
        assert response.status_code == 200, name
        assert response[READ_FROM_HEADER] == "replica", name
        # The report's figures came from the replica; the primary only served the session.
        assert len(on_replica_) >= 1, name
        report_tables = ("allocation_course", "allocation_batch", "enrollments_enrollment")
        assert not [q for q in on_primary if any(t in q["sql"] for t in report_tables)], name
    csv = client.get(reverse("reports:courses"), {"format": "csv"})
    assert csv[READ_FROM_HEADER] == "replica"
    assert "Replicated course" in csv.content.decode("utf-8-sig")
    api = client.get("/api/reports/courses")
    assert api.status_code == 200 and api[READ_FROM_HEADER] == "replica"
    assert server_of("replica") == (True, 5433)  # the connection those reads used


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, databases=REPLICA_DB)
def test_a_request_that_wrote_reads_its_own_write_from_the_primary(on_replica):
    CourseFactory(code="RYW-0")
    wait_for_replay()
    seen = {}

    @replica_reads
    def view(request):
        with CaptureQueriesContext(connections["replica"]) as before:
            seen["count_before"] = Course.objects.count()  # not written yet: the replica
            earlier = Course.objects.get(code="RYW-0")
        course = CourseFactory(code="RYW-1")  # a write through the router pins the request
        with CaptureQueriesContext(connections["replica"]) as after:
            seen["found"] = Course.objects.filter(pk=course.pk).exists()
            seen["title"] = Course.objects.get(pk=course.pk).title
            # An object read from the replica before the write does not lead back there.
            seen["closures"] = earlier.closures.count()
        seen["replica_before"], seen["replica_after"] = len(before), len(after)
        return HttpResponse("ok")

    response = ReplicaRequestMiddleware(view)(RequestFactory().get("/"))
    assert response.status_code == 200
    assert seen["replica_before"] == 2 and seen["replica_after"] == 0
    assert seen["found"] is True and seen["title"]
    # The next request starts unpinned again.
    wait_for_replay()
    count = replica_reads(lambda request: HttpResponse(Course.objects.count()))
    fresh = ReplicaRequestMiddleware(count)
    response = fresh(RequestFactory().get("/"))
    assert response[READ_FROM_HEADER] == "replica" and response.content == b"2"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, databases=REPLICA_DB)
def test_locking_and_transactional_reads_and_other_methods_stay_on_the_primary(on_replica):
    course = CourseFactory(code="LCK-1")
    wait_for_replay()
    used = {}

    @replica_reads
    def view(request):
        with CaptureQueriesContext(connections["replica"]) as on_replica_, transaction.atomic():
            Course.objects.get(pk=course.pk)  # decides a write: the primary
            list(Course.objects.select_for_update(of=("self",)).filter(pk=course.pk))
        used["replica"] = len(on_replica_)
        return HttpResponse("ok")

    ReplicaRequestMiddleware(view)(RequestFactory().get("/"))
    assert used["replica"] == 0

    @replica_reads
    def post_view(request):
        with CaptureQueriesContext(connections["replica"]) as on_replica_:
            Course.objects.count()
        used["post"] = len(on_replica_)
        return HttpResponse("ok")

    ReplicaRequestMiddleware(post_view)(RequestFactory().post("/"))
    assert used["post"] == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, databases=REPLICA_DB)
def test_a_stopped_replica_makes_reports_fall_back_and_never_fails_writes(
    on_replica, admin, client
):
    CourseFactory(code="DWN-1", title="Before the outage")
    client.force_login(admin)
    wait_for_replay()
    assert client.get(reverse("reports:courses"))[READ_FROM_HEADER] == "replica"
    replica_script("stop")
    try:
        # The replica connection the last request opened is dead: the query fails mid-view,
        # and the view runs again on the primary.
        after_write = CourseFactory(code="DWN-2", title="Written while the replica is down")
        response = client.get(reverse("reports:courses"))
        assert response.status_code == 200
        assert response[READ_FROM_HEADER] == "primary-fallback"
        assert after_write.title in response.content.decode()
        # Meanwhile the replica is skipped without another try.
        started = time.monotonic()
        assert client.get(reverse("reports:index"))[READ_FROM_HEADER] == "primary-fallback"
        assert time.monotonic() - started < 2
        # Retried after DATABASE_REPLICA_RETRY_SECONDS: the connect is refused, the page
        # falls back again; the CSV download and the API too.
        replica.reset_replica_state()
        csv = client.get(reverse("reports:courses"), {"format": "csv"})
        assert csv.status_code == 200 and csv[READ_FROM_HEADER] == "primary-fallback"
        assert "Written while the replica is down" in csv.content.decode("utf-8-sig")
        api = client.get("/api/reports/courses")
        assert api.status_code == 200 and api[READ_FROM_HEADER] == "primary-fallback"

        # Writes go on, in a request that may read from the replica as well.
        @replica_reads
        def write_view(request):
            Course.objects.count()
            CourseFactory(code="DWN-3", title="Created during the outage")
            return HttpResponse(str(Course.objects.count()))

        response = ReplicaRequestMiddleware(write_view)(RequestFactory().get("/"))
        assert response.status_code == 200 and response.content == b"3"
    finally:
        replica_script("start")
    replica.reset_replica_state()
    connections["replica"].close()
    wait_until_accepting()
    wait_for_replay()
    response = client.get(reverse("reports:courses"))
    assert response[READ_FROM_HEADER] == "replica"
    assert "Created during the outage" in response.content.decode()


@pytest.mark.django_db
def test_without_replica_reads_nothing_changes(settings):
    settings.REPLICA_READS = False
    view = ReplicaRequestMiddleware(replica_reads(lambda request: HttpResponse("ok")))
    response = view(RequestFactory().get("/"))
    assert READ_FROM_HEADER not in response
    assert replica.replica_configured() is False
