"""Reads of the multi-trainer model: rosters with their roles, the staffing matrix, backups,
cover duties, and the query counts of the selectors the console pages lean on.

Staffing that the services would refuse (two clashing batches of one trainer) is arranged
with the factories; everything else through the services.
"""

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser

from accounts.tests.factories import AdminFactory, InstructorFactory
from allocation.models import Batch, BatchStatus, BatchTrainer, RosterRole, StaffRole
from allocation.selectors import (
    MappingCell,
    batch_backups,
    can_use_batch_notes,
    course_staffing_matrix,
    course_trainers,
    leave_affected_sessions,
    substitute_candidates,
    trainer_covers,
)
from allocation.services import (
    batch_create,
    batch_staff_add,
    batch_staff_remove,
    roster_add,
    substitute_assign,
)
from allocation.tests.factories import (
    BatchTrainerFactory,
    CourseFactory,
    CourseTrainerFactory,
    ScheduleSlotFactory,
    StaffedBatchFactory,
    SubstituteCoverFactory,
)
from core import dates
from tests.support import slot
from trainers.services import Window, availability_set, leave_record, trainer_profile_for

pytestmark = pytest.mark.django_db

MONDAY, TUESDAY = 0, 1
TERM_START, TERM_END = dt.date(2026, 3, 2), dt.date(2026, 5, 29)


def t(text: str) -> dt.time:
    return dt.time.fromisoformat(text)


def d(day: int) -> dt.date:
    """A day of April 2026."""
    return dt.date(2026, 4, day)


@pytest.fixture
def admin():
    return AdminFactory()


def staffed(course, instructor, code, *slots, **fields):
    """A batch with its primary row and slots, saved directly (clashes allowed)."""
    batch = StaffedBatchFactory(
        course=course, assigned_instructor=instructor, batch_code=code, batch_name=code, **fields
    )
    for s in slots:
        ScheduleSlotFactory(batch=batch, day=s.day, start_time=s.start_time, end_time=s.end_time)
    return batch


# --- course_trainers ------------------------------------------------------------------------


class TestCourseTrainers:
    def test_each_roster_entry_with_its_current_roles_on_the_courses_batches(self, course, admin):
        anna = InstructorFactory(full_name="Anna")
        ben = InstructorFactory(full_name="Ben")
        cara = InstructorFactory(full_name="Cara")
        roster_add(course=course, trainer=anna, role=RosterRole.LEAD, workload_percent=50)
        roster_add(course=course, trainer=ben, workload_percent=30)
        roster_add(course=course, trainer=cara, role=RosterRole.SUBSTITUTE)
        first = staffed(course, anna, "GER-1")
        second = staffed(course, ben, "GER-2")
        BatchTrainerFactory(batch=first, trainer=ben, role=StaffRole.BACKUP)
        BatchTrainerFactory(batch=second, trainer=anna, role=StaffRole.ASSISTANT)
        batch_staff_add(batch=second, trainer=cara, role=StaffRole.BACKUP, added_by=admin)
        batch_staff_remove(batch=second, trainer=cara, removed_by=admin)  # history only
        StaffedBatchFactory(assigned_instructor=anna)  # another course's batch

        rows = course_trainers(course)

        assert [
            (
                entry.trainer.full_name,
                entry.role,
                entry.workload_percent,
                [(r.batch.batch_code, r.role) for r in roles],
            )
            for entry, roles in rows
        ] == [
            # Leads first, then assistants, then substitutes.
            ("Anna", "lead", 50, [("GER-1", "primary"), ("GER-2", "assistant")]),
            ("Ben", "assistant", 30, [("GER-1", "backup"), ("GER-2", "primary")]),
            ("Cara", "substitute", 0, []),
        ]

    def test_an_empty_roster(self, course):
        assert course_trainers(course) == []

    @pytest.mark.parametrize("size", [2, 12])
    def test_two_queries_whatever_the_size(self, course, size, django_assert_num_queries):
        for i in range(size):
            trainer = InstructorFactory()
            CourseTrainerFactory(course=course, trainer=trainer)
            batch = staffed(course, trainer, f"GER-{i:02d}")
            BatchTrainerFactory(batch=batch, role=StaffRole.BACKUP)

        # 1. the roster with the trainers joined; 2. the current staffing rows of the
        #    course's batches, with the batches joined.
        with django_assert_num_queries(2):
            rows = course_trainers(course)
            codes = [r.batch.batch_code for _, roles in rows for r in roles]

        assert len(rows) == size
        assert len(codes) == size


