"""Reads of leave and substitute cover: the sessions a leave hits, who may cover them, and
what is still uncovered.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db.models import QuerySet

from accounts.models import User
from allocation.eligibility import profile_of, teaching_contexts, teaching_refusal
from allocation.models import (
    OPEN_BATCH_STATUSES,
    TEACHING_ROLES,
    Batch,
    BatchTrainer,
    CourseTrainer,
    ScheduleSlot,
    StaffRole,
    SubstituteCover,
)
from core import dates


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
) -> list[SubstituteCandidate]:
    """Who could cover ``batch`` from ``start_date`` to ``end_date``, best first.

    The pool is the batch's backups (ranked first), then the course's substitutes, then its
    other roster trainers, each with the reason for its rank; within a rank the less loaded
    come first. Those who would be refused (inactive, on leave during the dates, at their cap,
    unavailable or busy at those times) follow, each with the reason.
    """
    return substitute_candidates_many(
        [(batch, start_date, end_date)], absent_trainer=absent_trainer
    )[0]


def substitute_candidates_many(
    requests: Sequence[tuple[Batch, dt.date, dt.date]], *, absent_trainer: User | None = None
) -> list[list[SubstituteCandidate]]:
    """``substitute_candidates`` for several (batch, first day, last day) at once, in a fixed
    number of queries however many batches and roster trainers there are."""
    requests = list(requests)
    if not requests:
        return []
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
        [(batch, list(batch.schedule.all()), (start, end)) for batch, start, end in requests],
        everyone,
        profiles={pk: profile_of(user) for pk, user in everyone.items()},
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
    date: dt.date
    batch: Batch
    slot: ScheduleSlot
    role: str
    cover: object | None  # the SubstituteCover teaching it, if one does

    @property
    def covered(self) -> bool:
        return self.cover is not None


def _teaching_rows_in_leaves(trainer_ids: Iterable[int], first: dt.date, last: dt.date):
    """Current teaching roles of the trainers on Active/Upcoming batches that overlap
    ``first``..``last``, with batch, course and slots loaded; two queries."""
    return list(
        BatchTrainer.objects.filter(
            trainer_id__in=trainer_ids,
            role__in=TEACHING_ROLES,
            ended_at__isnull=True,
            batch__status__in=OPEN_BATCH_STATUSES,
            batch__start_date__lte=last,
            batch__end_date__gte=first,
        )
        .select_related("batch__course")
        .prefetch_related("batch__schedule")
    )


def _sessions_in_leave(leave, roles: Iterable[BatchTrainer], covers: Iterable) -> list:
    """The sessions of ``roles`` (the leave's trainer's) that ``leave`` hits, each with the
    cover of the trainer's absence that teaches it, if any; no queries, in date order."""
    sessions = []
    covers = [c for c in covers if c.absent_trainer_id == leave.trainer_id]
    for role in roles:
        batch = role.batch
        if role.trainer_id != leave.trainer_id:
            continue
        first = max(leave.start_date, batch.start_date)
        last = min(leave.end_date, batch.end_date)
        slots_by_day: dict[int, list] = {}
        for slot in batch.schedule.all():
            slots_by_day.setdefault(slot.day, []).append(slot)
        day = first
        while day <= last:
            for slot in slots_by_day.get(day.weekday(), ()):
                cover = next(
                    (
                        c
                        for c in covers
                        if c.batch_id == batch.pk and c.start_date <= day <= c.end_date
                    ),
                    None,
                )
                sessions.append(AffectedSession(day, batch, slot, role.role, cover))
            day += dt.timedelta(days=1)
    sessions.sort(key=lambda s: (s.date, s.slot.start_time, s.batch.batch_code))
    return sessions


def leave_affected_sessions(leave) -> list[AffectedSession]:
    """Each session (date + slot) of the trainer's Active/Upcoming teaching that the leave
    hits, with the cover that teaches it, if any; in date order. Three queries."""
    roles = _teaching_rows_in_leaves([leave.trainer_id], leave.start_date, leave.end_date)
    covers = SubstituteCover.objects.filter(
        absent_trainer_id=leave.trainer_id,
        batch_id__in=[r.batch_id for r in roles],
        start_date__lte=leave.end_date,
        end_date__gte=leave.start_date,
    ).select_related("substitute")
    return _sessions_in_leave(leave, roles, covers)


def leaves_with_uncovered_sessions(
    trainer_ids: Iterable[int], *, today: dt.date | None = None
) -> dict[int, object]:
    """Of the given trainers, those with a current or upcoming leave (ending today or later)
    that hits a session no substitute covers: trainer id -> the first such leave.

    The same sessions as ``leave_affected_sessions``, for every trainer at once: one query
    when none of them has such a leave, four otherwise (leaves, teaching roles, their slots,
    covers), however many trainers and leaves.
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
    ids = {leave.trainer_id for leave in leaves}
    first = min(leave.start_date for leave in leaves)
    last = max(leave.end_date for leave in leaves)
    roles = _teaching_rows_in_leaves(ids, first, last)
    covers = list(
        SubstituteCover.objects.filter(
            absent_trainer_id__in=ids,
            batch_id__in={r.batch_id for r in roles},
            start_date__lte=last,
            end_date__gte=first,
        )
    )
    found: dict[int, object] = {}
    for leave in leaves:
        if leave.trainer_id in found:
            continue
        if any(not s.covered for s in _sessions_in_leave(leave, roles, covers)):
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
    """One batch a leave hits: its sessions in the leave, and who could cover them.

    ``start_date``/``end_date`` are the cover to propose: the leave's dates clamped to the
    batch, narrowed to the uncovered sessions when some are already covered (a cover that
    overlapped an existing one would be refused). ``candidates`` is empty once every session
    is covered.
    """

    batch: Batch
    role: str
    sessions: list[AffectedSession]
    start_date: dt.date
    end_date: dt.date
    candidates: list[SubstituteCandidate]

    @property
    def uncovered_count(self) -> int:
        return sum(not s.covered for s in self.sessions)

    @property
    def fully_covered(self) -> bool:
        return self.uncovered_count == 0


def leave_cover_plan(leave, sessions: list[AffectedSession] | None = None) -> list[LeaveBatch]:
    """The batches ``leave`` hits, in order of their first affected session, each with the
    ranked substitute candidates (``substitute_candidates``) while sessions are uncovered.

    Reads ``leave_affected_sessions`` unless ``sessions`` are given, then ranks the candidates
    of every batch still to cover together, in a fixed number of queries.
    """
    if sessions is None:
        sessions = leave_affected_sessions(leave)
    by_batch: dict[int, list[AffectedSession]] = {}
    for session in sessions:
        by_batch.setdefault(session.batch.pk, []).append(session)
    ranges = []
    for batch_sessions in by_batch.values():
        batch = batch_sessions[0].batch
        start = max(leave.start_date, batch.start_date)
        end = min(leave.end_date, batch.end_date)
        uncovered = [s for s in batch_sessions if not s.covered]
        if uncovered and len(uncovered) < len(batch_sessions):
            start, end = uncovered[0].date, uncovered[-1].date
        ranges.append((batch, start, end, bool(uncovered)))
    to_cover = [(batch, start, end) for batch, start, end, uncovered in ranges if uncovered]
    ranked = iter(substitute_candidates_many(to_cover, absent_trainer=leave.trainer))
    plan = []
    for (batch, start, end, uncovered), batch_sessions in zip(
        ranges, by_batch.values(), strict=True
    ):
        plan.append(
            LeaveBatch(
                batch=batch,
                role=batch_sessions[0].role,
                sessions=batch_sessions,
                start_date=start,
                end_date=end,
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
