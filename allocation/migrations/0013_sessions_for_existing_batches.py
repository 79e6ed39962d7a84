"""Give every existing batch its dated sessions, its trainers their bookings, and turn each
substitute cover's date range into per-session cover.

Batches keep time_zone = TIME_ZONE (0012's default), so their sessions are their weekly
slots on every date of the batch, read in the platform's zone (there are no holidays yet).
Bookings are made for the held sessions of Active and Upcoming batches: the primary and the
current assistants teach every session, except the sessions a substitute covers for one of
them, which the substitute teaches. Data written around the services may hold a
double-booking that the weekly rule missed; such a booking is left out (and printed) rather
than stopping the migration, so that 0014's exclusion constraint can be added.
"""

from django.db import migrations

from allocation.session_times import occurrences

OPEN = ("Active", "Upcoming")


def forwards(apps, schema_editor):
    Batch = apps.get_model("allocation", "Batch")
    ScheduleSlot = apps.get_model("allocation", "ScheduleSlot")
    BatchTrainer = apps.get_model("allocation", "BatchTrainer")
    SubstituteCover = apps.get_model("allocation", "SubstituteCover")
    ClassSession = apps.get_model("allocation", "ClassSession")
    SessionCover = apps.get_model("allocation", "SessionCover")
    TrainerBooking = apps.get_model("allocation", "TrainerBooking")

    slots: dict[int, list] = {}
    for slot in ScheduleSlot.objects.order_by("pk"):
        slots.setdefault(slot.batch_id, []).append(slot)
    batches = {b.pk: b for b in Batch.objects.order_by("pk")}
    sessions = []
    for batch in batches.values():
        for o in occurrences(
            slots.get(batch.pk, ()), batch.start_date, batch.end_date, batch.time_zone
        ):
            sessions.append(
                ClassSession(
                    batch_id=batch.pk,
                    start_at=o.start_at,
                    end_at=o.end_at,
                    local_date=o.local_date,
                    slot_start=o.slot_start,
                    slot_end=o.slot_end,
                    status="scheduled",
                    kind="regular",
                )
            )
    ClassSession.objects.bulk_create(sessions, batch_size=2000)
    sessions = list(ClassSession.objects.order_by("pk"))  # with their ids on every database

    teachers: dict[int, dict[int, str]] = {}  # batch id -> trainer id -> role
    for batch in batches.values():
        if batch.status in OPEN:
            teachers[batch.pk] = {batch.assigned_instructor_id: "primary"}
    for row in BatchTrainer.objects.filter(role="assistant", ended_at__isnull=True):
        if row.batch_id in teachers:
            teachers[row.batch_id].setdefault(row.trainer_id, "assistant")
    by_batch: dict[int, list] = {}
    for session in sessions:
        by_batch.setdefault(session.batch_id, []).append(session)

    session_covers = []
    covered: dict[int, dict[int, int]] = {}  # session id -> absent trainer id -> substitute id
    for cover in SubstituteCover.objects.order_by("pk"):
        for session in by_batch.get(cover.batch_id, ()):
            if not cover.start_date <= session.local_date <= cover.end_date:
                continue
            if cover.absent_trainer_id in covered.get(session.pk, {}):
                continue
            covered.setdefault(session.pk, {})[cover.absent_trainer_id] = cover.substitute_id
            session_covers.append(
                SessionCover(
                    cover_id=cover.pk,
                    session_id=session.pk,
                    absent_trainer_id=cover.absent_trainer_id,
                    substitute_id=cover.substitute_id,
                )
            )
    SessionCover.objects.bulk_create(session_covers, batch_size=2000)
    if session_covers:
        ClassSession.objects.filter(pk__in=list(covered)).update(locked=True)

    bookings = []
    for session in sessions:
        staff = teachers.get(session.batch_id)
        if not staff:
            continue
        who = dict(staff)
        for absent, substitute in covered.get(session.pk, {}).items():
            if who.pop(absent, None) is not None:
                who.setdefault(substitute, "cover")
        for trainer_id, role in who.items():
            bookings.append(
                TrainerBooking(
                    trainer_id=trainer_id,
                    session_id=session.pk,
                    batch_id=session.batch_id,
                    role=role,
                    start_at=session.start_at,
                    end_at=session.end_at,
                )
            )
    bookings.sort(key=lambda b: (b.trainer_id, b.start_at, b.session_id))
    kept, last_end = [], {}
    for booking in bookings:
        end = last_end.get(booking.trainer_id)
        if end is not None and booking.start_at < end:
            print(
                f"\n  allocation.0013: trainer {booking.trainer_id} is double-booked at "
                f"{booking.start_at:%Y-%m-%d %H:%M} UTC (batch {booking.batch_id}); "
                "booking left out, resolve it on the batch page"
            )
            continue
        last_end[booking.trainer_id] = booking.end_at
        kept.append(booking)
    TrainerBooking.objects.bulk_create(kept, batch_size=2000)


def backwards(apps, schema_editor):
    for name in ("TrainerBooking", "SessionCover", "ClassSession"):
        apps.get_model("allocation", name).objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("allocation", "0012_calendar")]
    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
