from django.apps import AppConfig
from django.db.models.signals import post_migrate, pre_migrate


def _drop_sqlite_triggers(sender, using="default", **kwargs):
    from . import sqlite_triggers

    sqlite_triggers.drop(using)


def _install_sqlite_triggers(sender, using="default", **kwargs):
    from . import sqlite_triggers

    sqlite_triggers.install(using)


class EnrollmentsConfig(AppConfig):
    name = "enrollments"
    verbose_name = "Enrollments"

    def ready(self):
        # See enrollments/sqlite_triggers.py: out of the way while migrations run, back after.
        pre_migrate.connect(_drop_sqlite_triggers, sender=self)
        post_migrate.connect(_install_sqlite_triggers, sender=self)
