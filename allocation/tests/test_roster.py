"""Multi-trainer courses: rosters, batch staffing beyond the primary, leads, and batch notes.

The rules under test, each with its refusal message:

- a trainer is on a course's roster once; the active members' workload percents sum to at
  most 100; a lead who supervises batches keeps the lead role and stays on the roster;
- a trainer holds one role per batch; extra staff (assistants, backups) come only from the
  course's active roster; an assistant is checked like a primary (status, leave, cap,
  availability, conflicts), a backup only for leave today; the primary is changed, never
  added or removed, and ``Batch.assigned_instructor`` mirrors the one current primary row
  after every operation;
- naming a batch's instructor the single-instructor way puts them on the roster (assistant,
  0 %) and refuses an inactive or on-leave roster entry; legacy single-instructor data is
  brought in by migrations 0004/0008 and by ``course_convert_to_multi_trainer``;
- declared availability windows bound every teaching assignment;
- the batch notes thread is for the batch's people only.
"""

import datetime as dt
import importlib

import pytest
from django.apps import apps as global_apps
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from accounts.models import User
from accounts.tests.factories import AdminFactory, InstructorFactory, StudentFactory
from allocation.models import (
    Batch,
    BatchNote,
    BatchStatus,
    BatchTrainer,
    CourseTrainer,
    RosterRole,
    RosterStatus,
    StaffRole,
)
from allocation.selectors import batch_candidates
from allocation.services import (
    MSG_NOT_INSTRUCTOR,
    Slot,
    batch_assign_instructor,
    batch_create,
    batch_note_add,
    batch_set_supervising_lead,
    batch_staff_add,
    batch_staff_remove,
    batch_update,
    course_convert_to_multi_trainer,
    roster_add,
    roster_remove,
    roster_update,
)
from allocation.tests.factories import (
    BatchFactory,
    BatchTrainerFactory,
    CourseFactory,
    CourseTrainerFactory,
    StaffedBatchFactory,
    SubstituteCoverFactory,
)
from core import dates
from core.errors import DomainError
from enrollments import sqlite_triggers
from tests.support import slot
from trainers.models import TrainerStatus
from trainers.services import Window, availability_set, trainer_profile_for
from trainers.tests.factories import TrainerLeaveFactory

pytestmark = pytest.mark.django_db

MONDAY, TUESDAY = 0, 1
TERM_START, TERM_END = dt.date(2026, 3, 2), dt.date(2026, 5, 29)
MSG_NOTES = "Only the batch's trainers, its lead and its substitutes can post here"


def t(text: str) -> dt.time:
    return dt.time.fromisoformat(text)


