"""Schemathesis over the whole OpenAPI schema, against the Django WSGI app in-process.

Each operation is called with generated data (valid and invalid, as an admin with a Bearer
token) a bounded number of times; no answer may be a 5xx, and every answer must be one the
schema allows (status code, content type, body).
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    response_schema_conformance,
    status_code_conformance,
)

from medh.wsgi import application

# Enough to reach every operation with valid and invalid data, bounded so the suite stays fast,
# and derandomized so that every run sends the same requests. For a deeper, random search set
# MEDH_FUZZ_EXAMPLES (e.g. 300, which passes on SQLite and PostgreSQL).
EXPLORE = "MEDH_FUZZ_EXAMPLES" in os.environ
MAX_EXAMPLES = int(os.environ.get("MEDH_FUZZ_EXAMPLES", "20"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    ignored_auth,  # the same call without the token must be refused (401)
]


@pytest.fixture
def keep_test_connection():
    """Calls go through the real WSGI handler, whose request signals close "old" database
    connections — on PostgreSQL that would be the test's own, inside its transaction. Django's
    test client detaches the same receiver for the same reason."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def admin_token(world, keep_test_connection):
    return Token.objects.get_or_create(user=world.admin)[0].key


# Loaded at collection: generating the schema needs no database.
schema = schemathesis.openapi.from_wsgi("/api/schema/", application)


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=not EXPLORE,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_server_error_and_every_answer_fits_the_schema(case, admin_token):
    case.call_and_validate(headers={"Authorization": f"Bearer {admin_token}"}, checks=CHECKS)
