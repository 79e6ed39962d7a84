"""A small calendar to test the calendar pages and feeds with, made by hand (sessions and
bookings as the session services store them), so a page test does not depend on how
sessions are generated.

A Europe/Berlin batch with classes on Monday 18:00–19:30 Berlin time on 22 March 2027 (CET,
17:00 UTC) and 29 March 2027 (CEST since the 28th, 16:00 UTC). New York is on summer time
from 14 March, so a learner there sees the first at 13:00 and the second at 12:00.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from allocation.models import (
    BatchTrainer,
    ClassSession,
    SessionCover,
    SessionKind,
    SessionStatus,
    SubstituteCover,
    TrainerBooking,
)
from tests.support import (
    AdminFactory,
    CourseFactory,
    InstructorFactory,
    StudentFactory,
    build_batch,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = "America/New_York"
WEEK_1 = dt.date(2027, 3, 22)  # a Monday, CET
WEEK_2 = dt.date(2027, 3, 29)  # a Monday, CEST


def berlin(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=BERLIN).astimezone(dt.UTC)


def make_session(batch, day, start=(18, 0), end=(19, 30), *, teachers=(), **fields):
    """A session of ``batch`` on ``day`` (Berlin wall clock), booked for each (trainer, role)
    of ``teachers`` unless cancelled."""
    session = ClassSession.objects.create(
        batch=batch,
        start_at=berlin(day, *start),
        end_at=berlin(day, *end),
        local_date=day,
        kind=fields.pop("kind", SessionKind.EXTRA),
        **fields,
    )
    if session.status != SessionStatus.CANCELLED:
        for trainer, role in teachers:
            TrainerBooking.objects.create(
                trainer=trainer,
                session=session,
                batch=batch,
                role=role,
                start_at=session.start_at,
                end_at=session.end_at,
            )
    return session


def build_calendar() -> SimpleNamespace:
    """The batch, its people and four sessions: week 1 scheduled and cancelled, week 2 one
    moved there from Tuesday and one covered by the substitute for the primary."""
    admin = AdminFactory(full_name="Ada Admin")
    primary = InstructorFactory(full_name="Ingrid Primary")
    assistant = InstructorFactory(full_name="Anton Assistant")
    substitute = InstructorFactory(full_name="Sofia Substitute")
    batch = build_batch(
        course=CourseFactory(code="GER-A1", title="German A1"),
        instructor=primary,
        enrolled=1,
        batch_name="Evening group",
        batch_code="GER-EVE",
        start_date=dt.date(2027, 3, 1),
        end_date=dt.date(2027, 5, 28),
        capacity=10,
        status="Active",
        time_zone="Europe/Berlin",
        created_by=admin,
    )
    BatchTrainer.objects.create(batch=batch, trainer=assistant, role="assistant")
    student = batch.enrollments.get().student
    both = [(primary, "primary"), (assistant, "assistant")]
    held = make_session(batch, WEEK_1, teachers=both)
    cancelled = make_session(
        batch,
        WEEK_1 + dt.timedelta(days=2),
        teachers=both,
        status=SessionStatus.CANCELLED,
        reason="Trainer ill",
    )
    moved = make_session(
        batch,
        WEEK_2,
        (10, 0),
        (11, 30),
        teachers=both,
        status=SessionStatus.MOVED,
        original_start_at=berlin(WEEK_2 + dt.timedelta(days=1), 18),
        original_end_at=berlin(WEEK_2 + dt.timedelta(days=1), 19, 30),
        reason="Room taken",
    )
    covered = make_session(
        batch, WEEK_2, teachers=[(substitute, "cover"), (assistant, "assistant")], locked=True
    )
    cover = SubstituteCover.objects.create(
        batch=batch,
        absent_trainer=primary,
        substitute=substitute,
        start_date=WEEK_2,
        end_date=WEEK_2,
        assigned_by=admin,
    )
    SessionCover.objects.create(
        cover=cover, session=covered, absent_trainer=primary, substitute=substitute
    )
    return SimpleNamespace(
        admin=admin,
        primary=primary,
        assistant=assistant,
        substitute=substitute,
        student=student,
        batch=batch,
        held=held,
        cancelled=cancelled,
        moved=moved,
        covered=covered,
        outsider=StudentFactory(full_name="Olga Outsider"),
    )
