"""Trainer allocation under real concurrency, on PostgreSQL.

Every service that adds teaching or mentees to a trainer locks the trainer profile row first
(``trainers_lock``), then the batch or student rows. These tests start real threads with
their own connections (``transaction=True``) and check that requests which would together
double-book a trainer, push them over a cap, or give a student two instructors cannot all
succeed. SQLite has no row locks, so they are skipped there (see conftest.py); CI runs them on
PostgreSQL and fails on a skip.
"""

import datetime as dt

import pytest

from accounts.tests.factories import AdminFactory, InstructorFactory, StudentFactory
from allocation.models import (
    BatchStatus,
    BatchTrainer,
    IndividualAssignment,
    StaffRole,
    Weekday,
)
from allocation.selectors import open_teaching_batch_count, teaching_batches
from allocation.services import (
    MSG_ALREADY_ASSIGNED,
    Slot,
    batch_assign_instructor,
    batch_create,
    batch_update,
    individual_assign,
    individual_reassign,
)
from allocation.tests.factories import CourseFactory
from core.testing import race
from tests.support import slot
from trainers.tests.factories import TrainerProfileFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

MONDAY = 0
TERM_START, TERM_END = dt.date(2026, 3, 2), dt.date(2026, 5, 29)


def at(text: str) -> dt.time:
    return dt.time.fromisoformat(text)


def first_session(slot: Slot, since: dt.date = TERM_START) -> str:
    """The slot's first session from ``since``, as a refusal names it (UTC, the test zone)."""
    day = since + dt.timedelta(days=(slot.day - since.weekday()) % 7)
    times = f"{slot.start_time:%H:%M}–{slot.end_time:%H:%M}"
    return f"{Weekday(slot.day).label} {day:%Y-%m-%d} {times} (UTC)"


def conflict_message(
    trainer: str, batch, existing: Slot, proposed: Slot, *, since: dt.date = TERM_START
) -> str:
    return (
        f"Schedule conflict: {trainer} already teaches {batch.batch_code} ({batch.batch_name}) "
        f"on {first_session(existing, since)}, which overlaps {first_session(proposed, since)}"
    )


def assert_no_errors(outcomes):
    assert [o.error for o in outcomes if o.error] == []


@pytest.fixture
def admin():
    return AdminFactory()


@pytest.fixture
def tara():
    """The trainer everyone wants, with a profile (default caps) before the race starts."""
    return TrainerProfileFactory(user=InstructorFactory(full_name="Tara Trainer")).user


def make_batch(admin, instructor, *, schedule, start=TERM_START, code=None):
    """A batch made by the service, so its instructor holds the primary staffing row."""
    return batch_create(
        course=CourseFactory(),
        batch_name=f"Group {code or ''}".strip(),
        batch_code=code or "",
        start_date=start,
        end_date=TERM_END,
        capacity=10,
        assigned_instructor=instructor,
        created_by=admin,
        status=BatchStatus.ACTIVE,
        schedule=schedule,
    )


def test_twenty_clashing_assignments_of_one_trainer_only_one_succeeds(admin, tara):
    monday = slot(MONDAY, "10:00", "12:00")
    # Same Monday slot, date ranges that all overlap (start a day apart, same end).
    batches = [
        make_batch(
            admin,
            InstructorFactory(),
            schedule=[monday],
            start=TERM_START + dt.timedelta(days=i),
            code=f"CLASH-{i:02d}",
        )
        for i in range(20)
    ]

    outcomes = race(
        batch_assign_instructor,
        [{"batch": b, "instructor": tara, "assigned_by": admin} for b in batches],
    )

    assert_no_errors(outcomes)
    winners = [o.value for o in outcomes if o.ok]
    assert len(winners) == 1, f"{len(winners)} succeeded"
    winner = winners[0]
    # Each refusal names the first Monday both batches have (the later start's).
    assert [o.message for o in outcomes if not o.ok] == [
        conflict_message(
            "Tara Trainer", winner, monday, monday, since=max(b.start_date, winner.start_date)
        )
        for o, b in zip(outcomes, batches, strict=True)
        if not o.ok
    ]
    assert list(teaching_batches(tara)) == [winner]
    assert BatchTrainer.objects.filter(trainer=tara).count() == 1
    for batch in batches:
        batch.refresh_from_db()
        current = BatchTrainer.objects.get(batch=batch, role=StaffRole.PRIMARY, ended_at=None)
        assert current.trainer_id == batch.assigned_instructor_id
        assert (batch.assigned_instructor_id == tara.pk) == (batch.pk == winner.pk)


def test_cap_race_only_as_many_as_the_cap_succeed(admin, tara):
    tara.trainer_profile.max_active_batches = 2
    tara.trainer_profile.save()
    # Ten batches that never clash: each on its own weekday and hour.
    batches = [
        make_batch(
            admin,
            InstructorFactory(),
            schedule=[slot(i % 7, f"{8 + 2 * (i // 7):02d}:00", f"{9 + 2 * (i // 7):02d}:00")],
        )
        for i in range(10)
    ]

    outcomes = race(
        batch_assign_instructor,
        [{"batch": b, "instructor": tara, "assigned_by": admin} for b in batches],
    )

    assert_no_errors(outcomes)
    assert sum(o.ok for o in outcomes) == 2
    assert [o.message for o in outcomes if not o.ok] == [
        "Tara Trainer already teaches 2 Active/Upcoming batches, their cap of 2"
    ] * 8
    assert open_teaching_batch_count(tara) == 2
    assert set(teaching_batches(tara)) == {o.value for o in outcomes if o.ok}


