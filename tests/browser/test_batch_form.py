"""The batch form's live conflict check in a real browser: quiet while the dates are reversed.

The check asks the server about the instructor's clashes whenever a field changes. With the end
date before the start date that question is a 400 ("end_date is before start_date"), which the
browser logs as a console error; the form asks nothing until the dates make sense, then warns
as usual. ``conftest.page`` fails the test on any console error or 4xx response.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from accounts.tests.factories import AdminFactory, InstructorFactory
from allocation import services as allocation_services
from allocation.models import Weekday
from allocation.services import Slot
from allocation.tests.factories import CourseFactory
from core import dates
from tests.browser.test_walkthrough import log_in

sync_api = pytest.importorskip("playwright.sync_api", reason="pip install -r requirements-dev.txt")
expect = sync_api.expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

START = dates.today() - dt.timedelta(days=7)
END = dates.today() + dt.timedelta(days=84)


def test_reversed_dates_ask_nothing_and_show_no_warning(live_server, page):
    admin = AdminFactory(full_name="Ada Admin", email="ada@medh.test")
    busy = InstructorFactory(full_name="Xenia Busy", email="xenia@medh.test")
    course = CourseFactory(code="GER-A1", title="German A1")
    allocation_services.batch_create(
        course=course,
        batch_name="Morning German",
        batch_code="CLASH-1",
        start_date=START,
        end_date=END,
        capacity=10,
        assigned_instructor=busy,
        created_by=admin,
        status="Active",
        schedule=[Slot(day=Weekday.MONDAY, start_time=dt.time(10), end_time=dt.time(12))],
    )
    base = live_server.url
    asked = []
    conflicts_path = reverse("console:batch_conflicts")
    page.on(
        "request",
        lambda request: asked.append(request.url) if conflicts_path in request.url else None,
    )

    log_in(page, base, admin.email)
    page.goto(f"{base}{reverse('console:batch_create')}")
    page.select_option("#id_course", str(course.pk))
    page.select_option("#id_status", "Active")
    page.fill("#id_start_date", END.isoformat())  # reversed: the end comes before the start
    page.fill("#id_end_date", START.isoformat())
    page.select_option("#id_assigned_instructor", str(busy.pk))
    page.fill("#id_slots-0-start_time", "11:00")
    page.fill("#id_slots-0-end_time", "13:00")
    page.select_option("#id_slots-0-day", str(Weekday.MONDAY))
    warning = page.locator("#conflict-warning")
    page.wait_for_load_state("networkidle")
    expect(warning).to_be_hidden()
    assert asked == []

    # Put right, the dates make sense and the clash is reported.
    page.fill("#id_start_date", START.isoformat())
    page.fill("#id_end_date", END.isoformat())
    page.locator("#id_end_date").dispatch_event("change")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("CLASH-1")
    assert asked


def test_an_alternative_fills_the_form_in_one_click_and_saves(live_server, page):
    admin = AdminFactory(full_name="Ada Admin", email="ada@medh.test")
    busy = InstructorFactory(full_name="Xenia Busy", email="xenia@medh.test")
    course = CourseFactory(code="GER-A1", title="German A1")
    allocation_services.batch_create(
        course=course,
        batch_name="Morning German",
        batch_code="CLASH-1",
        start_date=START,
        end_date=END,
        capacity=10,
        assigned_instructor=busy,
        created_by=admin,
        status="Active",
        schedule=[Slot(day=Weekday.MONDAY, start_time=dt.time(10), end_time=dt.time(12))],
    )
    base = live_server.url

    log_in(page, base, admin.email)
    page.goto(f"{base}{reverse('console:batch_create')}")
    page.fill("#id_batch_name", "Second German")
    page.select_option("#id_course", str(course.pk))
    page.select_option("#id_status", "Active")
    page.fill("#id_start_date", START.isoformat())
    page.fill("#id_end_date", END.isoformat())
    page.fill("#id_capacity", "10")
    page.select_option("#id_assigned_instructor", str(busy.pk))
    page.fill("#id_slots-0-start_time", "10:00")
    page.fill("#id_slots-0-end_time", "12:00")
    page.select_option("#id_slots-0-day", str(Weekday.MONDAY))
    warning = page.locator("#conflict-warning")
    expect(warning).to_be_visible()
    offer = page.locator("[data-alternative-list] button").first
    expect(offer).to_have_text("Monday 08:00–10:00")

    offer.click()

    expect(page.locator("#id_slots-0-start_time")).to_have_value("08:00")
    expect(page.locator("#id_slots-0-end_time")).to_have_value("10:00")
    expect(warning).to_be_hidden()
    page.locator("#batch-form button[type=submit]").first.click()
    page.wait_for_load_state("networkidle")
    from allocation.models import Batch

    saved = Batch.objects.get(batch_name="Second German")
    assert [(s.day, s.start_time) for s in saved.schedule.all()] == [(0, dt.time(8))]
