"""Individual assignments (mentor, tutor, advisor, supervisor) and the mentoring sessions
logged against them.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction

from accounts.models import User
from allocation import notices
from allocation.eligibility import (
    MSG_ALREADY_ASSIGNED,
    MSG_NOT_INSTRUCTOR,
    MSG_SELF_ASSIGNED,
    mentor_refusal,
)
from allocation.models import AssignmentType, IndividualAssignment, MentoringSession
from core import dates
from core.errors import DomainError, full_clean_or_refuse
from trainers.models import TrainerProfile
from trainers.services import trainers_lock
from webhooks.services import event_emit


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
        raise DomainError(MSG_SELF_ASSIGNED, field="student")
    if assignment_type not in AssignmentType.values:
        raise DomainError(
            f"Assignment type must be one of: {', '.join(AssignmentType.values)}",
            field="assignment_type",
        )


def _check_caseload(profile: TrainerProfile, instructor: User) -> None:
    cap = profile.max_individual_students
    current = (
        IndividualAssignment.objects.filter(instructor=instructor, ended_at__isnull=True).count()
        if cap is not None
        else 0
    )
    refusal = mentor_refusal(instructor, status=profile.status, cap=cap, mentees=current)
    if refusal is not None:
        raise refusal


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
    event_emit(type="instructor.assigned", data=_assignment_data(assignment))
    return assignment


def _assignment_data(assignment: IndividualAssignment) -> dict:
    return {
        "assignment": assignment.pk,
        "student": assignment.student_id,
        "trainer": assignment.instructor_id,
        "role": assignment.assignment_type,
    }


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
            f"{student.display_name} already has {current.instructor.display_name} as "
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
        raise DomainError(f"{student.display_name} has no assigned instructor", field="student")
    current.ended_at = dt.datetime.now(tz=dt.UTC)
    current.ended_by = ended_by
    current.end_reason = reason[:300]
    current.save(update_fields=["ended_at", "ended_by", "end_reason"])
    notices.mentor_unassigned(current)
    event_emit(type="instructor.unassigned", data=_assignment_data(current))
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
            f"{student.display_name} has no assigned instructor to replace; assign one instead",
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
