"""Reads of leave and substitute cover: the sessions a leave hits, who may cover them, and
what is still uncovered.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db.models import QuerySet

from accounts.models import User
from allocation.eligibility import (
    Interval,
    Plan,
    profile_of,
    teaching_contexts,
    teaching_refusal,
    when_text,
)
from allocation.models import (
    HELD_SESSION_STATUSES,
    OPEN_BATCH_STATUSES,
    Batch,
    BatchTrainer,
    ClassSession,
    CourseTrainer,
    SessionCover,
    StaffRole,
    SubstituteCover,
    TrainerBooking,
)
from core import dates
from core.timezones import zone


@dataclass(frozen=True)
class SubstituteCandidate:
    trainer: User
    rank: int  # 0 backups of the batch, 1 the course's substitutes, 2 other course trainers
    why: str  # why they are ranked where they are
    refusal: str  # empty when substitute_assign would accept them
    open_batches: int

    @property
    def eligible(self) -> bool:
        return not self.refusal


def substitute_candidates(
    batch: Batch,
    start_date: dt.date,
    end_date: dt.date,
    *,
    absent_trainer: User | None = None,
    sessions: Sequence[ClassSession] | None = None,
) -> list[SubstituteCandidate]:
    """Who could cover ``batch`` from ``start_date`` to ``end_date``, best first.

    The sessions to cover are ``sessions``, else the absent trainer's uncovered held
    sessions of the batch on those dates (every held session without an absent trainer).
    The pool is the batch's backups (ranked first), then the course's substitutes, then its
    other roster trainers, each with the reason for its rank; within a rank the less loaded
    come first. Those who would be refused (inactive, on leave during the dates, at their cap,
    unavailable or busy at one of those sessions) follow, each with the reason.
    """
    return substitute_candidates_many(
        [(batch, start_date, end_date)],
        absent_trainer=absent_trainer,
        sessions=None if sessions is None else [list(sessions)],
    )[0]


def _sessions_to_cover(
    requests: Sequence[tuple[Batch, dt.date, dt.date]], absent_trainer: User | None
) -> list[list]:
    """For each (batch, first day, last day): its held sessions on those days (in its zone)
    that ``absent_trainer`` is booked to teach, or every held one without an absent trainer;
    one query."""
    lows, highs = [], []
    for batch, start, end in requests:
        tz = zone(batch.time_zone)
        lows.append(dt.datetime.combine(start, dt.time(), tzinfo=tz))
        highs.append(dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tzinfo=tz))
    rows = ClassSession.objects.filter(
        batch_id__in={batch.pk for batch, _, _ in requests},
        status__in=HELD_SESSION_STATUSES,
        start_at__gte=min(lows),
        start_at__lt=max(highs),
    ).order_by("start_at", "pk")
    if absent_trainer is not None:
        rows = rows.filter(bookings__trainer=absent_trainer)
    by_batch: dict[int, list] = {}
    for session in rows:
        by_batch.setdefault(session.batch_id, []).append(session)
    return [
        [s for s in by_batch.get(batch.pk, ()) if low <= s.start_at < high]
        for (batch, _, _), low, high in zip(requests, lows, highs, strict=True)
    ]


def substitute_candidates_many(
    requests: Sequence[tuple[Batch, dt.date, dt.date]],
    *,
    absent_trainer: User | None = None,
    sessions: Sequence[Sequence[ClassSession]] | None = None,
) -> list[list[SubstituteCandidate]]:
    """``substitute_candidates`` for several (batch, first day, last day) at once (with, when
    given, the sessions to cover of each), in a fixed number of queries however many
    batches and roster trainers there are."""
    requests = list(requests)
    if not requests:
        return []
    if sessions is None:
        sessions = _sessions_to_cover(requests, absent_trainer)
    plans = [
        Plan([Interval(s.start_at, s.end_at, batch.time_zone, s.pk) for s in chosen])
        for (batch, _, _), chosen in zip(requests, sessions, strict=True)
    ]
    rosters: dict[int, dict[int, CourseTrainer]] = {}
    for entry in CourseTrainer.objects.filter(
        course_id__in={batch.course_id for batch, _, _ in requests}
    ).select_related("trainer__trainer_profile"):
        rosters.setdefault(entry.course_id, {})[entry.trainer_id] = entry
    backups: dict[int, dict[int, User]] = {}
    for row in BatchTrainer.objects.filter(
        batch_id__in=[batch.pk for batch, _, _ in requests],
        role=StaffRole.BACKUP,
        ended_at__isnull=True,
    ).select_related("trainer__trainer_profile"):
        backups.setdefault(row.batch_id, {})[row.trainer_id] = row.trainer
    pools = []
    for batch, _, _ in requests:
        roster = rosters.get(batch.course_id, {})
        people = {**{pk: e.trainer for pk, e in roster.items()}, **backups.get(batch.pk, {})}
        if absent_trainer is not None:
            people.pop(absent_trainer.pk, None)
        pools.append(people)
    everyone = {pk: user for people in pools for pk, user in people.items()}
    contexts = teaching_contexts(
        [(batch, [], (start, end)) for batch, start, end in requests],
        everyone,
        profiles={pk: profile_of(user) for pk, user in everyone.items()},
        plans=plans,
    )
    results = []
    for (batch, _, _), people, context in zip(requests, pools, contexts, strict=True):
        roster = rosters.get(batch.course_id, {})
        candidates = []
        for pk, trainer in people.items():
            entry = roster.get(pk)
            if pk in backups.get(batch.pk, {}):
                rank, why = 0, "backup of this batch"
            elif entry is not None and entry.role == "substitute":
                rank, why = 1, "substitute on the course roster"
            else:
                rank, why = 2, f"{entry.get_role_display().lower()} on the course roster"
            refusal = teaching_refusal(context, trainer, newly_teaching=True, covering=True)
            candidates.append(
                SubstituteCandidate(
                    trainer=trainer,
                    rank=rank,
                    why=why,
                    refusal=refusal.message if refusal else "",
                    open_batches=context.open_batches.get(pk, 0),
                )
            )
        results.append(
            sorted(
                candidates,
                key=lambda c: (not c.eligible, c.rank, c.open_batches, c.trainer.full_name),
            )
        )
    return results


@dataclass(frozen=True)
class AffectedSession:
    """A session a leave hits: the trainer's role on it, and the cover teaching it, if any."""

    session: ClassSession
    batch: Batch
    role: str
    cover: SessionCover | None  # the per-session cover of the trainer's absence

    @property
    def covered(self) -> bool:
        return self.cover is not None

    @property
    def date(self) -> dt.date:
        """The session's date in its batch's zone."""
        return self.session.start_at.astimezone(zone(self.batch.time_zone)).date()

    @property
    def when(self) -> str:
        return when_text(self.session.start_at, self.session.end_at, self.batch.time_zone)


