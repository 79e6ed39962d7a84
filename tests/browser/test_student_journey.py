"""Issue 20's whole journey at phone width (390 px), in one browser: an imported student opens
their invitation, chooses a password, switches the site to German in the navigation, and
enrolls themselves in an open course's batch, seeing its time in their own zone and in German.
Screenshots: journey-invitation-phone.png, journey-catalogue-de-phone.png,
journey-enrolled-de-phone.png."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from accounts.models import User
from accounts.services import user_create
from allocation.models import Weekday
from enrollments.models import Enrollment
from tests.browser.layout import PAGE_OVERFLOW
from tests.support import AdminFactory, CourseFactory, InstructorFactory, build_batch, slot

sync_api = pytest.importorskip("playwright.sync_api", reason="pip install -r requirements-dev.txt")
expect = sync_api.expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = (390, 844)


def german(text: str) -> str:
    """The German the page shows for ``text`` (the catalogue's, so the test follows it)."""
    with translation.override("de"):
        translated = gettext(text)
    assert translated != text, f"no German for {text!r}"
    return translated


def test_an_invited_student_signs_up_switches_to_german_and_enrolls_on_a_phone(
    live_server, open_page, screenshot, settings
):
    settings.SITE_URL = live_server.url
    admin = AdminFactory()
    start = dt.date(2030, 1, 7)  # winter in Berlin and New York, whatever day the test runs
    course = CourseFactory(code="ENG-B2", title="English B2", enrollment_policy="open")
    evening = build_batch(
        course=course,
        instructor=InstructorFactory(full_name="Edda Evening"),
        batch_code="ENG-TUE",
        schedule=[slot(Weekday.TUESDAY, "18:00", "19:30")],
        time_zone="Europe/Berlin",
        capacity=8,
        created_by=admin,
        start_date=start,
        end_date=start + dt.timedelta(days=60),
    )
    with transaction.atomic():
        student = user_create(
            email="ina@medh.test", roles=["student"], full_name="Ina Invited", invite=True
        )
        User.objects.filter(pk=student.pk).update(time_zone="America/New_York")
    [invitation] = mail.outbox
    link = re.search(r"http://\S+/accounts/invitation/\S+/", invitation.body)[0]

    page = open_page(*PHONE)
    page.goto(link)
    assert page.evaluate(PAGE_OVERFLOW) == []
    screenshot(page, "journey-invitation-phone")
    page.locator("#id_new_password1").fill("ina-chooses-a-long-one-7")
    page.locator("#id_new_password2").fill("ina-chooses-a-long-one-7")
    page.get_by_role("button", name="Set password and sign in").click()
    expect(page.locator(".alert-success")).to_contain_text("Welcome")

    # German, from the (folded) navigation.
    page.get_by_role("button", name="Toggle navigation").click()
    page.get_by_test_id("language-switch").get_by_role("button").first.click()
    page.get_by_role("button", name="Deutsch").click()
    expect(page.locator("html")).to_have_attribute("lang", "de")
    assert User.objects.get(pk=student.pk).language == "de"

    # My schedule → Find a course → the course: every word in German, the class in her zone.
    page.goto(f"{live_server.url}{reverse('student:schedule')}")
    expect(page.get_by_role("heading", level=1)).to_have_text(german("My schedule"))
    page.get_by_role(
        "link", name=german("Find a course, join a waitlist or ask for a transfer")
    ).click()
    page.get_by_role("link", name="English B2").click()
    offer = page.locator(f"#batch-{evening.pk}")
    # 18:00 in Berlin is 12:00 in New York; the weekday in German.
    expect(offer).to_contain_text("12:00")
    expect(offer).to_contain_text("Dienstag")
    assert page.evaluate(PAGE_OVERFLOW) == []
    screenshot(page, "journey-catalogue-de-phone")
    offer.get_by_role("button", name=german("Enroll"), exact=True).click()
    with translation.override("de"):
        confirmed = gettext("You are enrolled in %(code)s.") % {"code": "ENG-TUE"}
    expect(page.locator(".alert")).to_contain_text(confirmed)
    assert page.evaluate(PAGE_OVERFLOW) == []
    screenshot(page, "journey-enrolled-de-phone")

    assert Enrollment.objects.get(student=student, course=course).batch_id == evening.pk
    evening.refresh_from_db()
    assert evening.enrolled_students == 1
