"""1:1 bookings under real concurrency, on PostgreSQL: two mentees racing for one slot get
exactly one booking, and the exclusion constraint refuses overlapping active bookings of one
mentor written around the service.

Real threads with their own connections (``transaction=True``); SQLite has no row locks and
no exclusion constraints, so these are skipped there and CI runs them on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from allocation.models import MentorBooking, MentorBookingStatus
from allocation.services.mentor_bookings import (
    MSG_SLOT_TAKEN,
    mentor_booking_create,
    mentor_booking_move,
    mentoring_reminders_send,
)
from allocation.tests.mentoring_world import MONDAY_1, NOW, build_mentoring, kolkata
from core.testing import race
from notifications.models import Notification

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_mentees_booking_one_slot_at_once_get_one_booking():
    w = build_mentoring()
    start = kolkata(MONDAY_1, 17)
    outcomes = race(
        mentor_booking_create,
        [
            {"mentee": w.mentee, "start_at": start, "booked_by": w.mentee, "now": NOW},
            {"mentee": w.other, "start_at": start, "booked_by": w.other, "now": NOW},
        ],
    )
    assert sorted(o.ok for o in outcomes) == [False, True], outcomes
    (refused,) = [o for o in outcomes if not o.ok]
    assert refused.message == MSG_SLOT_TAKEN, refused
    assert MentorBooking.objects.filter(mentor=w.mentor, start_at=start).count() == 1


def test_a_move_and_a_booking_into_one_slot_at_once_give_one():
    w = build_mentoring()
    booking = mentor_booking_create(
        mentee=w.mentee, start_at=kolkata(MONDAY_1, 17), booked_by=w.mentee, now=NOW
    )
    target = kolkata(MONDAY_1, 18)

    def act(kind):
        if kind == "move":
            return mentor_booking_move(booking=booking, start_at=target, moved_by=w.mentee, now=NOW)
        return mentor_booking_create(mentee=w.other, start_at=target, booked_by=w.other, now=NOW)

    outcomes = race(act, [{"kind": "move"}, {"kind": "book"}])
    assert sum(o.ok for o in outcomes) == 1, outcomes
    assert MentorBooking.objects.active().filter(mentor=w.mentor, start_at=target).count() == 1


def test_the_exclusion_constraint_refuses_overlapping_active_bookings():
    w = build_mentoring()
    start = kolkata(MONDAY_1, 17)
    MentorBooking.objects.create(
        assignment=w.assignment,
        mentor=w.mentor,
        mentee=w.mentee,
        start_at=start,
        end_at=start + dt.timedelta(hours=1),
    )
    overlapping = {
        "assignment": w.other_assignment,
        "mentor": w.mentor,
        "mentee": w.other,
        "start_at": start + dt.timedelta(minutes=30),
        "end_at": start + dt.timedelta(minutes=90),
    }
    with pytest.raises(IntegrityError), transaction.atomic():
        MentorBooking.objects.create(**overlapping)
    # A cancelled booking takes no time; back to back is fine (half-open).
    MentorBooking.objects.create(
        **overlapping, status=MentorBookingStatus.CANCELLED, cancelled_at=NOW
    )
    MentorBooking.objects.create(
        **{
            **overlapping,
            "start_at": start + dt.timedelta(hours=1),
            "end_at": start + dt.timedelta(hours=2),
        }
    )


def test_two_reminder_runs_at_once_remind_once():
    w = build_mentoring()
    booking = mentor_booking_create(
        mentee=w.mentee, start_at=kolkata(MONDAY_1, 17), booked_by=w.mentee, now=NOW
    )
    due = booking.start_at - dt.timedelta(hours=1)
    outcomes = race(mentoring_reminders_send, [{"now": due}, {"now": due}])
    assert sorted(o.value for o in outcomes) == [0, 1], outcomes
    assert Notification.objects.filter(event="mentor_booking_reminder").count() == 2
