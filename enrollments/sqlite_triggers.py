"""SQLite's stand-in for the composite foreign key "an enrollment's course is its batch's
course" (PostgreSQL has the real key, migration enrollments.0002).

SQLite cannot add a foreign key to an existing table, so triggers check the rule. They are
not created by a migration: SQLite rebuilds a table for many schema changes (copy, drop,
rename), and a trigger that names ``allocation_batch`` makes that rebuild fail — while a
trigger defined on the rebuilt table would silently disappear with it. Instead they are
dropped before every ``migrate`` and created again after it (enrollments.apps), so the
schema changes never meet them and the running database always has them.
"""

from django.db import connections

MESSAGE = "enrollment_course_is_batch_course: the enrollment course must be the batch course"
_CHECK = f"""
WHEN NEW.batch_id IS NOT NULL
 AND NEW.course_id IS NOT (SELECT course_id FROM allocation_batch WHERE id = NEW.batch_id)
BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;
"""
TRIGGERS = {
    "enrollment_course_is_batch_course_insert": (
        "CREATE TRIGGER enrollment_course_is_batch_course_insert BEFORE INSERT ON "
        "enrollments_enrollment FOR EACH ROW " + _CHECK
    ),
    "enrollment_course_is_batch_course_update": (
        "CREATE TRIGGER enrollment_course_is_batch_course_update BEFORE UPDATE OF batch_id, "
        "course_id ON enrollments_enrollment FOR EACH ROW " + _CHECK
    ),
    # The other side: a batch's course may not change while enrollments point at it.
    "batch_course_fixed_while_enrolled": f"""
        CREATE TRIGGER batch_course_fixed_while_enrolled BEFORE UPDATE OF course_id
        ON allocation_batch FOR EACH ROW
        WHEN NEW.course_id IS NOT OLD.course_id
         AND EXISTS (SELECT 1 FROM enrollments_enrollment WHERE batch_id = NEW.id)
        BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;""",
}
NEEDED_TABLES = {"allocation_batch", "enrollments_enrollment"}


def drop(using: str = "default") -> None:
    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        for name in TRIGGERS:
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}")


def install(using: str = "default") -> None:
    """Create the triggers (again) when both tables exist; a no-op on other databases."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    if not set(connection.introspection.table_names()) >= NEEDED_TABLES:
        return
    drop(using)
    with connection.cursor() as cursor:
        for statement in TRIGGERS.values():
            cursor.execute(statement)
