"""Rosters read lead first; a batch's staff reads primary first."""

import datetime as dt

import pytest

from accounts.tests.factories import AdminFactory, InstructorFactory
from allocation.selectors import batch_current_staff, course_trainers
from allocation.services import batch_create, batch_staff_add, roster_add
from allocation.tests.factories import CourseFactory

pytestmark = pytest.mark.django_db


def test_roster_lists_leads_then_assistants_then_substitutes():
    course = CourseFactory()
    for role, name in (("substitute", "Ann"), ("assistant", "Bea"), ("lead", "Cid")):
        roster_add(course=course, trainer=InstructorFactory(full_name=name), role=role)
    assert [entry.role for entry, _ in course_trainers(course)] == [
        "lead",
        "assistant",
        "substitute",
    ]


def test_batch_staff_lists_primary_then_assistants_then_backups():
    admin, course = AdminFactory(), CourseFactory()
    backup, assistant = InstructorFactory(full_name="Aa"), InstructorFactory(full_name="Ab")
    for trainer in (backup, assistant):
        roster_add(course=course, trainer=trainer)
    batch = batch_create(
        course=course,
        batch_name="B",
        start_date=dt.date(2026, 1, 5),
        end_date=dt.date(2026, 3, 27),
        capacity=5,
        assigned_instructor=InstructorFactory(full_name="Zed"),
        created_by=admin,
    )
    batch_staff_add(batch=batch, trainer=backup, role="backup", added_by=admin)
    batch_staff_add(batch=batch, trainer=assistant, role="assistant", added_by=admin)
    assert [row.role for row in batch_current_staff(batch)] == ["primary", "assistant", "backup"]
