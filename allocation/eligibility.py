"""The one teaching rule, and the schedule conflicts it is made of.

Who may teach a batch (an active instructor, not on leave, on the course roster, under their
cap of open batches, within their declared availability, free at the batch's times) is
decided here once: services refuse with it, candidate lists and substitute rankings rank
with it. Nothing here writes.

Conflicts are computed on real time: the sessions a request proposes (generated from slots
in the batch's zone, or stored, or one moved session) against the trainers' bookings in
other sessions, as half-open absolute intervals. So a trainer in Asia/Kolkata teaching a
New York batch and a Berlin one clashes exactly when the two classes share a minute, across
every change to and from summer time. PostgreSQL's exclusion constraint over bookings
(migration allocation.0014) is the backstop.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Case, Count, F, Q, QuerySet, When
from django.utils.translation import gettext, gettext_noop

from accounts.models import User
from allocation.models import (
    HELD_SESSION_STATUSES,
    MAX_SESSION_LENGTH,
    OPEN_BATCH_STATUSES,
    TEACHING_ROLES,
    Batch,
    BatchTrainer,
    ClassSession,
    CourseTrainer,
    Holiday,
    TrainerBooking,
    Weekday,
)
from allocation.session_times import closed_days, occurrences
from core import dates
from core.errors import DomainError
from core.timezones import default_time_zone, zone

MSG_NOT_INSTRUCTOR = gettext_noop("Assigned instructor must have instructor role")
MSG_ALREADY_ASSIGNED = gettext_noop("This instructor is already assigned to this student")
MSG_SELF_ASSIGNED = gettext_noop("An instructor cannot be assigned to themselves")


def _slot_text(day: int, start: dt.time, end: dt.time) -> str:
    return f"{Weekday(day).label} {start:%H:%M}–{end:%H:%M}"


def when_text(start: dt.datetime, end: dt.datetime, time_zone: str) -> str:
    """A session's time as people read it, in ``time_zone`` and naming it:
    "Monday 2026-03-02 10:00–12:00 (Europe/Berlin)"; the end's date is shown when it falls
    on another day."""
    tz = zone(time_zone)
    local_start, local_end = start.astimezone(tz), end.astimezone(tz)
    end_text = (
        f"{local_end:%H:%M}"
        if local_end.date() == local_start.date()
        else f"{local_end:%Y-%m-%d %H:%M}"
    )
    return f"{local_start:%A %Y-%m-%d %H:%M}–{end_text} ({time_zone})"


@dataclass(frozen=True)
class Conflict:
    """One clash: a session another batch has the trainer teach (or cover) overlaps, in real
    time, a proposed session."""

    batch_id: int
    batch_code: str
    batch_name: str
    existing_start: dt.datetime
    existing_end: dt.datetime
    existing_zone: str
    proposed_start: dt.datetime
    proposed_end: dt.datetime
    proposed_zone: str
    kind: str = "teaches"  # or "covers": a substitute duty
    session_id: int | None = None  # the other session

    @property
    def existing_slot(self) -> str:
        return when_text(self.existing_start, self.existing_end, self.existing_zone)

    @property
    def proposed_slot(self) -> str:
        return when_text(self.proposed_start, self.proposed_end, self.proposed_zone)

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
    *,
    time_zone: str | None = None,
) -> list[Conflict]:
    """Every clash between the sessions ``slots`` would make over ``date_range`` (read in
    ``time_zone``: default the excluded batch's, else the platform's) and the instructor's
    bookings in other Active/Upcoming batches, in time order; never raises. The batch form's
    live warning asks this. Two queries (holidays, bookings).
    """
    batch = exclude_batch or Batch(start_date=date_range[0], end_date=date_range[1])
    if time_zone:
        batch.time_zone = time_zone
    intervals = proposed_sessions(batch, slots, date_range)
    return session_conflicts(
        [instructor.pk],
        intervals,
        exclude_batch_id=exclude_batch.pk if exclude_batch is not None else None,
    ).get(instructor.pk, [])


# --- one eligibility rule for services, candidate lists and substitute ranking ------------


@dataclass(frozen=True)
class Plan:
    """The sessions a request proposes a trainer teach. ``replaces_batch``: they replace the
    batch's own sessions (a new or re-planned batch), so the batch's current bookings are no
    conflict; otherwise they are stored sessions (or a move), and only their own bookings are
    excused."""

    intervals: list[Interval]
    replaces_batch: bool = False


@dataclass
class TeachingContext:
    """What it takes to judge trainers for teaching one batch's sessions.

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
    sessions: list[Interval] = field(default_factory=list)  # what the trainer would teach


