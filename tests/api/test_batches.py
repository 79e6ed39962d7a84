"""Batches through the API: the original guide's scenarios and the services' refusals."""

from __future__ import annotations

import datetime as dt

import pytest

from accounts.tests.factories import InstructorFactory, StudentFactory
from allocation.models import Batch, BatchStatus, BatchTrainer
from allocation.services import sessions_generate_missing
from allocation.tests.factories import BatchFactory, ScheduleSlotFactory

from .conftest import assert_failure, assert_success


def batches_url(course) -> str:
    return f"/api/batches/courses/{course.pk}/batches"


def batch_body(instructor, **overrides) -> dict:
    """The guide's request body."""
    body = {
        "batch_name": "Morning Batch - January 2025",
        "batch_code": "MORNING-JAN-2025",
        "start_date": "2025-01-15T00:00:00.000Z",
        "end_date": "2025-04-15T00:00:00.000Z",
        "capacity": 10,
        "assigned_instructor": str(instructor.pk),  # the original's clients send ids as strings
        "status": "Active",
        "batch_notes": "Morning batch for working professionals",
        "schedule": [
            {"day": "Monday", "start_time": "08:00", "end_time": "10:00"},
            {"day": "Wednesday", "start_time": "08:00", "end_time": "10:00"},
            {"day": "Friday", "start_time": "08:00", "end_time": "10:00"},
        ],
    }
    body.update(overrides)
    return body


class TestCreate:
    def test_the_guides_batch_is_created_with_the_bodys_values(self, world, admin_client):
        instructor = InstructorFactory(full_name="Dr. John Smith")
        response = admin_client.post(
            batches_url(world.course), batch_body(instructor), format="json"
        )
        body = assert_success(response, 201)
        assert body["message"] == "Batch created successfully"
        data = body["data"]
        assert data["batch_name"] == "Morning Batch - January 2025"
        assert data["batch_code"] == "MORNING-JAN-2025"
        assert data["course"] == world.course.pk
        assert data["status"] == "Active"
        assert data["start_date"] == "2025-01-15T00:00:00.000Z"
        assert data["end_date"] == "2025-04-15T00:00:00.000Z"
        assert data["capacity"] == 10
        assert data["enrolled_students"] == 0
        assert data["available_spots"] == 10
        assert data["assigned_instructor"] == {
            "_id": instructor.pk,
            "full_name": "Dr. John Smith",
            "email": instructor.email,
        }
        assert data["schedule"] == batch_body(instructor)["schedule"]
        assert data["batch_notes"] == "Morning batch for working professionals"
        assert data["createdAt"].endswith("Z") and data["updatedAt"].endswith("Z")
        assert Batch.objects.filter(pk=data["_id"], created_by=world.admin).exists()

    def test_the_guides_test_body_with_plain_dates_and_no_code(self, world, admin_client):
        instructor = InstructorFactory()
        body = {
            "batch_name": "Test Batch",
            "start_date": "2025-01-15",
            "end_date": "2025-04-15",
            "capacity": 10,
            "assigned_instructor": instructor.pk,
        }
        data = assert_success(
            admin_client.post(batches_url(world.course), body, format="json"), 201
        )["data"]
        assert data["batch_name"] == "Test Batch"
        assert data["batch_code"] == "GER-A1-2025-01-01"  # generated: course code, month, number
        assert data["status"] == BatchStatus.UPCOMING
        assert data["start_date"] == "2025-01-15T00:00:00.000Z"
        assert data["schedule"] == []

    def test_html_is_stored_and_returned_as_text(self, world, admin_client):
        name = "<script>alert('x')</script> & <b>bold</b>"
        response = admin_client.post(
            batches_url(world.course),
            batch_body(InstructorFactory(), batch_name=name, batch_code=""),
            format="json",
        )
        assert response["Content-Type"].startswith("application/json")
        assert assert_success(response, 201)["data"]["batch_name"] == name

    def test_a_user_without_the_instructor_role_is_refused(self, world, admin_client):
        response = admin_client.post(
            batches_url(world.course),
            batch_body(StudentFactory()),
            format="json",
        )
        assert_failure(response, 400, "Assigned instructor must have instructor role")

    def test_an_end_before_the_start_is_refused(self, world, admin_client):
        response = admin_client.post(
            batches_url(world.course),
            batch_body(InstructorFactory(), start_date="2025-04-15", end_date="2025-01-15"),
            format="json",
        )
        assert_failure(response, 400, "end date must be on or after the start date")

    def test_a_capacity_below_one_is_refused_by_the_service(self, world, admin_client):
        response = admin_client.post(
            batches_url(world.course), batch_body(InstructorFactory(), capacity=0), format="json"
        )
        assert_failure(response, 400, "Capacity must be at least 1")

    def test_overlapping_slots_are_refused(self, world, admin_client):
        schedule = [
            {"day": "Monday", "start_time": "10:00", "end_time": "12:00"},
            {"day": "Monday", "start_time": "11:00", "end_time": "13:00"},
        ]
        response = admin_client.post(
            batches_url(world.course),
            batch_body(InstructorFactory(), schedule=schedule),
            format="json",
        )
        assert_failure(response, 400, "overlap")

    def test_a_schedule_conflict_names_the_other_batch(self, world, admin_client):
        # world.instructor teaches world.batch on Mondays 08:00-10:00 in 2026.
        body = batch_body(
            world.instructor,
            start_date="2026-02-01",
            end_date="2026-02-28",
            schedule=[{"day": "Monday", "start_time": "09:00", "end_time": "11:00"}],
        )
        response = admin_client.post(batches_url(world.course), body, format="json")
        assert_failure(response, 400, world.batch.batch_code)
        assert "Schedule conflict" in response.json()["message"]

    def test_a_taken_code_is_refused(self, world, admin_client):
        body = batch_body(InstructorFactory(), batch_code=world.batch.batch_code)
        response = admin_client.post(batches_url(world.course), body, format="json")
        assert_failure(response, 400, "already in use")

    def test_an_unknown_course_is_404(self, world, admin_client):
        response = admin_client.post(
            "/api/batches/courses/999999/batches", batch_body(InstructorFactory()), format="json"
        )
        assert_failure(response, 404)


