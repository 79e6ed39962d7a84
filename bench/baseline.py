"""The baseline of bench/enroll.py: an enrollment by hand, in three SQL statements.

``POST /bench/baseline/students/<id>/enroll`` with ``{"batchId": n}`` does what the app's
enrollment does at its core and nothing else: in one transaction it locks the batch row
(``SELECT ... FOR UPDATE``), refuses when the batch is full, inserts the enrollment row with
the columns the app writes, and increments the batch's counter. No authentication, no
validation beyond the JSON shape, no audit trail, no notification. The difference between
this and the app's endpoint is what the app's features cost per request.
"""

from __future__ import annotations

import datetime as dt
import json

from django.db import connection, transaction
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from allocation.models import Batch
from enrollments.models import Enrollment
from enrollments.services import ACCESS_AFTER_BATCH_END, MSG_FULL

BATCH = connection.ops.quote_name(Batch._meta.db_table)
ENROLLMENT = connection.ops.quote_name(Enrollment._meta.db_table)
LOCK = (
    f"SELECT course_id, capacity, enrolled_students, end_date FROM {BATCH} WHERE id = %s FOR UPDATE"
)
INSERT = (
    f"INSERT INTO {ENROLLMENT} (student_id, course_id, batch_id, enrollment_type, status, "
    "enrollment_date, access_expiry_date, status_changed_at, enrollment_source, payment_amount, "
    "payment_currency, payment_method, payment_status, transaction_id, created_at, updated_at) "
    "VALUES (%s, %s, %s, 'batch', 'active', %s, %s, NULL, 'api', NULL, '', '', '', '', %s, %s) "
    "RETURNING id"
)
TAKE_SEAT = f"UPDATE {BATCH} SET enrolled_students = enrolled_students + 1 WHERE id = %s"


def _refusal(message: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"success": False, "message": message}, status=status)


@csrf_exempt
@require_POST
def enroll(request, student_id: int):
    """Enroll ``student_id`` in the body's ``batchId``: lock, insert, increment."""
    try:
        batch_id = int(json.loads(request.body)["batchId"])
    except (ValueError, KeyError, TypeError):
        return _refusal("batchId: a number is required")
    now = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(LOCK, [batch_id])
        row = cursor.fetchone()
        if row is None:
            return _refusal("Batch not found", status=404)
        course_id, capacity, enrolled, end_date = row
        if enrolled >= capacity:
            return _refusal(MSG_FULL)
        expiry = timezone.make_aware(
            dt.datetime.combine(end_date + ACCESS_AFTER_BATCH_END, dt.time.min)
        )
        cursor.execute(INSERT, [student_id, course_id, batch_id, now, expiry, now, now])
        enrollment_id = cursor.fetchone()[0]
        cursor.execute(TAKE_SEAT, [batch_id])
    return JsonResponse(
        {
            "success": True,
            "message": "Student enrolled in batch successfully",
            "data": {"_id": enrollment_id, "student": student_id, "batch": batch_id},
        },
        status=201,
    )
