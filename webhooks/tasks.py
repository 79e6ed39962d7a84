"""The webhook deliveries' task: one signed POST per delivery, with a timeout, outside any
transaction (the lease, not a row lock, keeps two workers from sending the same one)."""

from __future__ import annotations

import logging

import httpx
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from .models import DeliveryStatus
from .services import delivery_claim, delivery_finish, event_body, headers_for
from .urlcheck import check_url

logger = logging.getLogger(__name__)


def send(delivery_id: int) -> str:
    """Claim, send, record. Returns the delivery's status afterwards ("skipped" if it was not
    due or is held by another worker)."""
    delivery = delivery_claim(delivery_id=delivery_id)
    if delivery is None:
        return "skipped"
    endpoint, event = delivery.endpoint, delivery.event
    body = event_body(event)
    status_code, error = None, ""
    try:
        check_url(endpoint.url)  # again: the name may resolve elsewhere by now
        response = httpx.post(
            endpoint.url,
            content=body,
            headers=headers_for(event, endpoint.secret, body, timezone.now()),
            timeout=getattr(settings, "WEBHOOK_TIMEOUT", 10.0),
            follow_redirects=False,
        )
        status_code = response.status_code
        if not 200 <= status_code < 300:
            error = f"HTTP {status_code}: {response.text[:500]}"
    except Exception as exc:  # refused, timed out, DNS, a refused URL: all retried
        error = f"{type(exc).__name__}: {exc}"
    delivery = delivery_finish(delivery=delivery, status_code=status_code, error=error)
    if delivery.status == DeliveryStatus.PENDING:
        _retry(delivery)
    elif delivery.status == DeliveryStatus.FAILED:
        logger.error("Webhook delivery %s to %s failed for good: %s", delivery.pk, endpoint, error)
    return delivery.status


@task()
def deliver(delivery_id: int) -> str:
    return send(delivery_id)


def _retry(delivery) -> None:
    backend = deliver.get_backend()
    if backend.supports_defer:
        deliver.using(run_after=delivery.next_attempt_at).enqueue(delivery.pk)
    # The immediate backend cannot wait: ``manage.py deliver_webhooks`` (run periodically)
    # sends the deliveries that are due.


def queue_deliveries(sender, *, ids: list[int], **kwargs) -> None:
    """``deliveries_created``: queue each delivery once the change's transaction commits."""
    transaction.on_commit(lambda: [deliver.enqueue(pk) for pk in ids], robust=True)
