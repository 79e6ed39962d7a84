"""Make the database refuse an enrollment whose course is not its batch's course.

PostgreSQL: a composite foreign key (batch_id, course_id) -> batch (id, course_id). With the
default MATCH SIMPLE it is not checked when batch_id is NULL (individual enrollments), and it
also stops a batch's course from changing under its enrollments.
SQLite cannot add a foreign key to an existing table, so triggers do the same check there.
"""

from django.db import migrations

POSTGRES_CREATE = """
ALTER TABLE enrollments_enrollment ADD CONSTRAINT enrollment_course_is_batch_course
FOREIGN KEY (batch_id, course_id) REFERENCES allocation_batch (id, course_id);
"""
POSTGRES_DROP = "ALTER TABLE enrollments_enrollment DROP CONSTRAINT IF EXISTS enrollment_course_is_batch_course;"

MESSAGE = "enrollment_course_is_batch_course: the enrollment course must be the batch course"
SQLITE_CHECK = f"""
WHEN NEW.batch_id IS NOT NULL
 AND NEW.course_id IS NOT (SELECT course_id FROM allocation_batch WHERE id = NEW.batch_id)
BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;
"""
SQLITE_CREATE = [
    "CREATE TRIGGER enrollment_course_is_batch_course_insert BEFORE INSERT ON "
    "enrollments_enrollment FOR EACH ROW " + SQLITE_CHECK,
    "CREATE TRIGGER enrollment_course_is_batch_course_update BEFORE UPDATE OF batch_id, "
    "course_id ON enrollments_enrollment FOR EACH ROW " + SQLITE_CHECK,
    # The other side: a batch's course may not change while enrollments point at it.
    f"""CREATE TRIGGER batch_course_fixed_while_enrolled BEFORE UPDATE OF course_id
    ON allocation_batch FOR EACH ROW
    WHEN NEW.course_id IS NOT OLD.course_id
     AND EXISTS (SELECT 1 FROM enrollments_enrollment WHERE batch_id = NEW.id)
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;""",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS enrollment_course_is_batch_course_insert;",
    "DROP TRIGGER IF EXISTS enrollment_course_is_batch_course_update;",
    "DROP TRIGGER IF EXISTS batch_course_fixed_while_enrolled;",
]


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_CREATE)
    elif vendor == "sqlite":
        for statement in SQLITE_CREATE:
            schema_editor.execute(statement)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_DROP)
    elif vendor == "sqlite":
        for statement in SQLITE_DROP:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("enrollments", "0001_initial"), ("allocation", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
