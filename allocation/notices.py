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


def cover_assigned(cover, students) -> None:
    """To the substitute, the absent trainer and the batch's active students."""
    batch = cover.batch
    context = {"cover": cover, "batch": batch, "schedule": _schedule(batch)}
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