def _trainer_match(trainer_ids: Iterable[int] | QuerySet[User]):
    """What a ``trainer_id__in=`` lookup takes: the ids, or the trainers' queryset as a
    subquery. A list of hundreds of ids costs the planner more than the query it plans
    (2 ms a query for 500 trainers, bench/dashboards.py), so a page judging every
    instructor passes the queryset."""
    if isinstance(trainer_ids, QuerySet):
        return trainer_ids.order_by().values("pk")
    return sorted(set(trainer_ids))


def _plans(
    requests: Sequence[tuple[Batch, list, tuple[dt.date, dt.date]]],
    plans: Sequence[Plan | None] | None,
) -> list[Plan]:
    """The plan of each request: the one passed in, else the sessions its slots would make
    (an unsaved batch), else the batch's stored held sessions in its date range. Two queries
    at most (holidays, sessions), however many requests."""
    plans = list(plans) if plans is not None else [None] * len(requests)
    to_generate = [
        i for i, (batch, _, _) in enumerate(requests) if plans[i] is None and batch.pk is None
    ]
    if to_generate:
        generated = _generate_many([requests[i] for i in to_generate])
        for i, intervals in zip(to_generate, generated, strict=True):
            plans[i] = Plan(intervals, replaces_batch=True)
    stored = [i for i, plan in enumerate(plans) if plan is None]
    if stored:
        held = _held_many([(requests[i][0], requests[i][2]) for i in stored])
        for i, intervals in zip(stored, held, strict=True):
            plans[i] = Plan(intervals)
    return plans


