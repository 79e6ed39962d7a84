"""Writes to the holiday calendar: platform holidays and closures of a course or a batch."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext

from accounts.models import User
from allocation import notices
from allocation.models import (
    HELD_SESSION_STATUSES,
    OPEN_BATCH_STATUSES,
    Batch,
    ClassSession,
    Course,
    Holiday,
    SessionStatus,
    TrainerBooking,
)
from allocation.selectors.batches import batch_roster
from core.errors import DomainError, full_clean_or_refuse
from core.timezones import zone


@dataclass(frozen=True)
class HolidayResult:
    """The holiday made, and the held sessions it cancelled."""

    holiday: Holiday
    cancelled: list[ClassSession] = field(default_factory=list)


@transaction.atomic
def holiday_create(
    *,
    name: str,
    start_date: dt.date,
    end_date: dt.date,
    created_by: User,
    course: Course | None = None,
    batch: Batch | None = None,
) -> HolidayResult:
    """Add a platform holiday (no course, no batch) or a closure of one course or one batch.

    Sessions generated later skip its dates. The held sessions of Active/Upcoming batches it
    applies to whose date (in the batch's zone) falls in it are cancelled now, with the
    holiday's name as the reason, their bookings freed, and their students and trainers
    notified (one message per batch); the admin may add make-up sessions (``session_add``).
    Locks the affected batches' rows in primary-key order, then their sessions. Refuses an
    empty name, an end before the start, and a closure for both a course and a batch.
    """
    name = (name or "").strip()
    if not name:
        raise DomainError(gettext("A holiday needs a name"), field="name")
    if end_date < start_date:
        raise DomainError(
            gettext("The holiday must end on or after its first day"), field="end_date"
        )
    if course is not None and batch is not None:
        raise DomainError(
            gettext("A closure is for a course or for a batch, not both"), field="batch"
        )
    holiday = Holiday(
        name=name,
        start_date=start_date,
        end_date=end_date,
        course=course,
        batch=batch,
        created_by=created_by,
    )
    full_clean_or_refuse(holiday, exclude=["created_by"])
    holiday.save()
    # A session's date is read in its batch's zone; a day's margin each side finds every
    # session that can fall on the holiday in any zone, and the exact test is below.
    # (Clamped, so that a range at the calendar's edge overflows nothing.)
    low_day = max(start_date, dt.date.min + dt.timedelta(days=1)) - dt.timedelta(days=1)
    high_day = min(end_date, dt.date.max - dt.timedelta(days=2)) + dt.timedelta(days=2)
    low = dt.datetime.combine(low_day, dt.time(), tzinfo=dt.UTC)
    high = dt.datetime.combine(high_day, dt.time(), tzinfo=dt.UTC)
    scope = Q(batch__status__in=OPEN_BATCH_STATUSES)
    if batch is not None:
        scope &= Q(batch=batch)
    elif course is not None:
        scope &= Q(batch__course=course)
    batch_ids = sorted(
        set(
            ClassSession.objects.filter(
                scope, status__in=HELD_SESSION_STATUSES, start_at__gte=low, start_at__lt=high
            ).values_list("batch_id", flat=True)
        )
    )
    if not batch_ids:
        return HolidayResult(holiday)
    batches = {
        b.pk: b
        for b in Batch.objects.select_for_update(of=("self",))
        .filter(pk__in=batch_ids, status__in=OPEN_BATCH_STATUSES)
        .order_by("pk")
    }
    hit: dict[int, list[ClassSession]] = {}
    for session in (
        ClassSession.objects.select_for_update(of=("self",))
        .filter(
            batch_id__in=list(batches),
            status__in=HELD_SESSION_STATUSES,
            start_at__gte=low,
            start_at__lt=high,
        )
        .order_by("pk")
    ):
        batch_of = batches[session.batch_id]
        day = session.start_at.astimezone(zone(batch_of.time_zone)).date()
        if start_date <= day <= end_date:
            session.batch = batch_of
            hit.setdefault(session.batch_id, []).append(session)
    cancelled = [s for sessions in hit.values() for s in sessions]
    if not cancelled:
        return HolidayResult(holiday)
    ids = [s.pk for s in cancelled]
    teachers: dict[int, set[int]] = {}
    for batch_id, trainer_id in TrainerBooking.objects.filter(session_id__in=ids).values_list(
        "batch_id", "trainer_id"
    ):
        teachers.setdefault(batch_id, set()).add(trainer_id)
    reason = name[:300]
    ClassSession.objects.filter(pk__in=ids).update(
        status=SessionStatus.CANCELLED, reason=reason, holiday=holiday, locked=True
    )
    TrainerBooking.objects.filter(session_id__in=ids).delete()
    users = User.objects.in_bulk({t for ts in teachers.values() for t in ts})
    for batch_id, sessions in sorted(hit.items()):
        for session in sessions:
            session.status, session.reason = SessionStatus.CANCELLED, reason
            session.holiday, session.locked = holiday, True
        sessions.sort(key=lambda s: s.start_at)
        notices.holiday_cancelled(
            holiday,
            batches[batch_id],
            sessions,
            students=[e.student for e in batch_roster(batches[batch_id])],
            trainers=[users[t] for t in sorted(teachers.get(batch_id, ()))],
        )
    cancelled.sort(key=lambda s: (s.start_at, s.pk))
    return HolidayResult(holiday, cancelled)


@transaction.atomic
def holiday_delete(*, holiday: Holiday, deleted_by: User) -> None:
    """Remove a holiday. The sessions it cancelled stay cancelled (they may have been made up
    since); sessions generated from now on are made on its dates again. Locks the holiday's
    row; refuses a holiday deleted meanwhile."""
    locked = Holiday.objects.select_for_update(of=("self",)).filter(pk=holiday.pk).first()
    if locked is None:
        raise DomainError(gettext("This holiday no longer exists"))
    locked.delete()