class TestList:
    def test_the_guides_list_shape(self, world, as_user):
        body = assert_success(as_user("instructor").get(batches_url(world.course)))
        assert body["count"] == 1
        assert body["total"] == 1 and body["page"] == 1 and body["pages"] == 1
        (batch,) = body["data"]
        assert batch["_id"] == world.batch.pk
        assert batch["enrolled_students"] == 1
        assert batch["available_spots"] == 9
        assert batch["assigned_instructor"]["_id"] == world.instructor.pk
        assert batch["schedule"] == [{"day": "Monday", "start_time": "08:00", "end_time": "10:00"}]

    def test_filters_and_pages(self, world, admin_client):
        other = InstructorFactory()
        BatchFactory.create_batch(
            5, course=world.course, status="Completed", assigned_instructor=other
        )
        url = batches_url(world.course)
        assert admin_client.get(url).json()["total"] == 6
        assert admin_client.get(url, {"status": "Completed"}).json()["total"] == 5
        assert admin_client.get(url, {"status": "Active"}).json()["total"] == 1
        assert admin_client.get(url, {"instructor": other.pk}).json()["total"] == 5
        assert admin_client.get(url, {"instructor": 999999}).json()["total"] == 0
        page = admin_client.get(url, {"limit": 4, "page": 2}).json()
        assert (page["count"], page["total"], page["pages"], page["page"]) == (2, 6, 2, 2)
        assert admin_client.get(url, {"limit": 4, "page": 9}).json()["count"] == 0

    def test_all_batches_filter_by_course(self, world, admin_client):
        body = admin_client.get("/api/batches", {"course": world.other_course.pk}).json()
        assert [b["_id"] for b in body["data"]] == [world.empty_batch.pk]

    @pytest.mark.parametrize(
        "params",
        [{"status": "Bogus"}, {"instructor": "x"}, {"page": "0"}, {"page": "abc"}, {"limit": 1000}],
    )
    def test_bad_filters_are_400(self, world, admin_client, params):
        body = assert_failure(admin_client.get(batches_url(world.course), params), 400)
        assert set(body["errors"]) == set(params)


