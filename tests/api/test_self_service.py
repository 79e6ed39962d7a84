"""The self-service API (issue 20): policies × roles, open batches with the caller's clashes,
my enrollments, waitlist join/leave, requests for a place or a transfer and their decision."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from accounts.tests.factories import InstructorFactory
from allocation import services as allocation_services
from allocation.models import Course, Weekday
from enrollments.models import Enrollment, EnrollmentRequest, WaitlistEntry
from enrollments.services import enrollment_create, enrollment_request_create
from tests.api.conftest import assert_failure, assert_success
from tests.support import slot


def enroll_url(student) -> str:
    return f"/api/enrollments/students/{student.pk}/enroll"


def set_policy(course, policy, **window):
    Course.objects.filter(pk=course.pk).update(enrollment_policy=policy, **window)
    course.refresh_from_db()


def self_enroll(world, as_user, batch=None):
    batch = batch or world.empty_batch
    return as_user("other_student").post(
        enroll_url(world.other_student), {"batchId": batch.pk}, format="json"
    )


class TestPolicies:
    def test_admin_only_refuses_a_student_with_a_clear_message(self, world, as_user):
        answer = assert_failure(self_enroll(world, as_user), 400)
        assert answer["message"] == "Only an admin can enroll students in ENG-B2"
        assert not Enrollment.objects.filter(student=world.other_student).exists()

    def test_admin_only_still_lets_an_admin_enroll(self, world, admin_client):
        response = admin_client.post(
            enroll_url(world.other_student), {"batchId": world.empty_batch.pk}, format="json"
        )
        assert_success(response, 201)

    def test_open_lets_a_student_enroll(self, world, as_user):
        set_policy(world.other_course, "open")
        data = assert_success(self_enroll(world, as_user), 201)["data"]
        assert (data["batch"], data["enrollment_source"]) == (world.empty_batch.pk, "api")

    @pytest.mark.parametrize(
        ("window", "message"),
        [
            ({"enrollment_opens_at": dt.timedelta(days=1)}, "Enrollment in ENG-B2 opens on"),
            ({"enrollment_closes_at": dt.timedelta(days=-1)}, "Enrollment in ENG-B2 closed on"),
        ],
    )
    def test_open_works_inside_the_window_only(self, world, as_user, window, message):
        now = timezone.now()
        set_policy(world.other_course, "open", **{k: now + v for k, v in window.items()})
        assert_failure(self_enroll(world, as_user), 400, message)
        set_policy(
            world.other_course,
            "open",
            enrollment_opens_at=now - dt.timedelta(days=1),
            enrollment_closes_at=now + dt.timedelta(days=1),
        )
        assert_success(self_enroll(world, as_user), 201)

    def test_on_request_refuses_enrolling_and_takes_a_request(self, world, as_user):
        set_policy(world.other_course, "on_request")
        assert_failure(self_enroll(world, as_user), 400, "ask for a place instead")
        client = as_user("other_student")
        body = {"batchId": world.empty_batch.pk, "note": "Evenings suit me"}
        data = assert_success(client.post("/api/enrollment-requests", body, format="json"), 201)
        assert (data["data"]["status"], data["data"]["kind"]) == ("pending", "enroll")
        again = client.post("/api/enrollment-requests", body, format="json")
        assert_failure(again, 400, "You already have a pending request for this course")

    @pytest.mark.parametrize("policy", ["admin_only", "open"])
    def test_a_request_needs_the_on_request_policy(self, world, as_user, policy):
        set_policy(world.other_course, policy)
        response = as_user("other_student").post(
            "/api/enrollment-requests", {"batchId": world.empty_batch.pk}, format="json"
        )
        assert_failure(response, 400)
        assert not EnrollmentRequest.objects.exists()


@pytest.fixture
def pending(world):
    set_policy(world.other_course, "on_request")
    return enrollment_request_create(student=world.other_student, batch=world.empty_batch)


def decide(client, request, **body):
    return client.post(f"/api/enrollment-requests/{request.pk}/decision", body, format="json")


class TestDecision:
    def test_approve_runs_the_enroll_service(self, world, admin_client, pending):
        data = assert_success(decide(admin_client, pending, decision="approve"))["data"]
        assert data["status"] == "approved" and data["decided_by"] == world.admin.pk
        enrollment = Enrollment.objects.get(pk=data["enrollment"])
        assert (enrollment.student, enrollment.batch) == (world.other_student, world.empty_batch)
        world.empty_batch.refresh_from_db()
        assert world.empty_batch.enrolled_students == 1

    def test_decline_needs_a_reason(self, world, admin_client, pending):
        assert_failure(decide(admin_client, pending, decision="decline"), 400, "Say why")
        data = assert_success(
            decide(admin_client, pending, decision="decline", reason="The batch is for B2")
        )["data"]
        assert (data["status"], data["reason"]) == ("declined", "The batch is for B2")
        assert not Enrollment.objects.filter(student=world.other_student).exists()

    def test_a_decided_request_cannot_be_decided_again(self, world, admin_client, pending):
        assert_success(decide(admin_client, pending, decision="approve"))
        assert_failure(decide(admin_client, pending, decision="approve"), 400, "already")

    def test_approving_into_a_full_batch_is_refused_and_the_request_stays(
        self, world, admin_client, pending
    ):
        type(world.empty_batch).objects.filter(pk=world.empty_batch.pk).update(capacity=1)
        enrollment_create(student=world.student, batch=world.empty_batch)
        assert_failure(
            decide(admin_client, pending, decision="approve"),
            400,
            "Batch has reached maximum capacity",
        )
        pending.refresh_from_db()
        assert pending.status == "pending"

    @pytest.mark.parametrize("role", ["instructor", "student", "other_student"])
    def test_only_an_admin_decides(self, world, as_user, pending, role):
        assert_failure(decide(as_user(role), pending, decision="approve"), 403)
        pending.refresh_from_db()
        assert pending.status == "pending"


class TestTransferRequest:
    @pytest.fixture
    def second(self, world):
        return allocation_services.batch_create(
            course=world.course,
            batch_name="Late Batch",
            start_date=world.batch.start_date,
            end_date=world.batch.end_date,
            capacity=3,
            assigned_instructor=world.other_instructor,
            created_by=world.admin,
            status="Upcoming",
            schedule=[slot(Weekday.WEDNESDAY, "18:00", "19:00")],
        )

    def test_approval_runs_the_transfer(self, world, as_user, admin_client, second):
        url = f"/api/enrollments/{world.enrollment.pk}/transfer-request"
        made = assert_success(
            as_user("student").post(url, {"batchId": second.pk}, format="json"), 201
        )["data"]
        assert (made["kind"], made["enrollment"]) == ("transfer", world.enrollment.pk)
        request = EnrollmentRequest.objects.get(pk=made["_id"])
        assert_success(decide(admin_client, request, decision="approve"))
        world.enrollment.refresh_from_db()
        assert world.enrollment.batch_id == second.pk
        second.refresh_from_db()
        assert second.enrolled_students == 1

    @pytest.mark.parametrize("role", ["other_student", "instructor", "admin"])
    def test_only_the_student_asks(self, world, as_user, second, role):
        url = f"/api/enrollments/{world.enrollment.pk}/transfer-request"
        assert_failure(as_user(role).post(url, {"batchId": second.pk}, format="json"), 403)

    def test_a_batch_of_another_course_is_refused(self, world, as_user):
        url = f"/api/enrollments/{world.enrollment.pk}/transfer-request"
        response = as_user("student").post(url, {"batchId": world.empty_batch.pk}, format="json")
        assert_failure(response, 400, "is not an open batch of this course")


class TestOpenBatches:
    def test_a_student_sees_seats_schedule_and_their_clash(self, world, as_user):
        set_policy(world.other_course, "open")
        clashing = allocation_services.batch_create(
            course=world.other_course,
            batch_name="Clash Batch",
            start_date=world.batch.start_date,
            end_date=world.batch.end_date,
            capacity=5,
            assigned_instructor=world.other_instructor,
            created_by=world.admin,
            status="Upcoming",
            schedule=[slot(Weekday.MONDAY, "09:00", "11:00")],
            time_zone=world.batch.time_zone,
        )
        url = f"/api/courses/{world.other_course.pk}/open-batches"
        data = assert_success(as_user("student").get(url))["data"]
        by_id = {b["_id"]: b for b in data}
        assert by_id[world.empty_batch.pk]["available_spots"] == 5
        assert by_id[world.empty_batch.pk]["clashes_with"] is None
        assert by_id[world.empty_batch.pk]["schedule"][0]["day"] == "Tuesday"
        clash = by_id[clashing.pk]["clashes_with"]
        assert clash["batch"] == world.batch.pk and clash["batch_code"] == world.batch.batch_code

    def test_an_admin_only_course_is_closed_to_students(self, world, as_user):
        url = f"/api/courses/{world.other_course.pk}/open-batches"
        assert_failure(as_user("student").get(url), 403)
        assert_success(as_user("admin").get(url))

    @pytest.mark.parametrize("role", ["instructor", "other_instructor"])
    def test_instructors_are_not_asked(self, world, as_user, role):
        set_policy(world.other_course, "open")
        url = f"/api/courses/{world.other_course.pk}/open-batches"
        assert_failure(as_user(role).get(url), 403)

    def test_query_count_does_not_grow_with_batches(
        self, world, as_user, django_assert_max_num_queries
    ):
        set_policy(world.other_course, "open")
        url = f"/api/courses/{world.other_course.pk}/open-batches"
        client = as_user("student")
        with django_assert_max_num_queries(12):
            assert_success(client.get(url))
        for n in range(4):
            allocation_services.batch_create(
                course=world.other_course,
                batch_name=f"More {n}",
                start_date=world.batch.start_date,
                end_date=world.batch.end_date,
                capacity=5,
                assigned_instructor=InstructorFactory(),
                created_by=world.admin,
                status="Upcoming",
                schedule=[slot(n, "19:00", "20:00"), slot(n, "07:00", "08:30")],
            )
        with django_assert_max_num_queries(12):
            assert len(assert_success(client.get(url))["data"]) == 5


class TestWaitlist:
    @pytest.fixture
    def full(self, world):
        set_policy(world.other_course, "open")
        type(world.empty_batch).objects.filter(pk=world.empty_batch.pk).update(capacity=1)
        enrollment_create(student=world.student, batch=world.empty_batch)
        return world.empty_batch

    def test_a_student_joins_sees_their_position_and_leaves(self, world, as_user, full):
        client = as_user("other_student")
        url = f"/api/batches/{full.pk}/waitlist"
        data = assert_success(client.post(url, {}, format="json"), 201)["data"]
        assert data["position"] == 1
        offers = assert_success(client.get(f"/api/courses/{world.other_course.pk}/open-batches"))
        assert offers["data"][0]["waitlist_position"] == 1
        leave = f"/api/batches/{full.pk}/waitlist/students/{world.other_student.pk}"
        assert assert_success(client.delete(leave))["data"]["status"] == "removed"
        assert_failure(client.delete(leave), 400, "no longer waiting")

    def test_a_student_cannot_put_someone_else_on_or_off(self, world, as_user, full):
        url = f"/api/batches/{full.pk}/waitlist"
        response = as_user("other_student").post(url, {"student": world.student.pk}, format="json")
        assert_failure(response, 403)
        leave = f"/api/batches/{full.pk}/waitlist/students/{world.other_student.pk}"
        assert_failure(as_user("student").delete(leave), 403)

    def test_an_admin_names_the_student(self, world, admin_client, full):
        url = f"/api/batches/{full.pk}/waitlist"
        response = admin_client.post(url, {"student": world.other_student.pk}, format="json")
        assert assert_success(response, 201)["data"]["student"]["_id"] == world.other_student.pk

    def test_admin_only_courses_have_no_self_waitlist(self, world, as_user, full):
        set_policy(world.other_course, "admin_only")
        url = f"/api/batches/{full.pk}/waitlist"
        assert_failure(as_user("other_student").post(url, {}, format="json"), 400, "Only an admin")
        assert not WaitlistEntry.objects.exists()


def test_my_enrollments_lists_only_mine(world, as_user):
    data = assert_success(as_user("student").get("/api/users/me/enrollments"))["data"]
    assert [e["_id"] for e in data] == [world.enrollment.pk]
    assert assert_success(as_user("other_student").get("/api/users/me/enrollments"))["data"] == []
    assert_failure(as_user("anonymous").get("/api/users/me/enrollments"), 401)


def test_the_student_hears_the_decision_with_the_reason(
    world, admin_client, pending, mailoutbox, django_capture_on_commit_callbacks
):
    from notifications.models import Notification

    with django_capture_on_commit_callbacks(execute=True):
        assert_success(decide(admin_client, pending, decision="decline", reason="Only B2 speakers"))
    told = Notification.objects.get(recipient=world.other_student, event="request_decided")
    assert told.context["reason"] == "Only B2 speakers"
    assert any("Only B2 speakers" in m.body for m in mailoutbox)
