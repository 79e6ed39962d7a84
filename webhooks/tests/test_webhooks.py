"""Webhooks end to end against a real HTTP receiver on loopback (a threaded http.server):
the signature, retries after a refused delivery, leases, and nothing sent on a rollback."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from accounts.tests.factories import AdminFactory, StudentFactory
from allocation.tests.factories import StaffedBatchFactory
from core.errors import DomainError
from enrollments import services as enrollment_services
from webhooks import services
from webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEvent
from webhooks.tasks import send

pytestmark = pytest.mark.django_db


class Receiver:
    """A webhook receiver on 127.0.0.1: answers each request with the next of ``answers``
    (then 200) and keeps what it got."""

    def __init__(self, answers=()):
        self.answers = list(answers)
        self.requests: list[tuple[dict, bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((dict(self.headers), body))
                code = receiver.answers.pop(0) if receiver.answers else 200
                self.send_response(code)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def verify(secret: str, headers: dict, body: bytes) -> bool:
    """What a receiver does (docs/webhooks.md): recompute the HMAC of "<timestamp>.<body>"."""
    expected = hmac.new(
        secret.encode(), f"{headers['Medh-Timestamp']}.".encode() + body, hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(headers["Medh-Signature"], f"v1={expected}")


@pytest.fixture
def allow_loopback(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True


def _endpoint(url, types=("enrollment.created",)):
    return services.endpoint_register(
        url=url, event_types=types, created_by=AdminFactory(), secret="s" * 32
    )


def _enroll(batch):
    return enrollment_services.enrollment_create(
        student=StudentFactory(), course=batch.course, batch=batch
    )


def test_a_delivery_is_signed_and_carries_the_event_id(
    allow_loopback, django_capture_on_commit_callbacks
):
    batch = StaffedBatchFactory(capacity=5)
    with Receiver() as receiver:
        endpoint = _endpoint(receiver.url)
        with django_capture_on_commit_callbacks(execute=True):
            enrollment = _enroll(batch)
    assert len(receiver.requests) == 1
    headers, body = receiver.requests[0]
    assert verify(endpoint.secret, headers, body)
    assert not verify("another secret!!", headers, body)
    payload = json.loads(body)
    assert payload["type"] == "enrollment.created" == headers["Medh-Event-Type"]
    assert payload["id"] == headers["Medh-Event-Id"]
    assert payload["data"]["enrollment"] == enrollment.pk
    assert abs(int(headers["Medh-Timestamp"]) - timezone.now().timestamp()) < 60
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 1, 200)


def test_a_refused_delivery_is_retried_later_and_then_delivered(allow_loopback):
    batch = StaffedBatchFactory(capacity=5)
    with Receiver(answers=[503]) as receiver:
        _endpoint(receiver.url)
        _enroll(batch)  # no commit in this test: the deliveries are sent by hand below
        delivery = WebhookDelivery.objects.get()
        assert send(delivery.pk) == DeliveryStatus.PENDING
        delivery.refresh_from_db()
        assert delivery.attempts == 1 and delivery.last_status_code == 503
        assert delivery.next_attempt_at > timezone.now()  # backoff: not due yet
        assert send(delivery.pk) == "skipped"
        # The delay passes: the periodic command sends it again.
        WebhookDelivery.objects.update(next_attempt_at=timezone.now())
        call_command("deliver_webhooks")
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.DELIVERED, 2)
    first, second = receiver.requests
    assert first[0]["Medh-Event-Id"] == second[0]["Medh-Event-Id"]  # the receiver can dedupe


def test_a_connection_refused_is_retried_and_gives_up_after_the_last_attempt(
    allow_loopback, settings
):
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    with Receiver() as receiver:
        url = receiver.url  # nothing listens there once the receiver stops
    _endpoint(url)
    _enroll(StaffedBatchFactory(capacity=5))
    delivery = WebhookDelivery.objects.get()
    assert send(delivery.pk) == DeliveryStatus.PENDING
    delivery.refresh_from_db()
    assert "ConnectError" in delivery.last_error
    WebhookDelivery.objects.update(next_attempt_at=timezone.now())
    assert send(delivery.pk) == DeliveryStatus.FAILED


def test_a_rolled_back_change_sends_nothing(allow_loopback, django_capture_on_commit_callbacks):
    batch = StaffedBatchFactory(capacity=5)
    with Receiver() as receiver:
        _endpoint(receiver.url)
        with (
            django_capture_on_commit_callbacks(execute=True) as callbacks,
            pytest.raises(DomainError),
            transaction.atomic(),
        ):
            _enroll(batch)
            raise DomainError("changed my mind")
        assert callbacks == []
    assert receiver.requests == []
    assert not WebhookEvent.objects.exists() and not WebhookDelivery.objects.exists()


def test_an_expired_lease_is_sent_again(allow_loopback):
    with Receiver() as receiver:
        _endpoint(receiver.url)
        _enroll(StaffedBatchFactory(capacity=5))
        delivery = WebhookDelivery.objects.get()
        now = timezone.now()
        # A worker claimed it and died: while its lease runs nobody else sends it...
        assert services.delivery_claim(delivery_id=delivery.pk, now=now) is not None
        assert services.deliveries_due(now) == []
        assert send(delivery.pk) == "skipped"
        # ...once the lease expired, it is due again.
        later = now + services.LEASE + dt.timedelta(seconds=1)
        assert services.deliveries_due(later) == [delivery.pk]
        WebhookDelivery.objects.update(lease_until=now - dt.timedelta(seconds=1))
        assert send(delivery.pk) == DeliveryStatus.DELIVERED
    assert len(receiver.requests) == 1


def test_only_subscribed_event_types_and_batch_full(allow_loopback):
    batch = StaffedBatchFactory(capacity=1)
    with Receiver() as receiver:
        _endpoint(receiver.url, types=["batch.full"])
        _enroll(batch)
    events = list(WebhookEvent.objects.values_list("type", flat=True))
    assert events == ["batch.full"]


def test_private_and_non_http_urls_are_refused(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False
    for url in (
        "http://127.0.0.1:8000/hook",
        "http://10.1.2.3/hook",
        "http://[::1]/hook",
        "http://169.254.169.254/latest",
    ):
        with pytest.raises(DomainError, match="private or local"):
            _endpoint(url)
    for url in ("ftp://93.184.216.34/x", "file:///etc/passwd", "http:///nohost"):
        with pytest.raises(DomainError, match="http"):
            _endpoint(url)
    with pytest.raises(DomainError, match="Unknown event types"):
        _endpoint("https://93.184.216.34/hook", types=["batch.exploded"])
    assert _endpoint("https://93.184.216.34/hook").pk


def test_the_console_log_and_redeliver(allow_loopback, client):
    admin = AdminFactory()
    with Receiver() as receiver:
        _endpoint(receiver.url)
        _enroll(StaffedBatchFactory(capacity=5))
        delivery = WebhookDelivery.objects.get()
        send(delivery.pk)
        client.force_login(admin)
        page = client.get("/console/webhooks/")
        assert page.status_code == 200
        assert str(delivery.event_id) in page.content.decode()
        response = client.post(f"/console/webhooks/deliveries/{delivery.pk}/redeliver/")
        assert response.status_code == 302
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 0)
        assert send(delivery.pk) == DeliveryStatus.DELIVERED
    assert len(receiver.requests) == 2
    student = StudentFactory()
    client.force_login(student)
    assert client.get("/console/webhooks/").status_code in (302, 403)


def test_an_admin_starting_and_completing_a_batch_by_hand_emits_its_events(allow_loopback):
    from allocation.services import batch_update

    batch = StaffedBatchFactory(status="Upcoming")
    _endpoint("http://127.0.0.1:9/hook", types=["batch.started", "batch.completed"])

    batch_update(batch=batch, status="Active")
    batch_update(batch=batch, batch_name="Renamed")  # no status change: no event
    batch_update(batch=batch, status="Completed")

    # (An event's id is a UUID, the receiver's idempotency key: no order to read from it.)
    events = sorted(WebhookEvent.objects.values_list("type", "data"), key=lambda e: e[0])
    data = {"batch": batch.pk, "course": batch.course_id}
    assert events == [("batch.completed", data), ("batch.started", data)]


@pytest.mark.parametrize("n", [1, 15])
def test_the_console_log_renders_in_a_fixed_number_of_queries(
    client, django_assert_max_num_queries, n
):
    endpoint = _endpoint("http://127.0.0.1:9/hook", types=["batch.full"])
    for _ in range(n):
        event = WebhookEvent.objects.create(type="batch.full", data={"batch": 1})
        WebhookDelivery.objects.create(event=event, endpoint=endpoint)
    client.force_login(AdminFactory())
    # Session, user, the endpoints, the log's count and its page of rows (event and endpoint
    # joined): five, with 1 delivery as with 15.
    with django_assert_max_num_queries(5):
        page = client.get("/console/webhooks/")
    assert page.status_code == 200
    assert page.content.decode().count("/redeliver/") == n
