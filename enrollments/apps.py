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
    its waitlist takes the new seats."""
    from .waitlist import waitlist_promote

    waitlist_promote(batch_id=batch.pk)


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
