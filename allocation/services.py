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
from django.db.models import ProtectedError, Sum
from simple_history.utils import bulk_create_with_history

from accounts.models import User
from core import dates
from core.errors import DomainError, full_clean_or_refuse
from trainers.models import TrainerProfile, TrainerStatus
from trainers.selectors import trainer_status_on
from trainers.services import trainers_lock

from . import notices
from .eligibility import MSG_NOT_INSTRUCTOR, teaching_context, teaching_refusal
from .models import (
    TEACHING_ROLES,
    AssignmentType,
    Batch,
    BatchNote,
    BatchStatus,
    BatchTemplate,
    BatchTrainer,
    Course,
    CourseTrainer,
    IndividualAssignment,
    MentoringSession,
    RosterRole,
    RosterStatus,
    ScheduleSlot,
    StaffRole,
    SubstituteCover,
    Weekday,
    slots_overlap,
)
from .selectors import batch_roster, can_use_batch_notes
from .signals import batch_seats_added

MSG_ALREADY_ASSIGNED = "This instructor is already assigned to this student"


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


def _check_batch_fields(batch: Batch) -> None:
    # Checked before full_clean, whose message for these would only name the check constraint.
    if batch.start_date and batch.end_date and batch.end_date < batch.start_date:
        raise DomainError("The end date must be on or after the start date", field="end_date")
    if batch.capacity is not None and batch.capacity < 1:
        raise DomainError("Capacity must be at least 1", field="capacity")


def _save_batch(batch: Batch) -> None:
    _check_batch_fields(batch)
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
            'The batch template has a malformed slot: each slot needs "day" (0-6), "start" '
            'and "end" as HH:MM',
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
) -> Batch:
    """Create a batch with its weekly schedule and its primary trainer.

    Locks the instructor's trainer profile (so two batches created at once cannot together
    double-book them or break their cap), then the course row (so generated batch codes never
    collide). Refuses: a user without the instructor role ("Assigned instructor must have
    instructor role"), an inactive or on-leave trainer, one at their cap of Active + Upcoming
    batches, a schedule conflict with another batch they teach, an end before the start, a
    capacity below 1, a taken batch code, overlapping or reversed slots.
    """
    validate_instructor(assigned_instructor)
    slots = validate_schedule(schedule)
    profile = trainers_lock(assigned_instructor)[assigned_instructor.pk]
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
    _check_batch_fields(batch)
    ensure_can_teach(
        trainer=assigned_instructor, profile=profile, batch=batch, slots=slots, newly_teaching=True
    )
    _ensure_on_roster(course, assigned_instructor)
    _save_batch(batch)
    _replace_schedule(batch, slots)
    _staff(batch, assigned_instructor, StaffRole.PRIMARY, assigned_by=created_by)
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
# Changes that move a batch in time and so can create schedule conflicts.
BATCH_TIMING_FIELDS = frozenset({"start_date", "end_date", "status"})


def _teaching_trainer_ids(batch: Batch) -> set[int]:
    """Who teaches the batch now: its primary (legacy field included) and assistants."""
    ids = set(
        BatchTrainer.objects.filter(
            batch=batch, role__in=TEACHING_ROLES, ended_at__isnull=True
        ).values_list("trainer_id", flat=True)
    )
    ids.add(batch.assigned_instructor_id)
    return ids


