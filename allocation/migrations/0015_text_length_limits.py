# Free text gets a length limit (allocation.models.TEXT_MAX_LENGTH), checked by full_clean in
# the services. Validators live in Python only: every operation is a no-op in the database
# (no table rebuild on SQLite, existing rows untouched).

import django.core.validators
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("allocation", "0014_booking_no_overlap_postgres"),
    ]

    operations = [
        migrations.AlterField(
            model_name="batch",
            name="batch_notes",
            field=models.TextField(
                blank=True, validators=[django.core.validators.MaxLengthValidator(10000)]
            ),
        ),
        migrations.AlterField(
            model_name="batchnote",
            name="body",
            field=models.TextField(validators=[django.core.validators.MaxLengthValidator(10000)]),
        ),
        migrations.AlterField(
            model_name="course",
            name="description",
            field=models.TextField(
                blank=True, validators=[django.core.validators.MaxLengthValidator(10000)]
            ),
        ),
        migrations.AlterField(
            model_name="historicalbatch",
            name="batch_notes",
            field=models.TextField(
                blank=True, validators=[django.core.validators.MaxLengthValidator(10000)]
            ),
        ),
        migrations.AlterField(
            model_name="historicalindividualassignment",
            name="notes",
            field=models.TextField(
                blank=True, validators=[django.core.validators.MaxLengthValidator(10000)]
            ),
        ),
        migrations.AlterField(
            model_name="individualassignment",
            name="notes",
            field=models.TextField(
                blank=True, validators=[django.core.validators.MaxLengthValidator(10000)]
            ),
        ),
        migrations.AlterField(
            model_name="mentoringsession",
            name="notes",
            field=models.TextField(
                blank=True, validators=[django.core.validators.MaxLengthValidator(10000)]
            ),
        ),
    ]
