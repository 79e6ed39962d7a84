"""Who may teach a batch: role, trainer status, cap and schedule conflicts.

Covers the checks on batch_create, batch_update (dates, status, slots, a new primary) and
batch_assign_instructor, the shared ``ensure_can_teach``, and the ``instructor_conflicts``
selector at the edges of its half-open intervals and inclusive date ranges. Data that the
rule under test depends on is arranged through the services; the factories only add what no
service writes yet (assistant and backup roles) or history a service would refuse.
"""

import datetime as dt

import pytest

from accounts.tests.factories import AdminFactory, InstructorFactory, StudentFactory
from allocation.eligibility import instructor_conflicts
from allocation.models import Batch, BatchStatus, BatchTrainer, ScheduleSlot, StaffRole
from allocation.services import (
    MSG_NOT_INSTRUCTOR,
    Slot,
    batch_assign_instructor,
    batch_create,
    batch_update,
    bookings_sync,
    ensure_can_teach,
)
from allocation.tests.factories import BatchTrainerFactory, CourseFactory
from core.errors import DomainError
from tests.support import slot
from trainers.models import TrainerStatus
from trainers.services import trainer_profile_for

pytestmark = pytest.mark.django_db

MONDAY, TUESDAY = 0, 1
# The default term of the batches below: Monday 2 March to Friday 29 May 2026.
TERM_START, TERM_END = dt.date(2026, 3, 2), dt.date(2026, 5, 29)


# Mondays 2 March to 25 May: the sessions of a weekly Monday slot over the term.
MONDAYS_IN_TERM = 13


def t(text: str) -> dt.time:
    return dt.time.fromisoformat(text)


def at(day: dt.date, text: str) -> dt.datetime:
    """``text`` (HH:MM) on ``day`` in UTC, the test settings' TIME_ZONE and the batches' zone."""
    return dt.datetime.combine(day, t(text), tzinfo=dt.UTC)


