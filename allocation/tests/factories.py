import datetime as dt

import factory
from factory.django import DjangoModelFactory

from allocation.models import Batch, BatchStatus, Course, ScheduleSlot, Weekday
from medh.accounts.tests.factories import AdminFactory, InstructorFactory


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
