"""Writing notifications: ``notify`` (from any app's services) and marking them read.

``notify`` renders the event's templates, writes one ``Notification`` row per recipient in the
caller's transaction and queues one email task per row so that the task can only run once
that transaction has committed: a change that rolls back notifies nobody, and a slow or broken
mail server never slows or breaks the request that made the change (``_queue_emails``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from contextvars import ContextVar

from django.conf import settings
from django.db import router, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django_tasks_db import DatabaseBackend

from accounts.models import User

from .models import EmailStatus, Notification
from .tasks import send_notification_email

# Templates per event, under templates/notifications/: <event>.subject.txt (one line),
# <event>.txt (plain text) and <event>.html (the HTML alternative).
TEMPLATE_DIR = "notifications"


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


def _render(event: str, context: dict) -> tuple[str, str, str]:
    subject = render_to_string(f"{TEMPLATE_DIR}/{event}.subject.txt", context)
    text = render_to_string(f"{TEMPLATE_DIR}/{event}.txt", context)
    html = render_to_string(f"{TEMPLATE_DIR}/{event}.html", context)
    return " ".join(subject.split())[:200], text.strip() + "\n", html


def notify(
    *, recipients: Iterable[User | None], event: str, context: dict, url: str = ""
) -> list[Notification]:
    """Notify each distinct, active recipient of ``event`` (inbox row now, email once the
    caller's transaction commits).

    ``context`` is given to the templates with ``recipient`` added. Runs in the caller's
    transaction and locks nothing. Skips ``None``, duplicates and inactive users.
    """
    seen: set[int] = set()
    notifications = []
    for user in recipients:
        if user is None or user.pk in seen or not user.is_active:
            continue
        seen.add(user.pk)
        subject, text, html = _render(
            event, {**context, "recipient": user, "url": url, "site_url": settings.SITE_URL}
        )
        notifications.append(
            Notification(
                recipient=user,
                event=event,
                subject=subject,
                body=text,
                body_html=html,
                url=url,
                email_status=EmailStatus.PENDING if _email_on.get() else EmailStatus.SKIPPED,
            )
        )
    created = Notification.objects.bulk_create(notifications)
    ids = [n.pk for n in created if n.email_status == EmailStatus.PENDING]
    if ids:
        _queue_emails(ids)
    return created


def _queue_emails(ids: list[int]) -> None:
    """Queue the email tasks of the notifications ``ids`` (just written, uncommitted) so that
    none can run before the caller's transaction commits, and none survives its rollback.

    - A backend that stores tasks as rows of this same database (django-tasks-db, production):
      the task rows are written now, in the caller's transaction. They commit or roll back
      with the notification rows, and the worker, which reads only committed rows, cannot
      start one early. No second transaction and no gap: a crash right after the commit can
      no longer leave a notification pending with no task.
    - Any other backend is queued on commit: the immediate one (dev, tests) runs the task as
      it is queued, which must not happen before the commit, and a Redis queue is outside
      the transaction. Robustly: a queue that is down logs the error, the committed change
      stands and the rows stay pending for ``manage.py resend_notifications``.
    """
    if _tasks_share_the_transaction(send_notification_email.get_backend()):
        _enqueue_emails(ids)
    else:
        transaction.on_commit(lambda: _enqueue_emails(ids), robust=True)


def _tasks_share_the_transaction(backend) -> bool:
    """Whether ``backend`` writes its tasks to the database the notifications are written to."""
    from django_tasks_db.models import DBTaskResult

    return isinstance(backend, DatabaseBackend) and router.db_for_write(
        DBTaskResult
    ) == router.db_for_write(Notification)


def _enqueue_emails(ids: list[int]) -> None:
    """Queue one email task per notification (when: ``_queue_emails``)."""
    for pk in ids:
        send_notification_email.enqueue(pk)


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
    """Queue the email of every notification not yet sent, with a fresh count of attempts;
    returns how many were queued.

    ``include_failed`` (default): also the ones that gave up. ``notification_ids``: of those
    only, and with ``include_sent`` the ones already sent too (the admin's "Send the email
    again"). For ``manage.py resend_notifications`` after a mail outage and the admin action.
    Locks nothing: the email task locks its row and skips one that is sent when it runs.
    """
    statuses = [EmailStatus.PENDING]
    statuses += [EmailStatus.FAILED] if include_failed else []
    statuses += [EmailStatus.SENT] if include_sent else []
    chosen = Notification.objects.filter(email_status__in=statuses)
    if notification_ids is not None:
        chosen = chosen.filter(pk__in=list(notification_ids))
    ids = list(chosen.values_list("pk", flat=True))
    Notification.objects.filter(pk__in=ids).exclude(email_status=EmailStatus.PENDING).update(
        email_status=EmailStatus.PENDING, email_attempts=0
    )
    for pk in ids:
        send_notification_email.enqueue(pk)
    return len(ids)