def refusal(call, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as excinfo:
        call(**kwargs)
    return excinfo.value


def dated(weekly: str, first: dt.date) -> str:
    """ "Monday 10:00–12:00" as the first such session on or after ``first``, in UTC (the test
    settings' zone): "Monday 2026-03-02 10:00–12:00 (UTC)". Already dated text is kept."""
    day_name, _, times = weekly.partition(" ")
    if times[:4].isdigit():
        return weekly
    day = first
    while day.strftime("%A") != day_name:
        day += dt.timedelta(days=1)
    return f"{day_name} {day:%Y-%m-%d} {times} (UTC)"


def conflict_message(
    trainer_name: str,
    code: str,
    name: str,
    existing: str,
    proposed: str,
    *,
    first: dt.date = TERM_START,
):
    """The refusal for the first clashing session, found from ``first`` on."""
    return (
        f"Schedule conflict: {trainer_name} already teaches {code} ({name}) on "
        f"{dated(existing, first)}, which overlaps {dated(proposed, first)}"
    )


@pytest.fixture
def anna():
    return InstructorFactory(full_name="Anna Schmidt")


@pytest.fixture
def ben():
    return InstructorFactory(full_name="Ben Okafor")


@pytest.fixture
def create(admin):
    """batch_create with valid defaults (Upcoming, the default term, no slots)."""
    course = CourseFactory(code="GER-A1", title="German A1")

    def create(**kwargs):
        fields = {
            "course": course,
            "batch_name": "Morning group",
            "start_date": TERM_START,
            "end_date": TERM_END,
            "capacity": 12,
            "created_by": admin,
        }
        fields.update(kwargs)
        if "assigned_instructor" not in fields:
            fields["assigned_instructor"] = InstructorFactory()
        return batch_create(**fields)

    return create


@pytest.fixture
def monday_batch(create, anna):
    """Anna teaches GER-A1-MON on Mondays 10:00–12:00 over the default term."""
    return create(
        assigned_instructor=anna,
        batch_code="GER-A1-MON",
        batch_name="Monday mornings",
        status=BatchStatus.ACTIVE,
        schedule=[slot(MONDAY, "10:00", "12:00")],
    )


def set_trainer(user, **fields):
    profile = trainer_profile_for(user)
    for name, value in fields.items():
        setattr(profile, name, value)
    profile.save()
    return profile


def primary_rows(batch: Batch) -> list[tuple[int, bool]]:
    """(trainer id, is current) of every primary row of the batch, oldest first."""
    rows = (
        BatchTrainer.objects.filter(batch=batch, role=StaffRole.PRIMARY)
        .order_by("assigned_at", "pk")
        .values_list("trainer_id", "ended_at")
    )
    return [(trainer_id, ended_at is None) for trainer_id, ended_at in rows]


# --- the conflict selector ----------------------------------------------------------------


class TestInstructorConflictsEdges:
    """Proposed Monday slots against Anna's Monday 10:00–12:00 over the same term."""

    @pytest.mark.parametrize(
        ("start", "end"),
        [
            ("12:00", "13:00"),  # starts when hers ends: half-open, no overlap
            ("08:00", "10:00"),  # ends when hers starts
            ("12:00", "12:30"),
            ("07:00", "09:59"),
        ],
    )
    def test_touching_or_apart_does_not_clash(self, monday_batch, anna, start, end):
        assert instructor_conflicts(anna, [slot(MONDAY, start, end)], (TERM_START, TERM_END)) == []

    @pytest.mark.parametrize(
        ("start", "end"),
        [
            ("10:00", "11:00"),  # same start, ends inside
            ("09:00", "11:00"),  # starts before, ends inside
            ("11:00", "11:30"),  # wholly inside
            ("10:00", "12:00"),  # identical
            ("11:00", "13:00"),  # starts inside, ends after
            ("09:00", "13:00"),  # wraps it
            ("11:59", "12:00"),  # the last minute
        ],
    )
    def test_any_shared_minute_clashes(self, monday_batch, anna, start, end):
        conflicts = instructor_conflicts(anna, [slot(MONDAY, start, end)], (TERM_START, TERM_END))

        # One clash per Monday of the term, each a dated session.
        assert len(conflicts) == MONDAYS_IN_TERM
        first = conflicts[0]
        assert (first.batch_code, first.existing_slot, first.proposed_slot) == (
            "GER-A1-MON",
            "Monday 2026-03-02 10:00–12:00 (UTC)",
            f"Monday 2026-03-02 {start}–{end} (UTC)",
        )

    def test_same_times_on_another_weekday_do_not_clash(self, monday_batch, anna):
        proposed = [slot(TUESDAY, "10:00", "12:00")]

        assert instructor_conflicts(anna, proposed, (TERM_START, TERM_END)) == []

    @pytest.mark.parametrize(
        ("start", "end"),
        [
            (dt.date(2026, 1, 5), dt.date(2026, 3, 1)),  # ends the day before hers starts
            (dt.date(2026, 5, 30), dt.date(2026, 8, 28)),  # starts the day after hers ends
        ],
    )
    def test_date_ranges_that_do_not_overlap_do_not_clash(self, monday_batch, anna, start, end):
        assert instructor_conflicts(anna, [slot(MONDAY, "10:00", "12:00")], (start, end)) == []

    @pytest.mark.parametrize(
        ("start", "end"),
        [
            (dt.date(2026, 1, 5), dt.date(2026, 3, 2)),  # ends on her first day: days inclusive
            (dt.date(2026, 5, 25), dt.date(2026, 8, 28)),  # starts on her last Monday
            (dt.date(2026, 4, 6), dt.date(2026, 4, 6)),  # one Monday inside
        ],
    )
    def test_date_ranges_sharing_a_session_clash(self, monday_batch, anna, start, end):
        conflicts = instructor_conflicts(anna, [slot(MONDAY, "10:00", "12:00")], (start, end))

        assert [c.batch_code for c in conflicts] == ["GER-A1-MON"]

    def test_a_weekday_without_a_session_in_the_range_does_not_clash(self, monday_batch, anna):
        # A Wednesday alone has no Monday session: the sessions are the truth.
        one_day = (dt.date(2026, 4, 1), dt.date(2026, 4, 1))

        assert instructor_conflicts(anna, [slot(MONDAY, "10:00", "12:00")], one_day) == []

    def test_conflict_carries_the_other_batch_and_both_sessions(self, monday_batch, anna):
        conflict = instructor_conflicts(
            anna, [slot(MONDAY, "11:00", "13:00")], (TERM_START, TERM_END)
        )[0]

        assert conflict.batch_id == monday_batch.pk
        assert (conflict.batch_code, conflict.batch_name) == ("GER-A1-MON", "Monday mornings")
        assert (conflict.existing_start, conflict.existing_end) == (
            at(TERM_START, "10:00"),
            at(TERM_START, "12:00"),
        )
        assert (conflict.proposed_start, conflict.proposed_end) == (
            at(TERM_START, "11:00"),
            at(TERM_START, "13:00"),
        )
        assert conflict.describe(anna) == conflict_message(
            "Anna Schmidt",
            "GER-A1-MON",
            "Monday mornings",
            "Monday 2026-03-02 10:00–12:00 (UTC)",
            "Monday 2026-03-02 11:00–13:00 (UTC)",
        )

    def test_every_clash_is_returned_in_day_and_time_order(self, create, anna):
        create(
            assigned_instructor=anna,
            batch_code="B-TUE",
            schedule=[slot(TUESDAY, "18:00", "20:00")],
        )
        create(
            assigned_instructor=anna,
            batch_code="B-MON",
            schedule=[slot(MONDAY, "09:00", "10:00"), slot(MONDAY, "14:00", "15:00")],
        )
        proposed = [slot(TUESDAY, "19:00", "21:00"), slot(MONDAY, "09:30", "14:30")]

        conflicts = instructor_conflicts(anna, proposed, (TERM_START, TERM_END))

        assert [(c.batch_code, c.existing_slot, c.proposed_slot) for c in conflicts[:3]] == [
            (
                "B-MON",
                "Monday 2026-03-02 09:00–10:00 (UTC)",
                "Monday 2026-03-02 09:30–14:30 (UTC)",
            ),
            (
                "B-MON",
                "Monday 2026-03-02 14:00–15:00 (UTC)",
                "Monday 2026-03-02 09:30–14:30 (UTC)",
            ),
            (
                "B-TUE",
                "Tuesday 2026-03-03 18:00–20:00 (UTC)",
                "Tuesday 2026-03-03 19:00–21:00 (UTC)",
            ),
        ]
        assert len(conflicts) == 3 * MONDAYS_IN_TERM

    def test_excluded_batch_does_not_clash_with_itself(self, monday_batch, anna):
        conflicts = instructor_conflicts(
            anna,
            [slot(MONDAY, "10:00", "12:00")],
            (TERM_START, TERM_END),
            exclude_batch=monday_batch,
        )

        assert conflicts == []

    @pytest.mark.parametrize("status", [BatchStatus.COMPLETED, BatchStatus.CANCELLED])
    def test_completed_and_cancelled_batches_never_clash(self, monday_batch, anna, status):
        batch_update(batch=monday_batch, status=status)

        conflicts = instructor_conflicts(
            anna, [slot(MONDAY, "10:00", "12:00")], (TERM_START, TERM_END)
        )

        assert conflicts == []

    def test_upcoming_batches_clash_like_active_ones(self, monday_batch, anna):
        batch_update(batch=monday_batch, status=BatchStatus.UPCOMING)

        conflicts = instructor_conflicts(
            anna, [slot(MONDAY, "10:00", "12:00")], (TERM_START, TERM_END)
        )

        assert {c.batch_code for c in conflicts} == {"GER-A1-MON"}

    def test_another_trainers_batch_does_not_clash(self, monday_batch, ben):
        conflicts = instructor_conflicts(
            ben, [slot(MONDAY, "10:00", "12:00")], (TERM_START, TERM_END)
        )

        assert conflicts == []

    def test_an_assistant_role_clashes(self, monday_batch, ben):
        BatchTrainerFactory(batch=monday_batch, trainer=ben, role=StaffRole.ASSISTANT)
        bookings_sync(batch=monday_batch)  # what batch_staff_add does after its checks

        conflicts = instructor_conflicts(
            ben, [slot(MONDAY, "10:00", "12:00")], (TERM_START, TERM_END)
        )

        assert {c.batch_code for c in conflicts} == {"GER-A1-MON"}

    def test_a_backup_role_does_not_clash(self, monday_batch, ben):
        BatchTrainerFactory(batch=monday_batch, trainer=ben, role=StaffRole.BACKUP)

        conflicts = instructor_conflicts(
            ben, [slot(MONDAY, "10:00", "12:00")], (TERM_START, TERM_END)
        )

        assert conflicts == []

    def test_an_ended_role_does_not_clash(self, monday_batch, anna, ben, admin):
        batch_assign_instructor(batch=monday_batch, instructor=ben, assigned_by=admin)

        conflicts = instructor_conflicts(
            anna, [slot(MONDAY, "10:00", "12:00")], (TERM_START, TERM_END)
        )

        assert conflicts == []

    def test_no_slots_means_no_conflicts_and_no_query(
        self, monday_batch, anna, django_assert_num_queries
    ):
        with django_assert_num_queries(0):
            assert instructor_conflicts(anna, [], (TERM_START, TERM_END)) == []

    def test_runs_two_queries_and_never_raises(self, create, anna, django_assert_num_queries):
        set_trainer(anna, max_active_batches=5)
        for day in range(5):
            create(assigned_instructor=anna, schedule=[slot(day, "10:00", "12:00")])
        proposed = [slot(day, "11:00", "13:00") for day in range(5)]

        with django_assert_num_queries(2):  # holidays, overlapping bookings
            conflicts = instructor_conflicts(anna, proposed, (TERM_START, TERM_END))

        assert {c.batch_code for c in conflicts} == {b.batch_code for b in Batch.objects.all()}
        assert len(conflicts) == 5 * MONDAYS_IN_TERM  # a day of each week, 13 weeks


# --- ensure_can_teach ----------------------------------------------------------------------


class TestEnsureCanTeach:
    def check(self, trainer, *, slots=(), newly_teaching=True, **batch_fields):
        fields = {"start_date": TERM_START, "end_date": TERM_END, "status": BatchStatus.ACTIVE}
        fields.update(batch_fields)
        ensure_can_teach(
            trainer=trainer,
            profile=trainer_profile_for(trainer),
            batch=Batch(**fields),
            slots=list(slots),
            newly_teaching=newly_teaching,
        )

    def test_an_active_instructor_with_room_passes(self, anna):
        self.check(anna, slots=[slot(MONDAY, "10:00", "12:00")])

    def test_a_student_is_refused(self):
        student = StudentFactory()

        error = refusal(self.check, trainer=student)

        assert error.message == MSG_NOT_INSTRUCTOR
        assert error.field == "assigned_instructor"

    def test_a_deactivated_instructor_account_is_refused(self, anna):
        anna.is_active = False
        anna.save()

        assert refusal(self.check, trainer=anna).message == MSG_NOT_INSTRUCTOR

    @pytest.mark.parametrize(
        ("status", "message"),
        [
            (TrainerStatus.INACTIVE, "Anna Schmidt is inactive and cannot take new batches"),
            (TrainerStatus.ON_LEAVE, "Anna Schmidt is on leave and cannot take new batches"),
        ],
    )
    def test_a_trainer_who_is_not_active_gets_no_new_batch(self, anna, status, message):
        set_trainer(anna, status=status)

        error = refusal(self.check, trainer=anna)

        assert error.message == message
        assert error.field == "assigned_instructor"

    def test_a_trainer_on_leave_keeps_teaching_what_they_have(self, anna):
        """Not newly teaching (e.g. their batch's dates move): status and cap are not checked."""
        set_trainer(anna, status=TrainerStatus.ON_LEAVE, max_active_batches=1)

        self.check(anna, newly_teaching=False)

    def test_at_the_cap_is_refused_naming_cap_and_count(self, create, anna):
        set_trainer(anna, max_active_batches=2)
        create(assigned_instructor=anna)
        create(assigned_instructor=anna)

        error = refusal(self.check, trainer=anna)

        assert error.message == (
            "Anna Schmidt already teaches 2 Active/Upcoming batches, their cap of 2"
        )
        assert error.field == "assigned_instructor"

    def test_one_below_the_cap_passes(self, create, anna):
        set_trainer(anna, max_active_batches=2)
        create(assigned_instructor=anna)

        self.check(anna)

    def test_a_closed_batch_is_never_refused(self, monday_batch, anna):
        """A Completed or Cancelled batch takes no teaching time: nothing to check."""
        set_trainer(anna, status=TrainerStatus.ON_LEAVE, max_active_batches=1)

        self.check(anna, status=BatchStatus.COMPLETED, slots=[slot(MONDAY, "10:00", "12:00")])
        self.check(anna, status=BatchStatus.CANCELLED, slots=[slot(MONDAY, "10:00", "12:00")])

    def test_a_conflict_is_refused_even_when_not_newly_teaching(self, monday_batch, anna):
        error = refusal(
            self.check,
            trainer=anna,
            slots=[slot(MONDAY, "11:00", "12:00")],
            newly_teaching=False,
        )

        assert error.message == conflict_message(
            "Anna Schmidt",
            "GER-A1-MON",
            "Monday mornings",
            "Monday 10:00–12:00",
            "Monday 11:00–12:00",
        )
        assert (error.field, error.code) == ("schedule", "conflict")


# --- caps ----------------------------------------------------------------------------------


class TestCap:
    def test_default_cap_is_four(self, create, anna):
        for _ in range(4):
            create(assigned_instructor=anna)

        error = refusal(create, assigned_instructor=anna)

        assert error.message == (
            "Anna Schmidt already teaches 4 Active/Upcoming batches, their cap of 4"
        )
        assert Batch.objects.filter(assigned_instructor=anna).count() == 4

    def test_active_and_upcoming_both_count(self, create, anna):
        set_trainer(anna, max_active_batches=2)
        create(assigned_instructor=anna, status=BatchStatus.ACTIVE)
        create(assigned_instructor=anna, status=BatchStatus.UPCOMING)

        error = refusal(create, assigned_instructor=anna)

        assert error.message.startswith("Anna Schmidt already teaches 2 Active/Upcoming")

    def test_completed_and_cancelled_batches_do_not_count(self, create, anna):
        set_trainer(anna, max_active_batches=1)
        create(assigned_instructor=anna, status=BatchStatus.COMPLETED)
        create(assigned_instructor=anna, status=BatchStatus.CANCELLED)

        create(assigned_instructor=anna)

        assert Batch.objects.filter(assigned_instructor=anna).count() == 3

    def test_closing_a_batch_frees_a_place(self, create, anna):
        set_trainer(anna, max_active_batches=1)
        first = create(assigned_instructor=anna)
        batch_update(batch=first, status=BatchStatus.COMPLETED)

        create(assigned_instructor=anna)

    def test_assistant_roles_count_and_backups_do_not(self, create, anna):
        set_trainer(anna, max_active_batches=2)
        BatchTrainerFactory(batch=create(), trainer=anna, role=StaffRole.BACKUP)
        BatchTrainerFactory(batch=create(), trainer=anna, role=StaffRole.ASSISTANT)
        create(assigned_instructor=anna)

        error = refusal(create, assigned_instructor=anna)

        assert error.message == (
            "Anna Schmidt already teaches 2 Active/Upcoming batches, their cap of 2"
        )

    def test_batches_they_no_longer_teach_do_not_count(self, create, anna, ben, admin):
        set_trainer(anna, max_active_batches=1)
        first = create(assigned_instructor=anna)
        batch_assign_instructor(batch=first, instructor=ben, assigned_by=admin)

        create(assigned_instructor=anna)

    def test_a_raised_cap_takes_effect(self, create, anna):
        set_trainer(anna, max_active_batches=1)
        create(assigned_instructor=anna)
        assert refusal(create, assigned_instructor=anna).message.endswith("their cap of 1")

        set_trainer(anna, max_active_batches=2)
        create(assigned_instructor=anna)


# --- batch_create ---------------------------------------------------------------------------


class TestCreateChecks:
    @pytest.mark.parametrize(
        ("existing", "proposed"),
        [
            (("10:00", "12:00"), ("10:00", "11:00")),
            (("09:00", "11:00"), ("10:00", "12:00")),
            (("10:00", "12:00"), ("11:00", "11:30")),
        ],
    )
    def test_overlapping_slots_are_refused_naming_the_other_batch(
        self, create, anna, existing, proposed
    ):
        create(
            assigned_instructor=anna,
            batch_code="GER-A1-FIRST",
            batch_name="First group",
            schedule=[slot(MONDAY, *existing)],
        )

        error = refusal(
            create,
            assigned_instructor=anna,
            batch_code="GER-A1-SECOND",
            schedule=[slot(TUESDAY, "10:00", "12:00"), slot(MONDAY, *proposed)],
        )

        assert error.message == conflict_message(
            "Anna Schmidt",
            "GER-A1-FIRST",
            "First group",
            f"Monday {existing[0]}–{existing[1]}",
            f"Monday {proposed[0]}–{proposed[1]}",
        )
        assert (error.field, error.code) == ("schedule", "conflict")
        assert not Batch.objects.filter(batch_code="GER-A1-SECOND").exists()

    def test_a_slot_starting_when_the_other_ends_is_accepted(self, monday_batch, create, anna):
        batch = create(assigned_instructor=anna, schedule=[slot(MONDAY, "12:00", "13:00")])

        assert batch.assigned_instructor == anna

    def test_a_slot_ending_when_the_other_starts_is_accepted(self, monday_batch, create, anna):
        create(assigned_instructor=anna, schedule=[slot(MONDAY, "08:00", "10:00")])

    @pytest.mark.parametrize(
        ("start", "end"),
        [
            (dt.date(2026, 6, 1), dt.date(2026, 8, 28)),  # the term after
            (dt.date(2026, 1, 5), dt.date(2026, 3, 1)),  # ends the day before
            (dt.date(2026, 5, 30), dt.date(2026, 5, 30)),  # the day after
        ],
    )
    def test_the_same_slot_over_other_dates_is_accepted(
        self, monday_batch, create, anna, start, end
    ):
        create(
            assigned_instructor=anna,
            start_date=start,
            end_date=end,
            schedule=[slot(MONDAY, "10:00", "12:00")],
        )

    def test_dates_sharing_one_session_are_refused(self, monday_batch, create, anna):
        error = refusal(
            create,
            assigned_instructor=anna,
            start_date=dt.date(2026, 5, 25),  # her last Monday
            end_date=dt.date(2026, 8, 28),
            schedule=[slot(MONDAY, "10:00", "12:00")],
        )

        assert error.code == "conflict"

    def test_another_trainer_may_take_the_same_slot(self, monday_batch, create, ben):
        create(assigned_instructor=ben, schedule=[slot(MONDAY, "10:00", "12:00")])

    @pytest.mark.parametrize("status", [BatchStatus.COMPLETED, BatchStatus.CANCELLED])
    def test_completed_and_cancelled_batches_do_not_block(self, monday_batch, create, anna, status):
        batch_update(batch=monday_batch, status=status)

        create(assigned_instructor=anna, schedule=[slot(MONDAY, "10:00", "12:00")])

    @pytest.mark.parametrize("status", [BatchStatus.COMPLETED, BatchStatus.CANCELLED])
    def test_a_closed_batch_may_be_created_over_an_open_one(
        self, monday_batch, create, anna, status
    ):
        """Recording a past or cancelled batch takes no teaching time."""
        create(assigned_instructor=anna, status=status, schedule=[slot(MONDAY, "10:00", "12:00")])

    def test_an_inactive_trainer_is_refused_and_nothing_is_stored(self, create, anna):
        set_trainer(anna, status=TrainerStatus.INACTIVE)

        error = refusal(create, assigned_instructor=anna, schedule=[slot(MONDAY, "10:00", "12:00")])

        assert error.message == "Anna Schmidt is inactive and cannot take new batches"
        assert not Batch.objects.exists()
        assert not ScheduleSlot.objects.exists()
        assert not BatchTrainer.objects.exists()

    def test_an_assistants_batch_blocks_their_new_primary_slot(self, monday_batch, create, ben):
        BatchTrainerFactory(batch=monday_batch, trainer=ben, role=StaffRole.ASSISTANT)
        bookings_sync(batch=monday_batch)  # what batch_staff_add does after its checks

        error = refusal(create, assigned_instructor=ben, schedule=[slot(MONDAY, "11:00", "12:00")])

        assert error.message == conflict_message(
            "Ben Okafor",
            "GER-A1-MON",
            "Monday mornings",
            "Monday 10:00–12:00",
            "Monday 11:00–12:00",
        )


# --- batch_update ---------------------------------------------------------------------------


@pytest.fixture
def later_batch(create, anna):
    """Anna's second Monday 10:00–12:00 batch, in the term after GER-A1-MON: no clash yet."""
    return create(
        assigned_instructor=anna,
        batch_code="GER-A1-LATER",
        batch_name="Summer mornings",
        start_date=dt.date(2026, 6, 1),
        end_date=dt.date(2026, 8, 28),
        schedule=[slot(MONDAY, "10:00", "12:00")],
    )


class TestUpdateChecks:
    def test_new_slots_that_clash_are_refused_and_the_old_ones_kept(
        self, monday_batch, create, anna
    ):
        other = create(assigned_instructor=anna, schedule=[slot(TUESDAY, "10:00", "12:00")])

        error = refusal(batch_update, batch=other, schedule=[slot(MONDAY, "09:00", "11:00")])

        assert error.message == conflict_message(
            "Anna Schmidt",
            "GER-A1-MON",
            "Monday mornings",
            "Monday 10:00–12:00",
            "Monday 09:00–11:00",
        )
        assert [Slot.of(s) for s in other.schedule.all()] == [slot(TUESDAY, "10:00", "12:00")]

    def test_new_slots_touching_the_other_batch_are_accepted(self, monday_batch, create, anna):
        other = create(assigned_instructor=anna, schedule=[slot(TUESDAY, "10:00", "12:00")])

        batch_update(batch=other, schedule=[slot(MONDAY, "12:00", "14:00")])

        assert [Slot.of(s) for s in other.schedule.all()] == [slot(MONDAY, "12:00", "14:00")]

    def test_moving_a_batch_within_its_own_slots_is_not_a_clash(self, monday_batch):
        batch_update(batch=monday_batch, schedule=[slot(MONDAY, "10:30", "12:30")])

    def test_moving_the_dates_into_overlap_is_refused(self, monday_batch, later_batch):
        error = refusal(batch_update, batch=later_batch, start_date=dt.date(2026, 5, 25))

        assert error.message == conflict_message(
            "Anna Schmidt",
            "GER-A1-MON",
            "Monday mornings",
            "Monday 10:00–12:00",
            "Monday 10:00–12:00",
            first=dt.date(2026, 5, 25),
        )
        later_batch.refresh_from_db()
        assert later_batch.start_date == dt.date(2026, 6, 1)

    def test_moving_the_dates_up_to_the_day_before_is_accepted(self, monday_batch, later_batch):
        batch_update(batch=later_batch, start_date=dt.date(2026, 5, 30))

    def test_extending_the_end_date_into_overlap_is_refused(self, monday_batch, later_batch):
        error = refusal(batch_update, batch=monday_batch, end_date=dt.date(2026, 6, 1))

        assert error.message.startswith(
            "Schedule conflict: Anna Schmidt already teaches GER-A1-LATER (Summer mornings)"
        )

    def test_an_assistant_is_checked_when_the_slots_change(self, monday_batch, create, ben):
        BatchTrainerFactory(batch=monday_batch, trainer=ben, role=StaffRole.ASSISTANT)
        bens = create(
            assigned_instructor=ben,
            batch_code="GER-A1-BEN",
            batch_name="Ben's group",
            schedule=[slot(TUESDAY, "10:00", "12:00")],
        )

        error = refusal(
            batch_update, batch=monday_batch, schedule=[slot(TUESDAY, "11:00", "12:00")]
        )

        assert error.message == conflict_message(
            "Ben Okafor", "GER-A1-BEN", "Ben's group", "Tuesday 10:00–12:00", "Tuesday 11:00–12:00"
        )
        assert bens.pk != monday_batch.pk

    def test_changes_that_do_not_move_the_batch_are_not_checked(self, monday_batch, anna):
        """A trainer on leave at their cap may still have the name of their batch corrected."""
        set_trainer(anna, status=TrainerStatus.ON_LEAVE, max_active_batches=1)

        batch_update(batch=monday_batch, batch_name="Renamed", capacity=20)

        monday_batch.refresh_from_db()
        assert monday_batch.batch_name == "Renamed"

    def test_an_on_leave_trainer_may_have_their_open_batch_moved(self, monday_batch, anna):
        set_trainer(anna, status=TrainerStatus.ON_LEAVE, max_active_batches=1)

        batch_update(batch=monday_batch, end_date=dt.date(2026, 6, 26))

    def test_closing_a_batch_is_never_refused(self, monday_batch, later_batch, anna):
        set_trainer(anna, status=TrainerStatus.INACTIVE)

        batch_update(batch=later_batch, status=BatchStatus.CANCELLED, start_date=TERM_START)

        later_batch.refresh_from_db()
        assert (later_batch.status, later_batch.start_date) == (BatchStatus.CANCELLED, TERM_START)


class TestReactivation:
    @pytest.mark.parametrize("closed", [BatchStatus.COMPLETED, BatchStatus.CANCELLED])
    def test_reopening_into_a_clash_is_refused(self, create, anna, closed):
        old = create(
            assigned_instructor=anna,
            batch_code="GER-A1-OLD",
            schedule=[slot(MONDAY, "10:00", "12:00")],
        )
        batch_update(batch=old, status=closed)
        create(
            assigned_instructor=anna,
            batch_code="GER-A1-NEW",
            batch_name="New group",
            schedule=[slot(MONDAY, "11:00", "13:00")],
        )

        error = refusal(batch_update, batch=old, status=BatchStatus.ACTIVE)

        assert error.message == conflict_message(
            "Anna Schmidt", "GER-A1-NEW", "New group", "Monday 11:00–13:00", "Monday 10:00–12:00"
        )
        old.refresh_from_db()
        assert old.status == closed

    def test_reopening_without_a_clash_is_accepted(self, create, anna):
        old = create(assigned_instructor=anna, schedule=[slot(MONDAY, "10:00", "12:00")])
        batch_update(batch=old, status=BatchStatus.COMPLETED)
        create(assigned_instructor=anna, schedule=[slot(MONDAY, "12:00", "13:00")])

        batch_update(batch=old, status=BatchStatus.UPCOMING)

        old.refresh_from_db()
        assert old.status == BatchStatus.UPCOMING

    def test_reopening_checks_the_cap(self, create, anna):
        set_trainer(anna, max_active_batches=1)
        old = create(assigned_instructor=anna)
        batch_update(batch=old, status=BatchStatus.COMPLETED)
        create(assigned_instructor=anna)

        error = refusal(batch_update, batch=old, status=BatchStatus.ACTIVE)

        assert error.message == (
            "Anna Schmidt already teaches 1 Active/Upcoming batches, their cap of 1"
        )

    def test_reopening_checks_the_trainer_status(self, create, anna):
        old = create(assigned_instructor=anna)
        batch_update(batch=old, status=BatchStatus.CANCELLED)
        set_trainer(anna, status=TrainerStatus.ON_LEAVE)

        error = refusal(batch_update, batch=old, status=BatchStatus.UPCOMING)

        assert error.message == "Anna Schmidt is on leave and cannot take new batches"

    def test_reopening_checks_assistants_too(self, create, anna, ben):
        old = create(assigned_instructor=anna)
        BatchTrainerFactory(batch=old, trainer=ben, role=StaffRole.ASSISTANT)
        batch_update(batch=old, status=BatchStatus.COMPLETED)
        set_trainer(ben, status=TrainerStatus.INACTIVE)

        error = refusal(batch_update, batch=old, status=BatchStatus.ACTIVE)

        assert error.message == "Ben Okafor is inactive and cannot take new batches"


class TestNewPrimaryThroughUpdate:
    def test_a_new_primary_who_clashes_is_refused(self, monday_batch, create, ben, admin):
        bens = create(assigned_instructor=ben, schedule=[slot(MONDAY, "11:00", "12:00")])

        error = refusal(
            batch_update, batch=bens, assigned_instructor=monday_batch.assigned_instructor
        )

        assert error.message.startswith(
            "Schedule conflict: Anna Schmidt already teaches GER-A1-MON (Monday mornings)"
        )
        bens.refresh_from_db()
        assert bens.assigned_instructor == ben

    def test_a_new_primary_at_their_cap_is_refused(self, create, anna, ben):
        set_trainer(ben, max_active_batches=1)
        create(assigned_instructor=ben)
        annas = create(assigned_instructor=anna)

        error = refusal(batch_update, batch=annas, assigned_instructor=ben)

        assert (
            error.message == "Ben Okafor already teaches 1 Active/Upcoming batches, their cap of 1"
        )

    def test_a_new_primary_on_leave_is_refused(self, create, anna, ben):
        set_trainer(ben, status=TrainerStatus.ON_LEAVE)
        annas = create(assigned_instructor=anna)

        error = refusal(batch_update, batch=annas, assigned_instructor=ben)

        assert error.message == "Ben Okafor is on leave and cannot take new batches"

    def test_a_non_instructor_is_refused(self, create):
        batch = create()

        error = refusal(batch_update, batch=batch, assigned_instructor=StudentFactory())

        assert error.message == MSG_NOT_INSTRUCTOR

    def test_the_old_primary_is_not_checked(self, create, anna, ben, admin):
        """Handing a batch over needs nothing from the trainer who leaves it."""
        annas = create(assigned_instructor=anna, schedule=[slot(MONDAY, "10:00", "12:00")])
        set_trainer(anna, status=TrainerStatus.ON_LEAVE)

        batch_update(batch=annas, assigned_instructor=ben, updated_by=admin)

        assert primary_rows(annas) == [(anna.pk, False), (ben.pk, True)]
        ended = BatchTrainer.objects.get(batch=annas, trainer=anna)
        assert ended.ended_by == admin


# --- batch_assign_instructor ---------------------------------------------------------------


class TestAssignInstructor:
    def test_sets_the_primary_and_records_who_and_when(self, create, anna, ben, admin):
        batch = create(assigned_instructor=anna)
        other_admin = AdminFactory()
        before = dt.datetime.now(tz=dt.UTC)

        returned = batch_assign_instructor(batch=batch, instructor=ben, assigned_by=other_admin)

        after = dt.datetime.now(tz=dt.UTC)
        assert returned.assigned_instructor == ben
        assert Batch.objects.get(pk=batch.pk).assigned_instructor == ben
        new = BatchTrainer.objects.get(batch=batch, trainer=ben)
        assert (new.role, new.assigned_by, new.ended_at) == (StaffRole.PRIMARY, other_admin, None)
        assert before <= new.assigned_at <= after
        old = BatchTrainer.objects.get(batch=batch, trainer=anna)
        assert (old.role, old.assigned_by, old.ended_by) == (StaffRole.PRIMARY, admin, other_admin)
        assert before <= old.ended_at <= after

    def test_every_previous_primary_stays_in_the_history(self, create, anna, ben, admin):
        batch = create(assigned_instructor=anna)
        carla = InstructorFactory(full_name="Carla Diaz")

        batch_assign_instructor(batch=batch, instructor=ben, assigned_by=admin)
        batch_assign_instructor(batch=batch, instructor=carla, assigned_by=admin)
        batch_assign_instructor(batch=batch, instructor=anna, assigned_by=admin)

        assert primary_rows(batch) == [
            (anna.pk, False),
            (ben.pk, False),
            (carla.pk, False),
            (anna.pk, True),
        ]
        assert BatchTrainer.objects.filter(batch=batch, ended_at__isnull=True).count() == 1

    def test_a_legacy_batch_without_a_staffing_row_gets_one(self, anna, ben, admin):
        from allocation.tests.factories import BatchFactory

        batch = BatchFactory(assigned_instructor=anna)

        batch_assign_instructor(batch=batch, instructor=ben, assigned_by=admin)

        assert primary_rows(batch) == [(ben.pk, True)]

    def test_an_assistant_can_be_promoted_to_primary(self, create, anna, ben, admin):
        batch = create(assigned_instructor=anna, schedule=[slot(MONDAY, "10:00", "12:00")])
        BatchTrainerFactory(batch=batch, trainer=ben, role=StaffRole.ASSISTANT)
        set_trainer(ben, max_active_batches=1)  # this batch is the one they already teach

        batch_assign_instructor(batch=batch, instructor=ben, assigned_by=admin)

        rows = BatchTrainer.objects.filter(batch=batch, trainer=ben).order_by("pk")
        assert [(r.role, r.ended_at is None) for r in rows] == [
            (StaffRole.ASSISTANT, False),
            (StaffRole.PRIMARY, True),
        ]

    def test_the_current_instructor_again_is_refused(self, create, anna, admin):
        batch = create(assigned_instructor=anna, batch_code="GER-A1-X")

        error = refusal(batch_assign_instructor, batch=batch, instructor=anna, assigned_by=admin)

        assert error.message == "Anna Schmidt is already the instructor of GER-A1-X"
        assert error.field == "assigned_instructor"
        assert primary_rows(batch) == [(anna.pk, True)]

    def test_a_student_is_refused(self, create, admin):
        batch = create()

        error = refusal(
            batch_assign_instructor, batch=batch, instructor=StudentFactory(), assigned_by=admin
        )

        assert error.message == MSG_NOT_INSTRUCTOR
        assert error.field == "assigned_instructor"

    @pytest.mark.parametrize(
        ("status", "message"),
        [
            (TrainerStatus.INACTIVE, "Ben Okafor is inactive and cannot take new batches"),
            (TrainerStatus.ON_LEAVE, "Ben Okafor is on leave and cannot take new batches"),
        ],
    )
    def test_a_trainer_who_is_not_active_is_refused(
        self, create, anna, ben, admin, status, message
    ):
        batch = create(assigned_instructor=anna)
        set_trainer(ben, status=status)

        error = refusal(batch_assign_instructor, batch=batch, instructor=ben, assigned_by=admin)

        assert error.message == message
        assert primary_rows(batch) == [(anna.pk, True)]

    def test_a_trainer_at_their_cap_is_refused(self, create, anna, ben, admin):
        set_trainer(ben, max_active_batches=3)
        for _ in range(3):
            create(assigned_instructor=ben)
        batch = create(assigned_instructor=anna)

        error = refusal(batch_assign_instructor, batch=batch, instructor=ben, assigned_by=admin)

        assert (
            error.message == "Ben Okafor already teaches 3 Active/Upcoming batches, their cap of 3"
        )
        assert error.field == "assigned_instructor"

    def test_a_clash_is_refused_naming_the_other_batch_and_slot(
        self, monday_batch, create, ben, admin
    ):
        bens = create(
            assigned_instructor=ben,
            schedule=[slot(TUESDAY, "10:00", "12:00"), slot(MONDAY, "09:00", "10:30")],
        )
        anna = monday_batch.assigned_instructor

        error = refusal(batch_assign_instructor, batch=bens, instructor=anna, assigned_by=admin)

        assert error.message == conflict_message(
            "Anna Schmidt",
            "GER-A1-MON",
            "Monday mornings",
            "Monday 10:00–12:00",
            "Monday 09:00–10:30",
        )
        assert (error.field, error.code) == ("schedule", "conflict")
        assert primary_rows(bens) == [(ben.pk, True)]

    def test_a_half_open_neighbour_is_accepted(self, monday_batch, create, ben, admin):
        bens = create(assigned_instructor=ben, schedule=[slot(MONDAY, "12:00", "13:00")])

        batch_assign_instructor(
            batch=bens, instructor=monday_batch.assigned_instructor, assigned_by=admin
        )

    def test_the_same_slot_over_other_dates_is_accepted(self, monday_batch, create, ben, admin):
        bens = create(
            assigned_instructor=ben,
            start_date=dt.date(2026, 6, 1),
            end_date=dt.date(2026, 8, 28),
            schedule=[slot(MONDAY, "10:00", "12:00")],
        )

        batch_assign_instructor(
            batch=bens, instructor=monday_batch.assigned_instructor, assigned_by=admin
        )

    @pytest.mark.parametrize("status", [BatchStatus.COMPLETED, BatchStatus.CANCELLED])
    def test_closed_batches_do_not_block(self, monday_batch, create, ben, admin, status):
        batch_update(batch=monday_batch, status=status)
        bens = create(assigned_instructor=ben, schedule=[slot(MONDAY, "10:00", "12:00")])

        batch_assign_instructor(
            batch=bens, instructor=monday_batch.assigned_instructor, assigned_by=admin
        )

    def test_a_deleted_batch_is_refused(self, create, ben, admin):
        batch = create()
        Batch.objects.filter(pk=batch.pk).delete()

        error = refusal(batch_assign_instructor, batch=batch, instructor=ben, assigned_by=admin)

        assert error.message == "This batch no longer exists"