def _leave_window(leaves) -> tuple[dt.datetime, dt.datetime]:
    """UTC instants around the leaves' days with a day's margin each side: a session's date
    is read in its batch's zone, so the exact test is made per session."""
    # Clamped, so that a leave at the calendar's edge (year 1 or 9999) overflows nothing.
    first = max(min(leave.start_date for leave in leaves), dt.date.min + dt.timedelta(days=1))
    last = min(max(leave.end_date for leave in leaves), dt.date.max - dt.timedelta(days=2))
    first -= dt.timedelta(days=1)
    last += dt.timedelta(days=2)
    return (
        dt.datetime.combine(first, dt.time(), tzinfo=dt.UTC),
        dt.datetime.combine(last, dt.time(), tzinfo=dt.UTC),
    )


def _in_leave(leave, session: ClassSession, batch: Batch) -> bool:
    day = session.start_at.astimezone(zone(batch.time_zone)).date()
    return leave.start_date <= day <= leave.end_date


def leave_affected_sessions(leave) -> list[AffectedSession]:
    """Each held session of an Active/Upcoming batch that the leave hits (its date in the
    batch's zone within the leave) and that the trainer teaches or has covered, with the
    cover that teaches it, if any; in time order. Two queries."""
    low, high = _leave_window([leave])
    found = []
    for booking in TrainerBooking.objects.filter(
        trainer_id=leave.trainer_id,
        start_at__gte=low,
        start_at__lt=high,
        batch__status__in=OPEN_BATCH_STATUSES,
    ).select_related("session", "batch__course"):
        if _in_leave(leave, booking.session, booking.batch):
            found.append(AffectedSession(booking.session, booking.batch, booking.role, None))
    for cover in SessionCover.objects.filter(
        absent_trainer_id=leave.trainer_id,
        session__start_at__gte=low,
        session__start_at__lt=high,
        session__status__in=HELD_SESSION_STATUSES,
        session__batch__status__in=OPEN_BATCH_STATUSES,
    ).select_related("session__batch__course", "substitute"):
        batch = cover.session.batch
        if _in_leave(leave, cover.session, batch):
            role = (
                StaffRole.PRIMARY
                if batch.assigned_instructor_id == leave.trainer_id
                else StaffRole.ASSISTANT
            )
            found.append(AffectedSession(cover.session, batch, role, cover))
    found.sort(key=lambda a: (a.session.start_at, a.batch.batch_code, a.session.pk))
    return found


