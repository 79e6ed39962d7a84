"""Language per person, and email preferences.

Pages speak the signed-in user's ``language`` (switched in the navigation, saved on the
profile) or, for anonymous visitors, the language cookie; the API speaks the request's
``Accept-Language`` only; emails speak their recipient's language in their zone. The German
texts asserted here are Django's and DRF's own, so the tests do not depend on this project's
catalogue."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import translation
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import User
from accounts.preferences import ACCOUNT_EVENTS, EMAIL_EVENT_GROUPS, EMAIL_EVENTS
from accounts.services import user_create, user_invite
from accounts.tests.factories import AdminFactory, InstructorFactory, StudentFactory
from notifications import outbox
from notifications.models import EmailStatus, Notification
from notifications.services import notify

pytestmark = pytest.mark.django_db

GERMAN_WEEKDAYS = ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag")


@pytest.fixture(autouse=True)
def english_after_each_test():
    yield
    translation.activate("en")


# --- pages ------------------------------------------------------------------------------------


def test_the_switch_saves_a_signed_in_users_language_on_their_profile(client):
    student = StudentFactory()
    client.force_login(student)
    response = client.post(
        reverse("language_switch"), {"language": "de", "next": reverse("password_change")}
    )
    assert response.status_code == 302 and response["Location"] == reverse("password_change")
    student.refresh_from_db()
    assert student.language == "de"

    # Every page now speaks German, on any device: a new session without the cookie.
    client.cookies.clear()
    client.force_login(student)
    page = client.get(reverse("password_change")).content.decode()
    assert '<html lang="de"' in page
    assert "Altes Passwort" in page  # Django's own German for "Old password"


def test_a_signed_in_users_profile_language_wins_over_the_cookie(client):
    student = StudentFactory(language="en")
    client.cookies["django_language"] = "de"
    client.force_login(student)
    page = client.get(reverse("password_change")).content.decode()
    assert '<html lang="en"' in page and "Old password" in page


def test_the_switch_sets_the_cookie_for_anonymous_visitors(client):
    response = client.post(
        reverse("language_switch"), {"language": "de", "next": "/accounts/login/"}
    )
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    assert response.cookies["django_language"].value == "de"
    page = client.get(reverse("login")).content.decode()
    assert '<html lang="de"' in page and "Passwort" in page


def test_anonymous_pages_follow_accept_language(client):
    page = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9").content.decode()
    assert '<html lang="de"' in page
    assert '<html lang="en"' in client.get(reverse("login")).content.decode()


@pytest.mark.parametrize("language", ["fr", "", "de\x00", "x" * 300])
def test_an_unknown_language_changes_nothing(client, language):
    student = StudentFactory(language="en")
    client.force_login(student)
    response = client.post(reverse("language_switch"), {"language": language, "next": "/"})
    assert response.status_code == 302
    student.refresh_from_db()
    assert student.language == "en"


def test_the_switch_does_not_redirect_off_site(client):
    response = client.post(
        reverse("language_switch"), {"language": "de", "next": "https://evil.example/"}
    )
    assert response.status_code == 302 and "evil.example" not in response["Location"]


def test_the_switch_is_in_the_navigation_for_everyone(client):
    assert reverse("language_switch") in client.get(reverse("login")).content.decode()
    client.force_login(StudentFactory())
    assert reverse("language_switch") in client.get(reverse("profile")).content.decode()


def test_the_profile_saves_language_and_email_preferences(client):
    student = StudentFactory()
    client.force_login(student)
    ticked = [e for e in EMAIL_EVENTS if e not in {"session_moved", "batch_started"}]
    groups = {}
    for index, (_group, entries) in enumerate(EMAIL_EVENT_GROUPS):
        groups[f"email_on_{index}"] = [e for e, _label in entries if e in ticked]
    response = client.post(
        reverse("profile"),
        {"time_zone": "Europe/Berlin", "language": "de", "email_section": "True", **groups},
    )
    assert response.status_code == 302
    student.refresh_from_db()
    assert (student.time_zone, student.language) == ("Europe/Berlin", "de")
    assert student.email_off == ["batch_started", "session_moved"]
    page = client.get(reverse("profile")).content.decode()
    assert 'value="session_moved"' in page
    assert 'value="session_moved" checked' not in page.replace("\n", " ")


def test_a_profile_form_without_the_email_section_keeps_the_preferences(client):
    student = StudentFactory(email_off=["session_moved"])
    client.force_login(student)
    client.post(reverse("profile"), {"time_zone": "Asia/Tokyo"})
    student.refresh_from_db()
    assert (student.time_zone, student.email_off) == ("Asia/Tokyo", ["session_moved"])


# --- emails -------------------------------------------------------------------------------------


def test_an_email_is_rendered_in_the_recipients_language_and_zone(
    django_capture_on_commit_callbacks,
):
    german = user_create(email="de@example.com", roles=["student"])
    User.objects.filter(pk=german.pk).update(language="de", time_zone="Asia/Kolkata")
    german.refresh_from_db()
    translation.activate("en")  # the sender's request speaks English
    with django_capture_on_commit_callbacks(execute=True):
        user_invite(user=german)
    [message] = mail.outbox
    assert any(day in message.body for day in GERMAN_WEEKDAYS), message.body
    assert "(Asia/Kolkata)" in message.body
    assert translation.get_language() == "en"  # rendering left the caller's language alone


def test_render_runs_under_the_recipients_language(monkeypatch):
    seen = []
    real = outbox.render_to_string
    monkeypatch.setattr(
        outbox,
        "render_to_string",
        lambda *a, **k: seen.append(translation.get_language()) or real(*a, **k),
    )
    translation.activate("en")
    student = StudentFactory(language="de")
    [row] = notify(recipients=[student], event="invitation", context={"invited_by": None})
    # Delivered right away (tests deliver on commit): subject, text and HTML, all in German.
    assert seen == ["de", "de", "de"]
    assert translation.get_language() == "en"


# --- preferences ------------------------------------------------------------------------------


def test_a_switched_off_kind_reaches_the_inbox_but_sends_no_email(
    django_capture_on_commit_callbacks, client
):
    instructor = InstructorFactory(email_off=["leave_recorded"])
    other = InstructorFactory()
    with django_capture_on_commit_callbacks(execute=True):
        rows = notify(recipients=[instructor, other], event="leave_recorded", context={})
    statuses = dict(
        Notification.objects.filter(pk__in=[r.pk for r in rows]).values_list(
            "recipient__email", "email_status"
        )
    )
    assert statuses == {instructor.email: EmailStatus.SKIPPED, other.email: EmailStatus.SENT}
    assert [m.to for m in mail.outbox] == [[other.email]]
    client.force_login(instructor)
    assert client.get(reverse("inbox:list")).context is not None
    assert Notification.objects.filter(recipient=instructor, event="leave_recorded").exists()


def test_the_worker_reads_the_preference_when_it_sends(settings):
    settings.NOTIFICATION_DELIVERY = "worker"
    instructor = InstructorFactory()
    [row] = notify(recipients=[instructor], event="leave_recorded", context={})
    # Switched off while the email waited in the outbox.
    User.objects.filter(pk=instructor.pk).update(email_off=["leave_recorded"])
    counts = outbox.deliver_due()
    assert counts["skipped"] == 1 and counts["sent"] == 0
    row.refresh_from_db()
    assert row.email_status == EmailStatus.SKIPPED and mail.outbox == []


def test_account_emails_ignore_the_preferences(django_capture_on_commit_callbacks):
    student = user_create(email="new@example.com", roles=["student"])
    User.objects.filter(pk=student.pk).update(email_off=list(EMAIL_EVENTS))
    student.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        user_invite(user=student)
    assert len(mail.outbox) == 1


def test_every_notification_event_has_a_preference():
    """A new event with templates must be listed in accounts.preferences (or be an account
    email): otherwise nobody could switch its email off."""
    templates = Path(settings.BASE_DIR, "templates", "notifications")
    events = {p.name.removesuffix(".subject.txt") for p in templates.glob("*.subject.txt")}
    assert events - ACCOUNT_EVENTS == set(EMAIL_EVENTS)


# --- API ---------------------------------------------------------------------------------------


def test_the_api_speaks_accept_language_only():
    english = APIClient().post("/api/v1/auth/password-reset", {}, format="json")
    assert english.json()["message"] == "email: This field is required."
    german = APIClient().post(
        "/api/v1/auth/password-reset", {}, format="json", HTTP_ACCEPT_LANGUAGE="de"
    )
    # The project's own German catalogue (locale/de) wins over DRF's for this message.
    assert german.json()["message"] == "email: Dieses Feld ist erforderlich."
    assert german["Content-Language"] == "de"


def test_a_token_client_of_a_german_user_still_gets_english():
    student = StudentFactory(language="de")
    client = APIClient()
    token = Token.objects.create(user=student)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.key}")
    client.cookies["django_language"] = "de"
    response = client.put("/api/users/me", {"time_zone": 5}, format="json")
    assert response.status_code == 400
    assert response.json()["message"] == "time_zone: Must be a string."
    bad = client.put("/api/users/me", {"full_name": None}, format="json")
    assert bad.json()["message"] == "full_name: This field may not be null."


def test_api_me_reads_and_updates_the_preferences():
    student = StudentFactory(full_name="Sam Student", time_zone="UTC")
    client = APIClient()
    client.force_authenticate(student)
    me = client.get("/api/users/me").json()["data"]
    assert me["full_name"] == "Sam Student" and me["time_zone"] == "UTC"
    assert me["language"] == "en"
    assert me["email_notifications"] == dict.fromkeys(EMAIL_EVENTS, True)

    response = client.put(
        "/api/users/me",
        {
            "full_name": "  Sam   Stu ",
            "time_zone": "America/New_York",
            "language": "de",
            "email_notifications": {"session_moved": False, "batch_started": False},
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    data = response.json()["data"]
    assert (data["full_name"], data["time_zone"], data["language"]) == (
        "Sam Stu",
        "America/New_York",
        "de",
    )
    assert data["email_notifications"]["session_moved"] is False
    # Only the kinds given change.
    client.put("/api/users/me", {"email_notifications": {"session_moved": True}}, format="json")
    student.refresh_from_db()
    assert student.email_off == ["batch_started"]


@pytest.mark.parametrize(
    "body,field",
    [
        ({"time_zone": "Mars/Base"}, "time_zone"),
        ({"language": "fr"}, "language"),
        ({"full_name": "   "}, "full_name"),
        ({"email_notifications": {"no_such_event": False}}, "email_notifications"),
        ({"email_notifications": {"session_moved": "maybe"}}, "email_notifications"),
        ({"email_notifications": ["session_moved"]}, "email_notifications"),
    ],
)
def test_api_me_refuses_bad_values_and_changes_nothing(body, field):
    student = StudentFactory(full_name="Sam", time_zone="UTC")
    client = APIClient()
    client.force_authenticate(student)
    response = client.put("/api/users/me", body, format="json")
    assert response.status_code == 400
    assert response.json()["success"] is False
    assert field in response.json()["errors"]
    student.refresh_from_db()
    assert (student.full_name, student.time_zone, student.language, student.email_off) == (
        "Sam",
        "UTC",
        "en",
        [],
    )


def test_api_me_needs_a_signed_in_user():
    assert APIClient().get("/api/users/me").status_code == 401
    admin = AdminFactory()
    client = APIClient()
    client.force_authenticate(admin)
    assert client.get("/api/users/me").json()["data"]["email"] == admin.email
