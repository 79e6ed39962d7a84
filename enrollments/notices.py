"""Who hears about which enrollment change: the student, with their batch's schedule and
instructor. Called by the services inside their transaction (emails go once it commits)."""

from __future__ import annotations

from django.urls import reverse

from notifications.context import Related
from notifications.services import notify

from .models import Enrollment


def batch_context(batch) -> dict:
    if batch is None:
        return {"batch": None, "schedule": [], "instructor": None}
    return {
        "batch": batch,
        "schedule": Related(batch, "schedule"),  # read by the worker, not in the request
        "instructor": batch.assigned_instructor,
    }


def enrolled(enrollment: Enrollment) -> None:
    """The welcome: course, batch, weekly schedule and instructor."""
    notify(
        recipients=[enrollment.student],
        event="enrollment_created",
        context={"enrollment": enrollment, **batch_context(enrollment.batch)},
        url=reverse("student:schedule"),
    )


def cancelled(enrollment: Enrollment) -> None:
    notify(
        recipients=[enrollment.student],
        event="enrollment_cancelled",
        context={"enrollment": enrollment, "batch": enrollment.batch},
        url=reverse("student:schedule"),
    )


def transferred(enrollment: Enrollment, from_batch) -> None:
    """The new batch's schedule and instructor, naming the batch the student left."""
    notify(
        recipients=[enrollment.student],
        event="enrollment_transferred",
        context={
            "enrollment": enrollment,
            "from_batch": from_batch,
            **batch_context(enrollment.batch),
        },
        url=reverse("student:schedule"),
    )
