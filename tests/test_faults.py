"""Faults: a database connection killed in the middle of a write, transfers that could
deadlock, and a request sent twice.

- **Killed connection** (PostgreSQL): a request to enroll, transfer or assign an instructor is
  paused right after one exact SQL statement of its transaction (``faults_support.PauseAfter``),
  the test kills that request's backend with ``pg_terminate_backend`` from its own connection,
  and the request goes on into the dead connection. Through the API and through the console
  form, the request must fail with a clean 503 (the API's envelope, or the 503 page), store
  nothing of what it had written, keep every counter equal to its active enrollments, and the
  same request must succeed right afterwards.
- **Deadlock**: transfers in opposite directions lock both batches in primary-key order, so
  they cannot deadlock; a control test locks the same two rows in opposite orders by hand and
  shows that PostgreSQL does detect the deadlock in this setup, so the first test could see one.
- **Double submit**: the console's enroll form and ``POST /api/enrollments/.../enroll`` sent
  twice, one after the other (any database) and at the same moment (PostgreSQL), enroll once;
  the other request gets the duplicate refusal as a form error or a 400 envelope.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections import Counter
from types import SimpleNamespace

import psycopg
import pytest
from django.db import IntegrityError, InterfaceError, OperationalError, connection, transaction
from django.db.models import Count, Q
from django.test import Client, RequestFactory

from accounts.tests.factories import AdminFactory, InstructorFactory, StudentFactory
from allocation import services as allocation_services
from allocation.models import Batch, BatchTrainer, CourseTrainer, StaffRole, Weekday
from allocation.tests.factories import CourseFactory
from core.db_errors import (
    MSG_CONNECTION_LOST,
    MSG_DATABASE_BUSY,
    server_error,
    unavailable_message,
)
from core.testing import race
from enrollments import services as enrollment_services
from enrollments.models import Enrollment, EnrollmentStatus
from enrollments.services import MSG_ALREADY_ENROLLED
from notifications.models import Notification
from tests.api.conftest import bearer_client, slot
from tests.faults_support import Worker, kill_during

# --- the scene --------------------------------------------------------------------------------


@pytest.fixture
def scene(db):
    """Two open batches A and B of one course with one primary instructor, a student enrolled
    in A, a student not enrolled yet, a second instructor free to take over A, and an admin."""
    admin = AdminFactory(full_name="Ada Admin")
    primary = InstructorFactory(full_name="Paula Primary")
    newcomer = InstructorFactory(full_name="Nina Newcomer")
    course = CourseFactory(code="GER-A1", title="German A1")

    def batch(name: str, day: int) -> Batch:
        return allocation_services.batch_create(
            course=course,
            batch_name=name,
            start_date=dt.date(2026, 1, 5),
            end_date=dt.date(2026, 3, 27),
            capacity=10,
            assigned_instructor=primary,
            created_by=admin,
            status="Active",
            schedule=[slot(day, "08:00", "10:00")],
        )

    a, b = batch("Batch A", Weekday.MONDAY), batch("Batch B", Weekday.TUESDAY)
    enrolled = StudentFactory(full_name="Erik Enrolled")
    enrollment = enrollment_services.enrollment_create(student=enrolled, course=course, batch=a)
    return SimpleNamespace(
        admin=admin,
        primary=primary,
        newcomer=newcomer,
        course=course,
        a=a,
        b=b,
        enrolled=enrolled,
        enrollment=enrollment,
        student=StudentFactory(full_name="Sofia Student"),
    )


def api(user):
    """An API client with ``user``'s Bearer token that answers a server error with a response
    (as a real client would see it) instead of raising it into the test."""
    client = bearer_client(user)
    client.raise_request_exception = False
    return client


def console(user) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def snapshot(scene) -> dict:
    """Everything an enrollment, a transfer or an assignment writes, as stored now."""
    a, b = (Batch.objects.get(pk=x.pk) for x in (scene.a, scene.b))
    return {
        "enrollments": sorted(Enrollment.objects.values_list("pk", "student_id", "batch_id")),
        "enrollment history": Enrollment.history.count(),
        "notifications": Notification.objects.count(),
        "counters": (a.enrolled_students, b.enrolled_students),
        "instructor of A": a.assigned_instructor_id,
        "batch history": Batch.history.count(),
        "staffing": sorted(
            BatchTrainer.objects.values_list("pk", "trainer_id", "role", "ended_at")
        ),
        "staffing history": BatchTrainer.history.count(),
        "roster": sorted(CourseTrainer.objects.values_list("pk", "trainer_id", "status")),
    }


def current_primary(batch: Batch) -> int:
    """The trainer of the batch's one current primary staffing row."""
    return BatchTrainer.objects.get(
        batch=batch, role=StaffRole.PRIMARY, ended_at__isnull=True
    ).trainer_id