def teaching_contexts(
    requests: Sequence[tuple[Batch, list, tuple[dt.date, dt.date]]],
    trainer_ids: Iterable[int] | QuerySet[User],
    *,
    profiles: dict[int, object] | None = None,
    today: dt.date | None = None,
    plans: Sequence[Plan | None] | None = None,
) -> list[TeachingContext]:
    """One context per (batch, slots, date range) request, for the same trainers (their ids,
    or a queryset of them), fetched together: at most nine queries however many requests and
    trainers there are (one less when ``profiles`` are passed in, as the services pass their
    locked ones).

    ``plans`` (one per request, or None) are the sessions each request would have the
    trainers teach; by default an unsaved batch's are generated from its slots and a saved
    batch's are its stored held sessions within the date range (see ``_plans``). The slots
    themselves are kept for callers that show them.
    """
    from trainers.models import AvailabilityWindow, TrainerLeave, TrainerProfile

    ids = _trainer_match(trainer_ids)
    today = today or dates.today()
    if profiles is None:
        profiles = {p.user_id: p for p in TrainerProfile.objects.filter(user_id__in=ids)}
    plans = _plans(requests, plans)
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
    bookings = _overlapping_bookings(ids, [i for plan in plans for i in plan.intervals])
    contexts = []
    for (batch, slots, date_range), plan in zip(requests, plans, strict=True):
        open_batches = {
            trainer_id: count
            for trainer_id, n in taught.items()
            if (count := n - ((trainer_id, batch.pk) in teaches))
        }
        exclude = batch.pk if plan.replaces_batch else None
        conflicts = {}
        for trainer_id, trainer_bookings in bookings.items():
            found = _clashes(trainer_bookings, plan.intervals, exclude_batch_id=exclude)
            if found:
                conflicts[trainer_id] = found
        contexts.append(
            TeachingContext(
                batch=batch,
                slots=list(slots),
                date_range=date_range,
                today=today,
                profiles=profiles,
                open_batches=open_batches,
                conflicts=conflicts,
                windows=windows,
                leaves=leaves,
                roster=rosters.get(batch.course_id, {}),
                sessions=plan.intervals,
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
    plan: Plan | None = None,
) -> TeachingContext:
    """The context of one batch: ``slots`` default to its saved slots, ``date_range`` to its
    dates, ``plan`` to its stored sessions in the range (generated from the slots when the
    batch is not saved yet); ``profiles`` may pass locked profiles in (the services do)."""
    slots = list(batch.schedule.all()) if slots is None else list(slots)
    date_range = date_range or (batch.start_date, batch.end_date)
    return teaching_contexts(
        [(batch, slots, date_range)], trainer_ids, profiles=profiles, today=today, plans=[plan]
    )[0]


def _unavailable(windows: list, trainer: User, sessions: Iterable[Interval]) -> str | None:
    """The first session (as "Monday 10:00–12:00", on the trainer's clock) outside the
    trainer's declared weekly availability, read in the trainer's own zone; None if none."""
    tz = zone(trainer.time_zone or default_time_zone())
    seen = set()
    for session in sessions:
        start, end = session.start_at.astimezone(tz), session.end_at.astimezone(tz)
        key = (start.weekday(), start.time(), end.time(), start.date() == end.date())
        if key in seen:
            continue
        seen.add(key)
        day, start_time, end_time, same_day = key
        if not same_day or not any(
            w.day == day and w.start_time <= start_time and end_time <= w.end_time for w in windows
        ):
            return _slot_text(day, start_time, end_time)
    return None


def teaching_refusal(
    context: TeachingContext, trainer: User, *, newly_teaching: bool, covering: bool = False
) -> DomainError | None:
    """Why ``trainer`` may not teach the context's batch and sessions, or None if they may.

    The one statement of the rule, checked in this order: the instructor role; nothing else
    for a Completed or Cancelled batch (it never conflicts); then, when the trainer newly
    takes teaching (a new batch, a new primary or assistant, a reopened batch, a cover, a
    moved or extra session): their status, a leave (today, or during the dates when
    ``covering``), an inactive or on-leave roster entry, their cap of Active + Upcoming
    batches; and always their declared availability (each session on the trainer's own
    clock) and schedule conflicts (real time, with their other bookings).
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
                gettext("%(name)s is %(TrainerStatus)s and cannot take new batches")
                % {"name": name, "TrainerStatus": TrainerStatus(status).label.lower()},
                field="assigned_instructor",
                code="trainer_status",
            )
        start, end = context.date_range if covering else (context.today, context.today)
        for leave in context.leaves.get(trainer.pk, ()):
            if leave.start_date <= end and start <= leave.end_date:
                return DomainError(
                    gettext("%(name)s is on leave %(start_date)s – %(end_date)s")
                    % {
                        "name": name,
                        "start_date": format(leave.start_date, "%Y-%m-%d"),
                        "end_date": format(leave.end_date, "%Y-%m-%d"),
                    },
                    field="assigned_instructor",
                    code="on_leave",
                )
        entry = context.roster.get(trainer.pk)
        if entry is not None and entry.status != "active":
            return DomainError(
                gettext("%(name)s is %(status)s on the roster of %(course_code)s")
                % {
                    "name": name,
                    "status": entry.get_status_display().lower(),
                    "course_code": context.batch.course.code,
                },
                field="assigned_instructor",
                code="roster_status",
            )
        cap = profile.max_active_batches if profile else DEFAULT_MAX_ACTIVE_BATCHES
        count = context.open_batches.get(trainer.pk, 0)
        if count >= cap:
            return DomainError(
                gettext(
                    "%(name)s already teaches %(count)s Active/Upcoming batches, their cap "
                    "of %(cap)s"
                )
                % {"name": name, "count": count, "cap": cap},
                field="assigned_instructor",
                code="at_cap",
            )
    windows = context.windows.get(trainer.pk)
    if windows:
        outside = _unavailable(windows, trainer, context.sessions)
        if outside is not None:
            return DomainError(
                gettext(
                    "%(name)s is not available on %(outside)s (outside their declared availability)"
                )
                % {"name": name, "outside": outside},
                field="schedule",
                code="unavailable",
            )
    conflicts = context.conflicts.get(trainer.pk)
    if conflicts:
        return DomainError(conflicts[0].describe(trainer), field="schedule", code="conflict")
    return None


def mentor_refusal(
    instructor: User, *, status: str, cap: int | None, mentees: int
) -> DomainError | None:
    """Why ``instructor`` could not take one more individually assigned student (their
    profile's ``status``, caseload ``cap`` and current ``mentees``), or None. The mentor
    services refuse with it and the mentor candidates ranking lists it."""
    from trainers.models import TrainerStatus

    if status != TrainerStatus.ACTIVE:
        return DomainError(
            gettext("%(instructor)s is %(status)s and cannot take new students")
            % {
                "instructor": instructor.display_name,
                "status": str(TrainerStatus(status).label).lower(),
            },
            field="instructor",
            code="trainer_status",
        )
    if cap is not None and mentees >= cap:
        return DomainError(
            gettext(
                "%(instructor)s already has %(current)s individually assigned students, "
                "their cap of %(cap)s"
            )
            % {"instructor": instructor.display_name, "current": mentees, "cap": cap},
            field="instructor",
            code="at_cap",
        )
    return None


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
    session it is (a stored session, a move), so that its own bookings are not a conflict;
    ``time_zone`` is the zone a message shows it in (its batch's)."""

    start_at: dt.datetime
    end_at: dt.datetime
    time_zone: str = "UTC"
    session_id: int | None = None


def _applicable_holidays(batches: Sequence[Batch], first: dt.date, last: dt.date) -> list:
    """The holidays and closures touching ``first``..``last`` that apply to any of
    ``batches`` (platform-wide, of their courses, of the saved ones); one query."""
    scope = Q(course__isnull=True, batch__isnull=True) | Q(
        course_id__in={b.course_id for b in batches if b.course_id is not None}
    )
    saved = [b.pk for b in batches if b.pk is not None]
    if saved:
        scope |= Q(batch_id__in=saved)
    return list(Holiday.objects.filter(scope, start_date__lte=last, end_date__gte=first))


def _generate_many(
    requests: Sequence[tuple[Batch, Iterable, tuple[dt.date, dt.date]]],
) -> list[list[Interval]]:
    """The sessions each (batch, slots, date range) would make, minus holidays; one query."""
    ranges = [r[2] for r in requests if r[2][0] is not None and r[2][1] is not None and r[1]]
    if not ranges:  # no slots or no dates: no session, no query
        return [[] for _ in requests]
    holidays = _applicable_holidays(
        [r[0] for r in requests], min(r[0] for r in ranges), max(r[1] for r in ranges)
    )
    found = []
    for batch, slots, (first, last) in requests:
        mine = [h for h in holidays if h.applies_to(batch)]
        closed = closed_days(mine, first, last)
        time_zone = batch.time_zone or default_time_zone()
        found.append(
            [
                Interval(o.start_at, o.end_at, time_zone)
                for o in occurrences(slots, first, last, time_zone, closed=closed.__contains__)
            ]
        )
    return found


def proposed_sessions(
    batch: Batch, slots: Iterable, date_range: tuple[dt.date, dt.date] | None = None
) -> list[Interval]:
    """The sessions ``slots`` would make for ``batch`` over ``date_range`` (default: its
    dates), read in the batch's ``time_zone``, minus the holidays and closures that apply to
    it (of its course and, once saved, of the batch itself); one query."""
    date_range = date_range or (batch.start_date, batch.end_date)
    return _generate_many([(batch, list(slots), date_range)])[0]


def _day_bounds(batch: Batch, date_range: tuple[dt.date, dt.date]):
    """The instants where ``date_range``'s first day starts and the day after its last day
    starts, in the batch's zone."""
    tz = zone(batch.time_zone or default_time_zone())
    first, last = date_range
    return (
        dt.datetime.combine(first, dt.time(), tzinfo=tz),
        dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), tzinfo=tz),
    )