@transaction.atomic
def batch_update(
    *,
    batch: Batch,
    schedule: Sequence[Slot] | None = None,
    updated_by: User | None = None,
    **changes,
) -> Batch:
    """Change a batch's fields and, when ``schedule`` is given, replace its weekly slots.

    Locks the trainer profiles of everyone who teaches the batch (and of a new primary), in
    primary-key order, then the batch row; re-reads it, so the capacity check sees the
    current enrolled count. When dates, status or slots change, every teaching trainer is
    checked for conflicts; reopening a Completed/Cancelled batch or naming a new primary also
    checks status and caps. Refuses: unknown or fixed fields (the course), a capacity below
    the students already enrolled, a non-instructor, an end before the start, a taken code,
    bad slots, a conflict, and a batch whose staffing changed while the request was made.
    """
    unknown = set(changes) - BATCH_UPDATABLE_FIELDS
    if unknown:
        raise DomainError(f"These batch fields cannot be changed: {', '.join(sorted(unknown))}")
    slots = validate_schedule(schedule) if schedule is not None else None
    new_primary = changes.pop("assigned_instructor", None)
    if new_primary is not None:
        validate_instructor(new_primary)
    try:
        before = Batch.objects.get(pk=batch.pk)
    except Batch.DoesNotExist:
        raise DomainError("This batch no longer exists") from None
    teaching_ids = _teaching_trainer_ids(before)
    if new_primary is not None and new_primary.pk != before.assigned_instructor_id:
        teaching_ids = (teaching_ids - {before.assigned_instructor_id}) | {new_primary.pk}
    else:
        new_primary = None
    profiles = trainers_lock(*User.objects.filter(pk__in=teaching_ids))
    batch = _lock_batch(batch)
    if not (_teaching_trainer_ids(batch) - {before.assigned_instructor_id}) <= set(profiles):
        raise DomainError("The batch's staffing changed while you were editing it; try again")

    new_capacity = changes.get("capacity")
    if new_capacity is not None and new_capacity < batch.enrolled_students:
        raise DomainError(
            f"Capacity cannot be below the {batch.enrolled_students} students already enrolled",
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
            )
    _save_batch(batch)
    if slots is not None:
        _replace_schedule(batch, slots)
    if new_primary is not None:
        _ensure_on_roster(batch.course, new_primary)
        _set_primary(batch, new_primary, assigned_by=updated_by)
    if batch.capacity > old_capacity:
        batch_seats_added.send(sender=Batch, batch=batch)
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


def _name(user: User) -> str:
    return user.display_name


def ensure_can_teach(
    *,
    trainer: User,
    profile: TrainerProfile,
    batch: Batch,
    slots: Sequence,
    newly_teaching: bool,
    date_range: tuple[dt.date, dt.date] | None = None,
    covering: bool = False,
) -> None:
    """Refuse a teaching duty (primary, assistant or cover) the trainer may not take.

    ``profile`` must be the trainer's locked profile (``trainers_lock``), so their cap and
    their conflicts are read while no one else can add teaching to them. ``batch`` carries the
    dates and status it will have; ``date_range`` narrows the dates (a cover). The rule
    itself is ``eligibility.teaching_refusal``, shared with the candidate lists.
    """
    context = teaching_context(
        batch, [trainer.pk], slots=slots, date_range=date_range, profiles={trainer.pk: profile}
    )
    refusal = teaching_refusal(context, trainer, newly_teaching=newly_teaching, covering=covering)
    if refusal is not None:
        raise refusal


def _end_role(row: BatchTrainer, *, ended_by: User | None) -> None:
    row.ended_at = dt.datetime.now(tz=dt.UTC)
    row.ended_by = ended_by
    row.save(update_fields=["ended_at", "ended_by"])
    notices.staff_removed(row)


def _staff(batch: Batch, trainer: User, role: str, *, assigned_by: User | None) -> BatchTrainer:
    """End the trainer's current role on the batch, if any, and start ``role``."""
    for row in BatchTrainer.objects.filter(batch=batch, trainer=trainer, ended_at__isnull=True):
        _end_role(row, ended_by=assigned_by)
    row = BatchTrainer(batch=batch, trainer=trainer, role=role, assigned_by=assigned_by)
    full_clean_or_refuse(row, validate_constraints=False)
    row.save()
    notices.staff_assigned(row)
    return row


def _set_primary(batch: Batch, instructor: User, *, assigned_by: User | None) -> None:
    """Make ``instructor`` the batch's primary, ending the previous primary's row (history)."""
    for row in BatchTrainer.objects.filter(
        batch=batch, role=StaffRole.PRIMARY, ended_at__isnull=True
    ).exclude(trainer=instructor):
        _end_role(row, ended_by=assigned_by)
    _staff(batch, instructor, StaffRole.PRIMARY, assigned_by=assigned_by)
    if batch.assigned_instructor_id != instructor.pk:
        batch.assigned_instructor = instructor
        batch.save(update_fields=["assigned_instructor", "updated_at"])


