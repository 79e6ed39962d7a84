"""Login, logout, Bearer tokens and sessions; the users endpoints."""

from __future__ import annotations

from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tests.factories import TEST_PASSWORD

from .conftest import assert_failure, assert_success, bearer_client

LOGIN = "/api/v1/auth/login"


def test_login_returns_a_token_that_works_until_logout(world):
    client = APIClient()
    response = client.post(
        LOGIN, {"email": world.instructor.email.upper(), "password": TEST_PASSWORD}, format="json"
    )
    data = assert_success(response)["data"]
    assert data["user"]["_id"] == world.instructor.pk
    assert data["user"]["role"] == ["instructor"]
    assert data["user"]["full_name"] == "John Smith"
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {data['token']}")
    assert_success(client.get("/api/courses"))
    assert_success(client.post("/api/v1/auth/logout"))
    assert not Token.objects.filter(user=world.instructor).exists()
    assert_failure(client.get("/api/courses"), 401)


def test_wrong_password_is_401(world):
    response = APIClient().post(
        LOGIN, {"email": world.admin.email, "password": "nope"}, format="json"
    )
    assert_failure(response, 401, "Invalid email or password")


def test_login_without_fields_is_400(world):
    body = assert_failure(APIClient().post(LOGIN, {}, format="json"), 400)
    assert set(body["errors"]) == {"email", "password"}


def test_no_credentials_is_401_with_a_bearer_challenge(world):
    response = APIClient().get("/api/courses")
    assert_failure(response, 401)
    assert response["WWW-Authenticate"] == "Bearer"


def test_a_bad_token_is_401(world):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    assert_failure(client.get("/api/courses"), 401)


def test_the_browser_session_works_too(world):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(world.admin)
    assert_success(client.get("/api/users"))
    # A write with the session needs the CSRF token, like every form of the site.
    assert_failure(client.post("/api/courses", {"code": "X", "course_title": "X"}), 403, "CSRF")


def test_create_user_hashes_the_password_and_sets_the_roles(world, admin_client):
    body = {
        "full_name": "Dr. New Trainer",
        "email": "New.Trainer@Example.com",
        "password": "a-long-enough-passphrase",
        "role": ["instructor", "admin"],
    }
    data = assert_success(admin_client.post("/api/users", body, format="json"), 201)["data"]
    assert data["email"] == "new.trainer@example.com"
    assert sorted(data["role"]) == ["admin", "instructor"]
    assert "password" not in data
    user = User.objects.get(pk=data["_id"])
    assert user.is_instructor and user.is_staff and not user.is_student
    assert user.password != body["password"] and user.check_password(body["password"])
    login = APIClient().post(
        LOGIN, {"email": body["email"], "password": body["password"]}, format="json"
    )
    assert_success(login)


def test_create_user_refusals(world, admin_client):
    taken = {
        "full_name": "X",
        "email": world.student.email,
        "password": "a-long-enough-passphrase",
        "role": ["student"],
    }
    errors = assert_failure(admin_client.post("/api/users", taken, format="json"), 400)["errors"]
    assert "email" in errors
    weak = {**taken, "email": "weak@example.com", "password": "123"}
    errors = assert_failure(admin_client.post("/api/users", weak, format="json"), 400)["errors"]
    assert "password" in errors
    no_role = {**taken, "email": "none@example.com", "role": ["wizard"]}
    errors = assert_failure(admin_client.post("/api/users", no_role, format="json"), 400)["errors"]
    assert "role" in errors


def test_users_by_role(world, admin_client):
    body = assert_success(admin_client.get("/api/users", {"role": "instructor"}))
    assert {u["_id"] for u in body["data"]} == {
        world.instructor.pk,
        world.other_instructor.pk,
        world.roster_only.pk,
    }
    students = admin_client.get("/api/users", {"role": "student"}).json()
    assert {u["_id"] for u in students["data"]} == {world.student.pk, world.other_student.pk}
    assert_failure(admin_client.get("/api/users", {"role": "wizard"}), 400)


def test_a_user_reads_themselves_only(world):
    client = bearer_client(world.other_student)
    assert assert_success(client.get(f"/api/users/{world.other_student.pk}"))["data"]["role"] == [
        "student"
    ]
    assert_failure(client.get(f"/api/users/{world.student.pk}"), 403)
    assert_failure(client.get("/api/users/999999"), 403)  # no probing for ids
