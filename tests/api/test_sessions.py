"""The calendar through the API: a batch's sessions, extra sessions, moves and
cancellations, a user's sessions, holidays, and a batch's time zone; with their refusals as
400s in the envelope."""

from __future__ import annotations

import pytest

from allocation import services as allocation_services
from allocation.models import ClassSession, Holiday, SessionStatus

from .conftest import assert_failure, assert_success, bearer_client


def sessions_url(batch) -> str:
    return f"/api/batches/{batch.pk}/sessions"


def first(batch) -> ClassSession:
    return ClassSession.objects.filter(batch=batch).order_by("start_at").first()


class TestBatchSessions:
    def test_lists_the_sessions_in_a_window_with_offsets_and_teachers(self, admin_client, world):
        response = admin_client.get(
            sessions_url(world.batch),
            {"from": "2026-01-05T00:00:00Z", "to": "2026-01-19T00:00:00Z"},
        )

        body = assert_success(response)
        assert [s["start"] for s in body["data"]] == [
            "2026-01-05T08:00:00+00:00",
            "2026-01-12T08:00:00+00:00",
        ]
        session = body["data"][0]
        assert session["time_zone"] == "UTC"
        assert session["status"] == "scheduled"
        assert session["teachers"] == [
            {
                "_id": world.instructor.pk,
                "full_name": "John Smith",
                "email": world.instructor.email,
                "role": "primary",
            }
        ]

    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({"from": "2026-01-05"}, "from"),  # no offset: a wall time means nothing
            ({"from": "yesterday"}, "from"),
            ({"from": "2026-02-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"}, "to"),
            ({"from": "2026-01-01T00:00:00Z", "to": "2028-01-01T00:00:00Z"}, "to"),
        ],
    )
    def test_a_bad_window_is_a_400(self, admin_client, world, params, field):
        body = assert_failure(admin_client.get(sessions_url(world.batch), params), 400)

        assert field in str(body)


class TestExtraSession:
    def test_adds_a_session_and_gives_it_in_the_batchs_zone(self, admin_client, world):
        response = admin_client.post(
            sessions_url(world.batch),
            {"start": "2026-01-07T09:00:00+01:00", "end": "2026-01-07T11:00:00+01:00",
             "reason": "Make-up"},
            format="json",
        )  # fmt: skip

        body = assert_success(response, 201)
        assert body["data"]["session"]["start"] == "2026-01-07T08:00:00+00:00"
        assert body["data"]["session"]["kind"] == "extra"
        assert body["data"]["warnings"] == []

    def test_a_clash_of_the_trainer_is_a_400_naming_the_other_batch(self, admin_client, world):
        # John teaches Monday 08:00–10:00 UTC; an extra session of the other batch at that
        # time, taught by Maria, is fine, but one of his own batch overlapping is not.
        response = admin_client.post(
            sessions_url(world.batch),
            {"start": "2026-01-12T09:00:00Z", "end": "2026-01-12T11:00:00Z"},
            format="json",
        )

        assert_failure(response, 400, "Schedule conflict: John Smith already teaches")

    def test_a_naive_time_is_a_400(self, admin_client, world):
        response = admin_client.post(
            sessions_url(world.batch),
            {"start": "2026-01-07T09:00:00", "end": "2026-01-07T11:00:00"},
            format="json",
        )

        assert_failure(response, 400)


class TestChangeSession:
    def test_a_move(self, admin_client, world):
        session = first(world.batch)

        response = admin_client.put(
            f"/api/sessions/{session.pk}",
            {"start": "2026-01-06T14:00:00Z", "end": "2026-01-06T16:00:00Z"},
            format="json",
        )

        data = assert_success(response)["data"]["session"]
        assert (data["status"], data["start"], data["original_start"]) == (
            "moved",
            "2026-01-06T14:00:00+00:00",
            "2026-01-05T08:00:00+00:00",
        )

    def test_a_cancellation(self, admin_client, world):
        session = first(world.batch)

        response = admin_client.put(
            f"/api/sessions/{session.pk}", {"status": "cancelled", "reason": "Snow"}, format="json"
        )

        assert assert_success(response)["data"]["session"]["reason"] == "Snow"
        session.refresh_from_db()
        assert session.status == SessionStatus.CANCELLED

    @pytest.mark.parametrize(
        "body",
        [
            {},
            {"status": "cancelled"},
            {"status": "cancelled", "reason": "x", "start": "2026-01-06T14:00:00Z"},
            {"start": "2026-01-06T14:00:00Z"},
            {"status": "moved", "reason": "x"},
            {"start": "2026-01-06T16:00:00Z", "end": "2026-01-06T14:00:00Z"},
        ],
    )
    def test_bad_bodies_are_400s_and_change_nothing(self, admin_client, world, body):
        session = first(world.batch)

        assert_failure(admin_client.put(f"/api/sessions/{session.pk}", body, format="json"), 400)
        session.refresh_from_db()
        assert session.status == SessionStatus.SCHEDULED

    def test_an_unknown_session_is_a_404(self, admin_client):
        assert_failure(
            admin_client.put("/api/sessions/999999", {"status": "cancelled", "reason": "x"}), 404
        )


