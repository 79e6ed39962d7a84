"""On PostgreSQL, make the database itself refuse to book a trainer twice at one time.

Each booking is a half-open ``tstzrange(start_at, end_at, '[)')``, like the sessions it
copies, so a class 10:00-12:00 and one 12:00-13:00 may follow each other while 10:00-12:00
and 11:00-13:00 may not, wherever the two batches are in the world. SQLite has no exclusion
constraints: there the session services (which lock the trainer's profile first) are the
guard alone.
"""

from django.db import migrations

CREATE = """
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE allocation_trainerbooking ADD CONSTRAINT booking_no_overlap_per_trainer
EXCLUDE USING gist (trainer_id WITH =, tstzrange(start_at, end_at, '[)') WITH &&);
"""
DROP = "ALTER TABLE allocation_trainerbooking DROP CONSTRAINT IF EXISTS booking_no_overlap_per_trainer;"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("allocation", "0013_sessions_for_existing_batches")]
    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
