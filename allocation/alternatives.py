"""Alternatives to a schedule conflict: other weekly times, or other instructors.

When a batch (new or edited) or its instructor is refused for a conflict, up to
``MAX_ALTERNATIVES`` things that would be accepted are offered:

- **time**: the batch's slots with each clashing one moved to another weekly time of the same
  length at which the chosen instructor is free on every date of the batch (its real
  sessions, in the batch's zone, minus holidays, against the instructor's bookings), inside
  their declared availability and the platform's teaching hours (``TEACHING_HOURS``), not
  overlapping the batch's other slots; the nearest times first (same weekday, closest start);
- **instructor**: other instructors the teaching rule accepts at the requested times, ranked
  as on the assign-instructor page (on the course roster, then fewest open batches).

Efficient by construction: the batch's dates (minus holidays) are computed once, the
instructor's bookings over the whole range fetched once and sorted, and each candidate time
is checked in Python with a binary search over them. The refusal rule itself is
``eligibility.teaching_refusal``; this module only searches, and reads nothing else.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q

from accounts.models import User
from allocation.eligibility import (
    Interval,
    Plan,
    _applicable_holidays,
    _merged,
    _overlapping_bookings,
    _unavailable,
    held_sessions,
    proposed_sessions,
    teaching_context,
    teaching_refusal,
)
from allocation.models import (
    MAX_SESSION_LENGTH,
    OPEN_BATCH_STATUSES,
    TEACHING_ROLES,
    Batch,
    BatchTrainer,
    TrainerBooking,
    Weekday,
)
from allocation.session_times import closed_days, interval
from core.errors import DomainError
from core.timezones import default_time_zone

MAX_ALTERNATIVES = 5
# How the API names weekdays in a schedule (as its requests do), whatever the language.
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
STEP = dt.timedelta(minutes=30)


def teaching_hours() -> tuple[dt.time, dt.time]:
    """The platform's teaching day (``TEACHING_HOURS``, default 08:00–21:00), in the batch's
    zone: no alternative time starts before or ends after it."""
    start, end = getattr(settings, "TEACHING_HOURS", ("08:00", "21:00"))
    return dt.time.fromisoformat(start), dt.time.fromisoformat(end)


@dataclass(frozen=True)
class WeeklySlot:
    day: int
    start_time: dt.time
    end_time: dt.time

    def as_dict(self) -> dict:
        return {
            "day": DAY_NAMES[self.day],
            "start_time": f"{self.start_time:%H:%M}",
            "end_time": f"{self.end_time:%H:%M}",
        }

    def __str__(self) -> str:
        return f"{Weekday(self.day).label} {self.start_time:%H:%M}–{self.end_time:%H:%M}"


@dataclass(frozen=True)
class Alternative:
    kind: str  # "time" or "instructor"
    slots: tuple[WeeklySlot, ...] = ()
    instructor: User | None = None

    def as_dict(self) -> dict:
        if self.kind == "time":
            return {
                "kind": "time",
                "slots": [s.as_dict() for s in self.slots],
                "label": ", ".join(str(s) for s in self.slots),
            }
        return {
            "kind": "instructor",
            "id": self.instructor.pk,
            "name": self.instructor.display_name,
            "label": self.instructor.display_name,
        }

    def as_console_dict(self) -> dict:
        """For the batch form's live warning: weekdays as the form's numbers."""
        data = self.as_dict()
        if self.kind == "time":
            data["slots"] = [
                {**d, "day": s.day} for d, s in zip(data["slots"], self.slots, strict=True)
            ]
        return data


def _minutes(t: dt.time) -> int:
    return t.hour * 60 + t.minute


def _time(minutes: int) -> dt.time:
    return dt.time(minutes // 60, minutes % 60)


def _overlaps(a: WeeklySlot, b: WeeklySlot) -> bool:
    return a.day == b.day and a.start_time < b.end_time and b.start_time < a.end_time


class _Free:
    """The instructor's bookings, sorted: is an interval free of them? (binary search)"""

    def __init__(self, bookings):
        self.spans = sorted((b.start_at, b.end_at) for b in bookings)
        self.starts = [s for s, _ in self.spans]

    def free(self, start: dt.datetime, end: dt.datetime) -> bool:
        low = bisect_left(self.starts, start - MAX_SESSION_LENGTH)
        high = bisect_left(self.starts, end)
        return not any(s < end and start < e for s, e in self.spans[low:high])


