"""``deliveries_created(ids=[...])`` is sent inside the change's transaction by
``event_emit``; ``tasks`` queues the deliveries once it commits (a rollback sends nothing)."""

from django.dispatch import Signal

deliveries_created = Signal()
