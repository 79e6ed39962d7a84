from django.db import migrations

from core.migration_ops import audit_order_index


class Migration(migrations.Migration):
    dependencies = [("enrollments", "0005_enrollment_newest_first_index")]

    operations = [
        audit_order_index("enrollments_historicalenrollment"),
        audit_order_index("enrollments_historicalwaitlistentry"),
    ]
