"""A batch with a primary, an assistant, a substitute, a mentor and four students, and
sessions made by hand (``allocation.tests.calendar_world.make_session``)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from allocation.models import BatchTrainer, SessionCover, SubstituteCover
from allocation.tests.calendar_world import WEEK_1, berlin, make_session
from tests.support import AdminFactory, CourseFactory, InstructorFactory, build_batch

__all__ = ["WEEK_1", "berlin", "build_world", "make_session", "session_on"]


def session_on(w, day: dt.date, **fields):
    return make_session(
        w.batch, day, teachers=[(w.primary, "primary"), (w.assistant, "assistant")], **fields
    )


def build_world(students: int = 4) -> SimpleNamespace:
    admin = AdminFactory(full_name="Ada Admin")
    primary = InstructorFactory(full_name="Ingrid Primary")
    assistant = InstructorFactory(full_name="Anton Assistant")
    substitute = InstructorFactory(full_name="Sofia Substitute")
    outsider = InstructorFactory(full_name="Otto Outsider")
    batch = build_batch(
        course=CourseFactory(code="GER-A1", title="German A1"),
        instructor=primary,
        enrolled=students,
        batch_code="GER-EVE",
        start_date=dt.date(2027, 3, 1),
        end_date=dt.date(2027, 6, 28),
        capacity=30,
        status="Active",
        time_zone="Europe/Berlin",
        created_by=admin,
    )
    BatchTrainer.objects.create(batch=batch, trainer=assistant, role="assistant")
    enrollments = list(batch.enrollments.select_related("student").order_by("pk"))
    # Everyone enrolled well before the first session.
    for e in enrollments:
        e.enrollment_date = berlin(dt.date(2026, 1, 5), 9)
        e.save(update_fields=["enrollment_date"])
    w = SimpleNamespace(
        admin=admin,
        primary=primary,
        assistant=assistant,
        substitute=substitute,
        outsider=outsider,
        batch=batch,
        enrollments=enrollments,
        students=[e.student for e in enrollments],
    )
    w.session = session_on(w, WEEK_1)
    return w


def cover(w, session):
    """``w.substitute`` covers ``session`` for the primary, as the cover service stores it."""
    from allocation.models import TrainerBooking

    c = SubstituteCover.objects.create(
        batch=w.batch,
        absent_trainer=w.primary,
        substitute=w.substitute,
        start_date=session.local_date,
        end_date=session.local_date,
        assigned_by=w.admin,
    )
    SessionCover.objects.create(
        cover=c, session=session, absent_trainer=w.primary, substitute=w.substitute
    )
    TrainerBooking.objects.filter(session=session, trainer=w.primary).update(
        trainer=w.substitute, role="cover"
    )
