"""Course rosters and batch staffing through the API (the multi-trainer design's endpoints)."""

from __future__ import annotations

from accounts.tests.factories import InstructorFactory
from allocation.models import CourseTrainer

from .conftest import assert_failure, assert_success


def test_course_trainers_list_the_roster_with_their_batches(world, as_user):
    body = assert_success(
        as_user("other_instructor").get(f"/api/courses/{world.course.pk}/trainers")
    )
    entries = {e["trainer"]["_id"]: e for e in body["data"]}
    assert set(entries) == {world.instructor.pk, world.roster_only.pk}
    assert entries[world.roster_only.pk]["workload"] == 10
    assert entries[world.roster_only.pk]["assignedBatches"] == []
    assert entries[world.instructor.pk]["assignedBatches"] == [
        {"_id": world.batch.pk, "batch_code": world.batch.batch_code, "role": "primary"}
    ]


def test_add_update_remove_a_course_trainer(world, admin_client):
    url = f"/api/courses/{world.course.pk}/trainers"
    trainer = InstructorFactory()
    added = assert_success(
        admin_client.post(
            url, {"trainer": trainer.pk, "role": "lead", "workload": 30}, format="json"
        ),
        201,
    )["data"]
    assert (added["role"], added["workload"], added["status"]) == ("lead", 30, "active")
    updated = assert_success(
        admin_client.put(
            f"{url}/{trainer.pk}", {"workload": 50, "status": "on_leave"}, format="json"
        )
    )["data"]
    assert (updated["workload"], updated["status"]) == (50, "on_leave")
    assert_success(admin_client.delete(f"{url}/{trainer.pk}"))
    assert not CourseTrainer.objects.filter(course=world.course, trainer=trainer).exists()
    assert_failure(admin_client.delete(f"{url}/{trainer.pk}"), 404)


def test_the_roster_workload_cannot_pass_100_percent(world, admin_client):
    response = admin_client.post(
        f"/api/courses/{world.course.pk}/trainers",
        {"trainer": InstructorFactory().pk, "workload": 95},
        format="json",
    )
    assert_failure(response, 400, "at most 100%")


def test_a_trainer_twice_on_the_roster_is_refused(world, admin_client):
    response = admin_client.post(
        f"/api/courses/{world.course.pk}/trainers", {"trainer": world.roster_only.pk}, format="json"
    )
    assert_failure(response, 400, "already on the roster")


def test_removing_a_trainer_who_still_teaches_is_refused(world, admin_client):
    response = admin_client.delete(f"/api/courses/{world.course.pk}/trainers/{world.instructor.pk}")
    assert_failure(response, 400, "still staffs")


def test_batch_trainers_primary_backup_assistants(world, admin_client):
    url = f"/api/batches/{world.batch.pk}/trainers"
    data = assert_success(admin_client.get(url))["data"]
    assert data["primary"]["_id"] == world.instructor.pk
    assert data["backup"] == [] and data["assistants"] == []

    data = assert_success(
        admin_client.post(f"{url}/backup", {"trainer": world.roster_only.pk}, format="json"), 201
    )["data"]
    assert [t["_id"] for t in data["backup"]] == [world.roster_only.pk]

    assistant = InstructorFactory()
    admin_client.post(
        f"/api/courses/{world.course.pk}/trainers", {"trainer": assistant.pk}, format="json"
    )
    data = assert_success(
        admin_client.post(url, {"trainer": assistant.pk, "role": "assistant"}, format="json"), 201
    )["data"]
    assert [t["_id"] for t in data["assistants"]] == [assistant.pk]

    data = assert_success(
        admin_client.put(f"{url}/primary", {"trainer": world.roster_only.pk}, format="json")
    )["data"]
    assert data["primary"]["_id"] == world.roster_only.pk
    world.batch.refresh_from_db()
    assert world.batch.assigned_instructor_id == world.roster_only.pk


def test_staffing_refusals_come_from_the_services(world, admin_client):
    url = f"/api/batches/{world.batch.pk}/trainers"
    outsider = InstructorFactory(full_name="Out Sider")
    assert_failure(
        admin_client.post(f"{url}/backup", {"trainer": outsider.pk}, format="json"),
        400,
        "not on the roster",
    )
    assert_failure(
        admin_client.post(url, {"trainer": world.instructor.pk, "role": "backup"}, format="json"),
        400,
        "is the primary",
    )
    assert_failure(
        admin_client.post(url, {"trainer": world.roster_only.pk, "role": "primary"}, format="json"),
        400,
        "assistants or backups",
    )
    assert_failure(
        admin_client.put(f"{url}/primary", {"trainer": world.student.pk}, format="json"),
        400,
        "Assigned instructor must have instructor role",
    )


def test_workload(world, as_user):
    data = assert_success(
        as_user("instructor").get(f"/api/instructors/{world.instructor.pk}/workload")
    )["data"]
    assert data["instructor"]["_id"] == world.instructor.pk
    assert data["batchCount"] == 1
    assert data["individualCount"] == 1
    assert data["totalStudents"] == 1
    assert data["weeklyHours"] == 2.0
    assert data["maxActiveBatches"] == 4
    assert data["fillRate"] == 0.1


def test_workload_of_a_non_instructor_is_404(world, admin_client):
    assert_failure(admin_client.get(f"/api/instructors/{world.student.pk}/workload"), 404)
