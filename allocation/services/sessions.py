"""Writes to a batch's dated sessions: generation and regeneration from the weekly slots,
one-session changes (cancel, move, add), per-session cover, and the trainer bookings that
follow all of them.

Bookings (``TrainerBooking``) are derived rows: whoever teaches a held session of an open
batch has one, over the session's times. Every service that changes sessions, staffing or
cover calls ``bookings_sync`` in its own transaction, after it has locked the trainers'
profiles and checked the teaching rule, so the database's exclusion constraint (PostgreSQL)
only ever sees bookings the rule accepted; it is the backstop, not the message.

Notifications name the new time in each recipient's own zone (``User.time_zone``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db import transaction

from accounts.models import User
from allocation.models import Batch, ClassSession, SubstituteCover


@dataclass(frozen=True)
class Regeneration:
    """What ``batch_sessions_regenerate`` did: sessions made, re-timed and removed, and the
    locked sessions it kept although no slot or date of the batch makes them any more."""

    created: int = 0
    updated: int = 0
    deleted: int = 0
    kept: list[ClassSession] = field(default_factory=list)


@dataclass(frozen=True)
class SessionChange:
    """A session after a change, and the warnings that did not stop it (a student of the
    batch who now has two sessions at once)."""

    session: ClassSession
    warnings: list[str] = field(default_factory=list)


def bookings_sync(*, batch: Batch, sessions: Iterable[ClassSession] | None = None) -> None:
    """Make the bookings of ``sessions`` (default: every session of ``batch``) match who
    teaches them now: the session's override or the batch's primary, the batch's current
    assistants, minus each covered absent trainer, plus their substitutes; none for a
    cancelled session or a Completed/Cancelled batch.

    Runs in the caller's transaction, which must already hold the locks of the trainers it
    books (their profiles) and have checked the teaching rule: a booking the rule would
    refuse makes PostgreSQL's exclusion constraint raise ``IntegrityError``. Deletes the
    old rows and bulk-inserts the new; a fixed number of queries.
    """
    raise NotImplementedError


@transaction.atomic
def batch_sessions_regenerate(*, batch: Batch) -> Regeneration:
    """Make the batch's sessions match its slots, dates, time zone and holidays.

    The rule (README, "Sessions"): a regular session that is not locked is re-timed when its
    slot's time or the zone moved it, deleted when no slot or date makes it any more, and
    made when a slot and date have none; no session is made on a holiday or closure. A
    locked session (edited by hand: cancelled, moved, covered, given another teacher; or
    with attendance) is never deleted or re-timed: it is kept as it is and listed in
    ``Regeneration.kept`` when it no longer matches, for an admin to decide. Extra sessions
    are never touched. Then the bookings follow (``bookings_sync``).

    Locks the batch row. The caller (``batch_create``, ``batch_update``) has already locked
    the teaching trainers' profiles and checked them against the new sessions.
    """
    raise NotImplementedError


@transaction.atomic
def session_cancel(*, session: ClassSession, reason: str, cancelled_by: User) -> SessionChange:
    """Cancel one session with a reason; its trainers' bookings are freed.

    Locks the batch row, then the session row. Refuses an empty reason and a session that is
    already cancelled. Locks the session (regeneration keeps it). Notifies the batch's
    students and the session's trainers.
    """
    raise NotImplementedError


@transaction.atomic
def session_move(
    *,
    session: ClassSession,
    start_at: dt.datetime,
    end_at: dt.datetime,
    moved_by: User,
    reason: str = "",
) -> SessionChange:
    """Move one session to ``[start_at, end_at)`` (aware datetimes), keeping its original
    time (the first one, when moved again).

    Locks the profiles of the trainers who teach it (primary or override, assistants, cover
    substitutes) in primary-key order, then the batch row, then the session row. Each trainer
    must pass the teaching rule at the new time, as for a batch: status, leave on that date,
    declared availability, and no other booking that overlaps (half-open, real time, any
    batch in any zone), refused with a message naming the other batch and time. Refuses a
    naive or reversed time, one longer than ``MAX_SESSION_LENGTH``, a cancelled session and a
    batch that is Completed or Cancelled. A student of the batch who would have two sessions
    at once is a warning in the result, not a refusal. Locks the session and notifies the
    batch's students and the session's trainers with the new time in each one's zone.
    """
    raise NotImplementedError


@transaction.atomic
def session_add(
    *,
    batch: Batch,
    start_at: dt.datetime,
    end_at: dt.datetime,
    added_by: User,
    reason: str = "",
    room: str = "",
    meeting_url: str = "",
) -> SessionChange:
    """Add an extra session (a make-up for one lost to a holiday, or an extra class).

    Locks the profiles of the batch's teaching trainers in primary-key order, then the batch
    row. Refuses what ``session_move`` refuses at the new time (the same teaching rule), a
    batch that is Completed or Cancelled, and a bad room or link. Student clashes are
    warnings. Notifies the batch's students and trainers.
    """
    raise NotImplementedError


@transaction.atomic
def session_cover_assign(
    *,
    sessions: Sequence[ClassSession],
    absent_trainer: User,
    substitute: User,
    assigned_by: User,
) -> SubstituteCover:
    """Have ``substitute`` teach the chosen ``sessions`` (of one batch) for
    ``absent_trainer``; one ``SubstituteCover`` with a ``SessionCover`` per session.

    Locks the substitute's trainer profile, then the batch row, then the sessions. Refuses:
    no sessions, sessions of several batches, a cancelled session, an absent trainer who does
    not teach a session, a session already covered for them, a substitute who is not an
    active member of the course's roster, who is inactive or on leave on those dates, outside
    their availability, or already booked at one of those times (naming the other batch and
    time). The covered sessions are locked; the bookings move from the absent trainer to the
    substitute. Notifies the substitute, the absent trainer and the batch's students.
    """
    raise NotImplementedError
