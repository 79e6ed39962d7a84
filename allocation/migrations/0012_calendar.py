# The calendar of a batch (issue 18): a batch's time zone and default room and link, dated
# sessions, holidays and closures, trainer bookings and per-session cover. Existing batches
# get their sessions in 0013; PostgreSQL's exclusion constraint over bookings comes in 0014.
#
# SQLite adds the batch's NOT NULL columns by rebuilding its tables, and the rebuild of
# allocation_historicalbatch drops the audit-order index that 0010 made with plain SQL: the
# last operation makes it again (IF NOT EXISTS: PostgreSQL kept it).

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import core.timezones


class Migration(migrations.Migration):
    dependencies = [
        ("allocation", "0011_assignment_start_defaults_to_platform_today"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="batch",
            name="default_meeting_url",
            field=models.URLField(blank=True, max_length=500),
        ),
        migrations.AddField(
            model_name="batch",
            name="default_room",
            field=models.CharField(blank=True, max_length=100),
        ),
        migrations.AddField(
            model_name="batch",
            name="time_zone",
            field=models.CharField(
                default=core.timezones.default_time_zone,
                help_text="IANA time zone the weekly slots are read in, e.g. Europe/Berlin.",
                max_length=64,
                validators=[core.timezones.validate_time_zone],
            ),
        ),
        migrations.AddField(
            model_name="historicalbatch",
            name="default_meeting_url",
            field=models.URLField(blank=True, max_length=500),
        ),
        migrations.AddField(
            model_name="historicalbatch",
            name="default_room",
            field=models.CharField(blank=True, max_length=100),
        ),
        migrations.AddField(
            model_name="historicalbatch",
            name="time_zone",
            field=models.CharField(
                default=core.timezones.default_time_zone,
                help_text="IANA time zone the weekly slots are read in, e.g. Europe/Berlin.",
                max_length=64,
                validators=[core.timezones.validate_time_zone],
            ),
        ),
        migrations.CreateModel(
            name="Holiday",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=200)),
                ("start_date", models.DateField()),
                ("end_date", models.DateField()),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "batch",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="closures",
                        to="allocation.batch",
                    ),
                ),
                (
                    "course",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="closures",
                        to="allocation.course",
                    ),
                ),
                (
                    "created_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["start_date", "name"],
            },
        ),
        migrations.CreateModel(
            name="ClassSession",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("start_at", models.DateTimeField()),
                ("end_at", models.DateTimeField()),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("scheduled", "Scheduled"),
                            ("cancelled", "Cancelled"),
                            ("moved", "Moved"),
                        ],
                        default="scheduled",
                        max_length=10,
                    ),
                ),
                (
                    "reason",
                    models.CharField(
                        blank=True,
                        help_text="Why the session was cancelled, moved or added.",
                        max_length=300,
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[("regular", "Regular"), ("extra", "Extra")],
                        default="regular",
                        max_length=10,
                    ),
                ),
                ("local_date", models.DateField()),
                ("slot_start", models.TimeField(blank=True, null=True)),
                ("slot_end", models.TimeField(blank=True, null=True)),
                ("original_start_at", models.DateTimeField(blank=True, null=True)),
                ("original_end_at", models.DateTimeField(blank=True, null=True)),
                ("room", models.CharField(blank=True, max_length=100)),
                ("meeting_url", models.URLField(blank=True, max_length=500)),
                (
                    "locked",
                    models.BooleanField(
                        default=False,
                        help_text="Edited by hand or has attendance: regeneration keeps it as it is.",
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "batch",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="sessions",
                        to="allocation.batch",
                    ),
                ),
                (
                    "instructor_override",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "holiday",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="cancelled_sessions",
                        to="allocation.holiday",
                    ),
                ),
            ],
            options={
                "ordering": ["start_at", "pk"],
            },
        ),
        migrations.CreateModel(
            name="SessionCover",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "absent_trainer",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "cover",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="sessions",
                        to="allocation.substitutecover",
                    ),
                ),
                (
                    "session",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="covers",
                        to="allocation.classsession",
                    ),
                ),
                (
                    "substitute",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="session_covers",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["session__start_at", "pk"],
            },
        ),
        migrations.CreateModel(
            name="TrainerBooking",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "role",
                    models.CharField(
                        choices=[
                            ("primary", "Primary"),
                            ("assistant", "Assistant"),
                            ("cover", "Cover"),
                        ],
                        max_length=10,
                    ),
                ),
                ("start_at", models.DateTimeField()),
                ("end_at", models.DateTimeField()),
                (
                    "batch",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="allocation.batch",
                    ),
                ),
                (
                    "session",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="bookings",
                        to="allocation.classsession",
                    ),
                ),
                (
                    "trainer",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="bookings",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["start_at", "pk"],
            },
        ),
        migrations.AddIndex(
            model_name="holiday",
            index=models.Index(fields=["end_date", "start_date"], name="holiday_dates"),
        ),
        migrations.AddConstraint(
            model_name="holiday",
            constraint=models.CheckConstraint(
                condition=models.Q(("end_date__gte", models.F("start_date"))),
                name="holiday_end_on_or_after_start",
                violation_error_message="The holiday must end on or after its first day",
            ),
        ),
        migrations.AddConstraint(
            model_name="holiday",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("course__isnull", True), ("batch__isnull", True), _connector="OR"
                ),
                name="holiday_one_scope",
                violation_error_message="A closure is for a course or for a batch, not both",
            ),
        ),
        migrations.AddConstraint(
            model_name="holiday",
            constraint=models.CheckConstraint(
                condition=models.Q(("name", ""), _negated=True),
                name="holiday_has_name",
                violation_error_message="A holiday needs a name",
            ),
        ),
        migrations.AddIndex(
            model_name="classsession",
            index=models.Index(fields=["batch", "start_at"], name="session_batch_start"),
        ),
        migrations.AddIndex(
            model_name="classsession",
            index=models.Index(fields=["start_at"], name="session_start"),
        ),
        migrations.AddConstraint(
            model_name="classsession",
            constraint=models.CheckConstraint(
                condition=models.Q(("end_at__gt", models.F("start_at"))),
                name="session_ends_after_start",
                violation_error_message="A session must end after it starts",
            ),
        ),
        migrations.AddConstraint(
            model_name="classsession",
            constraint=models.CheckConstraint(
                condition=models.Q(("status__in", ["scheduled", "cancelled", "moved"])),
                name="session_status_valid",
            ),
        ),
        migrations.AddConstraint(
            model_name="classsession",
            constraint=models.CheckConstraint(
                condition=models.Q(("kind__in", ["regular", "extra"])), name="session_kind_valid"
            ),
        ),
        migrations.AddConstraint(
            model_name="classsession",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("status", "cancelled"), _negated=True),
                    models.Q(("reason", ""), _negated=True),
                    _connector="OR",
                ),
                name="session_cancelled_has_reason",
                violation_error_message="A cancelled session needs a reason",
            ),
        ),
        migrations.AddConstraint(
            model_name="classsession",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("status", "moved"), _negated=True),
                    models.Q(
                        ("original_end_at__isnull", False), ("original_start_at__isnull", False)
                    ),
                    _connector="OR",
                ),
                name="session_moved_keeps_original",
                violation_error_message="A moved session keeps its original time",
            ),
        ),
        migrations.AddConstraint(
            model_name="classsession",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("kind", "regular"), _negated=True),
                    models.Q(("slot_end__isnull", False), ("slot_start__isnull", False)),
                    _connector="OR",
                ),
                name="session_regular_has_slot",
            ),
        ),
        migrations.AddConstraint(
            model_name="classsession",
            constraint=models.UniqueConstraint(
                condition=models.Q(("kind", "regular")),
                fields=("batch", "local_date", "slot_start"),
                name="session_one_per_slot_and_date",
                violation_error_message="The batch already has this session",
            ),
        ),
        migrations.AddConstraint(
            model_name="sessioncover",
            constraint=models.UniqueConstraint(
                fields=("session", "absent_trainer"),
                name="session_covered_once_per_absence",
                violation_error_message="This session is already covered for that trainer",
            ),
        ),
        migrations.AddConstraint(
            model_name="sessioncover",
            constraint=models.CheckConstraint(
                condition=models.Q(("substitute", models.F("absent_trainer")), _negated=True),
                name="session_cover_substitute_is_someone_else",
                violation_error_message="A trainer cannot cover for themselves",
            ),
        ),
        migrations.AddIndex(
            model_name="trainerbooking",
            index=models.Index(fields=["trainer", "start_at"], name="booking_trainer_start"),
        ),
        migrations.AddIndex(
            model_name="trainerbooking",
            index=models.Index(fields=["start_at"], name="booking_start"),
        ),
        migrations.AddConstraint(
            model_name="trainerbooking",
            constraint=models.UniqueConstraint(
                fields=("session", "trainer"),
                name="booking_once_per_session",
                violation_error_message="This trainer already teaches this session",
            ),
        ),
        migrations.AddConstraint(
            model_name="trainerbooking",
            constraint=models.CheckConstraint(
                condition=models.Q(("end_at__gt", models.F("start_at"))),
                name="booking_ends_after_start",
            ),
        ),
        migrations.AddConstraint(
            model_name="trainerbooking",
            constraint=models.CheckConstraint(
                condition=models.Q(("role__in", ["primary", "assistant", "cover"])),
                name="booking_role_valid",
            ),
        ),
        migrations.RunSQL(
            'CREATE INDEX IF NOT EXISTS "allocation_historicalbatch_newest" '
            'ON "allocation_historicalbatch" ("history_date", "history_id")',
            reverse_sql=migrations.RunSQL.noop,
        ),
    ]
