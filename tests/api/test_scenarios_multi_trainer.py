"""The multi-trainer design's two scenarios, end to end through the API alone.

German A1: a lead (Dr. Sarah) who supervises every batch and backs each one up, and three
assistants who each teach four batches as primary. English B2: two leads, each supervising
their range of batches, eight assistants teaching two to three batches each, and a pool of
three substitutes. Then: students enroll, a trainer records leave, the course's template asks
for an assistant per batch, and the solver job proposes and applies them.

Then a leave of an assistant is covered through the API: its candidates, then a cover per
batch.
"""

from __future__ import annotations

import pytest

from allocation.models import Batch, BatchTrainer

from .conftest import assert_success

pytestmark = pytest.mark.slow

DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")


def _user(client, name: str, email: str, roles=("instructor",)) -> int:
    body = {
        "full_name": name,
        "email": email,
        "password": "a-long-enough-passphrase",
        "role": list(roles),
    }
    return assert_success(client.post("/api/users", body, format="json"), 201)["data"]["_id"]


def _course(client, code: str, title: str) -> int:
    body = {"code": code, "course_title": title}
    return assert_success(client.post("/api/courses", body, format="json"), 201)["data"]["_id"]


def _roster(client, course: int, trainer: int, role: str, workload: int) -> None:
    body = {"trainer": trainer, "role": role, "workload": workload}
    assert_success(client.post(f"/api/courses/{course}/trainers", body, format="json"), 201)


def _batch(client, course: int, n: int, primary: int, lead: int, day: str, hour: int) -> dict:
    body = {
        "batch_name": f"Batch {n}",
        "start_date": "2027-01-04",
        "end_date": "2027-03-26",
        "capacity": 25 if n < 100 else 20,
        "status": "Upcoming",
        "assigned_instructor": primary,
        "supervising_lead": lead,
        "schedule": [
            {"day": day, "start_time": f"{hour:02d}:00", "end_time": f"{hour + 1:02d}:00"}
        ],
    }
    url = f"/api/batches/courses/{course}/batches"
    return assert_success(client.post(url, body, format="json"), 201)["data"]


def _run_job(client, url: str, body: dict, capture) -> dict:
    with capture(execute=True):
        queued = client.post(url, body, format="json")
    assert queued.status_code == 202, queued.content
    job_id = queued.json()["data"]["_id"]
    job = assert_success(client.get(f"{url}/{job_id}"))["data"]
    assert job["status"] == "done", job
    return job


def test_german_a1_with_one_lead_and_three_assistants(
    world, admin_client, django_capture_on_commit_callbacks
):
    client = admin_client
    course = _course(client, "GER-A1-300", "German A1 (300 students)")
    sarah = _user(client, "Dr. Sarah", "sarah@example.com")
    assistants = [
        _user(client, name, f"{name.lower()}@example.com") for name in ("John", "Maria", "Alex")
    ]
    extra = _user(client, "Extra Assistant", "extra@example.com")
    _roster(client, course, sarah, "lead", 10)
    for trainer in assistants:
        _roster(client, course, trainer, "assistant", 25)
    _roster(client, course, extra, "assistant", 15)

    batches = []
    for index, trainer in enumerate(assistants):
        for k in range(4):
            n = index * 4 + k + 1
            batches.append(_batch(client, course, n, trainer, sarah, DAYS[k], 8 + index * 2))
    assert len(batches) == 12
    for batch in batches:
        url = f"/api/batches/{batch['_id']}/trainers/backup"
        assert_success(client.post(url, {"trainer": sarah}, format="json"), 201)
        assert batch["supervising_lead"]["_id"] == sarah

    # Batch 1-4: John (primary), Sarah (backup); and so on.
    staff = assert_success(client.get(f"/api/batches/{batches[0]['_id']}/trainers"))["data"]
    assert staff["primary"]["_id"] == assistants[0]
    assert [t["_id"] for t in staff["backup"]] == [sarah]
    roster = assert_success(client.get(f"/api/courses/{course}/trainers"))["data"]
    john = next(e for e in roster if e["trainer"]["_id"] == assistants[0])
    assert len(john["assignedBatches"]) == 4

    # Students enroll; John records a week of leave.
    for s in range(3):
        student = _user(client, f"Student {s}", f"student{s}@example.com", ("student",))
        body = {"courseId": course, "batchId": batches[0]["_id"], "enrollment_type": "batch"}
        assert_success(
            client.post(f"/api/enrollments/students/{student}/enroll", body, format="json"), 201
        )
    leave = {"start_date": "2027-02-01", "end_date": "2027-02-05", "reason": "Conference"}
    assert_success(client.post(f"/api/trainers/{assistants[0]}/leave", leave, format="json"), 201)
    assert assert_success(client.get(f"/api/trainers/{assistants[0]}/leave"))["count"] == 1

    # The template asks for one assistant per batch: the solver job proposes and applies them.
    template = {"assistants": 1}
    assert_success(client.put(f"/api/courses/{course}/batch-template", template, format="json"))
    job = _run_job(
        client,
        "/api/assignment/proposals",
        {"course": course, "time_limit": 5},
        django_capture_on_commit_callbacks,
    )
    proposal = job["proposal"]
    assert proposal["positions"] == 12
    assert len(proposal["rows"]) + len(proposal["unassignable"]) == 12
    assert proposal["rows"], proposal  # the extra assistant is free at every slot
    assert all(row["role"] == "assistant" for row in proposal["rows"])
    for item in proposal["unassignable"]:
        assert item["reason"]  # says why
    assert {load["trainer"]["_id"] for load in proposal["loads"]} >= {extra}
    assert proposal["bound"] is None or proposal["bound"] <= proposal["max_deviation_minutes"]
    applied = assert_success(client.post(f"/api/assignment/proposals/{job['_id']}/apply"))
    assert applied["data"]["status"] == "applied"
    assert applied["data"]["applied_count"] == len(proposal["rows"])
    assert BatchTrainer.objects.filter(
        batch__course_id=course, role="assistant", ended_at__isnull=True
    ).count() == len(proposal["rows"])
    # Applying twice is refused.
    again = client.post(f"/api/assignment/proposals/{job['_id']}/apply")
    assert again.status_code == 400 and "already applied" in again.json()["message"]