@transaction.atomic
def batch_assign_instructor(*, batch: Batch, instructor: User, assigned_by: User) -> Batch:
    """Make ``instructor`` the batch's primary trainer (``assigned_instructor``).

    Locks the instructor's trainer profile, then the batch row. Refuses: a non-instructor
    ("Assigned instructor must have instructor role"), an inactive or on-leave trainer, one
    at their cap of Active + Upcoming batches, a schedule conflict (naming the other batch and
    slot), and the instructor the batch already has. The previous primary's staffing row is
    ended, not deleted, and records who made the change and when.
    """
    validate_instructor(instructor)
    profile = trainers_lock(instructor)[instructor.pk]
    batch = _lock_batch(batch)
    if batch.assigned_instructor_id == instructor.pk:
        raise DomainError(
            f"{_name(instructor)} is already the instructor of {batch.batch_code}",
            field="assigned_instructor",
        )
    ensure_can_teach(
        trainer=instructor,
        profile=profile,
        batch=batch,
        slots=list(batch.schedule.all()),
        newly_teaching=True,
    )
    _ensure_on_roster(batch.course, instructor)
    _set_primary(batch, instructor, assigned_by=assigned_by)
    return batch


# --- individual assignments -------------------------------------------------------------


def _lock_user(user: User) -> User:
    return User.objects.select_for_update(of=("self",)).get(pk=user.pk)


def _current_assignment(student: User) -> IndividualAssignment | None:
    return (
        IndividualAssignment.objects.select_related("instructor")
        .filter(student=student, ended_at__isnull=True)
        .first()
    )


def validate_assignment(*, student: User, instructor: User, assignment_type: str) -> None:
    """Refuse a non-student, a non-instructor, self-assignment or an unknown type."""
    if not instructor.is_instructor or not instructor.is_active:
        raise DomainError(MSG_NOT_INSTRUCTOR, field="instructor")
    if not student.is_learner:
        raise DomainError("Only a student can be assigned an instructor", field="student")
    if student.pk == instructor.pk:
        raise DomainError("An instructor cannot be assigned to themselves", field="student")
    if assignment_type not in AssignmentType.values:
        raise DomainError(
            f"Assignment type must be one of: {', '.join(AssignmentType.values)}",
            field="assignment_type",
        )


def _check_caseload(profile: TrainerProfile, instructor: User) -> None:
    if profile.status != TrainerStatus.ACTIVE:
        raise DomainError(
            f"{_name(instructor)} is {profile.get_status_display().lower()} and cannot take "
            "new students",
            field="instructor",
        )
    cap = profile.max_individual_students
    if cap is None:
        return
    current = IndividualAssignment.objects.filter(
        instructor=instructor, ended_at__isnull=True
    ).count()
    if current >= cap:
        raise DomainError(
            f"{_name(instructor)} already has {current} individually assigned students, "
            f"their cap of {cap}",
            field="instructor",
        )


def _start_assignment(
    *, student, instructor, assignment_type, notes, start_date, assigned_by
) -> IndividualAssignment:
    assignment = IndividualAssignment(
        student=student,
        instructor=instructor,
        assignment_type=assignment_type,
        notes=notes or "",
        start_date=start_date or dates.today(),
        assigned_by=assigned_by,
    )
    full_clean_or_refuse(assignment, validate_constraints=False)
    try:
        with transaction.atomic():
            assignment.save()
    except IntegrityError as exc:  # backstop: the partial unique index, one active per student
        raise DomainError("The student already has an assigned instructor") from exc
    notices.mentor_assigned(assignment)
    return assignment


@transaction.atomic
def individual_assign(
    *,
    student: User,
    instructor: User,
    assigned_by: User,
    assignment_type: str = AssignmentType.MENTOR,
    notes: str = "",
    start_date: dt.date | None = None,
) -> IndividualAssignment:
    """Assign an instructor to a student individually (mentor, tutor, advisor, supervisor).

    Locks the instructor's trainer profile (caseload cap), then the student's user row (one
    active assignment per student). Refuses: a non-instructor ("Assigned instructor must have
    instructor role"), a non-student, the same instructor again ("This instructor is already
    assigned to this student"), another active assignment (unassign or reassign first), an
    inactive or on-leave instructor, an instructor at their caseload cap.
    """
    validate_assignment(student=student, instructor=instructor, assignment_type=assignment_type)
    profile = trainers_lock(instructor)[instructor.pk]
    _lock_user(student)
    current = _current_assignment(student)
    if current is not None and current.instructor_id == instructor.pk:
        raise DomainError(MSG_ALREADY_ASSIGNED, field="instructor", code="duplicate")
    if current is not None:
        raise DomainError(
            f"{_name(student)} already has {_name(current.instructor)} as "
            f"{current.assignment_type}; unassign them first or use reassign",
            field="student",
        )
    _check_caseload(profile, instructor)
    return _start_assignment(
        student=student,
        instructor=instructor,
        assignment_type=assignment_type,
        notes=notes,
        start_date=start_date,
        assigned_by=assigned_by,
    )


