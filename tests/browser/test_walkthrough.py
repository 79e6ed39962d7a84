"""A day with the app in a real browser: the admin sets up a batch, its instructor and its
students; the instructor finds it and logs a mentoring session; a student sees the timetable
and downloads the calendar feed.

One test, in the order a real day goes, against ``live_server`` (a real HTTP server on a
thread, with the vendored static files served by whitenoise from the finders). Every page it
opens must load without a JavaScript error or a 4xx/5xx response (see ``conftest.page``).
"""

from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace

import pytest
from django.urls import reverse
from icalendar import Calendar

from accounts.context_processors import reverse_or_none
from accounts.tests.factories import (
    TEST_PASSWORD,
    AdminFactory,
    InstructorFactory,
    StudentFactory,
)
from allocation import services as allocation_services
from allocation.models import Batch, IndividualAssignment, Weekday
from allocation.services import Slot
from allocation.tests.factories import CourseFactory
from core import dates

# requirements-dev.txt pins playwright; without it (a bare install) the module skips.
sync_api = pytest.importorskip("playwright.sync_api", reason="pip install -r requirements-dev.txt")
Page = sync_api.Page
expect = sync_api.expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TODAY = dates.today()
START = TODAY - dt.timedelta(days=7)
END = TODAY + dt.timedelta(days=84)
NEW_CODE = "GER-EVE-1"


@pytest.fixture
def cast(db):
    """The people of the day. Instructor Xenia already teaches CLASH-1 on Mondays 10–12;
    instructor Yusuf mentors the first student; three students, for a batch of two seats."""
    admin = AdminFactory(full_name="Ada Admin", email="ada@medh.test")
    xenia = InstructorFactory(full_name="Xenia Busy", email="xenia@medh.test")
    yusuf = InstructorFactory(full_name="Yusuf Free", email="yusuf@medh.test")
    students = [
        StudentFactory(full_name=f"{name} Student", email=f"{name.lower()}@medh.test")
        for name in ("Ana", "Ben", "Cleo")
    ]
    course = CourseFactory(code="GER-A1", title="German A1")
    allocation_services.batch_create(
        course=course,
        batch_name="Morning German",
        batch_code="CLASH-1",
        start_date=START,
        end_date=END,
        capacity=10,
        assigned_instructor=xenia,
        created_by=admin,
        status="Active",
        schedule=[Slot(day=Weekday.MONDAY, start_time=dt.time(10, 0), end_time=dt.time(12, 0))],
    )
    allocation_services.individual_assign(student=students[0], instructor=yusuf, assigned_by=admin)
    return SimpleNamespace(admin=admin, xenia=xenia, yusuf=yusuf, students=students, course=course)


def log_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}{reverse('login')}")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log in")).to_have_count(0)


def log_out(page: Page) -> None:
    # The user menu is a Bootstrap dropdown: clicking it proves the vendored JS runs.
    page.locator("#main-nav .dropdown-toggle").last.click()
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_text("You have been logged out.")).to_be_visible()


def create_batch_on_console(page: Page, base: str, cast, screenshot) -> None:
    """The console's batch form: a clashing slot shows the live warning naming CLASH-1;
    moving it to Wednesday clears the warning; saving lands on the batch page."""
    page.goto(f"{base}{reverse('console:batch_create')}")
    page.select_option("#id_course", str(cast.course.pk))
    page.fill("#id_batch_name", "Evening German")
    page.fill("#id_batch_code", NEW_CODE)
    page.select_option("#id_status", "Active")
    page.fill("#id_start_date", START.isoformat())
    page.fill("#id_end_date", END.isoformat())
    page.fill("#id_capacity", "2")
    page.select_option("#id_assigned_instructor", str(cast.xenia.pk))
    page.fill("#id_slots-0-start_time", "11:00")
    page.fill("#id_slots-0-end_time", "13:00")
    page.select_option("#id_slots-0-day", str(Weekday.MONDAY))
    warning = page.locator("#conflict-warning")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("CLASH-1")
    screenshot(page, "batch-create-conflict")
    page.select_option("#id_slots-0-day", str(Weekday.WEDNESDAY))
    expect(warning).to_be_hidden()
    page.get_by_role("button", name="Create batch").click()
    expect(page.get_by_text(f"Batch {NEW_CODE} created")).to_be_visible()


def create_batch_in_django_admin(page: Page, base: str, cast) -> None:
    """Where the console has no batch form: the Django admin's add page, with its inline
    schedule rows."""
    page.goto(f"{base}{reverse('admin:allocation_batch_add')}")
    page.fill("#id_batch_name", "Evening German")
    page.fill("#id_batch_code", NEW_CODE)
    page.select_option("#id_course", str(cast.course.pk))
    page.select_option("#id_status", "Active")
    page.fill("#id_start_date", START.isoformat())
    page.fill("#id_end_date", END.isoformat())
    page.fill("#id_capacity", "2")
    page.select_option("#id_assigned_instructor", str(cast.xenia.pk))
    page.select_option("#id_schedule-0-day", str(Weekday.WEDNESDAY))
    page.fill("#id_schedule-0-start_time", "11:00")
    page.fill("#id_schedule-0-end_time", "13:00")
    page.locator("input[name=_save]").click()
    expect(page.locator(".messagelist .success")).to_be_visible()


