from django.apps import AppConfig
from django.db.models.signals import post_migrate, pre_migrate


def _drop_sqlite_triggers(sender, using="default", **kwargs):
    from . import sqlite_triggers

    sqlite_triggers.drop(using)


def _install_sqlite_triggers(sender, using="default", **kwargs):
    from . import sqlite_triggers

    sqlite_triggers.install(using)


def _fill_added_seats(sender, batch, **kwargs):
    """A batch's capacity was raised (its row is locked, we are in batch_update's transaction):
    its waitlist takes the new seats. Returns the students who got them, for batch_update to
    report."""
    from .services.waitlist import waitlist_promote

    return [entry.student for entry in waitlist_promote(batch_id=batch.pk)]


class EnrollmentsConfig(AppConfig):
    name = "enrollments"
    verbose_name = "Enrollments"

    def ready(self):
        # See enrollments/sqlite_triggers.py: out of the way while migrations run, back after.
        pre_migrate.connect(_drop_sqlite_triggers, sender=self)
        post_migrate.connect(_install_sqlite_triggers, sender=self)
        # enrollments builds on allocation, so it listens rather than being called.
        from allocation.signals import batch_seats_added

        batch_seats_added.connect(_fill_added_seats, dispatch_uid="enrollments.fill_added_seats")
        # The services signal the background work they start; the tasks queue it on commit
        # (enrollments/tasks.py says why it goes this way round).
        from . import signals, tasks

        signals.import_started.connect(tasks.queue_import, dispatch_uid="enrollments.queue_import")
        signals.waitlist_joined.connect(
            tasks.queue_auto_batch_check, dispatch_uid="enrollments.queue_auto_batch_check"
        )
