"""Every column and read-only field of the Django admin, computed for real objects.

The admin hides a display method that raises: a read-only field whose method raises
``ValueError`` or ``AttributeError`` reads "-" on the change page, and nobody sees the bug
(a batch's staffing history read "-" for every batch). So this test calls them itself, for
every registered ModelAdmin and its inlines: each name in ``list_display`` and in the
read-only fields (and their history list columns) is resolved the way the admin does
(``lookup_field``: a ModelAdmin method, a model method or property, or a field) on every
object of a world that has at least one row of each registered model, and any exception fails.
"""

from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace

import pytest
from axes.models import AccessAttempt, AccessAttemptExpiration, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.admin.utils import lookup_field
from django.contrib.auth.models import Group
from django.test import RequestFactory, override_settings
from django.urls import reverse
from rest_framework.authtoken.models import Token

from allocation import services as allocation_services
from allocation.models import Batch, BatchNote, BatchTemplate, StaffRole, Weekday
from core.dates import today
from enrollments import services as enrollment_services
from enrollments.tasks import auto_batch_check
from feedback import selectors as feedback_selectors
from feedback import services as feedback_services
from feedback.models import CourseFeedbackOption
from tests.support import (
    AdminFactory,
    CourseFactory,
    InstructorFactory,
    StudentFactory,
    module_transaction,
    slot,
)
from trainers import services as trainer_services
from trainers.models import Skill, TrainerProfile
from trainers.tests.factories import AvailabilityWindowFactory

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def _mentor_bookings(assignment, logged) -> None:
    """A booked, a cancelled and a held 1:1 booking of ``assignment``."""
    from django.utils import timezone as django_timezone

    from allocation.models import MentorBooking

    start = django_timezone.now().replace(microsecond=0) + dt.timedelta(days=3)
    people = {
        "assignment": assignment,
        "mentor": assignment.instructor,
        "mentee": assignment.student,
        "created_by": assignment.student,
    }
    hour = dt.timedelta(hours=1)
    MentorBooking.objects.create(**people, start_at=start, end_at=start + hour)
    MentorBooking.objects.create(
        **people,
        start_at=start + hour,
        end_at=start + 2 * hour,
        status="cancelled",
        cancelled_at=start - 2 * hour,
        cancelled_by=assignment.instructor,
        reason="Ill",
    )
    past = start - dt.timedelta(days=4)
    MentorBooking.objects.create(
        **people, start_at=past, end_at=past + hour, status="held", session=logged
    )


