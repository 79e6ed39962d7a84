"""Seat counting under real concurrency, on PostgreSQL.

These tests start real threads with their own connections (``transaction=True``) and check
the two promises of the enrollment services: never more active enrollments than seats, and
the batch counter always equal to the number of active enrollments. SQLite has no row locks,
so they are skipped there (see conftest.py); CI runs them on PostgreSQL and fails on a skip.
"""

import random
import threading

import pytest
from django.db.models import Count, Q

from accounts.tests.factories import StudentFactory
from allocation.models import Batch
from allocation.tests.factories import BatchFactory, CourseFactory
from core.testing import race
from enrollments.models import Enrollment, EnrollmentStatus
from enrollments.services import (
    MSG_FULL,
    enrollment_cancel,
    enrollment_create,
    enrollment_transfer,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def assert_counters_true():
    for batch in Batch.objects.annotate(
        active=Count("enrollments", filter=Q(enrollments__status=EnrollmentStatus.ACTIVE))
    ):
        assert batch.enrolled_students == batch.active, batch.batch_code
        assert batch.active <= batch.capacity, batch.batch_code


def test_hundred_students_race_for_ten_seats():
    batch = BatchFactory(capacity=10)
    students = StudentFactory.create_batch(100)

    outcomes = race(
        enrollment_create,
        [{"student": s, "course": batch.course, "batch": batch} for s in students],
    )

    assert [o.error for o in outcomes if o.error] == []
    assert sum(o.ok for o in outcomes) == 10
    refusals = [o.message for o in outcomes if not o.ok]
    assert refusals == [MSG_FULL] * 90
    batch.refresh_from_db()
    assert batch.enrolled_students == 10
    assert Enrollment.objects.filter(batch=batch, status="active").count() == 10


def test_same_student_twice_at_once_is_enrolled_once():
    course = CourseFactory()
    first, second = BatchFactory(course=course), BatchFactory(course=course)
    student = StudentFactory()

    outcomes = race(
        enrollment_create,
        [{"student": student, "course": course, "batch": b} for b in (first, second) * 5],
    )

    assert [o.error for o in outcomes if o.error] == []
    assert sum(o.ok for o in outcomes) == 1
    assert Enrollment.objects.filter(student=student, status="active").count() == 1
    assert_counters_true()


def test_mixed_enroll_cancel_transfer_keeps_every_counter_true():
    course = CourseFactory()
    batches = BatchFactory.create_batch(4, course=course, capacity=6)
    rng = random.Random(20261122)
    # Half the seats are taken before the storm, so cancels and transfers have work to do.
    existing = [
        enrollment_create(student=StudentFactory(), course=course, batch=batches[i % 4])
        for i in range(12)
    ]
    newcomers = StudentFactory.create_batch(24)

    def act(kind, **kwargs):
        if kind == "enroll":
            return enrollment_create(course=course, **kwargs)
        if kind == "cancel":
            return enrollment_cancel(**kwargs)
        return enrollment_transfer(**kwargs)

    calls = [{"kind": "enroll", "student": s, "batch": rng.choice(batches)} for s in newcomers]
    for enrollment in existing:
        if rng.random() < 0.5:
            calls.append({"kind": "cancel", "enrollment": enrollment})
        else:
            calls.append(
                {"kind": "transfer", "enrollment": enrollment, "to_batch": rng.choice(batches)}
            )
        # The same enrollment twice: exactly one of the two may act on it.
        calls.append({"kind": "cancel", "enrollment": enrollment})
    rng.shuffle(calls)

    outcomes = race(act, calls)

    assert [o.error for o in outcomes if o.error] == []
    assert any(o.ok for o in outcomes) and any(not o.ok for o in outcomes)
    assert_counters_true()


def test_opposite_transfers_do_not_deadlock():
    """Two transfers in opposite directions lock both batches in primary-key order."""
    course = CourseFactory()
    a, b = BatchFactory(course=course, capacity=30), BatchFactory(course=course, capacity=30)
    in_a = [enrollment_create(student=StudentFactory(), course=course, batch=a) for _ in range(10)]
    in_b = [enrollment_create(student=StudentFactory(), course=course, batch=b) for _ in range(10)]
    calls = [{"enrollment": e, "to_batch": b} for e in in_a]
    calls += [{"enrollment": e, "to_batch": a} for e in in_b]

    outcomes = race(enrollment_transfer, calls)

    assert [o.message for o in outcomes if not o.ok] == []  # no deadlock, no refusal
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.enrolled_students, b.enrolled_students) == (10, 10)
    assert_counters_true()