@transaction.atomic
def individual_unassign(*, student: User, ended_by: User, reason: str = "") -> IndividualAssignment:
    """End the student's active assignment; it stays as history with who, when and why.

    Locks the student's user row. Refuses a student without an active assignment.
    """
    _lock_user(student)
    current = _current_assignment(student)
    if current is None:
        raise DomainError(f"{_name(student)} has no assigned instructor", field="student")
    current.ended_at = dt.datetime.now(tz=dt.UTC)
    current.ended_by = ended_by
    current.end_reason = reason[:300]
    current.save(update_fields=["ended_at", "ended_by", "end_reason"])
    notices.mentor_unassigned(current)
    return current


@transaction.atomic
def individual_reassign(
    *,
    student: User,
    instructor: User,
    assigned_by: User,
    assignment_type: str | None = None,
    notes: str | None = None,
    reason: str = "",
) -> IndividualAssignment:
    """End the student's active assignment and start one with ``instructor``, atomically.

    Locks the new instructor's trainer profile, then the student's user row. The type and
    notes carry over unless given. Refuses: a student with no active assignment (use assign),
    the instructor they already have, and everything ``individual_assign`` refuses.
    """
    # Profile before student, the order individual_assign locks them in: the other order
    # deadlocks an assign and a reassign of the same student to the same instructor.
    profile = trainers_lock(instructor)[instructor.pk]
    _lock_user(student)
    current = _current_assignment(student)
    if current is None:
        raise DomainError(
            f"{_name(student)} has no assigned instructor to replace; assign one instead",
            field="student",
        )
    assignment_type = assignment_type or current.assignment_type
    validate_assignment(student=student, instructor=instructor, assignment_type=assignment_type)
    if current.instructor_id == instructor.pk:
        raise DomainError(MSG_ALREADY_ASSIGNED, field="instructor", code="duplicate")
    _check_caseload(profile, instructor)
    individual_unassign(student=student, ended_by=assigned_by, reason=reason or "Reassigned")
    return _start_assignment(
        student=student,
        instructor=instructor,
        assignment_type=assignment_type,
        notes=current.notes if notes is None else notes,
        start_date=None,
        assigned_by=assigned_by,
    )


@transaction.atomic
def mentoring_session_log(
    *,
    assignment: IndividualAssignment,
    logged_by: User,
    session_date: dt.date,
    duration_minutes: int,
    notes: str = "",
    follow_up_date: dt.date | None = None,
) -> MentoringSession:
    """Log a 1:1 session against an active individual assignment.

    Locks nothing: a session adds no competing claim. Refuses: anyone but the assigned
    instructor, an ended assignment, a date in the future or before the assignment started,
    a duration outside 1–1440 minutes, a follow-up before the session.
    """
    assignment = IndividualAssignment.objects.get(pk=assignment.pk)
    if logged_by.pk != assignment.instructor_id:
        raise DomainError("Only the assigned instructor can log sessions for this student")
    if not assignment.is_active:
        raise DomainError(
            "This assignment has ended; sessions can only be logged while it is active"
        )
    if session_date > dates.today():
        raise DomainError("A session cannot be logged for a future date", field="session_date")
    if session_date < assignment.start_date:
        raise DomainError(
            f"The session date is before the assignment started ({assignment.start_date:%Y-%m-%d})",
            field="session_date",
        )
    session = MentoringSession(
        assignment=assignment,
        logged_by=logged_by,
        session_date=session_date,
        duration_minutes=duration_minutes,
        notes=notes,
        follow_up_date=follow_up_date,
    )
    full_clean_or_refuse(session)
    session.save()
    return session


# --- course rosters ------------------------------------------------------------------------


