"""On PostgreSQL, make the database itself refuse two overlapping active bookings of one mentor.

Each active (booked or held) 1:1 booking is a half-open ``tstzrange(start_at, end_at, '[)')``:
a 10:00-11:00 and an 11:00-12:00 booking may follow each other, 10:00-11:00 and 10:30-11:30
may not. Cancelled bookings free the time. SQLite has no exclusion constraints: there the
booking service (which locks the mentor's trainer profile first) and the partial unique
constraint on ``(mentor, start_at)`` are the guard.
"""

from django.db import migrations

CREATE = """
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE allocation_mentorbooking ADD CONSTRAINT mentorbooking_no_overlap_per_mentor
EXCLUDE USING gist (mentor_id WITH =, tstzrange(start_at, end_at, '[)') WITH &&)
WHERE (status <> 'cancelled');
"""
DROP = (
    "ALTER TABLE allocation_mentorbooking "
    "DROP CONSTRAINT IF EXISTS mentorbooking_no_overlap_per_mentor;"
)


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("allocation", "0016_mentor_bookings")]
    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
