"""Make the database refuse an enrollment whose course is not its batch's course.

PostgreSQL: a composite foreign key (batch_id, course_id) -> batch (id, course_id). With the
default MATCH SIMPLE it is not checked when batch_id is NULL (individual enrollments), and it
also stops a batch's course from changing under its enrollments.
SQLite cannot add a foreign key to an existing table: there triggers do the same check, and
they are installed after every migrate rather than here (see enrollments/sqlite_triggers.py).
"""

from django.db import migrations

POSTGRES_CREATE = """
ALTER TABLE enrollments_enrollment ADD CONSTRAINT enrollment_course_is_batch_course
FOREIGN KEY (batch_id, course_id) REFERENCES allocation_batch (id, course_id);
"""
POSTGRES_DROP = "ALTER TABLE enrollments_enrollment DROP CONSTRAINT IF EXISTS enrollment_course_is_batch_course;"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_DROP)


class Migration(migrations.Migration):
    dependencies = [("enrollments", "0001_initial"), ("allocation", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
