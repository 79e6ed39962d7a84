"""The demo's plan: the weekly slot patterns, and which batch each trainer teaches when,
computed from a date; nothing here touches the database."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from allocation.models import BatchStatus
from allocation.services import Slot

from .people import (
    ALEX,
    EMILY,
    ENGLISH_ASSISTANTS,
    ENGLISH_SUBSTITUTES,
    JOHN,
    MARIA,
    ROBERT,
    SARAH,
    Trainer,
)

PAYMENT_AMOUNT = Decimal("299.00")
PAYMENT_CURRENCY = "USD"
PAYMENT_METHOD = "credit_card"


def _t(text: str) -> dt.time:
    return dt.time.fromisoformat(text)


@dataclass(frozen=True)
class Pattern:
    """A named weekly timetable that a batch follows: its label goes into the batch name."""

    label: str
    days: tuple[int, ...]
    start: str
    end: str

    def slots(self) -> list[Slot]:
        return [Slot(day=d, start_time=_t(self.start), end_time=_t(self.end)) for d in self.days]


MON, TUE, WED, THU, FRI, SAT = range(6)

# German: each assistant's four batches take one pattern each. The four never overlap.
GERMAN_PATTERNS = (
    Pattern("Mon/Wed morning", (MON, WED), "08:00", "10:00"),
    Pattern("Mon/Wed evening", (MON, WED), "18:00", "20:00"),
    Pattern("Tue/Thu morning", (TUE, THU), "08:00", "10:00"),
    Pattern("Tue/Thu evening", (TUE, THU), "18:00", "20:00"),
)
# English: pairwise disjoint too (Friday 10:00-11:30 and 14:00-16:00 are hours apart), so any
# trainer whose batches all use different patterns is never double-booked.
ENGLISH_PATTERNS = (
    Pattern("Mon/Wed/Fri morning", (MON, WED, FRI), "10:00", "11:30"),
    Pattern("Tue/Thu evening", (TUE, THU), "18:00", "20:00"),
    Pattern("Fri/Sat afternoon", (FRI, SAT), "14:00", "16:00"),
    Pattern("Mon/Wed evening", (MON, WED), "19:00", "20:30"),
)


@dataclass(frozen=True)
class BatchPlan:
    number: int  # 1-based, within the course
    primary: Trainer
    pattern: Pattern
    status: str
    start_date: dt.date
    end_date: dt.date
    lead: Trainer


@dataclass(frozen=True)
class CoursePlan:
    code: str
    title: str
    description: str
    subject: str  # the trainers' specialization
    capacity: int
    trainers: tuple[Trainer, ...]
    batches: tuple[BatchPlan, ...]

    def batch_name(self, plan: BatchPlan) -> str:
        return f"{self.title} — Batch {plan.number:02d} ({plan.pattern.label})"

    @property
    def student_count(self) -> int:
        return self.capacity * len(self.batches)


def _monday_on_or_before(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def monday_on_or_after(day: dt.date) -> dt.date:
    return day + dt.timedelta(days=-day.weekday() % 7)


def _dates(today: dt.date, status: str, *, started_weeks_ago: int, starts_in_weeks: int):
    """Active batches started some weeks ago; upcoming ones start soon. Both run 13 weeks."""
    if status == BatchStatus.ACTIVE:
        start = _monday_on_or_before(today - dt.timedelta(weeks=started_weeks_ago))
    else:
        start = monday_on_or_after(today + dt.timedelta(weeks=starts_in_weeks))
    return start, start + dt.timedelta(weeks=13, days=-3)  # ends on the Friday of week 13


def _plan_batches(
    today: dt.date,
    primaries: list[tuple[Trainer, Trainer]],  # (primary, lead) per batch, in batch order
    patterns: tuple[Pattern, ...],
    is_active: Callable[[int], bool],
    *,
    rotate: bool,
    started_weeks_ago: int,
    starts_in_weeks: int,
) -> tuple[BatchPlan, ...]:
    """Give each batch the next pattern its primary trainer has not used yet.

    A trainer's k-th batch takes pattern k, or with ``rotate`` pattern k shifted by the
    trainer's position, so that not every trainer's first batch lands in the same slot.
    """
    order = list(dict.fromkeys(primary for primary, _ in primaries))
    taught: dict[Trainer, int] = {}
    plans = []
    for number, (primary, lead) in enumerate(primaries, start=1):
        nth = taught[primary] = taught.get(primary, -1) + 1
        if nth >= len(patterns):
            raise ValueError(f"{primary.full_name} has more batches than slot patterns")
        shift = order.index(primary) if rotate else 0
        status = BatchStatus.ACTIVE if is_active(number) else BatchStatus.UPCOMING
        start, end = _dates(
            today, status, started_weeks_ago=started_weeks_ago, starts_in_weeks=starts_in_weeks
        )
        pattern = patterns[(nth + shift) % len(patterns)]
        plans.append(BatchPlan(number, primary, pattern, status, start, end, lead))
    return tuple(plans)


def german_plan(today: dt.date) -> CoursePlan:
    primaries = [(assistant, SARAH) for assistant in (JOHN, MARIA, ALEX) for _ in range(4)]
    return CoursePlan(
        code="GER-A1",
        title="German A1",
        description="Beginner German (CEFR A1): 300 students in 12 batches of 25.",
        subject="German",
        capacity=25,
        trainers=(SARAH, JOHN, MARIA, ALEX),
        batches=_plan_batches(
            today,
            primaries,
            GERMAN_PATTERNS,
            lambda n: n <= 8,
            rotate=False,
            started_weeks_ago=3,
            starts_in_weeks=2,
        ),
    )


def english_plan(today: dt.date) -> CoursePlan:
    a = ENGLISH_ASSISTANTS
    # Batches 1-12 under Dr. Smith, 13-25 under Dr. Johnson; each lead teaches the first
    # batch of their range, the assistants 3, 3, 3, 2 and 3, 3, 3, 3 batches.
    smith_range = [EMILY] + [a[0]] * 3 + [a[1]] * 3 + [a[2]] * 3 + [a[3]] * 2
    johnson_range = [ROBERT] + [a[4]] * 3 + [a[5]] * 3 + [a[6]] * 3 + [a[7]] * 3
    primaries = [(t, EMILY) for t in smith_range] + [(t, ROBERT) for t in johnson_range]
    return CoursePlan(
        code="ENG-B2",
        title="English B2",
        description="Upper-intermediate English (CEFR B2): 500 students in 25 batches of 20.",
        subject="English",
        capacity=20,
        trainers=(EMILY, ROBERT, *ENGLISH_ASSISTANTS, *ENGLISH_SUBSTITUTES),
        batches=_plan_batches(
            today,
            primaries,
            ENGLISH_PATTERNS,
            lambda n: n <= 8 or 13 <= n <= 21,
            rotate=True,
            started_weeks_ago=5,
            starts_in_weeks=3,
        ),
    )


# Workload shares (percent of the course) per roster role; each course's shares sum to 100.
ROSTER_SHARES = {
    "GER-A1": {"lead": 25, "assistant": 25, "substitute": 0},
    "ENG-B2": {"lead": 10, "assistant": 10, "substitute": 0},
}


# (mentor, assignment type, student numbers, sessions logged per mentee). A mentee of a
# mentor with no sessions shows the "no contact for 14+ days" flag on the dashboards.
MENTORING_PLAN = (
    (SARAH, "mentor", range(1, 7), (3, 2, 1, 1, 0, 0)),
    (EMILY, "mentor", range(301, 307), (2, 2, 1, 0, 0, 0)),
    (ROBERT, "tutor", range(307, 311), (1, 1, 0, 0)),
    *(
        (substitute, "advisor", range(311 + 3 * i, 314 + 3 * i), (1, 0, 0))
        for i, substitute in enumerate(ENGLISH_SUBSTITUTES)
    ),
)
MENTORING_STARTED_DAYS_AGO = 30
