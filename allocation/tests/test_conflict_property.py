"""Property tests of the schedule-conflict rule against a brute-force reference.

The reference knows nothing of interval arithmetic: two weekly slots clash when they share a
weekday and some minute ``m`` with ``start <= m < end`` on both, and two date ranges overlap
when some day lies in both (inclusive). Hypothesis generates the slots and ranges, the edge
cases (touching, identical, nested, other day, the day's first and last minute) are pinned as
explicit examples, and runs are derandomized so CI sends the same cases every time.

Three layers are compared with the reference:

- ``slots_overlap`` / ``ScheduleSlot.overlaps`` (pure);
- ``_clashes``, the rule over a trainer's duties with their date ranges (pure);
- ``instructor_conflicts``, the SQL path: the duties are stored as batches, staffing rows and
  substitute covers of every status and role, then read back by the selector.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from accounts.tests.factories import AdminFactory, InstructorFactory
from allocation.eligibility import Duty, _clashes, instructor_conflicts
from allocation.models import (
    OPEN_BATCH_STATUSES,
    BatchStatus,
    BatchTrainer,
    ScheduleSlot,
    StaffRole,
    SubstituteCover,
    slots_overlap,
)
from allocation.tests.factories import BatchFactory

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


# --- the rule with date ranges (pure) --------------------------------------------------------


@st.composite
def duties(draw) -> list[Duty]:
    found = []
    for batch_id in range(1, draw(st.integers(0, 6)) + 1):
        slot = draw(slots(step=5, last_day=2))
        first, last = draw(date_ranges())
        found.append(
            Duty(
                kind=draw(st.sampled_from(["teaches", "covers"])),
                batch_id=batch_id,
                batch_code=f"B{batch_id}",
                batch_name=f"Batch {batch_id}",
                day=slot.day,
                start_time=slot.start_time,
                end_time=slot.end_time,
                start_date=first,
                end_date=last,
            )
        )
    return found


def expected_clashes(duties, proposed, date_range, exclude=None) -> set[tuple]:
    return {
        (d.batch_id, d.day, d.start_time, d.end_time, p.start_time, p.end_time, d.kind)
        for d in duties
        for p in proposed
        if d.batch_id != exclude
        and brute_dates_overlap((d.start_date, d.end_date), date_range)
        and brute_overlap(d, p)
    }


def found_clashes(conflicts) -> set[tuple]:
    return {
        (
            c.batch_id,
            c.day,
            c.existing_start,
            c.existing_end,
            c.proposed_start,
            c.proposed_end,
            c.kind,
        )
        for c in conflicts
    }


@given(
    duties=duties(),
    proposed=st.lists(slots(step=5, last_day=2), min_size=1, max_size=3, unique=True),
    date_range=date_ranges(),
    exclude=st.one_of(st.none(), st.integers(1, 6)),
)
@example(  # the other batch ends the day before the range starts: no clash
    duties=[Duty("teaches", 1, "B1", "B", 0, at(600), at(720), BASE, BASE)],
    proposed=[S(0, 600, 720)],
    date_range=(BASE + dt.timedelta(1), BASE + dt.timedelta(9)),
    exclude=None,
)
@example(  # it ends on the range's first day (inclusive days): a clash
    duties=[Duty("teaches", 1, "B1", "B", 0, at(600), at(720), BASE, BASE)],
    proposed=[S(0, 660, 780)],
    date_range=(BASE, BASE + dt.timedelta(9)),
    exclude=None,
)
@example(  # the batch being edited never clashes with itself
    duties=[Duty("teaches", 1, "B1", "B", 0, at(600), at(720), BASE, BASE)],
    proposed=[S(0, 600, 720)],
    date_range=(BASE, BASE),
    exclude=1,
)
@PURE
def test_clashes_match_the_reference(duties, proposed, date_range, exclude):
    conflicts = _clashes(duties, proposed, date_range, exclude=exclude)
    assert found_clashes(conflicts) == expected_clashes(duties, proposed, date_range, exclude)
    assert len(conflicts) == len(found_clashes(conflicts))  # each clash once
    keys = [(c.day, c.existing_start, c.batch_code, c.proposed_start) for c in conflicts]
    assert keys == sorted(keys)  # in day/time order, as documented


# --- the SQL path: instructor_conflicts over stored rows -------------------------------------

# How the trainer is tied to a stored batch; only teaching roles that have not ended and
# substitute covers count.
TIES = ["primary", "assistant", "backup", "ended assistant", "covers", "primary", "assistant"]


@st.composite
def stored_duties(draw) -> list[dict]:
    return [
        {
            "tie": draw(st.sampled_from(TIES)),
            # open batches twice as often as closed ones
            "status": draw(st.sampled_from([*OPEN_BATCH_STATUSES, *BatchStatus.values])),
            "slot": draw(slots(step=5, last_day=1)),
            "dates": draw(date_ranges()),
            "cover": draw(date_ranges()),
        }
        for _ in range(draw(st.integers(1, 5)))
    ]


@pytest.fixture
def people(db):
    return {"trainer": InstructorFactory(), "other": InstructorFactory(), "admin": AdminFactory()}


def store(rows: list[dict], trainer, other, admin) -> list[Duty]:
    """Save each row as a batch with one slot, tied to ``trainer``; return the duties that the
    rule should count, as the reference sees them."""
    counted = []
    for row in rows:
        tie, slot = row["tie"], row["slot"]
        first, last = row["dates"]
        batch = BatchFactory(
            status=row["status"],
            start_date=first,
            end_date=last,
            assigned_instructor=trainer if tie == "primary" else other,
            created_by=admin,
        )
        ScheduleSlot.objects.create(
            batch=batch, day=slot.day, start_time=slot.start_time, end_time=slot.end_time
        )
        if tie == "covers":
            first, last = row["cover"]
            SubstituteCover.objects.create(
                batch=batch,
                absent_trainer=other,
                substitute=trainer,
                start_date=first,
                end_date=last,
            )
        else:
            role = StaffRole.PRIMARY if tie == "primary" else tie.split()[-1]
            BatchTrainer.objects.create(
                batch=batch,
                trainer=trainer,
                role=role,
                assigned_by=admin,
                # after assigned_at (now), as the staffing history requires
                ended_at=timezone.now() + dt.timedelta(minutes=1)
                if tie.startswith("ended")
                else None,
            )
        if row["status"] in (BatchStatus.ACTIVE, BatchStatus.UPCOMING) and tie in (
            "primary",
            "assistant",
            "covers",
        ):
            counted.append(
                Duty(
                    kind="covers" if tie == "covers" else "teaches",
                    batch_id=batch.pk,
                    batch_code=batch.batch_code,
                    batch_name=batch.batch_name,
                    day=slot.day,
                    start_time=slot.start_time,
                    end_time=slot.end_time,
                    start_date=first,
                    end_date=last,
                )
            )
    return counted


@given(
    rows=stored_duties(),
    proposed=st.lists(slots(step=5, last_day=1), min_size=1, max_size=3, unique=True),
    date_range=date_ranges(),
)
@STORED
def test_instructor_conflicts_match_the_reference(people, rows, proposed, date_range):
    # Each example writes inside a savepoint that is rolled back, so the next starts clean.
    with transaction.atomic():
        counted = store(rows, **people)
        conflicts = instructor_conflicts(people["trainer"], proposed, date_range)
        assert found_clashes(conflicts) == expected_clashes(counted, proposed, date_range)
        event(f"stored {len(rows)}, counted {len(counted)}, clashes {len(conflicts)}")
        # Someone else's duties never clash for this trainer.
        assert instructor_conflicts(people["admin"], proposed, date_range) == []
        transaction.set_rollback(True)
