"""Races on PostgreSQL, with real threads: one answer per student however many submits arrive
at once; one request per student however many daily runs complete the batch at once."""

from __future__ import annotations

import datetime as dt

import pytest

from allocation.models import BatchStatus, Weekday
from core.testing import race
from enrollments.services.lifecycle import lifecycle_advance
from feedback.models import BatchFeedback, FeedbackRequest, MentoringRating
from feedback.services import feedback_submit, mentoring_rating_submit
from notifications.models import Notification
from tests.support import (
    AdminFactory,
    BatchTrainerFactory,
    CourseFactory,
    IndividualAssignmentFactory,
    InstructorFactory,
    MentoringSessionFactory,
    build_batch,
    slot,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

AFTER = dt.date(2026, 4, 1)


def a_batch(status=BatchStatus.COMPLETED):
    admin = AdminFactory()
    batch = build_batch(
        course=CourseFactory(),
        instructor=InstructorFactory(),
        created_by=admin,
        batch_name="Race batch",
        status=status,
        start_date=dt.date(2026, 1, 5),
        end_date=dt.date(2026, 3, 27),
        capacity=10,
        schedule=[slot(Weekday.MONDAY, "10:00", "12:00")],
        enrolled=3,
    )
    BatchTrainerFactory(batch=batch, trainer=InstructorFactory(), assigned_by=admin)
    return batch


def test_one_answer_however_many_submits_at_once():
    batch = a_batch()
    student = batch.enrollments.order_by("pk").first().student
    trainers = dict.fromkeys(
        {batch.assigned_instructor_id, *batch.staff.values_list("trainer_id", flat=True)}, (4, "")
    )

    def submit(rating):
        return feedback_submit(
            batch=batch, student=student, rating=rating, trainer_ratings=trainers, today=AFTER
        )

    outcomes = race(submit, [{"rating": r} for r in (1, 2, 3, 4, 5)])
    assert [o.error for o in outcomes if o.error] == []
    assert sum(o.ok for o in outcomes) == 1
    assert {o.message for o in outcomes if not o.ok} == {"You have already rated this batch"}
    assert BatchFeedback.objects.count() == 1


def test_one_mentoring_rating_however_many_at_once():
    session = MentoringSessionFactory(
        assignment=IndividualAssignmentFactory(), session_date=dt.date(2026, 2, 1)
    )
    student = session.assignment.student

    def rate(rating):
        return mentoring_rating_submit(session=session, student=student, rating=rating)

    outcomes = race(rate, [{"rating": r} for r in (1, 2, 3, 4)])
    assert [o.error for o in outcomes if o.error] == []
    assert sum(o.ok for o in outcomes) == 1
    assert MentoringRating.objects.count() == 1


def test_runs_at_once_ask_each_student_once():
    batch = a_batch(status=BatchStatus.ACTIVE)
    outcomes = race(lambda: lifecycle_advance(AFTER), [{}] * 3)
    assert [o.error for o in outcomes if o.error] == []
    assert FeedbackRequest.objects.filter(batch=batch).count() == 3
    assert Notification.objects.filter(event="feedback_requested").count() == 3
