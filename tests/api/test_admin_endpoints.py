"""Issue 23's admin endpoints: leave, supervising leads, ending a batch role, users' roles,
enrollment details, waitlists, batch templates, and lists without a page for older clients."""

from __future__ import annotations

from accounts.tests.factories import InstructorFactory, StudentFactory
from allocation import services as allocation_services
from allocation.models import Batch, BatchTemplate, BatchTrainer
from enrollments.models import Enrollment, WaitlistEntry, WaitlistStatus
from trainers.models import TrainerLeave

from .conftest import assert_failure, assert_success

# --- leave -----------------------------------------------------------------------------------


def test_record_list_and_withdraw_a_trainers_leave(world, admin_client, as_user):
    url = f"/api/trainers/{world.instructor.pk}/leave"
    body = {"start_date": "2026-02-02", "end_date": "2026-02-06", "reason": "Conference"}
    leave = assert_success(admin_client.post(url, body, format="json"), 201)["data"]
    assert leave["trainer"]["_id"] == world.instructor.pk
    assert (leave["start_date"], leave["end_date"]) == (
        "2026-02-02T00:00:00.000Z",
        "2026-02-06T00:00:00.000Z",
    )
    assert leave["created_by"] == world.admin.pk
    # The trainer sees their own leave; another instructor does not.
    listed = assert_success(as_user("instructor").get(url))
    assert [item["_id"] for item in listed["data"]] == [leave["_id"]]
    assert_failure(as_user("other_instructor").get(url), 403)
    # An overlapping leave is refused with the service's message.
    overlap = {"start_date": "2026-02-05", "end_date": "2026-02-10"}
    assert_failure(admin_client.post(url, overlap, format="json"), 400, "already on leave")
    reversed_dates = {"start_date": "2026-03-05", "end_date": "2026-03-01"}
    assert_failure(admin_client.post(url, reversed_dates, format="json"), 400, "end on or after")
    assert_success(admin_client.delete(f"/api/leave/{leave['_id']}"))
    assert not TrainerLeave.objects.filter(pk=leave["_id"]).exists()
    assert_failure(admin_client.delete(f"/api/leave/{leave['_id']}"), 404)


def test_leave_for_a_student_is_refused(world, admin_client):
    url = f"/api/trainers/{world.student.pk}/leave"
    body = {"start_date": "2026-02-02", "end_date": "2026-02-06"}
    assert_failure(admin_client.post(url, body, format="json"), 400, "Only an instructor")


# --- supervising lead ------------------------------------------------------------------------


def _make_lead(world):
    lead = InstructorFactory(full_name="Dr. Sarah")
    allocation_services.roster_add(
        course=world.course, trainer=lead, role="lead", workload_percent=20
    )
    return lead


def test_supervising_lead_on_create_update_and_read(world, admin_client):
    lead = _make_lead(world)
    created = assert_success(
        admin_client.post(
            f"/api/batches/courses/{world.course.pk}/batches",
            {
                "batch_name": "Led Batch",
                "start_date": "2026-02-02",
                "end_date": "2026-04-30",
                "capacity": 12,
                "assigned_instructor": world.instructor.pk,
                "supervising_lead": lead.pk,
                "schedule": [{"day": "Friday", "start_time": "09:00", "end_time": "11:00"}],
            },
            format="json",
        ),
        201,
    )["data"]
    assert created["supervising_lead"]["_id"] == lead.pk
    url = f"/api/batches/{created['_id']}"
    assert assert_success(admin_client.get(url))["data"]["supervising_lead"]["_id"] == lead.pk
    cleared = assert_success(admin_client.put(url, {"supervising_lead": None}, format="json"))
    assert cleared["data"]["supervising_lead"] is None
    # Someone who is not an active lead of the course is refused, and nothing changes.
    response = admin_client.put(
        url, {"supervising_lead": world.roster_only.pk, "batch_name": "X"}, format="json"
    )
    assert_failure(response, 400, "not an active lead")
    assert Batch.objects.get(pk=created["_id"]).batch_name == "Led Batch"


def test_a_refused_lead_leaves_no_batch_behind(world, admin_client):
    before = Batch.objects.count()
    response = admin_client.post(
        f"/api/batches/courses/{world.course.pk}/batches",
        {
            "batch_name": "Led Batch",
            "start_date": "2026-02-02",
            "end_date": "2026-04-30",
            "capacity": 12,
            "assigned_instructor": world.instructor.pk,
            "supervising_lead": world.student.pk,
        },
        format="json",
    )
    assert_failure(response, 400, "not an active lead")
    assert Batch.objects.count() == before


