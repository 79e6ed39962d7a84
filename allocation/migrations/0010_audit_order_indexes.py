from django.db import migrations

from core.migration_ops import audit_order_index


class Migration(migrations.Migration):
    dependencies = [("allocation", "0009_audit_history_batch_template")]

    operations = [
        audit_order_index(table)
        for table in (
            "allocation_historicalbatch",
            "allocation_historicalscheduleslot",
            "allocation_historicalbatchtrainer",
            "allocation_historicalsubstitutecover",
            "allocation_historicalindividualassignment",
            "allocation_historicalcoursetrainer",
            "allocation_historicalbatchtemplate",
        )
    ]
