"""Give every instructor of an existing batch a roster entry on that batch's course.

Single-instructor data knows only ``Batch.assigned_instructor``; the multi-trainer rules
(staffing only from the course roster) need the instructor on the roster. They join as an
active assistant with a 0 % workload share, so no course's workload sum changes; an admin
sets roles and shares afterwards. Idempotent: existing entries are left alone.
"""

from django.db import migrations


def backfill(apps, schema_editor):
    Batch = apps.get_model("allocation", "Batch")
    CourseTrainer = apps.get_model("allocation", "CourseTrainer")
    existing = set(CourseTrainer.objects.values_list("course_id", "trainer_id"))
    wanted = set(Batch.objects.values_list("course_id", "assigned_instructor_id")) - existing
    CourseTrainer.objects.bulk_create(
        CourseTrainer(course_id=course_id, trainer_id=trainer_id, role="assistant")
        for course_id, trainer_id in sorted(wanted)
    )


class Migration(migrations.Migration):
    dependencies = [("allocation", "0007_rosters_covers_notes")]
    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
