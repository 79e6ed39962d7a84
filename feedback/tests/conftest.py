"""A small world for the feedback tests: one Active batch (ended, not yet completed) of
German A1 with a primary, an assistant and four students; a mentee with a logged session."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from allocation.models import BatchStatus, Weekday
from enrollments.models import Enrollment
from tests.support import (
    BatchTrainerFactory,
    IndividualAssignmentFactory,
    InstructorFactory,
    MentoringSessionFactory,
    StudentFactory,
    slot,
)

# The batch ran 5 Jan – 27 Mar 2026; the tests run "as of" a day after it.
AFTER = dt.date(2026, 4, 1)
MIDPOINT = dt.date(2026, 2, 14)  # 5 Jan + (81 days // 2 = 40 days)


@pytest.fixture
def world(db, make_batch, admin, course):
    primary = InstructorFactory(full_name="Paula Primary")
    assistant = InstructorFactory(full_name="Arne Assistant")
    batch = make_batch(
        primary,
        status=BatchStatus.ACTIVE,
        start_date=dt.date(2026, 1, 5),
        end_date=dt.date(2026, 3, 27),
        schedule=[slot(Weekday.MONDAY, "10:00", "12:00")],
        enrolled=4,
    )
    BatchTrainerFactory(batch=batch, trainer=assistant, assigned_by=admin)
    students = [e.student for e in Enrollment.objects.filter(batch=batch).order_by("pk")]
    outsider = StudentFactory(full_name="Olga Outsider")
    mentee = students[0]
    assignment = IndividualAssignmentFactory(student=mentee, instructor=primary)
    session = MentoringSessionFactory(assignment=assignment, session_date=dt.date(2026, 2, 1))
    return SimpleNamespace(
        admin=admin,
        course=course,
        batch=batch,
        primary=primary,
        assistant=assistant,
        students=students,
        outsider=outsider,
        other_instructor=InstructorFactory(full_name="Otto Other"),
        assignment=assignment,
        session=session,
    )


def ratings_for(world, value: int = 4) -> dict[int, tuple[int, str]]:
    return {world.primary.pk: (value, "clear"), world.assistant.pk: (value, "")}
