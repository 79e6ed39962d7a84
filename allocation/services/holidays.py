"""Writes to the holiday calendar: platform holidays and closures of a course or a batch."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction

from accounts.models import User
from allocation.models import Batch, ClassSession, Course, Holiday


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
    notified; the admin may add make-up sessions (``session_add``). Locks the affected
    batches' rows in primary-key order. Refuses an empty name, an end before the start, and
    a closure for both a course and a batch.
    """
    raise NotImplementedError


@transaction.atomic
def holiday_delete(*, holiday: Holiday, deleted_by: User) -> None:
    """Remove a holiday. The sessions it cancelled stay cancelled (they may have been made up
    since); sessions generated from now on are made on its dates again. Refuses a holiday
    deleted meanwhile."""
    raise NotImplementedError