class TestUserSessions:
    def test_a_student_sees_the_sessions_of_their_batch(self, world):
        response = bearer_client(world.student).get(
            f"/api/users/{world.student.pk}/sessions",
            {"from": "2026-01-01T00:00:00Z", "to": "2026-02-01T00:00:00Z"},
        )

        assert [s["batch"] for s in assert_success(response)["data"]] == [world.batch.pk] * 4


class TestHolidays:
    def test_adding_one_cancels_what_it_hits(self, admin_client, world):
        response = admin_client.post(
            "/api/holidays",
            {"name": "Snow days", "start_date": "2026-01-12", "end_date": "2026-01-13"},
            format="json",
        )

        data = assert_success(response, 201)["data"]
        # Monday 12 January of each batch with a Monday slot (the Tuesday one too).
        assert data["cancelled_sessions"] == 2
        assert data["scope"] == "platform"
        listed = assert_success(admin_client.get("/api/holidays"))["data"]
        assert {h["name"] for h in listed} == {"Snow days", "Spring break"}

    def test_a_closure_of_both_a_course_and_a_batch_is_a_400(self, admin_client, world):
        response = admin_client.post(
            "/api/holidays",
            {"name": "X", "start_date": "2026-01-12", "end_date": "2026-01-12",
             "course": world.course.pk, "batch": world.batch.pk},
            format="json",
        )  # fmt: skip

        assert_failure(response, 400, "A closure is for a course or for a batch, not both")
        assert not Holiday.objects.filter(name="X").exists()


class TestBatchTimeZone:
    def test_create_takes_and_gives_it(self, admin_client, world):
        response = admin_client.post(
            f"/api/batches/courses/{world.course.pk}/batches",
            {
                "batch_name": "Berlin evenings",
                "start_date": "2026-03-01",
                "end_date": "2026-04-30",
                "capacity": 10,
                "assigned_instructor": world.roster_only.pk,
                "time_zone": "Europe/Berlin",
                "schedule": [{"day": "Sunday", "start_time": "18:00", "end_time": "19:30"}],
            },
            format="json",
        )

        data = assert_success(response, 201)["data"]
        assert data["time_zone"] == "Europe/Berlin"
        # The admin's zone is the platform's (UTC): 18:00 Berlin is 17:00, then 16:00.
        sessions = assert_success(admin_client.get(sessions_url_of(data["_id"])))["data"]
        assert sessions[0]["viewer_time_zone"] == "UTC"
        assert sessions[0]["start"] == "2026-03-01T17:00:00+00:00"
        assert sessions[4]["start"] == "2026-03-29T16:00:00+00:00"  # Berlin's summer time
        # A viewer in Berlin reads the class at 18:00 on both sides of the change.
        world.admin.time_zone = "Europe/Berlin"
        world.admin.save(update_fields=["time_zone"])
        sessions = assert_success(admin_client.get(sessions_url_of(data["_id"])))["data"]
        assert sessions[0]["viewer_time_zone"] == "Europe/Berlin"
        assert sessions[0]["start"] == "2026-03-01T18:00:00+01:00"
        assert sessions[4]["start"] == "2026-03-29T18:00:00+02:00"  # summer time

    def test_a_learner_in_new_york_reads_a_berlin_class_on_their_own_clock(self, world):
        world.batch.time_zone = "Europe/Berlin"
        world.batch.save(update_fields=["time_zone"])
        allocation_services.batch_sessions_regenerate(batch=world.batch)
        world.student.time_zone = "America/New_York"
        world.student.save(update_fields=["time_zone"])

        response = bearer_client(world.student).get(
            f"/api/users/{world.student.pk}/sessions",
            {"from": "2026-03-01T00:00:00Z", "to": "2026-03-17T00:00:00Z"},
        )

        sessions = assert_success(response)["data"]
        # Monday 08:00 in Berlin: 02:00 in New York before the US change (8 March), 03:00
        # after it, while Berlin is still on winter time.
        assert [s["start"] for s in sessions] == [
            "2026-03-02T02:00:00-05:00",
            "2026-03-09T03:00:00-04:00",
            "2026-03-16T03:00:00-04:00",
        ]
        assert {s["viewer_time_zone"] for s in sessions} == {"America/New_York"}
        assert {s["time_zone"] for s in sessions} == {"Europe/Berlin"}

    def test_an_unknown_name_is_a_400(self, admin_client, world):
        response = admin_client.put(
            f"/api/batches/{world.batch.pk}", {"time_zone": "Europe/Atlantis"}, format="json"
        )

        assert_failure(response, 400)
        world.batch.refresh_from_db()
        assert world.batch.time_zone == "UTC"


def sessions_url_of(batch_id: int) -> str:
    return f"/api/batches/{batch_id}/sessions"
