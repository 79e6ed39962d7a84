"""Webhook endpoints through the API (Admin): register, list, log, redeliver, remove."""

from __future__ import annotations

from webhooks.models import WebhookDelivery, WebhookEndpoint

from .conftest import assert_failure, assert_success


def test_register_list_log_redeliver_and_delete(world, admin_client, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True
    body = {"url": "http://127.0.0.1:9/hook", "event_types": ["enrollment.created", "batch.full"]}
    created = assert_success(admin_client.post("/api/webhooks", body, format="json"), 201)["data"]
    assert len(created["secret"]) >= 32  # generated, shown once
    listed = assert_success(admin_client.get("/api/webhooks"))["data"]
    assert [e["_id"] for e in listed] == [created["_id"]] and "secret" not in listed[0]
    # An enrollment writes an event and a delivery for this endpoint.
    enroll = {"courseId": world.course.pk, "batchId": world.batch.pk, "enrollment_type": "batch"}
    url = f"/api/enrollments/students/{world.other_student.pk}/enroll"
    assert_success(admin_client.post(url, enroll, format="json"), 201)
    log = assert_success(admin_client.get(f"/api/webhooks/{created['_id']}/deliveries"))["data"]
    assert [d["event_type"] for d in log] == ["enrollment.created"]
    assert log[0]["event_data"]["student"] == world.other_student.pk
    WebhookDelivery.objects.update(status="failed", attempts=6)
    again = assert_success(admin_client.post(f"/api/webhooks/deliveries/{log[0]['_id']}/redeliver"))
    assert (again["data"]["status"], again["data"]["attempts"]) == ("pending", 0)
    assert_success(admin_client.delete(f"/api/webhooks/{created['_id']}"))
    assert not WebhookEndpoint.objects.exists()


def test_registration_refusals(world, admin_client, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False
    post = lambda body: admin_client.post("/api/webhooks", body, format="json")  # noqa: E731
    loopback = {"url": "http://127.0.0.1/hook", "event_types": ["batch.full"]}
    assert_failure(post(loopback), 400, "private or local")
    ftp = {"url": "ftp://93.184.216.34/x", "event_types": ["batch.full"]}
    assert_failure(post(ftp), 400, "http")
    assert_failure(post({"url": "https://93.184.216.34/", "event_types": []}), 400)
    assert_failure(post({"url": "https://93.184.216.34/", "event_types": ["nope"]}), 400)
    short = {"url": "https://93.184.216.34/", "event_types": ["batch.full"], "secret": "short"}
    assert_failure(post(short), 400, "16 characters")
    assert_failure(admin_client.delete("/api/webhooks/999999"), 404)
