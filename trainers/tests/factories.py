import datetime as dt

import factory
from factory.django import DjangoModelFactory

from accounts.tests.factories import InstructorFactory
from trainers.models import AvailabilityWindow, TrainerLeave, TrainerProfile


class TrainerProfileFactory(DjangoModelFactory):
    class Meta:
        model = TrainerProfile

    user = factory.SubFactory(InstructorFactory)
    specialization = "German"


class TrainerLeaveFactory(DjangoModelFactory):
    """A leave saved directly, bypassing leave_record and its overlap check."""

    class Meta:
        model = TrainerLeave

    trainer = factory.SubFactory(InstructorFactory)
    start_date = dt.date(2026, 4, 6)
    end_date = dt.date(2026, 4, 10)


class AvailabilityWindowFactory(DjangoModelFactory):
    class Meta:
        model = AvailabilityWindow

    trainer = factory.SubFactory(InstructorFactory)
    day = 0
    start_time = dt.time(9, 0)
    end_time = dt.time(17, 0)
