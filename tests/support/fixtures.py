"""The shared fixtures, a pytest plugin the root ``conftest.py`` loads for every test module.
A module (or an app's conftest) that defines a fixture of the same name uses its own; one that
needs other defaults can wrap the shared one (``def make_batch(make_batch): ...``)."""

from __future__ import annotations

import pytest

from tests.support import (
    BATCH_DEFAULTS,
    AdminFactory,
    CourseFactory,
    InstructorFactory,
    StudentFactory,
    build_batch,
)


@pytest.fixture
def admin(db):
    return AdminFactory(full_name="Ada Admin")


@pytest.fixture
def instructor(db):
    return InstructorFactory(full_name="Ingrid Instructor")


@pytest.fixture
def student(db):
    return StudentFactory(full_name="Stella Student")


@pytest.fixture
def course(db):
    return CourseFactory(code="GER-A1", title="German A1")


@pytest.fixture
def make_batch(admin, course):
    """``make_batch(instructor=None, *, schedule=(), enrolled=0, **fields)``: a batch as
    ``batch_create`` would store it (see ``tests.support.build_batch``), made with factories.
    Defaults: the ``course``, created by ``admin``, "Morning group", Upcoming, 4 Jan – 26 Mar
    2027, 10 seats, a new instructor."""

    def make(instructor=None, *, schedule=(), enrolled=0, **fields):
        values = {**BATCH_DEFAULTS, "course": course, "created_by": admin, **fields}
        return build_batch(
            instructor=instructor or InstructorFactory(),
            schedule=schedule,
            enrolled=enrolled,
            **values,
        )

    return make


@pytest.fixture
def create_batch(admin, course):
    """``create_batch(instructor=None, *, schedule=(), **fields)``: the same batch as
    ``make_batch`` (same defaults), made by ``allocation.services.batch_create``, for tests
    that read what the service records (history rows, notices) or that test its checks."""
    from allocation import services

    def create(instructor=None, *, schedule=(), **fields):
        values = {**BATCH_DEFAULTS, "course": course, "created_by": admin, **fields}
        return services.batch_create(
            assigned_instructor=instructor or InstructorFactory(),
            schedule=list(schedule),
            **values,
        )

    return create
