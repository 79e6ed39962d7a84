"""Rosters and substitute cover under real concurrency, on PostgreSQL.

``substitute_assign`` locks the substitute's trainer profile (two covers cannot double-book
them), then the batch row (one absence is covered once); ``roster_add`` locks the course row
(the workload sum spans the roster). Each test starts real threads with their own
connections (``transaction=True``); everything they read is arranged before the race,
trainer profiles included, so the threads contend only for the locks under test. SQLite has
no row locks, so these skip there (see conftest.py).
"""

import datetime as dt

import pytest
from django.db.models import Sum

from accounts.tests.factories import AdminFactory, InstructorFactory
from allocation.models import BatchStatus, CourseTrainer, RosterRole, SubstituteCover
from allocation.services import Slot, batch_create, roster_add, substitute_assign
from core.testing import race
from trainers.tests.factories import TrainerProfileFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

MONDAY = 0
TERM_START, TERM_END = dt.date(2026, 3, 2), dt.date(2026, 5, 29)
WEEK_START, WEEK_END = dt.date(2026, 4, 6), dt.date(2026, 4, 10)


def at(text: str) -> dt.time:
    return dt.time.fromisoformat(text)


def assert_no_errors(outcomes):
    assert [o.error for o in outcomes if o.error] == []


def trainer(name: str):
    """An instructor with a trainer profile (default caps), made before any race starts."""
    return TrainerProfileFactory(user=InstructorFactory(full_name=name)).user


@pytest.fixture
def admin():
    return AdminFactory()


def make_batch(course, admin, instructor, code):
    return batch_create(
        course=course,
        batch_name=f"Group {code}",
        batch_code=code,
        start_date=TERM_START,
        end_date=TERM_END,
        capacity=10,
        assigned_instructor=instructor,
        created_by=admin,
        status=BatchStatus.ACTIVE,
        schedule=[Slot(MONDAY, at("10:00"), at("12:00"))],
    )


def test_two_substitutes_covering_one_absence_at_once_only_one_covers(course, admin):
    """Different substitutes lock different profiles: only the batch lock serializes them."""
    anna = trainer("Anna Schmidt")
    batch = make_batch(course, admin, anna, "GER-A1-MON")
    subs = [trainer("Sue Sub"), trainer("Sam Sub")]
    for sub in subs:
        roster_add(course=course, trainer=sub, role=RosterRole.SUBSTITUTE)

    outcomes = race(
        substitute_assign,
        [
            {
                "batch": batch,
                "absent_trainer": anna,
                "substitute": sub,
                "start_date": WEEK_START,
                "end_date": WEEK_END,
                "assigned_by": admin,
            }
            for sub in subs
        ],
    )

    assert_no_errors(outcomes)
    winners = [o.value for o in outcomes if o.ok]
    assert len(winners) == 1, f"{len(winners)} covers were recorded"
    [winner] = winners
    assert [o.message for o in outcomes if not o.ok] == [
        f"{winner.substitute.full_name} already covers Anna Schmidt on GER-A1-MON from "
        "2026-04-06 to 2026-04-10"
    ]
    assert list(SubstituteCover.objects.all()) == [winner]


def test_ten_clashing_covers_for_one_substitute_only_one_is_recorded(course, admin):
    """Ten batches on the same Monday slot, each with its own absent primary: the covers
    lock different batches, so only the substitute's profile lock serializes them."""
    primaries = [trainer(f"Primary {i}") for i in range(10)]
    batches = [make_batch(course, admin, p, f"GER-A1-{i:02d}") for i, p in enumerate(primaries)]
    sue = trainer("Sue Sub")
    roster_add(course=course, trainer=sue, role=RosterRole.SUBSTITUTE)

    outcomes = race(
        substitute_assign,
        [
            {
                "batch": batch,
                "absent_trainer": primary,
                "substitute": sue,
                "start_date": WEEK_START,
                "end_date": WEEK_END,
                "assigned_by": admin,
            }
            for batch, primary in zip(batches, primaries, strict=True)
        ],
    )

    assert_no_errors(outcomes)
    winners = [o.value for o in outcomes if o.ok]
    assert len(winners) == 1, f"{len(winners)} covers were recorded"
    [winner] = winners
    assert [o.message for o in outcomes if not o.ok] == [
        f"Schedule conflict: Sue Sub already covers {winner.batch.batch_code} "
        f"({winner.batch.batch_name}) on Monday 2026-04-06 10:00–12:00 (UTC), which overlaps "
        "Monday 2026-04-06 10:00–12:00 (UTC)"
    ] * 9
    assert list(SubstituteCover.objects.filter(substitute=sue)) == [winner]


def test_ten_roster_additions_of_20_percent_only_five_fit(course):
    trainers = [trainer(f"Trainer {i}") for i in range(10)]

    outcomes = race(
        roster_add,
        [{"course": course, "trainer": t, "workload_percent": 20} for t in trainers],
    )

    assert_no_errors(outcomes)
    assert sum(o.ok for o in outcomes) == 5
    assert [o.message for o in outcomes if not o.ok] == [
        "The active trainers of GER-A1 already have 100% of its workload; adding 20% would "
        "make 120% (at most 100%)"
    ] * 5
    entries = CourseTrainer.objects.filter(course=course)
    assert entries.count() == 5
    assert entries.aggregate(total=Sum("workload_percent"))["total"] == 100
    assert set(entries) == {o.value for o in outcomes if o.ok}
