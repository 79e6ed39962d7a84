"""The mentoring report counts each assignment's 1:1 bookings: booked against held."""

from __future__ import annotations

import datetime as dt

import pytest

from allocation.models import MentorBooking, MentorBookingStatus
from allocation.services import mentoring_session_log
from allocation.tests.mentoring_world import build_mentoring
from reports.tables import mentoring_table

pytestmark = pytest.mark.django_db


def test_the_mentoring_table_has_booked_and_held_columns():
    w = build_mentoring()
    start = dt.datetime(2026, 2, 2, 11, 30, tzinfo=dt.UTC)
    people = {"assignment": w.assignment, "mentor": w.mentor, "mentee": w.mentee}
    held = MentorBooking.objects.create(
        **people, start_at=start, end_at=start + dt.timedelta(hours=1)
    )
    later = start + dt.timedelta(days=7)
    MentorBooking.objects.create(**people, start_at=later, end_at=later + dt.timedelta(hours=1))
    mentoring_session_log(
        assignment=w.assignment,
        logged_by=w.mentor,
        session_date=dt.date(2026, 2, 2),
        duration_minutes=60,
        booking=held,
    )
    assert MentorBooking.objects.filter(status=MentorBookingStatus.HELD).count() == 1

    table = mentoring_table(instructor=w.mentor)
    rows = {row[1]: row for row in table.rows}
    booked, held_col = table.header.index("Booked"), table.header.index("Held")
    assert (rows["Bea Berlin"][booked], rows["Bea Berlin"][held_col]) == (2, 1)
    assert (rows["Otto Other"][booked], rows["Otto Other"][held_col]) == (0, 0)
