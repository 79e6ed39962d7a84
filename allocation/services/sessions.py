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
from django.db.models import Q
from django.utils.translation import gettext

from accounts.models import User
from allocation import notices
from allocation.eligibility import (
    Interval,
    Plan,
    proposed_sessions,
    student_clashes,
    when_text,
)
from allocation.models import (
    HELD_SESSION_STATUSES,
    MAX_SESSION_LENGTH,
    OPEN_BATCH_STATUSES,
    Batch,
    BatchTrainer,
    BookingRole,
    ClassSession,
    CourseTrainer,
    Holiday,
    ScheduleSlot,
    SessionCover,
    SessionKind,
    SessionStatus,
    StaffRole,
    SubstituteCover,
    TrainerBooking,
)
from allocation.selectors.batches import batch_roster
from allocation.services.bookings import bookings_sync, session_staff
from allocation.services.checks import lock_batch, validate_instructor
from allocation.services.rosters import check_roster_active
from allocation.services.staffing import ensure_can_teach
from allocation.session_times import closed_days, occurrences
from core.errors import DomainError, full_clean_or_refuse
from core.timezones import zone
from trainers.services import trainers_lock
from webhooks.services import event_emit

__all__ = [
    "Regeneration",
    "SessionChange",
    "batch_sessions_regenerate",
    "bookings_sync",
    "session_add",
    "session_cancel",
    "session_cover_assign",
    "session_move",
    "sessions_generate_missing",
]


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


def _holidays_of(batch: Batch) -> list[Holiday]:
    """The holidays and closures over the batch's dates that apply to it; one query."""
    return list(
        Holiday.objects.filter(start_date__lte=batch.end_date, end_date__gte=batch.start_date)
        .filter(Q(course__isnull=True) | Q(course_id=batch.course_id))
        .filter(Q(batch__isnull=True) | Q(batch_id=batch.pk))
    )


def regeneration_plan(batch: Batch, slots: list | None = None) -> Plan:
    """What the batch's trainers would teach after ``batch_sessions_regenerate`` with
    ``slots`` (default: its saved ones) and its current dates and zone: the generated
    sessions, plus the locked and extra held sessions it keeps. Two queries."""
    slots = list(batch.schedule.all()) if slots is None else list(slots)
    intervals = proposed_sessions(batch, slots)
    if batch.pk is not None:
        kept = ClassSession.objects.filter(batch=batch, status__in=HELD_SESSION_STATUSES).exclude(
            kind=SessionKind.REGULAR, locked=False
        )
        intervals += [Interval(s.start_at, s.end_at, batch.time_zone, s.pk) for s in kept]
    return Plan(intervals, replaces_batch=True)