def assert_counters_true() -> None:
    for batch in Batch.objects.annotate(
        active=Count("enrollments", filter=Q(enrollments__status=EnrollmentStatus.ACTIVE))
    ):
        assert batch.enrolled_students == batch.active, batch.batch_code


def assert_clean_503(response, *, api_call: bool) -> None:
    """The request failed with the "connection lost" answer: the envelope for the API, the
    self-contained 503 page for the console; never a traceback."""
    assert response.status_code == 503, response.content[:500]
    if api_call:
        assert response.json() == {"success": False, "message": MSG_CONNECTION_LOST}
    else:
        page = response.content.decode()
        assert MSG_CONNECTION_LOST in page
        assert "Traceback" not in page


# --- the requests, through the API or the console ---------------------------------------------


def enroll_request(scene, surface: str):
    """A callable that enrolls ``scene.student`` in batch A and returns the response."""
    if surface == "api":
        client = api(scene.admin)
        return lambda: client.post(
            f"/api/enrollments/students/{scene.student.pk}/enroll",
            {"courseId": scene.course.pk, "batchId": scene.a.pk},
            format="json",
        )
    client = console(scene.admin)
    return lambda: client.post(
        "/console/enrollments/new/",
        {
            "student": scene.student.pk,
            "course": scene.course.pk,
            "batch": scene.a.pk,
            "enrollment_source": "admin",
        },
    )


def transfer_request(scene, surface: str):
    """A callable that moves ``scene.enrollment`` from batch A to batch B."""
    if surface == "api":
        client = api(scene.admin)
        return lambda: client.put(
            f"/api/enrollments/{scene.enrollment.pk}", {"batchId": scene.b.pk}, format="json"
        )
    client = console(scene.admin)
    return lambda: client.post(
        f"/console/enrollments/{scene.enrollment.pk}/transfer/", {"to_batch": scene.b.pk}
    )


def assign_request(scene, surface: str):
    """A callable that makes ``scene.newcomer`` the primary instructor of batch A."""
    if surface == "api":
        client = api(scene.admin)
        return lambda: client.put(
            f"/api/batches/{scene.a.pk}/assign-instructor/{scene.newcomer.pk}", format="json"
        )
    client = console(scene.admin)
    return lambda: client.post(
        f"/console/batches/{scene.a.pk}/assign-instructor/", {"instructor": scene.newcomer.pk}
    )


def assert_succeeded(response, surface: str) -> None:
    if surface == "api":
        assert response.status_code in (200, 201), response.content[:500]
        assert response.json()["success"] is True
    else:
        assert response.status_code == 302, response.content[:500]


SURFACES = ["api", "console"]

# Where an enrollment is cut off: inside the savepoint right after its row is inserted (its
# history row not written yet), after the seat counter is taken, and after the last statement
# (the welcome notification), when only COMMIT is left.
ENROLL_KILL_POINTS = {
    "after the enrollment insert": r'^INSERT INTO "enrollments_enrollment"',
    "after the counter update": r'^UPDATE "allocation_batch" SET "enrolled_students"',
    "before commit": r'^INSERT INTO "notifications_notification"',
}


# --- which database failures are a 503, on any database ----------------------------------------


def _django_error(django_class, cause: BaseException) -> BaseException:
    """A Django database error wrapping a driver's, as ``wrap_database_errors`` raises it."""
    try:
        raise django_class(str(cause)) from cause
    except django_class as exc:
        return exc


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (_django_error(OperationalError, psycopg.errors.AdminShutdown()), MSG_CONNECTION_LOST),
        (_django_error(OperationalError, psycopg.OperationalError("closed")), MSG_CONNECTION_LOST),
        (_django_error(InterfaceError, psycopg.InterfaceError("closed")), MSG_CONNECTION_LOST),
        (_django_error(OperationalError, psycopg.errors.DeadlockDetected()), MSG_DATABASE_BUSY),
        (_django_error(OperationalError, psycopg.errors.LockNotAvailable()), MSG_DATABASE_BUSY),
        (_django_error(OperationalError, RuntimeError("database is locked")), MSG_DATABASE_BUSY),
        (_django_error(IntegrityError, psycopg.errors.UniqueViolation()), None),
        (ValueError("a bug"), None),
    ],
    ids=[
        "admin shutdown",
        "socket closed",
        "interface error",
        "deadlock",
        "lock timeout",
        "sqlite locked",
        "integrity",
        "bug",
    ],
)
def test_which_failures_answer_503_and_with_which_message(error, message):
    assert unavailable_message(error) == message


