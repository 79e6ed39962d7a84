"""Fixtures and helpers the console/instructor view tests share."""

import datetime as dt

import pytest

from accounts.tests.factories import AdminFactory
from allocation import services
from allocation.services import Slot
from allocation.tests.factories import CourseFactory
from trainers.models import TrainerProfile

START, END = dt.date(2027, 1, 4), dt.date(2027, 3, 26)


def slot(day: int, start: str, end: str) -> Slot:
    return Slot(
        day=day, start_time=dt.time.fromisoformat(start), end_time=dt.time.fromisoformat(end)
    )


def set_profile(user, **fields) -> TrainerProfile:
    profile, _ = TrainerProfile.objects.get_or_create(user=user)
    for name, value in fields.items():
        setattr(profile, name, value)
    profile.save()
    return profile


@pytest.fixture
def admin():
    return AdminFactory(full_name="Ada Admin")


@pytest.fixture
def course():
    return CourseFactory(code="GER-A1", title="German A1")


@pytest.fixture
def make_batch(admin, course):
    """``services.batch_create`` with valid defaults (Upcoming, Jan–Mar 2027, 10 seats)."""

    def make(*, instructor, schedule=(), **fields):
        values = {
            "course": course,
            "batch_name": "Morning group",
            "start_date": START,
            "end_date": END,
            "capacity": 10,
            "created_by": admin,
        }
        values.update(fields)
        return services.batch_create(
            assigned_instructor=instructor, schedule=list(schedule), **values
        )

    return make
