"""Admin pages for staffing history, individual assignments and mentoring sessions."""

import datetime as dt

import pytest
from django.urls import reverse

from accounts.tests.factories import AdminFactory, InstructorFactory, StudentFactory
from allocation.models import BatchTrainer, IndividualAssignment, MentoringSession, StaffRole
from allocation.services import (
    MSG_ALREADY_ASSIGNED,
    MSG_NOT_INSTRUCTOR,
    batch_create,
    individual_assign,
    mentoring_session_log,
)
from allocation.tests.factories import CourseFactory
from core import dates

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    admin = AdminFactory()
    client.force_login(admin)
    client.admin = admin
    return client


def make_batch(admin, instructor):
    return batch_create(
        course=CourseFactory(),
        batch_name="Evening",
        start_date=dt.date(2026, 1, 5),
        end_date=dt.date(2026, 3, 27),
        capacity=10,
        assigned_instructor=instructor,
        created_by=admin,
    )


def test_assignment_add_goes_through_the_service(admin_client):
    student, instructor = StudentFactory(), InstructorFactory()
    response = admin_client.post(
        reverse("admin:allocation_individualassignment_add"),
        {
            "student": student.pk,
            "instructor": instructor.pk,
            "assignment_type": "tutor",
            "notes": "Grammar",
            "start_date": "2026-11-01",
        },
    )
    assert response.status_code == 302
    assignment = IndividualAssignment.objects.get()
    assert (assignment.student, assignment.instructor, assignment.assignment_type) == (
        student,
        instructor,
        "tutor",
    )
    assert assignment.assigned_by == admin_client.admin


def test_assignment_add_refusals_are_form_errors(admin_client):
    student, instructor = StudentFactory(), InstructorFactory()
    individual_assign(student=student, instructor=instructor, assigned_by=admin_client.admin)
    url = reverse("admin:allocation_individualassignment_add")
    data = {"student": student.pk, "assignment_type": "mentor", "start_date": "2026-11-01"}

    again = admin_client.post(url, {**data, "instructor": instructor.pk})
    not_instructor = admin_client.post(url, {**data, "instructor": StudentFactory().pk})

    assert again.status_code == 200
    assert MSG_ALREADY_ASSIGNED in again.content.decode()
    assert not_instructor.status_code == 200
    assert MSG_NOT_INSTRUCTOR in not_instructor.content.decode()
    assert IndividualAssignment.objects.count() == 1


def test_unassign_action_keeps_history(admin_client):
    student = StudentFactory()
    assignment = individual_assign(
        student=student, instructor=InstructorFactory(), assigned_by=admin_client.admin
    )
    response = admin_client.post(
        reverse("admin:allocation_individualassignment_changelist"),
        {"action": "unassign_selected", "_selected_action": [assignment.pk]},
        follow=True,
    )
    assert "Unassigned 1 assignment(s)." in response.content.decode()
    assignment.refresh_from_db()
    assert assignment.ended_at is not None
    assert assignment.ended_by == admin_client.admin
    assert IndividualAssignment.objects.count() == 1


def test_assignments_cannot_be_deleted_or_edited(admin_client):
    assignment = individual_assign(
        student=StudentFactory(), instructor=InstructorFactory(), assigned_by=admin_client.admin
    )
    change_url = reverse("admin:allocation_individualassignment_change", args=[assignment.pk])
    delete_url = reverse("admin:allocation_individualassignment_delete", args=[assignment.pk])
    assert admin_client.get(change_url).status_code == 200
    assert admin_client.post(delete_url, {"post": "yes"}).status_code == 403
    assert IndividualAssignment.objects.filter(pk=assignment.pk).exists()


def test_batch_change_page_shows_staffing_history(admin_client):
    first, second = (
        InstructorFactory(full_name="Ada First"),
        InstructorFactory(full_name="Bo Second"),
    )
    batch = make_batch(admin_client.admin, first)
    response = admin_client.post(
        reverse("admin:allocation_batch_change", args=[batch.pk]),
        {
            "batch_name": batch.batch_name,
            "batch_code": batch.batch_code,
            "status": batch.status,
            "start_date": "2026-01-05",
            "end_date": "2026-03-27",
            "capacity": 10,
            "assigned_instructor": second.pk,
            "batch_notes": "",
            "schedule-TOTAL_FORMS": 0,
            "schedule-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    rows = BatchTrainer.objects.filter(batch=batch, role=StaffRole.PRIMARY).order_by("pk")
    assert [(r.trainer, r.ended_at is not None) for r in rows] == [(first, True), (second, False)]
    assert rows[0].ended_by == admin_client.admin and rows[1].assigned_by == admin_client.admin
    page = admin_client.get(reverse("admin:allocation_batch_change", args=[batch.pk]))
    assert "Ada First" in page.content.decode() and "Bo Second" in page.content.decode()


@pytest.mark.parametrize("size", [2, 12])
def test_history_changelists_run_constant_queries(
    admin_client, django_assert_max_num_queries, size
):
    instructor = InstructorFactory()
    for _ in range(size):
        assignment = individual_assign(
            student=StudentFactory(), instructor=instructor, assigned_by=admin_client.admin
        )
        mentoring_session_log(
            assignment=assignment,
            logged_by=instructor,
            session_date=dates.today(),
            duration_minutes=30,
        )
    assert MentoringSession.objects.count() == size
    for name in ("individualassignment", "mentoringsession", "batchtrainer"):
        # session, user, count, count(all), rows (+ filters' lookups): constant in size
        with django_assert_max_num_queries(8):
            assert (
                admin_client.get(reverse(f"admin:allocation_{name}_changelist")).status_code == 200
            )


def test_student_is_sent_to_admin_login(client):
    client.force_login(StudentFactory())
    for name in ("individualassignment", "mentoringsession", "batchtrainer"):
        response = client.get(reverse(f"admin:allocation_{name}_changelist"))
        assert response.status_code == 302
        assert reverse("admin:login") in response["Location"]


def test_a_staffing_row_cannot_be_deleted_on_its_own(admin_client):
    batch = make_batch(admin_client.admin, InstructorFactory())
    row = BatchTrainer.objects.get(batch=batch)
    url = reverse("admin:allocation_batchtrainer_delete", args=[row.pk])
    assert admin_client.post(url, {"post": "yes"}).status_code == 403
    assert BatchTrainer.objects.filter(pk=row.pk).exists()
