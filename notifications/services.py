"""Writing notifications: ``notify`` (from any app's services), marking them read, and
putting emails back in the outbox.

``notify`` writes one ``Notification`` row per recipient in the caller's transaction: the
inbox entry and the outbox entry of its email at once, holding the event's context as ids
(``notifications.context``). It renders nothing and sends nothing: the outbox worker
(``manage.py run_outbox``, ``notifications.outbox``) does that after the commit, outside any
transaction. A change that rolls back notifies nobody, and a slow or broken mail server
never slows or breaks the request that made the change.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable, Iterator
from contextvars import ContextVar

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import User

from . import outbox
from .context import freeze
from .models import EmailStatus, Notification
from .tasks import deliver_notifications

logger = logging.getLogger(__name__)

# Off inside notifications_without_email(): rows are still written, no email is queued.
_email_on: ContextVar[bool] = ContextVar("notification_email_on", default=True)


@contextlib.contextmanager
def notifications_without_email() -> Iterator[None]:
    """Write inbox rows but send no email (status "skipped") inside the block: for bulk jobs
    whose recipients must not be mailed, such as building the demo data."""
    token = _email_on.set(False)
    try:
        yield
    finally:
        _email_on.reset(token)


def notify(
    *, recipients: Iterable[User | None], event: str, context: dict, url: str = ""
) -> list[Notification]:
    """Notify each distinct, active recipient of ``event``: an inbox row and an outbox entry
    for its email, in the caller's transaction.

    ``context`` (model instances, dates, aware datetimes, numbers, strings, lists, dicts) is
    stored as ids and values and rendered later for each recipient, in their time zone, with
    ``recipient`` and ``url`` added; anything else is refused (TypeError). Locks nothing.
    Skips ``None``, duplicates and inactive users.
    """
    frozen = freeze(context)
    status = EmailStatus.PENDING if _email_on.get() else EmailStatus.SKIPPED
    seen: set[int] = set()
    notifications = []
    for user in recipients:
        if user is None or user.pk in seen or not user.is_active:
            continue
        seen.add(user.pk)
        notifications.append(
            Notification(recipient=user, event=event, context=frozen, url=url, email_status=status)
        )
    created = Notification.objects.bulk_create(notifications)
    if status == EmailStatus.PENDING and created:
        _wake([n.pk for n in created])
    return created


def _wake(ids: list[int]) -> None:
    """Tell delivery that ``ids`` are waiting, once the caller's transaction (if any) commits.

    With ``NOTIFICATION_DELIVERY = "worker"`` (production) the worker polls the outbox; with
    the task queue on Redis (``OUTBOX_WAKE_QUEUE``, ``TASK_BACKEND=rq``) a wake-up job is
    enqueued after the commit as well (``notifications.tasks``), so an RQ worker delivers them
    at once. A failed enqueue (Redis down) is logged and left to the poll; the rows stay the
    record. With ``"on_commit"`` (dev without a worker, tests) they are delivered in this
    process right after the commit; a failure there is logged and the rows stay in the outbox.
    """
    if settings.NOTIFICATION_DELIVERY != "on_commit":
        if getattr(settings, "OUTBOX_WAKE_QUEUE", False):
            if outbox.in_a_transaction():
                transaction.on_commit(lambda: _enqueue_wake(ids))
            else:
                _enqueue_wake(ids)
        return
    if outbox.in_a_transaction():
        transaction.on_commit(lambda: outbox.deliver_due(ids=ids, limit=len(ids)), robust=True)
    else:
        outbox.deliver_due(ids=ids, limit=len(ids))


def _enqueue_wake(ids: list[int]) -> None:
    try:
        deliver_notifications.enqueue(ids)
    except Exception as exc:  # Redis down or unreachable: the worker's poll sends them
        logger.warning(
            "Outbox wake-up for notifications %s not queued (%s: %s); the outbox worker's "
            "poll will send them",
            ids,
            type(exc).__name__,
            exc,
        )


def notifications_render(*, notifications: Iterable[Notification], recipient: User) -> None:
    """Render those of ``recipient``'s ``notifications`` not rendered yet (the inbox, before
    the worker got to them). One conditional UPDATE each; locks nothing."""
    unrendered = [n for n in notifications if n.rendered_at is None]
    if not unrendered:
        return
    contexts = dict(
        Notification.objects.filter(pk__in=[n.pk for n in unrendered]).values_list("pk", "context")
    )
    for notification in unrendered:
        notification.recipient = recipient
        notification.context = contexts[notification.pk]
        try:
            outbox.render(notification)
        except Exception:  # a broken template must not take the whole inbox down
            logger.exception("Notification %s could not be rendered", notification.pk)
            notification.subject = notification.event.replace("_", " ").capitalize()


def notification_mark_read(*, user: User, notification_id: int) -> bool:
    """Mark one of ``user``'s notifications read. Another user's id counts as not found."""
    updated = Notification.objects.filter(
        pk=notification_id, recipient=user, read_at__isnull=True
    ).update(read_at=timezone.now())
    return bool(updated) or Notification.objects.filter(pk=notification_id, recipient=user).exists()


def notifications_mark_all_read(*, user: User) -> int:
    """Mark every unread notification of ``user`` read; returns how many were unread."""
    return Notification.objects.unread().filter(recipient=user).update(read_at=timezone.now())


def notification_emails_resend(
    *,
    notification_ids: Iterable[int] | None = None,
    include_failed: bool = True,
    include_sent: bool = False,
) -> int:
    """Put emails back in the outbox, due now, with a fresh count of attempts; returns how
    many. The outbox worker sends them, under its lease, like any other.

    Pending ones (after a mail outage); with ``include_failed`` (default) also the ones that
    gave up; ``notification_ids``: of those only, and with ``include_sent`` the ones already
    sent too (the admin's "Send the email again": a new Message-ID, so a receiver that drops
    duplicates keeps it). Refuses by leaving out a pending email that a worker holds under
    an unexpired lease: it may be at the mail server right now, and sending it again is
    what made ``--pending-only`` send twice. Locks nothing: one UPDATE per status.
    """
    now = timezone.now()
    free = Q(lease_until__isnull=True) | Q(lease_until__lte=now)
    chosen = Notification.objects.all()
    if notification_ids is not None:
        chosen = chosen.filter(pk__in=list(notification_ids))
    again = {"email_status": EmailStatus.PENDING, "email_attempts": 0, "send_after": None}
    ids: list[int] = []
    with transaction.atomic():
        batches = [(chosen.filter(free, email_status=EmailStatus.PENDING), {})]
        if include_failed:
            batches.append((chosen.filter(email_status=EmailStatus.FAILED), {}))
        if include_sent:
            batches.append(
                (chosen.filter(email_status=EmailStatus.SENT), {"resends": F("resends") + 1})
            )
        for rows, extra in batches:
            pks = list(rows.values_list("pk", flat=True))
            Notification.objects.filter(pk__in=pks).update(
                **again, lease_until=None, lease_token="", **extra
            )
            ids += pks
    if ids:
        _wake(ids)
    return len(ids)