def leaves_with_uncovered_sessions(
    trainer_ids: Iterable[int], *, today: dt.date | None = None
) -> dict[int, object]:
    """Of the given trainers, those with a current or upcoming leave (ending today or later)
    that hits a session no substitute covers: trainer id -> the first such leave.

    The same sessions as ``leave_affected_sessions`` (an uncovered one is still booked to
    the trainer), for every trainer at once: one query when none of them has such a leave,
    two otherwise, however many trainers and leaves.
    """
    from trainers.models import TrainerLeave

    today = today or dates.today()
    leaves = list(
        TrainerLeave.objects.filter(trainer_id__in=list(trainer_ids), end_date__gte=today).order_by(
            "start_date", "pk"
        )
    )
    if not leaves:
        return {}
    low, high = _leave_window(leaves)
    booked: dict[int, list] = {}
    for trainer_id, start_at, time_zone in TrainerBooking.objects.filter(
        trainer_id__in={leave.trainer_id for leave in leaves},
        start_at__gte=low,
        start_at__lt=high,
        batch__status__in=OPEN_BATCH_STATUSES,
    ).values_list("trainer_id", "start_at", "batch__time_zone"):
        booked.setdefault(trainer_id, []).append(start_at.astimezone(zone(time_zone)).date())
    found: dict[int, object] = {}
    for leave in leaves:
        if leave.trainer_id in found:
            continue
        if any(
            leave.start_date <= day <= leave.end_date for day in booked.get(leave.trainer_id, ())
        ):
            found[leave.trainer_id] = leave
    return found


def trainer_covers(trainer: User, *, since: dt.date | None = None) -> QuerySet[SubstituteCover]:
    """Cover duties of a trainer ending on or after ``since`` (default today), soonest first."""
    since = since or dates.today()
    return (
        SubstituteCover.objects.filter(substitute=trainer, end_date__gte=since)
        .select_related("batch__course", "absent_trainer")
        .prefetch_related("batch__schedule")
        .order_by("start_date")
    )


def leave_list() -> QuerySet:
    """Every recorded leave with its trainer and recorder, latest start first."""
    from trainers.models import TrainerLeave

    return TrainerLeave.objects.select_related("trainer", "created_by").order_by(
        "-start_date", "trainer__full_name", "pk"
    )


@dataclass(frozen=True)
class LeaveBatch:
    """One batch a leave hits: its sessions in the leave, and who could cover the uncovered
    ones (``candidates``, ranked for exactly those sessions; empty once all are covered).
    ``start_date``/``end_date`` are the days of the first and last uncovered session."""

    batch: Batch
    role: str
    sessions: list[AffectedSession]
    start_date: dt.date
    end_date: dt.date
    candidates: list[SubstituteCandidate]

    @property
    def uncovered(self) -> list[AffectedSession]:
        return [s for s in self.sessions if not s.covered]

    @property
    def uncovered_count(self) -> int:
        return len(self.uncovered)

    @property
    def fully_covered(self) -> bool:
        return self.uncovered_count == 0


def leave_cover_plan(leave, sessions: list[AffectedSession] | None = None) -> list[LeaveBatch]:
    """The batches ``leave`` hits, in order of their first affected session, each with the
    ranked substitute candidates (``substitute_candidates``) for its uncovered sessions only:
    a partly covered batch offers the rest.

    Reads ``leave_affected_sessions`` unless ``sessions`` are given, then ranks the candidates
    of every batch still to cover together, in a fixed number of queries.
    """
    if sessions is None:
        sessions = leave_affected_sessions(leave)
    by_batch: dict[int, list[AffectedSession]] = {}
    for session in sessions:
        by_batch.setdefault(session.batch.pk, []).append(session)
    to_cover, chosen = [], []
    for batch_sessions in by_batch.values():
        uncovered = [s for s in batch_sessions if not s.covered]
        if uncovered:
            to_cover.append((batch_sessions[0].batch, uncovered[0].date, uncovered[-1].date))
            chosen.append([s.session for s in uncovered])
    ranked = iter(
        substitute_candidates_many(to_cover, absent_trainer=leave.trainer, sessions=chosen)
    )
    plan = []
    for batch_sessions in by_batch.values():
        uncovered = [s for s in batch_sessions if not s.covered]
        first, last = (uncovered or batch_sessions)[0], (uncovered or batch_sessions)[-1]
        plan.append(
            LeaveBatch(
                batch=batch_sessions[0].batch,
                role=batch_sessions[0].role,
                sessions=batch_sessions,
                start_date=first.date,
                end_date=last.date,
                candidates=next(ranked) if uncovered else [],
            )
        )
    return plan


def trainer_covered_absences(
    trainer: User, *, since: dt.date | None = None
) -> QuerySet[SubstituteCover]:
    """Covers of the trainer's own absences ending on or after ``since`` (default today),
    with the batch and the substitute loaded, soonest first."""
    since = since or dates.today()
    return (
        SubstituteCover.objects.filter(absent_trainer=trainer, end_date__gte=since)
        .select_related("batch", "substitute")
        .order_by("start_date", "pk")
    )


def trainer_availability(trainer: User) -> QuerySet:
    """The trainer's declared weekly availability windows (none: available at any time)."""
    from trainers.models import AvailabilityWindow

    return AvailabilityWindow.objects.filter(trainer=trainer).order_by("day", "start_time")
