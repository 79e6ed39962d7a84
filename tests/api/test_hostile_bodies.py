"""Hostile bodies against every JSON endpoint: never a 500, always the envelope.

The endpoints are read from the URL resolver (every DRF view under /api/ and each of its
methods that take a body), so an endpoint added later is covered without editing this file;
a new kind of path parameter fails ``test_every_path_parameter_has_a_value`` until it is given
a value below. The bodies: deep nesting (the 1,872-byte body of 936 brackets that used to
raise RecursionError), a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE``, invalid encodings (bad
UTF-8, UTF-16 with and without a byte-order mark, charsets that are unknown or not text),
wrong content types, and JSON that is valid but not an object.
"""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.views import APIView

from core.api.exceptions import MSG_TOO_LARGE
from core.api.parsers import MAX_DEPTH, MSG_TOO_DEEP
from tests.support import module_transaction, reread

from .conftest import bearer_client, build_world
from .test_access import _delivery, _job, _leave, _mentor_booking, _request, _waiting, _webhook

BODY_METHODS = ("post", "put", "patch", "delete")
# Path parameter → the world's object whose id fills it (an existing row, so the request gets
# past the lookup and the view reads its body).
PATH_VALUES = {
    "batch_id": lambda w: w.batch.pk,
    "course_id": lambda w: w.course.pk,
    "instructor_id": lambda w: w.instructor.pk,
    "student_id": lambda w: w.student.pk,
    "enrollment_id": lambda w: w.enrollment.pk,
    "trainer_id": lambda w: w.roster_only.pk,
    "user_id": lambda w: w.admin.pk,
    "session_id": lambda w: w.batch.sessions.order_by("start_at").first().pk,
    "holiday_id": lambda w: w.holiday.pk,
    # Objects the endpoint matrix builds for its own cases (tests/api/test_access.py).
    "leave_id": lambda w: _leave(w).pk,
    "entry_id": lambda w: _waiting(w).pk,
    "job_id": lambda w: _job(w, "assignment").pk,
    "webhook_id": lambda w: _webhook(w).pk,
    "delivery_id": lambda w: _delivery(w).pk,
    "booking_id": lambda w: _mentor_booking(w).pk,
    "request_id": lambda w: _request(w).pk,
}
UNAUTHENTICATED = {"api:login", "api:password-reset", "api:password-reset-confirm"}


def api_endpoints() -> list[tuple[str, str, str]]:
    """(url name, route with <converter:name> parameters, method) of every API view method
    that may carry a body."""
    found = []

    def walk(patterns, prefix: str, namespace: str):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
                walk(entry.url_patterns, prefix + str(entry.pattern), inner)
            elif isinstance(entry, URLPattern):
                view = getattr(entry.callback, "cls", None)
                if view is None or not issubclass(view, APIView) or not prefix.startswith("api/"):
                    continue
                for method in BODY_METHODS:
                    if hasattr(view, method):
                        found.append(
                            (f"{namespace}{entry.name}", prefix + str(entry.pattern), method)
                        )

    walk(get_resolver().url_patterns, "", "")
    return found


ENDPOINTS = api_endpoints()

DEEP_ARRAY = b"[" * 936 + b"]" * 936  # the body: 1,872 bytes
LOGIN_JSON = '{"email": "nobody@medh.local", "password": "wrong-password"}'

BODIES = {
    "deep array": (DEEP_ARRAY, "application/json"),
    "deep object": (b'{"a":' * 5000 + b"1" + b"}" * 5000, "application/json"),
    "just over the depth limit": (
        b'{"a":' * MAX_DEPTH + b"[1]" + b"}" * MAX_DEPTH,
        "application/json",
    ),
    "oversized": (
        b'{"notes": "' + b"x" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE + b'"}',
        "application/json",
    ),
    "bad utf-8": (b'{"email": "\xff\xfe\xc3\x28", "password": "x"}', "application/json"),
    "utf-16 with bom": (LOGIN_JSON.encode("utf-16"), "application/json"),
    "utf-16 without bom": (LOGIN_JSON.encode("utf-16-le"), "application/json"),
    "utf-16 declared": (LOGIN_JSON.encode("utf-16"), "application/json; charset=utf-16"),
    "utf-8 declared, utf-16 sent": (
        LOGIN_JSON.encode("utf-16-be"),
        "application/json; charset=utf-8",
    ),
    "unknown charset": (b"{}", "application/json; charset=no-such-charset"),
    "compression codec as charset": (b"BZh91AY&SY", "application/json; charset=bz2_codec"),
    "text/plain": (LOGIN_JSON.encode(), "text/plain"),
    "form": (b"email=a%40b.c&password=x", "application/x-www-form-urlencoded"),
    "multipart without boundary": (b"--x\r\n", "multipart/form-data"),
    "xml": (b"<login/>", "application/xml"),
    "no content type": (LOGIN_JSON.encode(), ""),
    "truncated": (b'{"email": "a@b.c", "pass', "application/json"),
    "NaN": (b'{"capacity": NaN}', "application/json"),
    "huge integer": (b'{"capacity": ' + b"9" * 5000 + b"}", "application/json"),
    "top-level list": (b"[1, 2, 3]", "application/json"),
    "top-level string": (b'"hello"', "application/json"),
    "top-level null": (b"null", "application/json"),
    "nul bytes": (b'{"email": "a\\u0000b", "batch_name": "\\u0000"}', "application/json"),
}


