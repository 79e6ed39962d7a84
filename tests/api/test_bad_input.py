"""Bad input of every kind gets 400 or 404 in the envelope, never a 500."""

from __future__ import annotations

import pytest

from accounts.tests.factories import InstructorFactory

from .conftest import assert_failure, assert_success

DETAIL_URLS = [
    "/api/batches/{}",
    "/api/batches/{}/students",
    "/api/batches/{}/trainers",
    "/api/batches/courses/{}/batches",
    "/api/courses/{}/trainers",
    "/api/enrollments/{}",
    "/api/users/{}",
    "/api/instructors/{}/workload",
    "/api/v1/auth/instructor-students/{}",
]


@pytest.mark.parametrize("url", DETAIL_URLS)
@pytest.mark.parametrize("bad_id", ["abc", "-1", "1.5", "0x10", "%00", "9" * 30, "١٢"])
def test_ids_that_are_not_numbers_are_404(world, admin_client, url, bad_id):
    response = admin_client.get(url.format(bad_id))
    assert_failure(response, 404)
    assert response["Content-Type"] == "application/json"


@pytest.mark.parametrize("url", DETAIL_URLS)
def test_unknown_ids_are_404(world, admin_client, url):
    assert_failure(admin_client.get(url.format(999_999_999_999_999_999)), 404)
    assert_failure(admin_client.get(url.format(0)), 404)


@pytest.mark.parametrize(
    "method,url",
    [
        ("put", "/api/batches/{batch}/assign-instructor/999999"),
        ("put", "/api/batches/999999/assign-instructor/{instructor}"),
        ("delete", "/api/v1/auth/unassign-instructor-from-student/999999"),
        ("post", "/api/enrollments/students/999999/enroll"),
        ("put", "/api/courses/{course}/trainers/999999"),
        ("delete", "/api/courses/999999/trainers/{instructor}"),
        ("delete", "/api/enrollments/999999"),
        ("put", "/api/batches/999999"),
        ("delete", "/api/batches/999999"),
    ],
)
def test_unknown_ids_in_writes_are_404(world, admin_client, method, url):
    url = url.format(batch=world.batch.pk, instructor=world.instructor.pk, course=world.course.pk)
    assert_failure(getattr(admin_client, method)(url, {}, format="json"), 404)


def test_unknown_paths_are_404_json(world, admin_client):
    for url in ("/api/", "/api/nope", "/api/batches/1/nope", "/api/batches/", "/api/batches/1%0A"):
        assert_failure(admin_client.get(url), 404)
    assert_failure(admin_client.post("/api/nope", {}, format="json"), 404)


def test_create_batch_without_fields_names_each_one(world, admin_client):
    body = assert_failure(
        admin_client.post(f"/api/batches/courses/{world.course.pk}/batches", {}, format="json"),
        400,
    )
    assert set(body["errors"]) == {
        "batch_name",
        "start_date",
        "end_date",
        "capacity",
        "assigned_instructor",
    }


@pytest.mark.parametrize(
    "field,value",
    [
        ("batch_name", ""),
        ("batch_name", None),
        ("batch_name", 12),
        ("batch_name", "x" * 201),
        ("batch_name", "nul\x00byte"),
        ("batch_code", "c" * 51),
        ("batch_notes", "n" * 10_001),
        ("capacity", "ten"),
        ("capacity", 10**30),
        ("capacity", 2.5),
        ("capacity", None),
        ("start_date", "15/01/2025"),
        ("start_date", 20250115),
        ("start_date", "2025-02-30"),
        ("start_date", "10000-01-01"),
        ("start_date", "0001-01-01"),
        ("start_date", "9999-12-31T23:59:59-23:59"),
        ("end_date", ""),
        ("status", "Paused"),
        ("assigned_instructor", "abc"),
        ("assigned_instructor", 999999),
        ("assigned_instructor", 10**30),
        ("assigned_instructor", -3),
        ("assigned_instructor", True),
        ("assigned_instructor", {"_id": 1}),
        ("schedule", "Monday 8-10"),
        ("schedule", [{"day": "Funday", "start_time": "08:00", "end_time": "10:00"}]),
        ("schedule", [{"day": "Monday", "start_time": "25:00", "end_time": "26:00"}]),
        ("schedule", [{"day": "Monday", "start_time": "8:00", "end_time": "10:00"}]),
        ("schedule", [{"day": "Monday", "start_time": "08:00\n", "end_time": "10:00"}]),
        ("schedule", [{"day": "Monday"}]),
        ("schedule", [None]),
        ("schedule", [{"day": "Monday", "start_time": "08:00", "end_time": "09:00"}] * 51),
    ],
)
def test_create_batch_with_a_bad_field_is_400_naming_it(world, admin_client, field, value):
    body = {
        "batch_name": "Batch",
        "start_date": "2026-06-01",
        "end_date": "2026-08-01",
        "capacity": 10,
        "assigned_instructor": InstructorFactory().pk,
        field: value,
    }
    response = admin_client.post(
        f"/api/batches/courses/{world.course.pk}/batches", body, format="json"
    )
    errors = assert_failure(response, 400)["errors"]
    assert field in errors


