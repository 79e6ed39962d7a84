"""Webhook writes: register endpoints, write events (in the caller's transaction), claim,
finish and redeliver deliveries. No HTTP here: ``tasks`` sends, outside any transaction.

How an event reaches a receiver:

1. A service that changes something calls ``event_emit(type=..., data={ids})`` inside its own
   transaction: one ``WebhookEvent`` and one ``WebhookDelivery`` per active endpoint that
   subscribed to the type. A rollback removes them with the change: nothing is sent.
2. After commit the worker runs ``tasks.deliver`` per delivery: it claims a lease
   (``delivery_claim``), sends the signed request with a timeout, then records the answer
   (``delivery_finish``): delivered on a 2xx, else tried again later with a growing delay
   (``WEBHOOK_MAX_ATTEMPTS`` in all). A worker that dies mid-send leaves a lease that expires;
   ``deliveries_due`` (``manage.py deliver_webhooks``) picks such deliveries up again.
3. Every request carries the event's id: a receiver that sees an id twice drops it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import secrets
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import User
from core.errors import DomainError

from .models import DeliveryStatus, EventType, WebhookDelivery, WebhookEndpoint, WebhookEvent
from .signals import deliveries_created
from .urlcheck import check_url

LEASE = dt.timedelta(seconds=60)


def _setting(name: str, default):
    return getattr(settings, name, default)


# --- endpoints -------------------------------------------------------------------------------


@transaction.atomic
def endpoint_register(
    *,
    url: str,
    event_types: Iterable[str],
    created_by: User | None,
    secret: str = "",
    description: str = "",
) -> WebhookEndpoint:
    """Register an endpoint for ``event_types``; a secret is generated when none is given.

    Locks nothing. Refuses a URL that is not http(s) or points at a private or local address
    (``urlcheck.check_url``), an unknown event type, no event type, a secret under 16
    characters."""
    check_url(url)
    types = sorted(set(event_types))
    if not types:
        raise DomainError(gettext("Choose at least one event type"), field="event_types")
    unknown = [t for t in types if t not in EventType.values]
    if unknown:
        raise DomainError(
            gettext("Unknown event types: %(items)s") % {"items": ", ".join(unknown)},
            field="event_types",
        )
    if secret and len(secret) < 16:
        raise DomainError(gettext("The secret must have at least 16 characters"), field="secret")
    return WebhookEndpoint.objects.create(
        url=url,
        secret=secret or secrets.token_urlsafe(32),
        event_types=types,
        description=description.strip(),
        created_by=created_by,
    )


@transaction.atomic
def endpoint_delete(*, endpoint: WebhookEndpoint) -> None:
    """Remove an endpoint and its deliveries (its events stay for the other endpoints)."""
    WebhookEndpoint.objects.filter(pk=endpoint.pk).delete()


# --- events ----------------------------------------------------------------------------------


@transaction.atomic(savepoint=False)  # joins the change's transaction (no savepoint)
def event_emit(*, type: str, data: dict) -> WebhookEvent | None:
    """Write an event of ``type`` (an ``EventType``) with ``data`` (ids) and a delivery for
    each active endpoint that subscribed to it, in the caller's transaction. Writes nothing
    when no endpoint wants it. Locks nothing."""
    assert type in EventType.values, type
    endpoints = [e for e in WebhookEndpoint.objects.filter(active=True) if type in e.event_types]
    if not endpoints:
        return None
    event = WebhookEvent.objects.create(type=type, data=data)
    deliveries = WebhookDelivery.objects.bulk_create(
        [WebhookDelivery(event=event, endpoint=endpoint) for endpoint in endpoints]
    )
    deliveries_created.send(sender=WebhookEvent, ids=[d.pk for d in deliveries])
    return event


def event_body(event: WebhookEvent) -> bytes:
    """The request body: ``{"id", "type", "created", "data"}`` as compact JSON."""
    return json.dumps(
        {
            "id": str(event.id),
            "type": event.type,
            "created": event.created_at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
            "data": event.data,
        },
        separators=(",", ":"),
        sort_keys=True,
    ).encode()


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """``v1=`` + hex HMAC-SHA256 of ``"<timestamp>.<body>"`` under the endpoint's secret."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"v1={mac.hexdigest()}"


