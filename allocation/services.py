"""Every write to courses, batches and their schedules.

Each service is keyword-only and atomic, validates with ``full_clean`` before it saves, and
refuses with a ``DomainError`` whose message is safe to show to the user. Docstrings say what
each one locks and what it refuses.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from medh.accounts.models import User
from medh.errors import DomainError, full_clean_or_refuse

from .models import Batch, BatchStatus, Course, ScheduleSlot, Weekday, slots_overlap

MSG_NOT_INSTRUCTOR = "Assigned instructor must have instructor role"


@dataclass(frozen=True)
class Slot:
    """A weekly slot as services take it: weekday number (Monday = 0) and half-open times."""

    day: int
    start_time: dt.time
    end_time: dt.time

    def __str__(self) -> str:
        return f"{Weekday(self.day).label} {self.start_time:%H:%M}–{self.end_time:%H:%M}"

    @classmethod
    def of(cls, slot) -> Slot:
        return cls(day=slot.day, start_time=slot.start_time, end_time=slot.end_time)


def validate_schedule(slots: Sequence[Slot]) -> list[Slot]:
    """Refuse a slot that ends before it starts or two slots of one batch that overlap."""
    slots = sorted(slots, key=lambda s: (s.day, s.start_time))
    for slot in slots:
        if slot.day not in Weekday.values:
            raise DomainError(f"Unknown weekday {slot.day!r}", field="schedule")
        if not slot.start_time < slot.end_time:
            raise DomainError(
                f"Schedule slot {slot}: the end time must be after the start time",
                field="schedule",
            )
    for earlier, later in zip(slots, slots[1:], strict=False):
        if slots_overlap(earlier, later):
            raise DomainError(f"Schedule slots {earlier} and {later} overlap", field="schedule")
    return slots


def validate_instructor(instructor: User | None) -> None:
    """Refuse a missing instructor or a user without the instructor role."""
    if instructor is None:
        raise DomainError(
            "Instructor assignment is required for a batch", field="assigned_instructor"
        )
    if not instructor.is_instructor or not instructor.is_active:
        raise DomainError(MSG_NOT_INSTRUCTOR, field="assigned_instructor")


def _lock_course(course: Course) -> Course:
    return Course.objects.select_for_update(of=("self",)).get(pk=course.pk)


def _lock_batch(batch: Batch) -> Batch:
    try:
        return Batch.objects.select_for_update(of=("self",)).get(pk=batch.pk)
    except Batch.DoesNotExist:
        raise DomainError("This batch no longer exists") from None


def _next_batch_code(course: Course, start_date: dt.date) -> str:
    """``<course code>-<YYYY>-<MM>-<NN>``: the next free sequence number for that month.

    The caller holds the course row lock, so two batches created at once for the same course
    cannot pick the same number.
    """
    prefix = f"{course.code}-{start_date:%Y-%m}-"
    taken = Batch.objects.filter(batch_code__startswith=prefix).values_list("batch_code", flat=True)
    numbers = [
        int(m.group(1)) for code in taken if (m := re.fullmatch(r"(\d+)", code[len(prefix) :]))
    ]
    return f"{prefix}{max(numbers, default=0) + 1:02d}"


def _save_batch(batch: Batch) -> None:
    full_clean_or_refuse(batch)
    try:
        with transaction.atomic():  # a savepoint, so a lost uniqueness race is a clean refusal
            batch.save()
    except IntegrityError as exc:
        if Batch.objects.filter(batch_code=batch.batch_code).exclude(pk=batch.pk).exists():
            raise DomainError(
                f"Batch code {batch.batch_code} is already in use", field="batch_code"
            ) from exc
        raise


def _replace_schedule(batch: Batch, slots: Iterable[Slot]) -> None:
    batch.schedule.all().delete()
    ScheduleSlot.objects.bulk_create(
        ScheduleSlot(batch=batch, day=s.day, start_time=s.start_time, end_time=s.end_time)
        for s in slots
    )


@transaction.atomic
def batch_create(
    *,
    course: Course,
    batch_name: str,
    start_date: dt.date,
    end_date: dt.date,
    capacity: int,
    assigned_instructor: User,
    created_by: User,
    batch_code: str = "",
    status: str = BatchStatus.UPCOMING,
    batch_notes: str = "",
    schedule: Sequence[Slot] = (),
) -> Batch:
    """Create a batch with its weekly schedule.

    Locks the course row (so generated batch codes never collide). Refuses: a user without the
    instructor role ("Assigned instructor must have instructor role"), an end before the
    start, a capacity below 1, a taken batch code, overlapping or reversed slots.
    """
    validate_instructor(assigned_instructor)
    slots = validate_schedule(schedule)
    course = _lock_course(course)
    batch = Batch(
        course=course,
        batch_name=batch_name.strip(),
        batch_code=(batch_code or "").strip() or _next_batch_code(course, start_date),
        start_date=start_date,
        end_date=end_date,
        capacity=capacity,
        assigned_instructor=assigned_instructor,
        created_by=created_by,
        status=status,
        batch_notes=batch_notes,
    )
    _save_batch(batch)
    _replace_schedule(batch, slots)
    return batch


# Fields batch_update may change; the course is fixed once enrollments can point at the batch.
BATCH_UPDATABLE_FIELDS = frozenset(
    {
        "batch_name",
        "batch_code",
        "status",
        "start_date",
        "end_date",
        "capacity",
        "assigned_instructor",
        "batch_notes",
    }
)


@transaction.atomic
def batch_update(*, batch: Batch, schedule: Sequence[Slot] | None = None, **changes) -> Batch:
    """Change a batch's fields and, when ``schedule`` is given, replace its weekly slots.

    Locks the batch row and re-reads it, so the capacity check sees the current enrolled
    count. Refuses: unknown or fixed fields (the course), a capacity below the students
    already enrolled, a non-instructor, an end before the start, a taken code, bad slots.
    """
    unknown = set(changes) - BATCH_UPDATABLE_FIELDS
    if unknown:
        raise DomainError(f"These batch fields cannot be changed: {', '.join(sorted(unknown))}")
    slots = validate_schedule(schedule) if schedule is not None else None
    if "assigned_instructor" in changes:
        validate_instructor(changes["assigned_instructor"])
    batch = _lock_batch(batch)
    new_capacity = changes.get("capacity")
    if new_capacity is not None and new_capacity < batch.enrolled_students:
        raise DomainError(
            f"Capacity cannot be below the {batch.enrolled_students} students already enrolled",
            field="capacity",
        )
    for name, value in changes.items():
        setattr(batch, name, value.strip() if isinstance(value, str) else value)
    if not batch.batch_code:
        batch.batch_code = _next_batch_code(batch.course, batch.start_date)
    _save_batch(batch)
    if slots is not None:
        _replace_schedule(batch, slots)
    return batch


@transaction.atomic
def batch_delete(*, batch: Batch) -> None:
    """Delete a batch that never had students.

    Locks the batch row. Refuses while active enrollments exist, and keeps batches with past
    enrollments (their history) — cancel those batches instead.
    """
    batch = _lock_batch(batch)
    if batch.enrolled_students:
        raise DomainError(
            f"Batch {batch.batch_code} has {batch.enrolled_students} active enrollment(s); "
            "cancel or transfer them before deleting the batch"
        )
    past = batch.enrollments.count()
    if past:
        raise DomainError(
            f"Batch {batch.batch_code} keeps the history of {past} past enrollment(s); "
            "set its status to Cancelled instead of deleting it"
        )
    try:
        batch.delete()
    except ProtectedError as exc:  # a row that still needs the batch appeared meanwhile
        raise DomainError(
            f"Batch {batch.batch_code} is still in use and cannot be deleted"
        ) from exc


@transaction.atomic
def course_create(*, code: str, title: str, description: str = "") -> Course:
    """Create a course. Refuses an empty or taken code."""
    course = Course(code=code.strip().upper(), title=title.strip(), description=description)
    full_clean_or_refuse(course)
    course.save()
    return course
