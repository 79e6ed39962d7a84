"""Reads of the calendar: a batch's sessions, a user's sessions, who teaches a session,
holidays, and what holidays cost each batch.

Every list is in time order and already joined (batch, course, bookings with their
trainers), so a page or the API renders it in a fixed number of queries.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, QuerySet

from accounts.models import User
from allocation.models import Batch, BookingRole, ClassSession, Holiday, TrainerBooking


@dataclass(frozen=True)
class SessionTeacher:
    """Who teaches a session and as what: ``primary``, ``assistant`` or ``cover``."""

    trainer: User
    role: str


_ROLE_ORDER = {BookingRole.PRIMARY: 0, BookingRole.ASSISTANT: 1, BookingRole.COVER: 2}


def _sessions(start: dt.datetime | None, end: dt.datetime | None) -> QuerySet[ClassSession]:
    """Sessions overlapping ``[start, end)`` in time order, with batch, course, its primary,
    the override and the bookings' trainers loaded: three queries for any number."""
    return (
        ClassSession.objects.between(start, end)
        .select_related(
            "batch__course", "batch__assigned_instructor", "instructor_override", "holiday"
        )
        .prefetch_related(
            Prefetch(
                "bookings",
                queryset=TrainerBooking.objects.select_related("trainer").order_by("pk"),
            )
        )
        .order_by("start_at", "pk")
    )


def batch_sessions_of_any() -> QuerySet[ClassSession]:
    """Every session, joined and prefetched like the lists below (for one by id)."""
    return _sessions(None, None)


def batch_sessions(
    batch: Batch, *, start: dt.datetime | None = None, end: dt.datetime | None = None
) -> QuerySet[ClassSession]:
    """The batch's sessions (every status) overlapping ``[start, end)``, in time order, with
    their bookings and trainers prefetched."""
    return _sessions(start, end).filter(batch=batch)


def trainer_sessions(
    trainer: User, *, start: dt.datetime | None = None, end: dt.datetime | None = None
) -> QuerySet[ClassSession]:
    """The sessions the trainer teaches (booked as primary, assistant or cover) overlapping
    ``[start, end)``, in time order."""
    return _sessions(start, end).filter(
        pk__in=TrainerBooking.objects.filter(trainer=trainer).values("session_id")
    )


def _learning(student: User) -> Q:
    # Through the reverse relation to enrollments (which depends on this app); "active" is
    # EnrollmentStatus.ACTIVE.
    return Q(
        batch__in=Batch.objects.filter(
            enrollments__student=student, enrollments__status="active"
        ).values("pk")
    )


def student_sessions(
    student: User, *, start: dt.datetime | None = None, end: dt.datetime | None = None
) -> QuerySet[ClassSession]:
    """The sessions (every status: a cancelled one is news to a student) of the batches the
    student is actively enrolled in, overlapping ``[start, end)``, in time order."""
    return _sessions(start, end).filter(_learning(student))


def user_sessions(
    user: User, *, start: dt.datetime | None = None, end: dt.datetime | None = None
) -> QuerySet[ClassSession]:
    """The sessions the user teaches or learns in, overlapping ``[start, end)``, in time
    order (the API's ``GET /api/users/:id/sessions``)."""
    teaching = Q(pk__in=TrainerBooking.objects.filter(trainer=user).values("session_id"))
    return _sessions(start, end).filter(teaching | _learning(user))


def session_teachers(session: ClassSession) -> list[SessionTeacher]:
    """Who teaches the session: its bookings (prefetched by the selectors above), or for a
    session without bookings (cancelled, or of a closed batch) who would have: the override
    or the batch's primary. Primary first, then assistants, then covers."""
    bookings = list(session.bookings.all())
    if not bookings:
        trainer = session.instructor_override or session.batch.assigned_instructor
        return [SessionTeacher(trainer, BookingRole.PRIMARY)]
    bookings.sort(key=lambda b: (_ROLE_ORDER.get(b.role, 3), b.trainer.full_name, b.pk))
    return [SessionTeacher(b.trainer, b.role) for b in bookings]


def sessions_lost_to_holidays(batch_ids: Iterable[int] | None = None) -> dict[int, int]:
    """How many sessions each batch lost to holidays and closures, by batch id (batches
    that lost none are absent): the cancelled sessions whose holiday is still on the
    calendar. One query."""
    lost = ClassSession.objects.filter(status="cancelled", holiday__isnull=False)
    if batch_ids is not None:
        lost = lost.filter(batch_id__in=list(batch_ids))
    return dict(
        lost.order_by().values_list("batch_id").annotate(n=Count("*")).values_list("batch_id", "n")
    )


def holiday_list() -> QuerySet[Holiday]:
    """Every holiday and closure, by first day, with course and batch loaded."""
    return Holiday.objects.select_related("course", "batch", "created_by").order_by(
        "start_date", "name", "pk"
    )
