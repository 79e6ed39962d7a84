"""Every endpoint × every role: the expected status and the envelope.

Roles: admin, the batch's instructor, another instructor, the student in the batch, another
student, anonymous. The data (``world``) is built once for the module; each case runs in its
own savepoint, so writes do not leak from one case into another. The cases follow the original
guide's "Access" column; see docs/api.md.
"""

from __future__ import annotations

import datetime as dt
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


# --- objects some cases act on, made inside the case's savepoint ------------------------------


def _started_session(w):
    """A session of the batch that started a moment ago (after the world's enrollments), so
    its trainer is inside the attendance window."""
    from django.utils import timezone

    from allocation.models import ClassSession, SessionKind
    from enrollments.models import Enrollment

    start = timezone.now() - dt.timedelta(seconds=1)
    # The roll is who was enrolled when the session started: the world's enrollments are
    # moments old, maybe younger than the second above, so date them an hour back.
    Enrollment.objects.filter(batch=w.batch).update(enrollment_date=start - dt.timedelta(hours=1))
    return ClassSession.objects.create(
        batch=w.batch,
        start_at=start,
        end_at=start + dt.timedelta(hours=1),
        local_date=start.date(),
        kind=SessionKind.EXTRA,
    )


def _leave(w):
    from trainers.services import leave_record

    return leave_record(
        trainer=w.roster_only,
        start_date=dt.date(2026, 6, 1),
        end_date=dt.date(2026, 6, 5),
        created_by=w.admin,
    )


def _instructor_leave(w):
    """A week of the batch's instructor's leave that hits one of its Monday sessions."""
    from trainers.models import TrainerLeave
    from trainers.services import leave_record

    found = TrainerLeave.objects.filter(trainer=w.instructor, start_date=dt.date(2026, 3, 2))
    return found.first() or leave_record(
        trainer=w.instructor,
        start_date=dt.date(2026, 3, 2),
        end_date=dt.date(2026, 3, 6),
        created_by=w.admin,
    )


def _completed(w):
    """The batch, Completed (so its students may rate it); returns the batch."""
    from allocation.models import Batch, BatchStatus

    Batch.objects.filter(pk=w.batch.pk).update(status=BatchStatus.COMPLETED)
    return w.batch


def _backup(w):
    """The roster-only trainer as a backup of the batch; returns the batch."""
    from allocation.services import batch_staff_add

    batch_staff_add(batch=w.batch, trainer=w.roster_only, role="backup", added_by=w.admin)
    return w.batch


def _waiting(w):
    """The other student waiting for the (filled) empty batch; returns the entry."""
    from enrollments.models import WaitlistEntry

    return WaitlistEntry.objects.filter(
        batch=w.empty_batch, student=w.other_student, status="waiting"
    ).first() or WaitlistEntry.objects.create(
        batch=w.empty_batch, student=w.other_student, position=1
    )


def _full(w):
    """The world's batch (German, open to students) with its one seat taken."""
    from allocation.models import Batch

    Batch.objects.filter(pk=w.batch.pk).update(capacity=1)
    return w.batch


def _second(w):
    """Another open batch of the world's course, on Wednesdays."""
    from allocation.models import Batch, Weekday
    from allocation.services import batch_create
    from tests.support import slot

    return Batch.objects.filter(course=w.course).exclude(pk=w.batch.pk).first() or batch_create(
        course=w.course,
        batch_name="Second Batch",
        start_date=w.batch.start_date,
        end_date=w.batch.end_date,
        capacity=5,
        assigned_instructor=w.roster_only,
        created_by=w.admin,
        status="Upcoming",
        schedule=[slot(Weekday.WEDNESDAY, "18:00", "19:00")],
    )


def _on_request(w):
    """The empty batch, its course (English) taking students on request."""
    from allocation.models import Course

    Course.objects.filter(pk=w.other_course.pk).update(enrollment_policy="on_request")
    return w.empty_batch


def _request(w):
    """The other student's pending request for a place in the empty batch."""
    from enrollments.models import EnrollmentRequest

    return EnrollmentRequest.objects.filter(
        student=w.other_student, status="pending"
    ).first() or EnrollmentRequest.objects.create(
        student=w.other_student, course=w.other_course, batch=w.empty_batch
    )