class TestUpdateAndDelete:
    def test_put_changes_fields_and_schedule(self, world, admin_client):
        body = {
            "batch_name": "Renamed",
            "capacity": 20,
            "end_date": "2026-04-30T00:00:00.000Z",
            "schedule": [{"day": "Thursday", "start_time": "17:00", "end_time": "18:30"}],
        }
        data = assert_success(
            admin_client.put(f"/api/batches/{world.batch.pk}", body, format="json")
        )["data"]
        assert data["batch_name"] == "Renamed"
        assert data["capacity"] == 20 and data["available_spots"] == 19
        assert data["end_date"] == "2026-04-30T00:00:00.000Z"
        assert data["schedule"] == body["schedule"]
        world.batch.refresh_from_db()
        assert world.batch.end_date == dt.date(2026, 4, 30)

    def test_put_capacity_below_the_enrolled_is_refused(self, world, admin_client):
        # world.batch holds one student.
        response = admin_client.put(
            f"/api/batches/{world.batch.pk}", {"capacity": 0}, format="json"
        )
        assert_failure(response, 400, "Capacity cannot be below the 1 students")

    def test_put_the_same_course_is_accepted_another_is_refused(self, world, admin_client):
        url = f"/api/batches/{world.batch.pk}"
        assert_success(admin_client.put(url, {"course": world.course.pk}, format="json"))
        response = admin_client.put(url, {"course": world.other_course.pk}, format="json")
        assert_failure(response, 400, "cannot be changed: course")

    def test_delete_a_batch_with_students_is_refused(self, world, admin_client):
        response = admin_client.delete(f"/api/batches/{world.batch.pk}")
        assert_failure(response, 400, "active enrollment")
        assert Batch.objects.filter(pk=world.batch.pk).exists()

    def test_delete_an_empty_batch(self, world, admin_client):
        body = assert_success(admin_client.delete(f"/api/batches/{world.empty_batch.pk}"))
        assert body["data"]["_id"] == world.empty_batch.pk
        assert not Batch.objects.filter(pk=world.empty_batch.pk).exists()


class TestAssignInstructor:
    def test_the_guides_answer(self, world, admin_client):
        url = f"/api/batches/{world.batch.pk}/assign-instructor/{world.roster_only.pk}"
        body = assert_success(admin_client.put(url))
        assert body["message"] == "Instructor assigned to batch successfully"
        assert body["data"]["_id"] == world.batch.pk
        assert body["data"]["assigned_instructor"] == world.roster_only.pk
        assert body["data"]["updatedAt"].endswith("Z")

    def test_the_current_instructor_again_is_refused(self, world, admin_client):
        url = f"/api/batches/{world.batch.pk}/assign-instructor/{world.instructor.pk}"
        assert_failure(admin_client.put(url), 400, "already the instructor")

    def test_a_student_is_refused_with_the_original_message(self, world, admin_client):
        url = f"/api/batches/{world.batch.pk}/assign-instructor/{world.student.pk}"
        assert_failure(admin_client.put(url), 400, "Assigned instructor must have instructor role")

    def test_a_conflicting_instructor_is_refused(self, world, admin_client):
        busy = InstructorFactory()
        other = BatchFactory(assigned_instructor=busy, status="Active")
        ScheduleSlotFactory(batch=other, day=0, start_time=dt.time(9), end_time=dt.time(10))
        BatchTrainer.objects.create(batch=other, trainer=busy, role="primary")
        sessions_generate_missing(batch_ids=[other.pk])  # its sessions and busy's bookings
        url = f"/api/batches/{world.batch.pk}/assign-instructor/{busy.pk}"
        assert_failure(admin_client.put(url), 400, "Schedule conflict")


def test_batch_students(world, as_user):
    body = assert_success(as_user("instructor").get(f"/api/batches/{world.batch.pk}/students"))
    assert body["count"] == 1
    (row,) = body["data"]
    assert row["_id"] == world.student.pk
    assert row["enrollment_id"] == world.enrollment.pk
    assert row["status"] == "active"
