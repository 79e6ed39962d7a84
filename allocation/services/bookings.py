"""Trainer bookings: who teaches each held session, derived and kept in step.

A module of its own because every writer of sessions, staffing and cover calls it (batches,
staffing, cover, sessions, holidays), and it calls none of them.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.utils.translation import gettext

from allocation.models import (
    HELD_SESSION_STATUSES,
    OPEN_BATCH_STATUSES,
    Batch,
    BatchTrainer,
    BookingRole,
    ClassSession,
    SessionCover,
    StaffRole,
    TrainerBooking,
)
from core.errors import DomainError


def session_staff(batch: Batch) -> dict[int, str]:
    """Who teaches every session of the batch before overrides and cover: the primary and the
    current assistants, by trainer id, with their booking role; one query."""
    staff = {batch.assigned_instructor_id: BookingRole.PRIMARY}
    for trainer_id in BatchTrainer.objects.filter(
        batch=batch, role=StaffRole.ASSISTANT, ended_at__isnull=True
    ).values_list("trainer_id", flat=True):
        staff.setdefault(trainer_id, BookingRole.ASSISTANT)
    return staff


def session_bookings(
    session: ClassSession, staff: dict[int, str], covers: Iterable[tuple[int, int]] = ()
) -> dict[int, str]:
    """Who teaches ``session``: the override (or the primary), the assistants, minus each
    covered absent trainer, plus their substitutes; by trainer id, with the booking role.
    ``covers`` are the session's (absent trainer id, substitute id) pairs."""
    who: dict[int, str] = {}
    for trainer_id, role in staff.items():
        if role == BookingRole.PRIMARY and session.instructor_override_id:
            trainer_id = session.instructor_override_id
        who.setdefault(trainer_id, role)
    for absent, substitute in covers:
        if who.pop(absent, None) is not None:
            who.setdefault(substitute, BookingRole.COVER)
    return who


def bookings_sync(*, batch: Batch, sessions: Iterable[ClassSession] | None = None) -> None:
    """Make the bookings of ``sessions`` (default: every session of ``batch``) match who
    teaches them now: the session's override or the batch's primary, the batch's current
    assistants, minus each covered absent trainer, plus their substitutes; none for a
    cancelled session or a Completed/Cancelled batch.

    Runs in the caller's transaction, which must already hold the locks of the trainers it
    books (their profiles) and have checked the teaching rule. Deletes the old rows and
    bulk-inserts the new; four queries. Should PostgreSQL's exclusion constraint still find a
    double-booking (data written around the services), the change is refused as a whole.
    """
    if sessions is None:
        TrainerBooking.objects.filter(batch=batch).delete()
        if batch.status not in OPEN_BATCH_STATUSES:
            return
        sessions = list(ClassSession.objects.filter(batch=batch))
    else:
        sessions = list(sessions)
        TrainerBooking.objects.filter(session_id__in=[s.pk for s in sessions]).delete()
        if batch.status not in OPEN_BATCH_STATUSES:
            return
    held = [s for s in sessions if s.status in HELD_SESSION_STATUSES]
    if not held:
        return
    staff = session_staff(batch)
    covers: dict[int, list[tuple[int, int]]] = {}
    for session_id, absent, substitute in SessionCover.objects.filter(
        session_id__in=[s.pk for s in held]
    ).values_list("session_id", "absent_trainer_id", "substitute_id"):
        covers.setdefault(session_id, []).append((absent, substitute))
    rows = [
        TrainerBooking(
            trainer_id=trainer_id,
            session_id=session.pk,
            batch_id=batch.pk,
            role=role,
            start_at=session.start_at,
            end_at=session.end_at,
        )
        for session in held
        for trainer_id, role in session_bookings(session, staff, covers.get(session.pk, ())).items()
    ]
    try:
        with transaction.atomic():  # a savepoint: the caller's error is a clean refusal
            TrainerBooking.objects.bulk_create(rows, batch_size=2000)
    except IntegrityError as exc:
        raise DomainError(
            gettext(
                "A trainer of %(batch_code)s is already booked at one of its session times; "
                "reload the page and try again"
            )
            % {"batch_code": batch.batch_code},
            field="schedule",
            code="conflict",
        ) from exc