@pytest.mark.parametrize("raw", ["[]", '"batch"', "5", "null", "{", '{"a": }', "\xff"])
def test_bodies_that_are_not_objects_or_not_json(world, admin_client, raw):
    response = admin_client.generic(
        "POST",
        f"/api/batches/courses/{world.course.pk}/batches",
        raw.encode("utf-8", "surrogateescape") if raw != "\xff" else b"\xff",
        content_type="application/json",
    )
    assert_failure(response, 400)


def test_a_body_that_is_not_json_is_415(world, admin_client):
    response = admin_client.post(
        f"/api/batches/courses/{world.course.pk}/batches", {"batch_name": "x"}, format="multipart"
    )
    assert_failure(response, 415)


def test_a_method_not_allowed_is_405(world, admin_client):
    assert_failure(admin_client.patch(f"/api/batches/{world.batch.pk}", {}, format="json"), 405)
    assert_failure(admin_client.options(f"/api/batches/{world.batch.pk}"), 405)


def test_both_date_formats_of_the_original_are_accepted(world, admin_client):
    url = f"/api/batches/{world.batch.pk}"
    for start in ("2026-01-06", "2026-01-06T00:00:00.000Z", "2026-01-06T22:30:00-02:00"):
        expected = "2026-01-07T00:00:00.000Z" if "-02:00" in start else "2026-01-06T00:00:00.000Z"
        data = assert_success(admin_client.put(url, {"start_date": start}, format="json"))["data"]
        assert data["start_date"] == expected


def test_huge_strings_in_every_text_field_are_400(world, admin_client):
    huge = "x" * 100_000
    cases = [
        ("/api/courses", {"code": huge, "course_title": "t"}),
        ("/api/courses", {"code": "OK", "course_title": huge}),
        ("/api/v1/auth/login", {"email": huge, "password": "x"}),
        (
            "/api/users",
            {
                "full_name": huge,
                "email": "a@b.org",
                "password": "long-pass-123!",
                "role": ["student"],
            },
        ),
        (
            "/api/v1/auth/assign-instructor-to-student",
            {
                "instructor_id": world.other_instructor.pk,
                "student_id": world.other_student.pk,
                "notes": huge,
            },
        ),
    ]
    for url, body in cases:
        assert_failure(admin_client.post(url, body, format="json"), 400)


def test_null_bytes_never_reach_the_database(world, admin_client):
    for url, body in [
        ("/api/v1/auth/login", {"email": "a\x00@b.org", "password": "x\x00"}),
        ("/api/courses", {"code": "A\x00B", "course_title": "x"}),
    ]:
        assert_failure(admin_client.post(url, body, format="json"), 400)
    assert_failure(admin_client.get("/api/users", {"role": "stu\x00dent"}), 400)
    assert_failure(admin_client.get("/api/batches", {"status": "\x00"}), 400)


def test_payment_details_are_checked(world, admin_client):
    url = f"/api/enrollments/students/{world.other_student.pk}/enroll"
    for payment in (
        {"amount": -5},
        {"amount": "lots"},
        {"amount": 10**12},
        {"currency": "EURO"},
        {"payment_status": "maybe"},
    ):
        body = {"courseId": world.course.pk, "batchId": world.batch.pk, "paymentDetails": payment}
        response = admin_client.post(url, body, format="json")
        assert response.status_code == 400, (payment, response.content)
