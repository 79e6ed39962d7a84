"""Booking a 1:1 session in a real browser, at phone width (390 px): the mentee (Berlin)
sees their mentor's (Kolkata) free slots by day on their own clock, books one with a tap and
sees it in their upcoming sessions and on their schedule; the mentor sees it on their clock.
No page is wider than the screen. Screenshots: mentor-booking-phone.png,
mentor-booking-booked-phone.png, mentor-bookings-mentor-phone.png.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from allocation.models import MentorBooking
from allocation.selectors.mentor_slots import mentor_slots
from allocation.tests.mentoring_world import build_mentoring
from tests.browser.test_calendar import PHONE, assert_fits, log_in, log_out

sync_api = pytest.importorskip("playwright.sync_api", reason="pip install -r requirements-dev.txt")
Page = sync_api.Page
expect = sync_api.expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_student_books_a_slot_on_a_phone(live_server, page: Page, screenshot):
    w = build_mentoring(windows=tuple((day, (17, 0), (19, 0)) for day in range(7)))
    base = live_server.url
    now = timezone.now()
    first = mentor_slots(w.mentor, start=now, end=now + dt.timedelta(days=14))[0]
    in_berlin = first.start_at.astimezone(ZoneInfo("Europe/Berlin"))
    in_kolkata = first.start_at.astimezone(ZoneInfo("Asia/Kolkata"))

    page.set_viewport_size(PHONE)
    log_in(page, base, w.mentee.email)
    # From the menu, as a student finds it.
    page.goto(f"{base}{reverse('student:schedule')}")
    page.goto(f"{base}{reverse('mentoring:bookings')}")
    expect(page.get_by_role("heading", name="Book a session with Meera Mentor")).to_be_visible()
    expect(page.get_by_test_id("zone-note")).to_contain_text("Europe/Berlin")
    slot = page.get_by_test_id("slot").first
    expect(slot).to_have_text(f"{in_berlin:%H:%M} {in_berlin.tzname()}")
    assert_fits(page)
    screenshot(page, "mentor-booking-phone")

    slot.click()
    expect(page.get_by_text("Session booked.")).to_be_visible()
    booking = MentorBooking.objects.get(mentee=w.mentee)
    assert booking.start_at == first.start_at
    upcoming = page.get_by_test_id("booking")
    expect(upcoming).to_have_count(1)
    expect(upcoming).to_contain_text(f"{in_berlin:%H:%M}–")
    expect(upcoming).to_contain_text("Meera Mentor")
    # The booked slot is no longer offered.
    expect(page.get_by_test_id("slot").first).not_to_have_text(
        f"{in_berlin:%H:%M} {in_berlin.tzname()}"
    )
    assert_fits(page)
    screenshot(page, "mentor-booking-booked-phone")

    page.goto(f"{base}{reverse('student:schedule')}")
    expect(page.get_by_test_id("upcoming-bookings")).to_contain_text(f"{in_berlin:%H:%M}–")
    assert_fits(page)
    log_out(page, base)

    # The mentor, on their own clock, can move or cancel it.
    log_in(page, base, w.mentor.email)
    page.goto(f"{base}{reverse('instructor:mentees')}")
    page.get_by_test_id("bookings-link").click()
    mine = page.get_by_test_id("booking")
    expect(mine).to_contain_text(f"{in_kolkata:%H:%M}–")
    expect(mine).to_contain_text("Bea Berlin")
    expect(mine.get_by_role("button", name="Cancel")).to_be_visible()
    expect(mine.get_by_role("link", name="Move")).to_be_visible()
    assert_fits(page)
    screenshot(page, "mentor-bookings-mentor-phone")