def refusal(call, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as excinfo:
        call(**kwargs)
    return excinfo.value


def set_trainer(user, **fields):
    profile = trainer_profile_for(user)
    for name, value in fields.items():
        setattr(profile, name, value)
    profile.save()
    return profile


def assert_primary_mirrors(batch: Batch) -> None:
    """The batch's one current primary row is its ``assigned_instructor``, and no trainer
    holds two current roles on it."""
    batch = Batch.objects.get(pk=batch.pk)
    current = list(
        BatchTrainer.objects.filter(batch=batch, ended_at__isnull=True).values_list(
            "trainer_id", "role"
        )
    )
    assert [pk for pk, role in current if role == StaffRole.PRIMARY] == [
        batch.assigned_instructor_id
    ]
    trainers = [pk for pk, _ in current]
    assert len(trainers) == len(set(trainers))


def roles_of(batch: Batch, trainer: User) -> list[tuple[str, bool]]:
    """(role, is current) of every row of the trainer on the batch, oldest first."""
    rows = BatchTrainer.objects.filter(batch=batch, trainer=trainer).order_by("assigned_at", "pk")
    return [(row.role, row.ended_at is None) for row in rows]


def on_leave_today(trainer):
    today = dates.today()
    return TrainerLeaveFactory(
        trainer=trainer,
        start_date=today - dt.timedelta(days=1),
        end_date=today + dt.timedelta(days=1),
    )


def leave_text(leave) -> str:
    return f"{leave.start_date:%Y-%m-%d} – {leave.end_date:%Y-%m-%d}"


@pytest.fixture
def anna():
    return InstructorFactory(full_name="Anna Schmidt")


@pytest.fixture
def ben():
    return InstructorFactory(full_name="Ben Okafor")


@pytest.fixture
def lea():
    return InstructorFactory(full_name="Lea Lead")


@pytest.fixture
def create(admin, course):
    """batch_create on GER-A1 with valid defaults (Active, the default term, no slots)."""

    def create(instructor, **kwargs):
        fields = {
            "course": course,
            "batch_name": "Morning group",
            "start_date": TERM_START,
            "end_date": TERM_END,
            "capacity": 12,
            "created_by": admin,
            "assigned_instructor": instructor,
            "status": BatchStatus.ACTIVE,
        }
        fields.update(kwargs)
        return batch_create(**fields)

    return create


@pytest.fixture
def monday_batch(create, anna):
    """Anna teaches GER-A1-MON, Mondays 10:00–12:00 over the default term."""
    return create(
        anna,
        batch_code="GER-A1-MON",
        batch_name="Monday mornings",
        schedule=[slot(MONDAY, "10:00", "12:00")],
    )


# --- roster_add -----------------------------------------------------------------------------


class TestRosterAdd:
    def test_adds_an_active_assistant_with_no_share_by_default(self, course, anna):
        entry = roster_add(course=course, trainer=anna)

        entry.refresh_from_db()
        assert (entry.course, entry.trainer) == (course, anna)
        assert (entry.role, entry.workload_percent, entry.status) == ("assistant", 0, "active")

    def test_adds_a_lead_with_a_share(self, course, lea):
        entry = roster_add(course=course, trainer=lea, role=RosterRole.LEAD, workload_percent=40)

        assert (entry.role, entry.workload_percent) == ("lead", 40)

    @pytest.mark.parametrize("status", [RosterStatus.ACTIVE, RosterStatus.INACTIVE])
    def test_refuses_a_trainer_already_on_the_roster(self, course, anna, status):
        roster_add(course=course, trainer=anna, status=status)

        error = refusal(roster_add, course=course, trainer=anna, role=RosterRole.LEAD)

        assert (error.message, error.field) == (
            "Anna Schmidt is already on the roster of GER-A1",
            "trainer",
        )
        assert CourseTrainer.objects.filter(course=course, trainer=anna).count() == 1

    def test_the_database_refuses_a_second_entry_too(self, course, anna):
        CourseTrainerFactory(course=course, trainer=anna)

        with (
            pytest.raises(IntegrityError, match="trainer_once_per_course|UNIQUE"),
            transaction.atomic(),
        ):
            CourseTrainer.objects.create(course=course, trainer=anna)

    def test_the_same_trainer_may_be_on_several_courses(self, course, anna):
        roster_add(course=course, trainer=anna, workload_percent=100)

        roster_add(course=CourseFactory(), trainer=anna, workload_percent=100)

        assert anna.course_roles.count() == 2

    def test_refuses_a_non_instructor(self, course):
        error = refusal(roster_add, course=course, trainer=StudentFactory())

        assert error.message == MSG_NOT_INSTRUCTOR
        assert not CourseTrainer.objects.exists()

    def test_refuses_a_workload_sum_above_100_naming_the_current_total(self, course):
        roster_add(course=course, trainer=InstructorFactory(), workload_percent=60)
        roster_add(course=course, trainer=InstructorFactory(), workload_percent=30)

        error = refusal(roster_add, course=course, trainer=InstructorFactory(), workload_percent=20)

        assert (error.message, error.field) == (
            "The active trainers of GER-A1 already have 90% of its workload; adding 20% would "
            "make 110% (at most 100%)",
            "workload_percent",
        )
        assert CourseTrainer.objects.count() == 2

    def test_exactly_100_is_allowed(self, course):
        roster_add(course=course, trainer=InstructorFactory(), workload_percent=60)

        roster_add(course=course, trainer=InstructorFactory(), workload_percent=40)
        roster_add(course=course, trainer=InstructorFactory(), workload_percent=0)

        assert CourseTrainer.objects.count() == 3

    @pytest.mark.parametrize("status", [RosterStatus.INACTIVE, RosterStatus.ON_LEAVE])
    def test_only_active_entries_count_towards_the_sum(self, course, status):
        roster_add(course=course, trainer=InstructorFactory(), workload_percent=80, status=status)

        roster_add(course=course, trainer=InstructorFactory(), workload_percent=100)
        # ... and an entry that is not active may be added above the sum.
        roster_add(course=course, trainer=InstructorFactory(), workload_percent=50, status=status)

        assert CourseTrainer.objects.count() == 3

    def test_other_courses_do_not_count(self, course):
        roster_add(course=CourseFactory(), trainer=InstructorFactory(), workload_percent=100)

        roster_add(course=course, trainer=InstructorFactory(), workload_percent=100)

    def test_refuses_a_workload_above_100_percent(self, course, anna):
        error = refusal(roster_add, course=course, trainer=anna, workload_percent=101)

        assert error.message == "Workload must be between 0 and 100 percent"

    @pytest.mark.parametrize(("field", "value"), [("role", "boss"), ("status", "retired")])
    def test_refuses_an_unknown_role_or_status(self, course, anna, field, value):
        error = refusal(roster_add, course=course, trainer=anna, **{field: value})

        assert (error.message, error.field) == (f"Value '{value}' is not a valid choice.", field)


# --- roster_update --------------------------------------------------------------------------


class TestRosterUpdate:
    def test_changes_role_share_and_status(self, course, anna):
        entry = roster_add(course=course, trainer=anna)

        roster_update(entry=entry, role=RosterRole.LEAD, workload_percent=30)
        entry.refresh_from_db()
        assert (entry.role, entry.workload_percent, entry.status) == ("lead", 30, "active")

        roster_update(entry=entry, status=RosterStatus.ON_LEAVE)
        entry.refresh_from_db()
        assert (entry.role, entry.workload_percent, entry.status) == ("lead", 30, "on_leave")

    def test_refuses_a_raise_above_100_counting_the_others_only(self, course, anna, ben):
        roster_add(course=course, trainer=anna, workload_percent=60)
        entry = roster_add(course=course, trainer=ben, workload_percent=30)

        error = refusal(roster_update, entry=entry, workload_percent=50)

        assert (error.message, error.field) == (
            "The active trainers of GER-A1 already have 60% of its workload; adding 50% would "
            "make 110% (at most 100%)",
            "workload_percent",
        )
        entry.refresh_from_db()
        assert entry.workload_percent == 30

    def test_a_raise_up_to_100_is_allowed(self, course, anna, ben):
        roster_add(course=course, trainer=anna, workload_percent=60)
        entry = roster_add(course=course, trainer=ben, workload_percent=30)

        roster_update(entry=entry, workload_percent=40)

        entry.refresh_from_db()
        assert entry.workload_percent == 40

    def test_refuses_reactivating_a_share_that_no_longer_fits(self, course, anna, ben):
        entry = roster_add(course=course, trainer=anna, workload_percent=50)
        roster_update(entry=entry, status=RosterStatus.INACTIVE)
        roster_add(course=course, trainer=ben, workload_percent=70)

        error = refusal(roster_update, entry=entry, status=RosterStatus.ACTIVE)

        assert error.message == (
            "The active trainers of GER-A1 already have 70% of its workload; adding 50% would "
            "make 120% (at most 100%)"
        )
        entry.refresh_from_db()
        assert entry.status == RosterStatus.INACTIVE

    def test_refuses_demoting_a_lead_who_supervises_batches(self, course, lea, create):
        entry = roster_add(course=course, trainer=lea, role=RosterRole.LEAD)
        for code in ("GER-A1-1", "GER-A1-2"):
            batch_set_supervising_lead(batch=create(InstructorFactory(), batch_code=code), lead=lea)

        error = refusal(roster_update, entry=entry, role=RosterRole.ASSISTANT)

        assert (error.message, error.field) == (
            "Lea Lead supervises 2 batch(es) of GER-A1 as lead; name another lead for them first",
            "role",
        )
        entry.refresh_from_db()
        assert entry.role == RosterRole.LEAD

    def test_a_supervising_lead_may_change_share(self, course, lea, create):
        entry = roster_add(course=course, trainer=lea, role=RosterRole.LEAD)
        batch_set_supervising_lead(batch=create(InstructorFactory()), lead=lea)

        roster_update(entry=entry, workload_percent=25)

        entry.refresh_from_db()
        assert (entry.role, entry.workload_percent) == ("lead", 25)

    def test_a_lead_may_be_demoted_once_someone_else_supervises(self, course, lea, create):
        entry = roster_add(course=course, trainer=lea, role=RosterRole.LEAD)
        other = InstructorFactory()
        roster_add(course=course, trainer=other, role=RosterRole.LEAD)
        batch = create(InstructorFactory())
        batch_set_supervising_lead(batch=batch, lead=lea)
        batch_set_supervising_lead(batch=batch, lead=other)

        roster_update(entry=entry, role=RosterRole.SUBSTITUTE)

        entry.refresh_from_db()
        assert entry.role == RosterRole.SUBSTITUTE


# --- roster_remove --------------------------------------------------------------------------


class TestRosterRemove:
    def test_removes_a_trainer_with_no_batches(self, course, anna):
        entry = roster_add(course=course, trainer=anna)

        roster_remove(entry=entry)

        assert not CourseTrainer.objects.exists()

    @pytest.mark.parametrize("role", [StaffRole.ASSISTANT, StaffRole.BACKUP])
    def test_refuses_while_staffing_open_batches(self, course, ben, create, admin, role):
        entry = roster_add(course=course, trainer=ben)
        batch_staff_add(batch=create(InstructorFactory()), trainer=ben, role=role, added_by=admin)
        batch_staff_add(
            batch=create(InstructorFactory(), status=BatchStatus.UPCOMING),
            trainer=ben,
            role=role,
            added_by=admin,
        )

        error = refusal(roster_remove, entry=entry)

        assert error.message == (
            "Ben Okafor still staffs 2 open batch(es) of GER-A1; remove them from those "
            "batches first"
        )
        assert CourseTrainer.objects.filter(pk=entry.pk).exists()

    def test_refuses_while_the_primary_of_an_open_batch(self, course, anna, monday_batch):
        entry = CourseTrainer.objects.get(course=course, trainer=anna)

        error = refusal(roster_remove, entry=entry)

        assert error.message.startswith("Anna Schmidt still staffs 1 open batch(es) of GER-A1")

    @pytest.mark.parametrize("status", [BatchStatus.COMPLETED, BatchStatus.CANCELLED])
    def test_closed_batches_do_not_hold_them(self, course, anna, monday_batch, status):
        Batch.objects.filter(pk=monday_batch.pk).update(status=status)

        roster_remove(entry=CourseTrainer.objects.get(course=course, trainer=anna))

        assert not CourseTrainer.objects.filter(trainer=anna).exists()

    def test_an_ended_role_does_not_hold_them(self, course, ben, monday_batch, admin):
        entry = roster_add(course=course, trainer=ben)
        batch_staff_add(batch=monday_batch, trainer=ben, role=StaffRole.BACKUP, added_by=admin)
        batch_staff_remove(batch=monday_batch, trainer=ben, removed_by=admin)

        roster_remove(entry=entry)

        assert not CourseTrainer.objects.filter(trainer=ben).exists()

    def test_another_courses_batches_do_not_hold_them(self, course, anna, admin):
        entry = roster_add(course=course, trainer=anna)
        batch_create(
            course=CourseFactory(),
            batch_name="Elsewhere",
            start_date=TERM_START,
            end_date=TERM_END,
            capacity=5,
            assigned_instructor=anna,
            created_by=admin,
        )

        roster_remove(entry=entry)

        assert anna.course_roles.count() == 1

    def test_refuses_a_lead_who_supervises_batches(self, course, lea, monday_batch):
        entry = roster_add(course=course, trainer=lea, role=RosterRole.LEAD)
        batch_set_supervising_lead(batch=monday_batch, lead=lea)

        error = refusal(roster_remove, entry=entry)

        assert error.message == "Lea Lead supervises batches of GER-A1; name another lead first"
        assert CourseTrainer.objects.filter(pk=entry.pk).exists()


# --- batch staffing beyond the primary ------------------------------------------------------


class TestBatchStaffAdd:
    @pytest.mark.parametrize("role", [StaffRole.ASSISTANT, StaffRole.BACKUP])
    def test_adds_an_assistant_or_a_backup_from_the_roster(
        self, course, monday_batch, ben, admin, role
    ):
        roster_add(course=course, trainer=ben)

        row = batch_staff_add(batch=monday_batch, trainer=ben, role=role, added_by=admin)

        row.refresh_from_db()
        assert (row.batch, row.trainer, row.role, row.assigned_by) == (
            monday_batch,
            ben,
            role,
            admin,
        )
        assert row.is_current
        assert_primary_mirrors(monday_batch)

    def test_a_batch_has_several_assistants_and_backups(self, course, monday_batch, admin):
        people = InstructorFactory.create_batch(4)
        for person, role in zip(
            people, ["assistant", "assistant", "backup", "backup"], strict=True
        ):
            roster_add(course=course, trainer=person)
            batch_staff_add(batch=monday_batch, trainer=person, role=role, added_by=admin)

        assert sorted(
            BatchTrainer.objects.filter(batch=monday_batch, ended_at=None).values_list(
                "role", flat=True
            )
        ) == ["assistant", "assistant", "backup", "backup", "primary"]
        assert_primary_mirrors(monday_batch)

    def test_refuses_the_primary_role(self, course, monday_batch, ben, admin):
        roster_add(course=course, trainer=ben)

        error = refusal(
            batch_staff_add,
            batch=monday_batch,
            trainer=ben,
            role=StaffRole.PRIMARY,
            added_by=admin,
        )

        assert (error.message, error.field) == (
            "A batch's extra trainers are assistants or backups",
            "role",
        )
        assert_primary_mirrors(monday_batch)
        assert monday_batch.assigned_instructor.full_name == "Anna Schmidt"

    def test_refuses_a_trainer_not_on_the_roster(self, monday_batch, ben, admin):
        roster_add(course=CourseFactory(), trainer=ben)  # on another course's roster only

        error = refusal(
            batch_staff_add, batch=monday_batch, trainer=ben, role=StaffRole.BACKUP, added_by=admin
        )

        assert (error.message, error.field) == (
            "Ben Okafor is not on the roster of GER-A1; add them to the course first",
            "trainer",
        )
        assert roles_of(monday_batch, ben) == []

    @pytest.mark.parametrize(
        ("status", "label"),
        [(RosterStatus.INACTIVE, "inactive"), (RosterStatus.ON_LEAVE, "on leave")],
    )
    @pytest.mark.parametrize("role", [StaffRole.ASSISTANT, StaffRole.BACKUP])
    def test_refuses_a_roster_entry_that_is_not_active(
        self, course, monday_batch, ben, admin, status, label, role
    ):
        roster_add(course=course, trainer=ben, status=status)

        error = refusal(batch_staff_add, batch=monday_batch, trainer=ben, role=role, added_by=admin)

        assert (error.message, error.field) == (
            f"Ben Okafor is {label} on the roster of GER-A1",
            "trainer",
        )
        assert roles_of(monday_batch, ben) == []

    def test_refuses_a_non_instructor(self, monday_batch, admin):
        error = refusal(
            batch_staff_add,
            batch=monday_batch,
            trainer=StudentFactory(),
            role=StaffRole.BACKUP,
            added_by=admin,
        )

        assert error.message == MSG_NOT_INSTRUCTOR

    @pytest.mark.parametrize("role", [StaffRole.ASSISTANT, StaffRole.BACKUP])
    def test_refuses_the_batchs_primary(self, monday_batch, anna, admin, role):
        error = refusal(
            batch_staff_add, batch=monday_batch, trainer=anna, role=role, added_by=admin
        )

        assert (error.message, error.field) == (
            "Anna Schmidt is the primary of GER-A1-MON; a trainer holds one role per batch",
            "trainer",
        )
        assert roles_of(monday_batch, anna) == [("primary", True)]

    @pytest.mark.parametrize(
        ("role", "text"), [("assistant", "an assistant"), ("backup", "a backup")]
    )
    def test_refuses_the_same_role_twice(self, course, monday_batch, ben, admin, role, text):
        roster_add(course=course, trainer=ben)
        batch_staff_add(batch=monday_batch, trainer=ben, role=role, added_by=admin)

        error = refusal(batch_staff_add, batch=monday_batch, trainer=ben, role=role, added_by=admin)

        assert (error.message, error.field) == (
            f"Ben Okafor is already {text} of GER-A1-MON",
            "trainer",
        )
        assert roles_of(monday_batch, ben) == [(role, True)]

    @pytest.mark.parametrize(
        ("first", "second"),
        [(StaffRole.BACKUP, StaffRole.ASSISTANT), (StaffRole.ASSISTANT, StaffRole.BACKUP)],
    )
    def test_switching_role_ends_the_old_row(self, course, monday_batch, ben, admin, first, second):
        roster_add(course=course, trainer=ben)
        old = batch_staff_add(batch=monday_batch, trainer=ben, role=first, added_by=admin)
        switcher = AdminFactory()

        batch_staff_add(batch=monday_batch, trainer=ben, role=second, added_by=switcher)

        assert roles_of(monday_batch, ben) == [(first, False), (second, True)]
        old.refresh_from_db()
        assert old.ended_by == switcher
        assert old.ended_at >= old.assigned_at
        assert_primary_mirrors(monday_batch)

    # An assistant teaches: the rule a primary meets.

    def test_refuses_an_assistant_with_a_schedule_conflict(
        self, course, monday_batch, ben, admin, create
    ):
        create(
            ben,
            batch_code="GER-A1-BEN",
            batch_name="Ben's group",
            schedule=[slot(MONDAY, "11:00", "13:00")],
        )

        error = refusal(
            batch_staff_add,
            batch=monday_batch,
            trainer=ben,
            role=StaffRole.ASSISTANT,
            added_by=admin,
        )

        assert (error.message, error.field, error.code) == (
            "Schedule conflict: Ben Okafor already teaches GER-A1-BEN (Ben's group) on "
            "Monday 2026-03-02 11:00–13:00 (UTC), which overlaps Monday 2026-03-02 10:00–12:00 "
            "(UTC)",
            "schedule",
            "conflict",
        )
        assert roles_of(monday_batch, ben) == []

    def test_an_assistant_role_elsewhere_conflicts_too(
        self, course, monday_batch, ben, admin, create
    ):
        roster_add(course=course, trainer=ben)
        other = create(
            InstructorFactory(),
            batch_code="GER-A1-TUE",
            batch_name="Other group",
            schedule=[slot(MONDAY, "09:00", "10:30")],
        )
        batch_staff_add(batch=other, trainer=ben, role=StaffRole.ASSISTANT, added_by=admin)

        error = refusal(
            batch_staff_add,
            batch=monday_batch,
            trainer=ben,
            role=StaffRole.ASSISTANT,
            added_by=admin,
        )

        assert error.message.startswith(
            "Schedule conflict: Ben Okafor already teaches GER-A1-TUE (Other group) on "
            "Monday 2026-03-02 09:00–10:30 (UTC)"
        )

    def test_refuses_an_assistant_at_their_cap(self, course, monday_batch, ben, admin, create):
        set_trainer(ben, max_active_batches=1)
        create(ben, batch_code="GER-A1-BEN", schedule=[slot(TUESDAY, "10:00", "12:00")])

        error = refusal(
            batch_staff_add,
            batch=monday_batch,
            trainer=ben,
            role=StaffRole.ASSISTANT,
            added_by=admin,
        )

        assert (
            error.message == "Ben Okafor already teaches 1 Active/Upcoming batches, their cap of 1"
        )

    def test_refuses_an_assistant_on_leave_today(self, course, monday_batch, ben, admin):
        roster_add(course=course, trainer=ben)
        leave = on_leave_today(ben)

        error = refusal(
            batch_staff_add,
            batch=monday_batch,
            trainer=ben,
            role=StaffRole.ASSISTANT,
            added_by=admin,
        )

        assert error.message == f"Ben Okafor is on leave {leave_text(leave)}"

    def test_refuses_an_inactive_trainer_as_assistant(self, course, monday_batch, ben, admin):
        roster_add(course=course, trainer=ben)
        set_trainer(ben, status=TrainerStatus.INACTIVE)

        error = refusal(
            batch_staff_add,
            batch=monday_batch,
            trainer=ben,
            role=StaffRole.ASSISTANT,
            added_by=admin,
        )

        assert error.message == "Ben Okafor is inactive and cannot take new batches"

    # A backup is not teaching time: only leave today stops one.

    def test_refuses_a_backup_on_leave_today(self, course, monday_batch, ben, admin):
        roster_add(course=course, trainer=ben)
        on_leave_today(ben)

        error = refusal(
            batch_staff_add, batch=monday_batch, trainer=ben, role=StaffRole.BACKUP, added_by=admin
        )

        assert (error.message, error.field) == ("Ben Okafor is on leave", "trainer")
        assert roles_of(monday_batch, ben) == []

    def test_a_backup_with_leave_later_is_allowed(self, course, monday_batch, ben, admin):
        roster_add(course=course, trainer=ben)
        start = dates.today() + dt.timedelta(days=2)
        TrainerLeaveFactory(trainer=ben, start_date=start, end_date=start)

        batch_staff_add(batch=monday_batch, trainer=ben, role=StaffRole.BACKUP, added_by=admin)

        assert roles_of(monday_batch, ben) == [("backup", True)]

    def test_a_backup_may_be_busy_at_the_batchs_times_and_at_their_cap(
        self, course, monday_batch, ben, admin, create
    ):
        set_trainer(ben, max_active_batches=1)
        create(ben, batch_code="GER-A1-BEN", schedule=[slot(MONDAY, "10:00", "12:00")])

        batch_staff_add(batch=monday_batch, trainer=ben, role=StaffRole.BACKUP, added_by=admin)

        assert roles_of(monday_batch, ben) == [("backup", True)]


class TestBatchStaffRemove:
    @pytest.mark.parametrize("role", [StaffRole.ASSISTANT, StaffRole.BACKUP])
    def test_ends_the_role_and_keeps_it_as_history(self, course, monday_batch, ben, admin, role):
        roster_add(course=course, trainer=ben)
        batch_staff_add(batch=monday_batch, trainer=ben, role=role, added_by=admin)
        remover = AdminFactory()

        row = batch_staff_remove(batch=monday_batch, trainer=ben, removed_by=remover)

        row.refresh_from_db()
        assert (row.role, row.ended_by) == (role, remover)
        assert roles_of(monday_batch, ben) == [(role, False)]
        assert_primary_mirrors(monday_batch)

    def test_refuses_the_primary(self, monday_batch, anna, admin):
        error = refusal(batch_staff_remove, batch=monday_batch, trainer=anna, removed_by=admin)

        assert (error.message, error.field) == (
            "Anna Schmidt is the primary of GER-A1-MON; assign another primary instead",
            "trainer",
        )
        assert roles_of(monday_batch, anna) == [("primary", True)]
        assert_primary_mirrors(monday_batch)

    def test_refuses_a_trainer_with_no_role(self, course, monday_batch, ben, admin):
        roster_add(course=course, trainer=ben)
        batch_staff_add(batch=monday_batch, trainer=ben, role=StaffRole.BACKUP, added_by=admin)
        batch_staff_remove(batch=monday_batch, trainer=ben, removed_by=admin)

        error = refusal(batch_staff_remove, batch=monday_batch, trainer=ben, removed_by=admin)

        assert (error.message, error.field) == ("Ben Okafor has no role on GER-A1-MON", "trainer")


class TestOneRolePerBatchInTheDatabase:
    def test_two_current_rows_of_one_trainer_are_refused(self):
        row = BatchTrainerFactory(role=StaffRole.BACKUP)

        with pytest.raises(IntegrityError), transaction.atomic():
            BatchTrainer.objects.create(
                batch=row.batch, trainer=row.trainer, role=StaffRole.ASSISTANT
            )

    def test_two_current_primaries_are_refused(self):
        batch = StaffedBatchFactory()

        with pytest.raises(IntegrityError), transaction.atomic():
            BatchTrainerFactory(batch=batch, role=StaffRole.PRIMARY)

    def test_an_ended_row_leaves_room_for_a_new_one(self):
        row = BatchTrainerFactory(role=StaffRole.BACKUP)
        row.ended_at = dt.datetime.now(tz=dt.UTC)
        row.save()

        BatchTrainer.objects.create(batch=row.batch, trainer=row.trainer, role=StaffRole.ASSISTANT)


# --- supervising leads ----------------------------------------------------------------------


class TestSupervisingLead:
    def test_an_active_lead_of_the_course_supervises(self, course, lea, monday_batch):
        roster_add(course=course, trainer=lea, role=RosterRole.LEAD)

        batch_set_supervising_lead(batch=monday_batch, lead=lea)

        monday_batch.refresh_from_db()
        assert monday_batch.supervising_lead == lea

    def test_several_leads_each_supervise_their_own_batches(self, course, create):
        """Scenario 2 of the design: two leads, each leading a range of batches."""
        smith, johnson = InstructorFactory(), InstructorFactory()
        roster_add(course=course, trainer=smith, role=RosterRole.LEAD, workload_percent=50)
        roster_add(course=course, trainer=johnson, role=RosterRole.LEAD, workload_percent=50)
        batches = [create(InstructorFactory(), batch_code=f"ENG-{i}") for i in range(4)]

        for batch, lead in zip(batches, [smith, smith, johnson, johnson], strict=True):
            batch_set_supervising_lead(batch=batch, lead=lead)

        assert list(
            Batch.objects.filter(pk__in=[b.pk for b in batches])
            .order_by("batch_code")
            .values_list("supervising_lead", flat=True)
        ) == [smith.pk, smith.pk, johnson.pk, johnson.pk]

    def test_none_clears_it(self, course, lea, monday_batch):
        roster_add(course=course, trainer=lea, role=RosterRole.LEAD)
        batch_set_supervising_lead(batch=monday_batch, lead=lea)

        batch_set_supervising_lead(batch=monday_batch, lead=None)

        monday_batch.refresh_from_db()
        assert monday_batch.supervising_lead is None

    @pytest.mark.parametrize(
        ("role", "status"),
        [
            (RosterRole.ASSISTANT, RosterStatus.ACTIVE),
            (RosterRole.SUBSTITUTE, RosterStatus.ACTIVE),
            (RosterRole.LEAD, RosterStatus.INACTIVE),
            (RosterRole.LEAD, RosterStatus.ON_LEAVE),
        ],
    )
    def test_refuses_anyone_but_an_active_lead(self, course, lea, monday_batch, role, status):
        roster_add(course=course, trainer=lea, role=role, status=status)

        error = refusal(batch_set_supervising_lead, batch=monday_batch, lead=lea)

        assert (error.message, error.field) == (
            "Lea Lead is not an active lead of GER-A1",
            "supervising_lead",
        )
        monday_batch.refresh_from_db()
        assert monday_batch.supervising_lead is None

    @pytest.mark.parametrize("elsewhere", [True, False])
    def test_refuses_a_lead_of_another_course_or_none(self, lea, monday_batch, elsewhere):
        if elsewhere:
            roster_add(course=CourseFactory(), trainer=lea, role=RosterRole.LEAD)

        error = refusal(batch_set_supervising_lead, batch=monday_batch, lead=lea)

        assert error.message == "Lea Lead is not an active lead of GER-A1"


# --- the primary, the single-instructor way -------------------------------------------------


class TestPrimaryJoinsTheRoster:
    def test_batch_create_adds_the_instructor_as_an_assistant_with_no_share(
        self, course, anna, monday_batch
    ):
        entry = CourseTrainer.objects.get(course=course, trainer=anna)

        assert (entry.role, entry.workload_percent, entry.status) == ("assistant", 0, "active")
        assert_primary_mirrors(monday_batch)

    def test_an_existing_entry_is_kept_as_it_is(self, course, anna, create):
        roster_add(course=course, trainer=anna, role=RosterRole.LEAD, workload_percent=100)

        create(anna)

        entry = CourseTrainer.objects.get(course=course, trainer=anna)
        assert (entry.role, entry.workload_percent) == ("lead", 100)

    def test_a_full_course_still_takes_a_new_instructor(self, course, anna, create):
        roster_add(course=course, trainer=InstructorFactory(), workload_percent=100)

        create(anna)

        assert CourseTrainer.objects.get(course=course, trainer=anna).workload_percent == 0

    @pytest.mark.parametrize(
        ("status", "label"),
        [(RosterStatus.INACTIVE, "inactive"), (RosterStatus.ON_LEAVE, "on leave")],
    )
    def test_batch_create_refuses_an_entry_that_is_not_active(
        self, course, anna, create, status, label
    ):
        roster_add(course=course, trainer=anna, status=status)

        error = refusal(create, instructor=anna)

        assert (error.message, error.field) == (
            f"Anna Schmidt is {label} on the roster of GER-A1",
            "assigned_instructor",
        )
        assert not Batch.objects.exists()

    def test_batch_assign_instructor_adds_the_new_primary(self, course, monday_batch, ben, admin):
        batch_assign_instructor(batch=monday_batch, instructor=ben, assigned_by=admin)

        entry = CourseTrainer.objects.get(course=course, trainer=ben)
        assert (entry.role, entry.workload_percent, entry.status) == ("assistant", 0, "active")
        assert_primary_mirrors(monday_batch)

    @pytest.mark.parametrize(
        ("status", "label"),
        [(RosterStatus.INACTIVE, "inactive"), (RosterStatus.ON_LEAVE, "on leave")],
    )
    def test_batch_assign_instructor_refuses_an_entry_that_is_not_active(
        self, course, monday_batch, anna, ben, admin, status, label
    ):
        roster_add(course=course, trainer=ben, status=status)

        error = refusal(
            batch_assign_instructor, batch=monday_batch, instructor=ben, assigned_by=admin
        )

        assert error.message == f"Ben Okafor is {label} on the roster of GER-A1"
        monday_batch.refresh_from_db()
        assert monday_batch.assigned_instructor == anna
        assert_primary_mirrors(monday_batch)

    def test_batch_update_adds_a_new_primary(self, course, monday_batch, ben, admin):
        batch_update(batch=monday_batch, assigned_instructor=ben, updated_by=admin)

        assert CourseTrainer.objects.filter(course=course, trainer=ben, status="active").exists()
        assert_primary_mirrors(monday_batch)

    def test_batch_update_refuses_an_inactive_entry(self, course, monday_batch, anna, ben, admin):
        roster_add(course=course, trainer=ben, status=RosterStatus.INACTIVE)

        error = refusal(batch_update, batch=monday_batch, assigned_instructor=ben, updated_by=admin)

        assert error.message == "Ben Okafor is inactive on the roster of GER-A1"
        monday_batch.refresh_from_db()
        assert monday_batch.assigned_instructor == anna


class TestPrimaryMirrorsAfterEveryOperation:
    def test_through_a_batchs_whole_life(self, course, create, anna, ben, admin):
        cara, dan = InstructorFactory(full_name="Cara"), InstructorFactory(full_name="Dan")
        for person in (ben, cara, dan):
            roster_add(course=course, trainer=person)
        batch = create(anna, schedule=[slot(MONDAY, "10:00", "12:00")])
        assert_primary_mirrors(batch)

        batch_staff_add(batch=batch, trainer=ben, role=StaffRole.ASSISTANT, added_by=admin)
        assert_primary_mirrors(batch)
        batch_staff_add(batch=batch, trainer=cara, role=StaffRole.BACKUP, added_by=admin)
        assert_primary_mirrors(batch)
        batch_staff_add(batch=batch, trainer=cara, role=StaffRole.ASSISTANT, added_by=admin)
        assert_primary_mirrors(batch)

        # The assistant becomes the primary: their assistant row ends, Anna's primary row ends.
        batch_assign_instructor(batch=batch, instructor=ben, assigned_by=admin)
        assert_primary_mirrors(batch)
        assert roles_of(batch, ben) == [("assistant", False), ("primary", True)]
        assert roles_of(batch, anna) == [("primary", False)]

        # Anna is back as an assistant, then Dan becomes the primary through batch_update.
        batch_staff_add(batch=batch, trainer=anna, role=StaffRole.ASSISTANT, added_by=admin)
        assert_primary_mirrors(batch)
        batch_update(batch=batch, assigned_instructor=dan, updated_by=admin)
        assert_primary_mirrors(batch)
        assert roles_of(batch, ben) == [("assistant", False), ("primary", False)]

        batch_staff_remove(batch=batch, trainer=cara, removed_by=admin)
        assert_primary_mirrors(batch)
        batch_update(batch=batch, schedule=[slot(TUESDAY, "10:00", "12:00")])
        assert_primary_mirrors(batch)
        course_convert_to_multi_trainer(course=course)
        assert_primary_mirrors(batch)

    def test_a_backup_made_primary_swaps_roles(self, course, monday_batch, anna, ben, admin):
        roster_add(course=course, trainer=ben)
        batch_staff_add(batch=monday_batch, trainer=ben, role=StaffRole.BACKUP, added_by=admin)

        batch_assign_instructor(batch=monday_batch, instructor=ben, assigned_by=admin)

        assert roles_of(monday_batch, ben) == [("backup", False), ("primary", True)]
        assert_primary_mirrors(monday_batch)

    def test_refusals_leave_the_mirror_intact(self, course, monday_batch, anna, ben, admin):
        roster_add(course=course, trainer=ben, status=RosterStatus.INACTIVE)
        for call, kwargs in [
            (batch_assign_instructor, {"instructor": ben, "assigned_by": admin}),
            (batch_assign_instructor, {"instructor": anna, "assigned_by": admin}),
            (batch_update, {"assigned_instructor": ben}),
            (batch_staff_add, {"trainer": anna, "role": "assistant", "added_by": admin}),
            (batch_staff_remove, {"trainer": anna, "removed_by": admin}),
        ]:
            with pytest.raises(DomainError):
                call(batch=monday_batch, **kwargs)
            assert_primary_mirrors(monday_batch)


# --- legacy single-instructor data ----------------------------------------------------------


class TestCourseConvertToMultiTrainer:
    def test_gives_legacy_batches_a_primary_row_and_their_instructors_a_roster_entry(
        self, course, anna, ben
    ):
        legacy = [
            BatchFactory(course=course, assigned_instructor=anna),
            BatchFactory(course=course, assigned_instructor=anna),
            BatchFactory(course=course, assigned_instructor=ben),
        ]
        staffed = StaffedBatchFactory(course=course)  # already has its primary row
        CourseTrainerFactory(course=course, trainer=staffed.assigned_instructor, role="lead")

        assert course_convert_to_multi_trainer(course=course) == (3, 2)

        for batch in [*legacy, staffed]:
            assert_primary_mirrors(batch)
        assert sorted(
            course.roster.values_list("trainer__full_name", "role", "workload_percent", "status")
        ) == sorted(
            [
                ("Anna Schmidt", "assistant", 0, "active"),
                ("Ben Okafor", "assistant", 0, "active"),
                (staffed.assigned_instructor.full_name, "lead", 0, "active"),
            ]
        )

    def test_running_it_twice_adds_nothing(self, course, anna):
        BatchFactory(course=course, assigned_instructor=anna)
        course_convert_to_multi_trainer(course=course)

        assert course_convert_to_multi_trainer(course=course) == (0, 0)

        assert BatchTrainer.objects.count() == 1
        assert CourseTrainer.objects.count() == 1

    def test_other_courses_are_left_alone(self, course):
        other = BatchFactory()

        assert course_convert_to_multi_trainer(course=course) == (0, 0)

        assert not BatchTrainer.objects.filter(batch=other).exists()
        assert not CourseTrainer.objects.exists()

    def test_converted_batches_follow_the_multi_trainer_rules(self, course, anna, ben, admin):
        batch = BatchFactory(course=course, assigned_instructor=anna)
        course_convert_to_multi_trainer(course=course)
        roster_add(course=course, trainer=ben)

        batch_staff_add(batch=batch, trainer=ben, role=StaffRole.BACKUP, added_by=admin)
        batch_assign_instructor(batch=batch, instructor=ben, assigned_by=admin)

        assert roles_of(batch, anna) == [("primary", False)]
        assert_primary_mirrors(batch)


def _migration(name: str):
    return importlib.import_module(f"allocation.migrations.{name}")


class TestLegacyMigrationFunctions:
    """The backfills of migrations 0004 and 0008, called with the current app registry."""

    def test_backfills_primary_rows_and_roster_entries(self, course, anna, ben):
        legacy = [
            BatchFactory(course=course, assigned_instructor=anna),
            BatchFactory(course=course, assigned_instructor=anna),
            BatchFactory(assigned_instructor=ben),
        ]
        kept = CourseTrainerFactory(course=course, trainer=anna, role="lead", workload_percent=40)

        _migration("0004_backfill_primary_staff").backfill(global_apps, None)
        _migration("0008_roster_from_single_instructor_data").backfill(global_apps, None)

        for batch in legacy:
            assert_primary_mirrors(batch)
        assert sorted(
            CourseTrainer.objects.values_list("course_id", "trainer_id", "role", "workload_percent")
        ) == sorted(
            [
                (course.pk, anna.pk, "lead", 40),  # kept as it was
                (legacy[2].course_id, ben.pk, "assistant", 0),
            ]
        )
        kept.refresh_from_db()
        assert kept.status == "active"

    def test_they_are_idempotent(self, course, anna):
        BatchFactory(course=course, assigned_instructor=anna)
        for _ in range(2):
            _migration("0004_backfill_primary_staff").backfill(global_apps, None)
            _migration("0008_roster_from_single_instructor_data").backfill(global_apps, None)

        assert BatchTrainer.objects.count() == 1
        assert CourseTrainer.objects.count() == 1

    def test_a_batch_with_a_current_primary_is_left_alone(self):
        batch = StaffedBatchFactory()

        _migration("0004_backfill_primary_staff").backfill(global_apps, None)

        assert BatchTrainer.objects.filter(batch=batch).count() == 1


# Allocation before batch staffing was backfilled (enrollments must go back first: its 0002
# depends on nothing later, but its tables point at batches).
BEFORE_BACKFILLS = [
    ("enrollments", "0001_initial"),
    ("allocation", "0003_staffing_history_and_individual_assignments"),
]


@pytest.mark.django_db(transaction=True)
def test_migrating_single_instructor_data_forward():
    """A batch stored before batch staffing existed gets its primary row (0004) and its
    instructor a roster entry (0008) when the database is migrated to the latest state."""
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    # What the migrate command does around a plan (enrollments.apps): SQLite's course-rule
    # triggers step aside while tables are rebuilt and come back afterwards.
    sqlite_triggers.drop()
    try:
        executor.migrate(BEFORE_BACKFILLS)
        old = executor.loader.project_state(BEFORE_BACKFILLS).apps
        # Users through today's model: accounts is not migrated back, only allocation.
        instructor = InstructorFactory(full_name="Lena Legacy")
        admin = AdminFactory()
        course = old.get_model("allocation", "Course").objects.create(code="OLD", title="Old")
        OldBatch = old.get_model("allocation", "Batch")
        batches = [
            OldBatch.objects.create(
                batch_name=f"Legacy {i}",
                batch_code=f"OLD-{i}",
                course=course,
                status="Active",
                start_date=TERM_START,
                end_date=TERM_END,
                capacity=10,
                assigned_instructor_id=instructor.pk,
                created_by_id=admin.pk,
            )
            for i in range(2)
        ]
        assert not old.get_model("allocation", "BatchTrainer").objects.exists()

        MigrationExecutor(connection).migrate(latest)

        for old_batch in batches:
            assert_primary_mirrors(Batch.objects.get(pk=old_batch.pk))
        [entry] = CourseTrainer.objects.filter(course_id=course.pk)
        assert (entry.trainer_id, entry.role, entry.workload_percent, entry.status) == (
            instructor.pk,
            "assistant",
            0,
            "active",
        )
    finally:
        MigrationExecutor(connection).migrate(latest)
        sqlite_triggers.install()
        assert not MigrationExecutor(connection).migration_plan(latest)


# --- availability windows -------------------------------------------------------------------


class TestAvailabilityWindowsBoundTeaching:
    @pytest.fixture
    def mornings_only(self, ben):
        """Ben teaches only on Monday and Tuesday mornings."""
        availability_set(
            trainer=ben,
            windows=[
                Window(MONDAY, t("08:00"), t("12:00")),
                Window(TUESDAY, t("08:00"), t("12:00")),
            ],
        )

    def test_batch_create_refuses_slots_outside_them(self, create, ben, mornings_only):
        error = refusal(
            create,
            instructor=ben,
            schedule=[slot(MONDAY, "10:00", "12:00"), slot(TUESDAY, "11:00", "13:00")],
        )

        assert (error.message, error.field) == (
            "Ben Okafor is not available on Tuesday 11:00–13:00 (outside their declared "
            "availability)",
            "schedule",
        )
        assert not Batch.objects.exists()

    def test_batch_create_takes_slots_inside_them(self, create, ben, mornings_only):
        batch = create(
            ben, schedule=[slot(MONDAY, "08:00", "12:00"), slot(TUESDAY, "09:00", "10:00")]
        )

        assert batch.assigned_instructor == ben

    def test_batch_assign_instructor_refuses_slots_outside_them(
        self, create, ben, admin, mornings_only
    ):
        batch = create(InstructorFactory(), schedule=[slot(MONDAY, "13:00", "14:00")])

        error = refusal(batch_assign_instructor, batch=batch, instructor=ben, assigned_by=admin)

        assert error.message == (
            "Ben Okafor is not available on Monday 13:00–14:00 (outside their declared "
            "availability)"
        )

    def test_batch_update_refuses_moving_a_batch_outside_them(self, create, ben, mornings_only):
        batch = create(ben, schedule=[slot(MONDAY, "10:00", "11:00")])

        error = refusal(batch_update, batch=batch, schedule=[slot(MONDAY, "17:00", "18:00")])

        assert error.message.startswith("Ben Okafor is not available on Monday 17:00–18:00")
        assert [str(Slot.of(s)) for s in batch.schedule.all()] == ["Monday 10:00–11:00"]

    def test_an_assistant_is_refused_outside_them_a_backup_is_not(
        self, course, create, ben, admin, mornings_only
    ):
        roster_add(course=course, trainer=ben)
        batch = create(InstructorFactory(), schedule=[slot(MONDAY, "18:00", "20:00")])

        error = refusal(
            batch_staff_add, batch=batch, trainer=ben, role=StaffRole.ASSISTANT, added_by=admin
        )
        batch_staff_add(batch=batch, trainer=ben, role=StaffRole.BACKUP, added_by=admin)

        assert error.message.startswith("Ben Okafor is not available on Monday 18:00–20:00")
        assert roles_of(batch, ben) == [("backup", True)]

    def test_batch_candidates_say_why(self, create, ben, mornings_only):
        batch = create(
            InstructorFactory(full_name="Zed"), schedule=[slot(MONDAY, "13:00", "14:00")]
        )
        free = InstructorFactory(full_name="Fay Free")

        candidates = batch_candidates(batch, User.objects.filter(pk__in=[ben.pk, free.pk]))

        assert [(c.trainer.full_name, c.ineligible_reason) for c in candidates] == [
            ("Fay Free", ""),
            (
                "Ben Okafor",
                "Ben Okafor is not available on Monday 13:00–14:00 (outside their declared "
                "availability)",
            ),
        ]


# --- batch notes ----------------------------------------------------------------------------


class TestBatchNotes:
    @pytest.fixture
    def people(self, course, monday_batch, anna, admin, lea):
        """Everyone around GER-A1-MON, by the part they play."""
        staff = {}
        for role in ("assistant", "backup"):
            person = InstructorFactory(full_name=f"The {role}")
            roster_add(course=course, trainer=person)
            batch_staff_add(batch=monday_batch, trainer=person, role=role, added_by=admin)
            staff[role] = person
        roster_add(course=course, trainer=lea, role=RosterRole.LEAD)
        batch_set_supervising_lead(batch=monday_batch, lead=lea)
        course_lead = InstructorFactory(full_name="Other lead")
        roster_add(course=course, trainer=course_lead, role=RosterRole.LEAD)
        substitute = InstructorFactory(full_name="Sub")
        SubstituteCoverFactory(batch=monday_batch, substitute=substitute)
        inactive_lead = InstructorFactory(full_name="Gone lead")
        roster_add(course=course, trainer=inactive_lead, role="lead", status="inactive")
        former = InstructorFactory(full_name="Former assistant")
        roster_add(course=course, trainer=former)
        batch_staff_add(batch=monday_batch, trainer=former, role="assistant", added_by=admin)
        batch_staff_remove(batch=monday_batch, trainer=former, removed_by=admin)
        idle_assistant = InstructorFactory(full_name="Idle")
        roster_add(course=course, trainer=idle_assistant)
        other_lead = InstructorFactory(full_name="Lead elsewhere")
        roster_add(course=CourseFactory(), trainer=other_lead, role="lead")
        return {
            "admin": admin,
            "primary": anna,
            "assistant": staff["assistant"],
            "backup": staff["backup"],
            "supervising lead": lea,
            "another lead of the course": course_lead,
            "covering substitute": substitute,
            "student": StudentFactory(),
            "unrelated instructor": InstructorFactory(),
            "inactive lead": inactive_lead,
            "former assistant": former,
            "roster assistant without this batch": idle_assistant,
            "lead of another course": other_lead,
        }

    @pytest.mark.parametrize(
        "who",
        [
            "admin",
            "primary",
            "assistant",
            "backup",
            "supervising lead",
            "another lead of the course",
            "covering substitute",
        ],
    )
    def test_the_batchs_people_may_post(self, monday_batch, people, who):
        note = batch_note_add(batch=monday_batch, author=people[who], body="  Chapter 3 done.  ")

        note.refresh_from_db()
        assert (note.batch, note.author, note.body) == (
            monday_batch,
            people[who],
            "Chapter 3 done.",
        )

    @pytest.mark.parametrize(
        "who",
        [
            "student",
            "unrelated instructor",
            "inactive lead",
            "former assistant",
            "roster assistant without this batch",
            "lead of another course",
        ],
    )
    def test_others_are_refused(self, monday_batch, people, who):
        error = refusal(batch_note_add, batch=monday_batch, author=people[who], body="Hello")

        assert error.message == MSG_NOTES
        assert not BatchNote.objects.exists()

    @pytest.mark.parametrize("body", ["", "   \n\t "])
    def test_an_empty_note_is_refused(self, monday_batch, anna, body):
        error = refusal(batch_note_add, batch=monday_batch, author=anna, body=body)

        assert (error.message, error.field) == ("A note cannot be empty", "body")
        assert not BatchNote.objects.exists()
