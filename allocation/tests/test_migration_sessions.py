"""Migration allocation.0013: every existing batch gets its sessions (in TIME_ZONE), its
trainers their bookings, and each date-range cover becomes per-session cover."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from accounts.tests.factories import AdminFactory, InstructorFactory
from allocation.models import ClassSession, SessionCover, TrainerBooking


@pytest.mark.django_db(transaction=True)
def test_existing_batches_get_their_sessions_bookings_and_per_session_cover(settings):
    call_command("migrate", "allocation", "0012", verbosity=0)
    apps = MigrationExecutor(connection).loader.project_state(("allocation", "0012_calendar")).apps
    Course = apps.get_model("allocation", "Course")
    Batch = apps.get_model("allocation", "Batch")
    ScheduleSlot = apps.get_model("allocation", "ScheduleSlot")
    BatchTrainer = apps.get_model("allocation", "BatchTrainer")
    SubstituteCover = apps.get_model("allocation", "SubstituteCover")
    admin, anna, sue, asa = (
        AdminFactory(),
        InstructorFactory(),
        InstructorFactory(),
        InstructorFactory(),
    )
    course = Course.objects.create(code="GER-A1", title="German A1")

    def batch(code, status):
        made = Batch.objects.create(
            batch_name=code,
            batch_code=code,
            course=course,
            status=status,
            start_date=dt.date(2026, 3, 2),
            end_date=dt.date(2026, 3, 29),
            capacity=10,
            assigned_instructor_id=anna.pk,
            created_by_id=admin.pk,
            time_zone=settings.TIME_ZONE,
        )
        ScheduleSlot.objects.create(batch=made, day=0, start_time=dt.time(10), end_time=dt.time(12))
        BatchTrainer.objects.create(batch=made, trainer_id=anna.pk, role="primary")
        return made

    open_batch = batch("OPEN", "Active")
    batch("DONE", "Completed")
    BatchTrainer.objects.create(batch=open_batch, trainer_id=asa.pk, role="assistant")
    SubstituteCover.objects.create(
        batch=open_batch,
        absent_trainer_id=anna.pk,
        substitute_id=sue.pk,
        start_date=dt.date(2026, 3, 9),
        end_date=dt.date(2026, 3, 16),
    )

    call_command("migrate", verbosity=0)

    # Four Mondays each, in UTC (the test settings' TIME_ZONE).
    sessions = ClassSession.objects.filter(batch_id=open_batch.pk).order_by("start_at")
    assert [s.start_at for s in sessions] == [
        dt.datetime(2026, 3, day, 10, tzinfo=dt.UTC) for day in (2, 9, 16, 23)
    ]
    assert ClassSession.objects.filter(batch__batch_code="DONE").count() == 4
    # The completed batch books nobody; the open one its primary and assistant, except the
    # two covered Mondays where Sue teaches in Anna's place.
    assert not TrainerBooking.objects.filter(batch__batch_code="DONE").exists()
    booked = {
        (b.session.start_at.day, b.trainer_id, b.role)
        for b in TrainerBooking.objects.filter(batch_id=open_batch.pk).select_related("session")
    }
    assert booked == {
        (2, anna.pk, "primary"),
        (2, asa.pk, "assistant"),
        (9, sue.pk, "cover"),
        (9, asa.pk, "assistant"),
        (16, sue.pk, "cover"),
        (16, asa.pk, "assistant"),
        (23, anna.pk, "primary"),
        (23, asa.pk, "assistant"),
    }
    assert sorted(c.session.start_at.day for c in SessionCover.objects.all()) == [9, 16]
    assert sessions.filter(locked=True).count() == 2