def _wait_until_a_backend_waits_for_a_lock() -> None:
    """Poll (from this thread's own connection) until another backend of the test database
    waits for a row lock."""
    from django.db import connection

    for _ in range(500):
        with connection.cursor() as cursor:
            # The statistics views keep one snapshot per transaction: take a new one.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return
        threading.Event().wait(0.01)
    raise AssertionError("no backend started waiting for the batch lock")


@pytest.mark.parametrize("seats_via", ["enroll", "transfer"])
def test_a_seat_taken_while_the_instructor_changes_waits_and_succeeds(seats_via):
    """PostgreSQL re-checks a locked row's joins with the rows it read before waiting: a lock
    query that joins the batch's instructor loses the batch when the instructor changed
    meanwhile. The services must read it again, not answer "This batch no longer exists"."""
    from django.db import connection, transaction

    from accounts.tests.factories import InstructorFactory

    course = CourseFactory()
    batch = BatchFactory(course=course, capacity=5)
    other = BatchFactory(course=course, capacity=5)
    student = StudentFactory()
    moving = enrollment_create(student=student, course=course, batch=other)
    new_instructor = InstructorFactory()
    outcome = {}

    def take_seat():
        try:
            if seats_via == "enroll":
                outcome["value"] = enrollment_create(
                    student=StudentFactory(), course=course, batch=batch
                )
            else:
                outcome["value"] = enrollment_transfer(enrollment=moving, to_batch=batch)
        except Exception as exc:  # recorded for the assertion below
            outcome["error"] = exc
        finally:
            connection.close()

    with transaction.atomic():
        # Hold the batch row with a new instructor, uncommitted, like a reassignment would.
        Batch.objects.filter(pk=batch.pk).update(assigned_instructor=new_instructor)
        thread = threading.Thread(target=take_seat, daemon=True)
        thread.start()
        _wait_until_a_backend_waits_for_a_lock()
    thread.join(timeout=30)

    assert "error" in outcome or "value" in outcome, "the seat taker did not finish"
    assert outcome.get("error") is None, outcome.get("error")
    batch.refresh_from_db()
    assert batch.enrolled_students == 1
    assert_counters_true()


def test_re_enrolling_while_the_old_enrollment_is_being_cancelled_waits_and_succeeds():
    """The lock query's "already active" answer dates from before its wait for the batch
    lock; a cancellation committed meanwhile must not refuse the new enrollment."""
    from django.db import connection, transaction

    batch = BatchFactory(capacity=5)
    student = StudentFactory()
    old = enrollment_create(student=student, course=batch.course, batch=batch)
    outcome = {}

    def enroll_again():
        try:
            outcome["value"] = enrollment_create(student=student, course=batch.course, batch=batch)
        except Exception as exc:  # recorded for the assertion below
            outcome["error"] = exc
        finally:
            connection.close()

    with transaction.atomic():
        enrollment_cancel(enrollment=old)  # holds the batch row until this block commits
        thread = threading.Thread(target=enroll_again, daemon=True)
        thread.start()
        _wait_until_a_backend_waits_for_a_lock()
    thread.join(timeout=30)

    assert outcome.get("error") is None, outcome.get("error")
    assert outcome["value"].status == EnrollmentStatus.ACTIVE
    assert Enrollment.objects.filter(student=student, status="active").count() == 1
    assert_counters_true()