@pytest.fixture(scope="module")
def module_world(django_db_setup, django_db_blocker):
    with module_transaction(django_db_blocker):
        yield build_world()


@pytest.fixture
def world(module_world, db):
    return reread(module_world)


def url_for(route: str, world) -> str:
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda match: str(PATH_VALUES[match[1]](world)), route)


def client_for(name: str, world) -> Client:
    return Client() if name in UNAUTHENTICATED else bearer_client(world.admin)


def send(client, method: str, url: str, body: bytes, content_type: str):
    return client.generic(method.upper(), url, body, content_type=content_type)


def assert_envelope(response):
    """JSON with the envelope, and a failure says so with a message."""
    assert response.status_code < 500, (response.status_code, response.content[:300])
    assert response["Content-Type"] == "application/json", response["Content-Type"]
    body = response.json()
    assert isinstance(body, dict) and isinstance(body.get("success"), bool), body
    if response.status_code >= 400:
        assert body["success"] is False
        assert isinstance(body["message"], str) and body["message"]
    return body


def test_the_resolver_finds_the_endpoints():
    names = {(name, method) for name, _, method in ENDPOINTS}
    assert ("api:login", "post") in names
    assert ("api:course-batches", "post") in names
    assert ("api:enrollment", "delete") in names
    assert len(names) >= 19


def test_every_path_parameter_has_a_value():
    for name, route, _ in ENDPOINTS:
        for parameter in re.findall(r"<(?:\w+:)?(\w+)>", route):
            assert parameter in PATH_VALUES, f"{name}: give <{parameter}> a value in PATH_VALUES"


@pytest.mark.parametrize("body_name", BODIES)
@pytest.mark.parametrize("name,route,method", ENDPOINTS, ids=[f"{m} {n}" for n, _, m in ENDPOINTS])
def test_hostile_body_gets_the_envelope(world, name, route, method, body_name):
    body, content_type = BODIES[body_name]
    response = send(client_for(name, world), method, url_for(route, world), body, content_type)
    assert_envelope(response)


# What the login endpoint, the one anybody may call, answers to each kind.
LOGIN_EXPECTED = {
    "deep array": (400, MSG_TOO_DEEP),
    "deep object": (400, MSG_TOO_DEEP),
    "just over the depth limit": (400, MSG_TOO_DEEP),
    "oversized": (413, MSG_TOO_LARGE),
    "bad utf-8": (400, "not valid UTF-8"),
    "utf-16 with bom": (400, "not valid UTF-8"),
    "utf-16 without bom": (400, "JSON parse error"),
    "utf-8 declared, utf-16 sent": (400, "JSON parse error"),
    "utf-16 declared": (401, "Invalid email or password"),  # decoded as declared
    "compression codec as charset": (400, "Unsupported charset"),
    "text/plain": (415, "Unsupported media type"),
    "top-level list": (400, "Expected a dictionary"),
}


@pytest.mark.parametrize("body_name", LOGIN_EXPECTED)
def test_login_answers_each_hostile_body_precisely(db, body_name):
    body, content_type = BODIES[body_name]
    status, message = LOGIN_EXPECTED[body_name]
    response = send(Client(), "post", "/api/v1/auth/login", body, content_type)
    assert response.status_code == status, response.content[:300]
    assert message in assert_envelope(response)["message"]


def test_a_utf8_byte_order_mark_is_skipped(db):
    response = send(
        Client(), "post", "/api/v1/auth/login", LOGIN_JSON.encode("utf-8-sig"), "application/json"
    )
    assert response.status_code == 401  # parsed: the credentials are wrong, not the body


def test_nesting_within_the_limit_is_parsed(world, admin_client):
    """A body as deep as the limit reaches the view: its fields are judged, not its shape."""
    body = b'{"a":' * (MAX_DEPTH - 1) + b"1" + b"}" * (MAX_DEPTH - 1)
    response = send(
        admin_client,
        "post",
        f"/api/batches/courses/{world.course.pk}/batches",
        body,
        "application/json",
    )
    assert response.status_code == 400
    assert "batch_name" in assert_envelope(response)["errors"]


def test_a_request_refused_outside_a_view_gets_the_envelope(db):
    """A Host not in ALLOWED_HOSTS is refused by a middleware, before any API view."""
    response = Client().get("/api/courses", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert_envelope(response)
    # Pages keep Django's own 400 page.
    assert (
        Client()
        .get("/accounts/login/", HTTP_HOST="evil.example")["Content-Type"]
        .startswith("text/html")
    )


def test_an_unexpected_error_under_api_is_a_500_envelope(world, admin_client, monkeypatch):
    from allocation import api

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(api.CoursesView, "get", broken)
    admin_client.raise_request_exception = False
    response = admin_client.get("/api/courses")
    assert response.status_code == 500
    assert response.json() == {"success": False, "message": "Internal server error"}
