"""1:1 mentoring through the API: a mentor's free slots in the caller's zone, booking,
moving and cancelling, with bad input as 400s in the envelope."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from allocation.models import MentorBooking, MentorBookingStatus
from allocation.selectors.mentor_slots import mentor_slots
from allocation.tests.mentoring_world import build_mentoring

from .conftest import assert_failure, assert_success, bearer_client

pytestmark = pytest.mark.django_db
EVERY_DAY = tuple((day, (17, 0), (19, 0)) for day in range(7))


@pytest.fixture
def w():
    return build_mentoring(windows=EVERY_DAY)


def free(w):
    now = timezone.now()
    return mentor_slots(w.mentor, start=now, end=now + dt.timedelta(days=8))


def slots_url(w) -> str:
    return f"/api/mentors/{w.mentor.pk}/slots"


def test_the_mentee_sees_the_slots_on_their_own_clock(w):
    now = timezone.now()
    response = bearer_client(w.mentee).get(
        slots_url(w),
        {"from": now.isoformat(), "to": (now + dt.timedelta(days=8)).isoformat()},
    )
    body = assert_success(response)
    data = body["data"]
    assert data["viewer_time_zone"] == "Europe/Berlin"
    assert data["mentor_time_zone"] == "Asia/Kolkata"
    assert data["slot_minutes"] == 60
    expected = free(w)
    assert len(data["slots"]) == len(expected) > 10
    first = dt.datetime.fromisoformat(data["slots"][0]["start"])
    assert first == expected[0].start_at
    # 17:00 Kolkata read in Berlin: 12:30 in winter, 13:30 in summer.
    assert data["slots"][0]["start"][11:16] in {"12:30", "13:30"}


@pytest.mark.parametrize(
    "params, message",
    [
        ({"from": "tomorrow"}, "ISO 8601"),
        ({"from": "2027-03-22T10:00:00"}, "UTC offset"),
        ({"from": "2027-03-22T10:00:00Z", "to": "2027-03-21T10:00:00Z"}, "after from"),
        ({"from": "2027-01-01T00:00:00Z", "to": "2027-06-01T00:00:00Z"}, "at most 56 days"),
    ],
)
def test_bad_windows_are_400(w, params, message):
    body = assert_failure(bearer_client(w.mentee).get(slots_url(w), params), 400)
    assert message in str(body), body


def test_slots_of_someone_not_an_instructor_are_404(w):
    assert_failure(bearer_client(w.admin).get(f"/api/mentors/{w.mentee.pk}/slots"), 404)


def test_book_move_and_cancel(w):
    slots = free(w)
    client = bearer_client(w.mentee)
    response = client.post(
        "/api/mentoring/bookings", {"start": slots[2].start_at.isoformat()}, format="json"
    )
    body = assert_success(response, 201)
    booking_id = body["data"]["_id"]
    assert body["data"]["mentor"]["id"] == w.mentor.pk
    assert body["data"]["status"] == "booked"
    # The slot is gone from the list.
    listed = assert_success(client.get(slots_url(w)))["data"]["slots"]
    starts = {dt.datetime.fromisoformat(s["start"]) for s in listed}
    assert slots[2].start_at not in starts

    # Another mentee cannot take it; a time that is not a slot is refused.
    taken = bearer_client(w.other).post(
        "/api/mentoring/bookings", {"start": slots[2].start_at.isoformat()}, format="json"
    )
    assert assert_failure(taken, 400)["message"] == "This slot is already booked"
    odd = slots[3].start_at + dt.timedelta(minutes=7)
    refused = client.post("/api/mentoring/bookings", {"start": odd.isoformat()}, format="json")
    assert "free slots" in assert_failure(refused, 400)["message"]

    moved = bearer_client(w.mentor).put(
        f"/api/mentoring/bookings/{booking_id}",
        {"start": slots[4].start_at.isoformat(), "reason": "Clash"},
        format="json",
    )
    assert dt.datetime.fromisoformat(assert_success(moved)["data"]["start"]) == slots[4].start_at

    cancelled = client.delete(
        f"/api/mentoring/bookings/{booking_id}", {"reason": "Ill"}, format="json"
    )
    assert assert_success(cancelled)["data"]["status"] == "cancelled"
    assert MentorBooking.objects.get(pk=booking_id).status == MentorBookingStatus.CANCELLED


def test_outsiders_get_403_and_bad_bodies_400(w):
    slot = free(w)[0]
    outsider = bearer_client(w.outsider)
    assert_failure(outsider.get(slots_url(w)), 403)
    assert_failure(
        outsider.post(
            "/api/mentoring/bookings",
            {"start": slot.start_at.isoformat(), "student_id": w.mentee.pk},
            format="json",
        ),
        403,
    )
    booking = MentorBooking.objects.create(
        assignment=w.assignment,
        mentor=w.mentor,
        mentee=w.mentee,
        start_at=slot.start_at,
        end_at=slot.end_at,
    )
    assert_failure(outsider.delete(f"/api/mentoring/bookings/{booking.pk}"), 403)
    client = bearer_client(w.mentee)
    assert_failure(client.post("/api/mentoring/bookings", {}, format="json"), 400)
    assert_failure(
        client.put(f"/api/mentoring/bookings/{booking.pk}", {"start": 5}, format="json"), 400
    )
    assert_failure(client.delete("/api/mentoring/bookings/999999"), 404)


def test_late_cancel_is_refused_with_the_notice_message(w, settings):
    settings.MENTORING_NOTICE_HOURS = 24 * 30
    slot = free(w)[0]
    booking = MentorBooking.objects.create(
        assignment=w.assignment,
        mentor=w.mentor,
        mentee=w.mentee,
        start_at=slot.start_at,
        end_at=slot.end_at,
    )
    late = bearer_client(w.mentee).delete(f"/api/mentoring/bookings/{booking.pk}")
    assert "ask an admin" in assert_failure(late, 400)["message"]
    assert_success(bearer_client(w.admin).delete(f"/api/mentoring/bookings/{booking.pk}"))
