"""The instructor's dashboard shows a weekly grid of what they teach and each roster."""

import datetime as dt

import pytest
from django.urls import reverse

from accounts.tests.factories import AdminFactory, InstructorFactory, StudentFactory
from allocation.services import Slot, batch_create
from allocation.tests.factories import CourseFactory
from enrollments.services import enrollment_create

pytestmark = pytest.mark.django_db


def test_dashboard_shows_timetable_cells_and_the_roster(client):
    admin, me, other = AdminFactory(), InstructorFactory(), InstructorFactory()
    course = CourseFactory()
    mine = batch_create(
        course=course,
        batch_name="Mine",
        batch_code="MINE-1",
        start_date=dt.date(2026, 1, 5),
        end_date=dt.date(2027, 3, 27),
        capacity=5,
        status="Active",
        assigned_instructor=me,
        created_by=admin,
        schedule=[Slot(2, dt.time(10), dt.time(12))],
    )
    theirs = batch_create(
        course=CourseFactory(),
        batch_name="Theirs",
        batch_code="THEIRS-1",
        start_date=dt.date(2026, 1, 5),
        end_date=dt.date(2027, 3, 27),
        capacity=5,
        status="Active",
        assigned_instructor=other,
        created_by=admin,
        schedule=[Slot(0, dt.time(10), dt.time(12))],
    )
    mine_student = StudentFactory(full_name="Rosa Roster")
    their_student = StudentFactory(full_name="Olga Outsider")
    enrollment_create(student=mine_student, course=course, batch=mine)
    enrollment_create(student=their_student, course=theirs.course, batch=theirs)
    client.force_login(me)

    response = client.get(reverse("instructor:dashboard"))

    page = response.content.decode()
    assert "Rosa Roster" in page and "Olga Outsider" not in page
    timetable = response.context["timetable"]
    wednesday_10 = next(row for row in timetable.rows if row.hour == 10).cells[2]
    assert [entry.batch_code for entry in wednesday_10] == ["MINE-1"]
    assert "THEIRS-1" not in page