def _held_many(requests: Sequence[tuple[Batch, tuple[dt.date, dt.date]]]) -> list[list[Interval]]:
    """Each saved batch's held sessions starting within its date range; one query."""
    ids = {batch.pk for batch, _ in requests if batch.pk is not None}
    by_batch: dict[int, list] = {}
    if ids:
        rows = (
            ClassSession.objects.filter(batch_id__in=sorted(ids), status__in=HELD_SESSION_STATUSES)
            .order_by("start_at", "pk")
            .values_list("pk", "batch_id", "start_at", "end_at")
        )
        for row in rows:
            by_batch.setdefault(row[1], []).append(row)
    found = []
    for batch, date_range in requests:
        time_zone = batch.time_zone or default_time_zone()
        low, high = _day_bounds(batch, date_range)
        found.append(
            [
                Interval(start, end, time_zone, pk)
                for pk, _, start, end in by_batch.get(batch.pk, ())
                if low <= start < high
            ]
        )
    return found


def held_sessions(
    batch: Batch, date_range: tuple[dt.date, dt.date] | None = None
) -> list[Interval]:
    """The batch's stored held sessions (scheduled or moved), those starting on a date of
    ``date_range`` (in the batch's zone) when given; one query."""
    return _held_many([(batch, date_range or (batch.start_date, batch.end_date))])[0]


