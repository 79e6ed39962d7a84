"""Background tasks of the notifications: sending one notification's email.

Runs on the configured task backend (settings.TASKS): immediately in dev and tests, in the
database worker (``manage.py db_worker``) in production.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django_tasks import task

from .models import EmailStatus, Notification

logger = logging.getLogger(__name__)


def _absolute(url: str) -> str:
    return settings.SITE_URL.rstrip("/") + url if url.startswith("/") else url


@task()
def send_notification_email(notification_id: int) -> str:
    """Send the email of one notification, once; on failure, record it and try again later.

    Locks the notification row while it sends, so two workers never send the same email.
    After ``NOTIFICATION_MAX_ATTEMPTS`` failed attempts the row stays ``failed`` with the
    last error (visible in the admin, and resent by ``manage.py resend_notifications``).
    """
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(of=("self",))
            .select_related("recipient")
            .filter(pk=notification_id)
            .first()
        )
        if notification is None or notification.email_status == EmailStatus.SENT:
            return "skipped"
        message = EmailMultiAlternatives(
            subject=notification.subject,
            body=notification.body
            + (f"\n{_absolute(notification.url)}\n" if notification.url else ""),
            to=[notification.recipient.email],
        )
        if notification.body_html:
            message.attach_alternative(notification.body_html, "text/html")
        try:
            message.send()
        except Exception as exc:  # any mail failure: SMTP, DNS, timeouts
            attempts = notification.email_attempts + 1
            gave_up = attempts >= settings.NOTIFICATION_MAX_ATTEMPTS
            Notification.objects.filter(pk=notification.pk).update(
                email_attempts=F("email_attempts") + 1,
                email_error=f"{type(exc).__name__}: {exc}"[:2000],
                email_status=EmailStatus.FAILED if gave_up else EmailStatus.PENDING,
            )
            if gave_up:
                logger.error(
                    "Notification %s to %s failed %s times, giving up: %s",
                    notification.pk,
                    notification.recipient.email,
                    attempts,
                    exc,
                )
                return "failed"
            logger.warning(
                "Notification %s to %s failed (attempt %s), retrying: %s",
                notification.pk,
                notification.recipient.email,
                attempts,
                exc,
            )
        else:
            Notification.objects.filter(pk=notification.pk).update(
                email_status=EmailStatus.SENT,
                email_attempts=F("email_attempts") + 1,
                emailed_at=timezone.now(),
                email_error="",
            )
            return "sent"
    _retry(notification_id, attempts)
    return "retrying"


def _retry(notification_id: int, attempts: int) -> None:
    backend = send_notification_email.get_backend()
    if backend.supports_defer:
        delay = dt.timedelta(seconds=30 * 2 ** (attempts - 1))  # 30 s, 1 min, 2 min, ...
        send_notification_email.using(run_after=timezone.now() + delay).enqueue(notification_id)
    else:
        # The immediate backend (dev, tests) cannot wait: it tries again at once.
        send_notification_email.enqueue(notification_id)
