"""The allocation selectors: exact figures on a known data set, and pinned query counts.

Teaching is read from current BatchTrainer rows (primary or assistant, not ended), so the
batches here are made with ``batch_create`` (which writes the primary row), staffing changes
with ``batch_assign_instructor``, and only the roles no service writes yet (assistant,
backup) with the factory. Enrolled counts are set on the counter directly: the enrollment
services that keep it are tested in the enrollments app.
"""

import datetime as dt

import pytest

from accounts.models import User
from accounts.tests.factories import (
    AdminFactory,
    InstructorFactory,
    StudentFactory,
    UserFactory,
)
from allocation.models import AssignmentType, Batch, BatchStatus, StaffRole
from allocation.selectors import (
    Candidate,
    batch_staff_history,
    instructor_batches,
    refusal_counts,
    students_of_instructor,
    students_with_instructors,
    trainer_workloads,
)
from allocation.services import (
    batch_assign_instructor,
    batch_update,
    individual_assign,
    individual_unassign,
)
from allocation.tests.factories import (
    BatchFactory,
    BatchTrainerFactory,
    IndividualAssignmentFactory,
    StaffedBatchFactory,
)
from tests.support import slot
from trainers.models import DEFAULT_MAX_ACTIVE_BATCHES, TrainerStatus
from trainers.services import trainer_profile_for

pytestmark = pytest.mark.django_db

MON, TUE, WED, THU, FRI, SAT = range(6)


def set_trainer(user, **fields):
    profile = trainer_profile_for(user)
    for name, value in fields.items():
        setattr(profile, name, value)
    profile.save()
    return profile


@pytest.fixture
def make_batch(make_batch):
    """The shared ``make_batch`` (factories) with this module's term: Active, 2 Mar – 29 May
    2026, "Group <code>"; ``enrolled`` real enrollments hold the seats."""

    def make(instructor, *, code, slots=(), **fields):
        values = {
            "batch_name": f"Group {code}",
            "batch_code": code,
            "start_date": dt.date(2026, 3, 2),
            "end_date": dt.date(2026, 5, 29),
            "status": BatchStatus.ACTIVE,
            "schedule": slots,
        }
        return make_batch(instructor, **(values | fields))

    return make


# --- trainer_workloads ---------------------------------------------------------------------


@pytest.fixture
def staff(make_batch, admin):
    """A known timetable.

    Anna (default cap 4): primary of A1 (Active, 6/10, Mon + Wed 10–12) and A2 (Upcoming,
    5/20, Tue 18:00–19:30), primary of A3 (Completed: not counted), assistant on B1, backup on
    X (not counted), former primary of Y (ended: not counted); 2 active mentees, 1 ended.
    Ben (cap 2): primary of B1 (Active, 9/10, Fri 09–10) and of Y (taken over from Anna,
    Active, 1/5, Mon 14:00–14:45); 1 active mentee.
    Carla (on leave): nothing. Dora: nothing, and no trainer profile at all.
    """
    anna = InstructorFactory(full_name="Anna Schmidt")
    ben = InstructorFactory(full_name="Ben Okafor")
    carla = InstructorFactory(full_name="Carla Diaz")
    dora = InstructorFactory(full_name="Dora Ivanova")
    set_trainer(ben, max_active_batches=2)
    set_trainer(carla, status=TrainerStatus.ON_LEAVE)

    make_batch(
        anna,
        code="A1",
        slots=[slot(MON, "10:00", "12:00"), slot(WED, "10:00", "12:00")],
        enrolled=6,
    )
    make_batch(
        anna,
        code="A2",
        slots=[slot(TUE, "18:00", "19:30")],
        enrolled=5,
        capacity=20,
        status=BatchStatus.UPCOMING,
    )
    a3 = make_batch(anna, code="A3", slots=[slot(THU, "10:00", "12:00")], enrolled=8, capacity=8)
    batch_update(batch=a3, status=BatchStatus.COMPLETED)
    y = make_batch(anna, code="Y", slots=[slot(MON, "14:00", "14:45")], enrolled=1, capacity=5)
    b1 = make_batch(ben, code="B1", slots=[slot(FRI, "09:00", "10:00")], enrolled=9)
    batch_assign_instructor(batch=y, instructor=ben, assigned_by=admin)
    BatchTrainerFactory(batch=b1, trainer=anna, role=StaffRole.ASSISTANT)
    x = make_batch(
        InstructorFactory(full_name="Xavier Other"),
        code="X",
        slots=[slot(SAT, "10:00", "12:00")],
        enrolled=2,
    )
    BatchTrainerFactory(batch=x, trainer=anna, role=StaffRole.BACKUP)

    for student in StudentFactory.create_batch(2):
        individual_assign(student=student, instructor=anna, assigned_by=admin)
    ended = StudentFactory()
    individual_assign(student=ended, instructor=anna, assigned_by=admin)
    individual_unassign(student=ended, ended_by=admin)
    individual_assign(student=StudentFactory(), instructor=ben, assigned_by=admin)
    return {"anna": anna, "ben": ben, "carla": carla, "dora": dora}