def _roster_total(course: Course, *, exclude: CourseTrainer | None = None) -> int:
    entries = CourseTrainer.objects.filter(course=course, status=RosterStatus.ACTIVE)
    if exclude is not None and exclude.pk:
        entries = entries.exclude(pk=exclude.pk)
    return entries.aggregate(total=Sum("workload_percent"))["total"] or 0


def _check_workload_sum(course: Course, entry: CourseTrainer) -> None:
    if entry.status != RosterStatus.ACTIVE:
        return
    others = _roster_total(course, exclude=entry)
    if others + entry.workload_percent > 100:
        raise DomainError(
            f"The active trainers of {course.code} already have {others}% of its workload; "
            f"adding {entry.workload_percent}% would make {others + entry.workload_percent}% "
            "(at most 100%)",
            field="workload_percent",
        )


@transaction.atomic
def roster_add(
    *,
    course: Course,
    trainer: User,
    role: str = RosterRole.ASSISTANT,
    workload_percent: int = 0,
    status: str = RosterStatus.ACTIVE,
) -> CourseTrainer:
    """Put a trainer on a course's roster.

    Locks the course row (the workload sum spans the roster). Refuses: a non-instructor, a
    trainer already on the roster, an unknown role or status, a workload outside 0–100, and
    a workload that would take the active trainers' sum above 100% (naming the current total).
    """
    validate_instructor(trainer)
    course = _lock_course(course)
    if CourseTrainer.objects.filter(course=course, trainer=trainer).exists():
        raise DomainError(
            f"{_name(trainer)} is already on the roster of {course.code}", field="trainer"
        )
    entry = CourseTrainer(
        course=course, trainer=trainer, role=role, workload_percent=workload_percent, status=status
    )
    full_clean_or_refuse(entry, validate_unique=False)
    _check_workload_sum(course, entry)
    entry.save()
    return entry


@transaction.atomic
def roster_update(
    *,
    entry: CourseTrainer,
    role: str | None = None,
    workload_percent: int | None = None,
    status: str | None = None,
) -> CourseTrainer:
    """Change a roster entry's role, workload share or status.

    Locks the course row. Refuses: a workload sum above 100%, and taking the lead role away
    from a trainer who still supervises batches of the course (name another lead first).
    """
    course = _lock_course(entry.course)
    entry = CourseTrainer.objects.select_related("trainer").get(pk=entry.pk)
    if role is not None:
        entry.role = role
    if workload_percent is not None:
        entry.workload_percent = workload_percent
    if status is not None:
        entry.status = status
    full_clean_or_refuse(entry, validate_unique=False)
    if entry.role != RosterRole.LEAD:
        supervised = Batch.objects.filter(course=course, supervising_lead=entry.trainer).count()
        if supervised:
            raise DomainError(
                f"{_name(entry.trainer)} supervises {supervised} batch(es) of {course.code} "
                "as lead; name another lead for them first",
                field="role",
            )
    _check_workload_sum(course, entry)
    entry.save()
    return entry


@transaction.atomic
def roster_remove(*, entry: CourseTrainer) -> None:
    """Take a trainer off a course's roster.

    Locks the course row. Refuses while the trainer staffs an Active/Upcoming batch of the
    course in any role or supervises one of its batches.
    """
    course = _lock_course(entry.course)
    entry = CourseTrainer.objects.select_related("trainer").get(pk=entry.pk)
    staffing = BatchTrainer.objects.filter(
        trainer=entry.trainer,
        ended_at__isnull=True,
        batch__course=course,
        batch__status__in=(BatchStatus.ACTIVE, BatchStatus.UPCOMING),
    ).count()
    if staffing:
        raise DomainError(
            f"{_name(entry.trainer)} still staffs {staffing} open batch(es) of {course.code}; "
            "remove them from those batches first"
        )
    if Batch.objects.filter(course=course, supervising_lead=entry.trainer).exists():
        raise DomainError(
            f"{_name(entry.trainer)} supervises batches of {course.code}; name another lead first"
        )
    entry.delete()