def test_the_page_handler_answers_503_for_a_lost_connection_and_500_for_a_bug():
    """``handler500`` runs inside Django's ``except`` block; it needs no database and no
    request context. Under /api/ a lost connection gets the envelope."""
    lost = _django_error(OperationalError, psycopg.errors.AdminShutdown())
    answers = {}
    for path, error in [("/console/", lost), ("/api/enrollments", lost), ("/console/", None)]:
        try:
            raise error or ValueError("a bug")
        except Exception:
            answers[path, error is None] = server_error(RequestFactory().post(path))
    page = answers["/console/", False]
    assert page.status_code == 503 and MSG_CONNECTION_LOST in page.content.decode()
    envelope = answers["/api/enrollments", False]
    assert envelope.status_code == 503
    assert json.loads(envelope.content) == {"success": False, "message": MSG_CONNECTION_LOST}
    bug = answers["/console/", True]
    assert bug.status_code == 500 and "Something went wrong" in bug.content.decode()


# --- a killed connection --------------------------------------------------------------------


@pytest.mark.parametrize("surface", SURFACES)
@pytest.mark.parametrize("kill_point", list(ENROLL_KILL_POINTS))
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_enrollment_killed_mid_transaction_stores_nothing_then_succeeds(scene, surface, kill_point):
    before = snapshot(scene)
    request = enroll_request(scene, surface)

    response, _ = kill_during(request, ENROLL_KILL_POINTS[kill_point])

    assert_clean_503(response, api_call=surface == "api")
    assert snapshot(scene) == before  # no row, no history, no notice, counters unchanged
    assert not Enrollment.objects.filter(student=scene.student).exists()
    assert_counters_true()

    assert_succeeded(request(), surface)
    enrollment = Enrollment.objects.get(student=scene.student)
    assert (enrollment.batch_id, enrollment.status) == (scene.a.pk, EnrollmentStatus.ACTIVE)
    assert snapshot(scene)["counters"] == (before["counters"][0] + 1, before["counters"][1])
    assert Notification.objects.filter(recipient=scene.student).count() == 1
    assert_counters_true()


@pytest.mark.parametrize("surface", SURFACES)
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_transfer_killed_between_the_two_counter_updates_changes_nothing(scene, surface):
    """The source batch's seat is already given back when the connection dies; the target's
    is not taken yet: both counters must stay as they were and the enrollment stay in A."""
    before = snapshot(scene)
    request = transfer_request(scene, surface)

    response, _ = kill_during(
        request, r'^UPDATE "allocation_batch" SET "enrolled_students" = \(.*- %s\)'
    )

    assert_clean_503(response, api_call=surface == "api")
    assert snapshot(scene) == before
    assert before["counters"] == (1, 0)
    assert Enrollment.objects.get(pk=scene.enrollment.pk).batch_id == scene.a.pk
    assert_counters_true()

    assert_succeeded(request(), surface)
    assert Enrollment.objects.get(pk=scene.enrollment.pk).batch_id == scene.b.pk
    assert snapshot(scene)["counters"] == (0, 1)
    assert_counters_true()


@pytest.mark.parametrize("surface", SURFACES)
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_assignment_killed_after_the_staffing_insert_changes_nothing(scene, surface):
    """By then the old primary's staffing row is ended, the newcomer is on the course roster
    and has a new primary row: all of it must vanish, and ``assigned_instructor`` stay."""
    before = snapshot(scene)
    request = assign_request(scene, surface)

    response, _ = kill_during(request, r'^INSERT INTO "allocation_batchtrainer"')

    assert_clean_503(response, api_call=surface == "api")
    assert snapshot(scene) == before
    a = Batch.objects.get(pk=scene.a.pk)
    assert a.assigned_instructor_id == scene.primary.pk
    assert not BatchTrainer.objects.filter(trainer=scene.newcomer).exists()
    assert current_primary(a) == scene.primary.pk

    assert_succeeded(request(), surface)
    a.refresh_from_db()
    assert a.assigned_instructor_id == scene.newcomer.pk
    assert current_primary(a) == scene.newcomer.pk