# --- ending an assistant's or backup's role --------------------------------------------------


def test_remove_a_backup_and_refuse_the_primary(world, admin_client):
    assert_success(
        admin_client.post(
            f"/api/batches/{world.batch.pk}/trainers/backup",
            {"trainer": world.roster_only.pk},
            format="json",
        ),
        201,
    )
    url = f"/api/batches/{world.batch.pk}/trainers/{world.roster_only.pk}"
    data = assert_success(admin_client.delete(url))["data"]
    assert data["backup"] == []
    row = BatchTrainer.objects.get(batch=world.batch, trainer=world.roster_only)
    assert row.ended_at is not None  # kept as history
    assert_failure(admin_client.delete(url), 400, "has no role")
    primary = f"/api/batches/{world.batch.pk}/trainers/{world.instructor.pk}"
    assert_failure(admin_client.delete(primary), 400, "assign another primary")


# --- users -----------------------------------------------------------------------------------


def test_update_a_users_name_and_roles(world, admin_client):
    url = f"/api/users/{world.other_student.pk}"
    data = assert_success(
        admin_client.put(
            url, {"full_name": "Otto Tutor", "role": ["student", "instructor"]}, format="json"
        ),
    )["data"]
    assert data["full_name"] == "Otto Tutor"
    assert sorted(data["role"]) == ["instructor", "student"]


def test_an_admin_cannot_remove_their_own_admin_role(world, admin_client):
    response = admin_client.put(
        f"/api/users/{world.admin.pk}", {"role": ["instructor"]}, format="json"
    )
    assert_failure(response, 400, "your own admin role")
    world.admin.refresh_from_db()
    assert world.admin.is_staff


def test_removing_the_instructor_role_from_a_teacher_says_where_they_teach(world, admin_client):
    response = admin_client.put(
        f"/api/users/{world.instructor.pk}", {"role": ["student"]}, format="json"
    )
    body = assert_failure(response, 400, "still teaches")
    assert world.batch.batch_code in body["message"]
    assert "Jane Student" in body["message"]  # their mentee
    world.instructor.refresh_from_db()
    assert world.instructor.is_instructor


def test_user_update_bad_input(world, admin_client):
    url = f"/api/users/{world.student.pk}"
    assert_failure(admin_client.put(url, {}, format="json"), 400)
    assert_failure(admin_client.put(url, {"role": ["wizard"]}, format="json"), 400)
    assert_failure(admin_client.put(url, {"role": []}, format="json"), 400)
    assert_failure(admin_client.put(url, {"full_name": 12}, format="json"), 400)
    assert_failure(admin_client.put("/api/users/999999", {"full_name": "X"}, format="json"), 404)


# --- enrollment details ----------------------------------------------------------------------


def test_put_enrollment_payment_expiry_and_type(world, admin_client):
    url = f"/api/enrollments/{world.enrollment.pk}"
    body = {
        "paymentDetails": {"amount": 120.5, "currency": "EUR", "payment_status": "completed"},
        "access_expiry_date": "2026-06-30T12:00:00.000Z",
        "enrollment_type": "scholarship",
    }
    data = assert_success(admin_client.put(url, body, format="json"))["data"]
    assert data["paymentDetails"]["amount"] == 120.5
    assert data["paymentDetails"]["payment_status"] == "completed"
    assert data["access_expiry_date"] == "2026-06-30T12:00:00.000Z"
    assert data["enrollment_type"] == "scholarship"
    refused = {"enrollment_type": "individual"}  # an individual enrollment names no batch
    assert_failure(admin_client.put(url, refused, format="json"), 400, "individual")
    negative = {"paymentDetails": {"amount": -1}}
    assert_failure(admin_client.put(url, negative, format="json"), 400, "negative")
    bad_date = {"access_expiry_date": "soon"}
    assert_failure(admin_client.put(url, bad_date, format="json"), 400, "access_expiry_date")
    assert Enrollment.objects.get(pk=world.enrollment.pk).enrollment_type == "scholarship"


# --- waitlists -------------------------------------------------------------------------------