def _ensure_on_roster(course: Course, trainer: User) -> CourseTrainer:
    """The trainer's roster entry on the course, added (assistant, 0%) when missing.

    Keeps single-instructor operations working: naming a batch's instructor the old way puts
    them on the roster as well. Refuses an inactive or on-leave roster entry.
    """
    entry, _ = CourseTrainer.objects.get_or_create(
        course=course, trainer=trainer, defaults={"role": RosterRole.ASSISTANT}
    )
    _check_roster_active(entry, trainer, course)
    return entry


def _check_roster_active(entry: CourseTrainer | None, trainer: User, course: Course) -> None:
    if entry is None:
        raise DomainError(
            f"{_name(trainer)} is not on the roster of {course.code}; add them to the course first",
            field="trainer",
        )
    if entry.status != RosterStatus.ACTIVE:
        raise DomainError(
            f"{_name(trainer)} is {entry.get_status_display().lower()} on the roster of "
            f"{course.code}",
            field="trainer",
        )


@transaction.atomic
def course_convert_to_multi_trainer(*, course: Course) -> tuple[int, int]:
    """Bring a course's single-instructor batches into the multi-trainer model.

    Gives every batch without one a primary staffing row (its ``assigned_instructor``) and
    every such instructor a roster entry (active assistant, 0%). Locks the course row.
    Returns (staffing rows added, roster entries added). Running it twice adds nothing.
    """
    course = _lock_course(course)
    staffed = BatchTrainer.objects.filter(role=StaffRole.PRIMARY, ended_at__isnull=True).values(
        "batch_id"
    )
    rows = bulk_create_with_history(
        [
            BatchTrainer(
                batch=batch, trainer_id=batch.assigned_instructor_id, role=StaffRole.PRIMARY
            )
            for batch in course.batches.exclude(pk__in=staffed)
        ],
        BatchTrainer,
    )
    on_roster = set(course.roster.values_list("trainer_id", flat=True))
    missing = set(course.batches.values_list("assigned_instructor_id", flat=True)) - on_roster
    entries = bulk_create_with_history(
        [
            CourseTrainer(course=course, trainer_id=trainer_id, role=RosterRole.ASSISTANT)
            for trainer_id in sorted(missing)
        ],
        CourseTrainer,
    )
    return len(rows), len(entries)


# --- batch staffing beyond the primary -----------------------------------------------------


@transaction.atomic
def batch_staff_add(*, batch: Batch, trainer: User, role: str, added_by: User) -> BatchTrainer:
    """Add an assistant or a backup trainer to a batch (a trainer holds one role per batch).

    Locks the trainer's profile, then the batch row. Only active members of the course's
    roster may staff it. An assistant teaches, so they are checked like a primary (status,
    leave, availability, cap, conflicts); a backup is not teaching time but cannot be on
    leave when named. Refuses the batch's primary (change the primary instead) and a trainer
    who already holds that role.
    """
    if role not in (StaffRole.ASSISTANT, StaffRole.BACKUP):
        raise DomainError("A batch's extra trainers are assistants or backups", field="role")
    validate_instructor(trainer)
    profile = trainers_lock(trainer)[trainer.pk]
    batch = _lock_batch(batch)
    _check_roster_active(
        CourseTrainer.objects.filter(course_id=batch.course_id, trainer=trainer).first(),
        trainer,
        batch.course,
    )
    current = BatchTrainer.objects.filter(
        batch=batch, trainer=trainer, ended_at__isnull=True
    ).first()
    if batch.assigned_instructor_id == trainer.pk:
        raise DomainError(
            f"{_name(trainer)} is the primary of {batch.batch_code}; a trainer holds one role "
            "per batch",
            field="trainer",
        )
    if current is not None and current.role == role:
        article = "an" if role == StaffRole.ASSISTANT else "a"
        raise DomainError(
            f"{_name(trainer)} is already {article} {current.get_role_display().lower()} of "
            f"{batch.batch_code}",
            field="trainer",
        )
    if role == StaffRole.ASSISTANT:
        ensure_can_teach(
            trainer=trainer,
            profile=profile,
            batch=batch,
            slots=list(batch.schedule.all()),
            newly_teaching=True,
        )
    else:
        _check_not_on_leave(trainer, profile)
    return _staff(batch, trainer, role, assigned_by=added_by)