def headers_for(event: WebhookEvent, secret: str, body: bytes, now: dt.datetime) -> dict:
    timestamp = int(now.timestamp())
    return {
        "Content-Type": "application/json",
        "User-Agent": "Medh-Webhooks/1",
        "Medh-Event-Id": str(event.id),
        "Medh-Event-Type": event.type,
        "Medh-Timestamp": str(timestamp),
        "Medh-Signature": signature(secret, timestamp, body),
    }


# --- deliveries ------------------------------------------------------------------------------


def _claimable(now: dt.datetime) -> Q:
    return Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=now) | Q(
        status=DeliveryStatus.SENDING, lease_until__lt=now
    )


def delivery_claim(*, delivery_id: int, now: dt.datetime | None = None) -> WebhookDelivery | None:
    """Lease a due delivery to this worker for ``LEASE`` (one UPDATE: two workers never both
    get it); None when it is not due, already delivered, failed for good or leased."""
    now = now or timezone.now()
    claimed = WebhookDelivery.objects.filter(_claimable(now), pk=delivery_id).update(
        status=DeliveryStatus.SENDING, lease_until=now + LEASE, attempts=F("attempts") + 1
    )
    if not claimed:
        return None
    return WebhookDelivery.objects.select_related("event", "endpoint").get(pk=delivery_id)


def backoff(attempts: int) -> dt.timedelta:
    """The wait after the ``attempts``-th failure: 30 s, 1 min, 2 min, ... at most 1 hour."""
    return min(dt.timedelta(seconds=30 * 2 ** (attempts - 1)), dt.timedelta(hours=1))


def delivery_finish(
    *,
    delivery: WebhookDelivery,
    status_code: int | None,
    error: str = "",
    now: dt.datetime | None = None,
) -> WebhookDelivery:
    """Record an attempt's outcome: delivered on a 2xx answer; otherwise pending again after
    ``backoff``, or failed once ``WEBHOOK_MAX_ATTEMPTS`` attempts were made. Only the lease's
    holder writes: a delivery re-leased meanwhile is left to its new holder."""
    now = now or timezone.now()
    fields = {"last_status_code": status_code, "last_error": error[:2000], "lease_until": None}
    if status_code is not None and 200 <= status_code < 300:
        fields.update(status=DeliveryStatus.DELIVERED, delivered_at=now, last_error="")
    elif delivery.attempts >= _setting("WEBHOOK_MAX_ATTEMPTS", 6):
        fields.update(status=DeliveryStatus.FAILED)
    else:
        fields.update(
            status=DeliveryStatus.PENDING, next_attempt_at=now + backoff(delivery.attempts)
        )
    WebhookDelivery.objects.filter(
        pk=delivery.pk, status=DeliveryStatus.SENDING, attempts=delivery.attempts
    ).update(**fields)
    delivery.refresh_from_db()
    return delivery


@transaction.atomic
def delivery_redeliver(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery again now (an admin's "redeliver"), whatever its state, with a fresh
    count of attempts; the same event id, so a receiver that got it already drops it."""
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.PENDING, next_attempt_at=timezone.now(), attempts=0, lease_until=None
    )
    deliveries_created.send(sender=WebhookEvent, ids=[delivery.pk])
    delivery.refresh_from_db()
    return delivery


def deliveries_due(now: dt.datetime | None = None, limit: int = 500) -> list[int]:
    """Ids of the deliveries to send now: pending and due, or leased by a worker whose lease
    expired (it crashed or hung)."""
    now = now or timezone.now()
    return list(
        WebhookDelivery.objects.filter(_claimable(now))
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