# --- backups, covers, notes ------------------------------------------------------------------


class TestBatchBackups:
    def test_the_current_backups_only(self, course, admin):
        batch = staffed(course, InstructorFactory(), "GER-1")
        current, former = InstructorFactory(), InstructorFactory()
        for person in (current, former):
            roster_add(course=course, trainer=person)
            batch_staff_add(batch=batch, trainer=person, role=StaffRole.BACKUP, added_by=admin)
        batch_staff_remove(batch=batch, trainer=former, removed_by=admin)
        BatchTrainerFactory(batch=batch, role=StaffRole.ASSISTANT)

        assert [row.trainer for row in batch_backups(batch)] == [current]


class TestTrainerCovers:
    def test_duties_ending_today_or_later_soonest_first(self):
        sue = InstructorFactory()
        today = dates.today()
        batch = StaffedBatchFactory(
            start_date=today - dt.timedelta(days=30), end_date=today + dt.timedelta(days=30)
        )
        past = SubstituteCoverFactory(
            batch=batch,
            substitute=sue,
            start_date=today - dt.timedelta(days=9),
            end_date=today - dt.timedelta(days=1),
        )
        later = SubstituteCoverFactory(
            batch=batch,
            substitute=sue,
            start_date=today + dt.timedelta(days=5),
            end_date=today + dt.timedelta(days=6),
        )
        ongoing = SubstituteCoverFactory(
            batch=batch,
            substitute=sue,
            start_date=today - dt.timedelta(days=2),
            end_date=today,
        )
        SubstituteCoverFactory(batch=batch)  # someone else's duty

        assert list(trainer_covers(sue)) == [ongoing, later]
        assert list(trainer_covers(sue, since=today - dt.timedelta(days=5))) == [
            past,
            ongoing,
            later,
        ]


class TestCanUseBatchNotes:
    def test_an_anonymous_visitor_may_not(self):
        assert not can_use_batch_notes(AnonymousUser(), StaffedBatchFactory())

    def test_a_substitute_keeps_access_after_the_cover(self):
        cover = SubstituteCoverFactory()

        assert can_use_batch_notes(cover.substitute, cover.batch)
        assert not can_use_batch_notes(cover.substitute, StaffedBatchFactory())


# --- course_staffing_matrix -----------------------------------------------------------------


