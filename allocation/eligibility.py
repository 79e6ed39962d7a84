"""The one teaching rule, and the schedule conflicts it is made of.

Who may teach a batch (an active instructor, not on leave, on the course roster, under their
cap of open batches, within their declared availability, free at the batch's times) is
decided here once: services refuse with it, candidate lists and substitute rankings rank
with it. Nothing here writes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Case, Count, F, Q, QuerySet, When

from accounts.models import User
from allocation.models import (
    OPEN_BATCH_STATUSES,
    TEACHING_ROLES,
    Batch,
    BatchTrainer,
    CourseTrainer,
    ScheduleSlot,
    Weekday,
)
from core import dates
from core.errors import DomainError

MSG_NOT_INSTRUCTOR = "Assigned instructor must have instructor role"


def _slot_text(day: int, start: dt.time, end: dt.time) -> str:
    return f"{Weekday(day).label} {start:%H:%M}–{end:%H:%M}"


@dataclass(frozen=True)
class Conflict:
    """One clash: a slot of another batch the trainer teaches overlaps a proposed slot."""

    batch_id: int
    batch_code: str
    batch_name: str
    day: int
    existing_start: dt.time
    existing_end: dt.time
    proposed_start: dt.time
    proposed_end: dt.time
    kind: str = "teaches"  # or "covers": a substitute duty on dates inside the range

    @property
    def existing_slot(self) -> str:
        return _slot_text(self.day, self.existing_start, self.existing_end)

    @property
    def proposed_slot(self) -> str:
        return _slot_text(self.day, self.proposed_start, self.proposed_end)

    def describe(self, trainer: User) -> str:
        return (
            f"Schedule conflict: {trainer.display_name} already {self.kind} "
            f"{self.batch_code} ({self.batch_name}) on {self.existing_slot}, which overlaps "
            f"{self.proposed_slot}"
        )


def instructor_conflicts(
    instructor: User,
    slots: Iterable,
    date_range: tuple[dt.date, dt.date],
    exclude_batch: Batch | None = None,
) -> list[Conflict]:
    """Every clash between ``slots`` over ``date_range`` and the instructor's other duties.

    A clash needs all of: another Active/Upcoming batch the instructor teaches (primary or
    assistant) or covers as a substitute, overlapping dates (inclusive days), the same
    weekday and overlapping half-open times. Returns them without raising, in day/time order;
    two queries (see ``conflicts_by_trainer``).
    """
    return conflicts_by_trainer([instructor.pk], slots, date_range, exclude_batch).get(
        instructor.pk, []
    )


# --- one eligibility rule for services, candidate lists and substitute ranking ------------


@dataclass
class TeachingContext:
    """What it takes to judge trainers for teaching one batch's slots over a date range.

    Fetched in a fixed number of queries for any number of trainers, so the candidate pages
    can judge everyone at once; the services build one for a single, locked trainer. Both
    then ask ``teaching_refusal`` — the rule is written once.
    """

    batch: Batch
    slots: list
    date_range: tuple[dt.date, dt.date]
    today: dt.date
    profiles: dict[int, object]  # trainer id -> TrainerProfile (None: defaults apply)
    open_batches: dict[int, int]  # trainer id -> Active/Upcoming batches taught, not this one
    conflicts: dict[int, list[Conflict]]
    windows: dict[int, list]  # trainer id -> AvailabilityWindow rows (empty: always free)
    leaves: dict[int, list]  # trainer id -> TrainerLeave rows touching today or the range
    roster: dict[int, object]  # trainer id -> CourseTrainer on the batch's course


def _trainer_match(trainer_ids: Iterable[int] | QuerySet[User]):
    """What a ``trainer_id__in=`` lookup takes: the ids, or the trainers' queryset as a
    subquery. A list of hundreds of ids costs the planner more than the query it plans
    (2 ms a query for 500 trainers, bench/dashboards.py), so a page judging every
    instructor passes the queryset."""
    if isinstance(trainer_ids, QuerySet):
        return trainer_ids.order_by().values("pk")
    return sorted(set(trainer_ids))


def teaching_contexts(
    requests: Sequence[tuple[Batch, list, tuple[dt.date, dt.date]]],
    trainer_ids: Iterable[int] | QuerySet[User],
    *,
    profiles: dict[int, object] | None = None,
    today: dt.date | None = None,
) -> list[TeachingContext]:
    """One context per (batch, slots, date range) request, for the same trainers (their ids,
    or a queryset of them), fetched together: seven queries however many requests and
    trainers there are (six when ``profiles`` are passed in, as the services pass their
    locked ones)."""
    from trainers.models import AvailabilityWindow, TrainerLeave, TrainerProfile

    ids = _trainer_match(trainer_ids)
    today = today or dates.today()
    if profiles is None:
        profiles = {p.user_id: p for p in TrainerProfile.objects.filter(user_id__in=ids)}
    # Each trainer's open batches taught, counted in the database: one row per trainer for
    # the other batches and one per requested batch they teach (a trainer has one role per
    # batch), not a row per batch of every trainer.
    requested = [batch.pk for batch, _, _ in requests if batch.pk is not None]
    teaching = (
        BatchTrainer.objects.filter(
            trainer_id__in=ids,
            role__in=TEACHING_ROLES,
            ended_at__isnull=True,
            batch__status__in=OPEN_BATCH_STATUSES,
        )
        .order_by()
        .values_list(
            "trainer_id",
            Case(When(batch_id__in=requested, then=F("batch_id")), default=None),
        )
        .annotate(n=Count("*"))
    )
    taught: dict[int, int] = {}  # trainer id -> open batches taught
    teaches: set[tuple[int, int]] = set()  # (trainer id, requested batch id)
    for trainer_id, batch_id, n in teaching:
        taught[trainer_id] = taught.get(trainer_id, 0) + n
        if batch_id is not None:
            teaches.add((trainer_id, batch_id))
    windows: dict[int, list] = {}
    for window in AvailabilityWindow.objects.filter(trainer_id__in=ids):
        windows.setdefault(window.trainer_id, []).append(window)
    first = min((r[2][0] for r in requests), default=today)
    last = max((r[2][1] for r in requests), default=today)
    leaves: dict[int, list] = {}
    for leave in TrainerLeave.objects.filter(trainer_id__in=ids).filter(
        Q(start_date__lte=last, end_date__gte=first) | Q(start_date__lte=today, end_date__gte=today)
    ):
        leaves.setdefault(leave.trainer_id, []).append(leave)
    rosters: dict[int, dict[int, object]] = {}
    for entry in CourseTrainer.objects.filter(
        course_id__in={batch.course_id for batch, _, _ in requests}, trainer_id__in=ids
    ):
        rosters.setdefault(entry.course_id, {})[entry.trainer_id] = entry
    duties = trainer_duties(
        ids, [slot for _, slots, _ in requests for slot in slots], (first, last)
    )
    contexts = []
    for batch, slots, date_range in requests:
        open_batches = {
            trainer_id: count
            for trainer_id, n in taught.items()
            if (count := n - ((trainer_id, batch.pk) in teaches))
        }
        conflicts = {}
        for trainer_id, trainer_duty_list in duties.items():
            found = _clashes(trainer_duty_list, slots, date_range, exclude=batch.pk)
            if found:
                conflicts[trainer_id] = found
        contexts.append(
            TeachingContext(
                batch=batch,
                slots=slots,
                date_range=date_range,
                today=today,
                profiles=profiles,
                open_batches=open_batches,
                conflicts=conflicts,
                windows=windows,
                leaves=leaves,
                roster=rosters.get(batch.course_id, {}),
            )
        )
    return contexts


def teaching_context(
    batch: Batch,
    trainer_ids: Iterable[int] | QuerySet[User],
    *,
    slots: Iterable | None = None,
    date_range: tuple[dt.date, dt.date] | None = None,
    profiles: dict[int, object] | None = None,
    today: dt.date | None = None,
) -> TeachingContext:
    """The context of one batch: ``slots`` default to its saved slots, ``date_range`` to its
    dates; ``profiles`` may pass locked profiles in (the services do)."""
    slots = list(batch.schedule.all()) if slots is None else list(slots)
    date_range = date_range or (batch.start_date, batch.end_date)
    return teaching_contexts(
        [(batch, slots, date_range)], trainer_ids, profiles=profiles, today=today
    )[0]


def teaching_refusal(
    context: TeachingContext, trainer: User, *, newly_teaching: bool, covering: bool = False
) -> DomainError | None:
    """Why ``trainer`` may not teach the context's batch and slots, or None if they may.

    The one statement of the rule, checked in this order: the instructor role; nothing else
    for a Completed or Cancelled batch (it never conflicts); then, when the trainer newly
    takes teaching (a new batch, a new primary or assistant, a reopened batch, a cover):
    their status, a leave (today, or during the dates when ``covering``), an inactive or
    on-leave roster entry, their cap of Active + Upcoming batches; and always their declared
    availability and schedule conflicts.
    """
    from trainers.models import DEFAULT_MAX_ACTIVE_BATCHES, TrainerStatus

    name = trainer.display_name
    if not trainer.is_instructor or not trainer.is_active:
        return DomainError(MSG_NOT_INSTRUCTOR, field="assigned_instructor", code="not_instructor")
    if context.batch.status not in OPEN_BATCH_STATUSES:
        return None
    profile = context.profiles.get(trainer.pk)
    if newly_teaching:
        status = profile.status if profile else TrainerStatus.ACTIVE
        if status != TrainerStatus.ACTIVE:
            return DomainError(
                f"{name} is {TrainerStatus(status).label.lower()} and cannot take new batches",
                field="assigned_instructor",
                code="trainer_status",
            )
        start, end = context.date_range if covering else (context.today, context.today)
        for leave in context.leaves.get(trainer.pk, ()):
            if leave.start_date <= end and start <= leave.end_date:
                return DomainError(
                    f"{name} is on leave {leave.start_date:%Y-%m-%d} – {leave.end_date:%Y-%m-%d}",
                    field="assigned_instructor",
                    code="on_leave",
                )
        entry = context.roster.get(trainer.pk)
        if entry is not None and entry.status != "active":
            return DomainError(
                f"{name} is {entry.get_status_display().lower()} on the roster of "
                f"{context.batch.course.code}",
                field="assigned_instructor",
                code="roster_status",
            )
        cap = profile.max_active_batches if profile else DEFAULT_MAX_ACTIVE_BATCHES
        count = context.open_batches.get(trainer.pk, 0)
        if count >= cap:
            return DomainError(
                f"{name} already teaches {count} Active/Upcoming batches, their cap of {cap}",
                field="assigned_instructor",
                code="at_cap",
            )
    windows = context.windows.get(trainer.pk)
    if windows:
        for slot in context.slots:
            if not any(
                w.day == slot.day
                and w.start_time <= slot.start_time
                and slot.end_time <= w.end_time
                for w in windows
            ):
                return DomainError(
                    f"{name} is not available on "
                    f"{_slot_text(slot.day, slot.start_time, slot.end_time)} "
                    "(outside their declared availability)",
                    field="schedule",
                    code="unavailable",
                )
    conflicts = context.conflicts.get(trainer.pk)
    if conflicts:
        return DomainError(conflicts[0].describe(trainer), field="schedule", code="conflict")
    return None


@dataclass(frozen=True)
class Duty:
    """A weekly slot a trainer is busy in over a date range: teaching it (primary or
    assistant) for the batch's dates, or covering it as a substitute for the cover's dates."""

    kind: str  # "teaches" or "covers"
    batch_id: int
    batch_code: str
    batch_name: str
    day: int
    start_time: dt.time
    end_time: dt.time
    start_date: dt.date
    end_date: dt.date


def _slot_spans(slots: Iterable) -> Q | None:
    """Slots that may overlap any of ``slots``: on one of their weekdays, within the span from
    the earliest start to the latest end of that day's slots. A superset of the overlapping
    ones (``_clashes`` applies the rule itself), so that a list of every trainer's duties
    reads only the slots near the ones asked about; None for no slot."""
    spans: dict[int, tuple[dt.time, dt.time]] = {}
    for slot in slots:
        first, last = spans.get(slot.day, (slot.start_time, slot.end_time))
        spans[slot.day] = (min(first, slot.start_time), max(last, slot.end_time))
    matches = None
    for day, (first, last) in sorted(spans.items()):
        span = Q(day=day, start_time__lt=last, end_time__gt=first)
        matches = span if matches is None else matches | span
    return matches


def trainer_duties(
    trainer_ids: Iterable[int] | QuerySet[User],
    slots: Iterable,
    date_range: tuple[dt.date, dt.date],
) -> dict[int, list[Duty]]:
    """Each trainer's (by id, or a queryset of them) duties in Active/Upcoming batches that
    may overlap ``slots`` (on their weekdays, within their times: ``_slot_spans``) and touch
    ``date_range``, by trainer id; two queries (taught slots, covered slots)."""
    ids, near = _trainer_match(trainer_ids), _slot_spans(slots)
    start, end = date_range
    if (isinstance(ids, list) and not ids) or near is None or start is None or end is None:
        return {}
    fields = ("batch_id", "batch__batch_code", "batch__batch_name", "day", "start_time", "end_time")
    # Each filter() is one call, so its conditions apply to the same staff/cover row, the one
    # whose trainer and dates the values() read through the same join.
    # No order: _clashes sorts what it finds.
    taught = (
        ScheduleSlot.objects.order_by()
        .filter(
            near,
            batch__staff__trainer_id__in=ids,
            batch__staff__role__in=TEACHING_ROLES,
            batch__staff__ended_at__isnull=True,
            batch__status__in=OPEN_BATCH_STATUSES,
            batch__start_date__lte=end,
            batch__end_date__gte=start,
        )
        .values(
            *fields,
            trainer_id=F("batch__staff__trainer"),
            from_date=F("batch__start_date"),
            to_date=F("batch__end_date"),
        )
    )
    covered = (
        ScheduleSlot.objects.order_by()
        .filter(
            near,
            batch__covers__substitute_id__in=ids,
            batch__covers__start_date__lte=end,
            batch__covers__end_date__gte=start,
            batch__status__in=OPEN_BATCH_STATUSES,
        )
        .values(
            *fields,
            trainer_id=F("batch__covers__substitute"),
            from_date=F("batch__covers__start_date"),
            to_date=F("batch__covers__end_date"),
        )
    )
    duties: dict[int, list[Duty]] = {}
    for kind, rows in (("teaches", taught), ("covers", covered)):
        for row in rows:
            duties.setdefault(row["trainer_id"], []).append(
                Duty(
                    kind=kind,
                    batch_id=row["batch_id"],
                    batch_code=row["batch__batch_code"],
                    batch_name=row["batch__batch_name"],
                    day=row["day"],
                    start_time=row["start_time"],
                    end_time=row["end_time"],
                    start_date=row["from_date"],
                    end_date=row["to_date"],
                )
            )
    return duties


def _clashes(
    duties: Iterable[Duty], slots: Iterable, date_range: tuple[dt.date, dt.date], *, exclude
) -> list[Conflict]:
    """The schedule-conflict rule itself: a duty of another batch whose dates overlap the
    range (inclusive days), on the same weekday, with overlapping half-open times."""
    start, end = date_range
    found = []
    for duty in duties:
        if duty.batch_id == exclude or duty.end_date < start or end < duty.start_date:
            continue
        for slot in slots:
            if (
                slot.day == duty.day
                and slot.start_time < duty.end_time
                and duty.start_time < slot.end_time
            ):
                found.append(
                    Conflict(
                        batch_id=duty.batch_id,
                        batch_code=duty.batch_code,
                        batch_name=duty.batch_name,
                        day=duty.day,
                        existing_start=duty.start_time,
                        existing_end=duty.end_time,
                        proposed_start=slot.start_time,
                        proposed_end=slot.end_time,
                        kind=duty.kind,
                    )
                )
    found.sort(key=lambda c: (c.day, c.existing_start, c.batch_code, c.proposed_start))
    return found


def conflicts_by_trainer(
    trainer_ids: Iterable[int],
    slots: Iterable,
    date_range: tuple[dt.date, dt.date],
    exclude_batch: Batch | None = None,
) -> dict[int, list[Conflict]]:
    """Clashes of ``slots`` over ``date_range`` with each trainer's other duties (taught or
    covered slots of other Active/Upcoming batches); two queries."""
    slots = list(slots)
    duties = trainer_duties(trainer_ids, slots, date_range)
    exclude = exclude_batch.pk if exclude_batch is not None else None
    conflicts = {}
    for trainer_id, trainer_duty_list in duties.items():
        found = _clashes(trainer_duty_list, slots, date_range, exclude=exclude)
        if found:
            conflicts[trainer_id] = found
    return conflicts


def profile_of(user: User):
    """The user's trainer profile, or None while they have none (the defaults apply)."""
    try:
        return user.trainer_profile
    except ObjectDoesNotExist:
        return None