# --- deadlocks ------------------------------------------------------------------------------


def _fast_deadlock_detection(cursor) -> None:
    # The server checks for a deadlock after deadlock_timeout (1 s by default); the tests
    # connect as a superuser, which may shorten it for their own sessions. lock_timeout bounds
    # any wait, so a bug fails the test instead of hanging it.
    cursor.execute("SET deadlock_timeout = '100ms'")
    cursor.execute("SET lock_timeout = '20s'")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_control_locks_taken_in_opposite_orders_do_deadlock(scene):
    """The control: two transactions lock rows A and B in opposite orders, each holding its
    first lock before asking for the second. PostgreSQL must detect the deadlock, so the
    test below, with the same database and threads, would see one if it could happen."""
    both_hold_one = threading.Barrier(2, timeout=20)

    def lock(first: Batch, second: Batch):
        with connection.cursor() as cursor:
            _fast_deadlock_detection(cursor)
        with transaction.atomic():
            list(Batch.objects.select_for_update().filter(pk=first.pk))
            both_hold_one.wait()
            list(Batch.objects.select_for_update().filter(pk=second.pk))
        return "locked both"

    workers = [Worker(lambda: lock(scene.a, scene.b)), Worker(lambda: lock(scene.b, scene.a))]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)
    errors = [w.error for w in workers if w.error is not None]
    assert [w.result for w in workers].count("locked both") == 1
    assert len(errors) == 1 and isinstance(errors[0], OperationalError), errors
    assert isinstance(errors[0].__cause__, psycopg.errors.DeadlockDetected)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_opposite_transfers_never_deadlock_even_when_forced_to_overlap(scene):
    """The interleaving that deadlocks the control: each transfer holds its enrollment lock
    and is about to lock the batches when the other is at the same point. The batches are
    locked in one statement in primary-key order, so one waits for the other; never a cycle.
    Repeated in both directions."""
    other = StudentFactory()
    in_b = enrollment_services.enrollment_create(student=other, course=scene.course, batch=scene.b)
    enrollments = {scene.enrollment.pk: scene.a, in_b.pk: scene.b}

    for _ in range(5):
        at_batch_lock = threading.Barrier(2, timeout=20)

        def wait_at_batch_lock(barrier=at_batch_lock):
            """A hook for one thread: wait for the other thread before its first batch lock
            (later ones, such as the waitlist's, run as they come)."""
            waited = []

            def hook(execute, sql, params, many, context):
                if (
                    not waited
                    and sql.startswith('SELECT "allocation_batch"')
                    and ("FOR UPDATE" in sql)
                ):
                    waited.append(True)
                    barrier.wait()  # both transfers are inside their transactions here
                return execute(sql, params, many, context)

            return hook

        def transfer(enrollment_pk: int, to_batch: Batch):
            with connection.cursor() as cursor:
                _fast_deadlock_detection(cursor)
            enrollment = Enrollment.objects.get(pk=enrollment_pk)
            return enrollment_services.enrollment_transfer(enrollment=enrollment, to_batch=to_batch)

        targets = {
            pk: (scene.b if batch.pk == scene.a.pk else scene.a)
            for pk, batch in enrollments.items()
        }
        workers = [
            Worker(lambda pk=pk, to=to: transfer(pk, to), wrapper=wait_at_batch_lock())
            for pk, to in targets.items()
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(30)
        assert [w.error for w in workers] == [None, None]
        enrollments = targets
        assert_counters_true()
    assert snapshot(scene)["counters"] == (1, 1)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_many_opposite_transfers_at_once_never_deadlock(scene):
    """Ten students in A and ten in B swap batches at the same moment, five rounds: 100
    transfers, no deadlock, no refusal, counters true after every round."""
    scene.a.capacity = scene.b.capacity = 20
    Batch.objects.filter(pk__in=[scene.a.pk, scene.b.pk]).update(capacity=20)
    in_a = [scene.enrollment] + [
        enrollment_services.enrollment_create(
            student=StudentFactory(), course=scene.course, batch=scene.a
        )
        for _ in range(9)
    ]
    in_b = [
        enrollment_services.enrollment_create(
            student=StudentFactory(), course=scene.course, batch=scene.b
        )
        for _ in range(10)
    ]

    def transfer(enrollment_pk: int, to_batch: Batch):
        with connection.cursor() as cursor:
            _fast_deadlock_detection(cursor)
        enrollment = Enrollment.objects.get(pk=enrollment_pk)
        return enrollment_services.enrollment_transfer(enrollment=enrollment, to_batch=to_batch)

    for _ in range(5):
        calls = [{"enrollment_pk": e.pk, "to_batch": scene.b} for e in in_a]
        calls += [{"enrollment_pk": e.pk, "to_batch": scene.a} for e in in_b]
        outcomes = race(transfer, calls, max_connections=20)
        assert [o.message for o in outcomes if not o.ok] == []  # no deadlock, no refusal
        in_a, in_b = in_b, in_a
        assert snapshot(scene)["counters"] == (10, 10)
        assert_counters_true()


# --- a request sent twice -----------------------------------------------------------------------


def enroll_form(scene, batch: Batch) -> dict:
    return {
        "student": scene.student.pk,
        "course": scene.course.pk,
        "batch": batch.pk,
        "enrollment_source": "admin",
    }


def assert_enrolled_once(scene) -> None:
    assert Enrollment.objects.filter(student=scene.student).count() == 1
    assert Enrollment.objects.filter(student=scene.student, status="active").count() == 1
    assert Notification.objects.filter(recipient=scene.student).count() == 1
    assert_counters_true()


def test_enroll_form_submitted_twice_enrolls_once(scene):
    client = console(scene.admin)
    data = enroll_form(scene, scene.a)

    first = client.post("/console/enrollments/new/", data)
    second = client.post("/console/enrollments/new/", data)

    assert first.status_code == 302
    assert second.status_code == 200  # the form again, with the refusal on it
    assert MSG_ALREADY_ENROLLED in second.content.decode()
    assert_enrolled_once(scene)
    assert Batch.objects.get(pk=scene.a.pk).enrolled_students == 2


def test_api_enroll_sent_twice_enrolls_once(scene):
    client = api(scene.admin)
    url = f"/api/enrollments/students/{scene.student.pk}/enroll"
    body = {"courseId": scene.course.pk, "batchId": scene.a.pk}

    first = client.post(url, body, format="json")
    second = client.post(url, body, format="json")

    assert first.status_code == 201, first.content
    assert second.status_code == 400, second.content
    assert second.json() == {"success": False, "message": MSG_ALREADY_ENROLLED}
    assert_enrolled_once(scene)
    assert Batch.objects.get(pk=scene.a.pk).enrolled_students == 2


@pytest.mark.parametrize("same_batch", [True, False], ids=["same batch", "other batch"])
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_enroll_form_double_clicked_enrolls_once(scene, same_batch):
    """Two posts of the form at the same moment (a double click, two tabs). In the same
    batch the batch lock serializes them; naming the other batch of the course, they lock
    different rows and the partial unique index decides: a refusal either way, never a 500."""
    batches = [scene.a, scene.a if same_batch else scene.b]
    calls = [{"client": console(scene.admin), "data": enroll_form(scene, b)} for b in batches]

    outcomes = race(lambda client, data: client.post("/console/enrollments/new/", data), calls)

    assert [o.error for o in outcomes if o.error] == []
    statuses = Counter(o.value.status_code for o in outcomes)
    assert statuses == {302: 1, 200: 1}
    refused = next(o.value for o in outcomes if o.value.status_code == 200)
    assert MSG_ALREADY_ENROLLED in refused.content.decode()
    assert_enrolled_once(scene)


@pytest.mark.parametrize("same_batch", [True, False], ids=["same batch", "other batch"])
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_api_enroll_repeated_at_once_enrolls_once(scene, same_batch):
    """A client retrying ``POST .../enroll`` eight times at once: one 201, seven 400 with
    the duplicate message in the envelope, one row."""
    url = f"/api/enrollments/students/{scene.student.pk}/enroll"
    batches = [scene.a if same_batch or i % 2 else scene.b for i in range(8)]
    calls = [
        {"client": api(scene.admin), "body": {"courseId": scene.course.pk, "batchId": b.pk}}
        for b in batches
    ]

    outcomes = race(lambda client, body: client.post(url, body, format="json"), calls)

    assert [o.error for o in outcomes if o.error] == []
    statuses = Counter(o.value.status_code for o in outcomes)
    assert statuses == {201: 1, 400: 7}, [o.value.content for o in outcomes]
    refusals = [o.value.json() for o in outcomes if o.value.status_code == 400]
    assert refusals == [{"success": False, "message": MSG_ALREADY_ENROLLED}] * 7
    assert_enrolled_once(scene)
