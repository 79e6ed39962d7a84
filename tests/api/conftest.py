"""The cast of the API tests: an admin, the batch's instructor, another instructor, a student
in the batch, another student, and an anonymous caller; each signed-in one with a Bearer token.

The data is made through the services (a batch with its staffing and roster, an enrollment
holding a seat, an individual assignment), so the API sees what the pages would.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.tests.factories import AdminFactory, InstructorFactory, StudentFactory
from allocation import services as allocation_services
from allocation.models import Weekday
from allocation.tests.factories import CourseFactory
from enrollments import services as enrollment_services
from tests.support import slot

ROLES = ("admin", "instructor", "other_instructor", "student", "other_student", "anonymous")


def bearer_client(user=None) -> APIClient:
    """An API client that sends ``Authorization: Bearer <token>`` for ``user`` (none: anonymous)."""
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.key}")
    return client


@pytest.fixture
def world(db):
    return build_world()


def build_world() -> SimpleNamespace:
    admin = AdminFactory(full_name="Ada Admin")
    instructor = InstructorFactory(full_name="John Smith")
    other_instructor = InstructorFactory(full_name="Maria Other")
    roster_only = InstructorFactory(full_name="Rita Roster")
    student = StudentFactory(full_name="Jane Student")
    other_student = StudentFactory(full_name="Otto Student")
    # Open: students enroll themselves (the original API's "Admin, Self"); English keeps the
    # default, admins only.
    course = CourseFactory(code="GER-A1", title="German A1", enrollment_policy="open")
    other_course = CourseFactory(code="ENG-B2", title="English B2")
    batch = allocation_services.batch_create(
        course=course,
        batch_name="Morning Batch",
        start_date=dt.date(2026, 1, 5),
        end_date=dt.date(2026, 3, 27),
        capacity=10,
        assigned_instructor=instructor,
        created_by=admin,
        status="Active",
        schedule=[slot(Weekday.MONDAY, "08:00", "10:00")],
    )
    empty_batch = allocation_services.batch_create(
        course=other_course,
        batch_name="Evening Batch",
        start_date=dt.date(2026, 1, 5),
        end_date=dt.date(2026, 3, 27),
        capacity=5,
        assigned_instructor=other_instructor,
        created_by=admin,
        status="Upcoming",
        schedule=[slot(Weekday.TUESDAY, "18:00", "20:00")],
    )
    allocation_services.roster_add(course=course, trainer=roster_only, workload_percent=10)
    enrollment = enrollment_services.enrollment_create(student=student, course=course, batch=batch)
    assignment = allocation_services.individual_assign(
        student=student, instructor=instructor, assigned_by=admin
    )
    # After the batches' dates: it cancels nothing.
    holiday = allocation_services.holiday_create(
        name="Spring break",
        start_date=dt.date(2026, 3, 30),
        end_date=dt.date(2026, 4, 3),
        created_by=admin,
    ).holiday
    users = {
        "admin": admin,
        "instructor": instructor,
        "other_instructor": other_instructor,
        "student": student,
        "other_student": other_student,
        "anonymous": None,
    }
    return SimpleNamespace(
        **{k: v for k, v in users.items() if v is not None},
        users=users,
        roster_only=roster_only,
        course=course,
        other_course=other_course,
        batch=batch,
        empty_batch=empty_batch,
        enrollment=enrollment,
        assignment=assignment,
        holiday=holiday,
    )


@pytest.fixture
def as_user(world):
    """``as_user("admin")`` → an APIClient with that role's Bearer token."""
    return lambda role: bearer_client(world.users[role])


@pytest.fixture
def admin_client(world):
    return bearer_client(world.admin)


def assert_success(response, status: int = 200):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["success"] is True
    assert isinstance(body["message"], str) and body["message"]
    assert "data" in body
    return body


def assert_failure(response, status: int, contains: str | None = None):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["success"] is False
    assert isinstance(body["message"], str) and body["message"]
    if contains is not None:
        assert contains in body["message"], body["message"]
    return body