@transaction.atomic
def batch_sessions_regenerate(*, batch: Batch) -> Regeneration:
    """Make the batch's sessions match its slots, dates, time zone and holidays.

    The rule (README, "Sessions"): a regular session that is not locked is re-timed when its
    slot's time or the zone moved it, deleted when no slot or date makes it any more, and
    made when a slot and date have none; no session is made on a holiday or closure. A
    locked session (edited by hand: cancelled, moved, covered, given another teacher; or
    with attendance) is never deleted or re-timed: it is kept as it is and, when it is still
    held but no longer matches, listed in ``Regeneration.kept`` for an admin to decide (a
    cancelled one stays as the record of what was lost). Extra sessions are never touched.
    Then the bookings follow (``bookings_sync``).

    Locks the batch row. The caller (``batch_create``, ``batch_update``) has already locked
    the teaching trainers' profiles and checked them against the new sessions.
    """
    batch = lock_batch(batch)
    closed = closed_days(_holidays_of(batch), batch.start_date, batch.end_date)
    wanted = {
        o.key: o
        for o in occurrences(
            batch.schedule.all(),
            batch.start_date,
            batch.end_date,
            batch.time_zone,
            closed=closed.__contains__,
        )
    }
    existing = {
        (s.local_date, s.slot_start): s
        for s in ClassSession.objects.filter(batch=batch, kind=SessionKind.REGULAR)
    }
    stale, changed, kept = [], [], []
    for key, session in existing.items():
        occurrence = wanted.get(key)
        if session.locked:
            # A cancelled one stays as the record of what was lost, and books nobody.
            if occurrence is None and session.status in HELD_SESSION_STATUSES:
                kept.append(session)
        elif occurrence is None:
            stale.append(session.pk)
        elif (session.start_at, session.end_at, session.slot_end) != (
            occurrence.start_at,
            occurrence.end_at,
            occurrence.slot_end,
        ):
            session.start_at, session.end_at = occurrence.start_at, occurrence.end_at
            session.slot_end = occurrence.slot_end
            changed.append(session)
    if stale:
        ClassSession.objects.filter(pk__in=stale).delete()
    ClassSession.objects.bulk_update(changed, ["start_at", "end_at", "slot_end"], batch_size=2000)
    new = [
        ClassSession(
            batch=batch,
            start_at=o.start_at,
            end_at=o.end_at,
            local_date=o.local_date,
            slot_start=o.slot_start,
            slot_end=o.slot_end,
        )
        for key, o in wanted.items()
        if key not in existing
    ]
    ClassSession.objects.bulk_create(new, batch_size=2000)
    bookings_sync(batch=batch)
    kept.sort(key=lambda s: s.start_at)
    return Regeneration(created=len(new), updated=len(changed), deleted=len(stale), kept=kept)


@transaction.atomic
def sessions_generate_missing(*, batch_ids: Iterable[int] | None = None) -> int:
    """Give every batch (of ``batch_ids``, default all) that has no session yet its sessions
    and its trainers their bookings, in bulk: for data loaded around the services (a bulk
    import, the benchmarks' data set). Holidays and closures apply as in
    ``batch_sessions_regenerate``; conflicts are not checked (the data was accepted when it
    was loaded), but PostgreSQL's exclusion constraint still refuses a double-booking, and
    then nothing is written. Locks the batches in primary-key order. A fixed number of
    queries per 2,000 sessions; returns the number of sessions made."""
    batches = Batch.objects.select_for_update(of=("self",)).filter(sessions__isnull=True)
    if batch_ids is not None:
        batches = batches.filter(pk__in=list(batch_ids))
    batches = list(batches.order_by("pk"))
    if not batches:
        return 0
    ids = [b.pk for b in batches]
    slots: dict[int, list] = {}
    for slot in ScheduleSlot.objects.filter(batch_id__in=ids).order_by("day", "start_time"):
        slots.setdefault(slot.batch_id, []).append(slot)
    holidays = list(
        Holiday.objects.filter(
            start_date__lte=max(b.end_date for b in batches),
            end_date__gte=min(b.start_date for b in batches),
        )
    )
    new = []
    for batch in batches:
        mine = [h for h in holidays if h.applies_to(batch)]
        closed = closed_days(mine, batch.start_date, batch.end_date)
        new += [
            ClassSession(
                batch=batch,
                start_at=o.start_at,
                end_at=o.end_at,
                local_date=o.local_date,
                slot_start=o.slot_start,
                slot_end=o.slot_end,
            )
            for o in occurrences(
                slots.get(batch.pk, ()),
                batch.start_date,
                batch.end_date,
                batch.time_zone,
                closed=closed.__contains__,
            )
        ]
    ClassSession.objects.bulk_create(new, batch_size=2000)
    assistants: dict[int, set[int]] = {}
    for batch_id, trainer_id in BatchTrainer.objects.filter(
        batch_id__in=ids, role=StaffRole.ASSISTANT, ended_at__isnull=True
    ).values_list("batch_id", "trainer_id"):
        assistants.setdefault(batch_id, set()).add(trainer_id)
    by_pk = {b.pk: b for b in batches}
    bookings = []
    for session in new:
        batch = by_pk[session.batch_id]
        if batch.status not in OPEN_BATCH_STATUSES:
            continue
        staff = {batch.assigned_instructor_id: BookingRole.PRIMARY}
        for trainer_id in assistants.get(batch.pk, ()):
            staff.setdefault(trainer_id, BookingRole.ASSISTANT)
        bookings += [
            TrainerBooking(
                trainer_id=trainer_id,
                session=session,
                batch=batch,
                role=role,
                start_at=session.start_at,
                end_at=session.end_at,
            )
            for trainer_id, role in staff.items()
        ]
    TrainerBooking.objects.bulk_create(bookings, batch_size=2000)
    return len(new)


