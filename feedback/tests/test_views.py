"""The feedback pages: the student's form, the mentee's rating, the batch's feedback page
(anonymity below 3 answers for trainers, everything for admins), and the schedule's link."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from allocation.models import BatchStatus
from feedback.models import BatchFeedback, MentoringRating
from feedback.services import feedback_submit

from .conftest import ratings_for

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def completed(world):
    from allocation.models import Batch

    Batch.objects.filter(pk=world.batch.pk).update(status=BatchStatus.COMPLETED)
    world.batch.refresh_from_db()
    return world.batch


def form_data(world, rating="5"):
    return {
        "rating": rating,
        "comment": "Great batch",
        f"trainer_{world.primary.pk}": "5",
        f"trainer_{world.assistant.pk}": "4",
        f"trainer_{world.assistant.pk}_comment": "Patient",
    }


def test_a_student_rates_the_batch_from_the_form(world):
    completed(world)
    url = reverse("feedback:rate", args=[world.batch.pk])
    client = client_for(world.students[0])
    page = client.get(url)
    assert page.status_code == 200
    assert "Paula Primary as your trainer" in page.text
    assert "Arne Assistant as your trainer" in page.text
    response = client.post(url, form_data(world))
    assert response.status_code == 302
    answer = BatchFeedback.objects.get()
    assert (answer.rating, answer.comment) == (5, "Great batch")
    assert {(r.trainer_id, r.rating) for r in answer.trainer_ratings.all()} == {
        (world.primary.pk, 5),
        (world.assistant.pk, 4),
    }
    again = client.get(url)
    assert "You have already rated this batch" in again.text
    second = client.post(url, form_data(world))
    assert second.status_code == 200
    assert "You have already rated this batch" in second.text
    assert BatchFeedback.objects.count() == 1


def test_a_rating_outside_1_to_5_is_a_form_error(world):
    completed(world)
    response = client_for(world.students[0]).post(
        reverse("feedback:rate", args=[world.batch.pk]), form_data(world, rating="7")
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.text
    assert not BatchFeedback.objects.exists()


def test_a_batch_not_completed_shows_no_form(world):
    url = reverse("feedback:rate", args=[world.batch.pk])
    client = client_for(world.students[0])
    assert "not open for rating yet" in client.get(url).text
    response = client.post(url, form_data(world))
    assert response.status_code == 200
    assert not BatchFeedback.objects.exists()


def test_an_outsider_gets_a_404(world):
    completed(world)
    url = reverse("feedback:rate", args=[world.batch.pk])
    assert client_for(world.outsider).get(url).status_code == 404
    assert client_for(world.primary).get(url).status_code == 403  # not a student at all


def test_the_schedule_links_an_open_request_until_it_is_answered(world):
    from enrollments.services.lifecycle import lifecycle_advance

    from .conftest import AFTER

    lifecycle_advance(AFTER)
    client = client_for(world.students[0])
    schedule = client.get(reverse("student:schedule"))
    rate_url = reverse("feedback:rate", args=[world.batch.pk])
    assert rate_url in schedule.text
    assert reverse("feedback:rate_mentoring", args=[world.session.pk]) in schedule.text
    client.post(rate_url, form_data(world))
    assert rate_url not in client.get(reverse("student:schedule")).text


def test_a_mentee_rates_their_session(world):
    url = reverse("feedback:rate_mentoring", args=[world.session.pk])
    client = client_for(world.assignment.student)
    assert client.get(url).status_code == 200
    response = client.post(url, {"rating": "4", "comment": "Useful"})
    assert response.status_code == 302
    assert MentoringRating.objects.get().rating == 4
    assert "already rated this mentoring session" in client.get(url).text
    # Someone else's session: 404.
    assert client_for(world.students[1]).get(url).status_code == 404


def answer(world, student, rating):
    feedback_submit(
        batch=world.batch,
        student=student,
        rating=rating,
        comment=f"secret comment of {student.full_name}",
        trainer_ratings=ratings_for(world, rating),
    )


def test_trainers_see_no_numbers_and_no_comments_below_three_answers(world):
    completed(world)
    answer(world, world.students[0], 5)
    answer(world, world.students[1], 2)
    url = reverse("feedback:batch", args=[world.batch.pk])
    page = client_for(world.primary).get(url)
    assert page.status_code == 200
    assert "Not enough answers yet" in page.text
    assert "secret comment" not in page.text
    assert world.students[0].full_name not in page.text
    assert "3.5" not in page.text and "2 answers" not in page.text
    admin_page = client_for(world.admin).get(url)
    assert "3.5" in admin_page.text
    assert "secret comment of" in admin_page.text
    assert world.students[0].full_name in admin_page.text
    answer(world, world.students[2], 5)
    page = client_for(world.primary).get(url)
    assert "4.0" in page.text
    assert "secret comment" not in page.text
    assert world.students[0].full_name not in page.text
    assert "Arne Assistant" not in page.text  # a colleague's average is not theirs to see


def test_the_feedback_page_is_closed_to_outsiders(world):
    url = reverse("feedback:batch", args=[world.batch.pk])
    assert client_for(world.other_instructor).get(url).status_code == 404
    assert client_for(world.students[0]).get(url).status_code == 404
    assert client_for(world.assistant).get(url).status_code == 200


def test_the_feedback_page_costs_the_same_with_more_answers(world, django_assert_max_num_queries):
    completed(world)
    client = client_for(world.admin)
    url = reverse("feedback:batch", args=[world.batch.pk])
    answer(world, world.students[0], 4)
    with django_assert_max_num_queries(16) as few:
        client.get(url)
    for student in world.students[1:]:
        answer(world, student, 3)
    with django_assert_max_num_queries(len(few)):
        client.get(url)


def test_a_mentor_sees_the_average_from_three_ratings(world):
    from feedback.services import mentoring_rating_submit
    from tests.support import IndividualAssignmentFactory, MentoringSessionFactory

    from .conftest import AFTER

    url = reverse("instructor:mentees")
    client = client_for(world.primary)
    mentoring_rating_submit(
        session=world.session, student=world.assignment.student, rating=5, today=AFTER
    )
    assert "not enough ratings yet" in client.get(url).text
    for rating in (4, 3):
        assignment = IndividualAssignmentFactory(instructor=world.primary)
        session = MentoringSessionFactory(assignment=assignment)
        mentoring_rating_submit(
            session=session, student=assignment.student, rating=rating, today=AFTER
        )
    page = client.get(url).text
    assert "4.0 / 5 on average (3 ratings)" in page
