"""Data the audit tests share: a round of changes touching the audited models."""

import datetime as dt

from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.tests.factories import InstructorFactory, StudentFactory
from allocation import services
from allocation.models import RosterRole
from allocation.tests.view_support import START, slot
from enrollments.services import enrollment_create, waitlist_join
from trainers.services import leave_record

# History rows one round of every_kind_of_change writes.
ROWS_PER_ROUND = 12


def bearer_client(user) -> APIClient:
    """An API client sending ``Authorization: Bearer <token>`` (as tests/api/conftest.py)."""
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.key}")
    return client


def every_kind_of_change(make_batch, admin, n: int, **batch_fields) -> list:
    """``n`` rounds of changes through the services, each touching every audited model but
    the batch template: a batch (created, then its capacity changed) with a slot and its
    primary, two roster entries, two enrollments filling it, a waitlist entry, an individual
    assignment, a leave and its cover. Returns the batches."""
    batches = []
    for i in range(n):
        instructor = InstructorFactory()
        substitute = InstructorFactory()
        batch = make_batch(
            instructor=instructor,
            schedule=[slot(i % 7, "08:00", "09:00")],
            capacity=1,
            **batch_fields,
        )
        services.batch_update(batch=batch, capacity=2, updated_by=admin)
        services.roster_add(course=batch.course, trainer=substitute, role=RosterRole.SUBSTITUTE)
        student = StudentFactory()
        enrollment_create(student=student, course=batch.course, batch=batch)
        enrollment_create(student=StudentFactory(), course=batch.course, batch=batch)
        waitlist_join(student=StudentFactory(), batch=batch)
        services.individual_assign(student=student, instructor=instructor, assigned_by=admin)
        # A week, so that it hits a session of the batch whatever its weekday.
        leave = leave_record(
            trainer=instructor,
            start_date=START,
            end_date=START + dt.timedelta(days=6),
            created_by=admin,
        )
        services.substitute_assign(
            batch=batch,
            absent_trainer=instructor,
            substitute=substitute,
            start_date=leave.start_date,
            end_date=leave.end_date,
            assigned_by=admin,
        )
        batches.append(batch)
    return batches
