"""Every endpoint × every role: the expected status and the envelope.

Roles: admin, the batch's instructor, another instructor, the student in the batch, another
student, anonymous. The data (``world``) is built once for the module; each case runs in its
own savepoint, so writes do not leak from one case into another. The cases follow the original
guide's "Access" column; see docs/api.md.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from tests.support import module_transaction, reread

from .conftest import ROLES, assert_failure, assert_success, build_world


@pytest.fixture(scope="module")
def module_world(django_db_setup, django_db_blocker):
    with module_transaction(django_db_blocker):
        yield build_world()


@pytest.fixture
def world(module_world, db):
    """The module's world, read again from the database for each test."""
    return reread(module_world)


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    url: Callable[[Any], str]
    allowed: dict[str, int]  # role -> success status; every other signed-in role gets 403
    body: Callable[[Any], dict] | None = None

    def expected(self, role: str) -> int:
        if role == "anonymous":
            return 401
        return self.allowed.get(role, 403)


ALL_SIGNED_IN = dict.fromkeys(ROLES[:-1], 200)
STAFF = {"admin": 200, "instructor": 200, "other_instructor": 200}

CASES = [
    Case("logout", "post", lambda w: "/api/v1/auth/logout", ALL_SIGNED_IN),
    Case(
        "assign instructor to student",
        "post",
        lambda w: "/api/v1/auth/assign-instructor-to-student",
        {"admin": 200},
        lambda w: {
            "instructor_id": w.other_instructor.pk,
            "student_id": w.other_student.pk,
            "assignment_type": "tutor",
        },
    ),
    Case(
        "instructor's students",
        "get",
        lambda w: f"/api/v1/auth/instructor-students/{w.instructor.pk}",
        {"admin": 200, "instructor": 200},
    ),
    Case(
        "unassign instructor",
        "delete",
        lambda w: f"/api/v1/auth/unassign-instructor-from-student/{w.student.pk}",
        {"admin": 200},
    ),
    Case(
        "students with instructors",
        "get",
        lambda w: "/api/v1/auth/get-all-students-with-instructors",
        {"admin": 200},
    ),
    Case("all batches", "get", lambda w: "/api/batches", STAFF),
    Case("course batches", "get", lambda w: f"/api/batches/courses/{w.course.pk}/batches", STAFF),
    Case(
        "create batch",
        "post",
        lambda w: f"/api/batches/courses/{w.course.pk}/batches",
        {"admin": 201},
        lambda w: {
            "batch_name": "Wednesday Batch",
            "start_date": "2026-02-02",
            "end_date": "2026-04-30",
            "capacity": 12,
            "assigned_instructor": w.other_instructor.pk,
            "schedule": [{"day": "Wednesday", "start_time": "09:00", "end_time": "11:00"}],
        },
    ),
    Case(
        "batch detail",
        "get",
        lambda w: f"/api/batches/{w.batch.pk}",
        {"admin": 200, "instructor": 200, "student": 200},
    ),
    Case(
        "update batch",
        "put",
        lambda w: f"/api/batches/{w.batch.pk}",
        {"admin": 200},
        lambda w: {"batch_name": "Renamed"},
    ),
    Case("delete batch", "delete", lambda w: f"/api/batches/{w.empty_batch.pk}", {"admin": 200}),
    Case(
        "assign instructor to batch",
        "put",
        lambda w: f"/api/batches/{w.batch.pk}/assign-instructor/{w.roster_only.pk}",
        {"admin": 200},
    ),
    Case(
        "batch students",
        "get",
        lambda w: f"/api/batches/{w.batch.pk}/students",
        {"admin": 200, "instructor": 200},
    ),
    Case(
        "enroll",
        "post",
        lambda w: f"/api/enrollments/students/{w.other_student.pk}/enroll",
        {"admin": 201, "other_student": 201},
        lambda w: {"courseId": w.course.pk, "batchId": w.batch.pk, "enrollment_type": "batch"},
    ),
    Case("all enrollments", "get", lambda w: "/api/enrollments", {"admin": 200}),
    Case(
        "enrollment detail",
        "get",
        lambda w: f"/api/enrollments/{w.enrollment.pk}",
        {"admin": 200, "instructor": 200, "student": 200},
    ),
    Case(
        "update enrollment",
        "put",
        lambda w: f"/api/enrollments/{w.enrollment.pk}",
        {"admin": 200},
        lambda w: {"status": "on_hold"},
    ),
    Case(
        "cancel enrollment",
        "delete",
        lambda w: f"/api/enrollments/{w.enrollment.pk}",
        {"admin": 200, "student": 200},
    ),
    Case("courses", "get", lambda w: "/api/courses", ALL_SIGNED_IN),
    Case(
        "create course",
        "post",
        lambda w: "/api/courses",
        {"admin": 201},
        lambda w: {"code": "FR-A1", "course_title": "French A1"},
    ),
    Case("course trainers", "get", lambda w: f"/api/courses/{w.course.pk}/trainers", STAFF),
    Case(
        "add course trainer",
        "post",
        lambda w: f"/api/courses/{w.course.pk}/trainers",
        {"admin": 201},
        lambda w: {"trainer": w.other_instructor.pk, "role": "substitute", "workload": 5},
    ),
    Case(
        "update course trainer",
        "put",
        lambda w: f"/api/courses/{w.course.pk}/trainers/{w.roster_only.pk}",
        {"admin": 200},
        lambda w: {"role": "lead", "workload": 40},
    ),
    Case(
        "remove course trainer",
        "delete",
        lambda w: f"/api/courses/{w.course.pk}/trainers/{w.roster_only.pk}",
        {"admin": 200},
    ),
    Case(
        "batch trainers",
        "get",
        lambda w: f"/api/batches/{w.batch.pk}/trainers",
        {"admin": 200, "instructor": 200},
    ),
    Case(
        "add batch trainer",
        "post",
        lambda w: f"/api/batches/{w.batch.pk}/trainers",
        {"admin": 201},
        lambda w: {"trainer": w.roster_only.pk, "role": "assistant"},
    ),
    Case(
        "set primary trainer",
        "put",
        lambda w: f"/api/batches/{w.batch.pk}/trainers/primary",
        {"admin": 200},
        lambda w: {"trainer": w.roster_only.pk},
    ),
    Case(
        "add backup trainer",
        "post",
        lambda w: f"/api/batches/{w.batch.pk}/trainers/backup",
        {"admin": 201},
        lambda w: {"trainer": w.roster_only.pk},
    ),
    Case("users", "get", lambda w: "/api/users?role=instructor", {"admin": 200}),
    Case(
        "create user",
        "post",
        lambda w: "/api/users",
        {"admin": 201},
        lambda w: {
            "full_name": "New Trainer",
            "email": "new.trainer@example.com",
            "password": "a-long-enough-passphrase",
            "role": ["instructor"],
        },
    ),
    Case(
        "user detail",
        "get",
        lambda w: f"/api/users/{w.student.pk}",
        {"admin": 200, "student": 200},
    ),
    Case(
        "batch sessions",
        "get",
        lambda w: f"/api/batches/{w.batch.pk}/sessions?from=2026-01-01T00:00:00Z",
        {"admin": 200, "instructor": 200, "student": 200},
    ),
    Case(
        "add session",
        "post",
        lambda w: f"/api/batches/{w.batch.pk}/sessions",
        {"admin": 201},
        lambda w: {"start": "2026-01-07T08:00:00Z", "end": "2026-01-07T10:00:00Z"},
    ),
    Case(
        "change session",
        "put",
        lambda w: f"/api/sessions/{w.batch.sessions.order_by('start_at').first().pk}",
        {"admin": 200},
        lambda w: {"status": "cancelled", "reason": "Snow day"},
    ),
    Case(
        "user sessions",
        "get",
        lambda w: f"/api/users/{w.student.pk}/sessions",
        {"admin": 200, "student": 200},
    ),
    Case("holidays", "get", lambda w: "/api/holidays", {"admin": 200}),
    Case(
        "add holiday",
        "post",
        lambda w: "/api/holidays",
        {"admin": 201},
        lambda w: {"name": "Carnival", "start_date": "2026-02-16", "end_date": "2026-02-17"},
    ),
    Case(
        "delete holiday",
        "delete",
        lambda w: f"/api/holidays/{w.holiday.pk}",
        {"admin": 200},
    ),
    Case(
        "instructor workload",
        "get",
        lambda w: f"/api/instructors/{w.instructor.pk}/workload",
        {"admin": 200, "instructor": 200},
    ),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_endpoint_by_role(world, as_user, case, role):
    client = as_user(role)
    body = case.body(world) if case.body else None
    response = getattr(client, case.method)(case.url(world), body, format="json")
    expected = case.expected(role)
    if expected < 400:
        assert_success(response, expected)
    else:
        assert_failure(response, expected)


def test_every_endpoint_is_in_the_matrix(world):
    """Each method of each API route has a case above, so no endpoint's access goes untested."""
    from django.urls import resolve

    from medh import api_urls as urls

    untested_on_purpose = {"login", "schema", "docs"}  # login: test_auth.py; docs: test_schema.py
    endpoints = {
        (route.name, method)
        for route in urls.urlpatterns
        if getattr(route, "name", None) and route.name not in untested_on_purpose
        for method in ("get", "post", "put", "delete")
        if hasattr(route.callback.view_class, method)
    }
    covered = {(resolve(case.url(world).split("?")[0]).url_name, case.method) for case in CASES}
    assert endpoints - covered == set()


# --- CSRF: a browser session needs the token, a Bearer token does not -------------------------

UNSAFE_CASES = [case for case in CASES if case.method != "get"]


@pytest.mark.parametrize("case", UNSAFE_CASES, ids=lambda c: c.name)
def test_a_session_write_without_the_csrf_token_is_refused(world, case):
    """The admin's browser session (SessionAuthentication) may write through the API only
    with the CSRF token: without it 403 in the envelope, and the database is unchanged."""
    from rest_framework.test import APIClient

    from tests.test_permissions import database_fingerprint

    client = APIClient(enforce_csrf_checks=True)
    client.force_login(world.admin)
    before = database_fingerprint()
    body = case.body(world) if case.body else None
    response = getattr(client, case.method)(case.url(world), body, format="json")
    assert_failure(response, 403, contains="CSRF")
    assert database_fingerprint() == before


@pytest.mark.parametrize("case", UNSAFE_CASES, ids=lambda c: c.name)
def test_a_bearer_write_needs_no_csrf_token(world, as_user, case):
    """A Bearer token is not sent by a browser on its own, so it is not a CSRF risk: the same
    call with CSRF checks on succeeds for the admin (or the role the matrix allows)."""
    role = "admin" if "admin" in case.allowed else next(iter(case.allowed))
    client = as_user(role)
    client.enforce_csrf_checks = True
    client.handler.enforce_csrf_checks = True
    body = case.body(world) if case.body else None
    response = getattr(client, case.method)(case.url(world), body, format="json")
    assert_success(response, case.allowed[role])
