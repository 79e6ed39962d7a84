"""The account emails that accounts asks for (accounts.mail): an outbox row each, written in
the transaction of the invitation or reset request."""

from __future__ import annotations

import datetime as dt

from django.dispatch import receiver
from django.utils import timezone

from accounts.mail import PASSWORD_RESET, account_email_requested

from .models import Notification
from .services import notify

# A reset form submitted in a loop mails the account once per this interval.
RESET_EMAIL_INTERVAL = dt.timedelta(minutes=1)


@receiver(account_email_requested, dispatch_uid="notifications.account_email")
def queue_account_email(sender, user, event: str, invited_by=None, **kwargs) -> None:
    if event == PASSWORD_RESET:
        recent = Notification.objects.filter(
            recipient=user, event=event, created_at__gte=timezone.now() - RESET_EMAIL_INTERVAL
        )
        if recent.exists():
            return
    created = notify(recipients=[user], event=event, context={"invited_by": invited_by})
    # Read already: the email is what counts, and the bell of a user who signs in with
    # the link should not ring for the link itself.
    Notification.objects.filter(pk__in=[n.pk for n in created]).update(read_at=timezone.now())
