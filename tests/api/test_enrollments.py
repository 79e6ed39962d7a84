"""Enrollments through the API: the guide's scenarios and the seat counter kept true."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from accounts.tests.factories import StudentFactory
from allocation.tests.factories import BatchFactory
from enrollments.models import Enrollment
from enrollments.tests.factories import EnrollmentFactory
from notifications.models import Notification

from .conftest import assert_failure, assert_success, bearer_client


def enroll_url(student) -> str:
    return f"/api/enrollments/students/{student.pk}/enroll"


def test_the_guides_enrollment(world, admin_client):
    body = {
        "courseId": str(world.course.pk),
        "batchId": str(world.batch.pk),
        "enrollment_type": "batch",
        "enrollment_source": "website",
        "paymentDetails": {
            "amount": 299.99,
            "currency": "USD",
            "payment_method": "credit_card",
            "payment_status": "completed",
            "transaction_id": "txn_123456789",
        },
    }
    response = admin_client.post(enroll_url(world.other_student), body, format="json")
    answer = assert_success(response, 201)
    assert answer["message"] == "Student enrolled in batch successfully"
    data = answer["data"]
    assert data["student"] == world.other_student.pk
    assert data["course"] == world.course.pk
    assert data["batch"] == world.batch.pk
    assert data["enrollment_type"] == "batch"
    assert data["status"] == "active"
    assert data["enrollment_date"].endswith("Z")
    # Access lasts 30 days past the batch's end (2026-03-27).
    assert data["access_expiry_date"] == "2026-04-26T00:00:00.000Z"
    assert data["paymentDetails"]["amount"] == 299.99
    assert data["paymentDetails"]["transaction_id"] == "txn_123456789"
    world.batch.refresh_from_db()
    assert world.batch.enrolled_students == 2


def test_a_student_enrolls_themselves_with_the_batch_only(world, as_user):
    type(world.course).objects.filter(pk=world.course.pk).update(enrollment_policy="open")
    response = as_user("other_student").post(
        enroll_url(world.other_student), {"batchId": world.batch.pk}, format="json"
    )
    data = assert_success(response, 201)["data"]
    assert data["course"] == world.course.pk  # the batch's course
    assert data["enrollment_source"] == "api"


def test_an_individual_enrollment_has_no_batch(world, admin_client):
    response = admin_client.post(
        enroll_url(world.other_student), {"courseId": world.other_course.pk}, format="json"
    )
    data = assert_success(response, 201)["data"]
    assert data["batch"] is None and data["enrollment_type"] == "individual"
    assert data["access_expiry_date"] is None


def test_enrolling_into_a_full_batch_is_refused(world, admin_client):
    full = BatchFactory(course=world.course, capacity=2, enrolled_students=2)
    EnrollmentFactory.create_batch(2, batch=full)
    response = admin_client.post(
        enroll_url(world.other_student),
        {"courseId": world.course.pk, "batchId": full.pk},
        format="json",
    )
    body = assert_failure(response, 400, "maximum capacity")
    assert body == {"success": False, "message": "Batch has reached maximum capacity"}
    full.refresh_from_db()
    assert full.enrolled_students == 2


def test_a_second_active_enrollment_in_the_course_is_refused(world, admin_client):
    response = admin_client.post(
        enroll_url(world.student),
        {"courseId": world.course.pk, "batchId": world.batch.pk},
        format="json",
    )
    assert_failure(response, 400, "already has an active enrollment")


def test_a_duplicate_in_a_full_batch_is_refused_as_a_duplicate(world, admin_client):
    full = BatchFactory(course=world.course, capacity=1, enrolled_students=1)
    seated = EnrollmentFactory(batch=full).student

    response = admin_client.post(
        enroll_url(seated), {"courseId": world.course.pk, "batchId": full.pk}, format="json"
    )

    body = assert_failure(response, 400, "already has an active enrollment")
    assert "maximum capacity" not in body["message"]


def test_a_batch_of_another_course_is_refused(world, admin_client):
    response = admin_client.post(
        enroll_url(world.other_student),
        {"courseId": world.course.pk, "batchId": world.empty_batch.pk},
        format="json",
    )
    assert_failure(response, 400, "belongs to course ENG-B2")


def test_an_instructor_cannot_be_enrolled(world, admin_client):
    response = admin_client.post(
        enroll_url(world.instructor), {"courseId": world.course.pk}, format="json"
    )
    assert_failure(response, 400, "student role")


UNKNOWN, ALSO_UNKNOWN = 999_999, 999_998


@pytest.mark.parametrize(
    "body,errors",
    [
        ({"courseId": "C", "batchId": UNKNOWN}, {"batchId": ["No batch with id 999999."]}),
        ({"courseId": UNKNOWN, "batchId": "B"}, {"courseId": ["No course with id 999999."]}),
        ({"batchId": UNKNOWN}, {"batchId": ["No batch with id 999999."]}),
        ({"courseId": UNKNOWN}, {"courseId": ["No course with id 999999."]}),
        (  # automatic placement
            {"courseId": UNKNOWN, "enrollment_type": "batch"},
            {"courseId": ["No course with id 999999."]},
        ),
        (
            {"courseId": ALSO_UNKNOWN, "batchId": UNKNOWN},
            {"courseId": ["No course with id 999998."], "batchId": ["No batch with id 999999."]},
        ),
        (  # beside another invalid field, in field order
            {"courseId": "C", "batchId": UNKNOWN, "enrollment_type": "bogus"},
            {
                "batchId": ["No batch with id 999999."],
                "enrollment_type": ['"bogus" is not a valid choice.'],
            },
        ),
        (
            {"courseId": "x", "batchId": UNKNOWN},
            {"courseId": ["Must be a numeric id."], "batchId": ["No batch with id 999999."]},
        ),
    ],
)
@pytest.mark.parametrize("who", ["other_student", "instructor"])
def test_unknown_ids_are_named_on_their_fields(world, admin_client, body, errors, who):
    """The service reads the course and batch (the batch in the query that locks it); an id
    of no row is still answered on its field, before anything else is refused (an instructor
    cannot be enrolled, but the unknown id is named first)."""
    ids = {"C": world.course.pk, "B": world.batch.pk}
    body = {key: ids.get(value, value) for key, value in body.items()}

    response = admin_client.post(enroll_url(getattr(world, who)), body, format="json")
    answer = assert_failure(response, 400)

    first = next(iter(errors))
    assert answer == {
        "success": False,
        "message": f"{first}: {errors[first][0]}",
        "errors": errors,
    }
    assert list(answer["errors"]) == list(errors)
    assert Enrollment.objects.count() == 1  # the world's own


def test_an_enrollment_takes_eleven_statements(world, admin_client, django_assert_num_queries):
    """Pinned: fewer is welcome (lower the pin), more needs a reason."""
    url = enroll_url(world.other_student)
    body = {"courseId": world.course.pk, "batchId": world.batch.pk}
    # The token with its user; the student; SAVEPOINT (the test's transaction holds the
    # request's); the batch lock, read with its course, instructor and the student's active
    # enrollment in the course; the student's own sessions elsewhere (the clash check:
    # none); the enrollment; its audit-trail row; the counter; the
    # welcome's inbox and outbox row (ids only); the webhook endpoints that want the event
    # (none here: no event row); RELEASE SAVEPOINT.
    with django_assert_num_queries(11):
        assert_success(admin_client.post(url, body, format="json"), 201)


def test_with_the_outbox_worker_the_request_sends_and_renders_nothing(
    world, admin_client, settings, django_assert_num_queries
):
    settings.NOTIFICATION_DELIVERY = "worker"  # production's
    url = enroll_url(world.other_student)
    body = {"courseId": world.course.pk, "batchId": world.batch.pk}
    with django_assert_num_queries(11):
        assert_success(admin_client.post(url, body, format="json"), 201)
    assert mail.outbox == []
    welcome = Notification.objects.get(recipient=world.other_student)
    assert (welcome.email_status, welcome.rendered_at) == ("pending", None)


def test_missing_course_and_batch(world, admin_client):
    body = assert_failure(
        admin_client.post(enroll_url(world.other_student), {}, format="json"), 400
    )
    assert "courseId" in body["errors"]


def test_read_by_the_batch_instructor(world, as_user):
    data = assert_success(as_user("instructor").get(f"/api/enrollments/{world.enrollment.pk}"))[
        "data"
    ]
    assert data["_id"] == world.enrollment.pk and data["student"] == world.student.pk


def test_put_status_frees_and_retakes_the_seat(world, admin_client):
    url = f"/api/enrollments/{world.enrollment.pk}"
    data = assert_success(admin_client.put(url, {"status": "on_hold"}, format="json"))["data"]
    assert data["status"] == "on_hold"
    world.batch.refresh_from_db()
    assert world.batch.enrolled_students == 0
    assert_success(admin_client.put(url, {"status": "active"}, format="json"))
    world.batch.refresh_from_db()
    assert world.batch.enrolled_students == 1
    assert_failure(admin_client.put(url, {"status": "active"}, format="json"), 400, "already")


def test_put_batch_transfers(world, admin_client):
    target = BatchFactory(course=world.course, capacity=3)
    url = f"/api/enrollments/{world.enrollment.pk}"
    data = assert_success(admin_client.put(url, {"batchId": target.pk}, format="json"))["data"]
    assert data["batch"] == target.pk
    target.refresh_from_db()
    world.batch.refresh_from_db()
    assert (target.enrolled_students, world.batch.enrolled_students) == (1, 0)


def test_put_transfer_and_status_are_all_or_nothing(world, admin_client):
    target = BatchFactory(course=world.course, capacity=3)
    url = f"/api/enrollments/{world.enrollment.pk}"
    # The transfer succeeds, then the status change is refused: nothing is kept.
    response = admin_client.put(url, {"batchId": target.pk, "status": "bogus"}, format="json")
    assert_failure(response, 400)
    response = admin_client.put(url, {"batchId": target.pk, "status": "active"}, format="json")
    assert_failure(response, 400, "already active")
    world.enrollment.refresh_from_db()
    assert world.enrollment.batch_id == world.batch.pk


def test_put_nothing_is_400(world, admin_client):
    body = assert_failure(
        admin_client.put(f"/api/enrollments/{world.enrollment.pk}", {}, format="json"), 400
    )
    assert "errors" in body


def test_delete_cancels_and_frees_the_seat(world, monkeypatch):
    from core import dates

    # Within the student's own cancel window: a day after the batch started.
    monkeypatch.setattr(dates, "today", lambda: world.batch.start_date + dt.timedelta(days=1))
    client = bearer_client(world.student)
    data = assert_success(client.delete(f"/api/enrollments/{world.enrollment.pk}"))["data"]
    assert data["status"] == "cancelled"
    world.batch.refresh_from_db()
    assert world.batch.enrolled_students == 0
    assert_failure(client.delete(f"/api/enrollments/{world.enrollment.pk}"), 400, "cancelled")


def test_a_student_cannot_cancel_past_the_window_but_an_admin_can(world, admin_client):
    # The world's batch started on 2026-01-05, long before today.
    client = bearer_client(world.student)
    url = f"/api/enrollments/{world.enrollment.pk}"
    assert_failure(client.delete(url), 400, "please ask an admin")
    assert assert_success(admin_client.delete(url))["data"]["status"] == "cancelled"


def test_list_filters(world, admin_client):
    EnrollmentFactory(batch=world.empty_batch, student=StudentFactory())
    assert admin_client.get("/api/enrollments").json()["total"] == 2
    assert admin_client.get("/api/enrollments", {"course": world.course.pk}).json()["total"] == 1
    assert admin_client.get("/api/enrollments", {"status": "cancelled"}).json()["total"] == 0
    assert Enrollment.objects.count() == 2