def test_a_day_with_the_app(live_server, page: Page, cast, screenshot):
    base = live_server.url

    # --- the admin ------------------------------------------------------------------------------
    log_in(page, base, cast.admin.email)
    expect(page).to_have_url(f"{base}{reverse('console:dashboard')}")
    # The vendored Bootstrap CSS is served and applied: the navbar is dark, not unstyled.
    css = page.request.get(f"{base}/static/vendor/bootstrap/bootstrap.min.css")
    assert css.ok and "navbar" in css.text()
    navbar_background = page.locator("nav.navbar").evaluate(
        "element => getComputedStyle(element).backgroundColor"
    )
    assert navbar_background not in ("rgba(0, 0, 0, 0)", "transparent")
    expect(page.get_by_role("cell", name="Xenia Busy")).to_be_visible()
    screenshot(page, "console-dashboard")

    if reverse_or_none("console:batch_create"):
        create_batch_on_console(page, base, cast, screenshot)
    else:
        create_batch_in_django_admin(page, base, cast)
    batch = Batch.objects.get(batch_code=NEW_CODE)

    page.goto(f"{base}{reverse('console:batch_list')}")
    expect(page.get_by_text(NEW_CODE)).to_be_visible()
    screenshot(page, "batch-list")

    # Hand the batch from Xenia to Yusuf on its assign-instructor page.
    page.goto(f"{base}{reverse('console:batch_assign_instructor', args=[batch.pk])}")
    expect(page.get_by_role("cell", name=re.compile("Yusuf Free"))).to_be_visible()
    screenshot(page, "assign-instructor")
    page.select_option("#id_instructor", str(cast.yusuf.pk))
    page.get_by_role("button", name="Assign", exact=True).first.click()
    expect(page.get_by_text(f"Yusuf Free is now the instructor of {NEW_CODE}.")).to_be_visible()
    expect(page).to_have_url(f"{base}{reverse('console:batch_detail', args=[batch.pk])}")

    # Enroll students until the two seats are taken; the third is refused.
    def enroll(student) -> None:
        page.goto(f"{base}{reverse('enroll:create')}")
        page.fill("#id_student", student.email)
        page.select_option("#id_course", str(cast.course.pk))
        page.select_option("#id_batch", str(batch.pk))
        page.get_by_role("button", name=re.compile("Enroll")).click()

    for student in cast.students[:2]:
        enroll(student)
        expect(page.get_by_text(f"is enrolled in GER-A1, batch {NEW_CODE}")).to_be_visible()
    enroll(cast.students[2])
    expect(page.get_by_text("Batch has reached maximum capacity")).to_be_visible()
    screenshot(page, "enrollment-capacity-error")

    page.goto(f"{base}{reverse('console:batch_detail', args=[batch.pk])}")
    expect(page.get_by_text("Ana Student").first).to_be_visible()
    expect(page.get_by_text("Ben Student").first).to_be_visible()
    expect(page.get_by_text("Cleo Student")).to_have_count(0)
    screenshot(page, "batch-detail")

    page.goto(f"{base}{reverse('console:course_staffing', args=[cast.course.pk])}")
    expect(page.get_by_role("link", name=NEW_CODE)).to_be_visible()
    # The screenshot of a staffing map is test_layout's: the demo's 13-trainer course.
    log_out(page)

    # --- the instructor -----------------------------------------------------------------------
    log_in(page, base, cast.yusuf.email)
    expect(page).to_have_url(f"{base}{reverse('instructor:dashboard')}")
    expect(page.get_by_text(NEW_CODE).first).to_be_visible()
    screenshot(page, "instructor-dashboard")

    page.goto(f"{base}{reverse('instructor:mentees')}")
    page.get_by_role("link", name="Log session").click()
    assignment = IndividualAssignment.objects.get(student=cast.students[0])
    expect(page).to_have_url(f"{base}{reverse('instructor:session_log', args=[assignment.pk])}")
    page.get_by_label("Notes").fill("Went through the dative case.")
    page.get_by_role("button", name=re.compile("Log|Save")).click()
    expect(page.get_by_text("Session with Ana Student logged.")).to_be_visible()
    mentee_row = page.get_by_role("row", name=re.compile("Ana Student"))
    expect(mentee_row).to_contain_text(TODAY.isoformat())
    assert assignment.sessions.count() == 1
    screenshot(page, "instructor-mentees")
    log_out(page)

    # --- the student --------------------------------------------------------------------------
    log_in(page, base, cast.students[0].email)
    expect(page).to_have_url(f"{base}{reverse('student:schedule')}")
    # Wednesday (day 2) at 11:00 and 12:00 holds the batch; Monday holds nothing.
    for hour in (11, 12):
        cell = page.locator(f'#timetable td[data-day="{Weekday.WEDNESDAY}"][data-hour="{hour}"]')
        expect(cell).to_contain_text(NEW_CODE)
    monday = page.locator(f'#timetable td[data-day="{Weekday.MONDAY}"]', has_text=NEW_CODE)
    expect(monday).to_have_count(0)
    screenshot(page, "student-schedule")

    feed = page.request.get(page.locator("#feed-url").input_value())
    assert feed.ok
    assert feed.headers["content-type"].startswith("text/calendar")
    events = Calendar.from_ical(feed.body()).walk("VEVENT")
    assert events, "the feed has no events"
    assert any(NEW_CODE in str(event.get("summary")) for event in events), [
        str(event.get("summary")) for event in events
    ]
    # One event per dated session of the batch: every one on a Wednesday at 11:00 in the
    # batch's zone.
    sessions = [event for event in events if NEW_CODE in str(event.get("summary"))]
    starts = [event.decoded("dtstart") for event in sessions]
    assert len(sessions) > 1
    assert {(start.weekday(), start.hour) for start in starts} == {(Weekday.WEDNESDAY, 11)}
