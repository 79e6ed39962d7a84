"""Migration operations shared by the apps' migrations."""

from __future__ import annotations

from django.db import migrations


def audit_order_index(table: str) -> migrations.RunSQL:
    """An index on a django-simple-history table in the audit log's order.

    The log (``reports.audit.audit_log``) is a UNION ALL of every history table ordered by
    ``history_date, history_id`` descending. With this index in each table, PostgreSQL merges
    the tables' index scans and reads just one page of rows; with ``history_date`` alone it
    read every row sharing a timestamp (a bulk import writes thousands at one instant) to sort
    them by id. simple-history's models take no ``Meta.indexes``, hence plain SQL, which both
    PostgreSQL and SQLite accept.
    """
    name = f"{table}_newest"
    return migrations.RunSQL(
        f'CREATE INDEX "{name}" ON "{table}" ("history_date", "history_id")',
        reverse_sql=f'DROP INDEX "{name}"',
    )
