"""Submitting feedback and mentoring ratings, every refusal, and the requests."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from allocation.models import BatchStatus, ClassSession
from allocation.services import batch_update
from core.errors import DomainError
from enrollments.services.lifecycle import lifecycle_advance
from feedback import selectors
from feedback.models import (
    BatchFeedback,
    CourseFeedbackOption,
    FeedbackRequest,
    FeedbackStage,
    MentoringRating,
    TrainerRating,
)
from feedback.services import feedback_submit, mentoring_rating_submit, midpoint_requests
from notifications.models import Notification
from tests.support import InstructorFactory, MentoringSessionFactory

from .conftest import AFTER, MIDPOINT, ratings_for

pytestmark = pytest.mark.django_db


def complete(world):
    lifecycle_advance(AFTER)
    world.batch.refresh_from_db()
    assert world.batch.status == BatchStatus.COMPLETED


def submit(world, student, rating=5, trainers=None, today=AFTER):
    return feedback_submit(
        batch=world.batch,
        student=student,
        rating=rating,
        comment="Good",
        trainer_ratings=ratings_for(world) if trainers is None else trainers,
        today=today,
    )


# --- requests -------------------------------------------------------------------------------


def test_the_daily_run_completing_a_batch_asks_each_student_once(world):
    complete(world)
    requests = FeedbackRequest.objects.filter(batch=world.batch, stage=FeedbackStage.COMPLETION)
    assert sorted(r.student_id for r in requests) == sorted(s.pk for s in world.students)
    asked = Notification.objects.filter(event="feedback_requested")
    assert sorted(n.recipient_id for n in asked) == sorted(s.pk for s in world.students)
    assert all(n.url == f"/feedback/batches/{world.batch.pk}/rate/" for n in asked)
    # A second run (or the batch reopened and completed again) asks nobody twice.
    lifecycle_advance(AFTER)
    batch_update(batch=world.batch, status=BatchStatus.ACTIVE, end_date=dt.date(2030, 1, 1))
    batch_update(batch=world.batch, status=BatchStatus.COMPLETED)
    assert Notification.objects.filter(event="feedback_requested").count() == 4


def test_an_admin_completing_a_batch_by_hand_asks_its_students(world, admin):
    batch_update(batch=world.batch, status=BatchStatus.COMPLETED, updated_by=admin)
    assert FeedbackRequest.objects.filter(batch=world.batch).count() == 4
    assert Notification.objects.filter(event="feedback_requested").count() == 4


def test_the_request_email_renders(world, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        complete(world)
    asked = [m for m in mail.outbox if "Rate your batch" in m.subject]
    assert sorted(m.to[0] for m in asked) == sorted(s.email for s in world.students)
    assert {m.subject for m in asked} == {f"How was {world.batch.batch_code}? Rate your batch"}
    assert f"/feedback/batches/{world.batch.pk}/rate/" in asked[0].body
    assert "only averages" in asked[0].body


def test_midpoint_requests_only_when_the_course_asks_and_from_the_midpoint(world):
    assert midpoint_requests(MIDPOINT) == []  # the course does not ask
    CourseFeedbackOption.objects.create(course=world.course, ask_at_midpoint=True)
    assert midpoint_requests(MIDPOINT - dt.timedelta(days=1)) == []
    assert midpoint_requests(MIDPOINT) == [(world.batch.batch_code, 4)]
    assert midpoint_requests(MIDPOINT) == []  # once
    assert FeedbackRequest.objects.filter(stage=FeedbackStage.MIDPOINT).count() == 4


def test_the_daily_run_makes_the_midpoint_requests_and_says_so(world):
    CourseFeedbackOption.objects.create(course=world.course, ask_at_midpoint=True)
    summary = lifecycle_advance(MIDPOINT)
    assert any("Midpoint feedback requested" in line for line in summary.lines())
    assert FeedbackRequest.objects.filter(stage=FeedbackStage.MIDPOINT).count() == 4


# --- answers --------------------------------------------------------------------------------


def test_a_student_answers_once_with_the_batch_and_each_trainer(world):
    complete(world)
    answer = submit(world, world.students[0])
    assert answer.stage == FeedbackStage.COMPLETION
    assert {(r.trainer_id, r.rating) for r in answer.trainer_ratings.all()} == {
        (world.primary.pk, 4),
        (world.assistant.pk, 4),
    }
    with pytest.raises(DomainError, match="You have already rated this batch"):
        submit(world, world.students[0])
    assert BatchFeedback.objects.count() == 1


@pytest.mark.parametrize("rating", [0, 6, -1, 100])
def test_a_rating_outside_1_to_5_is_refused(world, rating):
    complete(world)
    with pytest.raises(DomainError, match="from 1 to 5"):
        submit(world, world.students[0], rating=rating)
    trainers = {world.primary.pk: (rating, ""), world.assistant.pk: (3, "")}
    with pytest.raises(DomainError, match="Paula Primary: A rating is a whole number from 1"):
        submit(world, world.students[0], trainers=trainers)
    assert not BatchFeedback.objects.exists()


def test_someone_who_is_not_a_student_of_the_batch_is_refused(world):
    complete(world)
    for user in (world.outsider, world.primary, world.admin):
        with pytest.raises(DomainError, match="Only a student of this batch can rate it"):
            submit(world, user)


def test_a_batch_not_completed_is_refused(world):
    with pytest.raises(DomainError, match="once it has completed"):
        submit(world, world.students[0])


def test_before_the_midpoint_is_refused_and_at_midpoint_both_stages_count(world):
    CourseFeedbackOption.objects.create(course=world.course, ask_at_midpoint=True)
    early = MIDPOINT - dt.timedelta(days=1)
    with pytest.raises(DomainError, match="from its midpoint, 2026-02-14"):
        submit(world, world.students[0], today=early)
    assert submit(world, world.students[0], today=MIDPOINT).stage == FeedbackStage.MIDPOINT
    with pytest.raises(DomainError, match="already rated"):
        submit(world, world.students[0], today=MIDPOINT)
    complete(world)
    assert submit(world, world.students[0]).stage == FeedbackStage.COMPLETION


def test_every_trainer_is_rated_and_no_one_else(world):
    complete(world)
    with pytest.raises(DomainError, match="Arne Assistant is missing"):
        submit(world, world.students[0], trainers={world.primary.pk: (5, "")})
    stranger = InstructorFactory()
    with pytest.raises(DomainError, match="Only this batch's trainers"):
        submit(world, world.students[0], trainers={**ratings_for(world), stranger.pk: (5, "")})


def test_the_batch_trainers_include_who_taught_by_override_and_ended_roles(world):
    session = ClassSession.objects.filter(batch=world.batch).order_by("start_at").first()
    guest = InstructorFactory(full_name="Gina Guest")
    ClassSession.objects.filter(pk=session.pk).update(instructor_override=guest)
    ids = selectors.batch_trainer_ids(world.batch)
    assert ids == {world.primary.pk, world.assistant.pk, guest.pk}
    # A session that had not started by then does not count.
    assert guest.pk not in selectors.batch_trainer_ids(
        world.batch, until=session.start_at - dt.timedelta(hours=1)
    )


def test_the_database_refuses_what_the_service_refuses(world):
    complete(world)
    submit(world, world.students[0])
    with pytest.raises(IntegrityError), transaction.atomic():
        BatchFeedback.objects.create(
            batch=world.batch, student=world.students[0], stage=FeedbackStage.COMPLETION, rating=3
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        BatchFeedback.objects.create(
            batch=world.batch, student=world.students[1], stage=FeedbackStage.COMPLETION, rating=6
        )
    answer = BatchFeedback.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        TrainerRating.objects.create(feedback=answer, trainer=world.primary, rating=0)


# --- summaries ------------------------------------------------------------------------------


def test_trainers_see_no_number_below_three_answers_and_admins_see_all(world):
    complete(world)
    submit(world, world.students[0], rating=5)
    submit(world, world.students[1], rating=2)
    (hidden,) = selectors.batch_summary(world.batch, viewer=world.primary)
    assert hidden.batch.average is None and hidden.batch.answers is None
    assert [(f.trainer, f.average, f.answers) for f in hidden.trainers] == [
        (world.primary, None, None)
    ]
    assert hidden.responses is None
    (full,) = selectors.batch_summary(world.batch, viewer=world.admin)
    assert (full.batch.answers, full.batch.average) == (2, 3.5)
    assert len(full.responses) == 2 and {r.comment for r in full.responses} == {"Good"}
    assert len(full.trainers) == 2
    submit(world, world.students[2], rating=5)
    (shown,) = selectors.batch_summary(world.batch, viewer=world.primary)
    assert (shown.batch.answers, shown.batch.average) == (3, 4.0)
    # A trainer sees their own figure only, never a colleague's, never an answer.
    assert [(f.trainer, f.average) for f in shown.trainers] == [(world.primary, 4.0)]
    assert shown.responses is None


def test_who_may_see_the_summary(world):
    assert selectors.may_see_summary(world.admin, world.batch)
    assert selectors.may_see_summary(world.primary, world.batch)
    assert selectors.may_see_summary(world.assistant, world.batch)
    assert not selectors.may_see_summary(world.other_instructor, world.batch)
    assert not selectors.may_see_summary(world.students[0], world.batch)


def test_the_summary_costs_the_same_with_many_answers(world, django_assert_max_num_queries):
    complete(world)
    for student in world.students:
        submit(world, student)
    with django_assert_max_num_queries(5):
        selectors.batch_summary(world.batch, viewer=world.admin)


# --- mentoring ------------------------------------------------------------------------------


def test_a_mentee_rates_a_session_once(world):
    mentee = world.assignment.student
    rating = mentoring_rating_submit(
        session=world.session, student=mentee, rating=5, comment="Helpful", today=AFTER
    )
    assert (rating.mentor, rating.student, rating.rating) == (world.primary, mentee, 5)
    with pytest.raises(DomainError, match="already rated this mentoring session"):
        mentoring_rating_submit(session=world.session, student=mentee, rating=4, today=AFTER)
    assert MentoringRating.objects.count() == 1


def test_mentoring_rating_refusals(world):
    mentee = world.assignment.student
    with pytest.raises(DomainError, match="Only the mentee"):
        mentoring_rating_submit(session=world.session, student=world.students[1], rating=5)
    with pytest.raises(DomainError, match="from 1 to 5"):
        mentoring_rating_submit(session=world.session, student=mentee, rating=9, today=AFTER)
    future = MentoringSessionFactory(
        assignment=world.assignment, session_date=timezone.localdate() + dt.timedelta(days=3)
    )
    with pytest.raises(DomainError, match="once it has taken place"):
        mentoring_rating_submit(session=future, student=mentee, rating=5)
    assert list(selectors.mentee_sessions_to_rate(mentee)) == [world.session]
