"""The pages the Content-Security-Policy could break, in a real browser: the inline-free
confirmation of cancelling an enrollment, Swagger UI, the Django admin, and the lockout page.

``conftest.page`` fails a test on any console error, and a CSP violation is one: so each page
here also proves that the policy blocks nothing it needs.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.urls import reverse

from accounts.tests.factories import AdminFactory, InstructorFactory, StudentFactory
from allocation import services as allocation_services
from allocation.models import Weekday
from allocation.services import Slot
from allocation.tests.factories import CourseFactory
from core import dates
from enrollments import services as enrollment_services
from enrollments.models import Enrollment, EnrollmentStatus

from .test_walkthrough import log_in

sync_api = pytest.importorskip("playwright.sync_api", reason="pip install -r requirements-dev.txt")
expect = sync_api.expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TODAY = dates.today()


def test_csp_sensitive_pages_work(live_server, page):
    base = live_server.url
    admin = AdminFactory(full_name="Ada Admin", email="ada@medh.test")
    student = StudentFactory(full_name="Ana Student", email="ana@medh.test")
    course = CourseFactory(code="GER-A1", title="German A1")
    batch = allocation_services.batch_create(
        course=course,
        batch_name="Morning German",
        batch_code="GER-1",
        start_date=TODAY - dt.timedelta(days=7),
        end_date=TODAY + dt.timedelta(days=70),
        capacity=5,
        assigned_instructor=InstructorFactory(),
        created_by=admin,
        status="Active",
        schedule=[Slot(day=Weekday.MONDAY, start_time=dt.time(10), end_time=dt.time(12))],
    )
    enrollment = enrollment_services.enrollment_create(student=student, course=course, batch=batch)
    log_in(page, base, "ada@medh.test")

    # Cancelling asks first (static/js/confirm.js): dismissing keeps the enrollment...
    page.goto(f"{base}{reverse('enroll:list')}")
    cancel = page.locator(f"form[action='{reverse('enroll:cancel', args=[enrollment.pk])}'] button")
    page.once("dialog", lambda dialog: dialog.dismiss())
    cancel.click()
    page.wait_for_timeout(300)
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.ACTIVE
    # ...and accepting cancels it.
    page.once("dialog", lambda dialog: dialog.accept())
    cancel.click()
    expect(page.locator(".alert-success")).to_be_visible()
    assert Enrollment.objects.get(pk=enrollment.pk).status != EnrollmentStatus.ACTIVE

    # Swagger UI renders the API from its own script file.
    page.goto(f"{base}/api/docs/")
    # Swagger UI fetches and renders the whole schema: allow a busy CI machine its time.
    expect(page.locator(".swagger-ui .info .title")).to_contain_text(
        "Medh Allocation API", timeout=20_000
    )
    expect(page.locator(".opblock").first).to_be_visible()

    # The Django admin: its index and a change list with its actions and filters.
    page.goto(f"{base}{reverse('admin:index')}")
    expect(page.locator("#site-name")).to_contain_text("Medh Allocation")
    page.goto(f"{base}{reverse('admin:allocation_batch_changelist')}")
    expect(page.locator("#result_list")).to_contain_text("GER-1")


def test_the_lockout_page(live_server, browser):
    """After the limit of wrong passwords the login answers 429 with the lockout page (a
    fresh page without the 4xx check: the 429 is the point)."""
    StudentFactory(email="ana@medh.test")
    context = browser.new_context()
    page = context.new_page()
    console_errors = []
    page.on(
        "console",
        lambda message: console_errors.append(message.text) if message.type == "error" else None,
    )
    for _ in range(settings.AXES_FAILURE_LIMIT):
        page.goto(f"{live_server.url}{reverse('login')}")
        page.get_by_label("Email").fill("ana@medh.test")
        page.get_by_label("Password").fill("wrong-password")
        page.get_by_role("button", name="Log in").click()
    expect(page.get_by_test_id("lockout-message")).to_contain_text("Too many failed login attempts")
    # Only the 429 itself is reported: no CSP violation on the page.
    assert all("429" in text for text in console_errors), console_errors
    context.close()
