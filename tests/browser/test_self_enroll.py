"""A student enrolls themselves at phone width (390 px): from *My schedule* to *Find a
course*, an open course's page (its classes in the student's own zone, the seat count, a
batch that clashes with their class named), then Enroll; the page confirms and the seat is
taken. Screenshot: self-enroll-phone.png."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from accounts.tests.factories import TEST_PASSWORD
from allocation.models import Weekday
from enrollments.models import Enrollment
from enrollments.services import enrollment_create
from tests.support import (
    AdminFactory,
    CourseFactory,
    InstructorFactory,
    StudentFactory,
    build_batch,
    slot,
)

sync_api = pytest.importorskip("playwright.sync_api", reason="pip install -r requirements-dev.txt")
expect = sync_api.expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_student_enrolls_themselves_on_a_phone(live_server, open_page, screenshot):
    admin = AdminFactory()
    student = StudentFactory(
        full_name="Nora NewYork", email="nora@medh.test", time_zone="America/New_York"
    )
    # Winter in both zones (Berlin UTC+1, New York UTC-5), whatever day the test runs.
    start = dt.date(2030, 1, 7)
    common = {"created_by": admin, "start_date": start, "end_date": start + dt.timedelta(60)}
    german = CourseFactory(code="GER-A1", title="German A1")
    held = build_batch(
        course=german,
        instructor=InstructorFactory(),
        batch_code="GER-MON",
        schedule=[slot(Weekday.MONDAY, "10:00", "12:00")],
        time_zone="Europe/Berlin",
        **common,
    )
    enrollment_create(student=student, batch=held)
    english = CourseFactory(code="ENG-B2", title="English B2", enrollment_policy="open")
    build_batch(
        course=english,
        instructor=InstructorFactory(),
        batch_code="ENG-CLASH",
        schedule=[slot(Weekday.MONDAY, "11:00", "13:00")],
        time_zone="Europe/Berlin",
        **common,
    )
    evening = build_batch(
        course=english,
        instructor=InstructorFactory(full_name="Edda Evening"),
        batch_code="ENG-TUE",
        schedule=[slot(Weekday.TUESDAY, "18:00", "19:30")],
        time_zone="Europe/Berlin",
        capacity=8,
        **common,
    )

    base = live_server.url
    phone = open_page(390, 844)
    phone.goto(f"{base}{reverse('login')}")
    phone.get_by_label("Email").fill(student.email)
    phone.get_by_label("Password").fill(TEST_PASSWORD)
    phone.get_by_role("button", name="Log in").click()
    expect(phone.get_by_role("button", name="Log in")).to_have_count(0)

    phone.goto(f"{base}{reverse('student:schedule')}")
    phone.get_by_role("link", name="Find a course, join a waitlist or ask for a transfer").click()
    phone.get_by_role("link", name="English B2").click()
    offer = phone.locator(f"#batch-{evening.pk}")
    # 18:00 in Berlin is 12:00 in New York.
    expect(offer).to_contain_text("Tuesday 12:00–13:30")
    expect(offer).to_contain_text("8 seats left")
    expect(phone.get_by_test_id("clash")).to_contain_text("Clashes with GER-MON")
    overflow = phone.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    offer.get_by_role("button", name="Enroll").click()
    expect(phone.locator(".alert")).to_contain_text("You are enrolled in ENG-TUE.")
    expect(phone.locator(f"#batch-{evening.pk}")).to_contain_text("You are in this batch")
    screenshot(phone, "self-enroll-phone")
    assert Enrollment.objects.get(student=student, course=english).batch_id == evening.pk
    evening.refresh_from_db()
    assert evening.enrolled_students == 1
