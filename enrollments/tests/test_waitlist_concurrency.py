"""Automatic placement and waitlists under real concurrency, on PostgreSQL.

Real threads with their own connections (``transaction=True``), released together by
``core.testing.race``. What must hold however the threads interleave: no batch above its
capacity, every counter equal to its active enrollments, an even fill without preferences,
each freed seat given to the next waiting student exactly once, one waiting entry per student
and batch. SQLite has no row locks, so these skip there (see conftest.py).
"""

import pytest
from django.db.models import Count, Q

from accounts.tests.factories import StudentFactory
from allocation.models import Batch
from allocation.tests.factories import BatchFactory, CourseFactory
from core.testing import race
from enrollments.models import Enrollment, EnrollmentStatus, WaitlistEntry, WaitlistStatus
from enrollments.services import (
    MSG_ALREADY_WAITING,
    MSG_FULL,
    enrollment_cancel,
    enrollment_create,
    enrollment_place,
    waitlist_join,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def assert_counters_true() -> None:
    for batch in Batch.objects.annotate(
        active=Count("enrollments", filter=Q(enrollments__status=EnrollmentStatus.ACTIVE))
    ):
        assert batch.enrolled_students == batch.active, batch.batch_code
        assert batch.active <= batch.capacity, batch.batch_code


def test_two_hundred_placements_fill_eight_batches_of_25_evenly():
    course = CourseFactory()
    batches = BatchFactory.create_batch(8, course=course, capacity=25)
    students = StudentFactory.create_batch(200)

    outcomes = race(enrollment_place, [{"student": s, "course": course} for s in students])

    assert [o.message for o in outcomes if not o.ok] == []
    assert Enrollment.objects.filter(course=course, status="active").count() == 200
    fills = [b.enrolled_students for b in Batch.objects.filter(pk__in=[b.pk for b in batches])]
    assert fills == [25] * 8
    assert_counters_true()


def test_placements_stay_balanced_while_seats_remain():
    """A partial fill under contention: the balance holds at every size, not only when full."""
    course = CourseFactory()
    batches = BatchFactory.create_batch(8, course=course, capacity=25)
    students = StudentFactory.create_batch(100)

    outcomes = race(enrollment_place, [{"student": s, "course": course} for s in students])

    assert [o.message for o in outcomes if not o.ok] == []
    fills = [b.enrolled_students for b in Batch.objects.filter(pk__in=[b.pk for b in batches])]
    assert sum(fills) == 100
    assert max(fills) - min(fills) <= 1, fills
    assert_counters_true()


def test_fifty_placements_for_forty_seats():
    course = CourseFactory()
    BatchFactory.create_batch(8, course=course, capacity=5)
    students = StudentFactory.create_batch(50)

    outcomes = race(enrollment_place, [{"student": s, "course": course} for s in students])

    assert [o.error for o in outcomes if o.error] == []
    assert sum(o.ok for o in outcomes) == 40
    refusals = [o.message for o in outcomes if not o.ok]
    assert len(refusals) == 10
    assert all(message.startswith(MSG_FULL) for message in refusals)
    assert Enrollment.objects.filter(course=course, status="active").count() == 40
    assert_counters_true()


def test_the_same_student_placed_ten_times_at_once_is_enrolled_once():
    course = CourseFactory()
    BatchFactory.create_batch(3, course=course, capacity=10)
    student = StudentFactory()

    outcomes = race(enrollment_place, [{"student": student, "course": course}] * 10)

    assert [o.error for o in outcomes if o.error] == []
    assert sum(o.ok for o in outcomes) == 1
    assert Enrollment.objects.filter(student=student, status="active").count() == 1
    assert_counters_true()


def test_concurrent_cancellations_each_promote_the_next_waiting_student_once():
    course = CourseFactory()
    batch = BatchFactory(course=course, capacity=20)
    seated = [
        enrollment_create(student=StudentFactory(), course=course, batch=batch) for _ in range(20)
    ]
    queue = [waitlist_join(student=StudentFactory(), batch=batch) for _ in range(15)]
    # Each enrollment is cancelled twice at once: only one of the two may free its seat.
    cancelled = seated[:12]
    calls = [{"enrollment": e} for e in cancelled] * 2

    outcomes = race(enrollment_cancel, calls)

    assert [o.error for o in outcomes if o.error] == []
    assert sum(o.ok for o in outcomes) == 12
    batch.refresh_from_db()
    assert batch.enrolled_students == 20
    # The first twelve in line got the seats, each once; the last three still wait.
    statuses = [WaitlistEntry.objects.get(pk=e.pk).status for e in queue]
    assert statuses == [WaitlistStatus.PROMOTED] * 12 + [WaitlistStatus.WAITING] * 3
    promoted_students = [e.student_id for e in queue[:12]]
    assert sorted(
        Enrollment.objects.filter(
            batch=batch, status="active", student_id__in=promoted_students
        ).values_list("student_id", flat=True)
    ) == sorted(promoted_students)
    assert_counters_true()


def test_cancellations_in_two_batches_promote_a_student_waiting_for_both_once():
    """Ann waits for both batches; both free a seat at once. She is enrolled in one; in the
    other her entry is skipped and the next student gets the seat."""
    course = CourseFactory()
    first, second = BatchFactory.create_batch(2, course=course, capacity=3)
    seated = {
        b.pk: [enrollment_create(student=StudentFactory(), course=course, batch=b) for _ in "abc"]
        for b in (first, second)
    }
    ann = StudentFactory()
    for b in (first, second):
        waitlist_join(student=ann, batch=b)
    backups = {b.pk: waitlist_join(student=StudentFactory(), batch=b) for b in (first, second)}

    outcomes = race(
        enrollment_cancel, [{"enrollment": seated[b.pk][0]} for b in (first, second)] * 5
    )

    assert [o.error for o in outcomes if o.error] == []
    assert sum(o.ok for o in outcomes) == 2
    assert Enrollment.objects.filter(student=ann, status="active").count() == 1
    ann_batch = Enrollment.objects.get(student=ann, status="active").batch_id
    other = second.pk if ann_batch == first.pk else first.pk
    # In the other batch Ann was skipped (whether her seat there was committed first or her
    # insert waited on it), and the seat went to the next in line.
    assert WaitlistEntry.objects.get(student=ann, batch_id=other).status == "removed"
    assert WaitlistEntry.objects.get(pk=backups[other].pk).status == "promoted"
    assert WaitlistEntry.objects.get(pk=backups[ann_batch].pk).status == "waiting"
    assert_counters_true()


def test_concurrent_joins_of_one_student_make_one_entry():
    course = CourseFactory()
    batch = BatchFactory(course=course, capacity=1)
    enrollment_create(student=StudentFactory(), course=course, batch=batch)
    student = StudentFactory()

    outcomes = race(waitlist_join, [{"student": student, "batch": batch}] * 10)

    assert [o.error for o in outcomes if o.error] == []
    assert sum(o.ok for o in outcomes) == 1
    assert [o.message for o in outcomes if not o.ok] == [MSG_ALREADY_WAITING] * 9
    assert WaitlistEntry.objects.filter(student=student, status="waiting").count() == 1


def test_concurrent_joins_get_distinct_positions():
    course = CourseFactory()
    batch = BatchFactory(course=course, capacity=1)
    enrollment_create(student=StudentFactory(), course=course, batch=batch)

    outcomes = race(
        waitlist_join, [{"student": StudentFactory(), "batch": batch} for _ in range(20)]
    )

    assert [o.message for o in outcomes if not o.ok] == []
    positions = sorted(WaitlistEntry.objects.values_list("position", flat=True))
    assert positions == list(range(1, 21))
