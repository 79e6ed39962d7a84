"""Automatic placement and waitlists: where a student goes when no batch is named, and who
gets a seat when one frees.

**Placement** (``enrollment_place``): a batch enrollment without a batch. All open batches of
the course are locked at once (one ``SELECT … FOR UPDATE``, primary-key order), then the
student takes a seat in the batch with free seats that fits their preference best; ties go
to the batch with the most free seats (so, without a preference, batches fill evenly), then
to the lowest primary key. A preference is optional and has two parts:

- ``preferred_days``: weekdays as numbers, Monday 0 … Sunday 6 (``allocation.models.Weekday``);
- ``preferred_times``: parts of the day, ``"morning"`` (a slot starting before 12:00),
  ``"afternoon"`` (12:00–16:59) or ``"evening"`` (17:00 or later).

A batch's fit is the share of its weekly slots that fall on a preferred day *and* in a
preferred part of the day (a part left out matches everything). A preference never refuses a
seat: when nothing fits, the student still goes to the emptiest batch.

**Waitlists**: when a batch is full a student may join its waitlist (``waitlist_join``). Its
waiting entries are served in order (``position``, then when they joined, then pk). Whenever a
seat frees — a cancellation or another status change leaving ``active``
(``enrollment_set_status``), a transfer out (``enrollment_transfer``), a capacity raise
(``allocation.signals.batch_seats_added``, connected in ``apps.py``) — ``waitlist_promote``
enrolls the first waiting student in the same transaction, through the same internals as
``enrollment_create``, so the seat counter and every constraint hold. Entries whose student
meanwhile got an active enrollment in the course or is no longer an active student are
skipped and marked removed; the reason is the history row's change reason
(``WaitlistEntry.history``). Completed and Cancelled batches promote nobody.

The promoted student gets one notification, ``waitlist_promoted`` (course, batch, schedule,
instructor): it replaces the welcome ``enrollment_created`` would send, so nobody hears twice.

Every write here locks the batch first, so the waitlist of a batch only changes under its batch
row lock. Lock order, as everywhere: enrollment → batches (pk) → waitlist entries (pk).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from fractions import Fraction

from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, Max, Min, OuterRef, QuerySet, Subquery
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from allocation.models import Batch, Course, ScheduleSlot, Weekday
from core.errors import DomainError, full_clean_or_refuse
from notifications.services import notify

from . import notices
from .models import (
    Enrollment,
    EnrollmentSource,
    EnrollmentStatus,
    EnrollmentType,
    WaitlistEntry,
    WaitlistStatus,
)
from .services import (
    MSG_FULL,
    Payment,
    _enroll,
    _lock_batches,
    _refuse_non_learner,
    _refuse_second_active,
)

MSG_ALREADY_WAITING = "The student is already on this batch's waitlist"
MSG_NOT_WAITING = "This student is no longer waiting for this batch"

# Parts of the day by a slot's start time: [from, to).
PARTS_OF_DAY = {
    "morning": (dt.time(0, 0), dt.time(12, 0)),
    "afternoon": (dt.time(12, 0), dt.time(17, 0)),
    "evening": (dt.time(17, 0), None),
}
PART_OF_DAY_CHOICES = [(part, part.capitalize()) for part in PARTS_OF_DAY]

# simple_history's change reason column holds 100 characters.
REASON_MAX = 100


# --- placement -------------------------------------------------------------------------------


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
            "Preferred days are weekday numbers from 0 (Monday) to 6 (Sunday)",
            field="preferred_days",
        )
    return cleaned


def _clean_times(times: Iterable[str] | None) -> frozenset[str]:
    cleaned = frozenset(str(part).strip().lower() for part in times or ())
    if not cleaned <= PARTS_OF_DAY.keys():
        raise DomainError(
            f"Preferred times are parts of the day: {', '.join(PARTS_OF_DAY)}",
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
) -> Enrollment:
    """Enroll a student in the open batch of ``course`` that suits them (see the module
    docstring for the preference and the tie-breaks).

    Locks every open batch of the course in primary-key order with one query, chooses among
    those with a free seat, then enrolls exactly like ``enrollment_create``. Refuses: a user
    who is not a student, an individual enrollment, an unknown day or part of the day, a
    course without open batches, a course whose open batches are all full ("Batch has reached
    maximum capacity", ``code="full"``: the student may join a waitlist instead), a second
    active enrollment in the course.
    """
    _refuse_non_learner(student)
    if enrollment_type == EnrollmentType.INDIVIDUAL:
        raise DomainError(
            "An individual enrollment takes no batch seat: enroll the student directly",
            field="enrollment_type",
        )
    days, parts = _clean_days(preferred_days), _clean_times(preferred_times)
    # Refused before the locks, so a duplicate does not queue behind every placement of the
    # course; _enroll checks again under the locks (and the unique constraint stays the
    # backstop).
    _refuse_second_active(student, course)
    batches = list(
        Batch.objects.open()
        .filter(course=course)
        .select_for_update(of=("self",))
        .select_related("course")
        .order_by("pk")
    )
    if not batches:
        raise DomainError(
            f"Course {course.code} has no open batch to place the student in",
            field="batch",
            code="no_batch",
        )
    free = [b for b in batches if b.enrolled_students < b.capacity]
    if not free:
        raise DomainError(
            f"{MSG_FULL}: every open batch of {course.code} is full. "
            "The student can join a batch's waitlist instead.",
            field="batch",
            code="full",
        )
    return _enroll(
        student=student,
        course=course,
        batch=_choose_batch(free, days, parts),
        enrollment_type=enrollment_type,
        enrollment_source=enrollment_source,
        payment=payment,
    )


# --- the waitlist ----------------------------------------------------------------------------


def _lock_waiting(batch_id: int) -> list[WaitlistEntry]:
    """Lock the batch's waiting entries in pk order; return them in serving order."""
    entries = list(
        WaitlistEntry.objects.select_for_update(of=("self",))
        .filter(batch_id=batch_id, status=WaitlistStatus.WAITING)
        .select_related("student")
        .order_by("pk")
    )
    entries.sort(key=lambda e: (e.position, e.created_at, e.pk))
    return entries


def _resolve(
    entry: WaitlistEntry,
    status: str,
    *,
    reason: str,
    by: User | None = None,
    enrollment: Enrollment | None = None,
) -> None:
    """Close a waiting entry; ``reason`` and ``by`` go to its history row."""
    entry.status = status
    entry.resolved_at = timezone.now()
    entry.enrollment = enrollment
    entry._change_reason = reason[:REASON_MAX]
    if by is not None:
        entry._history_user = by
    entry.save(update_fields=["status", "resolved_at", "enrollment"])


@transaction.atomic
def waitlist_join(
    *,
    student: User,
    batch: Batch,
    enrollment_type: str = EnrollmentType.BATCH,
    enrollment_source: str = EnrollmentSource.WEBSITE,
) -> WaitlistEntry:
    """Put a student at the end of a full batch's waitlist and return the entry.

    Locks the batch row. Refuses: a user who is not a student, an individual enrollment, a
    Completed/Cancelled batch, a batch with a free seat (enroll instead), a student with an
    active enrollment in the course, a student already waiting for this batch.
    """
    _refuse_non_learner(student)
    if enrollment_type == EnrollmentType.INDIVIDUAL:
        raise DomainError(
            "An individual enrollment takes no batch seat, so it has no waitlist",
            field="enrollment_type",
        )
    batch = _lock_batches(batch)[batch.pk]
    if not batch.is_open:
        raise DomainError(
            f"Batch {batch.batch_code} is {batch.status} and no longer accepts students",
            field="batch",
        )
    if batch.enrolled_students < batch.capacity:
        raise DomainError(
            f"Batch {batch.batch_code} has {batch.available_spots} free seat(s): "
            "enroll the student instead",
            field="batch",
            code="has_seats",
        )
    _refuse_second_active(student, batch.course)
    waiting = WaitlistEntry.objects.filter(batch=batch, status=WaitlistStatus.WAITING)
    if waiting.filter(student=student).exists():
        raise DomainError(MSG_ALREADY_WAITING, code="duplicate")
    last = waiting.aggregate(last=Max("position"))["last"] or 0
    entry = WaitlistEntry(
        batch=batch,
        student=student,
        position=last + 1,
        enrollment_type=enrollment_type,
        enrollment_source=enrollment_source,
    )
    full_clean_or_refuse(entry, validate_constraints=False)
    try:
        with transaction.atomic():  # a savepoint: the unique constraint is the backstop
            entry.save()
    except IntegrityError as exc:
        raise DomainError(MSG_ALREADY_WAITING, code="duplicate") from exc
    # A longer waitlist may call for a new batch (enrollments.auto_batches), checked by a
    # background task after commit. Imported here: auto_batches builds on this module.
    from .auto_batches import auto_batch_check_after_commit

    auto_batch_check_after_commit(batch.course)
    return entry


def _lock_entry(entry: WaitlistEntry) -> tuple[Batch, list[WaitlistEntry], WaitlistEntry]:
    """Lock the entry's batch, then its waiting entries; refuse an entry no longer waiting."""
    batch = _lock_batches(Batch(pk=entry.batch_id))[entry.batch_id]
    waiting = _lock_waiting(batch.pk)
    current = next((e for e in waiting if e.pk == entry.pk), None)
    if current is None:
        raise DomainError(MSG_NOT_WAITING)
    return batch, waiting, current


@transaction.atomic
def waitlist_remove(
    *, entry: WaitlistEntry, by: User | None = None, reason: str = "Removed by an admin"
) -> WaitlistEntry:
    """Take a student off a waitlist; the entry is kept as history (``removed``, with
    ``reason`` and ``by``).

    Locks the batch row, then its waiting entries. Refuses an entry that is no longer waiting.
    """
    _, _, current = _lock_entry(entry)
    _resolve(current, WaitlistStatus.REMOVED, reason=reason, by=by)
    return current


@transaction.atomic
def waitlist_move(
    *, entry: WaitlistEntry, position: int | None = None, direction: str | None = None
) -> WaitlistEntry:
    """Move a waiting entry to ``position`` (1 = served first) or one place ``"up"`` or
    ``"down"``; the batch's waiting entries are then numbered 1, 2, … in their new order.

    Locks the batch row, then its waiting entries in pk order. Refuses: both or neither of
    ``position`` and ``direction``, an unknown direction, a position outside the list, a move
    that changes nothing, an entry that is no longer waiting.
    """
    if (position is None) == (direction is None):
        raise DomainError("Give either a position or a direction (up or down)")
    if direction is not None and direction not in ("up", "down"):
        raise DomainError(f"Unknown direction {direction!r}: use up or down", field="direction")
    _, waiting, current = _lock_entry(entry)
    index = waiting.index(current)
    if direction is not None:
        target = index - 1 if direction == "up" else index + 1
        if not 0 <= target < len(waiting):
            edge = "first" if direction == "up" else "last"
            raise DomainError(f"{current.student} is already {edge} on the waitlist")
    else:
        if not 1 <= position <= len(waiting):
            raise DomainError(
                f"The position must be between 1 and {len(waiting)}", field="position"
            )
        target = position - 1
        if target == index:
            raise DomainError(f"{current.student} is already number {position}")
    waiting.insert(target, waiting.pop(index))
    for number, waiting_entry in enumerate(waiting, start=1):
        if waiting_entry.position != number:
            waiting_entry.position = number
            waiting_entry._change_reason = "Waitlist reordered"
            waiting_entry.save(update_fields=["position"])
    return current


def _stale_reason(entry: WaitlistEntry) -> str | None:
    """Why a waiting student can no longer be enrolled, or None."""
    student = entry.student
    if not student.is_active:
        return "the student's account is deactivated"
    if not student.is_learner:
        return "the user no longer has the student role"
    return None


@transaction.atomic
def waitlist_promote(*, batch_id: int, seats: int | None = None) -> list[WaitlistEntry]:
    """Fill the batch's free seats (at most ``seats``) from its waitlist, first come first.

    For the services that free or add seats, inside their transaction, with the batch row
    already locked: it is locked again (a no-op) and re-read, then its waiting entries are
    locked in pk order. Each promotion enrolls through ``enrollments.services._enroll`` in a
    savepoint; an entry that cannot be enrolled (already active in the course, deactivated,
    no longer a student) is marked removed with the reason in its history, and the next one
    is tried. A Completed or Cancelled batch promotes nobody. Returns the promoted entries.
    """
    batch = _lock_batches(Batch(pk=batch_id))[batch_id]
    if not batch.is_open:
        return []
    free = batch.capacity - batch.enrolled_students
    if seats is not None:
        free = min(free, seats)
    if free <= 0:
        return []
    promoted: list[WaitlistEntry] = []
    for entry in _lock_waiting(batch_id):
        if len(promoted) == free:
            break
        reason = _stale_reason(entry)
        if reason is None:
            try:
                with transaction.atomic():  # a refusal undoes this promotion only
                    enrollment = _enroll(
                        student=entry.student,
                        course=batch.course,
                        batch=batch,
                        enrollment_type=entry.enrollment_type,
                        enrollment_source=entry.enrollment_source,
                        welcome=False,
                    )
            except DomainError as exc:
                reason = exc.message
            else:
                # _take_seat wrote the counter with F(); keep this copy true for the
                # seat check of the next promotion.
                batch.enrolled_students += 1
                _resolve(
                    entry,
                    WaitlistStatus.PROMOTED,
                    reason="Enrolled from the waitlist",
                    enrollment=enrollment,
                )
                _notify_promoted(enrollment)
                promoted.append(entry)
                continue
        _resolve(entry, WaitlistStatus.REMOVED, reason=f"Skipped when a seat freed: {reason}")
    return promoted


def _notify_promoted(enrollment: Enrollment) -> None:
    """Instead of the welcome: the seat came from the waitlist, with the batch's schedule."""
    notify(
        recipients=[enrollment.student],
        event="waitlist_promoted",
        context={"enrollment": enrollment, **notices.batch_context(enrollment.batch)},
        url=reverse("student:schedule"),
    )


# --- reads the waitlist pages share ------------------------------------------------------------


def waitlist_batches() -> QuerySet[Batch]:
    """Open batches with waiting students: ``waiting`` (how many) and ``waiting_since`` (when
    the longest-waiting joined), course joined; by course, then start date."""
    # A batch is listed when a waiting entry exists (a probe of the waitlist index); its two
    # figures are subqueries, computed for the rows of the page shown only, instead of
    # grouping every open batch with its entries.
    entries = WaitlistEntry.objects.filter(
        batch=OuterRef("pk"), status=WaitlistStatus.WAITING
    ).order_by()
    per_batch = entries.values("batch")
    return (
        Batch.objects.open()
        .filter(Exists(entries))
        .annotate(
            waiting=Subquery(per_batch.annotate(n=Count("*")).values("n")[:1]),
            waiting_since=Subquery(per_batch.annotate(at=Min("created_at")).values("at")[:1]),
        )
        .select_related("course")
        .order_by("course__code", "start_date", "batch_code", "pk")
    )


def waitlist_waiting(batch: Batch) -> QuerySet[WaitlistEntry]:
    """The batch's waiting entries in serving order, student joined; ``enrolled_elsewhere``:
    the student already has an active enrollment in the course (they will be skipped)."""
    return (
        WaitlistEntry.objects.filter(batch=batch, status=WaitlistStatus.WAITING)
        .select_related("student")
        .annotate(
            enrolled_elsewhere=Exists(
                Enrollment.objects.filter(
                    student=OuterRef("student"),
                    course_id=batch.course_id,
                    status=EnrollmentStatus.ACTIVE,
                )
            )
        )
        .order_by("position", "created_at", "pk")
    )


def waitlist_resolved(batch: Batch, limit: int = 20) -> list[WaitlistEntry]:
    """The batch's latest served or removed entries, with ``reason`` from their history."""
    reason = (
        WaitlistEntry.history.filter(id=OuterRef("pk"))
        .exclude(history_change_reason=None)
        .order_by("-history_date", "-history_id")
        .values("history_change_reason")[:1]
    )
    return list(
        WaitlistEntry.objects.filter(batch=batch)
        .exclude(status=WaitlistStatus.WAITING)
        .select_related("student")
        .annotate(reason=Subquery(reason))
        .order_by("-resolved_at", "-pk")[:limit]
    )


def waitlist_open_batches(course: Course) -> list[Batch]:
    """The open batches of a course, whose waitlists a student may join when all are full."""
    return list(
        Batch.objects.open()
        .filter(course=course)
        .select_related("course")
        .order_by("start_date", "batch_code", "pk")
    )
