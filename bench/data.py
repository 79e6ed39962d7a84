"""A fast builder of realistic, consistent data at a scale factor, for the page benchmarks.

``build(scale)`` fills an empty, migrated PostgreSQL database with ``1000 × scale`` students,
``50 × scale`` batches and ``5 × scale`` trainers (plus one admin):

- one course per trainer, each with 10 batches: 3 Active, 1 Upcoming, 6 Completed; the
  course's trainer is the primary of all ten (``BatchTrainer`` primary rows mirror
  ``Batch.assigned_instructor``) and its supervising lead;
- every batch has 2–3 weekly slots from one of eight pairwise disjoint patterns. Trainer
  ``j`` uses four of them (the even or odd half), one per open batch, so nobody is booked
  twice and nobody passes the cap of four open batches;
- each course's roster: its trainer as lead (60 %), the next trainer as assistant (30 %,
  backup on the course's open batches), the one after as substitute (0 %);
- 20 students per batch: active enrollments in open batches (every fourth open batch is full,
  capacity 20, and has a waitlist of three students of other courses), completed ones in
  completed batches; every 20th student also has an individual enrollment in the next course,
  every 25th a cancelled one; ``enrolled_students`` equals the active batch enrollments;
- every 10th student has a mentor (the trainer of their course) with one logged session;
- every 10th trainer is on leave next week, covered on each open batch by the next trainer
  (who teaches the other four patterns, so the cover is conflict-free);
- each student gets two inbox notifications, each trainer three, the admin ``10 × scale``;
- a "created" history row (the audit trail) for every audited row.

Rows are written with PostgreSQL ``COPY`` and explicit primary keys (sequences reset at the
end), so 100× (about 700,000 rows) takes well under a minute of database time.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.utils import timezone
from psycopg.types.json import Jsonb

BATCHES_PER_COURSE = 10
STUDENTS_PER_BATCH = 20
CAPACITY = 25
PASSWORD = "bench12345"

# Eight weekly patterns (weekday, start, end), pairwise disjoint: any trainer whose open
# batches each use a different pattern is never double-booked.
PATTERNS = (
    ((0, "08:00", "10:00"), (2, "08:00", "10:00")),
    ((0, "18:00", "20:00"), (2, "18:00", "20:00")),
    ((1, "08:00", "10:00"), (3, "08:00", "10:00")),
    ((1, "18:00", "20:00"), (3, "18:00", "20:00")),
    ((0, "10:30", "12:00"), (2, "10:30", "12:00"), (4, "10:30", "12:00")),
    ((1, "12:00", "14:00"), (3, "12:00", "14:00"), (5, "10:00", "12:00")),
    ((0, "14:00", "16:00"), (2, "14:00", "16:00"), (4, "14:00", "16:00")),
    ((1, "15:00", "17:00"), (3, "15:00", "17:00"), (5, "14:00", "16:00")),
)


@dataclass
class Built:
    """What ``build`` made: counts per model and the handles the benchmark logs in with."""

    scale: int
    counts: dict[str, int] = field(default_factory=dict)
    admin_id: int = 0
    trainer_id: int = 0  # a trainer with batches, a roster, a leave and mentees
    student_id: int = 0  # a student with an active batch enrollment and a mentor
    course_id: int = 0
    batch_id: int = 0  # an open, full batch with a waitlist
    leave_id: int = 0
    session_id: int = 0  # the next held session of batch_id


class _Copier:
    """Collects model instances with explicit primary keys and COPYs them per table."""

    def __init__(self, now: dt.datetime, admin_id: int):
        self.now = now
        self.admin_id = admin_id
        self.rows: dict[type[models.Model], list[models.Model]] = {}
        self.next_id: dict[type[models.Model], int] = {}
        self.counts: dict[str, int] = {}

    def add(self, obj: models.Model) -> models.Model:
        model = type(obj)
        if obj.pk is None:
            obj.pk = self.next_id.get(model, 1)
        self.next_id[model] = obj.pk + 1
        self.rows.setdefault(model, []).append(obj)
        return obj

    def flush(self) -> None:
        with connection.cursor() as cursor:
            for model, objs in self.rows.items():
                self._copy(cursor, model, objs)
                history = getattr(model, "history", None)
                if history is not None:
                    self._copy(cursor, history.model, self._history(model, history.model, objs))
            for sql in connection.ops.sequence_reset_sql(no_style(), list(self._all_models())):
                cursor.execute(sql)
        self.rows.clear()

    def _all_models(self) -> Iterable[type[models.Model]]:
        for model in self.next_id:
            yield model
            if getattr(model, "history", None) is not None:
                yield model.history.model

    def _history(self, model, historical, objs) -> list[models.Model]:
        names = {f.attname for f in historical._meta.concrete_fields} - {"history_id"}
        fields = [f.attname for f in model._meta.concrete_fields if f.attname in names]
        return [
            historical(
                history_id=i,
                history_date=self.now,
                history_type="+",
                history_user_id=self.admin_id,
                history_change_reason=None,
                **{name: getattr(obj, name) for name in fields},
            )
            for i, obj in enumerate(objs, start=1)
        ]

    def _copy(self, cursor, model, objs) -> None:
        if not objs:
            return
        fields = model._meta.concrete_fields
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        table = connection.ops.quote_name(model._meta.db_table)
        buffer = io.StringIO()
        for obj in objs:
            values = []
            for f in fields:
                value = f.pre_save(obj, add=True)  # auto_now(_add) fields get "now"
                values.append(_text(f.get_db_prep_save(value, connection)))
            buffer.write("\t".join(values) + "\n")
        with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            copy.write(buffer.getvalue())
        self.counts[model._meta.label] = self.counts.get(model._meta.label, 0) + len(objs)


def _text(value) -> str:
    """One value in COPY's text format."""
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Jsonb):  # a JSONField (the notification outbox's context)
        value = json.dumps(value.obj)
    text = str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def existing(scale: int) -> Built | None:
    """The handles and row counts of the data set of ``scale`` already in the database (built
    by ``build`` in an earlier run), or None when the database holds no such data set."""
    from accounts.models import User
    from allocation.models import Batch, ClassSession, Course
    from trainers.models import TrainerLeave

    if User.objects.filter(is_student=True).count() != 1000 * scale:
        return None
    if User.objects.filter(is_instructor=True).count() != 5 * scale:
        return None
    out = Built(scale=scale)
    out.admin_id = User.objects.get(email="admin@bench.local").pk
    out.trainer_id = User.objects.get(email="trainer00000@bench.local").pk
    out.student_id = User.objects.get(email="student000000@bench.local").pk
    out.course_id = Course.objects.get(code="C00000").pk
    out.batch_id = Batch.objects.get(batch_code="C00000-B01").pk
    out.leave_id = TrainerLeave.objects.filter(trainer_id=out.trainer_id).order_by("pk")[0].pk
    out.session_id = (
        ClassSession.objects.filter(
            batch_id=out.batch_id, status="scheduled", local_date__gte=timezone.localdate()
        )
        .order_by("start_at")
        .values_list("pk", flat=True)
        .first()
        or 0
    )
    # Row counts from the planner's statistics (exact after VACUUM ANALYZE, and cheap).
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, reltuples::bigint FROM pg_class "
            "WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace AND reltuples > 0"
        )
        out.counts = dict(cursor.fetchall())
    return out


