"""A notification: one message to one user, shown in their inbox and sent by email.

The row is the outbox entry of its email. It is written in the transaction of the change it
reports with the event and its context as ids and plain values (``context``), so a
rolled-back change leaves no notification and the request renders nothing. The outbox
worker (``notifications.outbox``) claims it with a lease, renders it in the recipient's time
zone, sends it outside any transaction and marks it sent; a lease that expires (a crashed
worker) makes it due again. docs/notifications.md, "Delivery guarantee".
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy


class EmailStatus(models.TextChoices):
    PENDING = "pending", gettext_lazy("Pending")
    SENT = "sent", gettext_lazy("Sent")
    FAILED = "failed", gettext_lazy("Failed")
    # Written while email was switched off (notifications_without_email, e.g. the demo seed).
    SKIPPED = "skipped", gettext_lazy("Not emailed")


class NotificationQuerySet(models.QuerySet):
    def unread(self):
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    # What happened, e.g. "enrollment_created"; names the email templates.
    event = models.CharField(max_length=40)
    # The event's template context as ids and JSON values (notifications.context); rendered
    # into subject/body/body_html by the worker, or by the inbox if it gets there first.
    context = models.JSONField(default=dict, blank=True)
    rendered_at = models.DateTimeField(null=True, blank=True)
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField(
        blank=True, help_text=gettext_lazy("Plain text; the email's text part and the inbox text.")
    )
    body_html = models.TextField(blank=True)
    # Where the inbox entry links to (a path on this site), e.g. the batch's page.
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    email_status = models.CharField(
        max_length=7, choices=EmailStatus.choices, default=EmailStatus.PENDING
    )
    email_attempts = models.PositiveSmallIntegerField(default=0)
    email_error = models.TextField(blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    # The outbox lease: a worker that claims the email owns it until lease_until; after that
    # (the worker crashed or hung) another worker may claim it again. lease_token says whose.
    lease_until = models.DateTimeField(null=True, blank=True)
    lease_token = models.CharField(max_length=32, blank=True)
    # Deliberate re-sends of a sent email (admin action): part of the Message-ID, so that a
    # receiver that drops duplicates does not drop the one asked for.
    resends = models.PositiveSmallIntegerField(default=0)
    # A failed send waits until then before it is due again (growing delay).
    send_after = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["recipient", "read_at"]),
            models.Index(fields=["email_status"]),
            # The worker's question: which pending emails are due?
            models.Index(
                fields=["send_after", "id"],
                condition=models.Q(email_status="pending"),
                name="notification_outbox_due",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(email_status__in=EmailStatus.values),
                name="notification_email_status_valid",
            ),
            # Only a pending email can be claimed: a sent, failed or skipped one holds no lease.
            models.CheckConstraint(
                condition=models.Q(email_status="pending") | models.Q(lease_until__isnull=True),
                name="notification_lease_only_pending",
            ),
            # A sent email says when.
            models.CheckConstraint(
                condition=~models.Q(email_status="sent") | models.Q(emailed_at__isnull=False),
                name="notification_sent_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject} → {self.recipient}"

    @property
    def message_id(self) -> str:
        """The email's stable Message-ID: the same for every attempt, so that a receiver
        (or a test) can drop a duplicate sent after a crash."""
        domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].strip(" >") or "medh.local"
        stamp = int(self.created_at.timestamp())
        return f"<notification.{self.pk}.{stamp}.{self.resends}@{domain}>"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None
