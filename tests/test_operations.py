"""Operations: the load balancer's probes, the request id and structured logs, no caching of
private answers, and a kept database connection that the server dropped while idle."""

from __future__ import annotations

import io
import json
import logging
import wsgiref.util

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.db import DatabaseError, connection, connections
from django.test import Client, override_settings
from django.utils.module_loading import import_string
from rest_framework.authtoken.models import Token

from core import health
from core.log_context import RequestIdFilter
from tests.support import TEST_PASSWORD, AdminFactory, StudentFactory

NO_STORE = "no-store"


# --- probes -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_healthz_answers_without_login_or_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert NO_STORE in response["Cache-Control"]


@pytest.mark.django_db
def test_readyz_checks_the_database_and_the_migrations(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "migrations": "ok"}}


@pytest.mark.django_db
def test_readyz_is_503_with_a_migration_unapplied(client, monkeypatch):
    monkeypatch.setattr(health, "_migrations_applied", lambda: False)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "migrations": "unapplied"}


@pytest.mark.django_db
def test_readyz_is_503_when_the_database_fails(client, monkeypatch):
    def down():
        raise DatabaseError("connection refused")

    monkeypatch.setattr(health, "_migrations_applied", down)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {"database": "unreachable", "migrations": "unknown"},
    }


@pytest.mark.django_db
def test_migrations_applied_sees_an_unapplied_migration():
    assert health._migrations_applied() is True
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM django_migrations WHERE app = 'accounts'")
    assert health._migrations_applied() is False


@override_settings(SECURE_SSL_REDIRECT=True)
@pytest.mark.django_db
def test_probes_are_not_redirected_to_https(client):
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
    assert client.get("/accounts/login/").status_code == 301  # everything else is


def test_probes_refuse_writes(client):
    assert client.post("/healthz").status_code in (403, 405)  # CSRF first, or the method


# --- request id and logs ----------------------------------------------------------------------


def test_every_response_has_a_request_id(client):
    first, second = client.get("/healthz"), client.get("/healthz")
    assert len(first["X-Request-ID"]) == 32
    assert first["X-Request-ID"] != second["X-Request-ID"]


@pytest.mark.parametrize(
    "sent,kept",
    [
        ("lb-7f3a.91", True),
        ("abc\nINFO forged line", False),
        ("x" * 129, False),
        ("", False),
    ],
)
def test_the_balancers_request_id_is_echoed_when_it_is_one(client, sent, kept):
    response = client.get("/healthz", HTTP_X_REQUEST_ID=sent)
    assert (response["X-Request-ID"] == sent) is kept
    assert "\n" not in response["X-Request-ID"]


@pytest.mark.django_db
def test_json_log_lines_carry_the_request_id(monkeypatch):
    """The LOG_FORMAT=json formatter of the settings, on a handler like the console's."""
    from django.conf import settings

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    config = dict(settings.LOG_FORMATTERS["json"])
    handler.setFormatter(import_string(config.pop("()"))(**config))
    logger = logging.getLogger("core.health")
    logger.addHandler(handler)
    monkeypatch.setattr(health, "_migrations_applied", lambda: (_ for _ in ()).throw(DatabaseError))
    try:
        response = Client().get("/readyz", HTTP_X_REQUEST_ID="req-42")
        logger.warning("outside a request")
    finally:
        logger.removeHandler(handler)
    assert response.status_code == 503
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert lines[0]["request_id"] == "req-42"
    assert lines[0]["level"] == "WARNING"
    assert lines[0]["logger"] == "core.health"
    assert lines[0]["message"] == "Readiness probe: the database is unreachable"
    assert "exc_info" in lines[0] and "time" in lines[0]
    assert lines[1]["request_id"] == "-"


def test_log_format_is_text_or_json(monkeypatch):
    from django.conf import settings

    assert settings.LOG_FORMAT == "text"
    assert set(settings.LOG_FORMATTERS) == {"text", "json"}
    assert settings.LOGGING["handlers"]["console"]["filters"] == ["request_id"]


# --- Cache-Control: no-store ------------------------------------------------------------------


@pytest.mark.django_db
def test_the_api_login_that_carries_the_token_is_not_stored():
    user = StudentFactory()
    response = Client().post(
        "/api/v1/auth/login",
        {"email": user.email, "password": TEST_PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert NO_STORE in response["Cache-Control"]


@pytest.mark.django_db
def test_api_responses_are_not_stored(client):
    user = AdminFactory()
    token = Token.objects.create(user=user)
    for headers in ({"HTTP_AUTHORIZATION": f"Bearer {token.key}"}, {}):
        response = client.get("/api/courses", **headers)
        assert NO_STORE in response["Cache-Control"], response.status_code


@pytest.mark.django_db
def test_signed_in_pages_and_the_web_login_are_not_stored(client):
    user = AdminFactory()
    login = client.post("/accounts/login/", {"username": user.email, "password": TEST_PASSWORD})
    assert login.status_code == 302
    assert NO_STORE in login["Cache-Control"]
    assert NO_STORE in client.get("/console/")["Cache-Control"]


@pytest.mark.django_db
def test_static_files_and_calendar_feeds_keep_their_caching(client):
    assert NO_STORE not in client.get("/static/js/confirm.js").get("Cache-Control", "")
    feed = client.get(f"/feeds/student/{StudentFactory().feed_token}.ics")
    assert feed.status_code == 200
    assert feed["Cache-Control"] == "private"


# --- a kept connection dropped while idle -----------------------------------------------------


def _wsgi_get(path: str, **headers) -> int:
    """One request the way gunicorn serves it: through WSGIHandler, with the request_started
    and request_finished signals (the test client leaves close_old_connections out)."""
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": path, **headers}
    wsgiref.util.setup_testing_defaults(environ)
    status = []
    result = WSGIHandler()(environ, lambda code, headers, exc_info=None: status.append(code))
    b"".join(result)
    result.close()  # sends request_finished
    return int(status[0].split()[0])


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_connection_dropped_while_idle_is_replaced_not_a_503(monkeypatch):
    """CONN_MAX_AGE=60 as in production: the worker keeps its connection between requests.
    The server drops it while the worker is idle; the next request must still succeed."""
    token = Token.objects.create(user=AdminFactory())
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token.key}"}
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 60)
    connection.close()  # reconnect with the production-like settings

    assert _wsgi_get("/api/courses", **auth) == 200
    assert connection.connection is not None, "CONN_MAX_AGE keeps the connection open"
    pid = connection.connection.info.backend_pid

    killer = connections.create_connection("default")
    try:
        with killer.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s, 10000)", [pid])
            assert cursor.fetchone()[0] is True
    finally:
        killer.close()

    assert _wsgi_get("/api/courses", **auth) == 200
    assert connection.connection.info.backend_pid != pid
    connection.close()


def test_database_connections_are_health_checked(monkeypatch):
    from medh.settings.base import database_from_url

    monkeypatch.setenv("DATABASE_URL", "postgres://medh@db.internal:5432/medh")
    assert database_from_url()["CONN_HEALTH_CHECKS"] is True
    monkeypatch.setenv("CONN_HEALTH_CHECKS", "false")
    assert database_from_url()["CONN_HEALTH_CHECKS"] is False
