import datetime as dt

import factory
from factory.django import DjangoModelFactory

from allocation.models import (
    AssignmentType,
    Batch,
    BatchStatus,
    BatchTrainer,
    Course,
    IndividualAssignment,
    MentoringSession,
    ScheduleSlot,
    StaffRole,
    Weekday,
)
from medh.accounts.tests.factories import AdminFactory, InstructorFactory, StudentFactory


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
