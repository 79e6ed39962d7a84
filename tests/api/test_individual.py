"""Individual instructor assignments: the guide's scenarios."""

from __future__ import annotations

from accounts.tests.factories import StudentFactory
from allocation.models import IndividualAssignment

from .conftest import assert_failure, assert_success

ASSIGN = "/api/v1/auth/assign-instructor-to-student"


def test_assigning_a_mentor(world, admin_client):
    body = {
        "instructor_id": world.other_instructor.pk,
        "student_id": world.other_student.pk,
        "assignment_type": "mentor",
        "notes": "Focus on programming fundamentals and career guidance",
    }
    answer = assert_success(admin_client.post(ASSIGN, body, format="json"), 200)
    assert answer["message"] == "Instructor assigned to student successfully"
    data = answer["data"]
    assert data["assignment_type"] == "mentor"
    assert data["student_id"] == world.other_student.pk
    assert data["student_name"] == "Otto Student"
    assert data["instructor_id"] == world.other_instructor.pk
    assert data["instructor_name"] == "Maria Other"
    assert data["notes"] == body["notes"]
    # The real moment of the assignment (not midnight), in UTC with milliseconds.
    from allocation.models import IndividualAssignment
    from core.api.fields import timestamp_out

    made = IndividualAssignment.objects.get(pk=data["_id"])
    assert data["assignment_date"] == timestamp_out(made.assigned_at)
    assert data["assignment_date"].endswith("Z") and len(data["assignment_date"]) == 24


def test_the_same_assignment_again_is_refused(world, admin_client):
    body = {"instructor_id": world.instructor.pk, "student_id": world.student.pk}
    response = admin_client.post(ASSIGN, body, format="json")
    assert_failure(response, 400, "already assigned")
    assert response.json()["message"] == "This instructor is already assigned to this student"


def test_a_non_instructor_is_refused_with_the_original_message(world, admin_client):
    body = {"instructor_id": world.other_student.pk, "student_id": StudentFactory().pk}
    response = admin_client.post(ASSIGN, body, format="json")
    assert_failure(response, 400, "Assigned instructor must have instructor role")


def test_unknown_ids_in_the_body(world, admin_client):
    body = {"instructor_id": 999999, "student_id": "abc", "assignment_type": "guru"}
    errors = assert_failure(admin_client.post(ASSIGN, body, format="json"), 400)["errors"]
    assert errors["instructor_id"] == ["No user with id 999999."]
    assert errors["student_id"] == ["Must be a numeric id."]
    assert "assignment_type" in errors


def test_instructor_students(world, as_user):
    data = assert_success(
        as_user("instructor").get(f"/api/v1/auth/instructor-students/{world.instructor.pk}")
    )["data"]
    assert data["instructor"] == {
        "id": world.instructor.pk,
        "name": "John Smith",
        "email": world.instructor.email,
    }
    assert data["total_students"] == 1
    (student,) = data["assigned_students"]
    assert student["_id"] == world.student.pk
    assert student["role"] == ["student"]
    assert student["instructor_assignment_type"] == "mentor"


def test_instructor_students_of_a_non_instructor_is_404(world, admin_client):
    response = admin_client.get(f"/api/v1/auth/instructor-students/{world.student.pk}")
    assert_failure(response, 404)


def test_unassign(world, admin_client):
    url = f"/api/v1/auth/unassign-instructor-from-student/{world.student.pk}"
    data = assert_success(admin_client.delete(url))["data"]
    assert data["student_id"] == world.student.pk
    assert data["student_name"] == "Jane Student"
    assert data["previous_instructor"]["id"] == world.instructor.pk
    assignment = IndividualAssignment.objects.get(pk=world.assignment.pk)
    assert assignment.ended_at is not None and assignment.ended_by == world.admin
    assert_failure(admin_client.delete(url), 400, "has no assigned instructor")


def test_all_students_with_instructors(world, admin_client):
    body = assert_success(admin_client.get("/api/v1/auth/get-all-students-with-instructors"))
    rows = {row["_id"]: row for row in body["data"]}
    assert rows[world.student.pk]["assigned_instructor"]["_id"] == world.instructor.pk
    assert rows[world.student.pk]["instructor_assignment_type"] == "mentor"
    assert rows[world.other_student.pk]["assigned_instructor"] is None
    filtered = admin_client.get(
        "/api/v1/auth/get-all-students-with-instructors", {"instructor": world.instructor.pk}
    ).json()
    assert [row["_id"] for row in filtered["data"]] == [world.student.pk]