class TestCourseStaffingMatrix:
    @pytest.fixture
    def matrix_data(self, course):
        """Anna teaches GER-1 (primary) and GER-2 (assistant) at overlapping Monday times;
        she is only a backup of GER-3 at the same time, and primary of the Completed GER-4."""
        anna = InstructorFactory(full_name="Anna")
        ben = InstructorFactory(full_name="Ben")
        cara = InstructorFactory(full_name="Cara")
        CourseTrainerFactory(course=course, trainer=anna, role=RosterRole.LEAD)
        CourseTrainerFactory(course=course, trainer=ben)
        CourseTrainerFactory(course=course, trainer=cara, role=RosterRole.SUBSTITUTE)
        trainer_profile_for(anna).max_active_batches = 2
        anna.trainer_profile.save()
        monday = slot(MONDAY, "10:00", "12:00")
        b1 = staffed(course, anna, "GER-1", monday)
        b2 = staffed(course, ben, "GER-2", slot(MONDAY, "11:00", "12:00"))
        BatchTrainerFactory(batch=b2, trainer=anna, role=StaffRole.ASSISTANT)
        b3 = staffed(course, cara, "GER-3", monday)
        BatchTrainerFactory(batch=b3, trainer=anna, role=StaffRole.BACKUP)
        b4 = staffed(course, anna, "GER-4", monday, status=BatchStatus.COMPLETED)
        # Ben also teaches GER-5 at GER-2's time, but after GER-2 has ended: no clash.
        b5 = staffed(
            course,
            ben,
            "GER-5",
            slot(MONDAY, "11:00", "12:00"),
            start_date=dt.date(2026, 6, 1),
            end_date=dt.date(2026, 8, 28),
        )
        return {"anna": anna, "ben": ben, "cara": cara, "batches": [b1, b2, b3, b4, b5]}

    def test_cells_hold_current_roles_and_flag_clashing_teaching(self, course, matrix_data):
        matrix = course_staffing_matrix(course)

        assert [b.batch_code for b in matrix.batches] == [f"GER-{i}" for i in range(1, 6)]
        assert [e.trainer.full_name for e in matrix.trainers] == ["Anna", "Ben", "Cara"]
        table = {
            batch.batch_code: [
                (matrix.cell(batch, entry).role, matrix.cell(batch, entry).conflict)
                for entry in matrix.trainers
            ]
            for batch in matrix.batches
        }
        none = (None, False)
        assert table == {
            # Anna (lead), Ben, Cara
            "GER-1": [("primary", True), none, none],
            "GER-2": [("assistant", True), ("primary", False), none],
            "GER-3": [("backup", False), none, ("primary", False)],
            "GER-4": [("primary", False), none, none],  # Completed: never clashes
            "GER-5": [none, ("primary", False), none],
        }

    def test_ended_roles_leave_the_cell_empty(self, course, matrix_data):
        BatchTrainer.objects.filter(role=StaffRole.ASSISTANT).update(
            ended_at=dt.datetime.now(tz=dt.UTC)
        )
        b1, b2 = matrix_data["batches"][:2]

        matrix = course_staffing_matrix(course)

        anna_entry = next(e for e in matrix.trainers if e.trainer == matrix_data["anna"])
        assert matrix.cell(b2, anna_entry) == MappingCell(None, False)
        assert matrix.cell(b1, anna_entry) == MappingCell("primary", False)

    def test_workloads_show_who_is_at_their_cap(self, course, matrix_data):
        matrix = course_staffing_matrix(course)

        loads = {
            w.trainer.full_name: (w.active_batches, w.max_active_batches, w.at_cap)
            for w in matrix.workloads.values()
        }
        assert loads == {"Anna": (2, 2, True), "Ben": (2, 4, False), "Cara": (1, 4, False)}

    @pytest.mark.parametrize("size", [2, 10])
    def test_five_queries_whatever_the_size(self, course, size, django_assert_num_queries):
        for i in range(size):
            trainer = InstructorFactory()
            CourseTrainerFactory(course=course, trainer=trainer)
            batch = staffed(course, trainer, f"GER-{i:02d}", slot(i % 7, "10:00", "12:00"))
            assistant = BatchTrainerFactory(batch=batch, role=StaffRole.ASSISTANT)
            CourseTrainerFactory(course=course, trainer=assistant.trainer)

        # 1. the batches with their primaries; 2. their slots (prefetched); 3. the roster with
        #    the trainers; 4. the current staffing rows; 5. the roster's workloads (one
        #    annotated query).
        with django_assert_num_queries(5):
            matrix = course_staffing_matrix(course)
            cells = [matrix.cell(b, e) for b in matrix.batches for e in matrix.trainers]

        assert len(matrix.batches) == size
        assert sum(cell.role is not None for cell in cells) == 2 * size


# --- query counts of the cover pages --------------------------------------------------------


