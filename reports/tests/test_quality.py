"""The trainer quality report: each figure computed on a small known world, the filters, the
CSV and a query count that does not grow with the data."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from allocation.models import BatchStatus, ClassSession, Weekday
from attendance.models import AttendanceMark
from core import dates
from enrollments.models import Enrollment, EnrollmentStatus
from feedback.models import BatchFeedback, MentoringRating, TrainerRating
from reports.quality import quality_rows
from tests.support import (
    BatchTrainerFactory,
    IndividualAssignmentFactory,
    InstructorFactory,
    MentoringSessionFactory,
    StudentFactory,
    build_batch,
    csv_text,
    slot,
)
from trainers.models import TrainerProfile, TrainerStatus

pytestmark = pytest.mark.django_db


def known_world(admin, course, *, name="Tara Trainer", students=4):
    """A trainer who taught a batch (primary) with an assistant: 2 of its 4 enrollments
    completed, 1 cancelled, 1 active; 3 marks (present, late, absent) and 1 excused on its
    sessions; two trainer ratings (5 and 3); two mentees with 3 sessions in the last 90 days
    logged 2, 4 and 10 days late, and one older session; mentoring ratings 4 and 2."""
    trainer = InstructorFactory(full_name=name)
    assistant = InstructorFactory(full_name=f"{name} Assistant")
    batch = build_batch(
        course=course,
        instructor=trainer,
        created_by=admin,
        batch_name=f"{name} batch",
        status=BatchStatus.ACTIVE,
        start_date=dt.date(2026, 1, 5),
        end_date=dt.date(2026, 3, 27),
        capacity=10,
        schedule=[slot(Weekday.MONDAY, "10:00", "12:00")],
        enrolled=students,
    )
    BatchTrainerFactory(batch=batch, trainer=assistant, assigned_by=admin)
    enrollments = list(Enrollment.objects.filter(batch=batch).order_by("pk"))
    for enrollment, status in zip(
        enrollments,
        [EnrollmentStatus.COMPLETED, EnrollmentStatus.COMPLETED, EnrollmentStatus.CANCELLED],
        strict=False,
    ):
        Enrollment.objects.filter(pk=enrollment.pk).update(status=status)
    sessions = list(ClassSession.objects.filter(batch=batch).order_by("start_at")[:4])
    for session, status in zip(sessions, ["present", "late", "absent", "excused"], strict=True):
        AttendanceMark.objects.create(
            session=session,
            batch=batch,
            student=enrollments[0].student,
            session_start=session.start_at,
            trainer=trainer,
            status=status,
        )
    for enrollment, rating in zip(enrollments[:2], [5, 3], strict=True):
        answer = BatchFeedback.objects.create(
            batch=batch, student=enrollment.student, stage="completion", rating=4
        )
        TrainerRating.objects.create(feedback=answer, trainer=trainer, rating=rating)
    today = dates.today()
    mentees = [
        IndividualAssignmentFactory(instructor=trainer, start_date=today - dt.timedelta(days=200))
        for _ in range(2)
    ]
    for assignment, days_ago in ((mentees[0], 2), (mentees[0], 4), (mentees[1], 10)):
        session = MentoringSessionFactory(
            assignment=assignment, session_date=today - dt.timedelta(days=days_ago)
        )
        MentoringRating.objects.create(
            session=session,
            student=assignment.student,
            mentor=trainer,
            rating=4 if days_ago == 2 else 2 if days_ago == 4 else 3,
        )
    MentoringSessionFactory(assignment=mentees[1], session_date=today - dt.timedelta(days=120))
    return trainer, assistant


def test_each_figure_on_a_known_world(admin, course):
    trainer, assistant = known_world(admin, course)
    idle = InstructorFactory(full_name="Ida Idle")
    row, assistant_row, idle_row = quality_rows([trainer, assistant, idle])
    assert row.attendance_percent == 67  # 2 attended of 3 counted; the excused left out
    assert (row.attendance.attended, row.attendance.counted) == (2, 3)
    assert (row.satisfaction.average, row.satisfaction.answers) == (4.0, 2)
    assert (row.mentoring_rating.average, row.mentoring_rating.answers) == (3.0, 3)
    assert (row.completed, row.ended, row.completion_percent) == (2, 3, 66.7)
    # 3 sessions in the window, 2 mentees: 3 / 2 × 30 / 90 = 0.5.
    assert (row.sessions_in_window, row.mentees_in_window, row.contact_per_30_days) == (3, 2, 0.5)
    assert row.logging_delay_days == 4.0  # median of 2, 4 and 10 days
    # The assistant taught the same batch: the same completion, nothing else.
    assert (assistant_row.completed, assistant_row.ended) == (2, 3)
    assert assistant_row.attendance is None and assistant_row.satisfaction is None
    assert assistant_row.contact_per_30_days is None
    assert idle_row.completion_percent is None and idle_row.logging_delay_days is None


def test_the_page_shows_the_figures_and_their_definitions(admin, course):
    trainer, _ = known_world(admin, course)
    client = Client()
    client.force_login(admin)
    page = client.get(reverse("reports:quality"))
    assert page.status_code == 200
    text = page.text
    assert "Tara Trainer" in text and "67 %" in text and "66.7 %" in text
    assert "How these figures are counted" in text
    assert "Excused absences and cancelled sessions are left out" in text
    assert "The median number of days" in text


def test_filters_and_csv(admin, course):
    trainer, assistant = known_world(admin, course)
    TrainerProfile.objects.update_or_create(
        user=assistant, defaults={"status": TrainerStatus.INACTIVE}
    )
    client = Client()
    client.force_login(admin)
    url = reverse("reports:quality")
    inactive = client.get(url, {"status": TrainerStatus.INACTIVE}).text
    assert f'data-trainer="{assistant.pk}"' in inactive
    assert f'data-trainer="{trainer.pk}"' not in inactive
    by_name = client.get(url, {"q": "Tara Trainer", "format": "csv"})
    body = csv_text(by_name)
    lines = body.strip().splitlines()
    assert lines[0].startswith("Trainer,Email,Attendance rate %")
    first = next(line for line in lines if line.startswith("Tara Trainer,"))
    assert ",67,2,3,4.0,2,3.0,3,66.7,2,3,0.5,3,2,4.0" in first
    assert client.get(url, {"status": "nonsense"}).status_code == 200  # shown, not applied


def test_the_page_costs_the_same_with_more_trainers_and_data(
    admin, course, django_assert_max_num_queries
):
    known_world(admin, course, name="Tara Trainer")
    client = Client()
    client.force_login(admin)
    url = reverse("reports:quality")
    with django_assert_max_num_queries(20) as few:
        client.get(url)
    for name in ("Uma", "Vic", "Wes"):
        known_world(admin, course, name=name, students=6)
    StudentFactory()
    with django_assert_max_num_queries(len(few)):
        assert client.get(url).status_code == 200