@transaction.atomic
def batch_staff_remove(*, batch: Batch, trainer: User, removed_by: User) -> BatchTrainer:
    """End a trainer's assistant or backup role on a batch (kept as history).

    Locks the batch row. Refuses the primary (name another primary instead) and a trainer
    with no role on the batch.
    """
    batch = _lock_batch(batch)
    current = BatchTrainer.objects.filter(
        batch=batch, trainer=trainer, ended_at__isnull=True
    ).first()
    if current is None:
        raise DomainError(f"{_name(trainer)} has no role on {batch.batch_code}", field="trainer")
    if current.role == StaffRole.PRIMARY:
        raise DomainError(
            f"{_name(trainer)} is the primary of {batch.batch_code}; assign another primary "
            "instead",
            field="trainer",
        )
    _end_role(current, ended_by=removed_by)
    return current


@transaction.atomic
def batch_set_supervising_lead(*, batch: Batch, lead: User | None) -> Batch:
    """Name the lead who supervises a batch (or clear it with None).

    Locks the batch row. Refuses anyone who is not an active lead on the course's roster.
    """
    batch = _lock_batch(batch)
    if lead is not None:
        entry = CourseTrainer.objects.filter(course_id=batch.course_id, trainer=lead).first()
        if entry is None or entry.role != RosterRole.LEAD or entry.status != RosterStatus.ACTIVE:
            raise DomainError(
                f"{_name(lead)} is not an active lead of {batch.course.code}",
                field="supervising_lead",
            )
    batch.supervising_lead = lead
    batch.save(update_fields=["supervising_lead", "updated_at"])
    return batch


# --- leave and substitute cover ------------------------------------------------------------


def _check_not_on_leave(trainer: User, profile: TrainerProfile) -> None:
    if trainer_status_on(trainer, dates.today(), profile) == TrainerStatus.ON_LEAVE:
        raise DomainError(f"{_name(trainer)} is on leave", field="trainer")


@transaction.atomic
def substitute_assign(
    *,
    batch: Batch,
    absent_trainer: User,
    substitute: User,
    start_date: dt.date,
    end_date: dt.date,
    assigned_by: User,
) -> SubstituteCover:
    """Record that ``substitute`` teaches ``batch`` for ``absent_trainer`` over the dates.

    Locks the substitute's trainer profile (so two covers cannot double-book them), then the
    batch row (so one absence is covered once). Refuses: dates outside the batch or reversed,
    an absent trainer who does not teach the batch, a substitute who is not an active member
    of the course's roster, who is inactive or on leave during the dates, who would clash with
    their own teaching or other covers, and an absence already covered on those dates.
    """
    if end_date < start_date:
        raise DomainError("The cover must end on or after its first day", field="end_date")
    if substitute.pk == absent_trainer.pk:
        raise DomainError("A trainer cannot cover for themselves", field="substitute")
    validate_instructor(substitute)
    profile = trainers_lock(substitute)[substitute.pk]
    batch = _lock_batch(batch)
    if start_date < batch.start_date or end_date > batch.end_date:
        raise DomainError(
            f"{batch.batch_code} runs {batch.start_date:%Y-%m-%d} – {batch.end_date:%Y-%m-%d}; "
            "the cover must fall inside those dates",
            field="start_date",
        )
    if absent_trainer.pk not in _teaching_trainer_ids(batch):
        raise DomainError(
            f"{_name(absent_trainer)} does not teach {batch.batch_code}", field="absent_trainer"
        )
    _check_roster_active(
        CourseTrainer.objects.filter(course_id=batch.course_id, trainer=substitute).first(),
        substitute,
        batch.course,
    )
    covered = (
        SubstituteCover.objects.filter(
            batch=batch,
            absent_trainer=absent_trainer,
            start_date__lte=end_date,
            end_date__gte=start_date,
        )
        .select_related("substitute")
        .first()
    )
    if covered is not None:
        raise DomainError(
            f"{_name(covered.substitute)} already covers {_name(absent_trainer)} on "
            f"{batch.batch_code} from {covered.start_date:%Y-%m-%d} to {covered.end_date:%Y-%m-%d}",
            field="start_date",
        )
    ensure_can_teach(
        trainer=substitute,
        profile=profile,
        batch=batch,
        slots=list(batch.schedule.all()),
        newly_teaching=True,
        date_range=(start_date, end_date),
        covering=True,
    )
    cover = SubstituteCover(
        batch=batch,
        absent_trainer=absent_trainer,
        substitute=substitute,
        start_date=start_date,
        end_date=end_date,
        assigned_by=assigned_by,
    )
    full_clean_or_refuse(cover)
    cover.save()
    notices.cover_assigned(cover, students=[e.student for e in batch_roster(batch)])
    return cover


