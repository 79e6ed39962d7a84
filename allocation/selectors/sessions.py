"""Reads of the calendar: a batch's sessions, a user's sessions, who teaches a session,
holidays, and what holidays cost each batch.

Every list is in time order and already joined (batch, course, bookings with their
trainers), so a page or the API renders it in a fixed number of queries.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import QuerySet

from accounts.models import User
from allocation.models import Batch, ClassSession, Holiday


@dataclass(frozen=True)
class SessionTeacher:
    """Who teaches a session and as what: ``primary``, ``assistant`` or ``cover``."""

    trainer: User
    role: str


def batch_sessions(
    batch: Batch, *, start: dt.datetime | None = None, end: dt.datetime | None = None
) -> QuerySet[ClassSession]:
    """The batch's sessions (every status) overlapping ``[start, end)``, in time order, with
    their bookings and trainers prefetched."""
    raise NotImplementedError


def trainer_sessions(
    trainer: User, *, start: dt.datetime | None = None, end: dt.datetime | None = None
) -> QuerySet[ClassSession]:
    """The sessions the trainer teaches (booked as primary, assistant or cover) overlapping
    ``[start, end)``, in time order."""
    raise NotImplementedError


def student_sessions(
    student: User, *, start: dt.datetime | None = None, end: dt.datetime | None = None
) -> QuerySet[ClassSession]:
    """The sessions (every status: a cancelled one is news to a student) of the batches the
    student is actively enrolled in, overlapping ``[start, end)``, in time order."""
    raise NotImplementedError


def user_sessions(
    user: User, *, start: dt.datetime | None = None, end: dt.datetime | None = None
) -> QuerySet[ClassSession]:
    """The sessions the user teaches or learns in, overlapping ``[start, end)``, in time
    order (the API's ``GET /api/users/:id/sessions``)."""
    raise NotImplementedError


def session_teachers(session: ClassSession) -> list[SessionTeacher]:
    """Who teaches the session: its bookings (prefetched by the selectors above), or for a
    session without bookings (cancelled, or of a closed batch) who would have: the override
    or the batch's primary. Primary first, then assistants, then covers."""
    raise NotImplementedError


def sessions_lost_to_holidays(batch_ids: Iterable[int] | None = None) -> dict[int, int]:
    """How many sessions each batch lost to holidays and closures, by batch id (batches
    that lost none are absent); one query."""
    raise NotImplementedError


def holiday_list() -> QuerySet[Holiday]:
    """Every holiday and closure, by first day, with course and batch loaded."""
    raise NotImplementedError
