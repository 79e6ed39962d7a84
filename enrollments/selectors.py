"""Reads of enrollments that the pages and the calendar feeds share, already joined.

Nothing here writes. Each selector runs a fixed number of queries however many enrollments,
slots, trainers or covers there are; the tests pin those counts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import F, Prefetch, QuerySet

from allocation.models import (
    TEACHING_ROLES,
    Batch,
    BatchStatus,
    BatchTrainer,
    IndividualAssignment,
    ScheduleSlot,
    SubstituteCover,
    Weekday,
)
from medh.accounts.models import User

from .models import Enrollment, EnrollmentStatus

# --- the admin console's list ------------------------------------------------------------------


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
    today = today or dt.date.today()
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


# --- the weekly timetable ----------------------------------------------------------------------

# The grid shows at least these hours; a slot outside them widens it.
TIMETABLE_FIRST_HOUR = 7
TIMETABLE_END_HOUR = 22  # the last row is 21:00–22:00


@dataclass(frozen=True)
class TimetableEntry:
    batch_code: str
    course_title: str
    start_time: dt.time
    end_time: dt.time


@dataclass
class TimetableRow:
    hour: int
    cells: list[list[TimetableEntry]] = field(default_factory=lambda: [[] for _ in Weekday])

    @property
    def label(self) -> str:
        return f"{self.hour:02d}:00"


@dataclass
class Timetable:
    """A week as rows of hours by columns Monday–Sunday; a slot sits in every hour it
    touches (10:30–12:00 fills the 10:00 and 11:00 rows)."""

    rows: list[TimetableRow]
    days: tuple[str, ...] = tuple(Weekday.labels)

    @property
    def is_empty(self) -> bool:
        return not any(cell for row in self.rows for cell in row.cells)


def _hours_of(start: dt.time, end: dt.time) -> range:
    """The hour rows a half-open slot [start, end) touches."""
    last = end.hour if (end.minute, end.second, end.microsecond) == (0, 0, 0) else end.hour + 1
    return range(start.hour, max(last, start.hour + 1))


def weekly_timetable(batches: Iterable[Batch]) -> Timetable:
    """The weekly grid of the batches' slots (read from ``batch.schedule.all()``; no query
    when prefetched)."""
    placed = [
        (
            slot.day,
            hour,
            TimetableEntry(batch.batch_code, batch.course.title, slot.start_time, slot.end_time),
        )
        for batch in batches
        for slot in batch.schedule.all()
        for hour in _hours_of(slot.start_time, slot.end_time)
    ]
    hours = [hour for _, hour, _ in placed]
    first = min([TIMETABLE_FIRST_HOUR, *hours])
    end = max([TIMETABLE_END_HOUR, *(h + 1 for h in hours)])
    rows = {hour: TimetableRow(hour) for hour in range(first, end)}
    for day, hour, entry in sorted(placed, key=lambda p: (p[2].start_time, p[2].batch_code)):
        rows[hour].cells[day].append(entry)
    return Timetable(rows=list(rows.values()))


# --- calendar feeds ----------------------------------------------------------------------------


def user_by_feed_token(token: str) -> User | None:
    """The active user whose calendar-feed token is ``token``, or None."""
    if not token:
        return None
    return User.objects.filter(feed_token=token, is_active=True).first()


def student_feed_batches(student: User) -> list[Batch]:
    """Batches of the student's active enrollments (not Cancelled ones: they hold no
    sessions), with course, slots, teaching staff and every cover loaded; four queries.

    No batch comes twice: a student has one active enrollment per course, and a batch has one
    course.
    """
    return list(
        Batch.objects.filter(
            enrollments__student=student, enrollments__status=EnrollmentStatus.ACTIVE
        )
        .exclude(status=BatchStatus.CANCELLED)
        .select_related("course")
        .prefetch_related(_schedule(), _teaching_staff(), _covers())
        .order_by("start_date", "batch_code")
    )


def instructor_feed_batches(instructor: User) -> list[Batch]:
    """Batches the instructor teaches now as primary or assistant (not Cancelled ones),
    with course, slots, teaching staff and every cover loaded; four queries.

    No batch comes twice: a trainer holds one current role per batch.
    """
    return list(
        Batch.objects.filter(
            staff__trainer=instructor,
            staff__role__in=TEACHING_ROLES,
            staff__ended_at__isnull=True,
        )
        .exclude(status=BatchStatus.CANCELLED)
        .select_related("course")
        .prefetch_related(_schedule(), _teaching_staff(), _covers())
        .order_by("start_date", "batch_code")
    )


def instructor_cover_duties(instructor: User) -> list[SubstituteCover]:
    """The substitute covers the instructor teaches (not on Cancelled batches), with batch,
    course, slots and the absent trainer loaded; two queries."""
    return list(
        SubstituteCover.objects.filter(substitute=instructor)
        .exclude(batch__status=BatchStatus.CANCELLED)
        .select_related("batch", "batch__course", "absent_trainer")
        .prefetch_related(_schedule("batch__"))
        .order_by("start_date", "pk")
    )
