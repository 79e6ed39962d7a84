"""Every write to courses, batches and their schedules: create, update, delete, notes and
the calendar's lifecycle moves.

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
from django.utils.translation import gettext
from simple_history.utils import bulk_create_with_history

from accounts.models import User
from allocation.models import (
    Batch,
    BatchNote,
    BatchStatus,
    BatchTemplate,
    Course,
    ScheduleSlot,
    StaffRole,
    Weekday,
    slots_overlap,
)
from allocation.selectors.batches import can_use_batch_notes
from allocation.services.bookings import bookings_sync
from allocation.services.checks import lock_batch, lock_course, validate_instructor
from allocation.services.rosters import ensure_on_roster
from allocation.services.sessions import batch_sessions_regenerate, regeneration_plan
from allocation.services.staffing import (
    ensure_can_teach,
    set_primary,
    staff_role,
    teaching_trainer_ids,
)
from allocation.signals import batch_completed, batch_seats_added
from core import dates
from core.errors import DomainError, full_clean_or_refuse
from core.timezones import is_time_zone
from trainers.services import trainers_lock
from webhooks.services import event_emit


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


def schedule_refusals(slots: Sequence[Slot]) -> list[DomainError]:
    """Every fault of a batch's weekly slots, in day order: an unknown weekday, a slot that
    does not end after it starts, each pair of slots that overlap. Empty when they are fine.
    Forms show them all at once; ``validate_schedule`` raises the first."""
    refusals = []
    valid = []
    for slot in sorted(slots, key=lambda s: (s.day, s.start_time)):
        if slot.day not in Weekday.values:
            refusals.append(
                DomainError(
                    gettext("Unknown weekday %(day)s") % {"day": repr(slot.day)}, field="schedule"
                )
            )
        elif not slot.start_time < slot.end_time:
            refusals.append(
                DomainError(
                    gettext("Schedule slot %(slot)s: the end time must be after the start time")
                    % {"slot": slot},
                    field="schedule",
                )
            )
        else:
            valid.append(slot)
    for index, earlier in enumerate(valid):
        for later in valid[index + 1 :]:
            if later.day != earlier.day:
                break
            if slots_overlap(earlier, later):
                refusals.append(
                    DomainError(
                        gettext("Schedule slots %(earlier)s and %(later)s overlap")
                        % {"earlier": earlier, "later": later},
                        field="schedule",
                    )
                )
    return refusals


def validate_schedule(slots: Sequence[Slot]) -> list[Slot]:
    """Refuse a slot that ends before it starts or two slots of one batch that overlap; the
    slots in day order otherwise."""
    refusals = schedule_refusals(slots)
    if refusals:
        raise refusals[0]
    return sorted(slots, key=lambda s: (s.day, s.start_time))


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


# The webhook event of a batch that reaches a status (batch_update; the daily lifecycle run
# emits the same ones from enrollments.services.lifecycle).
STATUS_EVENTS = {BatchStatus.ACTIVE: "batch.started", BatchStatus.COMPLETED: "batch.completed"}


def batch_field_refusals(
    *, start_date: dt.date | None, end_date: dt.date | None, capacity: int | None
) -> list[DomainError]:
    """Every fault of a batch's dates and capacity (an end before the start, a capacity below
    1), each naming its field. Forms show them all at once; the services raise the first."""
    refusals = []
    if start_date and end_date and end_date < start_date:
        refusals.append(
            DomainError(
                gettext("The end date must be on or after the start date"), field="end_date"
            )
        )
    if capacity is not None and capacity < 1:
        refusals.append(DomainError(gettext("Capacity must be at least 1"), field="capacity"))
    return refusals


def _check_batch_fields(batch: Batch) -> None:
    # Checked before full_clean, whose message for these would only name the check constraint.
    refusals = batch_field_refusals(
        start_date=batch.start_date, end_date=batch.end_date, capacity=batch.capacity
    )
    if refusals:
        raise refusals[0]
    # Before anything reads the slots in it: the sessions are generated in this zone.
    if not is_time_zone(batch.time_zone):
        raise DomainError(
            gettext(
                "%(time_zone)s is not a known time zone (use an IANA name such as Europe/Berlin)"
            )
            % {"time_zone": batch.time_zone},
            field="time_zone",
        )


def _save_batch(batch: Batch) -> None:
    _check_batch_fields(batch)
    full_clean_or_refuse(batch)
    try:
        with transaction.atomic():  # a savepoint, so a lost uniqueness race is a clean refusal
            batch.save()
    except IntegrityError as exc:
        if Batch.objects.filter(batch_code=batch.batch_code).exclude(pk=batch.pk).exists():
            raise DomainError(
                gettext("Batch code %(batch_code)s is already in use")
                % {"batch_code": batch.batch_code},
                field="batch_code",
            ) from exc
        raise


def _replace_schedule(batch: Batch, slots: Iterable[Slot]) -> None:
    # Deleted one by one and created with history rows, so the audit trail shows the old and
    # the new slots.
    for slot in batch.schedule.all():
        slot.delete()
    bulk_create_with_history(
        [
            ScheduleSlot(batch=batch, day=s.day, start_time=s.start_time, end_time=s.end_time)
            for s in slots
        ],
        ScheduleSlot,
    )


def template_slots(template: BatchTemplate) -> list[Slot]:
    """The template's weekly slots, validated like a batch's. Refuses a malformed entry."""
    try:
        slots = [
            Slot(
                day=int(item["day"]),
                start_time=dt.time.fromisoformat(item["start"]),
                end_time=dt.time.fromisoformat(item["end"]),
            )
            for item in template.schedule
        ]
    except (KeyError, TypeError, ValueError) as exc:
        raise DomainError(
            gettext(
                'The batch template has a malformed slot: each slot needs "day" (0-6), "start" '
                'and "end" as HH:MM'
            ),
            field="schedule",
        ) from exc
    return validate_schedule(slots)


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
    time_zone: str | None = None,
    default_room: str = "",
    default_meeting_url: str = "",
) -> Batch:
    """Create a batch with its weekly schedule, its dated sessions and its primary trainer.

    The slots are read in ``time_zone`` (an IANA name; default the platform's TIME_ZONE) and
    generated into sessions over the dates, minus holidays and closures; the primary is
    booked for them. Locks the instructor's trainer profile (so two batches created at once
    cannot together double-book them or break their cap), then the course row (so generated
    batch codes never collide). Refuses: a user without the instructor role ("Assigned
    instructor must have instructor role"), an inactive or on-leave trainer, one at their cap
    of Active + Upcoming batches, a schedule conflict (a session overlapping, in real time,
    another session they teach), an unknown time zone, an end before the start, a capacity
    below 1, a taken batch code, overlapping or reversed slots.
    """
    validate_instructor(assigned_instructor)
    slots = validate_schedule(schedule)
    profile = trainers_lock(assigned_instructor)[assigned_instructor.pk]
    course = lock_course(course)
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
        default_room=(default_room or "").strip(),
        default_meeting_url=(default_meeting_url or "").strip(),
    )
    if time_zone:
        batch.time_zone = time_zone.strip()
    _check_batch_fields(batch)
    ensure_can_teach(
        trainer=assigned_instructor, profile=profile, batch=batch, slots=slots, newly_teaching=True
    )
    ensure_on_roster(course, assigned_instructor)
    _save_batch(batch)
    _replace_schedule(batch, slots)
    staff_role(batch, assigned_instructor, StaffRole.PRIMARY, assigned_by=created_by)
    batch_sessions_regenerate(batch=batch)
    event_emit(type="batch.created", data={"batch": batch.pk, "course": course.pk})
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
        "time_zone",
        "default_room",
        "default_meeting_url",
    }
)
# Changes that move a batch in time and so can create schedule conflicts (and regenerate its
# sessions).
BATCH_TIMING_FIELDS = frozenset({"start_date", "end_date", "status", "time_zone"})


@transaction.atomic
def batch_update(
    *,
    batch: Batch,
    schedule: Sequence[Slot] | None = None,
    updated_by: User | None = None,
    **changes,
) -> Batch:
    """Change a batch's fields and, when ``schedule`` is given, replace its weekly slots.

    When the slots, dates, time zone or status change, the sessions are regenerated
    (``batch_sessions_regenerate``: sessions edited by hand are kept) and the bookings
    follow. Locks the trainer profiles of everyone who teaches the batch (and of a new primary), in
    primary-key order, then the batch row; re-reads it, so the capacity check sees the
    current enrolled count. When dates, status or slots change, every teaching trainer is
    checked for conflicts; reopening a Completed/Cancelled batch or naming a new primary also
    checks status and caps. Refuses: unknown or fixed fields (the course), a capacity below
    the students already enrolled, a non-instructor, an end before the start, a taken code,
    bad slots, a conflict, and a batch whose staffing changed while the request was made.

    A raised capacity is offered to the apps that fill seats (``batch_seats_added``): the
    returned batch's ``seats_filled_by`` lists the students who took the new seats (from the
    waitlist), and its ``sessions_kept`` the held sessions edited by hand that regeneration
    kept although the new slots or dates no longer make them, for the page to say so.
    """
    unknown = set(changes) - BATCH_UPDATABLE_FIELDS
    if unknown:
        raise DomainError(
            gettext("These batch fields cannot be changed: %(items)s")
            % {"items": ", ".join(sorted(unknown))}
        )
    slots = validate_schedule(schedule) if schedule is not None else None
    new_primary = changes.pop("assigned_instructor", None)
    if new_primary is not None:
        validate_instructor(new_primary)
    try:
        before = Batch.objects.get(pk=batch.pk)
    except Batch.DoesNotExist:
        raise DomainError(gettext("This batch no longer exists")) from None
    teaching_ids = teaching_trainer_ids(before)
    if new_primary is not None and new_primary.pk != before.assigned_instructor_id:
        teaching_ids = (teaching_ids - {before.assigned_instructor_id}) | {new_primary.pk}
    else:
        new_primary = None
    profiles = trainers_lock(*User.objects.filter(pk__in=teaching_ids))
    batch = lock_batch(batch)
    if not (teaching_trainer_ids(batch) - {before.assigned_instructor_id}) <= set(profiles):
        raise DomainError(
            gettext("The batch's staffing changed while you were editing it; try again")
        )

    new_capacity = changes.get("capacity")
    if new_capacity is not None and new_capacity < batch.enrolled_students:
        raise DomainError(
            gettext("Capacity cannot be below the %(enrolled_students)s students already enrolled")
            % {"enrolled_students": batch.enrolled_students},
            field="capacity",
        )
    was_open = batch.is_open
    old_capacity = batch.capacity
    for name, value in changes.items():
        setattr(batch, name, value.strip() if isinstance(value, str) else value)
    if not batch.batch_code:  # left blank: generated, as on create
        batch.batch_code = _next_batch_code(batch.course, batch.start_date)
    _check_batch_fields(batch)
    reopened = batch.is_open and not was_open
    timing_changed = slots is not None or bool(BATCH_TIMING_FIELDS & changes.keys())
    if timing_changed or new_primary is not None:
        new_slots = slots if slots is not None else list(batch.schedule.all())
        plan = regeneration_plan(batch, new_slots) if timing_changed else None
        for trainer_id in sorted(teaching_ids):
            is_new_primary = new_primary is not None and trainer_id == new_primary.pk
            if not (timing_changed or is_new_primary):
                continue
            ensure_can_teach(
                trainer=profiles[trainer_id].user,
                profile=profiles[trainer_id],
                batch=batch,
                slots=new_slots,
                newly_teaching=reopened or is_new_primary,
                plan=plan,
            )
    _save_batch(batch)
    if slots is not None:
        _replace_schedule(batch, slots)
    if new_primary is not None:
        ensure_on_roster(batch.course, new_primary)
        set_primary(batch, new_primary, assigned_by=updated_by)
    batch.seats_filled_by = []
    # Held sessions edited by hand that the new slots or dates no longer make: kept, and
    # said on the page (allocation.feedback), never dropped silently.
    batch.sessions_kept = []
    if timing_changed:
        batch.sessions_kept = batch_sessions_regenerate(batch=batch).kept
    elif new_primary is not None:
        bookings_sync(batch=batch)
    # An admin who starts or completes a batch by hand: the same events as the daily run's.
    if batch.status != before.status and batch.status in STATUS_EVENTS:
        event_emit(
            type=STATUS_EVENTS[batch.status], data={"batch": batch.pk, "course": batch.course_id}
        )
        if batch.status == BatchStatus.COMPLETED:
            batch_completed.send(sender=Batch, batch=batch)
    if batch.capacity > old_capacity:
        for _receiver, students in batch_seats_added.send(sender=Batch, batch=batch):
            batch.seats_filled_by.extend(students or ())
    return batch


@transaction.atomic
def batch_delete(*, batch: Batch) -> None:
    """Delete a batch that never had students.

    Locks the batch row. Refuses while active enrollments exist, and keeps batches with past
    enrollments (their history) — cancel those batches instead.
    """
    batch = lock_batch(batch)
    if batch.enrolled_students:
        raise DomainError(
            gettext(
                "Batch %(batch_code)s has %(enrolled_students)s active enrollment(s); cancel "
                "or transfer them before deleting the batch"
            )
            % {"batch_code": batch.batch_code, "enrolled_students": batch.enrolled_students}
        )
    past = batch.enrollments.count()
    if past:
        raise DomainError(
            gettext(
                "Batch %(batch_code)s keeps the history of %(past)s past enrollment(s); set "
                "its status to Cancelled instead of deleting it"
            )
            % {"batch_code": batch.batch_code, "past": past}
        )
    try:
        batch.delete()
    except ProtectedError as exc:  # a row that still needs the batch appeared meanwhile
        raise DomainError(
            gettext("Batch %(batch_code)s is still in use and cannot be deleted")
            % {"batch_code": batch.batch_code}
        ) from exc


@transaction.atomic
def course_create(*, code: str, title: str, description: str = "") -> Course:
    """Create a course. Refuses an empty or taken code."""
    course = Course(code=code.strip().upper(), title=title.strip(), description=description)
    full_clean_or_refuse(course)
    course.save()
    return course


# --- batch notes ---------------------------------------------------------------------------


@transaction.atomic
def batch_note_add(*, batch: Batch, author: User, body: str) -> BatchNote:
    """Add a note to a batch's thread. Refuses an empty note and anyone who may not read the
    thread (see ``selectors.can_use_batch_notes``)."""
    if not can_use_batch_notes(author, batch):
        raise DomainError(
            gettext("Only the batch's trainers, its lead and its substitutes can post here")
        )
    if not body.strip():  # full_clean would only say "This field cannot be blank."
        raise DomainError(gettext("A note cannot be empty"), field="body")
    note = BatchNote(batch=batch, author=author, body=body.strip())
    full_clean_or_refuse(note)
    note.save()
    return note


# --- lifecycle -----------------------------------------------------------------------------

# The moves the calendar makes: (from, to). Everything else is an admin's decision, made with
# batch_update and its checks.
LIFECYCLE_MOVES = {
    (BatchStatus.UPCOMING, BatchStatus.ACTIVE),
    (BatchStatus.ACTIVE, BatchStatus.COMPLETED),
    # A batch whose end passed while it never started (the daily run did not run meanwhile).
    (BatchStatus.UPCOMING, BatchStatus.COMPLETED),
}


@transaction.atomic
def batch_advance_status(*, batch: Batch, to_status: str, today: dt.date | None = None) -> Batch:
    """Move a batch along its calendar: Upcoming → Active once its start date has come,
    Active (or a never-started Upcoming) → Completed once its end date has passed.

    Locks the batch row and re-reads it; a completed batch's bookings are freed. Unlike
    ``batch_update`` it checks no schedule
    conflicts and caps: the dates were accepted when the batch was planned, and the calendar
    must not stall on a conflict that appeared since. Refuses any other move, a start before
    the start date or after the end date, and a completion on or before the end date; a
    batch that already has ``to_status`` is refused with ``code="already"`` (another run
    moved it). Saves only the status, so the audit trail gets one row saying why.
    """
    today = today or dates.today()
    batch = lock_batch(batch)
    if batch.status == to_status:
        raise DomainError(
            gettext("Batch %(batch_code)s is already %(to_status)s")
            % {"batch_code": batch.batch_code, "to_status": to_status},
            code="already",
        )
    if (batch.status, to_status) not in LIFECYCLE_MOVES:
        raise DomainError(
            gettext(
                "Batch %(batch_code)s cannot move from %(status)s to %(to_status)s on its "
                "own; change its status on the batch page"
            )
            % {"batch_code": batch.batch_code, "status": batch.status, "to_status": to_status},
            field="status",
        )
    if to_status == BatchStatus.ACTIVE:
        if batch.start_date > today:
            raise DomainError(
                gettext("Batch %(batch_code)s starts on %(start_date)s")
                % {
                    "batch_code": batch.batch_code,
                    "start_date": format(batch.start_date, "%Y-%m-%d"),
                },
                field="status",
            )
        if batch.end_date < today:
            raise DomainError(
                gettext("Batch %(batch_code)s ended on %(end_date)s; complete it instead")
                % {"batch_code": batch.batch_code, "end_date": format(batch.end_date, "%Y-%m-%d")},
                field="status",
            )
    elif batch.end_date >= today:
        raise DomainError(
            gettext("Batch %(batch_code)s runs until %(end_date)s")
            % {"batch_code": batch.batch_code, "end_date": format(batch.end_date, "%Y-%m-%d")},
            field="status",
        )
    batch.status = to_status
    batch._change_reason = f"Lifecycle: {to_status.lower()} by the calendar on {today:%Y-%m-%d}"
    batch.save(update_fields=["status", "updated_at"])
    if not batch.is_open:
        bookings_sync(batch=batch)  # a completed batch books nobody any more
    if to_status == BatchStatus.COMPLETED:
        batch_completed.send(sender=Batch, batch=batch)
    return batch
