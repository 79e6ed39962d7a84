"""Who hears about which allocation change, and with which details.

Each function is called by a service inside its transaction; ``notifications.notify``
writes the inbox rows there and sends the emails only after commit. Templates:
``templates/notifications/<event>.*``.
"""

from __future__ import annotations

from django.urls import reverse

from accounts.models import User
from notifications.context import Related
from notifications.services import notify

from .models import (
    Batch,
    BatchTrainer,
    CourseTrainer,
    IndividualAssignment,
    RosterRole,
    RosterStatus,
)


def _schedule(batch: Batch) -> Related:
    # The weekly slots (ordered by day and start) as they are when the email is rendered.
    return Related(batch, "schedule")


def staff_assigned(row: BatchTrainer) -> None:
    """To the trainer: their new role on the batch, with the batch's weekly schedule."""
    batch = row.batch
    notify(
        recipients=[row.trainer],
        event="batch_staff_assigned",
        context={"batch": batch, "role": row.get_role_display(), "schedule": _schedule(batch)},
        url=reverse("instructor:dashboard"),
    )


def staff_removed(row: BatchTrainer) -> None:
    """To the trainer: they no longer hold their role on the batch."""
    notify(
        recipients=[row.trainer],
        event="batch_staff_removed",
        context={"batch": row.batch, "role": row.get_role_display()},
        url=reverse("instructor:dashboard"),
    )


def mentor_assigned(assignment: IndividualAssignment) -> None:
    """To the student and the instructor: they are introduced to each other."""
    context = {
        "assignment": assignment,
        "student": assignment.student,
        "instructor": assignment.instructor,
    }
    notify(
        recipients=[assignment.student],
        event="mentor_assigned_student",
        context=context,
        url=reverse("student:schedule"),
    )
    notify(
        recipients=[assignment.instructor],
        event="mentor_assigned_instructor",
        context=context,
        url=reverse("instructor:mentees"),
    )


def mentor_unassigned(assignment: IndividualAssignment) -> None:
    """To the student and the instructor: the assignment has ended."""
    notify(
        recipients=[assignment.student, assignment.instructor],
        event="mentor_unassigned",
        context={
            "assignment": assignment,
            "student": assignment.student,
            "instructor": assignment.instructor,
        },
    )


def cover_assigned(cover, students, sessions=()) -> None:
    """To the substitute, the absent trainer and the batch's active students; the substitute's
    email lists the covered ``sessions`` in their own time zone."""
    batch = cover.batch
    context = {
        "cover": cover,
        "batch": batch,
        "schedule": _schedule(batch),
        "sessions": list(sessions),
    }
    notify(
        recipients=[cover.substitute],
        event="cover_assigned_substitute",
        context=context,
        url=reverse("instructor:dashboard"),
    )
    notify(
        recipients=[cover.absent_trainer],
        event="cover_assigned_absent",
        context=context,
        url=reverse("instructor:dashboard"),
    )
    notify(
        recipients=students,
        event="cover_assigned_student",
        context=context,
        url=reverse("student:schedule"),
    )


def _session_notice(event: str, session, *, students, trainers, **extra) -> None:
    """One session's change to its trainers and the batch's students: each email shows the
    times in the recipient's own zone (``session_tags.session_when`` with ``recipient``)."""
    context = {"session": session, "batch": session.batch, **extra}
    notify(recipients=trainers, event=event, context=context, url=reverse("instructor:dashboard"))
    notify(recipients=students, event=event, context=context, url=reverse("student:schedule"))


def session_cancelled(session, *, students, trainers) -> None:
    """A session is cancelled (by hand or by a holiday), with the reason."""
    _session_notice("session_cancelled", session, students=students, trainers=trainers)


def session_moved(session, *, before, students, trainers) -> None:
    """A session moves from ``before`` (start, end) to its new time."""
    _session_notice(
        "session_moved",
        session,
        students=students,
        trainers=trainers,
        before_start=before[0],
        before_end=before[1],
    )


def session_added(session, *, students, trainers) -> None:
    """An extra (make-up) session is added."""
    _session_notice("session_added", session, students=students, trainers=trainers)


def holiday_cancelled(holiday, batch, sessions, *, students, trainers) -> None:
    """A holiday or closure cancelled these ``sessions`` of ``batch``: one message per
    recipient and batch, listing them in the recipient's zone."""
    context = {"holiday": holiday, "batch": batch, "sessions": list(sessions)}
    notify(
        recipients=trainers,
        event="holiday_cancelled",
        context=context,
        url=reverse("instructor:dashboard"),
    )
    notify(
        recipients=students,
        event="holiday_cancelled",
        context=context,
        url=reverse("student:schedule"),
    )


def leave_recorded(sender, *, leave, **kwargs) -> None:
    """To the active leads of every course the trainer is on (receiver of
    ``trainers.signals.leave_recorded``; the trainer's own leads, never the trainer).

    A course where the trainer's roster entry is inactive is not theirs any more: its leads
    have nothing to cover and are not told.
    """
    courses = (
        CourseTrainer.objects.filter(trainer=leave.trainer)
        .exclude(status=RosterStatus.INACTIVE)
        .values("course_id")
    )
    leads = (
        User.objects.filter(
            course_roles__course_id__in=courses,
            course_roles__role=RosterRole.LEAD,
            course_roles__status=RosterStatus.ACTIVE,
            is_active=True,
        )
        .exclude(pk=leave.trainer_id)
        .distinct()
        .order_by("pk")
    )
    notify(
        recipients=leads,
        event="leave_recorded",
        context={"leave": leave, "trainer": leave.trainer},
        url=reverse("console:leave_detail", kwargs={"pk": leave.pk}),
    )