def time_alternatives(
    batch: Batch, slots, instructor: User, *, limit: int = MAX_ALTERNATIVES
) -> list[Alternative]:
    """Up to ``limit`` other weekly schedules for ``batch`` (dates, zone, course, and its pk
    when saved) that ``instructor`` could teach: see the module's docstring. Three queries
    (holidays, bookings, availability windows), and one for a saved batch's assistants."""
    from trainers.models import AvailabilityWindow

    slots = [WeeklySlot(s.day, s.start_time, s.end_time) for s in slots]
    first, last = batch.start_date, batch.end_date
    if not slots or first is None or last is None or last < first:
        return []
    time_zone = batch.time_zone or default_time_zone()
    holidays = [h for h in _applicable_holidays([batch], first, last) if h.applies_to(batch)]
    closed = closed_days(holidays, first, last)
    dates: dict[int, list[dt.date]] = {d: [] for d in range(7)}
    day = first
    while day <= last:
        if day not in closed:
            dates[day.weekday()].append(day)
        day += dt.timedelta(days=1)
    whole = [
        Interval(
            interval(first, dt.time(), dt.time(), time_zone)[0] - dt.timedelta(days=1),
            interval(last, dt.time(), dt.time(), time_zone)[0] + dt.timedelta(days=2),
        )
    ]
    # Who would teach the new times: the instructor, and a saved batch's assistants (their
    # clashes refuse an edit too).
    teachers = {instructor.pk: instructor}
    if batch.pk is not None:
        for row in BatchTrainer.objects.filter(
            batch_id=batch.pk, role__in=TEACHING_ROLES, ended_at__isnull=True
        ).select_related("trainer"):
            teachers.setdefault(row.trainer_id, row.trainer)
    bookings = [
        b
        for found in _overlapping_bookings(sorted(teachers), whole).values()
        for b in found
        if b.batch_id != batch.pk
    ]
    free = _Free(bookings)
    windows: dict[int, list] = {}
    for window in AvailabilityWindow.objects.filter(trainer_id__in=sorted(teachers)):
        windows.setdefault(window.trainer_id, []).append(window)

    def available(found: list[Interval]) -> bool:
        return all(
            _unavailable(mine, teachers[trainer_id], found) is None
            for trainer_id, mine in windows.items()
        )

    def sessions(slot: WeeklySlot) -> list[Interval]:
        return [
            Interval(*interval(d, slot.start_time, slot.end_time, time_zone), time_zone)
            for d in dates[slot.day]
        ]

    def fits(slot: WeeklySlot) -> bool:
        days = dates[slot.day]
        if not days:
            return False
        # The first date alone rules most times out (outside the windows, or booked every
        # week): check it before laying the slot on every date.
        head = [Interval(*interval(days[0], slot.start_time, slot.end_time, time_zone), time_zone)]
        if not available(head):
            return False
        if not free.free(head[0].start_at, head[0].end_at):
            return False
        found = sessions(slot)
        if not all(free.free(i.start_at, i.end_at) for i in found):
            return False
        return available(found)

    clashing = [s for s in slots if not fits(s)]
    if not clashing:
        return []
    kept = [s for s in slots if s not in clashing]
    opens, closes = (_minutes(t) for t in teaching_hours())
    step = int(STEP.total_seconds() // 60)

    def candidates(slot: WeeklySlot):
        """Other times of the slot's length, the nearest first: its own weekday by distance
        from its start, then the other weekdays by distance from it."""
        length = _minutes(slot.end_time) - _minutes(slot.start_time)
        starts = range(opens, closes - length + 1, step)
        days = sorted(range(7), key=lambda d: (min((d - slot.day) % 7, (slot.day - d) % 7), d))
        for day in days:
            for start in sorted(starts, key=lambda m: (abs(m - _minutes(slot.start_time)), m)):
                option = WeeklySlot(day, _time(start), _time(start + length))
                if option != slot and not any(_overlaps(option, k) for k in kept):
                    yield option

    # The feasible options of each clashing slot, found lazily: the search stops as soon as
    # ``limit`` schedules are made.
    generators = [(slot, candidates(slot)) for slot in clashing]
    found: list[list[WeeklySlot]] = [[] for _ in clashing]
    alternatives: list[Alternative] = []
    used: set[tuple] = set()
    while len(alternatives) < limit:
        chosen: list[WeeklySlot] = []
        for i, (_slot, options) in enumerate(generators):
            pick = next(
                (o for o in found[i] if not any(_overlaps(o, c) for c in chosen)
                 and (i, o) not in used),
                None,
            )  # fmt: skip
            while pick is None:
                option = next(options, None)
                if option is None:
                    break
                if fits(option):
                    found[i].append(option)
                    if not any(_overlaps(option, c) for c in chosen):
                        pick = option
            if pick is None:
                return alternatives
            chosen.append(pick)
        for i, pick in enumerate(chosen):
            used.add((i, pick))
        schedule = sorted([*kept, *chosen], key=lambda s: (s.day, s.start_time))
        alternatives.append(Alternative("time", slots=tuple(schedule)))
    return alternatives


def instructor_alternatives(
    batch: Batch,
    slots,
    instructor: User | None,
    *,
    limit: int = MAX_ALTERNATIVES,
    replan: bool = True,
) -> list[Alternative]:
    """Up to ``limit`` other active instructors the teaching rule accepts for ``batch`` at
    ``slots``, ranked as on the assign-instructor page: on the course's active roster first,
    then the fewest open batches, then by name. Twelve queries at most, however many."""
    trainers = User.objects.instructors()
    if instructor is not None:
        trainers = trainers.exclude(pk=instructor.pk)
    if not replan and batch.assigned_instructor_id is not None:
        # Assigning to the batch as it is: its own instructor is refused ("already the
        # instructor of ...").
        trainers = trainers.exclude(pk=batch.assigned_instructor_id)
    # A new or re-planned schedule replaces the batch's sessions; otherwise (a new instructor
    # for the batch as it is) its stored sessions are what they would teach.
    plan = Plan(proposed_sessions(batch, slots), replaces_batch=True) if replan else None
    intervals = plan.intervals if plan else held_sessions(batch)
    # Those booked at any of the times are refused for the clash: left out in one query
    # (distinct ids) before the rule reads everyone's bookings in full (1.1 s for 500 busy
    # trainers, bench/matching.py).
    spans = _merged(intervals)
    busy: set[int] = set()
    if spans:
        overlapping = Q()
        for start, end in spans:
            overlapping |= Q(start_at__lt=end, end_at__gt=start)
        busy = set(
            TrainerBooking.objects.filter(overlapping, batch__status__in=OPEN_BATCH_STATUSES)
            .exclude(batch_id=batch.pk)
            .order_by()
            .values_list("trainer_id", flat=True)
            .distinct()
        )
    people = [
        t
        for t in trainers.select_related("trainer_profile").order_by("full_name", "email", "pk")
        if t.pk not in busy
    ]
    if not people:
        return []
    context = teaching_context(batch, [t.pk for t in people], slots=list(slots), plan=plan)
    ranked = []
    for trainer in people:
        if teaching_refusal(context, trainer, newly_teaching=True) is None:
            entry = context.roster.get(trainer.pk)
            on_roster = entry is not None and entry.status == "active"
            ranked.append((not on_roster, context.open_batches.get(trainer.pk, 0), trainer))
    ranked.sort(key=lambda r: (r[0], r[1]))  # stable: names stay in order within a rank
    return [Alternative("instructor", instructor=t) for _, _, t in ranked[:limit]]


def clash_alternatives(
    batch: Batch,
    slots,
    instructor: User,
    *,
    times: bool = True,
    limit: int = MAX_ALTERNATIVES,
) -> list[Alternative]:
    """Up to ``limit`` alternatives to a conflict of ``instructor`` teaching ``batch`` at
    ``slots``: other times first (at most three when instructors can fill the rest), then
    other instructors. ``times=False`` offers instructors only (the batch's times are not
    what is being changed)."""
    slots = list(slots)
    found = time_alternatives(batch, slots, instructor, limit=limit) if times else []
    others = instructor_alternatives(batch, slots, instructor, limit=limit, replan=times)
    shown_times = found[: max(limit - len(others), min(3, len(found)))]
    return (shown_times + others)[:limit]


@contextmanager
def offering_alternatives(batch: Batch, slots, instructor: User | None, *, times: bool = True):
    """Around a service call: a refusal for a schedule conflict leaves with ``alternatives``
    (``Alternative.as_dict`` each) in ``extra``, its message untouched; the API's error
    handler adds them to the envelope. Computed after the refused transaction rolled back,
    outside any lock."""
    try:
        yield
    except DomainError as refusal:
        # Only the primary's own clash: another trainer's (an assistant's) is not solved by
        # moving the primary's times or changing the primary.
        if (
            refusal.code == "conflict"
            and instructor is not None
            and refusal.message.startswith(f"Schedule conflict: {instructor.display_name} ")
        ):
            found = clash_alternatives(batch, slots, instructor, times=times)
            refusal.extra = {"alternatives": [a.as_dict() for a in found]}
        raise
