"""Give every batch that predates batch staffing a primary BatchTrainer row.

Single-instructor data only knows ``Batch.assigned_instructor``; from now on the current
primary staffing row mirrors it. Idempotent: batches that already have a current primary are
left alone.
"""

from django.db import migrations


def backfill(apps, schema_editor):
    Batch = apps.get_model("allocation", "Batch")
    BatchTrainer = apps.get_model("allocation", "BatchTrainer")
    staffed = BatchTrainer.objects.filter(role="primary", ended_at__isnull=True).values("batch_id")
    BatchTrainer.objects.bulk_create(
        BatchTrainer(batch_id=batch.pk, trainer_id=batch.assigned_instructor_id, role="primary")
        for batch in Batch.objects.exclude(pk__in=staffed).only("pk", "assigned_instructor_id")
    )


class Migration(migrations.Migration):
    dependencies = [("allocation", "0003_staffing_history_and_individual_assignments")]
    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
