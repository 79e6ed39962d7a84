"""Taking a roll on a phone (390 px) as the session's trainer: from "This week" to the roll,
"Mark everyone present" (saved at once by the page's script), one tap to mark a student
absent (saved at once), then Save; nothing wider than the screen. Screenshot:
attendance-roll-phone.png."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import TEST_PASSWORD
from allocation.models import ClassSession
from attendance.models import AttendanceMark
from attendance.tests.world import build_world

from .layout import PAGE_OVERFLOW

sync_api = pytest.importorskip("playwright.sync_api", reason="pip install -r requirements-dev.txt")
expect = sync_api.expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_trainer_takes_a_roll_on_a_phone(live_server, open_page, screenshot):
    w = build_world(students=8)
    start = timezone.now() - dt.timedelta(minutes=30)
    ClassSession.objects.filter(pk=w.session.pk).update(
        start_at=start, end_at=start + dt.timedelta(minutes=90), local_date=start.date()
    )
    base = live_server.url
    page = open_page(390, 844)
    page.goto(f"{base}{reverse('login')}")
    page.get_by_label("Email").fill(w.primary.email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log in")).to_have_count(0)

    page.goto(f"{base}{reverse('instructor:this_week')}")
    page.get_by_test_id(f"roll-link-{w.session.pk}").click()
    expect(page.get_by_role("heading", name="Attendance")).to_be_visible()
    assert page.evaluate(PAGE_OVERFLOW) == []

    page.get_by_test_id("all-present").click()
    expect(page.locator("#roll-status")).to_have_text("✓")
    assert AttendanceMark.objects.filter(session=w.session, status="present").count() == 8

    absent = w.students[2]
    page.locator("#roll-status").evaluate("node => node.textContent = ''")
    page.locator(f"label[for=s{absent.pk}-absent]").click()
    expect(page.locator("#roll-status")).to_have_text("✓")
    assert AttendanceMark.objects.get(session=w.session, student=absent).status == "absent"
    page.locator(f"input[name=note_{absent.pk}]").fill("Called in sick")
    screenshot(page, "attendance-roll-phone")

    page.get_by_test_id("roll-save").click()
    expect(page.get_by_text("Attendance saved.")).to_be_visible()
    mark = AttendanceMark.objects.get(session=w.session, student=absent)
    assert (mark.status, mark.note, mark.marked_by) == ("absent", "Called in sick", w.primary)
    assert AttendanceMark.objects.filter(session=w.session).count() == 8
    assert page.evaluate(PAGE_OVERFLOW) == []