def _job(w, kind: str, *, ready: bool = False):
    """A planning job of ``kind``; ``ready``: solved, with one row to apply: the roster-only
    trainer as an assistant of the batch (its template asks for one), or as its primary in
    place of the instructor (a balancing move)."""
    from allocation.models import BatchTemplate
    from planning.models import JobKind, JobStatus, PlanningJob

    job = PlanningJob.objects.create(
        kind=JobKind.ASSIGN if kind == "assignment" else JobKind.BALANCE,
        time_limit=1,
        created_by=w.admin,
    )
    if ready:
        if kind == "assignment":
            BatchTemplate.objects.update_or_create(course=w.course, defaults={"assistants": 1})
            role, previous = "assistant", None
        else:
            role, previous = "primary", w.instructor
        person = {"_id": w.roster_only.pk, "full_name": "", "email": ""}
        row = {
            "batch": w.batch.pk,
            "batch_code": w.batch.batch_code,
            "course": w.course.code,
            "role": role,
            "trainer": person,
            "previous": None if previous is None else {**person, "_id": previous.pk},
            "minutes": 120,
            "token": f"{w.batch.pk}:{role}:{w.roster_only.pk}:{previous.pk if previous else 0}",
        }
        job.status = JobStatus.DONE
        job.proposal = {
            "rows": [row],
            "loads": [],
            "unassignable": [],
            "positions": 1,
            "solver_status": "optimal",
            "optimal": True,
            "max_deviation_before_minutes": 0,
            "max_deviation_minutes": 0,
            "tolerance_minutes": None,
            "wall_seconds": 0.0,
            "time_limit": 1.0,
            "note": "",
        }
        job.save()
    return job


def _webhook(w):
    from webhooks.models import WebhookEndpoint

    return WebhookEndpoint.objects.create(
        url="https://93.184.216.34/hook", secret="s" * 32, event_types=["batch.full"]
    )


def _delivery(w):
    from webhooks.models import WebhookDelivery, WebhookEvent

    event = WebhookEvent.objects.create(type="batch.full", data={"batch": w.batch.pk})
    return WebhookDelivery.objects.create(event=event, endpoint=_webhook(w), status="failed")


def _mentor_slots(w):
    """Free 1:1 slots of the student's mentor (the batch's instructor), three days ahead and
    more (outside the notice window), after giving them daily hours if they have none."""
    from django.utils import timezone

    from allocation.selectors.mentor_slots import mentor_slots
    from trainers.models import AvailabilityWindow

    if not AvailabilityWindow.objects.filter(trainer=w.instructor).exists():
        AvailabilityWindow.objects.bulk_create(
            AvailabilityWindow(
                trainer=w.instructor, day=day, start_time=dt.time(8), end_time=dt.time(20)
            )
            for day in range(7)
        )
    start = timezone.now() + dt.timedelta(days=3)
    return mentor_slots(w.instructor, start=start, end=start + dt.timedelta(days=2))


def _mentor_booking(w):
    """The student's booking with their mentor, made at the first free slot if none."""
    from allocation.models import MentorBooking

    found = MentorBooking.objects.filter(mentee=w.student, status="booked").first()
    if found is not None:
        return found
    slot = _mentor_slots(w)[0]
    return MentorBooking.objects.create(
        assignment=w.assignment,
        mentor=w.instructor,
        mentee=w.student,
        start_at=slot.start_at,
        end_at=slot.end_at,
    )


