"""Webhooks: endpoints an admin registers, the events the services write (in the change's
own transaction), and one delivery per event and endpoint, sent by the task worker."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy


class EventType(models.TextChoices):
    ENROLLMENT_CREATED = "enrollment.created", gettext_lazy("Enrollment created")
    ENROLLMENT_CANCELLED = "enrollment.cancelled", gettext_lazy("Enrollment cancelled")
    ENROLLMENT_TRANSFERRED = "enrollment.transferred", gettext_lazy("Enrollment transferred")
    BATCH_FULL = "batch.full", gettext_lazy("Batch full")
    BATCH_CREATED = "batch.created", gettext_lazy("Batch created")
    BATCH_STARTED = "batch.started", gettext_lazy("Batch started")
    BATCH_COMPLETED = "batch.completed", gettext_lazy("Batch completed")
    INSTRUCTOR_ASSIGNED = "instructor.assigned", gettext_lazy("Instructor assigned")
    INSTRUCTOR_UNASSIGNED = "instructor.unassigned", gettext_lazy("Instructor unassigned")
    COVER_ASSIGNED = "cover.assigned", gettext_lazy("Cover assigned")
    WAITLIST_PROMOTED = "waitlist.promoted", gettext_lazy("Waitlist promoted")


class WebhookEndpoint(models.Model):
    url = models.URLField(max_length=500)
    # The shared secret of the HMAC-SHA256 signature; shown once, when registered.
    secret = models.CharField(max_length=128)
    event_types = models.JSONField(default=list)
    description = models.CharField(max_length=200, blank=True)
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.url


class WebhookEvent(models.Model):
    """One event: its id is the receiver's key to drop a duplicate delivery."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    type = models.CharField(max_length=40, choices=EventType.choices)
    # Ids only (and a few stable codes): the receiver reads the rest through the API.
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.type} {self.id}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", gettext_lazy("Pending")
    SENDING = "sending", gettext_lazy("Sending")
    DELIVERED = "delivered", gettext_lazy("Delivered")
    FAILED = "failed", gettext_lazy("Failed")


class WebhookDelivery(models.Model):
    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="deliveries")
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    status = models.CharField(
        max_length=9, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    # While a worker sends, the delivery is leased to it until then; a worker that crashed
    # leaves a lease that expires, and the delivery is sent again.
    lease_until = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="webhook_due")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=DeliveryStatus.values),
                name="webhook_delivery_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint} ({self.status})"