def test_ten_clashing_batch_creations_for_one_trainer_only_one_succeeds(admin, tara):
    # Each slot is five minutes later than the previous one; all of them share 10:45-11:00,
    # so every pair clashes. Each batch has its own course, so only the trainer lock (not
    # the course lock that numbers batch codes) can serialize them.
    slots = [slot(MONDAY, f"10:{5 * i:02d}", f"11:{5 * i:02d}") for i in range(10)]

    outcomes = race(
        make_batch,
        [
            {"admin": admin, "instructor": tara, "schedule": [s], "code": f"NEW-{i}"}
            for i, s in enumerate(slots)
        ],
    )

    assert_no_errors(outcomes)
    winners = [o.value for o in outcomes if o.ok]
    assert len(winners) == 1, f"{len(winners)} succeeded"
    winner = winners[0]
    winner_slot = Slot.of(winner.schedule.get())
    assert [o.message for o in outcomes if not o.ok] == [
        conflict_message("Tara Trainer", winner, winner_slot, s)
        for o, s in zip(outcomes, slots, strict=True)
        if not o.ok
    ]
    assert list(teaching_batches(tara)) == [winner]
    assert tara.batch_roles.count() == 1


def test_ten_updates_moving_batches_onto_one_slot_only_one_succeeds(admin, tara):
    """batch_update locks the teaching trainers' profiles too."""
    tara.trainer_profile.max_active_batches = 10
    tara.trainer_profile.save()
    batches = [
        make_batch(
            admin, tara, schedule=[slot(i % 7, f"{14 + i // 7:02d}:00", f"{14 + i // 7:02d}:30")]
        )
        for i in range(10)
    ]
    monday = slot(MONDAY, "10:00", "12:00")

    outcomes = race(batch_update, [{"batch": b, "schedule": [monday]} for b in batches])

    assert_no_errors(outcomes)
    winners = [o.value for o in outcomes if o.ok]
    assert len(winners) == 1, f"{len(winners)} succeeded"
    winner = winners[0]
    assert [o.message for o in outcomes if not o.ok] == [
        conflict_message("Tara Trainer", winner, monday, monday)
    ] * 9
    on_monday = [b for b in batches if b.schedule.filter(day=MONDAY, start_time=at("10:00"))]
    assert on_monday == [winner]


def test_caseload_cap_race_only_as_many_as_the_cap_succeed(admin, tara):
    tara.trainer_profile.max_individual_students = 3
    tara.trainer_profile.save()
    students = StudentFactory.create_batch(12)

    outcomes = race(
        individual_assign,
        [{"student": s, "instructor": tara, "assigned_by": admin} for s in students],
    )

    assert_no_errors(outcomes)
    assert sum(o.ok for o in outcomes) == 3
    assert [o.message for o in outcomes if not o.ok] == [
        "Tara Trainer already has 3 individually assigned students, their cap of 3"
    ] * 9
    assert IndividualAssignment.objects.filter(instructor=tara, ended_at=None).count() == 3


def test_eight_instructors_for_one_student_only_one_is_assigned(admin):
    student = StudentFactory(full_name="Sam Student")
    instructors = [InstructorFactory(full_name=f"Instructor {i}") for i in range(8)]

    outcomes = race(
        individual_assign,
        [{"student": student, "instructor": i, "assigned_by": admin} for i in instructors],
    )

    assert_no_errors(outcomes)
    winners = [o.value for o in outcomes if o.ok]
    assert len(winners) == 1, f"{len(winners)} succeeded"
    winner = winners[0]
    assert [o.message for o in outcomes if not o.ok] == [
        f"Sam Student already has {winner.instructor.full_name} as mentor; "
        "unassign them first or use reassign"
    ] * 7
    assert list(IndividualAssignment.objects.filter(student=student, ended_at=None)) == [winner]


def test_assign_and_reassign_of_one_student_at_once_do_not_deadlock(admin, tara):
    """Both lock the instructor's profile before the student's row, so neither waits in a cycle.

    The student has another instructor; half the calls try to assign Tara (refused: the
    student has one), half to reassign the student to her (one succeeds, the others find
    Tara already assigned).
    """
    student = StudentFactory(full_name="Sam Student")
    individual_assign(student=student, instructor=InstructorFactory(), assigned_by=admin)

    def act(kind):
        call = individual_assign if kind == "assign" else individual_reassign
        return call(student=student, instructor=tara, assigned_by=admin)

    outcomes = race(act, [{"kind": kind} for kind in ("assign", "reassign") * 6])

    assert_no_errors(outcomes)
    assert sum(o.ok for o in outcomes) == 1
    assert all(
        o.message == MSG_ALREADY_ASSIGNED or o.message.startswith("Sam Student already has ")
        for o in outcomes
        if not o.ok
    )
    [current] = IndividualAssignment.objects.filter(student=student, ended_at=None)
    assert current.instructor == tara
    assert IndividualAssignment.objects.filter(student=student).count() == 2