def workload_figures(workloads):
    return {
        w.trainer.full_name: (
            w.active_batches,
            w.max_active_batches,
            w.batch_students,
            w.individual_students,
            w.weekly_hours,
            w.fill_rate,
            w.status,
        )
        for w in workloads
    }


class TestTrainerWorkloads:
    def test_exact_figures(self, staff):
        trainers = User.objects.filter(pk__in=[u.pk for u in staff.values()])

        workloads = trainer_workloads(trainers)

        assert workload_figures(workloads) == {
            # A1 + A2 + B1 (assistant): 6 + 5 + 9 of 10 + 20 + 10 seats; 4 + 1.5 + 1 hours.
            "Anna Schmidt": (3, 4, 20, 2, 6.5, 0.5, TrainerStatus.ACTIVE),
            # B1 + Y: 9 + 1 of 10 + 5 seats; 1 + 0.75 hours.
            "Ben Okafor": (2, 2, 10, 1, 1.75, 0.667, TrainerStatus.ACTIVE),
            "Carla Diaz": (0, 4, 0, 0, 0.0, None, TrainerStatus.ON_LEAVE),
            # No trainer profile: the defaults.
            "Dora Ivanova": (0, DEFAULT_MAX_ACTIVE_BATCHES, 0, 0, 0.0, None, TrainerStatus.ACTIVE),
        }

    def test_trainers_come_in_name_order(self, staff):
        trainers = User.objects.filter(pk__in=[u.pk for u in staff.values()])

        names = [w.trainer.full_name for w in trainer_workloads(trainers)]

        assert names == ["Anna Schmidt", "Ben Okafor", "Carla Diaz", "Dora Ivanova"]

    def test_cap_flags(self, staff):
        by_name = {w.trainer.full_name: w for w in trainer_workloads()}

        assert (by_name["Anna Schmidt"].at_cap, by_name["Anna Schmidt"].over_cap) == (False, False)
        assert (by_name["Ben Okafor"].at_cap, by_name["Ben Okafor"].over_cap) == (True, False)

    def test_over_cap_after_the_cap_is_lowered(self, staff):
        set_trainer(staff["anna"], max_active_batches=2)

        [anna] = trainer_workloads(User.objects.filter(pk=staff["anna"].pk))

        assert (anna.active_batches, anna.max_active_batches, anna.over_cap) == (3, 2, True)

    def test_default_is_every_active_instructor(self, staff):
        InstructorFactory(full_name="Gone Away", is_active=False)
        StudentFactory(full_name="Not A Trainer")

        names = [w.trainer.full_name for w in trainer_workloads()]

        assert names == [
            "Anna Schmidt",
            "Ben Okafor",
            "Carla Diaz",
            "Dora Ivanova",
            "Xavier Other",
        ]

    def test_closing_a_batch_takes_it_out_of_the_figures(self, staff):
        batch_update(batch=Batch.objects.get(batch_code="A2"), status=BatchStatus.CANCELLED)

        [anna] = trainer_workloads(User.objects.filter(pk=staff["anna"].pk))

        assert (anna.active_batches, anna.batch_students, anna.weekly_hours, anna.fill_rate) == (
            2,
            15,
            5.0,
            0.75,
        )

    def test_a_batch_without_a_staffing_row_is_not_counted(self):
        """Teaching is read from BatchTrainer rows: a bare BatchFactory batch is not taught."""
        bare, staffed = InstructorFactory(full_name="Bare"), InstructorFactory(full_name="Staffed")
        BatchFactory(assigned_instructor=bare)
        StaffedBatchFactory(assigned_instructor=staffed)

        workloads = trainer_workloads(User.objects.filter(pk__in=[bare.pk, staffed.pk]))

        assert [(w.trainer, w.active_batches) for w in workloads] == [(bare, 0), (staffed, 1)]

    @pytest.mark.parametrize("size", [3, 30])
    def test_one_query_for_any_number_of_trainers(
        self, make_batch, admin, size, django_assert_num_queries
    ):
        trainers = InstructorFactory.create_batch(size)
        for i, trainer in enumerate(trainers):
            hour = f"{8 + i // 7:02d}"
            batch = make_batch(
                trainer,
                code=f"Q{i:02d}",
                slots=[slot(i % 7, f"{hour}:00", f"{hour}:59")],
                enrolled=3,
            )
            # Each trainer also assists the previous trainer's batch and mentors a student.
            BatchTrainerFactory(batch=batch, trainer=trainers[i - 1], role=StaffRole.ASSISTANT)
            IndividualAssignmentFactory(instructor=trainer)

        # 1. the instructors with their trainer profile joined and the five workload
        #    figures as correlated subqueries (batches, students, seats, mentees, minutes).
        with django_assert_num_queries(1):
            workloads = trainer_workloads(User.objects.filter(pk__in=[t.pk for t in trainers]))

        assert len(workloads) == size
        assert {
            (w.active_batches, w.batch_students, w.individual_students, w.weekly_hours)
            for w in workloads
        } == {(2, 6, 1, round(2 * 59 / 60, 2))}


