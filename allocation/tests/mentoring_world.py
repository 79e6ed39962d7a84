"""A mentor in Kolkata and their mentees in Berlin, for the 1:1 booking tests.

The mentor offers Mondays 17:00–19:00 Kolkata time (no DST: 11:30–13:30 UTC all year), in
60-minute slots. Berlin changes to summer time on 28 March 2027, so the 17:00 Kolkata slot
reads 12:30 CET on 22 March and 13:30 CEST on 29 March.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from tests.support import (
    AdminFactory,
    IndividualAssignmentFactory,
    InstructorFactory,
    StudentFactory,
)
from trainers.models import AvailabilityWindow, TrainerProfile

KOLKATA = ZoneInfo("Asia/Kolkata")
BERLIN = ZoneInfo("Europe/Berlin")
MONDAY_1 = dt.date(2027, 3, 22)  # CET in Berlin
MONDAY_2 = dt.date(2027, 3, 29)  # CEST in Berlin
NOW = dt.datetime(2027, 3, 15, 9, 0, tzinfo=dt.UTC)  # a week before


def kolkata(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=KOLKATA).astimezone(dt.UTC)


def build_mentoring(*, windows=((0, (17, 0), (19, 0)),), minutes: int = 60) -> SimpleNamespace:
    mentor = InstructorFactory(full_name="Meera Mentor", time_zone="Asia/Kolkata")
    TrainerProfile.objects.update_or_create(
        user=mentor, defaults={"mentoring_slot_minutes": minutes}
    )
    for day, start, end in windows:
        AvailabilityWindow.objects.create(
            trainer=mentor, day=day, start_time=dt.time(*start), end_time=dt.time(*end)
        )
    mentee = StudentFactory(full_name="Bea Berlin", time_zone="Europe/Berlin")
    other = StudentFactory(full_name="Otto Other", time_zone="Europe/Berlin")
    return SimpleNamespace(
        mentor=mentor,
        mentee=mentee,
        other=other,
        admin=AdminFactory(),
        outsider=StudentFactory(full_name="Nora Nobody"),
        assignment=IndividualAssignmentFactory(student=mentee, instructor=mentor),
        other_assignment=IndividualAssignmentFactory(student=other, instructor=mentor),
    )
