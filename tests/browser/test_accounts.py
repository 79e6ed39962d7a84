"""An invited student at phone width: opens the invitation's link, chooses a password, is
signed in, switches the site to German in the navigation, and finds it saved on the profile;
the reset and profile pages fit the phone."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse

from accounts.models import User
from accounts.services import user_create
from tests.browser.layout import PAGE_OVERFLOW

sync_api = pytest.importorskip("playwright.sync_api", reason="pip install -r requirements-dev.txt")
expect = sync_api.expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = (390, 844)


def test_an_invited_student_signs_up_and_switches_to_german_on_a_phone(
    live_server, open_page, screenshot, settings
):
    settings.SITE_URL = live_server.url
    with transaction.atomic():
        student = user_create(
            email="ina@medh.test", roles=["student"], full_name="Ina Invited", invite=True
        )
    [message] = mail.outbox
    link = re.search(r"http://\S+/accounts/invitation/\S+/", message.body)[0]

    page = open_page(*PHONE)
    page.goto(link)
    assert page.evaluate(PAGE_OVERFLOW) == []
    screenshot(page, "invitation-phone")
    page.locator("#id_new_password1").fill("ina-chooses-a-long-one-7")
    page.locator("#id_new_password2").fill("ina-chooses-a-long-one-7")
    page.get_by_role("button", name="Set password and sign in").click()
    expect(page.locator(".alert-success")).to_contain_text("Welcome")
    student.refresh_from_db()
    assert student.last_login is not None

    # The language switch is in the (folded) navigation of every page.
    page.goto(f"{live_server.url}{reverse('profile')}")
    page.get_by_role("button", name="Toggle navigation").click()
    page.get_by_test_id("language-switch").get_by_role("button").first.click()
    page.get_by_role("button", name="Deutsch").click()
    expect(page.locator("html")).to_have_attribute("lang", "de")
    assert User.objects.get(pk=student.pk).language == "de"
    assert page.evaluate(PAGE_OVERFLOW) == []
    # Saved on the profile: the form shows it, and so does the next page.
    expect(page.locator("#id_language")).to_have_value("de")
    screenshot(page, "profile-german-phone")

    # The link worked once.
    page.goto(link)
    expect(page.get_by_test_id("link-invalid")).to_be_visible()


def test_forgot_password_fits_a_phone(live_server, open_page):
    page = open_page(*PHONE)
    page.goto(f"{live_server.url}{reverse('login')}")
    page.get_by_role("link", name="Forgot your password?").click()
    assert page.evaluate(PAGE_OVERFLOW) == []
    page.get_by_label("Email").fill("nobody@medh.test")
    page.get_by_role("button", name="Email me a link").click()
    expect(page.get_by_test_id("reset-sent")).to_be_visible()
    assert page.evaluate(PAGE_OVERFLOW) == []
    # An anonymous visitor's switch: the cookie.
    page.get_by_test_id("language-switch").get_by_role("button").first.click()
    page.get_by_role("button", name="Deutsch").click()
    expect(page.locator("html")).to_have_attribute("lang", "de")