def _merged(intervals: Iterable[Interval]) -> list[tuple[dt.datetime, dt.datetime]]:
    spans: list[list[dt.datetime]] = []
    for i in sorted(intervals, key=lambda i: i.start_at):
        if spans and i.start_at <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], i.end_at)
        else:
            spans.append([i.start_at, i.end_at])
    return [(a, b) for a, b in spans]


# Past this many separate spans, the booking query reads one span from the first to the
# last instead of an index range per span (the planner's cost of hundreds of ORs).
_MAX_SPANS = 64


def _overlap_filter(intervals: Iterable[Interval]) -> Q | None:
    """Rows (with ``start_at``, ``end_at``) that may overlap any of ``intervals``: for each
    merged span an index range of starts from ``MAX_SESSION_LENGTH`` before it to its end;
    None for no interval."""
    spans = _merged(intervals)
    if not spans:
        return None
    if len(spans) > _MAX_SPANS:
        return Q(start_at__lt=spans[-1][1], end_at__gt=spans[0][0])
    match = Q()
    for start, end in spans:
        match |= Q(start_at__gte=start - MAX_SESSION_LENGTH, start_at__lt=end, end_at__gt=start)
    return match


@dataclass(frozen=True)
class _Booking:
    session_id: int
    batch_id: int
    batch_code: str
    batch_name: str
    time_zone: str
    role: str
    start_at: dt.datetime
    end_at: dt.datetime


