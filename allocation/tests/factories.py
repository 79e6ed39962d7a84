import datetime as dt

import factory
from factory.django import DjangoModelFactory

from accounts.tests.factories import AdminFactory, InstructorFactory, StudentFactory
from allocation.models import (
    AssignmentType,
    Batch,
    BatchStatus,
    BatchTrainer,
    Course,
    CourseTrainer,
    IndividualAssignment,
    MentoringSession,
    RosterRole,
    RosterStatus,
    ScheduleSlot,
    StaffRole,
    SubstituteCover,
    Weekday,
)


class CourseFactory(DjangoModelFactory):
    class Meta:
        model = Course
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"C{n:03d}")
    title = factory.Sequence(lambda n: f"Course {n}")


class BatchFactory(DjangoModelFactory):
    """A batch saved directly, bypassing services: for arranging data, not testing rules."""

    class Meta:
        model = Batch

    batch_name = factory.Sequence(lambda n: f"Batch {n}")
    batch_code = factory.Sequence(lambda n: f"B-{n:04d}")
    course = factory.SubFactory(CourseFactory)
    status = BatchStatus.ACTIVE
    start_date = dt.date(2026, 1, 5)
    end_date = dt.date(2026, 3, 27)
    capacity = 10
    assigned_instructor = factory.SubFactory(InstructorFactory)
    created_by = factory.SubFactory(AdminFactory)


class ScheduleSlotFactory(DjangoModelFactory):
    class Meta:
        model = ScheduleSlot

    batch = factory.SubFactory(BatchFactory)
    day = Weekday.MONDAY
    start_time = dt.time(10, 0)
    end_time = dt.time(12, 0)


class StaffedBatchFactory(BatchFactory):
    """A batch whose assigned instructor also holds the current primary BatchTrainer row.

    Teaching (caps, conflicts, workload) is read from current BatchTrainer rows, which
    ``batch_create`` writes and ``BatchFactory`` does not; use this factory when the batch must
    count as taught by its instructor.
    """

    class Meta:
        model = Batch
        skip_postgeneration_save = True

    @factory.post_generation
    def primary_row(obj, create, extracted, **kwargs):
        if create:
            BatchTrainer.objects.create(
                batch=obj,
                trainer=obj.assigned_instructor,
                role=StaffRole.PRIMARY,
                assigned_by=obj.created_by,
            )


class BatchTrainerFactory(DjangoModelFactory):
    """A current staffing row; an assistant by default (a batch's primary is its instructor)."""

    class Meta:
        model = BatchTrainer

    batch = factory.SubFactory(BatchFactory)
    trainer = factory.SubFactory(InstructorFactory)
    role = StaffRole.ASSISTANT


class IndividualAssignmentFactory(DjangoModelFactory):
    """An active individual assignment saved directly, bypassing the services."""

    class Meta:
        model = IndividualAssignment

    student = factory.SubFactory(StudentFactory)
    instructor = factory.SubFactory(InstructorFactory)
    assignment_type = AssignmentType.MENTOR
    start_date = dt.date(2026, 1, 5)


class MentoringSessionFactory(DjangoModelFactory):
    class Meta:
        model = MentoringSession

    assignment = factory.SubFactory(IndividualAssignmentFactory)
    session_date = factory.SelfAttribute("assignment.start_date")
    duration_minutes = 60
    logged_by = factory.SelfAttribute("assignment.instructor")


class CourseTrainerFactory(DjangoModelFactory):
    """A roster entry saved directly, bypassing roster_add and its workload-sum check."""

    class Meta:
        model = CourseTrainer

    course = factory.SubFactory(CourseFactory)
    trainer = factory.SubFactory(InstructorFactory)
    role = RosterRole.ASSISTANT
    workload_percent = 0
    status = RosterStatus.ACTIVE


class SubstituteCoverFactory(DjangoModelFactory):
    """A cover saved directly, bypassing substitute_assign: for history or clashes a service
    would refuse. The absent trainer defaults to the batch's instructor."""

    class Meta:
        model = SubstituteCover

    batch = factory.SubFactory(StaffedBatchFactory)
    absent_trainer = factory.SelfAttribute("batch.assigned_instructor")
    substitute = factory.SubFactory(InstructorFactory)
    start_date = factory.SelfAttribute("batch.start_date")
    end_date = factory.SelfAttribute("batch.end_date")
