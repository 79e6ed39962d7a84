"""API tokens: they expire after API_TOKEN_LIFETIME, and die with a password change, a web
logout and the API logout."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.tests.factories import TEST_PASSWORD, InstructorFactory, StudentFactory
from core.api.authentication import MSG_TOKEN_EXPIRED
from core.api.fields import timestamp_out

from .conftest import assert_failure, assert_success

LOGIN = "/api/v1/auth/login"
NEW_PASSWORD = "a-new-Secret-2718"

pytestmark = pytest.mark.django_db


def log_in(user, password: str = TEST_PASSWORD) -> tuple[APIClient, dict]:
    data = assert_success(
        APIClient().post(LOGIN, {"email": user.email, "password": password}, format="json")
    )["data"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {data['token']}")
    return client, data


def age_token(user, by: dt.timedelta) -> None:
    Token.objects.filter(user=user).update(created=timezone.now() - by)


def test_the_login_says_when_the_token_expires(settings):
    settings.API_TOKEN_LIFETIME = dt.timedelta(hours=8)
    _, data = log_in(user := StudentFactory())
    token = Token.objects.get(user=user)
    assert data["expiresAt"] == timestamp_out(token.created + dt.timedelta(hours=8))


def test_a_token_expires_after_the_lifetime(settings):
    settings.API_TOKEN_LIFETIME = dt.timedelta(hours=8)
    client, _ = log_in(user := StudentFactory())
    age_token(user, dt.timedelta(hours=7, minutes=59))
    assert_success(client.get("/api/courses"))

    age_token(user, dt.timedelta(hours=8))
    response = client.get("/api/courses")
    assert_failure(response, 401, MSG_TOKEN_EXPIRED)
    assert response["WWW-Authenticate"] == "Bearer"


def test_logging_in_again_gives_a_new_token_only_after_expiry(settings):
    settings.API_TOKEN_LIFETIME = dt.timedelta(hours=8)
    user = StudentFactory()
    first_client, first = log_in(user)
    _, again = log_in(user)
    assert again["token"] == first["token"]  # one token per user: other clients keep working
    assert again["expiresAt"] == first["expiresAt"]  # and a login does not extend it

    age_token(user, dt.timedelta(hours=9))
    new_client, renewed = log_in(user)
    assert renewed["token"] != first["token"]
    assert_failure(first_client.get("/api/courses"), 401)
    assert_success(new_client.get("/api/courses"))


def test_the_api_logout_revokes_the_token_it_was_called_with():
    client, _ = log_in(user := StudentFactory())
    assert_success(client.post("/api/v1/auth/logout"))
    assert not Token.objects.filter(user=user).exists()
    assert_failure(client.get("/api/courses"), 401)


def test_a_password_change_on_the_site_revokes_the_token():
    api, _ = log_in(user := InstructorFactory())
    browser = Client()
    browser.force_login(user)
    response = browser.post(
        reverse("password_change"),
        {
            "old_password": TEST_PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302
    assert_failure(api.get("/api/courses"), 401)
    # The new password gives a new token that works.
    fresh, _ = log_in(user, NEW_PASSWORD)
    assert_success(fresh.get("/api/courses"))


def test_any_password_change_revokes_the_token(monkeypatch):
    """set_password + save (the admin's form, scripts) and manage.py changepassword."""
    api, _ = log_in(user := StudentFactory())
    user.set_password(NEW_PASSWORD)
    user.save()
    assert_failure(api.get("/api/courses"), 401)

    api, _ = log_in(user, NEW_PASSWORD)
    monkeypatch.setattr("getpass.getpass", lambda prompt="": "yet-another-Secret-3141")
    call_command("changepassword", user.email, stdout=None)
    assert_failure(api.get("/api/courses"), 401)


def test_saving_a_user_without_a_password_change_keeps_the_token():
    api, _ = log_in(user := StudentFactory())
    user.full_name = "Renamed"
    user.save()
    get_user_model().objects.get(pk=user.pk).save(update_fields=["last_login"])
    assert_success(api.get("/api/courses"))


def test_a_web_logout_revokes_the_token():
    api, _ = log_in(user := InstructorFactory())
    browser = Client()
    browser.force_login(user)
    assert browser.post(reverse("logout")).status_code == 302
    assert_failure(api.get("/api/courses"), 401)


def test_another_users_logout_keeps_the_token():
    api, _ = log_in(StudentFactory())
    browser = Client()
    browser.force_login(StudentFactory())
    browser.post(reverse("logout"))
    assert_success(api.get("/api/courses"))
