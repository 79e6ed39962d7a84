"""The outbox's wake-up through the task queue (``TASK_BACKEND=rq``, Redis).

With the RQ backend, each change that notifies enqueues ``deliver_notifications`` after its
commit (``services._wake``): an RQ worker runs it at once and delivers those rows through the
outbox (``outbox.deliver_due``, the same claim under a lease as ``run_outbox``), so an email
leaves within moments instead of at the next poll. The job carries only the rows' ids: the
outbox rows stay the record. A lost job (Redis down at the enqueue, a worker killed) loses
nothing: ``manage.py run_outbox`` still polls the outbox and sends what is due, and a row
claimed by one is skipped by the other, so each email is sent once.
"""

from __future__ import annotations

from django_tasks import task

from . import outbox


@task()
def deliver_notifications(notification_ids: list[int]) -> dict[str, int]:
    """Deliver those of ``notification_ids`` still due (claimed under a lease; rows another
    worker holds or already sent are left alone); returns the outbox's counts."""
    ids = [int(pk) for pk in notification_ids]
    return outbox.deliver_due(ids=ids, limit=max(len(ids), 1))