# --- students ------------------------------------------------------------------------------


class TestStudentsWithInstructors:
    def test_every_student_with_their_current_assignment(self, admin):
        anna = InstructorFactory(full_name="Anna Schmidt", email="anna@example.com")
        ben = InstructorFactory(full_name="Ben Okafor", email="ben@example.com")
        sam = StudentFactory(full_name="Sam A")
        StudentFactory(full_name="Sara B")  # no assignment
        corp = UserFactory(full_name="Cora Corporate", is_corporate_student=True)
        ex = StudentFactory(full_name="Eve Former")
        InstructorFactory(full_name="Ivan Instructor")  # not a student: not listed
        tutoring = individual_assign(
            student=sam,
            instructor=anna,
            assigned_by=admin,
            assignment_type=AssignmentType.TUTOR,
            notes="Cases",
            start_date=dt.date(2026, 3, 2),
        )
        mentoring = individual_assign(
            student=corp, instructor=ben, assigned_by=admin, start_date=dt.date(2026, 2, 2)
        )
        individual_assign(student=ex, instructor=ben, assigned_by=admin)
        individual_unassign(student=ex, ended_by=admin)

        rows = [
            (
                s.full_name,
                s.assignment_id,
                s.instructor_id,
                s.instructor_name,
                s.instructor_email,
                s.assignment_type,
                s.assignment_start,
                s.assignment_notes,
            )
            for s in students_with_instructors()
        ]

        assert rows == [
            (
                "Cora Corporate",
                mentoring.pk,
                ben.pk,
                "Ben Okafor",
                "ben@example.com",
                "mentor",
                dt.date(2026, 2, 2),
                "",
            ),
            ("Eve Former", None, None, None, None, None, None, None),
            (
                "Sam A",
                tutoring.pk,
                anna.pk,
                "Anna Schmidt",
                "anna@example.com",
                "tutor",
                dt.date(2026, 3, 2),
                "Cases",
            ),
            ("Sara B", None, None, None, None, None, None, None),
        ]

    def test_a_given_queryset_is_annotated(self, admin):
        anna = InstructorFactory()
        sam = StudentFactory(full_name="Sam A")
        StudentFactory(full_name="Sara B")  # not in the given queryset
        individual_assign(student=sam, instructor=anna, assigned_by=admin)

        [row] = students_with_instructors(User.objects.filter(pk=sam.pk))

        assert (row, row.instructor_id) == (sam, anna.pk)

    def test_after_reassignment_the_new_instructor_is_shown(self, admin):
        from allocation.services import individual_reassign

        anna, ben = InstructorFactory(), InstructorFactory()
        sam = StudentFactory()
        individual_assign(student=sam, instructor=anna, assigned_by=admin)
        individual_reassign(student=sam, instructor=ben, assigned_by=admin)

        [row] = students_with_instructors()

        assert row.instructor_id == ben.pk

    @pytest.mark.parametrize("size", [3, 30])
    def test_one_query_for_any_number_of_students(self, size, django_assert_num_queries):
        for _ in range(size):
            IndividualAssignmentFactory()

        # 1. the students with seven scalar subqueries on their active assignment.
        with django_assert_num_queries(1):
            rows = list(students_with_instructors())

        assert len(rows) == size
        assert all(r.instructor_name for r in rows)