def _build_world() -> SimpleNamespace:
    """One or more rows of every registered model, made the way the application makes them
    (the services), so that history rows, ended staffing rows and queued tasks exist too."""
    now = today()
    admin_user = AdminFactory(full_name="Dr. Ada Admin")
    lead = InstructorFactory(full_name="Lena Lead")
    assistant = InstructorFactory(full_name="Arno Assistant")
    substitute = InstructorFactory(full_name="Sami Substitute")
    student = StudentFactory(full_name="Stella Student")
    other_student = StudentFactory(full_name="Oskar Other")
    course = CourseFactory(code="DISP-C", title="Display Course")
    BatchTemplate.objects.create(
        course=course, capacity=12, schedule=[{"day": 0, "start": "08:00", "end": "10:00"}]
    )
    batch = allocation_services.batch_create(
        course=course,
        batch_name="Display batch",
        start_date=now - dt.timedelta(days=7),
        end_date=now + dt.timedelta(days=60),
        capacity=10,
        status="Active",
        assigned_instructor=lead,
        created_by=admin_user,
        schedule=[slot(Weekday.MONDAY, "08:00", "10:00")],
    )
    allocation_services.roster_add(course=course, trainer=assistant, role="assistant")
    allocation_services.batch_staff_add(
        batch=batch, trainer=assistant, role=StaffRole.ASSISTANT, added_by=admin_user
    )
    # The lead hands the batch over: their primary row ends (an ended row, with "by").
    batch = allocation_services.batch_update(
        batch=batch, assigned_instructor=substitute, updated_by=admin_user
    )
    enrollment_services.enrollment_create(student=student, course=course, batch=batch)
    enrollment_services.enrollment_create(student=other_student, course=course, batch=batch)
    allocation_services.individual_assign(student=student, instructor=lead, assigned_by=admin_user)
    allocation_services.individual_unassign(student=student, ended_by=admin_user, reason="Moved")
    assignment = allocation_services.individual_assign(
        student=student, instructor=assistant, assigned_by=admin_user
    )
    logged = allocation_services.mentoring_session_log(
        assignment=assignment, logged_by=assistant, session_date=now, duration_minutes=30
    )
    _mentor_bookings(assignment, logged)
    feedback_services.mentoring_rating_submit(
        session=logged, student=student, rating=4, comment="Clear"
    )
    allocation_services.batch_note_add(batch=batch, author=assistant, body="Room 4 this week.")
    trainer_services.leave_record(
        trainer=substitute,
        start_date=now + dt.timedelta(days=14),
        end_date=now + dt.timedelta(days=20),
        created_by=admin_user,
    )
    allocation_services.substitute_assign(
        batch=batch,
        absent_trainer=substitute,
        substitute=lead,
        start_date=now + dt.timedelta(days=14),
        end_date=now + dt.timedelta(days=20),
        assigned_by=admin_user,
    )
    profile, _ = TrainerProfile.objects.get_or_create(
        user=lead, defaults={"specialization": "German", "languages": ["de", "en"]}
    )
    ielts = Skill.objects.create(name="IELTS", description="Exam preparation")
    profile.skills.add(ielts)
    allocation_services.student_needs_set(
        student=student,
        updated_by=admin_user,
        skills=[ielts],
        languages=["de"],
        preferred_days=[0, 2],
        day_parts=["evening"],
    )
    AvailabilityWindowFactory(trainer=lead)
    Group.objects.create(name="Coordinators")
    Token.objects.create(user=admin_user)
    attempt = AccessAttempt.objects.create(
        username=student.email, ip_address="127.0.0.1", user_agent="pytest", failures_since_start=1
    )
    AccessAttemptExpiration.objects.create(
        access_attempt=attempt, expires_at=attempt.attempt_time + dt.timedelta(minutes=15)
    )
    AccessLog.objects.create(username=student.email, ip_address="127.0.0.1", user_agent="pytest")
    AccessFailureLog.objects.create(
        username=student.email, ip_address="127.0.0.1", user_agent="pytest"
    )
    # A queued task row (emails go through the notification outbox, not the task queue).
    auto_batch_check.enqueue(course.pk)
    # Feedback: the batch completes (its students are asked), one of them answers.
    CourseFeedbackOption.objects.create(course=course, ask_at_midpoint=True)
    Batch.objects.filter(pk=batch.pk).update(status="Completed")
    feedback_services.feedback_request(batch=batch, stage="completion")
    feedback_services.feedback_submit(
        batch=batch,
        student=other_student,
        rating=5,
        comment="Great",
        trainer_ratings={t.pk: (4, "Kind") for t in feedback_selectors.batch_trainers(batch)},
    )
    assert BatchNote.objects.exists()
    _attendance(batch, admin_user)
    return SimpleNamespace(admin=admin_user, batch=batch)


def _attendance(batch, admin_user) -> None:
    """The batch's last session's roll, taken by the admin: one student absent, which (with
    one absence enough) opens an at-risk episode; the other present, then corrected to late
    (a history row of a change)."""
    from django.utils import timezone

    from attendance.services import MarkInput, attendance_record
    from enrollments.models import Enrollment

    Enrollment.objects.filter(batch=batch).update(
        enrollment_date=timezone.now() - dt.timedelta(days=30)
    )
    session = batch.sessions.filter(start_at__lte=timezone.now()).order_by("-start_at").first()
    absent, present = batch.enrollments.order_by("pk").values_list("student_id", flat=True)
    with override_settings(AT_RISK_ABSENCES_IN_A_ROW=1):
        for status in ("present", "late"):
            attendance_record(
                session=session,
                marks=[MarkInput(absent, "absent"), MarkInput(present, status, "bus")],
                marked_by=admin_user,
            )


