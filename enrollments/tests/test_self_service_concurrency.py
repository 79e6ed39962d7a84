"""Self-enrollment under real concurrency, on PostgreSQL: 50 students enrolling themselves
into 10 seats of an open course give exactly 10 enrollments; the other 40 then join the
waitlist together and get the positions 1…40, each once. SQLite has no row locks, so these
skip there."""

import pytest
from django.db.models import Count, Q

from accounts.tests.factories import StudentFactory
from allocation.models import Batch
from allocation.tests.factories import BatchFactory, CourseFactory
from core.testing import race
from enrollments.models import Enrollment, EnrollmentStatus, WaitlistEntry, WaitlistStatus
from enrollments.services import MSG_FULL, self_enroll, self_waitlist_join

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_fifty_students_self_enrolling_into_ten_seats_give_ten_then_a_waitlist_of_forty():
    course = CourseFactory(enrollment_policy="open")
    batch = BatchFactory(course=course, capacity=10)
    students = StudentFactory.create_batch(50)

    outcomes = race(self_enroll, [{"student": s, "batch": batch} for s in students])

    assert sum(o.ok for o in outcomes) == 10
    assert {o.message for o in outcomes if not o.ok} == {MSG_FULL}
    batch = Batch.objects.annotate(
        active=Count("enrollments", filter=Q(enrollments__status=EnrollmentStatus.ACTIVE))
    ).get(pk=batch.pk)
    assert batch.enrolled_students == batch.active == 10

    seated = set(Enrollment.objects.filter(batch=batch).values_list("student_id", flat=True))
    rest = [s for s in students if s.pk not in seated]
    joined = race(self_waitlist_join, [{"student": s, "batch": batch} for s in rest])

    assert [o.message for o in joined if not o.ok] == []
    positions = sorted(
        WaitlistEntry.objects.filter(batch=batch, status=WaitlistStatus.WAITING).values_list(
            "position", flat=True
        )
    )
    assert positions == list(range(1, 41))