def test_english_b2_with_two_leads_assistants_and_substitutes(
    world, admin_client, django_capture_on_commit_callbacks
):
    client = admin_client
    course = _course(client, "ENG-B2-500", "English B2 (500 students)")
    smith = _user(client, "Dr. Smith", "smith@example.com")
    johnson = _user(client, "Dr. Johnson", "johnson@example.com")
    assistants = [_user(client, f"Assistant {i}", f"assistant{i}@example.com") for i in range(8)]
    substitutes = [_user(client, f"Sub {i}", f"sub{i}@example.com") for i in range(3)]
    _roster(client, course, smith, "lead", 10)
    _roster(client, course, johnson, "lead", 10)
    for trainer in assistants:
        _roster(client, course, trainer, "assistant", 10)
    for trainer in substitutes:
        _roster(client, course, trainer, "substitute", 0)

    # 25 batches: assistants teach three each (the last one two), Dr. Johnson one himself.
    teachers = [a for a in assistants for _ in range(3)][:23] + [assistants[7], johnson]
    batches = []
    for n, teacher in enumerate(teachers, start=1):
        lead = smith if n <= 12 else johnson
        day = DAYS[(n - 1) % 3]
        batches.append(_batch(client, course, 100 + n, teacher, lead, day, 8 + (n % 5)))
    assert len(batches) == 25
    led = Batch.objects.filter(course_id=course)
    assert led.filter(supervising_lead_id=smith).count() == 12
    assert led.filter(supervising_lead_id=johnson).count() == 13
    # A substitute cannot lead a batch; changing the lead through PUT works.
    refused = client.put(
        f"/api/batches/{batches[0]['_id']}", {"supervising_lead": substitutes[0]}, format="json"
    )
    assert refused.status_code == 400 and "not an active lead" in refused.json()["message"]
    moved = client.put(
        f"/api/batches/{batches[12]['_id']}", {"supervising_lead": smith}, format="json"
    )
    assert assert_success(moved)["data"]["supervising_lead"]["_id"] == smith

    # The workload of every assistant: two or three batches each.
    for trainer in assistants:
        load = assert_success(client.get(f"/api/instructors/{trainer}/workload"))["data"]
        assert load["batchCount"] in (2, 3)

    # Leave for a lead; a balancing job runs and reports its bound.
    leave = {"start_date": "2027-03-01", "end_date": "2027-03-03"}
    assert_success(client.post(f"/api/trainers/{smith}/leave", leave, format="json"), 201)
    job = _run_job(
        client,
        "/api/balancing/proposals",
        {"course": course, "time_limit": 5, "tolerance_minutes": 60},
        django_capture_on_commit_callbacks,
    )
    proposal = job["proposal"]
    assert proposal["tolerance_minutes"] == 60
    assert proposal["max_deviation_minutes"] <= proposal["max_deviation_before_minutes"]
    assert isinstance(proposal["optimal"], bool)
    # The solver's objective bound: none deviates less; the proposal reaches it when optimal.
    assert proposal["bound"] is None or proposal["bound"] <= proposal["max_deviation_minutes"]
    if proposal["optimal"] and proposal["bound"] is not None:
        assert proposal["bound"] == proposal["max_deviation_minutes"]

    # Leave for an assistant: the API lists the sessions it hits per batch with the ranked
    # substitutes (the leave page's list), and each batch is covered through it.
    absent = assistants[0]
    leave = {"start_date": "2027-03-01", "end_date": "2027-03-03", "reason": "Illness"}
    leave_id = assert_success(
        client.post(f"/api/trainers/{absent}/leave", leave, format="json"), 201
    )["data"]["_id"]
    plan = assert_success(client.get(f"/api/leave/{leave_id}/candidates"))["data"]["batches"]
    assert [b["batch"] for b in plan] == [b["_id"] for b in batches[:3]]
    for batch in plan:
        assert len(batch["sessions"]) == 1 and batch["covered_sessions"] == []
        ranked = [c for c in batch["candidates"] if c["eligible"]]
        assert ranked and all(c["why"] for c in batch["candidates"])
        assert absent not in {c["trainer"]["_id"] for c in batch["candidates"]}
        body = {"batch": batch["batch"], "substitute": ranked[0]["trainer"]["_id"]}
        cover = assert_success(
            client.post(f"/api/leave/{leave_id}/covers", body, format="json"), 201
        )["data"]
        assert cover["sessions"] == [batch["sessions"][0]["_id"]]
        assert cover["absent_trainer"]["_id"] == absent
    after = assert_success(client.get(f"/api/leave/{leave_id}/candidates"))["data"]["batches"]
    assert all(b["sessions"] == [] and b["candidates"] == [] for b in after)
    assert all(len(b["covered_sessions"]) == 1 for b in after)
