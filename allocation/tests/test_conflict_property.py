"""Property tests of the schedule-conflict rule against a brute-force reference.

The reference knows nothing of interval arithmetic: two weekly slots clash when they share a
weekday and some minute ``m`` with ``start <= m < end`` on both, and two date ranges overlap
when some day lies in both (inclusive). Hypothesis generates the slots and ranges, the edge
cases (touching, identical, nested, other day, the day's first and last minute) are pinned as
explicit examples, and runs are derandomized so CI sends the same cases every time.

The layers compared with the reference:

- ``slots_overlap`` / ``ScheduleSlot.overlaps`` (pure, the weekly pattern);
- ``_clashes``, the real-time rule over a trainer's bookings (pure): two sessions clash when
  some absolute minute lies in both, half-open;
- ``session_conflicts``, the SQL path: bookings stored in batches of every status, read back;
- ``occurrences``: every generated session is its slot on the wall clock of its zone, on
  every date, across the changes to and from summer time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.db import transaction
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from accounts.tests.factories import AdminFactory, InstructorFactory
from allocation.eligibility import Interval, _Booking, _clashes, session_conflicts
from allocation.models import (
    OPEN_BATCH_STATUSES,
    BatchStatus,
    ClassSession,
    ScheduleSlot,
    TrainerBooking,
    slots_overlap,
)
from allocation.session_times import occurrences
from allocation.tests.factories import BatchFactory
from core.timezones import zone

MINUTES_PER_DAY = 24 * 60
LAST_MINUTE = MINUTES_PER_DAY - 1  # 23:59: a TimeField has no 24:00
PURE = settings(max_examples=400, derandomize=True, deadline=None, database=None)
STORED = settings(
    max_examples=100,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def at(minute: int) -> dt.time:
    return dt.time(minute // 60, minute % 60)


@dataclass(frozen=True)
class S:
    """A weekly slot: weekday and half-open [start, end) in minutes since midnight."""

    day: int
    start: int
    end: int

    @property
    def start_time(self) -> dt.time:
        return at(self.start)

    @property
    def end_time(self) -> dt.time:
        return at(self.end)


# --- the reference ---------------------------------------------------------------------------


def minutes(slot) -> set[tuple[int, int]]:
    """Every (weekday, minute) the slot occupies, read from its times."""
    start = slot.start_time.hour * 60 + slot.start_time.minute
    end = slot.end_time.hour * 60 + slot.end_time.minute
    return {(slot.day, m) for m in range(MINUTES_PER_DAY) if start <= m < end}


def brute_overlap(a, b) -> bool:
    return bool(minutes(a) & minutes(b))


def days(first: dt.date, last: dt.date) -> set[dt.date]:
    return {first + dt.timedelta(n) for n in range((last - first).days + 1)}


def brute_dates_overlap(a: tuple[dt.date, dt.date], b: tuple[dt.date, dt.date]) -> bool:
    return bool(days(*a) & days(*b))


# --- strategies ------------------------------------------------------------------------------


@st.composite
def slots(draw, step: int = 1, last_day: int = 6) -> S:
    """A slot on a grid of ``step`` minutes; it may end at the day's last minute. Fewer days
    (``last_day``) make clashes more frequent."""
    start = draw(st.integers(0, (LAST_MINUTE - 1) // step)) * step
    end = draw(st.integers(start // step + 1, MINUTES_PER_DAY // step)) * step
    if draw(st.booleans()):
        end = MINUTES_PER_DAY  # run to the day's end, often
    return S(draw(st.integers(0, last_day)), start, min(end, LAST_MINUTE))


BASE = dt.date(2026, 1, 5)


@st.composite
def date_ranges(draw) -> tuple[dt.date, dt.date]:
    first = BASE + dt.timedelta(draw(st.integers(0, 40)))
    return first, first + dt.timedelta(draw(st.integers(0, 30)))


# --- slots_overlap and ScheduleSlot.overlaps --------------------------------------------------

EDGES = [
    (S(0, 600, 720), S(0, 720, 780), False),  # touching: 10-12 and 12-13
    (S(0, 720, 780), S(0, 600, 720), False),  # touching, the other way round
    (S(0, 600, 720), S(0, 600, 720), True),  # identical
    (S(0, 600, 720), S(0, 630, 660), True),  # nested
    (S(0, 630, 660), S(0, 600, 720), True),  # nested, the other way round
    (S(0, 600, 720), S(0, 600, 660), True),  # same start: 10-12 and 10-11
    (S(0, 600, 720), S(1, 600, 720), False),  # another weekday
    (S(6, 0, 60), S(0, 0, 60), False),  # Sunday and Monday, each at midnight
    (S(6, 1380, LAST_MINUTE), S(0, 0, 60), False),  # late Sunday, early Monday
    (S(3, 0, 1), S(3, 0, LAST_MINUTE), True),  # the day's first minute
    (S(3, LAST_MINUTE - 1, LAST_MINUTE), S(3, 0, LAST_MINUTE), True),  # its last slot
    (S(3, 0, 1), S(3, 1, 2), False),  # one-minute slots side by side
]


@pytest.mark.parametrize(("a", "b", "clash"), EDGES)
def test_edge_cases(a, b, clash):
    assert brute_overlap(a, b) is clash  # the reference agrees with the rule in the docs
    assert slots_overlap(a, b) is clash


@given(a=slots(), b=slots())
@PURE
def test_slots_overlap_matches_minute_by_minute(a, b):
    assert slots_overlap(a, b) == brute_overlap(a, b)
    assert slots_overlap(a, b) == slots_overlap(b, a)


@given(a=slots(step=15), b=slots(step=15))
@PURE
def test_model_overlaps_matches_minute_by_minute(a, b):
    one = ScheduleSlot(day=a.day, start_time=a.start_time, end_time=a.end_time)
    other = ScheduleSlot(day=b.day, start_time=b.start_time, end_time=b.end_time)
    assert one.overlaps(other) == brute_overlap(a, b)


# --- the real-time rule (pure) ---------------------------------------------------------------

T0 = dt.datetime(2026, 3, 23, tzinfo=dt.UTC)  # a week before Europe's spring change


def instant(minute: int) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minute)


def span(start: int, length: int) -> set[int]:
    return set(range(start, start + length))


@st.composite
def bookings(draw) -> list[_Booking]:
    found = []
    for n in range(draw(st.integers(0, 6))):
        start, length = draw(st.integers(0, 600)), draw(st.integers(1, 180))
        batch_id = draw(st.integers(1, 3))
        found.append(
            _Booking(
                session_id=n + 1,
                batch_id=batch_id,
                batch_code=f"B{batch_id}",
                batch_name=f"Batch {batch_id}",
                time_zone="UTC",
                role=draw(st.sampled_from(["primary", "assistant", "cover"])),
                start_at=instant(start),
                end_at=instant(start + length),
            )
        )
    return found


@st.composite
def proposals(draw) -> list[Interval]:
    found = []
    for _ in range(draw(st.integers(1, 3))):
        start, length = draw(st.integers(0, 600)), draw(st.integers(1, 180))
        # now and then the proposal is one of the booked sessions (a move of it)
        session_id = draw(st.one_of(st.none(), st.integers(1, 6)))
        found.append(Interval(instant(start), instant(start + length), "UTC", session_id))
    return found


def minutes_of(start: dt.datetime, end: dt.datetime) -> set[int]:
    return span(int((start - T0).total_seconds() // 60), int((end - start).total_seconds() // 60))


def expected(bookings, proposed, exclude_batch) -> set[tuple]:
    own = {p.session_id for p in proposed if p.session_id is not None}
    return {
        (b.session_id, p.start_at, p.end_at)
        for b in bookings
        for p in proposed
        if b.batch_id != exclude_batch
        and b.session_id not in own
        and minutes_of(b.start_at, b.end_at) & minutes_of(p.start_at, p.end_at)
    }


def found(conflicts) -> set[tuple]:
    return {(c.session_id, c.proposed_start, c.proposed_end) for c in conflicts}


@given(bookings=bookings(), proposed=proposals(), exclude=st.one_of(st.none(), st.integers(1, 3)))
@example(  # touching: 10-12 and 12-13 in real time do not clash
    bookings=[_Booking(1, 1, "B1", "B", "UTC", "primary", instant(600), instant(720))],
    proposed=[Interval(instant(720), instant(780))],
    exclude=None,
)
@example(  # the last shared minute clashes
    bookings=[_Booking(1, 1, "B1", "B", "UTC", "primary", instant(600), instant(720))],
    proposed=[Interval(instant(719), instant(780))],
    exclude=None,
)
@example(  # a session's own booking is no clash (a move)
    bookings=[_Booking(1, 1, "B1", "B", "UTC", "primary", instant(600), instant(720))],
    proposed=[Interval(instant(630), instant(700), "UTC", 1)],
    exclude=None,
)
@PURE
def test_clashes_match_the_reference(bookings, proposed, exclude):
    conflicts = _clashes(bookings, proposed, exclude_batch_id=exclude)
    assert found(conflicts) == expected(bookings, proposed, exclude)
    keys = [(c.existing_start, c.batch_code, c.proposed_start) for c in conflicts]
    assert keys == sorted(keys)  # in time order, as documented


# --- the SQL path: session_conflicts over stored bookings -------------------------------------


@pytest.fixture
def people(db):
    return {"trainer": InstructorFactory(), "other": InstructorFactory(), "admin": AdminFactory()}


@st.composite
def stored(draw) -> list[dict]:
    return [
        {
            "status": draw(st.sampled_from([*OPEN_BATCH_STATUSES, *BatchStatus.values])),
            "mine": draw(st.booleans()) or draw(st.booleans()),
            "start": draw(st.integers(0, 600)),
            "length": draw(st.integers(1, 180)),
        }
        for _ in range(draw(st.integers(1, 5)))
    ]


@given(rows=stored(), proposed=proposals())
@STORED
def test_session_conflicts_match_the_reference(people, rows, proposed):
    # Each example writes inside a savepoint that is rolled back, so the next starts clean.
    with transaction.atomic():
        counted, written = [], {}
        for row in rows:
            trainer = people["trainer"] if row["mine"] else people["other"]
            batch = BatchFactory(
                status=row["status"], assigned_instructor=trainer, created_by=people["admin"]
            )
            start, end = instant(row["start"]), instant(row["start"] + row["length"])
            session = ClassSession.objects.create(
                batch=batch,
                start_at=start,
                end_at=end,
                kind="extra",
                local_date=start.date(),
            )
            # Overlapping bookings of one trainer (in any batch) are what the database
            # refuses on PostgreSQL: such a row is left out, as the services never write it.
            mine = written.setdefault(trainer.pk, [])
            if any(a < end and start < b for a, b in mine):
                continue
            mine.append((start, end))
            TrainerBooking.objects.create(
                trainer=trainer,
                session=session,
                batch=batch,
                role="primary",
                start_at=start,
                end_at=end,
            )
            if row["mine"] and row["status"] in OPEN_BATCH_STATUSES:
                counted.append(
                    _Booking(
                        session.pk, batch.pk, batch.batch_code, "", "UTC", "primary", start, end
                    )
                )
        proposed = [Interval(p.start_at, p.end_at) for p in proposed]  # no own sessions here
        conflicts = session_conflicts([people["trainer"].pk], proposed).get(
            people["trainer"].pk, []
        )
        assert found(conflicts) == expected(counted, proposed, None)
        event(f"stored {len(rows)}, counted {len(counted)}, clashes {len(conflicts)}")
        assert session_conflicts([people["admin"].pk], proposed) == {}
        transaction.set_rollback(True)


# --- generation: the wall clock of the batch's zone ------------------------------------------


@given(
    slot=slots(step=15),
    zone_name=st.sampled_from(
        ["Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Sydney", "UTC"]
    ),
    first=st.dates(dt.date(2026, 1, 1), dt.date(2026, 12, 31)),
    weeks=st.integers(1, 30),
)
@PURE
def test_every_session_is_its_slot_on_the_local_wall_clock(slot, zone_name, first, weeks):
    last = first + dt.timedelta(weeks=weeks)
    tz = zone(zone_name)
    sessions = occurrences([slot], first, last, zone_name)
    assert len(sessions) == sum(1 for day in days(first, last) if day.weekday() == slot.day)
    for o in sessions:
        assert o.start_at.tzinfo is not None and o.end_at > o.start_at
        local = o.start_at.astimezone(tz)
        assert local.weekday() == slot.day
        # Only a wall time skipped by a spring-forward change can differ (read an hour later).
        if local.time() != slot.start_time:
            assert local.utcoffset() != (local - dt.timedelta(hours=3)).utcoffset()
