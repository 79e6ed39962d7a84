from django.db import migrations

from core.migration_ops import audit_order_index


class Migration(migrations.Migration):
    dependencies = [("trainers", "0004_audit_history")]

    operations = [audit_order_index("trainers_historicaltrainerleave")]
