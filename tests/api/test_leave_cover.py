"""The cover of a leave's sessions through the API: the ranked candidates (the leave page's
selector) and a cover of chosen sessions (the leave page's service)."""

from __future__ import annotations

import datetime as dt

from accounts.tests.factories import InstructorFactory
from allocation import selectors
from allocation import services as allocation_services
from allocation.models import SessionCover, Weekday
from tests.support import slot
from trainers.services import leave_record

from .conftest import assert_failure, assert_success


def _leave(world, start=dt.date(2026, 3, 2), end=dt.date(2026, 3, 13)):
    """Two weeks of the instructor's leave: the batch's Monday sessions of 2 and 9 March."""
    return leave_record(
        trainer=world.instructor, start_date=start, end_date=end, created_by=world.admin
    )


def _mondays(world):
    return list(
        world.batch.sessions.filter(
            start_at__date__gte=dt.date(2026, 3, 2), start_at__date__lte=dt.date(2026, 3, 13)
        ).order_by("start_at")
    )


def test_the_candidates_are_the_leave_pages(world, admin_client):
    backup = InstructorFactory(full_name="Bea Backup")
    allocation_services.roster_add(course=world.course, trainer=backup, workload_percent=10)
    allocation_services.batch_staff_add(
        batch=world.batch, trainer=backup, role="backup", added_by=world.admin
    )
    leave = _leave(world)
    data = assert_success(admin_client.get(f"/api/leave/{leave.pk}/candidates"))["data"]
    plan = selectors.leave_cover_plan(leave)
    assert data["leave"]["_id"] == leave.pk
    assert [b["batch"] for b in data["batches"]] == [entry.batch.pk for entry in plan]
    (batch,) = data["batches"]
    (entry,) = plan
    assert batch["batch_code"] == world.batch.batch_code
    assert [s["_id"] for s in batch["sessions"]] == [s.session.pk for s in entry.uncovered]
    assert [s["_id"] for s in batch["sessions"]] == [s.pk for s in _mondays(world)]
    first = batch["sessions"][0]
    # As the session endpoints give it: ISO 8601 with the offset.
    assert first["start"][-6] in "+-" and first["start"].startswith("2026-03-02T")
    assert batch["covered_sessions"] == []
    assert [
        (c["trainer"]["_id"], c["rank"], c["why"], c["refusal"], c["eligible"])
        for c in batch["candidates"]
    ] == [(c.trainer.pk, c.rank, c.why, c.refusal, c.eligible) for c in entry.candidates]
    assert batch["candidates"][0]["trainer"]["_id"] == backup.pk
    assert batch["candidates"][0]["why"] == "backup of this batch"
    assert {c["trainer"]["_id"] for c in batch["candidates"]} == {backup.pk, world.roster_only.pk}


def test_a_cover_covers_exactly_the_chosen_sessions(world, admin_client):
    leave = _leave(world)
    first, second = _mondays(world)
    body = {"batch": world.batch.pk, "substitute": world.roster_only.pk, "sessions": [first.pk]}
    cover = assert_success(
        admin_client.post(f"/api/leave/{leave.pk}/covers", body, format="json"), 201
    )["data"]
    assert cover["sessions"] == [first.pk]
    assert cover["batch"] == world.batch.pk
    assert cover["substitute"]["_id"] == world.roster_only.pk
    assert cover["absent_trainer"]["_id"] == world.instructor.pk
    assert list(SessionCover.objects.values_list("session_id", flat=True)) == [first.pk]

    # The candidates now offer the other session only.
    data = assert_success(admin_client.get(f"/api/leave/{leave.pk}/candidates"))["data"]
    (batch,) = data["batches"]
    assert [s["_id"] for s in batch["sessions"]] == [second.pk]
    assert batch["covered_sessions"] == [first.pk]

    # The same session again is refused, with the service's message.
    again = admin_client.post(f"/api/leave/{leave.pk}/covers", body, format="json")
    assert_failure(again, 400)
    assert SessionCover.objects.count() == 1

    # Without sessions: every uncovered one of the batch in the leave (the second).
    rest = {"batch": world.batch.pk, "substitute": world.roster_only.pk}
    cover = assert_success(
        admin_client.post(f"/api/leave/{leave.pk}/covers", rest, format="json"), 201
    )["data"]
    assert cover["sessions"] == [second.pk]
    nothing = admin_client.post(f"/api/leave/{leave.pk}/covers", rest, format="json")
    assert_failure(nothing, 400, "no uncovered session")


def test_an_ineligible_substitute_is_refused_naming_why(world, admin_client):
    leave = _leave(world)
    # Not on the course's roster.
    body = {"batch": world.batch.pk, "substitute": world.other_instructor.pk}
    refused = admin_client.post(f"/api/leave/{leave.pk}/covers", body, format="json")
    assert_failure(refused, 400, "roster")
    # Busy at that time: the roster-only trainer teaches another batch on Monday mornings.
    allocation_services.roster_add(
        course=world.other_course, trainer=world.roster_only, workload_percent=10
    )
    other = allocation_services.batch_create(
        course=world.other_course,
        batch_name="Clash Batch",
        start_date=dt.date(2026, 3, 2),
        end_date=dt.date(2026, 3, 27),
        capacity=5,
        assigned_instructor=world.roster_only,
        created_by=world.admin,
        status="Active",
        schedule=[slot(Weekday.MONDAY, "08:00", "10:00")],
    )
    body = {"batch": world.batch.pk, "substitute": world.roster_only.pk}
    refused = admin_client.post(f"/api/leave/{leave.pk}/covers", body, format="json")
    assert_failure(refused, 400, other.batch_code)
    # Sessions of another batch, an unknown session, an unknown substitute: 400 too.
    session = world.empty_batch.sessions.first()
    body = {"batch": world.batch.pk, "substitute": world.roster_only.pk, "sessions": [session.pk]}
    assert_failure(
        admin_client.post(f"/api/leave/{leave.pk}/covers", body, format="json"), 400, "this batch"
    )
    body["sessions"] = [10**12]
    assert_failure(admin_client.post(f"/api/leave/{leave.pk}/covers", body, format="json"), 400)
    body = {"batch": world.batch.pk, "substitute": 10**12}
    assert_failure(admin_client.post(f"/api/leave/{leave.pk}/covers", body, format="json"), 400)
    assert not SessionCover.objects.exists()


def test_an_unknown_leave_is_404(world, admin_client):
    assert_failure(admin_client.get("/api/leave/999999/candidates"), 404)
    body = {"batch": world.batch.pk, "substitute": world.roster_only.pk}
    assert_failure(admin_client.post("/api/leave/999999/covers", body, format="json"), 404)