class TestStudentsOfInstructor:
    def test_active_assignments_in_student_name_order(self, admin):
        anna = InstructorFactory()
        zoe, adam, ex = (
            StudentFactory(full_name="Zoe Z"),
            StudentFactory(full_name="Adam A"),
            StudentFactory(full_name="Ex E"),
        )
        for student in (zoe, adam, ex):
            individual_assign(student=student, instructor=anna, assigned_by=admin)
        individual_unassign(student=ex, ended_by=admin)
        IndividualAssignmentFactory()  # another instructor's

        assert [a.student for a in students_of_instructor(anna)] == [adam, zoe]

    def test_one_query_with_the_students_loaded(self, django_assert_num_queries):
        anna = InstructorFactory()
        IndividualAssignmentFactory.create_batch(5, instructor=anna)

        # 1. the assignments joined with their students.
        with django_assert_num_queries(1):
            names = [a.student.full_name for a in students_of_instructor(anna)]

        assert len(names) == 5


# --- batches of an instructor and staffing history -----------------------------------------


class TestInstructorBatches:
    def test_current_roles_in_every_role_by_start_date(self, make_batch, admin):
        anna, ben = InstructorFactory(full_name="Anna"), InstructorFactory(full_name="Ben")
        make_batch(anna, code="L", start_date=dt.date(2026, 6, 1), end_date=dt.date(2026, 8, 28))
        early = make_batch(
            ben, code="E", start_date=dt.date(2026, 1, 5), end_date=dt.date(2026, 2, 27)
        )
        middle_b = make_batch(ben, code="M-B")
        middle_a = make_batch(InstructorFactory(), code="M-A")
        ended = make_batch(anna, code="GONE")
        closed = make_batch(anna, code="DONE")
        batch_update(batch=closed, status=BatchStatus.COMPLETED)
        BatchTrainerFactory(batch=early, trainer=anna, role=StaffRole.ASSISTANT)
        BatchTrainerFactory(batch=middle_b, trainer=anna, role=StaffRole.BACKUP)
        BatchTrainerFactory(batch=middle_a, trainer=anna, role=StaffRole.ASSISTANT)
        batch_assign_instructor(batch=ended, instructor=ben, assigned_by=admin)

        roles = [(r.batch.batch_code, r.role) for r in instructor_batches(anna)]

        # Ordered by start date then code; the Completed batch is still a current role,
        # the batch handed to Ben is not.
        assert roles == [
            ("E", StaffRole.ASSISTANT),
            ("DONE", StaffRole.PRIMARY),
            ("M-A", StaffRole.ASSISTANT),
            ("M-B", StaffRole.BACKUP),
            ("L", StaffRole.PRIMARY),
        ]

    @pytest.mark.parametrize("size", [3, 30])
    def test_three_queries_for_any_number_of_batches(
        self, make_batch, size, django_assert_num_queries
    ):
        anna = InstructorFactory()
        set_trainer(anna, max_active_batches=size)
        for i in range(size):
            make_batch(
                anna,
                code=f"Q{i:02d}",
                slots=[slot(i % 7, f"{8 + i // 7:02d}:00", f"{8 + i // 7:02d}:30")],
            )

        # 1. the roles joined with batch and course; 2. the slots of those batches; 3. their
        # active enrollments with the students (the rosters).
        with django_assert_num_queries(3):
            rows = [
                (r.batch.batch_code, r.batch.course.code, [str(s) for s in r.batch.schedule.all()])
                for r in instructor_batches(anna)
            ]

        assert len(rows) == size
        assert all(len(slots) == 1 for _, _, slots in rows)


