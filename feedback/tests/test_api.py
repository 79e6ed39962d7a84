"""``POST`` and ``GET /api/batches/:batchId/feedback``: who may, the refusals, anonymity."""

from __future__ import annotations

import pytest

from allocation.models import Batch, BatchStatus
from feedback.models import BatchFeedback
from tests.api.conftest import assert_failure, assert_success, bearer_client

pytestmark = pytest.mark.django_db


def url(batch) -> str:
    return f"/api/batches/{batch.pk}/feedback"


def body(world, rating=5):
    return {
        "rating": rating,
        "comment": f"comment {rating}",
        "trainers": [
            {"trainer": world.primary.pk, "rating": rating, "comment": "clear"},
            {"trainer": world.assistant.pk, "rating": rating},
        ],
    }


@pytest.fixture
def done(world):
    Batch.objects.filter(pk=world.batch.pk).update(status=BatchStatus.COMPLETED)
    world.batch.refresh_from_db()
    return world


def test_a_student_posts_once(done):
    client = bearer_client(done.students[0])
    created = assert_success(client.post(url(done.batch), body(done), format="json"), 201)
    assert created["data"]["stage"] == "completion"
    assert created["data"]["rating"] == 5
    assert_failure(
        client.post(url(done.batch), body(done), format="json"),
        400,
        "You have already rated this batch",
    )
    assert BatchFeedback.objects.count() == 1


@pytest.mark.parametrize("rating", [0, 6])
def test_a_rating_outside_1_to_5_is_a_400(done, rating):
    client = bearer_client(done.students[0])
    assert_failure(
        client.post(url(done.batch), body(done, rating), format="json"), 400, "from 1 to 5"
    )


def test_bad_bodies_are_400s(done):
    client = bearer_client(done.students[0])
    assert_failure(client.post(url(done.batch), {"rating": "x"}, format="json"), 400)
    assert_failure(client.post(url(done.batch), {}, format="json"), 400)
    missing = {"rating": 4, "trainers": [{"trainer": done.primary.pk, "rating": 4}]}
    assert_failure(client.post(url(done.batch), missing, format="json"), 400, "is missing")
    twice = body(done)
    twice["trainers"].append({"trainer": done.primary.pk, "rating": 3})
    assert_failure(client.post(url(done.batch), twice, format="json"), 400, "rated once")


def test_a_batch_not_completed_is_a_400(world):
    client = bearer_client(world.students[0])
    assert_failure(
        client.post(url(world.batch), body(world), format="json"), 400, "once it has completed"
    )


@pytest.mark.parametrize("who", ["admin", "primary", "outsider", "other_instructor", None])
def test_only_a_student_of_the_batch_may_post(done, who):
    user = getattr(done, who) if who else None
    response = bearer_client(user).post(url(done.batch), body(done), format="json")
    assert_failure(response, 401 if user is None else 403)


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("admin", 200),
        ("primary", 200),
        ("assistant", 200),
        ("other_instructor", 403),
        ("outsider", 403),
        ("student", 403),
        (None, 401),
    ],
)
def test_who_may_get_the_feedback(done, who, status):
    user = done.students[0] if who == "student" else (getattr(done, who) if who else None)
    response = bearer_client(user).get(url(done.batch))
    if status == 200:
        assert_success(response)
    else:
        assert_failure(response, status)


def post_answers(world, ratings):
    for student, rating in zip(world.students, ratings, strict=False):
        bearer_client(student).post(url(world.batch), body(world, rating), format="json")


def test_trainers_get_no_numbers_below_three_answers(done):
    post_answers(done, [5, 2])
    data = assert_success(bearer_client(done.primary).get(url(done.batch)))["data"]
    (stage,) = data["stages"]
    assert data["min_answers"] == 3
    assert stage["batch"] == {"answers": None, "average": None}
    assert stage["trainers"] == [
        {"answers": None, "average": None, "trainer": done.primary.pk, "name": "Paula Primary"}
    ]
    assert "answers" not in stage
    assert "comment" not in str(data)
    admin = assert_success(bearer_client(done.admin).get(url(done.batch)))["data"]
    (full,) = admin["stages"]
    assert full["batch"] == {"answers": 2, "average": 3.5}
    assert {a["comment"] for a in full["answers"]} == {"comment 5", "comment 2"}
    assert {a["student"] for a in full["answers"]} == {s.pk for s in done.students[:2]}
    assert len(full["trainers"]) == 2


def test_trainers_get_averages_from_three_answers(done):
    post_answers(done, [5, 2, 5])
    data = assert_success(bearer_client(done.assistant).get(url(done.batch)))["data"]
    (stage,) = data["stages"]
    assert stage["batch"] == {"answers": 3, "average": 4.0}
    assert [t["trainer"] for t in stage["trainers"]] == [done.assistant.pk]
    assert stage["trainers"][0]["average"] == 4.0
    assert "answers" not in stage


def test_unknown_batch_is_a_404(done):
    assert_failure(bearer_client(done.admin).get("/api/batches/999999/feedback"), 404)
