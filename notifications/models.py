"""A notification: one message to one user, shown in their inbox and sent by email.

The row is written in the transaction of the change it reports, so a rolled-back change
leaves no notification; its email is sent by a background task after commit and its
delivery is tracked on the row (``email_status``), so a failed send is never lost silently.
"""

from django.conf import settings
from django.db import models


class EmailStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    # Written while email was switched off (notifications_without_email, e.g. the demo seed).
    SKIPPED = "skipped", "Not emailed"


class NotificationQuerySet(models.QuerySet):
    def unread(self):
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    # What happened, e.g. "enrollment_created"; names the email templates.
    event = models.CharField(max_length=40)
    subject = models.CharField(max_length=200)
    body = models.TextField(help_text="Plain text; the email's text part and the inbox text.")
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

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["recipient", "read_at"]),
            models.Index(fields=["email_status"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(email_status__in=EmailStatus.values),
                name="notification_email_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject} → {self.recipient}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None