# --- conflicts on real time: the sessions are the truth ------------------------------------


@dataclass(frozen=True)
class Interval:
    """A proposed teaching time: half-open ``[start_at, end_at)``, aware. ``session_id`` is the
    session it is (a move), so that its own booking is not a conflict; ``time_zone`` is the
    zone a message shows it in (its batch's)."""

    start_at: dt.datetime
    end_at: dt.datetime
    time_zone: str = "UTC"
    session_id: int | None = None


def proposed_sessions(
    batch: Batch, slots: Iterable, date_range: tuple[dt.date, dt.date] | None = None
) -> list[Interval]:
    """The sessions ``slots`` would make for ``batch`` over ``date_range`` (default: its
    dates), read in the batch's ``time_zone``, minus the holidays and closures that apply to
    it (of its course and, once saved, of the batch itself); one query."""
    raise NotImplementedError


def held_sessions(
    batch: Batch, date_range: tuple[dt.date, dt.date] | None = None
) -> list[Interval]:
    """The batch's stored held sessions (scheduled or moved), those whose date falls in
    ``date_range`` when given; one query."""
    raise NotImplementedError


def session_conflicts(
    trainer_ids: Iterable[int] | QuerySet[User],
    intervals: Sequence[Interval],
    *,
    exclude_batch_id: int | None = None,
) -> dict[int, list[Conflict]]:
    """Each trainer's bookings (primary, assistant or cover, in Active/Upcoming batches) that
    overlap any of ``intervals`` in real time, half-open, as conflicts by trainer id.

    Bookings of ``exclude_batch_id`` (the batch being planned: its own sessions are being
    replaced) and of each interval's own ``session_id`` are not conflicts. One query,
    whatever the number of trainers and intervals: each interval reads an index range of
    bookings starting at most ``MAX_SESSION_LENGTH`` before it.
    """
    raise NotImplementedError


def student_clashes(
    batch: Batch, intervals: Sequence[Interval], *, exclude_session_id: int | None = None
) -> list[str]:
    """Warnings, one per student of ``batch`` who has another held session (of another
    batch they are actively enrolled in) overlapping one of ``intervals``; one query."""
    raise NotImplementedError