def _full_batch_with_waitlist(world, n: int = 3):
    from enrollments import services as enrollment_services

    batch = world.empty_batch
    for _ in range(batch.capacity):
        enrollment_services.enrollment_create(
            student=StudentFactory(), course=world.other_course, batch=batch
        )
    batch.refresh_from_db()
    return [
        enrollment_services.waitlist_join(student=StudentFactory(), batch=batch) for _ in range(n)
    ]


def test_waitlist_read_reorder_and_remove(world, admin_client, as_user):
    entries = _full_batch_with_waitlist(world)
    url = f"/api/batches/{world.empty_batch.pk}/waitlist"
    listed = assert_success(admin_client.get(url))["data"]
    assert [e["_id"] for e in listed] == [e.pk for e in entries]
    assert [e["position"] for e in listed] == [1, 2, 3]
    new_order = [entries[2].pk, entries[0].pk, entries[1].pk]
    reordered = assert_success(admin_client.put(url, {"order": new_order}, format="json"))
    assert [e["_id"] for e in reordered["data"]] == new_order
    # A stale or partial order is refused with the ids that are waiting.
    assert_failure(admin_client.put(url, {"order": new_order[:2]}, format="json"), 400, "every")
    dup = {"order": [new_order[0]] * 3}
    assert_failure(admin_client.put(url, dup, format="json"), 400, "every")
    assert_failure(admin_client.put(url, {"order": "first"}, format="json"), 400)
    removed = assert_success(
        admin_client.delete(
            f"{url}/{entries[0].pk}", {"reason": "Found another course"}, format="json"
        )
    )["data"]
    assert removed["status"] == "removed"
    assert WaitlistEntry.objects.get(pk=entries[0].pk).status == WaitlistStatus.REMOVED
    assert_failure(admin_client.delete(f"{url}/{entries[0].pk}"), 400, "no longer waiting")
    # The batch's own trainer may read it; a student may not.
    assert_success(as_user("other_instructor").get(url))
    assert_failure(as_user("instructor").get(url), 403)
    assert_failure(as_user("student").get(url), 403)


# --- batch template --------------------------------------------------------------------------


def test_batch_template_defaults_save_and_refusals(world, admin_client):
    url = f"/api/courses/{world.course.pk}/batch-template"
    defaults = assert_success(admin_client.get(url))["data"]
    assert (defaults["capacity"], defaults["auto_create"], defaults["schedule"]) == (25, False, [])
    body = {
        "capacity": 20,
        "duration_weeks": 10,
        "auto_create": True,
        "waitlist_threshold": 5,
        "assistants": 1,
        "schedule": [{"day": "Tuesday", "start_time": "18:00", "end_time": "20:00"}],
    }
    saved = assert_success(admin_client.put(url, body, format="json"))["data"]
    assert saved["schedule"] == body["schedule"]
    assert (saved["capacity"], saved["auto_create"], saved["assistants"]) == (20, True, 1)
    template = BatchTemplate.objects.get(course=world.course)
    assert template.schedule == [{"day": 1, "start": "18:00", "end": "20:00"}]
    assert_failure(admin_client.put(url, {"capacity": 0}, format="json"), 400, "at least 1")
    overlap = {
        "schedule": [
            {"day": "Monday", "start_time": "08:00", "end_time": "10:00"},
            {"day": "Monday", "start_time": "09:00", "end_time": "11:00"},
        ]
    }
    assert_failure(admin_client.put(url, overlap, format="json"), 400, "overlap")
    assert BatchTemplate.objects.get(course=world.course).capacity == 20


# --- older clients: a list without page or limit ---------------------------------------------


def test_a_list_without_page_or_limit_returns_everything_up_to_the_cap(
    world, admin_client, monkeypatch
):
    from core.api import pagination

    for _ in range(25):
        StudentFactory()
    every = assert_success(admin_client.get("/api/users"))
    assert every["count"] == every["total"] > 20
    assert every["message"] == "Users fetched successfully"
    paged = assert_success(admin_client.get("/api/users?limit=5"))
    assert (paged["count"], paged["limit"]) == (5, 5)
    assert assert_success(admin_client.get("/api/users?page=1"))["count"] == 20
    monkeypatch.setattr(pagination, "HARD_CAP", 10)
    capped = assert_success(admin_client.get("/api/users"))
    assert capped["count"] == 10 and capped["total"] == every["total"]
    assert f"only the first 10 of {every['total']}" in capped["message"]


def test_the_hard_cap_is_1000():
    from core.api import pagination

    assert pagination.HARD_CAP == 1000
