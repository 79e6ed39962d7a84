"""The calendar in a real browser: the admin finds a batch's calendar from its page (month
and week); at phone width (390 px) the student reads their next sessions in their own zone
above the timetable, and the instructor their week, with no page wider than the screen.

The sessions are made by hand around today (``calendar_world.make_session``), so the pages
show them whenever the test runs. Screenshots: batch-calendar.png, and at 390 px
student-next-sessions-phone.png, instructor-this-week-phone.png, batch-calendar-phone.png.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import TEST_PASSWORD
from allocation.models import BatchTrainer, SessionCover, SessionStatus, SubstituteCover
from allocation.tests.calendar_world import make_session
from tests.support import (
    AdminFactory,
    CourseFactory,
    InstructorFactory,
    StudentFactory,
    build_batch,
)

sync_api = pytest.importorskip("playwright.sync_api", reason="pip install -r requirements-dev.txt")
Page = sync_api.Page
expect = sync_api.expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture
def cal(db):
    """A Europe/Berlin batch with a class at 18:00 Berlin time on the next four days from
    tomorrow, one cancelled, one covered; a student in New York, the primary in Berlin."""
    admin = AdminFactory(full_name="Ada Admin", email="ada@medh.test", time_zone="Europe/Berlin")
    primary = InstructorFactory(
        full_name="Ingrid Primary", email="ingrid@medh.test", time_zone="Europe/Berlin"
    )
    assistant = InstructorFactory(full_name="Anton Assistant", email="anton@medh.test")
    substitute = InstructorFactory(full_name="Sofia Substitute", email="sofia@medh.test")
    student = StudentFactory(
        full_name="Nora NewYork", email="nora@medh.test", time_zone="America/New_York"
    )
    today = timezone.localdate()
    batch = build_batch(
        course=CourseFactory(code="GER-A1", title="German A1"),
        instructor=primary,
        created_by=admin,
        batch_code="GER-EVE",
        batch_name="Evening group",
        start_date=today - dt.timedelta(days=30),
        end_date=today + dt.timedelta(days=60),
        status="Active",
        time_zone="Europe/Berlin",
    )
    BatchTrainer.objects.create(batch=batch, trainer=assistant, role="assistant")
    from enrollments.models import Enrollment

    Enrollment.objects.create(
        student=student, course=batch.course, batch=batch, enrollment_type="batch"
    )
    both = [(primary, "primary"), (assistant, "assistant")]
    regular = {"kind": "regular", "slot_start": dt.time(18), "slot_end": dt.time(19, 30)}
    sessions = [
        make_session(batch, today + dt.timedelta(days=n), teachers=both, **regular)
        for n in (1, 2, 4)
    ]
    make_session(
        batch,
        today + dt.timedelta(days=3),
        teachers=both,
        status=SessionStatus.CANCELLED,
        reason="Trainer ill",
        **regular,
    )
    covered = make_session(
        batch,
        today + dt.timedelta(days=5),
        teachers=[(substitute, "cover"), (assistant, "assistant")],
        **regular,
    )
    cover = SubstituteCover.objects.create(
        batch=batch,
        absent_trainer=primary,
        substitute=substitute,
        start_date=covered.local_date,
        end_date=covered.local_date,
        assigned_by=admin,
    )
    SessionCover.objects.create(
        cover=cover, session=covered, absent_trainer=primary, substitute=substitute
    )
    return type(
        "Cal",
        (),
        {
            "admin": admin,
            "primary": primary,
            "student": student,
            "batch": batch,
            "sessions": sessions,
            "today": today,
        },
    )


def log_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}{reverse('login')}")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log in")).to_have_count(0)


def log_out(page: Page, base: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}{reverse('login')}")


def assert_fits(page: Page) -> None:
    """The page body is no wider than the screen (no horizontal scrolling)."""
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{page.url} is {overflow}px wider than the screen"


def test_calendar_pages_on_desktop_and_phone(live_server, page: Page, cal, screenshot):
    base = live_server.url

    # The admin finds the calendar from the batch page: this month, every session.
    page.set_viewport_size(DESKTOP)
    log_in(page, base, "ada@medh.test")
    page.goto(f"{base}{reverse('console:batch_detail', args=[cal.batch.pk])}")
    page.get_by_test_id("batch-calendar-link").click()
    expect(page.get_by_role("heading", name="Calendar · Evening group")).to_be_visible()
    month = page.get_by_test_id("month-grid")
    # The sessions fall in this month or the next: open the month of the first one.
    first = cal.sessions[0]
    page.goto(
        f"{base}{reverse('console:batch_calendar', args=[cal.batch.pk])}"
        f"?view=month&date={first.local_date:%Y-%m-%d}"
    )
    expect(month.get_by_test_id(f"entry-{first.pk}")).to_be_visible()
    expect(month.get_by_test_id(f"entry-{first.pk}")).to_contain_text("18:00")
    expect(page.get_by_test_id("zone-note")).to_contain_text("Europe/Berlin")
    screenshot(page, "batch-calendar")
    # The week view, then a session's page from it.
    page.get_by_role("link", name="Week", exact=True).click()
    expect(page.get_by_test_id("week-days")).to_be_visible()
    page.goto(f"{base}{reverse('console:session_detail', args=[first.pk])}")
    expect(page.get_by_test_id("session-when")).to_contain_text("18:00–19:30 CE")
    expect(page.get_by_role("button", name="Move the session")).to_be_visible()

    # The same calendar on a phone: a list of days, no sideways scrolling.
    page.set_viewport_size(PHONE)
    page.goto(
        f"{base}{reverse('console:batch_calendar', args=[cal.batch.pk])}"
        f"?view=month&date={first.local_date:%Y-%m-%d}"
    )
    expect(page.get_by_test_id("month-grid")).to_be_hidden()
    expect(page.get_by_test_id(f"session-{first.pk}")).to_be_visible()
    assert_fits(page)
    screenshot(page, "batch-calendar-phone")
    for name in ("console:holiday_list",):
        page.goto(f"{base}{reverse(name)}")
        assert_fits(page)
    page.goto(f"{base}{reverse('console:session_detail', args=[first.pk])}")
    assert_fits(page)
    log_out(page, base)

    # The student in New York, on a phone: next sessions above the timetable, in their zone.
    log_in(page, base, "nora@medh.test")
    page.goto(f"{base}{reverse('student:schedule')}")
    upcoming = page.get_by_test_id("next-sessions")
    expect(upcoming).to_be_visible()
    expect(upcoming).to_contain_text("America/New_York")
    # 18:00 in Berlin is 12:00 in New York (13:00 in the weeks when only one side has
    # moved its clocks).
    in_new_york = first.start_at.astimezone(ZoneInfo("America/New_York"))
    assert in_new_york.hour in (12, 13)
    expect(upcoming.get_by_test_id(f"next-session-{first.pk}")).to_contain_text(
        f"{in_new_york:%H:%M}–"
    )
    expect(upcoming).to_contain_text("Trainer ill")
    expect(upcoming).to_contain_text("Sofia Substitute covers for Ingrid Primary")
    box_next = upcoming.bounding_box()
    box_timetable = page.get_by_text("Weekly timetable", exact=True).bounding_box()
    assert box_next["y"] < box_timetable["y"]
    assert_fits(page)
    screenshot(page, "student-next-sessions-phone")
    # The profile page, where the zone is picked.
    page.goto(f"{base}{reverse('profile')}")
    expect(page.get_by_label("Time zone")).to_have_value("America/New_York")
    assert_fits(page)
    log_out(page, base)

    # The primary in Berlin, on a phone: this week, in order, the covered one marked.
    log_in(page, base, "ingrid@medh.test")
    page.goto(f"{base}{reverse('instructor:dashboard')}")
    page.get_by_test_id("this-week-link").click()
    expect(page.get_by_role("heading", name="This week", exact=True)).to_be_visible()
    page.goto(f"{base}{reverse('instructor:this_week')}?date={first.local_date:%Y-%m-%d}")
    expect(page.get_by_test_id(f"session-{first.pk}")).to_contain_text("18:00–19:30 CE")
    assert_fits(page)
    screenshot(page, "instructor-this-week-phone")