class TestBatchStaffHistory:
    def test_every_row_current_and_ended_newest_first(self, make_batch, admin):
        anna, ben, carla = (
            InstructorFactory(full_name="Anna"),
            InstructorFactory(full_name="Ben"),
            InstructorFactory(full_name="Carla"),
        )
        other_admin = AdminFactory(full_name="Otto Admin")
        batch = make_batch(anna, code="H")
        batch_assign_instructor(batch=batch, instructor=ben, assigned_by=other_admin)
        BatchTrainerFactory(batch=batch, trainer=carla, role=StaffRole.ASSISTANT)
        make_batch(carla, code="OTHER")  # another batch's rows are not listed

        rows = [
            (
                r.trainer.full_name,
                r.role,
                r.assigned_by.full_name if r.assigned_by else None,
                r.ended_by.full_name if r.ended_by else None,
                r.ended_at is None,
            )
            for r in batch_staff_history(batch)
        ]

        assert rows == [
            ("Carla", StaffRole.ASSISTANT, None, None, True),
            ("Ben", StaffRole.PRIMARY, "Otto Admin", None, True),
            ("Anna", StaffRole.PRIMARY, "Ada Admin", "Otto Admin", False),
        ]

    def test_one_query_with_people_loaded(self, make_batch, admin, django_assert_num_queries):
        batch = make_batch(InstructorFactory(), code="H")
        for _ in range(5):
            batch_assign_instructor(batch=batch, instructor=InstructorFactory(), assigned_by=admin)

        # 1. the rows joined with trainer, assigned_by and ended_by.
        with django_assert_num_queries(1):
            rows = [
                (r.trainer.email, r.assigned_by.email, r.ended_by.email if r.ended_by else None)
                for r in batch_staff_history(batch)
            ]

        assert len(rows) == 6
        assert sum(ended is None for *_, ended in rows) == 1


def test_refusals_are_counted_by_kind_in_the_rules_order():
    """The assign-instructor summary: each kind once, in the order the rule checks them; a
    refusal of a kind the page does not name still counts, as "for another reason"."""

    def candidate(kind: str | None) -> Candidate:
        return Candidate(
            trainer=None,
            conflicts=(),
            current_role=None,
            ineligible_reason="" if kind is None else "refused",
            refusal_kind=kind or "",
            on_roster=False,
            open_batches=0,
        )

    kinds = ["conflict", "at_cap", None, "conflict", "invalid", "current"]
    assert refusal_counts(candidate(k) for k in kinds) == [
        ("the current instructor", 1),
        ("at their cap of open batches", 1),
        ("with a schedule conflict", 2),
        ("for another reason", 1),
    ]
    assert refusal_counts([candidate(None)]) == []