@pytest.fixture(scope="module")
def module_world(django_db_setup, django_db_blocker):
    with module_transaction(django_db_blocker), override_settings(TASKS=DB_TASKS):
        # The database task backend, so that the world's task is a queued task row.
        yield _build_world()


@pytest.fixture
def world(module_world, db):
    return module_world


def admin_request(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def registered():
    return sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


def display_names(model_admin, request, obj) -> list[str]:
    """What the admin computes for ``obj``: its list columns and its read-only fields."""
    names = list(model_admin.get_list_display(request))
    names += list(model_admin.get_readonly_fields(request, obj))
    return [name for name in names if name != "action_checkbox"]


def check_object(model_admin, request, obj, names) -> list[str]:
    failures = []
    for name in names:
        try:
            lookup_field(name, obj, model_admin)
        except Exception as exc:  # any exception is the finding
            failures.append(f"{type(model_admin).__name__}.{name} on {obj!r}: {exc!r}")
    return failures


@pytest.mark.parametrize(
    "model_admin", [ma for _, ma in registered()], ids=[m._meta.label for m, _ in registered()]
)
def test_every_display_value_of_every_admin_computes(world, model_admin):
    request = admin_request(world.admin)
    objects = list(model_admin.get_queryset(request))
    assert objects, f"the world has no {model_admin.model._meta.label}: add one to _build_world"
    failures = []
    for obj in objects:
        failures += check_object(
            model_admin, request, obj, display_names(model_admin, request, obj)
        )
        for inline in model_admin.get_inline_instances(request, obj):
            formset = inline.get_formset(request, obj)(instance=obj)
            for child in formset.get_queryset():
                failures += check_object(
                    inline, request, child, inline.get_readonly_fields(request, child)
                )
        history = getattr(model_admin, "get_history_list_display", None)
        if history is not None:
            for record in obj.history.all():
                failures += check_object(
                    model_admin, request, record, model_admin.get_history_list_display(request)
                )
    assert not failures, "\n".join(failures)


def test_the_batch_admin_shows_the_staffing_history(world, client):
    """The value the admin shows, not "-": each row, current and ended, with its times."""
    model_admin = admin.site._registry[type(world.batch)]
    shown = str(model_admin.staffing_history(world.batch))
    assert "Lena Lead" in shown and "Arno Assistant" in shown and "Sami Substitute" in shown
    assert "current" in shown
    assert f"{today():%Y-%m-%d}" in shown

    client.force_login(world.admin)
    page = client.get(reverse("admin:allocation_batch_change", args=(world.batch.pk,)))
    assert page.status_code == 200
    assert "Lena Lead" in page.content.decode()


def test_every_change_list_and_change_page_opens(world, client):
    """And the pages render: list, change form and (for audited models) history."""
    client.force_login(world.admin)
    for model, model_admin in registered():
        info = model._meta.app_label, model._meta.model_name
        assert client.get(reverse("admin:{}_{}_changelist".format(*info))).status_code == 200
        obj = model_admin.get_queryset(admin_request(world.admin)).first()
        change = client.get(reverse("admin:{}_{}_change".format(*info), args=(obj.pk,)))
        assert change.status_code == 200, info
        if hasattr(model_admin, "history_view"):
            history = client.get(reverse("admin:{}_{}_history".format(*info), args=(obj.pk,)))
            assert history.status_code == 200, info


def test_the_admin_history_says_no_reason_in_words(world, client):
    """A change with no recorded reason reads "—" and one by no user "System", never
    Python's "None"."""
    client.force_login(world.admin)
    page = client.get(reverse("admin:allocation_batch_history", args=(world.batch.pk,)))
    cells = [cell.strip() for cell in re.findall(r"<td>(.*?)</td>", page.content.decode(), re.S)]
    assert "None" not in cells
    assert "—" in cells
    assert "System" in cells  # made outside any request: no user recorded
