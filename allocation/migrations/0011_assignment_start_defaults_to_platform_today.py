# The Python default of an assignment's start date becomes today in TIME_ZONE
# (core.dates.today) instead of the server's date. Django keeps a `default` in Python only, so
# the tables do not change: state only. (A plain AlterField would make SQLite rebuild both
# tables, and the rebuild drops the audit-order index that 0010 adds with RunSQL.)

from django.db import migrations, models

import core.dates


class Migration(migrations.Migration):
    dependencies = [
        ("allocation", "0010_audit_order_indexes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="historicalindividualassignment",
                    name="start_date",
                    field=models.DateField(default=core.dates.today),
                ),
                migrations.AlterField(
                    model_name="individualassignment",
                    name="start_date",
                    field=models.DateField(default=core.dates.today),
                ),
            ],
            database_operations=[],
        ),
    ]