# --- batch notes ---------------------------------------------------------------------------


@transaction.atomic
def batch_note_add(*, batch: Batch, author: User, body: str) -> BatchNote:
    """Add a note to a batch's thread. Refuses an empty note and anyone who may not read the
    thread (see ``selectors.can_use_batch_notes``)."""
    if not can_use_batch_notes(author, batch):
        raise DomainError("Only the batch's trainers, its lead and its substitutes can post here")
    if not body.strip():  # full_clean would only say "This field cannot be blank."
        raise DomainError("A note cannot be empty", field="body")
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

    Locks the batch row and re-reads it. Unlike ``batch_update`` it checks no schedule
    conflicts and caps: the dates were accepted when the batch was planned, and the calendar
    must not stall on a conflict that appeared since. Refuses any other move, a start before
    the start date or after the end date, and a completion on or before the end date; a
    batch that already has ``to_status`` is refused with ``code="already"`` (another run
    moved it). Saves only the status, so the audit trail gets one row saying why.
    """
    today = today or dates.today()
    batch = _lock_batch(batch)
    if batch.status == to_status:
        raise DomainError(f"Batch {batch.batch_code} is already {to_status}", code="already")
    if (batch.status, to_status) not in LIFECYCLE_MOVES:
        raise DomainError(
            f"Batch {batch.batch_code} cannot move from {batch.status} to {to_status} "
            "on its own; change its status on the batch page",
            field="status",
        )
    if to_status == BatchStatus.ACTIVE:
        if batch.start_date > today:
            raise DomainError(
                f"Batch {batch.batch_code} starts on {batch.start_date:%Y-%m-%d}", field="status"
            )
        if batch.end_date < today:
            raise DomainError(
                f"Batch {batch.batch_code} ended on {batch.end_date:%Y-%m-%d}; complete it instead",
                field="status",
            )
    elif batch.end_date >= today:
        raise DomainError(
            f"Batch {batch.batch_code} runs until {batch.end_date:%Y-%m-%d}", field="status"
        )
    batch.status = to_status
    batch._change_reason = f"Lifecycle: {to_status.lower()} by the calendar on {today:%Y-%m-%d}"
    batch.save(update_fields=["status", "updated_at"])
    return batch


@transaction.atomic
def batch_primary_row_restore(*, batch: Batch) -> BatchTrainer:
    """Give a batch the current primary staffing row that mirrors its ``assigned_instructor``
    when it lacks one (data written around the services, an old import).

    Locks the batch row and re-reads it. When the instructor holds another current role on
    the batch (assistant or backup), that row is ended first, as any staffing change does.
    Notifies nobody: the instructor already is the batch's primary. Refuses a batch that has
    the row already, and one where another trainer holds the current primary row (which of
    the two is right is for a person to decide).
    """
    batch = _lock_batch(batch)
    current = BatchTrainer.objects.filter(batch=batch, ended_at__isnull=True)
    if current.filter(role=StaffRole.PRIMARY, trainer_id=batch.assigned_instructor_id).exists():
        raise DomainError(f"Batch {batch.batch_code} already has its primary staffing row")
    other = current.filter(role=StaffRole.PRIMARY).select_related("trainer").first()
    if other is not None:
        raise DomainError(
            f"{_name(other.trainer)} holds the primary row of {batch.batch_code}, but the batch "
            f"names {_name(batch.assigned_instructor)}; assign the right instructor on the "
            "batch page"
        )
    for row in current.filter(trainer_id=batch.assigned_instructor_id):
        row.ended_at = dt.datetime.now(tz=dt.UTC)
        row._change_reason = "Integrity: replaced by the primary row"
        row.save(update_fields=["ended_at"])
    row = BatchTrainer(batch=batch, trainer_id=batch.assigned_instructor_id, role=StaffRole.PRIMARY)
    full_clean_or_refuse(row, validate_constraints=False)
    row._change_reason = "Integrity: primary row restored"
    row.save()
    return row
