"""A hundred students enrolling at once through the API into a batch of ten seats.

Real threads on PostgreSQL (``core.testing.race``), each with its own API client and its own
database connection, each student with their own Bearer token. SQLite would serialize the
requests and prove nothing, so this runs on PostgreSQL only.
"""

from __future__ import annotations

from collections import Counter

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.tests.factories import StudentFactory
from allocation.tests.factories import StaffedBatchFactory
from core.testing import race
from enrollments.models import Enrollment


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_100_concurrent_enrollments_fill_exactly_the_10_seats():
    batch = StaffedBatchFactory(capacity=10, course__enrollment_policy="open")
    students = StudentFactory.create_batch(100)
    url = "/api/enrollments/students/{}/enroll"
    body = {"courseId": batch.course_id, "batchId": batch.pk, "enrollment_type": "batch"}

    def enroll(student_id: int, token: str):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        response = client.post(url.format(student_id), body, format="json")
        return response.status_code, response.json()

    calls = [{"student_id": s.pk, "token": Token.objects.create(user=s).key} for s in students]
    outcomes = race(enroll, calls, max_connections=20)

    assert [o.error for o in outcomes if o.error] == []
    assert len(outcomes) == 100
    statuses = Counter(status for status, _ in (o.value for o in outcomes))
    assert statuses == {201: 10, 400: 90}
    refusals = {
        answer["message"] for status, answer in (o.value for o in outcomes) if status == 400
    }
    assert refusals == {"Batch has reached maximum capacity"}
    batch.refresh_from_db()
    assert batch.enrolled_students == 10
    assert Enrollment.objects.filter(batch=batch, status="active").count() == 10
