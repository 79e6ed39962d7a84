"""On PostgreSQL, make the database itself refuse two overlapping slots of one batch.

Slots are half-open [start, end) intervals, exactly like the range types' default "[)" bounds,
so 10:00-12:00 and 12:00-13:00 may coexist while 10:00-12:00 and 10:00-11:00 may not. SQLite
has no exclusion constraints; there the batch services (which lock the batch row while they
write its slots) are the guard.
"""

from django.db import migrations

CREATE = """
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE allocation_scheduleslot ADD CONSTRAINT slot_no_overlap_within_batch
EXCLUDE USING gist (
    batch_id WITH =,
    day WITH =,
    tsrange(DATE '2000-01-01' + start_time, DATE '2000-01-01' + end_time) WITH &&
);
"""
DROP = "ALTER TABLE allocation_scheduleslot DROP CONSTRAINT IF EXISTS slot_no_overlap_within_batch;"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("allocation", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
