"""Admin for course rosters, covers, notes, leave and availability: writes via the services."""

import datetime as dt

import pytest
from django.urls import reverse

from accounts.tests.factories import AdminFactory, InstructorFactory, StudentFactory
from allocation.models import BatchTrainer, Course, CourseTrainer
from allocation.services import batch_create, roster_add
from allocation.tests.factories import BatchFactory, CourseFactory
from trainers.models import TrainerLeave

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.admin = AdminFactory()
    client.force_login(client.admin)
    return client


def test_roster_add_goes_through_roster_add(admin_client):
    course = CourseFactory()
    trainer = InstructorFactory()
    response = admin_client.post(
        reverse("admin:allocation_coursetrainer_add"),
        {
            "course": course.pk,
            "trainer": trainer.pk,
            "role": "lead",
            "workload_percent": 40,
            "status": "active",
        },
    )
    assert response.status_code == 302
    entry = CourseTrainer.objects.get()
    assert (entry.trainer, entry.role, entry.workload_percent) == (trainer, "lead", 40)


def test_roster_workload_over_100_is_a_form_error(admin_client):
    course = CourseFactory(code="GER-A1")
    roster_add(course=course, trainer=InstructorFactory(), workload_percent=70)
    response = admin_client.post(
        reverse("admin:allocation_coursetrainer_add"),
        {
            "course": course.pk,
            "trainer": InstructorFactory().pk,
            "role": "assistant",
            "workload_percent": 40,
            "status": "active",
        },
    )
    assert response.status_code == 200
    assert "already have 70% of its workload" in response.content.decode()
    assert CourseTrainer.objects.count() == 1


def test_roster_change_goes_through_roster_update(admin_client):
    course = CourseFactory()
    entry = roster_add(course=course, trainer=InstructorFactory(), workload_percent=10)
    roster_add(course=course, trainer=InstructorFactory(), workload_percent=80)
    url = reverse("admin:allocation_coursetrainer_change", args=[entry.pk])
    too_much = admin_client.post(
        url, {"role": "assistant", "workload_percent": 30, "status": "active"}
    )
    assert too_much.status_code == 200
    assert "already have 80%" in too_much.content.decode()
    fine = admin_client.post(url, {"role": "lead", "workload_percent": 20, "status": "active"})
    assert fine.status_code == 302
    entry.refresh_from_db()
    assert (entry.role, entry.workload_percent) == ("lead", 20)


def test_roster_remove_refused_while_staffing_open_batches(admin_client):
    admin, instructor = admin_client.admin, InstructorFactory()
    batch = batch_create(
        course=CourseFactory(),
        batch_name="B",
        start_date=dt.date(2026, 1, 5),
        end_date=dt.date(2026, 3, 27),
        capacity=5,
        assigned_instructor=instructor,
        created_by=admin,
        status="Active",
    )
    entry = CourseTrainer.objects.get(course=batch.course, trainer=instructor)
    response = admin_client.post(
        reverse("admin:allocation_coursetrainer_delete", args=[entry.pk]),
        {"post": "yes"},
        follow=True,
    )
    assert "still staffs 1 open batch(es)" in response.content.decode()
    assert CourseTrainer.objects.filter(pk=entry.pk).exists()


def test_convert_to_multi_trainer_action(admin_client):
    batch = BatchFactory()  # legacy data: only assigned_instructor, no staffing, no roster
    url = reverse("admin:allocation_course_changelist")
    data = {"action": "convert_to_multi_trainer", "_selected_action": [batch.course_id]}

    first = admin_client.post(url, data, follow=True)
    again = admin_client.post(url, data, follow=True)

    assert "1 primary staffing row(s) and 1 roster entry(ies) added" in first.content.decode()
    assert "0 primary staffing row(s) and 0 roster entry(ies) added" in again.content.decode()
    assert BatchTrainer.objects.get(batch=batch).trainer == batch.assigned_instructor
    assert Course.objects.get().roster.get().trainer == batch.assigned_instructor


def test_leave_add_goes_through_leave_record(admin_client):
    trainer = InstructorFactory()
    url = reverse("admin:trainers_trainerleave_add")
    data = {"trainer": trainer.pk, "start_date": "2026-12-01", "end_date": "2026-12-05"}

    assert admin_client.post(url, data).status_code == 302
    overlapping = admin_client.post(url, {**data, "start_date": "2026-12-04"})

    assert overlapping.status_code == 200
    assert "is already on leave 2026-12-01 – 2026-12-05" in overlapping.content.decode()
    leave = TrainerLeave.objects.get()
    assert leave.created_by == admin_client.admin


@pytest.mark.parametrize(
    "name",
    [
        "allocation_coursetrainer",
        "allocation_substitutecover",
        "allocation_batchnote",
        "trainers_trainerleave",
        "trainers_availabilitywindow",
    ],
)
def test_changelists_for_admin_and_refused_for_student(client, admin_client, name):
    assert admin_client.get(reverse(f"admin:{name}_changelist")).status_code == 200
    client.force_login(StudentFactory())
    response = client.get(reverse(f"admin:{name}_changelist"))
    assert response.status_code == 302 and reverse("admin:login") in response["Location"]
