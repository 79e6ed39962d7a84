"""A student's own enrollment through the API: trusted payments (a student cannot set what
only an admin may), the clash rule and the admin's override."""

from __future__ import annotations

import pytest

from allocation import services as allocation_services
from allocation.models import Weekday
from enrollments.models import Enrollment
from tests.api.conftest import assert_failure, assert_success
from tests.support import slot


def open_to_students(course) -> None:
    type(course).objects.filter(pk=course.pk).update(enrollment_policy="open")


def enroll_url(student) -> str:
    return f"/api/enrollments/students/{student.pk}/enroll"


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        ({"paymentDetails": {"payment_status": "completed"}}, "paymentDetails"),
        ({"paymentDetails": {"amount": 0}}, "paymentDetails"),
        ({"paymentDetails": {"currency": "USD"}}, "paymentDetails"),
        ({"paymentDetails": {"payment_method": "upi"}}, "paymentDetails"),
        ({"paymentDetails": {"transaction_id": "FAKE"}}, "paymentDetails"),
        ({"enrollment_type": "scholarship"}, 'enrollment_type "scholarship"'),
        ({"enrollment_type": "corporate"}, 'enrollment_type "corporate"'),
        ({"enrollment_type": "group"}, 'enrollment_type "group"'),
        ({"enrollment_type": "trial"}, 'enrollment_type "trial"'),
        ({"enrollment_source": "admin"}, 'enrollment_source "admin"'),
        ({"enrollment_source": "import"}, 'enrollment_source "import"'),
        ({"enrollment_source": "corporate"}, 'enrollment_source "corporate"'),
        ({"allow_clash": True}, "allow_clash"),
    ],
)
def test_a_student_cannot_set_what_only_an_admin_sets(world, as_user, extra, named):
    body = {"batchId": world.empty_batch.pk, **extra}
    answer = assert_failure(
        as_user("other_student").post(enroll_url(world.other_student), body, format="json"), 400
    )
    assert answer["message"] == f"Only an admin can set {named}"
    assert not Enrollment.objects.filter(student=world.other_student).exists()


def test_every_forbidden_field_is_named_at_once(world, as_user):
    body = {
        "batchId": world.empty_batch.pk,
        "enrollment_type": "scholarship",
        "enrollment_source": "admin",
        "paymentDetails": {"payment_status": "completed", "transaction_id": "FAKE"},
    }
    answer = assert_failure(
        as_user("other_student").post(enroll_url(world.other_student), body, format="json"), 400
    )
    assert answer["message"] == (
        'Only an admin can set paymentDetails, enrollment_type "scholarship", '
        'enrollment_source "admin"'
    )


@pytest.mark.parametrize("source", ["website", "api"])
def test_a_student_may_name_their_own_channel_and_empty_payment(world, as_user, source):
    open_to_students(world.other_course)
    body = {
        "batchId": world.empty_batch.pk,
        "enrollment_type": "batch",
        "enrollment_source": source,
        "paymentDetails": {"transaction_id": "", "amount": None},
    }
    data = assert_success(
        as_user("other_student").post(enroll_url(world.other_student), body, format="json"), 201
    )["data"]
    assert data["enrollment_source"] == source
    assert data["paymentDetails"]["payment_status"] == ""


def test_an_admin_still_records_the_payment(world, admin_client):
    body = {
        "batchId": world.empty_batch.pk,
        "enrollment_type": "scholarship",
        "paymentDetails": {"payment_status": "waived"},
    }
    data = assert_success(
        admin_client.post(enroll_url(world.other_student), body, format="json"), 201
    )["data"]
    assert (data["enrollment_type"], data["paymentDetails"]["payment_status"]) == (
        "scholarship",
        "waived",
    )


class TestPaymentDetailsUpdate:
    def test_an_admin_marks_a_payment_completed_and_it_is_audited(self, world, admin_client):
        url = f"/api/enrollments/{world.enrollment.pk}"
        body = {
            "paymentDetails": {
                "amount": "120.00",
                "currency": "eur",
                "payment_method": "bank_transfer",
                "payment_status": "completed",
                "transaction_id": "T-1",
            }
        }
        data = assert_success(admin_client.put(url, body, format="json"))["data"]
        assert data["paymentDetails"]["payment_status"] == "completed"
        last = world.enrollment.history.latest()
        assert (last.payment_status, last.transaction_id, last.history_user) == (
            "completed",
            "T-1",
            world.admin,
        )

    def test_a_bad_status_is_400(self, world, admin_client):
        url = f"/api/enrollments/{world.enrollment.pk}"
        body = {"paymentDetails": {"payment_status": "paid-ish"}}
        assert_failure(admin_client.put(url, body, format="json"), 400)

    @pytest.mark.parametrize("role", ["student", "instructor", "other_student"])
    def test_nobody_else_may(self, world, as_user, role):
        url = f"/api/enrollments/{world.enrollment.pk}"
        body = {"paymentDetails": {"payment_status": "completed"}}
        assert_failure(as_user(role).put(url, body, format="json"), 403)
        world.enrollment.refresh_from_db()
        assert world.enrollment.payment_status == ""


@pytest.fixture
def clashing(world):
    """A batch of English (open to students) on Mondays 09:00–11:00, overlapping Jane's
    German (08:00–10:00)."""
    open_to_students(world.other_course)
    return allocation_services.batch_create(
        course=world.other_course,
        batch_name="Clash Batch",
        start_date=world.batch.start_date,
        end_date=world.batch.end_date,
        capacity=5,
        assigned_instructor=world.other_instructor,
        created_by=world.admin,
        status="Upcoming",
        schedule=[slot(Weekday.MONDAY, "09:00", "11:00")],
        time_zone=world.batch.time_zone,
    )


class TestClash:
    def test_a_student_is_refused_a_clashing_batch_naming_it(self, world, as_user, clashing):
        answer = assert_failure(
            as_user("student").post(
                enroll_url(world.student), {"batchId": clashing.pk}, format="json"
            ),
            400,
        )
        assert answer["message"].startswith(
            f"Schedule clash: Jane Student already has {world.batch.batch_code} (Morning Batch)"
        )

    def test_an_admin_overrides_on_purpose(self, world, admin_client, clashing):
        assert_failure(
            admin_client.post(enroll_url(world.student), {"batchId": clashing.pk}, format="json"),
            400,
            "Schedule clash",
        )
        response = admin_client.post(
            enroll_url(world.student), {"batchId": clashing.pk, "allow_clash": True}, format="json"
        )
        enrollment = Enrollment.objects.get(pk=assert_success(response, 201)["data"]["_id"])
        last = enrollment.history.latest()
        assert last.history_change_reason.startswith(
            f"Clash overridden: also in {world.batch.batch_code}"
        )
        assert last.history_user == world.admin