@pytest.fixture
def cover_scene(course, admin):
    """GER-A1-MON taught by Anna (Mon 10:00–12:00) and a roster of ``size`` substitutes, each
    with something that matters to the rule: leave, a window, a clashing batch, a cover."""

    def build(size):
        anna = InstructorFactory(full_name="Anna")
        batch = batch_create(
            course=course,
            batch_name="Monday",
            batch_code="GER-A1-MON",
            start_date=TERM_START,
            end_date=TERM_END,
            capacity=10,
            assigned_instructor=anna,
            created_by=admin,
            status=BatchStatus.ACTIVE,
            schedule=[slot(MONDAY, "10:00", "12:00")],
        )
        other_course = CourseFactory()
        for i in range(size):
            sub = InstructorFactory()
            roster_add(course=course, trainer=sub, role=RosterRole.SUBSTITUTE)
            kind = i % 4
            if kind == 0:
                leave_record(trainer=sub, start_date=d(7), end_date=d(7), created_by=None)
            elif kind == 1:
                availability_set(trainer=sub, windows=[Window(TUESDAY, t("08:00"), t("12:00"))])
            elif kind == 2:
                batch_create(
                    course=other_course,
                    batch_name=f"Other {i}",
                    start_date=TERM_START,
                    end_date=TERM_END,
                    capacity=10,
                    assigned_instructor=sub,
                    created_by=admin,
                    schedule=[slot(MONDAY, "11:00", "12:00")],
                )
            else:
                batch_staff_add(batch=batch, trainer=sub, role=StaffRole.BACKUP, added_by=admin)
        # An inactive roster entry, whose refusal names the course.
        roster_add(course=course, trainer=InstructorFactory(), status="inactive")
        return batch, anna

    return build


@pytest.mark.parametrize("size", [4, 16])
def test_substitute_candidates_query_count(cover_scene, size, django_assert_num_queries):
    batch, anna = cover_scene(size)
    batch = Batch.objects.get(pk=batch.pk)  # as a page would load it: nothing cached

    # 1. the roster with trainers and profiles; 2. the batch's backups, likewise;
    # 3. the sessions to cover (the absent trainer's, in the dates); 4. open teaching
    # counts; 5. availability windows; 6. leaves; 7. roster entries (teaching_context);
    # 8. overlapping bookings; 9. the batch's course, named in the inactive entry's refusal.
    with django_assert_num_queries(9):
        candidates = substitute_candidates(batch, d(6), d(10), absent_trainer=anna)

    assert len(candidates) == size + 1
    assert sum(c.eligible for c in candidates) == size // 4  # the backups


@pytest.mark.parametrize("size", [2, 10])
def test_leave_affected_sessions_query_count(course, admin, size, django_assert_num_queries):
    anna = InstructorFactory(full_name="Anna")
    trainer_profile_for(anna).max_active_batches = size
    anna.trainer_profile.save()
    sub = InstructorFactory()
    roster_add(course=course, trainer=sub, role=RosterRole.SUBSTITUTE)
    for i in range(size):
        batch = batch_create(
            course=course,
            batch_name=f"Group {i}",
            start_date=TERM_START,
            end_date=TERM_END,
            capacity=10,
            assigned_instructor=anna,
            created_by=admin,
            status=BatchStatus.ACTIVE,
            schedule=[slot(i % 5, f"{8 + i // 5:02d}:00", f"{8 + i // 5:02d}:30")],
        )
        if i % 2:
            substitute_assign(
                batch=batch,
                absent_trainer=anna,
                substitute=sub,
                start_date=d(6),
                end_date=d(10),
                assigned_by=admin,
            )
    leave = leave_record(trainer=anna, start_date=d(6), end_date=d(17), created_by=admin)

    # 1. the trainer's bookings in the leave, with session, batch and course; 2. the
    # per-session covers of the trainer's absence, with session, batch, course, substitute.
    with django_assert_num_queries(2):
        sessions = leave_affected_sessions(leave)
        names = [s.cover.substitute.email for s in sessions if s.covered]

    assert len(sessions) == 2 * size  # each batch meets once a week, two weeks
    assert len(names) == size // 2
