"""The feedback part of the demo data (``manage.py seed_demo``), so its pages show something
on a fresh demo: called by ``enrollments.signals.demo_seeded`` at the end of the seed.

- "German A1 · Winter cohort": a batch of German A1 that ran from 16 to 3 weeks ago, taught by
  Dr. Sarah Weber, with twelve students who have since moved on to English B2 (students
  301–312). It is completed by the daily run (``lifecycle_advance``), which asks its students
  to rate it; nine of them answer, three still have the request open (their schedule shows
  "Rate this batch").
- The mentees rate some of their logged mentoring sessions.

Idempotent, like the rest of the demo: the batch is found by name; an answered request and a
rated session are left alone. Through the services, so every rule holds.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from accounts.models import User
from allocation.models import Batch, BatchStatus, Course, MentoringSession, Weekday
from allocation.services import Slot, batch_create
from enrollments.services import enrollment_create
from enrollments.services.lifecycle import lifecycle_advance

from . import selectors, services
from .models import BatchFeedback, MentoringRating

BATCH_NAME = "German A1 · Winter cohort"
SARAH_EMAIL = "sarah.weber@medh.local"
STUDENTS = range(301, 313)  # English B2 students who took German A1 before
ANSWERS = 9
# (batch rating, trainer rating, comment) by turn: a realistic spread around 4.
RATINGS = [
    (5, 5, "Clear explanations and lots of speaking practice."),
    (4, 5, "Good pace; more homework feedback would help."),
    (4, 4, ""),
    (3, 4, "The evening slot was hard to keep up with."),
    (5, 4, "I can order in a café now!"),
    (4, 3, ""),
    (5, 5, "Great group and a patient trainer."),
    (2, 3, "Too fast in the second half."),
    (4, 4, ""),
]
MENTORING_RATINGS = [5, 4, 4, 3, 5]


def _student(number: int) -> User | None:
    return User.objects.filter(email=f"student{number:03d}@medh.local").first()


@transaction.atomic
def seed_feedback(*, admin: User, today: dt.date) -> int:
    """Create the demo's completed batch, its answers and mentoring ratings; returns how many
    answers and ratings were created."""
    course = Course.objects.filter(code="GER-A1").first()
    sarah = User.objects.filter(email=SARAH_EMAIL).first()
    if course is None or sarah is None:
        return 0
    batch = Batch.objects.filter(course=course, batch_name=BATCH_NAME).first()
    created = 0
    if batch is None:
        start = today - dt.timedelta(weeks=16)
        batch = batch_create(
            course=course,
            batch_name=BATCH_NAME,
            start_date=start,
            end_date=today - dt.timedelta(weeks=3),
            capacity=15,
            assigned_instructor=sarah,
            created_by=admin,
            status=BatchStatus.ACTIVE,
            # Saturday mornings: nobody else's slot, and Sarah teaches no other batch.
            schedule=[Slot(day=Weekday.SATURDAY, start_time=dt.time(10), end_time=dt.time(12))],
        )
        for number in STUDENTS:
            student = _student(number)
            if student is not None:
                enrollment_create(student=student, course=course, batch=batch)
        # The daily run completes it (and its enrollments) and asks its students to rate it.
        lifecycle_advance(today)
        batch.refresh_from_db()
    if batch.status == BatchStatus.COMPLETED:
        answered = set(
            BatchFeedback.objects.filter(batch=batch).values_list("student_id", flat=True)
        )
        trainers = selectors.batch_trainers(batch)
        for (rating, trainer_rating, comment), number in zip(
            RATINGS[:ANSWERS], STUDENTS, strict=False
        ):
            student = _student(number)
            if student is None or student.pk in answered:
                continue
            services.feedback_submit(
                batch=batch,
                student=student,
                rating=rating,
                comment=comment,
                trainer_ratings={t.pk: (trainer_rating, "") for t in trainers},
                today=today,
            )
            created += 1
    if MentoringRating.objects.exists():  # rated on an earlier run
        return created
    sessions = MentoringSession.objects.filter(
        session_date__lte=today, rating__isnull=True
    ).select_related("assignment")
    for session, rating in zip(sessions.order_by("pk"), MENTORING_RATINGS, strict=False):
        services.mentoring_rating_submit(
            session=session, student=session.assignment.student, rating=rating, today=today
        )
        created += 1
    return created


def on_demo_seeded(sender, *, admin: User, today: dt.date, **kwargs) -> None:
    seed_feedback(admin=admin, today=today)