@transaction.atomic
def build(scale: int) -> Built:
    """Fill the (empty, migrated) database with the data set of ``scale`` (1, 10, 100)."""
    from accounts.models import User, new_feed_token
    from allocation.models import (
        Batch,
        BatchNote,
        BatchStatus,
        BatchTrainer,
        BookingRole,
        ClassSession,
        Course,
        CourseTrainer,
        Holiday,
        IndividualAssignment,
        MentoringSession,
        RosterRole,
        ScheduleSlot,
        SessionStatus,
        StaffRole,
        SubstituteCover,
        TrainerBooking,
    )
    from allocation.session_times import occurrences
    from enrollments.models import (
        Enrollment,
        EnrollmentSource,
        EnrollmentStatus,
        EnrollmentType,
        PaymentStatus,
        WaitlistEntry,
    )
    from notifications.models import EmailStatus, Notification
    from trainers.models import TrainerLeave, TrainerProfile

    now = timezone.now()
    today = timezone.localdate()
    this_monday = _monday(today)
    password = make_password(PASSWORD)
    trainers_n = 5 * scale
    courses_n = trainers_n
    students_n = 1000 * scale

    out = Built(scale=scale)
    c = _Copier(now, admin_id=1)

    def user(pk, email, name, **roles):
        return c.add(
            User(
                pk=pk,
                email=email,
                full_name=name,
                password=password,
                date_joined=now,
                feed_token=new_feed_token(),
                **roles,
            )
        )

    admin = user(1, "admin@bench.local", "Bench Admin", is_staff=True, is_superuser=True)
    out.admin_id = admin.pk
    trainers = [
        user(2 + j, f"trainer{j:05d}@bench.local", f"Trainer {j:05d}", is_instructor=True)
        for j in range(trainers_n)
    ]
    students = [
        user(
            2 + trainers_n + s,
            f"student{s:06d}@bench.local",
            f"Student {s:06d}",
            is_student=True,
        )
        for s in range(students_n)
    ]
    for j, t in enumerate(trainers):
        c.add(TrainerProfile(user=t, specialization=f"Subject {j % 20}"))

    courses = [
        c.add(Course(pk=k + 1, code=f"C{k:05d}", title=f"Course {k:05d}", description="Bench"))
        for k in range(courses_n)
    ]
    for k, course in enumerate(courses):
        roster = (
            (trainers[k], RosterRole.LEAD, 60),
            (trainers[(k + 1) % trainers_n], RosterRole.ASSISTANT, 30),
            (trainers[(k + 2) % trainers_n], RosterRole.SUBSTITUTE, 0),
        )
        for trainer, role, percent in roster:
            c.add(
                CourseTrainer(course=course, trainer=trainer, role=role, workload_percent=percent)
            )

    # The dated sessions of every batch (allocation.session_times, as the session services make
    # them), each held one booking its primary; a platform holiday last Wednesday cancelled
    # the open batches' sessions of that day.
    holiday_day = this_monday - dt.timedelta(days=5)
    holiday = c.add(
        Holiday(
            name="Bench holiday", start_date=holiday_day, end_date=holiday_day, created_by=admin
        )
    )
    first_sessions: dict[int, ClassSession] = {}

    def add_sessions(batch, slots, primary, *, booked: bool) -> None:
        for o in occurrences(slots, batch.start_date, batch.end_date, batch.time_zone):
            lost = booked and o.local_date == holiday_day
            session = c.add(
                ClassSession(
                    batch=batch,
                    start_at=o.start_at,
                    end_at=o.end_at,
                    local_date=o.local_date,
                    slot_start=o.slot_start,
                    slot_end=o.slot_end,
                    status=SessionStatus.CANCELLED if lost else SessionStatus.SCHEDULED,
                    reason=holiday.name if lost else "",
                    holiday=holiday if lost else None,
                )
            )
            if booked and not lost:
                c.add(
                    TrainerBooking(
                        trainer=primary,
                        session=session,
                        batch=batch,
                        role=BookingRole.PRIMARY,
                        start_at=o.start_at,
                        end_at=o.end_at,
                    )
                )
                if o.local_date >= today:
                    first_sessions.setdefault(batch.pk, session)

    active_start = this_monday - dt.timedelta(weeks=4)
    upcoming_start = this_monday + dt.timedelta(weeks=2)
    completed_start = this_monday - dt.timedelta(weeks=30)
    batches: list[Batch] = []
    batch_pk = 0
    next_student = 0
    full_open: list[Batch] = []
    for k, course in enumerate(courses):
        primary = trainers[k]
        backup = trainers[(k + 1) % trainers_n]
        half = (k % 2) * 4  # this trainer's four patterns; the next trainer has the others
        for b in range(BATCHES_PER_COURSE):
            batch_pk += 1
            if b < 3:
                status, start, pattern = BatchStatus.ACTIVE, active_start, half + b
            elif b == 3:
                status, start, pattern = BatchStatus.UPCOMING, upcoming_start, half + 3
            else:
                status, start, pattern = BatchStatus.COMPLETED, completed_start, b % 8
            is_open = b < 4
            full = is_open and b == (k % 4)
            capacity = STUDENTS_PER_BATCH if full else CAPACITY
            batch = c.add(
                Batch(
                    pk=batch_pk,
                    batch_name=f"{course.title} — Batch {b + 1:02d}",
                    batch_code=f"{course.code}-B{b + 1:02d}",
                    course=course,
                    status=status,
                    start_date=start,
                    end_date=start + dt.timedelta(weeks=13, days=-3),
                    capacity=capacity,
                    enrolled_students=STUDENTS_PER_BATCH if is_open else 0,
                    assigned_instructor=primary,
                    supervising_lead=primary,
                    created_by=admin,
                    batch_notes="Bench batch",
                )
            )
            batches.append(batch)
            if full:
                full_open.append(batch)
            slots = [
                c.add(
                    ScheduleSlot(
                        batch=batch,
                        day=day,
                        start_time=dt.time.fromisoformat(begin),
                        end_time=dt.time.fromisoformat(end),
                    )
                )
                for day, begin, end in PATTERNS[pattern]
            ]
            add_sessions(batch, slots, primary, booked=status != BatchStatus.COMPLETED)
            c.add(
                BatchTrainer(
                    batch=batch, trainer=primary, role=StaffRole.PRIMARY, assigned_by=admin
                )
            )
            if is_open:
                c.add(
                    BatchTrainer(
                        batch=batch, trainer=backup, role=StaffRole.BACKUP, assigned_by=admin
                    )
                )
                c.add(BatchNote(batch=batch, author=primary, body="Week 3: irregular verbs."))
            for _ in range(STUDENTS_PER_BATCH):
                if next_student >= students_n:
                    break
                student = students[next_student]
                next_student += 1
                c.add(
                    Enrollment(
                        student=student,
                        course=course,
                        batch=batch,
                        enrollment_type=EnrollmentType.BATCH,
                        status=EnrollmentStatus.ACTIVE if is_open else EnrollmentStatus.COMPLETED,
                        enrollment_date=now - dt.timedelta(days=30 if is_open else 220),
                        status_changed_at=None if is_open else now - dt.timedelta(days=120),
                        enrollment_source=EnrollmentSource.ADMIN,
                        payment_amount=Decimal("299.00"),
                        payment_currency="USD",
                        payment_method="credit_card",
                        payment_status=PaymentStatus.COMPLETED,
                        transaction_id=f"BENCH-{student.pk}",
                    )
                )
                student.bench_course = k

    # Extra enrollments in the next course: individual (active) or cancelled batch ones.
    for s, student in enumerate(students):
        k = getattr(student, "bench_course", s % courses_n)
        other = courses[(k + 1) % courses_n]
        if s % 20 == 0:
            c.add(
                Enrollment(
                    student=student,
                    course=other,
                    enrollment_type=EnrollmentType.INDIVIDUAL,
                    enrollment_source=EnrollmentSource.WEBSITE,
                    enrollment_date=now - dt.timedelta(days=10),
                )
            )
        elif s % 25 == 0:
            c.add(
                Enrollment(
                    student=student,
                    course=other,
                    batch=batches[((k + 1) % courses_n) * BATCHES_PER_COURSE],
                    enrollment_type=EnrollmentType.BATCH,
                    status=EnrollmentStatus.CANCELLED,
                    status_changed_at=now - dt.timedelta(days=5),
                    enrollment_source=EnrollmentSource.API,
                    enrollment_date=now - dt.timedelta(days=40),
                )
            )

    # Waitlists: three students of the next course wait for each full open batch.
    for batch in full_open:
        k = batch.course_id - 1
        first = ((k + 1) % courses_n) * BATCHES_PER_COURSE * STUDENTS_PER_BATCH
        for position in range(1, 4):
            c.add(
                WaitlistEntry(
                    batch=batch,
                    student=students[(first + position) % students_n],
                    position=position,
                    created_at=now - dt.timedelta(days=position),
                )
            )

    # Mentoring: every 10th student, by their course's trainer, with one session.
    for s in range(0, students_n, 10):
        student = students[s]
        mentor = trainers[getattr(student, "bench_course", 0)]
        assignment = c.add(
            IndividualAssignment(
                student=student,
                instructor=mentor,
                notes="Weekly check-in",
                start_date=today - dt.timedelta(days=30),
                assigned_by=admin,
            )
        )
        c.add(
            MentoringSession(
                assignment=assignment,
                session_date=today - dt.timedelta(days=20),
                duration_minutes=45,
                notes="Reviewed the week's exercises.",
                logged_by=mentor,
            )
        )

    # Leave: every 10th trainer next week, covered by the next trainer on each open batch.
    leave_start = this_monday + dt.timedelta(weeks=1)
    for j in range(0, trainers_n, 10):
        leave = c.add(
            TrainerLeave(
                trainer=trainers[j],
                start_date=leave_start,
                end_date=leave_start + dt.timedelta(days=4),
                reason="Conference",
                created_by=admin,
            )
        )
        if j == 0:
            out.leave_id = leave.pk
        for b in range(3):  # the active batches (the upcoming one starts later)
            c.add(
                SubstituteCover(
                    batch=batches[j * BATCHES_PER_COURSE + b],
                    absent_trainer=trainers[j],
                    substitute=trainers[(j + 1) % trainers_n],
                    start_date=leave.start_date,
                    end_date=leave.end_date,
                    assigned_by=admin,
                )
            )

    # Inbox rows: two per student, three per trainer, 10 × scale for the admin.
    def note(recipient, n, read):
        c.add(
            Notification(
                recipient=recipient,
                event="enrollment_created",
                subject=f"Welcome ({n})",
                body="You are enrolled.",
                rendered_at=now,
                url="/me/schedule/",
                read_at=now if read else None,
                email_status=EmailStatus.SENT,
                email_attempts=1,
                emailed_at=now,
            )
        )

    for student in students:
        note(student, 1, True)
        note(student, 2, False)
    for trainer in trainers:
        for n in range(3):
            note(trainer, n, n == 0)
    for n in range(10 * scale):
        note(admin, n, n % 2 == 0)

    c.flush()
    out.counts = dict(c.counts)
    out.trainer_id = trainers[0].pk
    out.student_id = students[0].pk  # course 0's first active batch, mentored by trainer 0
    out.course_id = courses[0].pk
    out.batch_id = full_open[0].pk
    out.session_id = first_sessions[full_open[0].pk].pk
    return out