MENTORING_SIDES = {"admin": 200, "instructor": 200, "student": 200}

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
    Case(
        "mentor candidates",
        "get",
        lambda w: f"/api/students/{w.student.pk}/mentor-candidates",
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
        # The student's batch started long ago: past their own cancel window.
        {"admin": 200, "student": 400},
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
    Case("me", "get", lambda w: "/api/users/me", ALL_SIGNED_IN),
    Case(
        "update me",
        "put",
        lambda w: "/api/users/me",
        ALL_SIGNED_IN,
        lambda w: {"time_zone": "Europe/Berlin", "email_notifications": {"session_moved": False}},
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
    Case(
        "batch feedback",
        "get",
        lambda w: f"/api/batches/{w.batch.pk}/feedback",
        {"admin": 200, "instructor": 200},
    ),
    Case(
        "give batch feedback",
        "post",
        lambda w: f"/api/batches/{_completed(w).pk}/feedback",
        {"student": 201},
        lambda w: {"rating": 4, "trainers": [{"trainer": w.instructor.pk, "rating": 5}]},
    ),
    # --- issue 19: attendance ---
    Case(
        "session attendance",
        "get",
        lambda w: f"/api/sessions/{_started_session(w).pk}/attendance",
        {"admin": 200, "instructor": 200},
    ),
    Case(
        "take attendance",
        "put",
        lambda w: f"/api/sessions/{_started_session(w).pk}/attendance",
        {"admin": 200, "instructor": 200},
        lambda w: [{"student": w.student.pk, "status": "present", "note": ""}],
    ),
    Case(
        "student attendance",
        "get",
        lambda w: f"/api/students/{w.student.pk}/attendance",
        {"admin": 200, "instructor": 200, "student": 200},
    ),
    Case("attendance report", "get", lambda w: "/api/reports/attendance", {"admin": 200}),
    Case(
        "students at risk",
        "get",
        lambda w: "/api/students/at-risk",
        {"admin": 200, "instructor": 200, "other_instructor": 200},
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
    # --- issue 25: 1:1 mentoring bookings ---
    Case(
        "mentor slots",
        "get",
        lambda w: f"/api/mentors/{w.instructor.pk}/slots",
        MENTORING_SIDES,
    ),
    Case(
        "book mentoring session",
        "post",
        lambda w: "/api/mentoring/bookings",
        {"admin": 201, "instructor": 201, "student": 201},
        lambda w: {"start": _mentor_slots(w)[1].start_at.isoformat(), "student_id": w.student.pk},
    ),
    Case(
        "move mentoring booking",
        "put",
        lambda w: f"/api/mentoring/bookings/{_mentor_booking(w).pk}",
        MENTORING_SIDES,
        lambda w: {"start": _mentor_slots(w)[1].start_at.isoformat()},
    ),
    Case(
        "cancel mentoring booking",
        "delete",
        lambda w: f"/api/mentoring/bookings/{_mentor_booking(w).pk}",
        MENTORING_SIDES,
    ),
    # --- issue 23 ---
    Case(
        "trainer leave",
        "get",
        lambda w: f"/api/trainers/{w.instructor.pk}/leave",
        {"admin": 200, "instructor": 200},
    ),
    Case(
        "record leave",
        "post",
        lambda w: f"/api/trainers/{w.roster_only.pk}/leave",
        {"admin": 201},
        lambda w: {"start_date": "2026-07-01", "end_date": "2026-07-03", "reason": "Holiday"},
    ),
    Case("delete leave", "delete", lambda w: f"/api/leave/{_leave(w).pk}", {"admin": 200}),
    Case(
        "leave cover candidates",
        "get",
        lambda w: f"/api/leave/{_instructor_leave(w).pk}/candidates",
        {"admin": 200},
    ),
    Case(
        "cover leave",
        "post",
        lambda w: f"/api/leave/{_instructor_leave(w).pk}/covers",
        {"admin": 201},
        lambda w: {"batch": w.batch.pk, "substitute": w.roster_only.pk},
    ),
    Case(
        "remove batch trainer",
        "delete",
        lambda w: f"/api/batches/{_backup(w).pk}/trainers/{w.roster_only.pk}",
        {"admin": 200},
    ),
    Case(
        "update user",
        "put",
        lambda w: f"/api/users/{w.other_student.pk}",
        {"admin": 200},
        lambda w: {"full_name": "Otto Renamed", "role": ["student"]},
    ),
    Case(
        "batch waitlist",
        "get",
        lambda w: f"/api/batches/{w.batch.pk}/waitlist",
        {"admin": 200, "instructor": 200},
    ),
    Case(
        "reorder waitlist",
        "put",
        lambda w: f"/api/batches/{w.empty_batch.pk}/waitlist",
        {"admin": 200},
        lambda w: {"order": [_waiting(w).pk]},
    ),
    Case(
        "remove from waitlist",
        "delete",
        lambda w: f"/api/batches/{w.empty_batch.pk}/waitlist/{_waiting(w).pk}",
        {"admin": 200},
    ),
    Case(
        "join waitlist",
        "post",
        lambda w: f"/api/batches/{_full(w).pk}/waitlist",
        {"admin": 201, "other_student": 201},
        lambda w: {"student": w.other_student.pk},
    ),
    Case(
        "leave waitlist",
        "delete",
        lambda w: f"/api/batches/{_waiting(w).batch_id}/waitlist/students/{w.other_student.pk}",
        {"admin": 200, "other_student": 200},
    ),
    Case(
        "open batches",
        "get",
        lambda w: f"/api/courses/{w.course.pk}/open-batches",
        {"admin": 200, "student": 200, "other_student": 200},
    ),
    Case("my enrollments", "get", lambda w: "/api/users/me/enrollments", ALL_SIGNED_IN),
    Case(
        "transfer request",
        "post",
        lambda w: f"/api/enrollments/{w.enrollment.pk}/transfer-request",
        {"student": 201},
        lambda w: {"batchId": _second(w).pk},
    ),
    Case("enrollment requests", "get", lambda w: "/api/enrollment-requests", ALL_SIGNED_IN),
    Case(
        "request a place",
        "post",
        lambda w: "/api/enrollment-requests",
        {"student": 201, "other_student": 201},
        lambda w: {"batchId": _on_request(w).pk},
    ),
    Case(
        "decide request",
        "post",
        lambda w: f"/api/enrollment-requests/{_request(w).pk}/decision",
        {"admin": 200},
        lambda w: {"decision": "decline", "reason": "The batch is for B2 only"},
    ),
    Case(
        "batch template",
        "get",
        lambda w: f"/api/courses/{w.course.pk}/batch-template",
        {"admin": 200},
    ),
    Case(
        "save batch template",
        "put",
        lambda w: f"/api/courses/{w.course.pk}/batch-template",
        {"admin": 200},
        lambda w: {"capacity": 20, "auto_create": True},
    ),
    *(
        Case(f"report {name}", "get", lambda w, name=name: f"/api/reports/{name}", {"admin": 200})
        for name in ("overview", "courses", "batches", "instructors", "students", "mentoring")
    ),
    Case("audit log", "get", lambda w: "/api/audit", {"admin": 200}),
    Case("webhooks", "get", lambda w: "/api/webhooks", {"admin": 200}),
    Case(
        "register webhook",
        "post",
        lambda w: "/api/webhooks",
        {"admin": 201},
        lambda w: {"url": "https://93.184.216.34/hook", "event_types": ["enrollment.created"]},
    ),
    Case("delete webhook", "delete", lambda w: f"/api/webhooks/{_webhook(w).pk}", {"admin": 200}),
    Case(
        "webhook deliveries",
        "get",
        lambda w: f"/api/webhooks/{_webhook(w).pk}/deliveries",
        {"admin": 200},
    ),
    Case(
        "redeliver webhook",
        "post",
        lambda w: f"/api/webhooks/deliveries/{_delivery(w).pk}/redeliver",
        {"admin": 200},
    ),
    *(
        case
        for kind, body in (("assignment", {"time_limit": 1}), ("balancing", {"time_limit": 1}))
        for case in (
            Case(
                f"{kind} proposal",
                "post",
                lambda w, kind=kind: f"/api/{kind}/proposals",
                {"admin": 202},
                lambda w, body=body: body,
            ),
            Case(
                f"{kind} proposal status",
                "get",
                lambda w, kind=kind: f"/api/{kind}/proposals/{_job(w, kind).pk}",
                {"admin": 200},
            ),
            Case(
                f"{kind} proposal apply",
                "post",
                lambda w, kind=kind: f"/api/{kind}/proposals/{_job(w, kind, ready=True).pk}/apply",
                {"admin": 200},
            ),
        )
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

    # login: test_auth.py; docs: test_schema.py; the password reset: below and
    # notifications/tests/test_account_emails.py.
    untested_on_purpose = {
        "login",
        "schema",
        "docs",
        "password-reset",
        "password-reset-confirm",
    }
    endpoints = {
        (route.name, method)
        for route in urls.urlpatterns
        if getattr(route, "name", None) and route.name not in untested_on_purpose
        for method in ("get", "post", "put", "delete")
        if hasattr(route.callback.view_class, method)
    }
    covered = {(resolve(case.url(world).split("?")[0]).url_name, case.method) for case in CASES}
    assert endpoints - covered == set()


@pytest.mark.parametrize("role", ROLES)
def test_the_password_reset_endpoints_answer_every_caller_alike(world, as_user, role):
    """Open to anyone (a user who forgot their password has no token): every role, anonymous
    included, gets the same answer, and a stale session or token does not stand in the way."""
    client = as_user(role)
    sent = client.post("/api/v1/auth/password-reset", {"email": world.student.email}, format="json")
    assert_success(sent, 200)
    confirm = client.post(
        "/api/v1/auth/password-reset/confirm",
        {"uid": "MQ", "token": "no-such-token", "new_password": "a-long-enough-passphrase"},
        format="json",
    )
    assert_failure(confirm, 400, contains="invalid or has expired")


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
    # The URL and body first: some cases make the object they act on.
    url, body = case.url(world), case.body(world) if case.body else None
    before = database_fingerprint()
    response = getattr(client, case.method)(url, body, format="json")
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
