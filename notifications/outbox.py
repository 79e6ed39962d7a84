"""The email outbox: claim due notifications with a lease, render, send, mark.

Each notification row is an outbox entry (``notify`` writes it in the change's transaction).
Delivery, by ``deliver_due`` (the worker, ``manage.py run_outbox``, or right after the commit
in dev and tests):

1. **claim** (one short transaction): pending rows that are due and not leased, locked with
   ``SKIP LOCKED`` in pk order, get a lease (``lease_until``, ``lease_token``) and one more
   attempt. A row whose lease expired (its worker died or hung) is due again.
2. **render** (no transaction): the event's templates with the stored context, in the
   recipient's language and time zone; stored on the row unless the inbox got there first.
   An email the recipient switched off (``User.email_off``, their notification
   preferences) is marked skipped instead, unrendered: the inbox renders it when shown.
   The preference is read here, not when the row is written, so a change made while an
   email waits (a retry, a worker backlog) still counts.
3. **send** (no transaction, no lock): one SMTP conversation bounded by ``EMAIL_TIMEOUT``,
   with a stable ``Message-ID`` (``Notification.message_id``).
4. **mark** (one statement): sent, or pending with a growing delay, or failed after
   ``NOTIFICATION_MAX_ATTEMPTS`` attempts.

A crash between 3 and 4 sends the email again when the lease expires, with the same
Message-ID: delivery is at-least-once, with an idempotency key. Nothing here holds a
transaction or a row lock while it talks to the mail server.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import smtplib
import time
import zoneinfo
from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import Error as DatabaseFailure
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext

from accounts.models import default_language
from accounts.preferences import ACCOUNT_EVENTS

from .context import thaw
from .models import EmailStatus, Notification

logger = logging.getLogger(__name__)

TEMPLATE_DIR = "notifications"
# Errors after which this connection (and probably the server) is not worth another message
# of the same batch: the rest of the batch is handed back unattempted.
CONNECTION_ERRORS = (OSError, smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError)


def absolute(url: str) -> str:
    return settings.SITE_URL.rstrip("/") + url if url.startswith("/") else url


def _recipient_zone(recipient) -> zoneinfo.ZoneInfo:
    name = getattr(recipient, "time_zone", None) or settings.TIME_ZONE
    try:
        return zoneinfo.ZoneInfo(str(name))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def _recipient_language(recipient) -> str:
    return getattr(recipient, "language", None) or default_language()


def render(notification: Notification) -> Notification:
    """Fill ``subject``, ``body`` and ``body_html`` of ``notification`` (recipient loaded)
    from its event's templates, once, in the recipient's language and time zone: the first
    rendering stored wins, so the inbox and the email say the same. Writes one conditional
    UPDATE; locks nothing."""
    if notification.rendered_at is not None:
        return notification
    recipient = notification.recipient
    context = {
        **thaw(notification.context),
        "recipient": recipient,
        "url": notification.url,
        "site_url": settings.SITE_URL,
    }
    with (
        timezone.override(_recipient_zone(recipient)),
        translation.override(_recipient_language(recipient)),
    ):
        event = notification.event
        subject = render_to_string(f"{TEMPLATE_DIR}/{event}.subject.txt", context)
        text = render_to_string(f"{TEMPLATE_DIR}/{event}.txt", context)
        html = render_to_string(f"{TEMPLATE_DIR}/{event}.html", context)
    fields = {
        "subject": " ".join(subject.split())[:200],
        "body": text.strip() + "\n",
        "body_html": html,
        "rendered_at": timezone.now(),
    }
    stored = Notification.objects.filter(pk=notification.pk, rendered_at__isnull=True).update(
        **fields
    )
    if stored:
        for name, value in fields.items():
            setattr(notification, name, value)
    else:  # rendered meanwhile by someone else: use theirs
        notification.refresh_from_db(fields=[*fields])
    return notification


def render_all(notifications: Iterable[Notification]) -> None:
    """Render those of ``notifications`` not rendered yet (the inbox page's items)."""
    for notification in notifications:
        if notification.rendered_at is None:
            render(notification)


def email_of(notification: Notification) -> EmailMultiAlternatives:
    link = f"\n{absolute(notification.url)}\n" if notification.url else ""
    message = EmailMultiAlternatives(
        subject=notification.subject,
        body=notification.body + link,
        to=[notification.recipient.email],
        headers={"Message-ID": notification.message_id},
    )
    if notification.body_html:
        message.attach_alternative(notification.body_html, "text/html")
    return message


def _due(now: dt.datetime) -> Q:
    return (
        Q(email_status=EmailStatus.PENDING)
        & (Q(send_after__isnull=True) | Q(send_after__lte=now))
        & (Q(lease_until__isnull=True) | Q(lease_until__lte=now))
    )


def claim(*, limit: int, ids: Iterable[int] | None = None) -> tuple[str, list[Notification]]:
    """Lease up to ``limit`` due notifications (of ``ids`` only, if given) for
    ``NOTIFICATION_LEASE_SECONDS``; returns the lease token and the claimed rows, recipient
    loaded, in pk order.

    Locks the candidate rows (``SKIP LOCKED``: rows another worker is claiming are left to
    it) in pk order for the claim's own short transaction only. A row that already used its
    last attempt (its worker died during it) is marked failed instead of claimed.
    """
    token = secrets.token_hex(16)
    now = timezone.now()
    max_attempts = settings.NOTIFICATION_MAX_ATTEMPTS
    due = Notification.objects.filter(_due(now))
    if not (due.filter(pk__in=list(ids)) if ids is not None else due).exists():
        return token, []  # an idle poll opens no write transaction (SQLite: no write lock)
    with transaction.atomic():
        candidates = Notification.objects.select_for_update(of=("self",), skip_locked=True)
        candidates = candidates.filter(_due(now))
        if ids is not None:
            candidates = candidates.filter(pk__in=list(ids))
        rows = list(candidates.order_by("pk").values_list("pk", "email_attempts")[:limit])
        exhausted = [pk for pk, attempts in rows if attempts >= max_attempts]
        chosen = [pk for pk, attempts in rows if attempts < max_attempts]
        if exhausted:
            Notification.objects.filter(pk__in=exhausted).filter(_due(now)).update(
                email_status=EmailStatus.FAILED,
                lease_until=None,
                lease_token="",
                email_error=gettext("The worker stopped during the last attempt (lease expired)."),
            )
            logger.error("Notifications %s: last attempt lost, marked failed", exhausted)
        # The filter again: on SQLite (no row locks) a concurrent claim may have won a row.
        Notification.objects.filter(pk__in=chosen).filter(_due(now)).update(
            lease_until=now + dt.timedelta(seconds=settings.NOTIFICATION_LEASE_SECONDS),
            lease_token=token,
            email_attempts=F("email_attempts") + 1,
        )
    claimed = list(
        Notification.objects.filter(pk__in=chosen, lease_token=token)
        .select_related("recipient")
        .order_by("pk")
    )
    return token, claimed


def _release(rows: list[Notification], token: str) -> None:
    """Hand back claimed rows that were not attempted: due again at once, attempt refunded."""
    if rows:
        Notification.objects.filter(pk__in=[n.pk for n in rows], lease_token=token).update(
            lease_until=None, lease_token="", email_attempts=F("email_attempts") - 1
        )


def _mark_sent(notification: Notification) -> None:
    # By pk only: sent is the truth even if this worker's lease ran out meanwhile.
    Notification.objects.filter(pk=notification.pk, email_status=EmailStatus.PENDING).update(
        email_status=EmailStatus.SENT,
        emailed_at=timezone.now(),
        email_error="",
        lease_until=None,
        lease_token="",
        send_after=None,
    )


def _forget_link(notification: Notification) -> None:
    """An account email's link is a credential (it sets the password): once the email is
    out, the stored copy (the inbox's) keeps a note instead, so no live link rests in the
    database or its backups."""
    with translation.override(_recipient_language(notification.recipient)):
        note = gettext(
            "We emailed you a link to choose your password. For your safety the link is "
            "not kept here: use the email, or ask for a new link."
        )
    Notification.objects.filter(pk=notification.pk).update(body=note + "\n", body_html="")


def _mark_skipped(notification: Notification, token: str) -> None:
    """The recipient switched this kind of email off: no email, the inbox keeps the row."""
    Notification.objects.filter(pk=notification.pk, lease_token=token).update(
        email_status=EmailStatus.SKIPPED, lease_until=None, lease_token="", send_after=None
    )


def wants_email(notification: Notification) -> bool:
    """Whether the recipient gets this notification by email (their preferences); account
    emails (invitation, password reset) always."""
    return notification.event in ACCOUNT_EVENTS or notification.recipient.wants_email(
        notification.event
    )


def _mark_failed(notification: Notification, token: str, exc: BaseException) -> str:
    attempts = notification.email_attempts  # counted at the claim
    gave_up = attempts >= settings.NOTIFICATION_MAX_ATTEMPTS
    delay = dt.timedelta(seconds=settings.NOTIFICATION_RETRY_SECONDS * 2 ** (attempts - 1))
    Notification.objects.filter(pk=notification.pk, lease_token=token).update(
        email_status=EmailStatus.FAILED if gave_up else EmailStatus.PENDING,
        email_error=f"{type(exc).__name__}: {exc}"[:2000],
        send_after=None if gave_up else timezone.now() + delay,
        lease_until=None,
        lease_token="",
    )
    address = notification.recipient.email
    if gave_up:
        logger.error(
            "Notification %s to %s failed %s times, giving up: %s",
            notification.pk,
            address,
            attempts,
            exc,
        )
        return "failed"
    logger.warning(
        "Notification %s to %s failed (attempt %s), retrying in %s: %s",
        notification.pk,
        address,
        attempts,
        delay,
        exc,
    )
    return "retrying"


def _abandon(mail) -> None:
    """Drop the SMTP connection without a QUIT: after a timeout or a stop, waiting for the
    server's answer to QUIT could take another EMAIL_TIMEOUT."""
    smtp = getattr(mail, "connection", None)
    if smtp is not None:
        smtp.close()
        mail.connection = None


def in_a_transaction() -> bool:
    # The transaction a test case wraps around each test does not count: it stands for
    # the autocommit of a real process.
    blocks = transaction.get_connection().atomic_blocks
    return any(not getattr(block, "_from_testcase", False) for block in blocks)


def deliver_due(
    *,
    limit: int = 10,
    ids: Iterable[int] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> dict[str, int]:
    """Claim, render, send and mark up to ``limit`` due notifications (of ``ids`` only, if
    given); returns how many were ``sent``, ``retrying``, ``failed``, ``released`` and
    ``skipped`` (the recipient switched that kind of email off).

    Runs outside any transaction (refuses to run inside one: it would hold it open while it
    talks to the mail server). Stops early, handing the rest back, when ``should_stop()``
    says so, when the mail server is unreachable, or when half the lease is used up.
    """
    if in_a_transaction():
        raise RuntimeError("deliver_due must not run inside a transaction")
    token, claimed = claim(limit=limit, ids=ids)
    counts = {"sent": 0, "retrying": 0, "failed": 0, "released": 0, "skipped": 0}
    if not claimed:
        return counts
    deadline = time.monotonic() + settings.NOTIFICATION_LEASE_SECONDS / 2
    mail = get_connection(fail_silently=False)
    try:
        for index, notification in enumerate(claimed):
            if should_stop() or time.monotonic() > deadline:
                _release(claimed[index:], token)
                counts["released"] += len(claimed) - index
                break
            if not wants_email(notification):
                _mark_skipped(notification, token)
                counts["skipped"] += 1
                continue
            try:
                message = email_of(render(notification))
                mail.open()  # once per batch: a no-op while the connection is open
                mail.send_messages([message])
            except DatabaseFailure:  # InterfaceError is not a DatabaseError
                raise  # not the email's fault: the worker reconnects, the lease expires
            except Exception as exc:  # SMTP, DNS, timeouts, a template that fails
                counts[_mark_failed(notification, token, exc)] += 1
                if isinstance(exc, CONNECTION_ERRORS):
                    _abandon(mail)
                    _release(claimed[index + 1 :], token)
                    counts["released"] += len(claimed) - index - 1
                    break
            else:
                _mark_sent(notification)
                if notification.event in ACCOUNT_EVENTS:
                    _forget_link(notification)
                counts["sent"] += 1
    except BaseException:
        # Stopped mid-send (SIGTERM's grace ran out) or the database went away: what was
        # not marked keeps its lease, which expires, so it is retried.
        _abandon(mail)
        raise
    mail.close()
    return counts
