"""Automatic placement: where a student goes when no batch is named.

``enrollment_place`` makes a batch enrollment without a batch. All open batches of the course
are locked at once (one ``SELECT … FOR UPDATE``, primary-key order), then the student takes a
seat in the batch with free seats that fits their preference best; ties go to the batch with
the most free seats (so, without a preference, batches fill evenly), then to the lowest
primary key. A preference is optional and has two parts:

- ``preferred_days``: weekdays as numbers, Monday 0 … Sunday 6 (``allocation.models.Weekday``);
- ``preferred_times``: parts of the day, ``"morning"`` (a slot starting before 12:00),
  ``"afternoon"`` (12:00–16:59) or ``"evening"`` (17:00 or later).

A batch's fit is the share of its weekly slots that fall on a preferred day *and* in a
preferred part of the day (a part left out matches everything). A preference never refuses a
seat: when nothing fits, the student still goes to the emptiest batch, and when every batch is
full the student may join a waitlist (``enrollments.services.waitlist``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from fractions import Fraction

from django.db import transaction
from django.utils.translation import gettext

from accounts.models import User
from allocation.models import Batch, Course, ScheduleSlot, Weekday
from core.errors import DomainError
from enrollments.clashes import student_clashes
from enrollments.models import Enrollment, EnrollmentSource, EnrollmentType
from enrollments.seats import MSG_FULL, Payment, enroll, refuse_non_learner, refuse_second_active

# Parts of the day by a slot's start time: [from, to).
PARTS_OF_DAY = {
    "morning": (dt.time(0, 0), dt.time(12, 0)),
    "afternoon": (dt.time(12, 0), dt.time(17, 0)),
    "evening": (dt.time(17, 0), None),
}
PART_OF_DAY_CHOICES = [(part, part.capitalize()) for part in PARTS_OF_DAY]


def part_of_day(start: dt.time) -> str:
    for part, (begin, end) in PARTS_OF_DAY.items():
        if start >= begin and (end is None or start < end):
            return part
    raise AssertionError(start)  # the parts cover the whole day


def _clean_days(days: Iterable | None) -> frozenset[int]:
    try:
        cleaned = frozenset(int(day) for day in days or ())
    except (TypeError, ValueError):
        cleaned = None
    if cleaned is None or not cleaned <= set(Weekday.values):
        raise DomainError(
            gettext("Preferred days are weekday numbers from 0 (Monday) to 6 (Sunday)"),
            field="preferred_days",
        )
    return cleaned


def _clean_times(times: Iterable[str] | None) -> frozenset[str]:
    cleaned = frozenset(str(part).strip().lower() for part in times or ())
    if not cleaned <= PARTS_OF_DAY.keys():
        raise DomainError(
            gettext("Preferred times are parts of the day: %(items)s")
            % {"items": ", ".join(PARTS_OF_DAY)},
            field="preferred_times",
        )
    return cleaned


def _fits(slots: list[ScheduleSlot], days: frozenset[int], parts: frozenset[str]) -> Fraction:
    """The share of ``slots`` on a preferred day and in a preferred part of the day."""
    if not slots:
        return Fraction(0)
    matching = sum(
        1
        for s in slots
        if (not days or s.day in days) and (not parts or part_of_day(s.start_time) in parts)
    )
    return Fraction(matching, len(slots))


def _choose_batch(batches: list[Batch], days: frozenset[int], parts: frozenset[str]) -> Batch:
    """The best fit, then the most free seats, then the lowest pk."""
    fit = {b.pk: Fraction(0) for b in batches}
    if days or parts:
        slots: dict[int, list[ScheduleSlot]] = {b.pk: [] for b in batches}
        for s in ScheduleSlot.objects.filter(batch__in=batches):
            slots[s.batch_id].append(s)
        fit = {pk: _fits(batch_slots, days, parts) for pk, batch_slots in slots.items()}
    return min(batches, key=lambda b: (-fit[b.pk], b.enrolled_students - b.capacity, b.pk))


@transaction.atomic
def enrollment_place(
    *,
    student: User,
    course: Course,
    preferred_days: Iterable[int] | None = None,
    preferred_times: Iterable[str] | None = None,
    enrollment_type: str = EnrollmentType.BATCH,
    enrollment_source: str = EnrollmentSource.WEBSITE,
    payment: Payment | None = None,
    allow_clash: bool = False,
) -> Enrollment:
    """Enroll a student in the open batch of ``course`` that suits them (see the module
    docstring for the preference and the tie-breaks).

    Locks every open batch of the course in primary-key order with one query, chooses among
    those with a free seat, then enrolls exactly like ``enrollment_create``. Refuses: a user
    who is not a student, an individual enrollment, an unknown day or part of the day, a
    course without open batches, a course whose open batches are all full ("Batch has reached
    maximum capacity", ``code="full"``: the student may join a waitlist instead), a second
    active enrollment in the course. A batch whose sessions clash with the student's other
    enrollments (``enrollments.clashes``) is passed over for another; when every free batch
    clashes, the clash of the best one is the refusal (code ``clash``), unless ``allow_clash``.
    """
    refuse_non_learner(student)
    if enrollment_type == EnrollmentType.INDIVIDUAL:
        raise DomainError(
            gettext("An individual enrollment takes no batch seat: enroll the student directly"),
            field="enrollment_type",
        )
    days, parts = _clean_days(preferred_days), _clean_times(preferred_times)
    # Refused before the locks, so a duplicate does not queue behind every placement of the
    # course; enroll checks again under the locks (and the unique constraint stays the
    # backstop).
    refuse_second_active(student, course)
    batches = list(
        Batch.objects.open()
        .filter(course=course)
        .select_for_update(of=("self",))
        .select_related("course")
        .order_by("pk")
    )
    if not batches:
        raise DomainError(
            gettext("Course %(course_code)s has no open batch to place the student in")
            % {"course_code": course.code},
            field="batch",
            code="no_batch",
        )
    free = [b for b in batches if b.enrolled_students < b.capacity]
    if not free:
        raise DomainError(
            gettext(
                "%(full)s: every open batch of %(course_code)s is full. The student can "
                "join a batch's waitlist instead."
            )
            % {"full": gettext(MSG_FULL), "course_code": course.code},
            field="batch",
            code="full",
        )
    if not allow_clash:
        clashing = student_clashes(student, free)
        fitting = [b for b in free if b.pk not in clashing]
        if not fitting:
            best = _choose_batch(free, days, parts)
            raise DomainError(clashing[best.pk].describe(student), field="batch", code="clash")
        free = fitting
    return enroll(
        student=student,
        course=course,
        batch=_choose_batch(free, days, parts),
        enrollment_type=enrollment_type,
        enrollment_source=enrollment_source,
        payment=payment,
        allow_clash=allow_clash,
    )
