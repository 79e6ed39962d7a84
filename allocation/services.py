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
from trainers.models import TrainerProfile, TrainerStatus
from trainers.services import trainers_lock

from .models import (
    TEACHING_ROLES,
    AssignmentType,
    Batch,
    BatchStatus,
    BatchTrainer,
    Course,
    IndividualAssignment,
    MentoringSession,
    ScheduleSlot,
    StaffRole,
    Weekday,
    slots_overlap,
)

MSG_NOT_INSTRUCTOR = "Assigned instructor must have instructor role"
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
        _set_primary(batch, new_primary, assigned_by=updated_by)
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
    return user.full_name or user.email


def ensure_can_teach(
    *, trainer: User, profile: TrainerProfile, batch: Batch, slots: Sequence, newly_teaching: bool
) -> None:
    """Refuse a teaching role (primary or assistant) the trainer may not take.

    ``profile`` must be the trainer's locked profile (``trainers_lock``) so the cap and the
    conflicts are read while no one else can add teaching to this trainer. ``batch`` carries
    the dates and status the batch will have. Completed and Cancelled batches never conflict
    or count. ``newly_teaching`` (a new assignment, a new batch, a batch reopened) also
    checks the trainer's status and their cap of Active + Upcoming batches.
    """
    validate_instructor(trainer)
    if batch.status not in (BatchStatus.ACTIVE, BatchStatus.UPCOMING):
        return
    if newly_teaching:
        if profile.status != TrainerStatus.ACTIVE:
            raise DomainError(
                f"{_name(trainer)} is {profile.get_status_display().lower()} and cannot take "
                "new batches",
                field="assigned_instructor",
            )
        from .selectors import open_teaching_batch_count

        count = open_teaching_batch_count(trainer, exclude_batch=batch)
        if count >= profile.max_active_batches:
            raise DomainError(
                f"{_name(trainer)} already teaches {count} Active/Upcoming batches, their cap "
                f"of {profile.max_active_batches}",
                field="assigned_instructor",
            )
    from .selectors import instructor_conflicts

    conflicts = instructor_conflicts(
        trainer, slots, (batch.start_date, batch.end_date), exclude_batch=batch
    )
    if conflicts:
        raise DomainError(conflicts[0].describe(trainer), field="schedule", code="conflict")


def _end_role(row: BatchTrainer, *, ended_by: User | None) -> None:
    row.ended_at = dt.datetime.now(tz=dt.UTC)
    row.ended_by = ended_by
    row.save(update_fields=["ended_at", "ended_by"])


def _staff(batch: Batch, trainer: User, role: str, *, assigned_by: User | None) -> BatchTrainer:
    """End the trainer's current role on the batch, if any, and start ``role``."""
    for row in BatchTrainer.objects.filter(batch=batch, trainer=trainer, ended_at__isnull=True):
        _end_role(row, ended_by=assigned_by)
    row = BatchTrainer(batch=batch, trainer=trainer, role=role, assigned_by=assigned_by)
    full_clean_or_refuse(row, validate_constraints=False)
    row.save()
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
        start_date=start_date or dt.date.today(),
        assigned_by=assigned_by,
    )
    full_clean_or_refuse(assignment, validate_constraints=False)
    try:
        with transaction.atomic():
            assignment.save()
    except IntegrityError as exc:  # backstop: the partial unique index, one active per student
        raise DomainError("The student already has an assigned instructor") from exc
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
    if session_date > dt.date.today():
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