def _overlapping_bookings(trainer_ids, intervals: Sequence[Interval]) -> dict[int, list[_Booking]]:
    """The trainers' bookings in Active/Upcoming batches that may overlap ``intervals``, by
    trainer id; one query (none without intervals or trainers)."""
    match = _overlap_filter(intervals)
    if match is None or (isinstance(trainer_ids, list) and not trainer_ids):
        return {}
    rows = (
        TrainerBooking.objects.filter(
            match, trainer_id__in=trainer_ids, batch__status__in=OPEN_BATCH_STATUSES
        )
        .order_by()
        .values_list(
            "trainer_id",
            "session_id",
            "batch_id",
            "batch__batch_code",
            "batch__batch_name",
            "batch__time_zone",
            "role",
            "start_at",
            "end_at",
        )
    )
    found: dict[int, list[_Booking]] = {}
    for trainer_id, *fields in rows:
        found.setdefault(trainer_id, []).append(_Booking(*fields))
    return found


def _clashes(
    bookings: Iterable[_Booking], intervals: Sequence[Interval], *, exclude_batch_id: int | None
) -> list[Conflict]:
    """The conflict rule itself: a booking (not of ``exclude_batch_id``, not of one of the
    proposed sessions) whose half-open real-time interval overlaps a proposed one."""
    ordered = sorted(intervals, key=lambda i: i.start_at)
    starts = [i.start_at for i in ordered]
    own = {i.session_id for i in ordered if i.session_id is not None}
    found = []
    for booking in bookings:
        if booking.batch_id == exclude_batch_id or booking.session_id in own:
            continue
        # Proposed sessions starting before the booking ends, and at most the longest
        # session length before it starts.
        low = bisect_left(starts, booking.start_at - MAX_SESSION_LENGTH)
        high = bisect_left(starts, booking.end_at)
        for proposed in ordered[low:high]:
            if proposed.end_at > booking.start_at:
                found.append(
                    Conflict(
                        batch_id=booking.batch_id,
                        batch_code=booking.batch_code,
                        batch_name=booking.batch_name,
                        existing_start=booking.start_at,
                        existing_end=booking.end_at,
                        existing_zone=booking.time_zone,
                        proposed_start=proposed.start_at,
                        proposed_end=proposed.end_at,
                        proposed_zone=proposed.time_zone,
                        kind="covers" if booking.role == "cover" else "teaches",
                        session_id=booking.session_id,
                    )
                )
    found.sort(key=lambda c: (c.existing_start, c.batch_code, c.proposed_start))
    return found


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
    intervals = list(intervals)
    conflicts = {}
    for trainer_id, bookings in _overlapping_bookings(
        _trainer_match(trainer_ids), intervals
    ).items():
        found = _clashes(bookings, intervals, exclude_batch_id=exclude_batch_id)
        if found:
            conflicts[trainer_id] = found
    return conflicts


def student_clashes(
    batch: Batch, intervals: Sequence[Interval], *, exclude_session_id: int | None = None
) -> list[str]:
    """Warnings, one per student of ``batch`` who has another held session (of any batch they
    are actively enrolled in, this one included) overlapping one of ``intervals``; one query.

    Read through the reverse relation to enrollments rather than by importing that app
    (which depends on this one); ``"active"`` is ``EnrollmentStatus.ACTIVE``.
    """
    match = _overlap_filter(intervals)
    if match is None or batch.pk is None:
        return []
    students = batch.enrollments.filter(status="active").values("student_id")
    rows = (
        ClassSession.objects.filter(
            match,
            status__in=HELD_SESSION_STATUSES,
            batch__enrollments__status="active",
            batch__enrollments__student_id__in=students,
        )
        .exclude(pk=exclude_session_id)
        .order_by("batch__enrollments__student__full_name", "start_at", "pk")
        .values_list(
            "batch__enrollments__student__full_name",
            "batch__enrollments__student__email",
            "batch__batch_code",
            "batch__time_zone",
            "start_at",
            "end_at",
        )
    )
    warnings, seen = [], set()
    for full_name, email, code, time_zone, start, end in rows:
        if email in seen or not any(i.start_at < end and start < i.end_at for i in intervals):
            continue
        seen.add(email)
        warnings.append(
            f"{full_name or email} also has {code} on {when_text(start, end, time_zone)} "
            "at the same time"
        )
    return warnings
