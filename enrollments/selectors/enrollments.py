"""Reads of enrollments that the pages and the calendar feeds share, already joined.

Nothing here writes. Each selector runs a fixed number of queries however many enrollments,
slots, trainers or covers there are; the tests pin those counts.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import (
    Count,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce

from accounts.models import User
from allocation.models import (
    TEACHING_ROLES,
    Batch,
    BatchTrainer,
    IndividualAssignment,
    ScheduleSlot,
    SubstituteCover,
)
from core import dates
from enrollments.models import Enrollment, EnrollmentStatus

# --- the admin console's list ------------------------------------------------------------------


def active_enrollment_count() -> Coalesce:
    """An annotation for batches: the batch's active enrollments, counted from the partial
    index of active enrollments by batch (``enrollment_active_batch``) alone. A correlated
    count per batch, not a join of every enrollment row to the batches grouped afterwards
    (the seat-counter check: 48 ms to 7 ms at 100,000 students, bench/dashboards.py)."""
    active = (
        Enrollment.objects.filter(batch=OuterRef("pk"), status=EnrollmentStatus.ACTIVE)
        .order_by()
        .values("batch")
        .annotate(n=Count("*"))  # not of the id, which the index does not hold
        .values("n")
    )
    return Coalesce(Subquery(active[:1]), Value(0), output_field=IntegerField())


def enrollment_list() -> QuerySet[Enrollment]:
    """Every enrollment with student, course and batch joined, newest first."""
    return Enrollment.objects.select_related("student", "course", "batch").order_by(
        "-enrollment_date", "-pk"
    )


def transfer_targets(enrollment: Enrollment) -> QuerySet[Batch]:
    """The batches an enrollment could move to: the other open batches of its course."""
    return (
        Batch.objects.open()
        .filter(course_id=enrollment.course_id)
        .exclude(pk=enrollment.batch_id)
        .order_by("start_date", "batch_code")
    )


# --- the student's schedule --------------------------------------------------------------------


def _teaching_staff(batch: str = "") -> Prefetch:
    """Current primary and assistants of each batch at ``batch`` (a lookup path to batches,
    empty for batches themselves) as ``teaching_staff``, the primary first."""
    return Prefetch(
        f"{batch}staff",
        queryset=BatchTrainer.objects.filter(ended_at__isnull=True, role__in=TEACHING_ROLES)
        .select_related("trainer")
        .order_by("-role", "trainer__full_name", "pk"),  # descending: primary, then assistant
        to_attr="teaching_staff",
    )


def _covers(batch: str = "", *, ending_from: dt.date | None = None) -> Prefetch:
    """Substitute covers of each batch at ``batch`` as ``cover_list``, in date order; only
    those ending on or after ``ending_from`` when it is given."""
    covers = SubstituteCover.objects.select_related("substitute", "absent_trainer")
    if ending_from is not None:
        covers = covers.filter(end_date__gte=ending_from)
    return Prefetch(
        f"{batch}covers", queryset=covers.order_by("start_date", "pk"), to_attr="cover_list"
    )


def _schedule(batch: str = "") -> Prefetch:
    return Prefetch(f"{batch}schedule", queryset=ScheduleSlot.objects.order_by("day", "start_time"))


def student_active_enrollments(
    student: User, *, today: dt.date | None = None
) -> QuerySet[Enrollment]:
    """The student's active enrollments, batch ones by batch start, individual ones last.

    Each batch comes with its course, its slots (``batch.schedule.all()``), its current
    primary and assistants (``batch.teaching_staff``) and the covers that end today or later
    (``batch.cover_list``): four queries however many enrollments.
    """
    today = today or dates.today()
    return (
        Enrollment.objects.filter(student=student, status=EnrollmentStatus.ACTIVE)
        .select_related("course", "batch", "batch__course")
        .prefetch_related(
            _schedule("batch__"), _teaching_staff("batch__"), _covers("batch__", ending_from=today)
        )
        .order_by(F("batch__start_date").asc(nulls_last=True), "course__title", "pk")
    )


def student_past_enrollments(student: User) -> QuerySet[Enrollment]:
    """The student's enrollments that are not active (completed, cancelled, on hold,
    expired), most recently changed first."""
    return (
        Enrollment.objects.filter(student=student)
        .exclude(status=EnrollmentStatus.ACTIVE)
        .select_related("course", "batch")
        .order_by("-status_changed_at", "-enrollment_date", "-pk")
    )


def student_mentor(student: User) -> IndividualAssignment | None:
    """The student's active individual assignment, with the instructor, or None."""
    return (
        IndividualAssignment.objects.filter(student=student, ended_at__isnull=True)
        .select_related("instructor")
        .first()
    )


# --- calendar feeds ----------------------------------------------------------------------------


def user_by_feed_token(token: str) -> User | None:
    """The active user whose calendar-feed token is ``token``, or None."""
    if not token:
        return None
    return User.objects.filter(feed_token=token, is_active=True).first()
