"""The calendar under real concurrency, on PostgreSQL: races of session moves, covers and
assignments for one trainer's time, and the exclusion constraint over trainer bookings.

Real threads with their own connections (``transaction=True``); SQLite has no row locks
and no exclusion constraints, so these are skipped there and CI runs them on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from accounts.tests.factories import AdminFactory, InstructorFactory
from allocation.models import BatchStatus, ClassSession, RosterRole, TrainerBooking
from allocation.services import (
    batch_assign_instructor,
    batch_create,
    roster_add,
    session_cover_assign,
    session_move,
)
from allocation.tests.factories import CourseFactory
from core.testing import race
from tests.support import slot

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

MONDAY, TUESDAY = 0, 1


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


@pytest.fixture
def admin():
    return AdminFactory()


@pytest.fixture
def course():
    return CourseFactory(code="GER-A1")


def make(course, admin, instructor, code, *slots):
    return batch_create(
        course=course,
        batch_name=code.title(),
        batch_code=code,
        start_date=dt.date(2026, 3, 2),
        end_date=dt.date(2026, 5, 29),
        capacity=10,
        assigned_instructor=instructor,
        created_by=admin,
        status=BatchStatus.ACTIVE,
        schedule=list(slots),
    )


def first(batch) -> ClassSession:
    return ClassSession.objects.filter(batch=batch).order_by("start_at").first()


def assert_no_errors(outcomes):
    assert [o.error for o in outcomes if o.error] == []


def test_two_moves_into_one_free_hour_of_a_trainer_give_exactly_one(course, admin):
    anna = InstructorFactory(full_name="Anna Schmidt")
    monday = make(course, admin, anna, "MON", slot(MONDAY, "10:00", "12:00"))
    tuesday = make(course, admin, anna, "TUE", slot(TUESDAY, "10:00", "12:00"))
    free_hour = {"start_at": utc(2026, 3, 4, 15), "end_at": utc(2026, 3, 4, 16)}

    outcomes = race(
        session_move,
        [{"session": first(batch), "moved_by": admin, **free_hour} for batch in (monday, tuesday)],
    )

    assert_no_errors(outcomes)
    winners = [o.value.session for o in outcomes if o.ok]
    assert len(winners) == 1, f"{len(winners)} moves succeeded"
    [winner] = winners
    [loser] = [o.message for o in outcomes if not o.ok]
    assert loser.startswith(
        f"Schedule conflict: Anna Schmidt already teaches {winner.batch.batch_code}"
    )
    assert TrainerBooking.objects.filter(trainer=anna, start_at=free_hour["start_at"]).count() == 1


def test_a_cover_and_an_assignment_of_one_trainer_at_once_give_exactly_one(course, admin):
    """Sue is asked at the same moment to cover Anna's Monday 10:00 sessions and to become
    the primary of another Monday 10:00 batch: her profile lock lets one through."""
    anna = InstructorFactory(full_name="Anna Schmidt")
    sue = InstructorFactory(full_name="Sue Sub")
    roster_add(course=course, trainer=sue, role=RosterRole.SUBSTITUTE)
    covered = make(course, admin, anna, "MON", slot(MONDAY, "10:00", "12:00"))
    other = make(course, admin, InstructorFactory(), "OTHER", slot(MONDAY, "11:00", "12:00"))
    sessions = list(ClassSession.objects.filter(batch=covered).order_by("start_at")[:3])

    def act(kind):
        if kind == "cover":
            return session_cover_assign(
                sessions=sessions, absent_trainer=anna, substitute=sue, assigned_by=admin
            )
        return batch_assign_instructor(batch=other, instructor=sue, assigned_by=admin)

    outcomes = race(act, [{"kind": "cover"}, {"kind": "assign"}])

    assert_no_errors(outcomes)
    assert sum(o.ok for o in outcomes) == 1
    [refused] = [o.message for o in outcomes if not o.ok]
    assert refused.startswith("Schedule conflict: Sue Sub already")
    # Whichever won, Sue is never booked twice at one time.
    times = list(
        TrainerBooking.objects.filter(trainer=sue)
        .order_by("start_at")
        .values_list("start_at", "end_at")
    )
    assert all(a[1] <= b[0] for a, b in zip(times, times[1:], strict=False))


def test_the_exclusion_constraint_refuses_a_double_booking_written_around_the_services(
    course, admin
):
    anna = InstructorFactory()
    monday = make(course, admin, anna, "MON", slot(MONDAY, "10:00", "12:00"))
    other = make(course, admin, InstructorFactory(), "OTHER", slot(MONDAY, "11:00", "13:00"))
    clash = first(other)

    with (
        pytest.raises(IntegrityError, match="booking_no_overlap_per_trainer"),
        transaction.atomic(),
    ):
        TrainerBooking.objects.create(
            trainer=anna,
            session=clash,
            batch=other,
            role="assistant",
            start_at=clash.start_at,
            end_at=clash.end_at,
        )

    # Touching is not overlapping: [12:00, 13:00) after [10:00, 12:00) is stored.
    TrainerBooking.objects.create(
        trainer=anna,
        session=clash,
        batch=other,
        role="assistant",
        start_at=utc(2026, 3, 2, 12),
        end_at=utc(2026, 3, 2, 13),
    )
    assert TrainerBooking.objects.filter(trainer=anna).count() == 14
    assert first(monday).bookings.get().trainer == anna
