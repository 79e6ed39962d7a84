"""The tests' shared cast, in one place: factories, ``slot``, and (in ``fixtures``, loaded by
the root ``conftest.py`` for every test) the ``admin``, ``instructor``, ``student``, ``course``
and ``make_batch`` fixtures.

Fixture data is built with factories, not through the services, unless a test is about the
service. The factories keep the invariants the services keep: a batch's primary BatchTrainer
row names its ``assigned_instructor``, and ``enrolled_students`` equals the batch's active
enrollments (``make_batch(enrolled=n)`` makes n real enrollments).
"""

from __future__ import annotations

import codecs
import datetime as dt
from contextlib import contextmanager

from django.db import transaction
from django.db.models import Model

from accounts.models import User
from accounts.tests.factories import (
    TEST_PASSWORD,
    AdminFactory,
    InstructorFactory,
    StudentFactory,
    UserFactory,
)
from allocation.models import Batch, BatchStatus, CourseTrainer, RosterRole, ScheduleSlot
from allocation.services import Slot, batch_sessions_regenerate
from allocation.tests.factories import (
    BatchFactory,
    BatchTrainerFactory,
    CourseFactory,
    CourseTrainerFactory,
    IndividualAssignmentFactory,
    MentoringSessionFactory,
    ScheduleSlotFactory,
    StaffedBatchFactory,
    SubstituteCoverFactory,
)
from enrollments.models import Enrollment, EnrollmentStatus, EnrollmentType
from enrollments.tests.factories import EnrollmentFactory

__all__ = [
    "TEST_PASSWORD",
    "AdminFactory",
    "BatchFactory",
    "BatchTrainerFactory",
    "CourseFactory",
    "CourseTrainerFactory",
    "EnrollmentFactory",
    "IndividualAssignmentFactory",
    "InstructorFactory",
    "MentoringSessionFactory",
    "ScheduleSlotFactory",
    "StaffedBatchFactory",
    "StudentFactory",
    "SubstituteCoverFactory",
    "UserFactory",
    "build_batch",
    "csv_text",
    "module_transaction",
    "reread",
    "slot",
]


def slot(day: int, start: str, end: str) -> Slot:
    """A weekly slot: ``slot(Weekday.MONDAY, "10:00", "12:00")``."""
    return Slot(
        day=day, start_time=dt.time.fromisoformat(start), end_time=dt.time.fromisoformat(end)
    )


def _next_batch_code(course, start_date: dt.date) -> str:
    """The code ``batch_create`` would give: ``<course code>-<YYYY>-<MM>-<NN>``."""
    prefix = f"{course.code}-{start_date:%Y-%m}-"
    taken = Batch.objects.filter(batch_code__startswith=prefix).count()
    return f"{prefix}{taken + 1:02d}"


def build_batch(
    *,
    course,
    instructor,
    created_by,
    schedule=(),
    enrolled: int = 0,
    batch_code: str = "",
    **fields,
) -> Batch:
    """What ``allocation.services.batch_create`` stores, made with factories and no checks:
    the batch, its weekly slots, its dated sessions and the instructor's bookings for them,
    the instructor's roster entry on the course (assistant, 0%, when missing) and primary
    BatchTrainer row; ``enrolled`` active enrollments of new students, with the seat counter
    equal to them."""
    batch = StaffedBatchFactory(
        course=course,
        assigned_instructor=instructor,
        created_by=created_by,
        batch_code=batch_code or _next_batch_code(course, fields.get("start_date")),
        **fields,
    )
    ScheduleSlot.objects.bulk_create(
        ScheduleSlot(batch=batch, day=s.day, start_time=s.start_time, end_time=s.end_time)
        for s in schedule
    )
    batch_sessions_regenerate(batch=batch)
    CourseTrainer.objects.get_or_create(
        course=course, trainer=instructor, defaults={"role": RosterRole.ASSISTANT}
    )
    if enrolled:
        students = User.objects.bulk_create(StudentFactory.build_batch(enrolled))
        Enrollment.objects.bulk_create(
            Enrollment(
                student=s,
                course=course,
                batch=batch,
                enrollment_type=EnrollmentType.BATCH,
                status=EnrollmentStatus.ACTIVE,
            )
            for s in students
        )
        Batch.objects.filter(pk=batch.pk).update(enrolled_students=enrolled)
        batch.refresh_from_db()
    return batch


BATCH_DEFAULTS = {
    "batch_name": "Morning group",
    "start_date": dt.date(2027, 1, 4),
    "end_date": dt.date(2027, 3, 26),
    "capacity": 10,
    "status": BatchStatus.UPCOMING,
}


@contextmanager
def module_transaction(django_db_blocker):
    """For a module-scoped fixture that builds data once for all of a module's tests: the
    data is written inside a transaction rolled back when the module is done. Each test then
    runs in its own savepoint inside it (pytest-django's ``db``), so what one test writes is
    undone before the next. Not for ``transaction=True`` tests (they commit and flush)."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def reread(namespace):
    """Reads every model instance of ``namespace`` (and of its ``users`` dict) again from the
    database, so that a test that changed one in memory does not hand the change on."""
    values = list(vars(namespace).values()) + list(getattr(namespace, "users", {}).values())
    for value in values:
        if isinstance(value, Model):
            value.refresh_from_db()
    return namespace


def csv_text(response) -> str:
    """A CSV download's text. It must start with a UTF-8 byte-order mark, without which Excel
    reads the file in the machine's legacy code page (core.web.csv_response)."""
    assert response.content.startswith(codecs.BOM_UTF8), response.content[:20]
    return response.content.decode("utf-8-sig")