def _check_times(start_at: dt.datetime, end_at: dt.datetime) -> None:
    if not isinstance(start_at, dt.datetime) or not isinstance(end_at, dt.datetime):
        raise DomainError(gettext("Give the start and end as date and time"), field="start_at")
    if start_at.tzinfo is None or end_at.tzinfo is None:
        raise DomainError(
            gettext("Give the start and end with their time zone or UTC offset"), field="start_at"
        )
    if end_at <= start_at:
        raise DomainError(gettext("A session must end after it starts"), field="end_at")
    if end_at - start_at > MAX_SESSION_LENGTH:
        hours = int(MAX_SESSION_LENGTH.total_seconds() // 3600)
        raise DomainError(
            gettext("A session lasts at most %(hours)s hours") % {"hours": hours}, field="end_at"
        )


def _check_open(batch: Batch) -> None:
    if batch.status not in OPEN_BATCH_STATUSES:
        raise DomainError(
            gettext("Batch %(batch_code)s is %(status)s; its sessions no longer change")
            % {"batch_code": batch.batch_code, "status": batch.status},
            code="batch_closed",
        )


def _lock_session(session: ClassSession) -> ClassSession:
    try:
        return (
            ClassSession.objects.select_for_update(of=("self",))
            .select_related("batch")
            .get(pk=session.pk)
        )
    except ClassSession.DoesNotExist:
        raise DomainError(gettext("This session no longer exists")) from None


def _teachers(session: ClassSession) -> list[User]:
    """Who is booked to teach the session, in primary-key order."""
    return list(User.objects.filter(bookings__session=session).order_by("pk"))


def _check_teachers(batch: Batch, trainers: list[User], profiles: dict, interval: Interval) -> None:
    """The teaching rule for each trainer at ``interval`` (one day: leave on that day)."""
    day = interval.start_at.astimezone(zone(batch.time_zone)).date()
    for trainer in trainers:
        ensure_can_teach(
            trainer=trainer,
            profile=profiles[trainer.pk],
            batch=batch,
            slots=[],
            newly_teaching=True,
            date_range=(day, day),
            covering=True,
            plan=Plan([interval]),
        )


def _students(batch: Batch) -> list[User]:
    return [e.student for e in batch_roster(batch)]


@transaction.atomic
def session_cancel(*, session: ClassSession, reason: str, cancelled_by: User) -> SessionChange:
    """Cancel one session with a reason; its trainers' bookings are freed.

    Locks the batch row, then the session row. Refuses an empty reason and a session that is
    already cancelled. Locks the session (regeneration keeps it). Notifies the batch's
    students and the session's trainers.
    """
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(gettext("Give a reason for cancelling the session"), field="reason")
    lock_batch(session.batch)
    session = _lock_session(session)
    if session.status == SessionStatus.CANCELLED:
        raise DomainError(gettext("This session is already cancelled"), field="status")
    trainers = _teachers(session) or [
        session.instructor_override or session.batch.assigned_instructor
    ]
    session.status = SessionStatus.CANCELLED
    session.reason = reason
    session.locked = True
    full_clean_or_refuse(session)
    session.save()
    TrainerBooking.objects.filter(session=session).delete()
    notices.session_cancelled(session, students=_students(session.batch), trainers=trainers)
    return SessionChange(session)


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
    _check_times(start_at, end_at)
    trainers = _teachers(session)
    profiles = trainers_lock(*trainers)
    batch = lock_batch(session.batch)
    session = _lock_session(session)
    _check_open(batch)
    if session.status == SessionStatus.CANCELLED:
        raise DomainError(
            gettext("A cancelled session cannot be moved; add a make-up session instead"),
            field="status",
        )
    if {t.pk for t in _teachers(session)} != set(profiles):
        raise DomainError(gettext("Who teaches this session changed meanwhile; try again"))
    if (session.start_at, session.end_at) == (start_at, end_at):
        raise DomainError(gettext("The session is already at that time"), field="start_at")
    interval = Interval(start_at, end_at, batch.time_zone, session.pk)
    _check_teachers(batch, trainers, profiles, interval)
    warnings = student_clashes(batch, [interval], exclude_session_id=session.pk)
    before = (session.start_at, session.end_at)
    if session.original_start_at is None:
        session.original_start_at, session.original_end_at = before
    session.start_at, session.end_at = start_at.astimezone(dt.UTC), end_at.astimezone(dt.UTC)
    session.status = SessionStatus.MOVED
    session.reason = (reason or "").strip()
    session.locked = True
    full_clean_or_refuse(session)
    session.save()
    bookings_sync(batch=batch, sessions=[session])
    notices.session_moved(session, before=before, students=_students(batch), trainers=trainers)
    return SessionChange(session, warnings)


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
    _check_times(start_at, end_at)
    staff = session_staff(batch)
    trainers = list(User.objects.filter(pk__in=staff).order_by("pk"))
    profiles = trainers_lock(*trainers)
    batch = lock_batch(batch)
    _check_open(batch)
    if set(session_staff(batch)) != set(profiles):
        raise DomainError(gettext("The batch's staffing changed meanwhile; try again"))
    interval = Interval(start_at, end_at, batch.time_zone)
    _check_teachers(batch, trainers, profiles, interval)
    warnings = student_clashes(batch, [interval])
    session = ClassSession(
        batch=batch,
        start_at=start_at.astimezone(dt.UTC),
        end_at=end_at.astimezone(dt.UTC),
        kind=SessionKind.EXTRA,
        local_date=start_at.astimezone(zone(batch.time_zone)).date(),
        reason=(reason or "").strip(),
        room=(room or "").strip(),
        meeting_url=(meeting_url or "").strip(),
        locked=True,
    )
    full_clean_or_refuse(session)
    session.save()
    bookings_sync(batch=batch, sessions=[session])
    notices.session_added(session, students=_students(batch), trainers=trainers)
    return SessionChange(session, warnings)


def cover_sessions(
    *,
    batch: Batch,
    sessions: Sequence[ClassSession],
    absent_trainer: User,
    substitute: User,
    profile,
    assigned_by: User,
    dates: tuple[dt.date, dt.date] | None = None,
) -> SubstituteCover:
    """The body of a cover, shared by ``session_cover_assign`` and ``substitute_assign``: the
    caller holds the substitute's profile lock and the batch row lock, and passes the
    sessions locked, of that batch, in time order. ``dates`` (a date-range cover) are the
    days the cover is recorded for and the substitute must not be on leave; by default the
    days of the first and last session."""
    if not sessions:
        raise DomainError(
            gettext("%(absent_trainer)s has no session of %(batch_code)s to cover there")
            % {"absent_trainer": absent_trainer.display_name, "batch_code": batch.batch_code},
            field="sessions",
        )
    for session in sessions:
        if session.batch_id != batch.pk:
            raise DomainError(
                gettext("The sessions to cover must be of one batch"), field="sessions"
            )
        if session.status == SessionStatus.CANCELLED:
            raise DomainError(
                gettext("The session of %(when)s is cancelled") % {"when": _when(session)},
                field="sessions",
            )
    ids = [s.pk for s in sessions]
    covered = (
        SessionCover.objects.filter(session_id__in=ids, absent_trainer=absent_trainer)
        .select_related("substitute", "session__batch")
        .first()
    )
    if covered is not None:
        raise DomainError(
            gettext("%(substitute)s already covers %(absent_trainer)s on %(when)s")
            % {
                "substitute": covered.substitute.display_name,
                "absent_trainer": absent_trainer.display_name,
                "when": _when(covered.session),
            },
            field="sessions",
        )
    taught = set(
        TrainerBooking.objects.filter(session_id__in=ids, trainer=absent_trainer).values_list(
            "session_id", flat=True
        )
    )
    for session in sessions:
        if session.pk not in taught:
            raise DomainError(
                gettext("%(absent_trainer)s does not teach %(batch_code)s on %(when)s")
                % {
                    "absent_trainer": absent_trainer.display_name,
                    "batch_code": batch.batch_code,
                    "when": _when(session),
                },
                field="absent_trainer",
            )
    already = (
        TrainerBooking.objects.filter(session_id__in=ids, trainer=substitute)
        .select_related("session__batch")
        .first()
    )
    if already is not None:
        raise DomainError(
            gettext("%(substitute)s already teaches %(batch_code)s on %(when)s")
            % {
                "substitute": substitute.display_name,
                "batch_code": batch.batch_code,
                "when": _when(already.session),
            },
            field="substitute",
        )
    check_roster_active(
        CourseTrainer.objects.filter(course_id=batch.course_id, trainer=substitute).first(),
        substitute,
        batch.course,
    )
    tz = zone(batch.time_zone)
    first, last = dates or (
        min(s.start_at for s in sessions).astimezone(tz).date(),
        max(s.start_at for s in sessions).astimezone(tz).date(),
    )
    ensure_can_teach(
        trainer=substitute,
        profile=profile,
        batch=batch,
        slots=[],
        newly_teaching=True,
        date_range=(first, last),
        covering=True,
        plan=Plan([Interval(s.start_at, s.end_at, batch.time_zone, s.pk) for s in sessions]),
    )
    cover = SubstituteCover(
        batch=batch,
        absent_trainer=absent_trainer,
        substitute=substitute,
        start_date=first,
        end_date=last,
        assigned_by=assigned_by,
    )
    full_clean_or_refuse(cover)
    cover.save()
    SessionCover.objects.bulk_create(
        [
            SessionCover(
                cover=cover,
                session=s,
                absent_trainer=absent_trainer,
                substitute=substitute,
            )
            for s in sessions
        ]
    )
    ClassSession.objects.filter(pk__in=ids).update(locked=True)
    for session in sessions:
        session.locked = True
    bookings_sync(batch=batch, sessions=sessions)
    notices.cover_assigned(cover, students=_students(batch), sessions=list(sessions))
    event_emit(
        type="cover.assigned",
        data={
            "cover": cover.pk,
            "batch": cover.batch_id,
            "substitute": cover.substitute_id,
            "absent_trainer": cover.absent_trainer_id,
            "sessions": [session.pk for session in sessions],
        },
    )
    return cover


def _when(session: ClassSession) -> str:
    return when_text(session.start_at, session.end_at, session.batch.time_zone)


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
    sessions = list(sessions)
    if not sessions:
        raise DomainError(gettext("Choose the sessions to cover"), field="sessions")
    if substitute.pk == absent_trainer.pk:
        raise DomainError(gettext("A trainer cannot cover for themselves"), field="substitute")
    if len({s.batch_id for s in sessions}) > 1:
        raise DomainError(gettext("The sessions to cover must be of one batch"), field="sessions")
    validate_instructor(substitute)
    profile = trainers_lock(substitute)[substitute.pk]
    batch = lock_batch(sessions[0].batch)
    _check_open(batch)
    locked = list(
        ClassSession.objects.select_for_update(of=("self",))
        .select_related("batch")
        .filter(pk__in=sorted(s.pk for s in sessions))
        .order_by("pk")
    )
    if len(locked) != len({s.pk for s in sessions}):
        raise DomainError(gettext("A session to cover no longer exists"), field="sessions")
    locked.sort(key=lambda s: (s.start_at, s.pk))
    return cover_sessions(
        batch=batch,
        sessions=locked,
        absent_trainer=absent_trainer,
        substitute=substitute,
        profile=profile,
        assigned_by=assigned_by,
    )
