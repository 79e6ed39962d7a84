"""Reads of batches and courses as the lists, forms and the batch page show them."""

from __future__ import annotations

from django.db.models import Count, ExpressionWrapper, F, FloatField, Q, QuerySet, Sum
from django.db.models.functions import Cast

from accounts.models import User
from allocation.models import (
    Batch,
    BatchTrainer,
    Course,
    CourseTrainer,
    RosterStatus,
    SubstituteCover,
)
from allocation.selectors.workload import per_trainer


def batch_roster(batch: Batch) -> QuerySet:
    """The batch's active enrollments, oldest first, with the students loaded.

    Read through the reverse relation rather than by importing ``enrollments`` (which
    depends on this app); ``"active"`` is ``EnrollmentStatus.ACTIVE``.
    """
    return (
        batch.enrollments.filter(status="active")
        .select_related("student")
        .order_by("enrollment_date", "pk")
    )


def batch_list() -> QuerySet[Batch]:
    """All batches with course and primary instructor loaded, by start date and code."""
    return Batch.objects.select_related("course", "assigned_instructor").order_by(
        "start_date", "batch_code", "pk"
    )


def batches_with_free_seats(batches: QuerySet[Batch], free: bool = True) -> QuerySet[Batch]:
    """Batches with a free seat (``free``) or full ones (not ``free``), as ``Batch.is_full``."""
    has_room = Q(enrolled_students__lt=F("capacity"))
    return batches.filter(has_room) if free else batches.exclude(has_room)


def open_batches_by_fill(*, limit: int = 20, course: Course | None = None) -> list[Batch]:
    """The ``limit`` fullest Active/Upcoming batches (of one course, or all), fullest first,
    each annotated with ``fill`` (enrolled / capacity, 0–1); one query."""
    batches = Batch.objects.open()
    if course is not None:
        batches = batches.filter(course=course)
    fill = ExpressionWrapper(
        Cast("enrolled_students", FloatField()) / F("capacity"), output_field=FloatField()
    )
    return list(
        batches.select_related("course")
        .annotate(fill=fill)
        .order_by("-fill", "start_date", "batch_code")[:limit]
    )


def can_use_batch_notes(user: User, batch: Batch) -> bool:
    """The batch's notes thread is for admins, its current trainers in any role, its
    supervising lead and the course's leads, and any substitute who covers it."""
    if not user.is_authenticated:
        return False
    if user.is_staff or batch.supervising_lead_id == user.pk:
        return True
    return (
        BatchTrainer.objects.filter(batch=batch, trainer=user, ended_at__isnull=True).exists()
        or CourseTrainer.objects.filter(
            course_id=batch.course_id, trainer=user, role="lead", status="active"
        ).exists()
        or SubstituteCover.objects.filter(batch=batch, substitute=user).exists()
    )


def batch_notes(batch: Batch):
    return batch.notes.select_related("author").order_by("created_at")


def courses_with_figures() -> QuerySet[Course]:
    """Every course with its figures, in one query.

    Annotations: ``batch_count``, ``open_batch_count`` (Active + Upcoming),
    ``enrolled_total`` and ``capacity_total`` (seats taken and offered across its batches),
    ``roster_size`` and ``roster_workload`` (the active roster members' workload percents).
    """
    batches = Batch.objects.all()
    roster = CourseTrainer.objects.all()
    return Course.objects.annotate(
        batch_count=per_trainer(batches, "course", Count("pk")),
        open_batch_count=per_trainer(batches.open(), "course", Count("pk")),
        enrolled_total=per_trainer(batches, "course", Sum("enrolled_students")),
        capacity_total=per_trainer(batches, "course", Sum("capacity")),
        roster_size=per_trainer(roster, "course", Count("pk")),
        roster_workload=per_trainer(
            roster.filter(status=RosterStatus.ACTIVE), "course", Sum("workload_percent")
        ),
    ).order_by("title", "code")


def course_choices() -> QuerySet[Course]:
    """Every course for a filter's drop-down, by title: only the columns its label and the
    filter read, not every one (500 courses: 5 ms to 2, bench/dashboards.py at 100×)."""
    return Course.objects.only("id", "code", "title").order_by("title", "code")


def instructor_choices() -> QuerySet[User]:
    """Every user with the instructor role for a filter's drop-down, by name: only the
    columns its label reads."""
    return (
        User.objects.filter(is_instructor=True)
        .only("id", "full_name", "email")
        .order_by("full_name", "email")
    )


def course_batches(course) -> QuerySet[Batch]:
    """The course's batches with their primary and supervising lead, by start date."""
    return course.batches.select_related("assigned_instructor", "supervising_lead").order_by(
        "start_date", "batch_code"
    )
