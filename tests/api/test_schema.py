"""The OpenAPI document and the Swagger UI page, with its assets served from this server."""

from __future__ import annotations

import re

import pytest
from drf_spectacular.validation import validate_schema

pytestmark = pytest.mark.django_db

OPENAPI_JSON = "application/vnd.oai.openapi+json"


def test_the_schema_is_a_valid_openapi_3_document(client):
    response = client.get("/api/schema/", HTTP_ACCEPT=OPENAPI_JSON)
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    validate_schema(schema)  # against the OpenAPI 3.0 JSON schema shipped with drf-spectacular
    paths = schema["paths"]
    for path in (
        "/api/batches/courses/{course_id}/batches",
        "/api/batches/{batch_id}/assign-instructor/{instructor_id}",
        "/api/v1/auth/assign-instructor-to-student",
        "/api/enrollments/students/{student_id}/enroll",
        "/api/courses/{course_id}/trainers/{trainer_id}",
        "/api/batches/{batch_id}/trainers/primary",
        "/api/instructors/{instructor_id}/workload",
        "/api/batches/{batch_id}/feedback",
        "/api/students/{student_id}/mentor-candidates",
    ):
        assert path in paths
    feedback = paths["/api/batches/{batch_id}/feedback"]
    assert {"get", "post"} <= set(feedback)
    assert "201" in feedback["post"]["responses"]
    # Bearer tokens are documented, and every operation documents the error envelope.
    assert schema["components"]["securitySchemes"]["tokenAuth"]["scheme"] == "bearer"
    for operations in paths.values():
        for operation in operations.values():
            assert {"400", "401", "403", "404"} <= set(operation["responses"])


def test_the_schema_is_also_served_as_yaml(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    assert response.content.startswith(b"openapi: 3.")


def test_swagger_ui_loads_nothing_from_a_cdn(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert urls, html
    for url in urls:
        assert url.startswith("/"), f"{url} is not served by this site"
        assert client.get(url).status_code == 200, url
    assert not re.search(r"cdn|jsdelivr|unpkg|cdnjs|https?://", html, re.IGNORECASE)
