"""Lists run a fixed number of queries whatever their size: pinned at two sizes each."""

from __future__ import annotations

import pytest

from accounts.tests.factories import InstructorFactory, StudentFactory
from allocation.models import BatchTrainer, StaffRole
from allocation.tests.factories import (
    BatchFactory,
    CourseFactory,
    CourseTrainerFactory,
    IndividualAssignmentFactory,
    ScheduleSlotFactory,
)
from enrollments.tests.factories import EnrollmentFactory

from .conftest import assert_success

pytestmark = pytest.mark.django_db

SIZES = [2, 12]


def _batches(course, n: int):
    for _ in range(n):
        batch = BatchFactory(course=course)
        ScheduleSlotFactory(batch=batch, day=0)
        ScheduleSlotFactory(batch=batch, day=2)
    return batch


@pytest.mark.parametrize("n", SIZES)
def test_course_batches(world, admin_client, django_assert_max_num_queries, n):
    course = CourseFactory()
    _batches(course, n)
    # token + user, the course, COUNT, the page (primary joined), the page's slots
    with django_assert_max_num_queries(5):
        body = assert_success(admin_client.get(f"/api/batches/courses/{course.pk}/batches"))
    assert body["count"] == n


@pytest.mark.parametrize("n", SIZES)
def test_all_batches_filtered(world, admin_client, django_assert_max_num_queries, n):
    course = CourseFactory()
    _batches(course, n)
    # token + user, COUNT, the page, the page's slots
    with django_assert_max_num_queries(4):
        body = assert_success(
            admin_client.get("/api/batches", {"course": course.pk, "status": "Active"})
        )
    assert body["count"] == n


@pytest.mark.parametrize("n", SIZES)
def test_batch_students(world, admin_client, django_assert_max_num_queries, n):
    batch = BatchFactory(capacity=50)
    EnrollmentFactory.create_batch(n, batch=batch)
    # token + user, the batch, COUNT, the page with the students joined
    with django_assert_max_num_queries(4):
        body = assert_success(admin_client.get(f"/api/batches/{batch.pk}/students"))
    assert body["count"] == n


@pytest.mark.parametrize("n", SIZES)
def test_students_with_instructors(world, admin_client, django_assert_max_num_queries, n):
    instructor = InstructorFactory()
    IndividualAssignmentFactory.create_batch(n, instructor=instructor)
    # token + user, COUNT, the page with the assignment annotated
    with django_assert_max_num_queries(3):
        body = assert_success(
            admin_client.get(
                "/api/v1/auth/get-all-students-with-instructors", {"instructor": instructor.pk}
            )
        )
    assert body["count"] == n


@pytest.mark.parametrize("n", SIZES)
def test_instructor_students(world, admin_client, django_assert_max_num_queries, n):
    instructor = InstructorFactory()
    IndividualAssignmentFactory.create_batch(n, instructor=instructor)
    # token + user, the instructor, the assignments with the students joined
    with django_assert_max_num_queries(3):
        body = assert_success(admin_client.get(f"/api/v1/auth/instructor-students/{instructor.pk}"))
    assert body["data"]["total_students"] == n


@pytest.mark.parametrize("n", SIZES)
def test_users_and_enrollments_and_courses(world, admin_client, django_assert_max_num_queries, n):
    StudentFactory.create_batch(n)
    EnrollmentFactory.create_batch(n)
    # token + user, COUNT, the page
    for url in ("/api/users?role=student", "/api/enrollments?status=active", "/api/courses"):
        with django_assert_max_num_queries(3):
            assert_success(admin_client.get(url))


@pytest.mark.parametrize("n", SIZES)
def test_course_trainers(world, admin_client, django_assert_max_num_queries, n):
    course = CourseFactory()
    for entry in CourseTrainerFactory.create_batch(n, course=course):
        batch = BatchFactory(course=course, assigned_instructor=entry.trainer)
        BatchTrainer.objects.create(batch=batch, trainer=entry.trainer, role=StaffRole.PRIMARY)
    # token + user, the course, the roster with trainers, the roles with batches
    with django_assert_max_num_queries(4):
        body = assert_success(admin_client.get(f"/api/courses/{course.pk}/trainers"))
    assert body["total"] == n


# --- issue 23's lists -------------------------------------------------------------------------


@pytest.mark.parametrize("n", SIZES)
def test_trainer_leave(world, admin_client, django_assert_max_num_queries, n):
    import datetime as dt

    from trainers.models import TrainerLeave

    trainer = InstructorFactory()
    for k in range(n):
        day = dt.date(2027, 1, 1) + dt.timedelta(days=10 * k)
        TrainerLeave.objects.create(trainer=trainer, start_date=day, end_date=day)
    # token + user, the trainer, COUNT, the page with trainer and recorder joined
    with django_assert_max_num_queries(4):
        body = assert_success(admin_client.get(f"/api/trainers/{trainer.pk}/leave"))
    assert body["count"] == n


@pytest.mark.parametrize("n", SIZES)
def test_batch_waitlist(world, admin_client, django_assert_max_num_queries, n):
    from enrollments.models import WaitlistEntry

    batch = BatchFactory()
    for position in range(1, n + 1):
        WaitlistEntry.objects.create(batch=batch, student=StudentFactory(), position=position)
    # token + user, the batch, COUNT, the page with students joined and "enrolled elsewhere"
    with django_assert_max_num_queries(4):
        body = assert_success(admin_client.get(f"/api/batches/{batch.pk}/waitlist"))
    assert body["count"] == n


@pytest.mark.parametrize("n", SIZES)
def test_audit_log(world, admin_client, django_assert_max_num_queries, n):
    course = CourseFactory()
    _batches(course, n)
    # token + user, COUNT, the page (one UNION), the previous versions, the names (users,
    # batches, courses, ...): a fixed number whatever the page holds
    with django_assert_max_num_queries(16):
        body = assert_success(admin_client.get("/api/audit", {"object_type": "batch"}))
    assert body["total"] >= n


@pytest.mark.parametrize("n", SIZES)
def test_webhook_deliveries(world, admin_client, django_assert_max_num_queries, n):
    from webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent

    endpoint = WebhookEndpoint.objects.create(
        url="https://93.184.216.34/", secret="s" * 32, event_types=["batch.full"]
    )
    for _ in range(n):
        event = WebhookEvent.objects.create(type="batch.full", data={})
        WebhookDelivery.objects.create(event=event, endpoint=endpoint)
    # token + user, the endpoint, COUNT, the page with the events joined
    with django_assert_max_num_queries(4):
        body = assert_success(admin_client.get(f"/api/webhooks/{endpoint.pk}/deliveries"))
    assert body["count"] == n


@pytest.mark.parametrize("name", ["courses", "batches", "instructors", "mentoring"])
def test_reports_do_not_grow(world, admin_client, django_assert_max_num_queries, name):
    counts = []
    for n in SIZES:
        _batches(CourseFactory(), n)
        IndividualAssignmentFactory.create_batch(n)
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            assert_success(admin_client.get(f"/api/reports/{name}"))
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
