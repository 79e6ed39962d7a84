"""The reports and the audit log through the API (Admin): JSON rows or the console's CSV."""

from __future__ import annotations

import csv
import io

import pytest

from .conftest import assert_failure, assert_success

REPORTS = ("overview", "courses", "batches", "instructors", "students", "mentoring")


@pytest.mark.parametrize("name", REPORTS)
def test_every_report_as_json_and_csv(world, admin_client, name):
    body = assert_success(admin_client.get(f"/api/reports/{name}"))
    assert body["count"] == len(body["data"]) > 0
    response = admin_client.get(f"/api/reports/{name}?format=csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert len(rows) == body["total"] + 1  # the header, then every row
    # The JSON keys are the CSV header's, as identifiers.
    assert len(rows[0]) == len(body["data"][0])


def test_the_batch_report_filters_and_the_same_figures_as_the_pages(world, admin_client):
    url = f"/api/reports/batches?course={world.course.pk}&status=Active"
    rows = assert_success(admin_client.get(url))["data"]
    assert [row["code"] for row in rows] == [world.batch.batch_code]
    assert rows[0]["enrolled"] == 1 and rows[0]["capacity"] == 10
    assert rows[0]["fill_rate_percent"] == 10.0
    upcoming = assert_success(admin_client.get("/api/reports/batches?status=Upcoming"))["data"]
    assert [row["code"] for row in upcoming] == [world.empty_batch.batch_code]
    assert_failure(admin_client.get("/api/reports/batches?status=Sleeping"), 400, "status")
    assert_failure(admin_client.get("/api/reports/batches?course=999999"), 400, "No course")
    assert_failure(admin_client.get("/api/reports/courses?format=xml"), 400, "format")


def test_the_mentoring_report_by_instructor(world, admin_client):
    rows = assert_success(
        admin_client.get(f"/api/reports/mentoring?instructor={world.instructor.pk}")
    )["data"]
    assert [(r["instructor"], r["student"]) for r in rows] == [("John Smith", "Jane Student")]
    none = assert_success(
        admin_client.get(f"/api/reports/mentoring?instructor={world.other_instructor.pk}")
    )
    assert none["data"] == []


def test_the_overview_counts(world, admin_client):
    rows = assert_success(admin_client.get("/api/reports/overview"))["data"]
    figures = {row["figure"]: row["value"] for row in rows}
    assert figures["Courses"] == 2 and figures["Enrolled"] == 1


def test_the_audit_log_by_object_user_and_dates(world, admin_client):
    renamed = admin_client.put(
        f"/api/batches/{world.batch.pk}", {"batch_name": "Renamed Batch"}, format="json"
    )
    assert_success(renamed)
    url = f"/api/audit?object_type=batch&object_id={world.batch.pk}"
    entries = assert_success(admin_client.get(url))["data"]
    assert entries and all(e["object_id"] == world.batch.pk for e in entries)
    assert all(e["object_type"] == "batch" for e in entries)
    latest = entries[0]
    assert latest["action"] == "changed"
    assert latest["user"]["_id"] == world.admin.pk
    assert any(c["after"] == "Renamed Batch" for c in latest["changes"])
    mine = assert_success(admin_client.get(f"/api/audit?user={world.admin.pk}"))["data"]
    assert mine and all(e["user"]["_id"] == world.admin.pk for e in mine)
    old = assert_success(admin_client.get("/api/audit?to=2000-01-01"))
    assert old["data"] == [] and old["total"] == 0
    assert_failure(admin_client.get("/api/audit?from=2026-02-01&to=2026-01-01"), 400, "to")
    assert_failure(admin_client.get("/api/audit?object_type=planet"), 400, "object_type")
    assert_failure(admin_client.get("/api/audit?from=yesterday"), 400, "from")
