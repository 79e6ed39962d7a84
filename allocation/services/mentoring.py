"""Individual assignments (mentor, tutor, advisor, supervisor) and the mentoring sessions
logged against them.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils.translation import gettext
from django.utils.translation import gettext as _

from accounts.models import User
from allocation import notices
from allocation.eligibility import (
    MSG_ALREADY_ASSIGNED,
    MSG_NOT_INSTRUCTOR,
    MSG_SELF_ASSIGNED,
    mentor_refusal,
)
from allocation.models import (
    AssignmentType,
    IndividualAssignment,
    MentorBooking,
    MentorBookingStatus,
    MentoringSession,
)
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
        raise DomainError(gettext("Only a student can be assigned an instructor"), field="student")
    if student.pk == instructor.pk:
        raise DomainError(MSG_SELF_ASSIGNED, field="student")
    if assignment_type not in AssignmentType.values:
        raise DomainError(
            gettext("Assignment type must be one of: %(items)s")
            % {"items": ", ".join(AssignmentType.values)},
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
        raise DomainError(gettext("The student already has an assigned instructor")) from exc
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
            gettext(
                "%(student)s already has %(instructor)s as %(assignment_type)s; unassign "
                "them first or use reassign"
            )
            % {
                "student": student.display_name,
                "instructor": current.instructor.display_name,
                "assignment_type": current.assignment_type,
            },
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
        raise DomainError(
            gettext("%(student)s has no assigned instructor") % {"student": student.display_name},
            field="student",
        )
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
            gettext("%(student)s has no assigned instructor to replace; assign one instead")
            % {"student": student.display_name},
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
    booking: MentorBooking | None = None,
) -> MentoringSession:
    """Log a 1:1 session against an active individual assignment, and with ``booking`` mark
    that booked session held (it then points at the session).

    Locks the booking row when one is given (so it is held once); otherwise nothing: a
    session adds no competing claim. Refuses: anyone but the assigned instructor, an ended
    assignment, a date in the future or before the assignment started, a duration outside
    1–1440 minutes, a follow-up before the session; a booking of another assignment, one
    that is not booked (cancelled or already held), or one that has not started yet.
    """
    assignment = IndividualAssignment.objects.get(pk=assignment.pk)
    if logged_by.pk != assignment.instructor_id:
        raise DomainError(gettext("Only the assigned instructor can log sessions for this student"))
    if not assignment.is_active:
        raise DomainError(
            gettext("This assignment has ended; sessions can only be logged while it is active")
        )
    if session_date > dates.today():
        raise DomainError(
            gettext("A session cannot be logged for a future date"), field="session_date"
        )
    if session_date < assignment.start_date:
        raise DomainError(
            gettext("The session date is before the assignment started (%(start_date)s)")
            % {"start_date": format(assignment.start_date, "%Y-%m-%d")},
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
    if booking is not None:
        booking = (
            MentorBooking.objects.select_for_update(of=("self",)).filter(pk=booking.pk).first()
        )
        if booking is None or booking.assignment_id != assignment.pk:
            raise DomainError(_("This booking is not one of this assignment's"), field="booking")
        if booking.status != MentorBookingStatus.BOOKED:
            raise DomainError(
                _("This booking is %(status)s; only a booked session can be logged as held")
                % {"status": booking.get_status_display().lower()},
                field="booking",
            )
        if booking.start_at > dt.datetime.now(tz=dt.UTC):
            raise DomainError(
                _("This booked session has not started yet; log it afterwards"), field="booking"
            )
    session.save()
    if booking is not None:
        booking.status = MentorBookingStatus.HELD
        booking.session = session
        booking.save(update_fields=["status", "session", "updated_at"])
    return session
