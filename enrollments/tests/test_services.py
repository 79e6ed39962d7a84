"""The enrollment services: what they write, the seat counter they keep, each refusal."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Count, Q
from django.utils import timezone

from accounts.tests.factories import (
    AdminFactory,
    InstructorFactory,
    StudentFactory,
    UserFactory,
)
from allocation.models import Batch, BatchStatus
from allocation.tests.factories import BatchFactory, CourseFactory
from core.errors import DomainError
from enrollments import seats as seat_primitives
from enrollments import services
from enrollments.models import Enrollment, EnrollmentSource, EnrollmentStatus, EnrollmentType
from enrollments.services import (
    MSG_ALREADY_ENROLLED,
    MSG_FULL,
    CounterMismatch,
    Payment,
    enrollment_cancel,
    enrollment_counters_reconcile,
    enrollment_create,
    enrollment_set_status,
    enrollment_transfer,
)
from enrollments.tests.factories import EnrollmentFactory

pytestmark = pytest.mark.django_db


def refusal(call, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as excinfo:
        call(**kwargs)
    return excinfo.value


def seats(batch: Batch) -> int:
    return Batch.objects.get(pk=batch.pk).enrolled_students


def active_count(batch: Batch) -> int:
    return Enrollment.objects.filter(batch=batch, status=EnrollmentStatus.ACTIVE).count()


def assert_counters_true() -> None:
    """Every batch's counter equals its number of active enrollments, within capacity."""
    rows = Batch.objects.annotate(
        actual=Count("enrollments", filter=Q(enrollments__status=EnrollmentStatus.ACTIVE))
    ).values_list("batch_code", "enrolled_students", "actual", "capacity")
    for code, stored, actual, capacity in rows:
        assert stored == actual, f"{code}: counter {stored}, active enrollments {actual}"
        assert stored <= capacity


@pytest.fixture
def course():
    return CourseFactory(code="GER-A1")


@pytest.fixture
def batch(course):
    return BatchFactory(course=course, batch_code="GER-A1-2026-01-01", capacity=3)


@pytest.fixture
def sibling(course):
    """Another batch of the same course."""
    return BatchFactory(course=course, batch_code="GER-A1-2026-01-02", capacity=3)


def enroll(batch: Batch, student=None) -> Enrollment:
    return enrollment_create(student=student or StudentFactory(), course=batch.course, batch=batch)


def fill(batch: Batch) -> list[Enrollment]:
    return [enroll(batch) for _ in range(batch.capacity - seats(batch))]


# --- enrollment_create --------------------------------------------------------------------


class TestEnrollmentCreate:
    def test_batch_enrollment_takes_a_seat(self, course, batch):
        student = StudentFactory()

        enrollment = enrollment_create(student=student, course=course, batch=batch)

        enrollment = Enrollment.objects.get(pk=enrollment.pk)
        assert (enrollment.student, enrollment.course, enrollment.batch) == (
            student,
            course,
            batch,
        )
        assert enrollment.enrollment_type == EnrollmentType.BATCH
        assert enrollment.status == EnrollmentStatus.ACTIVE
        assert enrollment.enrollment_source == EnrollmentSource.WEBSITE
        assert seats(batch) == 1

    def test_counter_counts_each_enrollment(self, batch):
        enroll(batch)
        enroll(batch)

        assert seats(batch) == 2 == active_count(batch)

    def test_individual_enrollment_has_no_batch_and_takes_no_seat(self, course, batch):
        enrollment = enrollment_create(student=StudentFactory(), course=course)

        enrollment.refresh_from_db()
        assert enrollment.batch is None
        assert enrollment.enrollment_type == EnrollmentType.INDIVIDUAL
        assert enrollment.access_expiry_date is None
        assert seats(batch) == 0

    def test_corporate_student_may_enroll(self, course, batch):
        student = UserFactory(is_corporate_student=True)

        enrollment = enrollment_create(student=student, course=course, batch=batch)

        assert enrollment.student == student
        assert seats(batch) == 1

    @pytest.mark.parametrize("factory", [InstructorFactory, AdminFactory, UserFactory])
    def test_non_student_is_refused(self, course, batch, factory):
        error = refusal(enrollment_create, student=factory(), course=course, batch=batch)

        assert error.message == "Only a user with the student role can be enrolled"
        assert error.field == "student"
        assert not Enrollment.objects.exists()
        assert seats(batch) == 0

    def test_batch_of_another_course_is_refused(self, batch):
        other = CourseFactory(code="FRE-B2")

        error = refusal(enrollment_create, student=StudentFactory(), course=other, batch=batch)

        assert error.message == "Batch GER-A1-2026-01-01 belongs to course GER-A1, not FRE-B2"
        assert error.field == "batch"
        assert not Enrollment.objects.exists()
        assert seats(batch) == 0

    @pytest.mark.parametrize("status", [BatchStatus.COMPLETED, BatchStatus.CANCELLED])
    def test_closed_batch_is_refused(self, course, status):
        closed = BatchFactory(course=course, batch_code="OLD", status=status)

        error = refusal(enrollment_create, student=StudentFactory(), course=course, batch=closed)

        assert error.message == f"Batch OLD is {status} and no longer accepts students"
        assert error.field == "batch"
        assert not Enrollment.objects.exists()

    def test_upcoming_batch_is_accepted(self, course):
        upcoming = BatchFactory(course=course, status=BatchStatus.UPCOMING)

        enroll(upcoming)

        assert seats(upcoming) == 1

    def test_full_batch_is_refused(self, course, batch):
        fill(batch)

        error = refusal(enrollment_create, student=StudentFactory(), course=course, batch=batch)

        assert error.message == "Batch has reached maximum capacity"
        assert error.message == MSG_FULL
        assert error.field == "batch"
        assert error.code == "full"
        assert seats(batch) == 3 == active_count(batch)

    def test_capacity_is_read_from_the_database_not_the_callers_copy(self, course, batch):
        stale = Batch.objects.get(pk=batch.pk)  # read while the batch was empty
        fill(batch)

        error = refusal(enrollment_create, student=StudentFactory(), course=course, batch=stale)

        assert error.message == MSG_FULL
        assert seats(batch) == 3

    def test_second_active_in_the_same_batch_is_refused(self, course, batch):
        first = enroll(batch)

        error = refusal(enrollment_create, student=first.student, course=course, batch=batch)

        assert error.message == "Student already has an active enrollment in this course"
        assert error.message == MSG_ALREADY_ENROLLED
        assert error.code == "duplicate"
        assert seats(batch) == 1

    def test_a_duplicate_in_a_full_batch_is_a_duplicate_not_full(self, course, batch):
        first = enroll(batch)
        fill(batch)  # every seat taken, one of them by ``first``

        error = refusal(enrollment_create, student=first.student, course=course, batch=batch)

        assert (error.message, error.code) == (MSG_ALREADY_ENROLLED, "duplicate")

    def test_a_duplicate_in_a_closed_batch_is_a_duplicate(self, course, batch):
        first = enroll(batch)
        Batch.objects.filter(pk=batch.pk).update(status="Completed")

        error = refusal(enrollment_create, student=first.student, course=course, batch=batch)

        assert error.code == "duplicate"

    def test_second_active_in_another_batch_of_the_course_is_refused(self, course, batch, sibling):
        first = enroll(batch)

        error = refusal(enrollment_create, student=first.student, course=course, batch=sibling)

        assert error.message == MSG_ALREADY_ENROLLED
        assert (seats(batch), seats(sibling)) == (1, 0)

    def test_individual_after_batch_in_the_course_is_refused(self, course, batch):
        first = enroll(batch)

        error = refusal(enrollment_create, student=first.student, course=course)

        assert error.message == MSG_ALREADY_ENROLLED
        assert Enrollment.objects.count() == 1

    def test_batch_after_individual_in_the_course_is_refused(self, course, batch):
        first = enrollment_create(student=StudentFactory(), course=course)

        error = refusal(enrollment_create, student=first.student, course=course, batch=batch)

        assert error.message == MSG_ALREADY_ENROLLED
        assert seats(batch) == 0

    def test_enrolling_again_after_a_cancellation_is_allowed(self, course, batch, sibling):
        first = enroll(batch)
        enrollment_cancel(enrollment=first)

        again = enroll(sibling, student=first.student)

        assert again.is_active
        assert (seats(batch), seats(sibling)) == (0, 1)

    def test_active_enrollments_in_two_courses_are_allowed(self, batch):
        student = StudentFactory()
        enroll(batch, student)
        enrollment_create(student=student, course=CourseFactory())

        assert Enrollment.objects.filter(student=student, status="active").count() == 2

    def test_duplicate_lost_to_a_concurrent_writer_is_refused_cleanly(
        self, course, batch, monkeypatch
    ):
        # If the friendly check misses a concurrent enrollment, the partial unique index
        # refuses the row and the service reports it, without touching the counter.
        first = enroll(batch)
        monkeypatch.setattr(seat_primitives, "refuse_second_active", lambda *args, **kwargs: None)

        error = refusal(enrollment_create, student=first.student, course=course, batch=batch)

        assert error.message == MSG_ALREADY_ENROLLED
        assert error.code == "duplicate"
        assert seats(batch) == 1 == active_count(batch)

    def test_individual_type_with_a_batch_is_refused(self, course, batch):
        error = refusal(
            enrollment_create,
            student=StudentFactory(),
            course=course,
            batch=batch,
            enrollment_type=EnrollmentType.INDIVIDUAL,
        )

        assert error.message == "An individual enrollment cannot name a batch"
        assert error.field == "batch"
        assert seats(batch) == 0

    def test_batch_type_without_a_batch_is_refused(self, course):
        error = refusal(
            enrollment_create,
            student=StudentFactory(),
            course=course,
            enrollment_type=EnrollmentType.BATCH,
        )

        assert error.message == "A batch enrollment needs a batch"
        assert error.field == "batch"
        assert not Enrollment.objects.exists()

    def test_unknown_type_is_refused(self, course):
        error = refusal(
            enrollment_create, student=StudentFactory(), course=course, enrollment_type="vip"
        )

        assert error.message == "Value 'vip' is not a valid choice."
        assert error.field == "enrollment_type"
        assert not Enrollment.objects.exists()

    def test_other_types_may_take_a_seat(self, course, batch):
        enrollment = enrollment_create(
            student=StudentFactory(),
            course=course,
            batch=batch,
            enrollment_type=EnrollmentType.CORPORATE,
            enrollment_source=EnrollmentSource.CORPORATE,
        )

        enrollment.refresh_from_db()
        assert enrollment.enrollment_type == EnrollmentType.CORPORATE
        assert enrollment.enrollment_source == EnrollmentSource.CORPORATE
        assert seats(batch) == 1

    def test_access_expiry_defaults_to_thirty_days_after_the_batch_ends(self, course):
        batch = BatchFactory(course=course, end_date=dt.date(2026, 3, 27))

        enrollment = enroll(batch)

        enrollment.refresh_from_db()
        assert enrollment.access_expiry_date == timezone.make_aware(dt.datetime(2026, 4, 26))

    def test_explicit_access_expiry_is_kept(self, course, batch):
        expiry = timezone.make_aware(dt.datetime(2027, 1, 1, 12, 0))

        enrollment = enrollment_create(
            student=StudentFactory(), course=course, batch=batch, access_expiry_date=expiry
        )

        enrollment.refresh_from_db()
        assert enrollment.access_expiry_date == expiry

    def test_payment_fields_are_stored_with_the_currency_upper_cased(self, course, batch):
        enrollment = enrollment_create(
            student=StudentFactory(),
            course=course,
            batch=batch,
            enrollment_source=EnrollmentSource.ADMIN,
            payment=Payment(
                amount=Decimal("149.50"),
                currency="eur",
                payment_method="card",
                payment_status="completed",
                transaction_id="txn_123",
            ),
        )

        enrollment.refresh_from_db()
        assert enrollment.payment_amount == Decimal("149.50")
        assert enrollment.payment_currency == "EUR"
        assert enrollment.payment_method == "card"
        assert enrollment.payment_status == "completed"
        assert enrollment.transaction_id == "txn_123"
        assert enrollment.enrollment_source == EnrollmentSource.ADMIN

    def test_without_payment_the_fields_are_empty(self, batch):
        enrollment = enroll(batch)

        enrollment.refresh_from_db()
        assert enrollment.payment_amount is None
        assert enrollment.payment_currency == ""
        assert enrollment.payment_status == ""

    def test_negative_payment_is_refused(self, course, batch):
        error = refusal(
            enrollment_create,
            student=StudentFactory(),
            course=course,
            batch=batch,
            payment=Payment(amount=Decimal("-1.00"), currency="EUR"),
        )

        assert error.message == "The payment amount cannot be negative"
        assert error.field == "payment_amount"
        assert not Enrollment.objects.exists()
        assert seats(batch) == 0

    def test_unknown_payment_status_is_refused(self, course, batch):
        error = refusal(
            enrollment_create,
            student=StudentFactory(),
            course=course,
            batch=batch,
            payment=Payment(amount=Decimal("10"), payment_status="paid"),
        )

        assert error.message == "Value 'paid' is not a valid choice."
        assert error.field == "payment_status"
        assert seats(batch) == 0

    def test_deleted_batch_is_refused(self, course, batch):
        Batch.objects.filter(pk=batch.pk).delete()

        error = refusal(enrollment_create, student=StudentFactory(), course=course, batch=batch)

        assert error.message == "This batch no longer exists"
        assert error.code == services.NOT_FOUND
        assert not Enrollment.objects.exists()

    def test_course_and_batch_may_be_ids(self, course, batch):
        enrollment = enrollment_create(student=StudentFactory(), course=course.pk, batch=batch.pk)

        assert (enrollment.course, enrollment.batch) == (course, batch)
        assert enrollment.course.code == "GER-A1"  # the row, read with the locked batch
        assert seats(batch) == 1

    def test_without_a_course_the_batch_s_course_is_meant(self, course, batch):
        enrollment = enrollment_create(student=StudentFactory(), batch=batch.pk)

        assert enrollment.course == course

    def test_an_id_of_another_course_is_refused_by_its_code(self, batch):
        other = CourseFactory(code="FRE-B2")

        error = refusal(
            enrollment_create, student=StudentFactory(), course=other.pk, batch=batch.pk
        )

        assert error.message == "Batch GER-A1-2026-01-01 belongs to course GER-A1, not FRE-B2"
        assert seats(batch) == 0

    def test_an_id_of_no_course_is_refused(self, batch):
        for batch_id in (batch.pk, None):
            error = refusal(
                enrollment_create, student=StudentFactory(), course=999_999, batch=batch_id
            )

            assert (error.message, error.code) == ("This course no longer exists", "not_found")
        assert seats(batch) == 0

    def test_an_unknown_id_is_refused_before_the_student(self, course):
        """An id of no row is the first refusal, before the student's role and the type."""
        error = refusal(
            enrollment_create,
            student=InstructorFactory(),
            course=course,
            batch=999_999,
            enrollment_type=EnrollmentType.INDIVIDUAL,
        )

        assert error.code == services.NOT_FOUND

    def test_a_seat_takes_nine_statements(self, course, batch, django_assert_num_queries):
        """Pinned: fewer is welcome (lower the pin), more needs a reason."""
        student = StudentFactory()
        # The service's transaction is a savepoint inside the test's. SAVEPOINT; the batch
        # lock, read with its course, instructor and the student's active enrollment in the
        # course; the student's own sessions elsewhere (none: no clash to look for,
        # enrollments.clashes); the enrollment; its audit-trail row; the counter; the welcome's
        # inbox and outbox row (ids only: the schedule is read when the email is rendered);
        # the webhook endpoints that want "enrollment.created" (none: no event is written);
        # RELEASE SAVEPOINT. (The email is delivered on commit with the test settings.)
        with django_assert_num_queries(9):
            enrollment_create(student=student, course=course, batch=batch)

    def test_a_refusal_for_a_full_batch_takes_four_statements(
        self, course, batch, django_assert_num_queries
    ):
        fill(batch)
        student = StudentFactory()
        # SAVEPOINT, the batch lock (the seat check needs nothing else), ROLLBACK TO and
        # RELEASE SAVEPOINT (outside a test's transaction: BEGIN, the lock, ROLLBACK).
        with django_assert_num_queries(4):
            refusal(enrollment_create, student=student, course=course, batch=batch)


# --- enrollment_set_status ----------------------------------------------------------------


class TestEnrollmentSetStatus:
    def test_leaving_active_frees_the_seat(self, batch):
        enrollment = enroll(batch)

        result = enrollment_set_status(enrollment=enrollment, status=EnrollmentStatus.ON_HOLD)

        enrollment.refresh_from_db()
        assert result.status == enrollment.status == EnrollmentStatus.ON_HOLD
        assert enrollment.status_changed_at is not None
        assert seats(batch) == 0

    @pytest.mark.parametrize(
        "status", [EnrollmentStatus.COMPLETED, EnrollmentStatus.EXPIRED, EnrollmentStatus.CANCELLED]
    )
    def test_every_way_out_of_active_frees_the_seat(self, batch, status):
        enrollment = enroll(batch)
        enroll(batch)

        enrollment_set_status(enrollment=enrollment, status=status)

        assert seats(batch) == 1 == active_count(batch)

    def test_returning_to_active_takes_a_seat(self, batch):
        enrollment = enroll(batch)
        enrollment_set_status(enrollment=enrollment, status=EnrollmentStatus.ON_HOLD)

        enrollment_set_status(enrollment=enrollment, status=EnrollmentStatus.ACTIVE)

        enrollment.refresh_from_db()
        assert enrollment.status == EnrollmentStatus.ACTIVE
        assert seats(batch) == 1

    def test_moving_between_inactive_statuses_leaves_the_counter(self, batch):
        enroll(batch)
        enrollment = enroll(batch)
        enrollment_set_status(enrollment=enrollment, status=EnrollmentStatus.ON_HOLD)

        enrollment_set_status(enrollment=enrollment, status=EnrollmentStatus.EXPIRED)

        assert seats(batch) == 1 == active_count(batch)

    def test_returning_to_active_in_a_full_batch_is_refused(self, batch):
        enrollment = enroll(batch)
        enrollment_set_status(enrollment=enrollment, status=EnrollmentStatus.ON_HOLD)
        fill(batch)

        error = refusal(
            enrollment_set_status, enrollment=enrollment, status=EnrollmentStatus.ACTIVE
        )

        assert error.message == "Batch has reached maximum capacity"
        assert error.code == "full"
        enrollment.refresh_from_db()
        assert enrollment.status == EnrollmentStatus.ON_HOLD
        assert seats(batch) == 3 == active_count(batch)

    def test_returning_to_active_beside_another_active_enrollment_is_refused(
        self, course, batch, sibling
    ):
        enrollment = enroll(batch)
        enrollment_set_status(enrollment=enrollment, status=EnrollmentStatus.ON_HOLD)
        enroll(sibling, student=enrollment.student)

        error = refusal(
            enrollment_set_status, enrollment=enrollment, status=EnrollmentStatus.ACTIVE
        )

        assert error.message == MSG_ALREADY_ENROLLED
        assert error.code == "duplicate"
        enrollment.refresh_from_db()
        assert enrollment.status == EnrollmentStatus.ON_HOLD
        assert (seats(batch), seats(sibling)) == (0, 1)

    def test_returning_to_active_in_a_closed_batch_is_refused(self, batch):
        enrollment = enroll(batch)
        enrollment_set_status(enrollment=enrollment, status=EnrollmentStatus.ON_HOLD)
        Batch.objects.filter(pk=batch.pk).update(status=BatchStatus.COMPLETED)

        error = refusal(
            enrollment_set_status, enrollment=enrollment, status=EnrollmentStatus.ACTIVE
        )

        assert error.message == (
            "Batch GER-A1-2026-01-01 is Completed and no longer accepts students"
        )
        assert seats(batch) == 0

    def test_individual_enrollment_changes_status_without_counters(self, course, batch):
        enrollment = enrollment_create(student=StudentFactory(), course=course)

        enrollment_set_status(enrollment=enrollment, status=EnrollmentStatus.ON_HOLD)
        enrollment_set_status(enrollment=enrollment, status=EnrollmentStatus.ACTIVE)

        enrollment.refresh_from_db()
        assert enrollment.status == EnrollmentStatus.ACTIVE
        assert seats(batch) == 0

    @pytest.mark.parametrize(
        ("status", "label"),
        [(EnrollmentStatus.ACTIVE, "active"), (EnrollmentStatus.ON_HOLD, "on hold")],
    )
    def test_same_status_is_refused(self, batch, status, label):
        enrollment = enroll(batch)
        if status != EnrollmentStatus.ACTIVE:
            enrollment_set_status(enrollment=enrollment, status=status)
        before = seats(batch)

        error = refusal(enrollment_set_status, enrollment=enrollment, status=status)

        assert error.message == f"The enrollment is already {label}"
        assert seats(batch) == before

    def test_unknown_status_is_refused(self, batch):
        enrollment = enroll(batch)

        error = refusal(enrollment_set_status, enrollment=enrollment, status="paused")

        assert error.message == "Unknown enrollment status 'paused'"
        assert error.field == "status"
        enrollment.refresh_from_db()
        assert enrollment.status == EnrollmentStatus.ACTIVE
        assert seats(batch) == 1

    def test_deleted_enrollment_is_refused(self, batch):
        enrollment = EnrollmentFactory(batch=batch)
        Enrollment.objects.filter(pk=enrollment.pk).delete()

        error = refusal(
            enrollment_set_status, enrollment=enrollment, status=EnrollmentStatus.ON_HOLD
        )

        assert error.message == "This enrollment no longer exists"


# --- enrollment_cancel --------------------------------------------------------------------


class TestEnrollmentCancel:
    def test_cancelling_frees_the_seat(self, batch):
        enrollment = enroll(batch)

        result = enrollment_cancel(enrollment=enrollment)

        enrollment.refresh_from_db()
        assert result.status == enrollment.status == EnrollmentStatus.CANCELLED
        assert enrollment.status_changed_at is not None
        assert seats(batch) == 0

    def test_cancelling_an_on_hold_enrollment_leaves_the_counter(self, batch):
        enroll(batch)
        enrollment = enroll(batch)
        enrollment_set_status(enrollment=enrollment, status=EnrollmentStatus.ON_HOLD)
        assert seats(batch) == 1

        enrollment_cancel(enrollment=enrollment)

        enrollment.refresh_from_db()
        assert enrollment.status == EnrollmentStatus.CANCELLED
        assert seats(batch) == 1 == active_count(batch)

    def test_cancelling_an_individual_enrollment(self, course):
        enrollment = enrollment_create(student=StudentFactory(), course=course)

        enrollment_cancel(enrollment=enrollment)

        enrollment.refresh_from_db()
        assert enrollment.status == EnrollmentStatus.CANCELLED

    @pytest.mark.parametrize(
        "status", [EnrollmentStatus.CANCELLED, EnrollmentStatus.COMPLETED, EnrollmentStatus.EXPIRED]
    )
    def test_cancelling_a_finished_enrollment_is_refused(self, batch, status):
        enroll(batch)
        enrollment = enroll(batch)
        enrollment_set_status(enrollment=enrollment, status=status)

        error = refusal(enrollment_cancel, enrollment=enrollment)

        assert error.message == (
            f"Only an active or on-hold enrollment can be cancelled; this one is {status}"
        )
        enrollment.refresh_from_db()
        assert enrollment.status == status
        assert seats(batch) == 1

    def test_cancel_reads_the_current_status_not_the_callers_copy(self, batch):
        enrollment = enroll(batch)
        stale = Enrollment.objects.get(pk=enrollment.pk)
        enrollment_cancel(enrollment=enrollment)

        error = refusal(enrollment_cancel, enrollment=stale)

        assert error.message == (
            "Only an active or on-hold enrollment can be cancelled; this one is cancelled"
        )
        assert seats(batch) == 0


# --- enrollment_transfer ------------------------------------------------------------------


class TestEnrollmentTransfer:
    def test_counters_move_with_the_student(self, course, batch):
        target = BatchFactory(course=course, end_date=dt.date(2026, 6, 30), capacity=3)
        enrollment = enroll(batch)
        enroll(batch)

        result = enrollment_transfer(enrollment=enrollment, to_batch=target)

        enrollment.refresh_from_db()
        assert result.batch == enrollment.batch == target
        assert enrollment.status == EnrollmentStatus.ACTIVE
        assert enrollment.course == course
        assert enrollment.access_expiry_date == timezone.make_aware(dt.datetime(2026, 7, 30))
        assert (seats(batch), seats(target)) == (1, 1)

    def test_transfer_into_the_last_seat(self, batch, sibling):
        fill(sibling)
        Batch.objects.filter(pk=sibling.pk).update(capacity=4)
        enrollment = enroll(batch)

        enrollment_transfer(enrollment=enrollment, to_batch=sibling)

        assert (seats(batch), seats(sibling)) == (0, 4)

    def test_same_batch_is_refused(self, batch):
        enrollment = enroll(batch)

        error = refusal(enrollment_transfer, enrollment=enrollment, to_batch=batch)

        assert error.message == "The student is already in batch GER-A1-2026-01-01"
        assert error.field == "batch"
        assert seats(batch) == 1

    def test_batch_of_another_course_is_refused(self, batch):
        enrollment = enroll(batch)
        elsewhere = BatchFactory(course=CourseFactory(code="FRE-B2"), batch_code="FRE-B2-X")

        error = refusal(enrollment_transfer, enrollment=enrollment, to_batch=elsewhere)

        assert error.message == "Batch FRE-B2-X belongs to course FRE-B2, not GER-A1"
        assert error.field == "batch"
        enrollment.refresh_from_db()
        assert enrollment.batch == batch
        assert (seats(batch), seats(elsewhere)) == (1, 0)

    def test_full_batch_is_refused(self, batch, sibling):
        fill(sibling)
        enrollment = enroll(batch)

        error = refusal(enrollment_transfer, enrollment=enrollment, to_batch=sibling)

        assert error.message == "Batch has reached maximum capacity"
        assert error.code == "full"
        enrollment.refresh_from_db()
        assert enrollment.batch == batch
        assert (seats(batch), seats(sibling)) == (1, 3)

    @pytest.mark.parametrize("status", [BatchStatus.COMPLETED, BatchStatus.CANCELLED])
    def test_closed_batch_is_refused(self, course, batch, status):
        closed = BatchFactory(course=course, batch_code="OLD", status=status)
        enrollment = enroll(batch)

        error = refusal(enrollment_transfer, enrollment=enrollment, to_batch=closed)

        assert error.message == f"Batch OLD is {status} and no longer accepts students"
        assert (seats(batch), seats(closed)) == (1, 0)

    @pytest.mark.parametrize(
        "status", [EnrollmentStatus.ON_HOLD, EnrollmentStatus.CANCELLED, EnrollmentStatus.COMPLETED]
    )
    def test_inactive_enrollment_is_refused(self, batch, sibling, status):
        enrollment = enroll(batch)
        enrollment_set_status(enrollment=enrollment, status=status)

        error = refusal(enrollment_transfer, enrollment=enrollment, to_batch=sibling)

        assert error.message == "Only an active enrollment can be transferred"
        enrollment.refresh_from_db()
        assert enrollment.batch == batch
        assert (seats(batch), seats(sibling)) == (0, 0)

    def test_individual_enrollment_is_refused(self, course, sibling):
        enrollment = enrollment_create(student=StudentFactory(), course=course)

        error = refusal(enrollment_transfer, enrollment=enrollment, to_batch=sibling)

        assert error.message == "Only a batch enrollment can be transferred to another batch"
        enrollment.refresh_from_db()
        assert enrollment.batch is None
        assert seats(sibling) == 0


# --- enrollment_counters_reconcile --------------------------------------------------------


class TestCountersReconcile:
    def test_nothing_to_report_when_counters_are_true(self, batch, sibling):
        enroll(batch)
        enroll(sibling)
        EnrollmentFactory(batch=batch, status=EnrollmentStatus.CANCELLED)

        assert enrollment_counters_reconcile() == []
        assert enrollment_counters_reconcile(dry_run=True) == []
        assert (seats(batch), seats(sibling)) == (1, 1)

    def test_dry_run_reports_without_fixing(self, batch):
        # The factory writes enrollments around the services, so the counter stays at 0.
        EnrollmentFactory.create_batch(2, batch=batch)

        report = enrollment_counters_reconcile(dry_run=True)

        assert report == [
            CounterMismatch(
                batch_id=batch.pk,
                batch_code="GER-A1-2026-01-01",
                stored=0,
                actual=2,
                capacity=3,
                fixed=False,
            )
        ]
        assert seats(batch) == 0

    def test_fix_repairs_the_counter(self, batch, sibling):
        EnrollmentFactory.create_batch(2, batch=batch)
        enroll(sibling)

        report = enrollment_counters_reconcile()

        assert [(m.batch_id, m.stored, m.actual, m.fixed) for m in report] == [
            (batch.pk, 0, 2, True)
        ]
        assert (seats(batch), seats(sibling)) == (2, 1)
        assert enrollment_counters_reconcile(dry_run=True) == []

    def test_counter_above_the_actual_count_is_lowered(self, batch):
        enroll(batch)
        Batch.objects.filter(pk=batch.pk).update(enrolled_students=3)

        report = enrollment_counters_reconcile()

        assert [(m.stored, m.actual, m.fixed) for m in report] == [(3, 1, True)]
        assert seats(batch) == 1

    def test_more_active_enrollments_than_seats_is_reported_not_fixed(self, course, batch):
        crowded = BatchFactory(course=course, batch_code="CROWDED", capacity=1)
        EnrollmentFactory.create_batch(2, batch=crowded)
        EnrollmentFactory(batch=batch)

        report = enrollment_counters_reconcile()

        by_code = {m.batch_code: m for m in report}
        assert set(by_code) == {"CROWDED", "GER-A1-2026-01-01"}
        crowded_report = by_code["CROWDED"]
        assert (crowded_report.stored, crowded_report.actual, crowded_report.capacity) == (0, 2, 1)
        assert not crowded_report.fixable
        assert crowded_report.fixed is False
        assert seats(crowded) == 0
        # The other batch in the same run is still repaired.
        assert by_code["GER-A1-2026-01-01"].fixed is True
        assert seats(batch) == 1


# --- the invariant ------------------------------------------------------------------------


def test_counters_stay_equal_to_active_enrollments_through_a_mixed_sequence(course):
    a = BatchFactory(course=course, batch_code="A", capacity=3)
    b = BatchFactory(course=course, batch_code="B", capacity=2)
    c = BatchFactory(course=course, batch_code="C", capacity=2)
    d = BatchFactory(course=CourseFactory(code="FRE-B2"), batch_code="D", capacity=2)
    s = [StudentFactory() for _ in range(7)]
    refused = []

    def attempt(call, **kwargs):
        try:
            return call(**kwargs)
        except DomainError as error:
            refused.append(error.message)
            return None
        finally:
            assert_counters_true()

    e1 = attempt(enrollment_create, student=s[1], course=course, batch=a)
    e2 = attempt(enrollment_create, student=s[2], course=course, batch=a)
    e3 = attempt(enrollment_create, student=s[3], course=course, batch=a)
    e4 = attempt(enrollment_create, student=s[4], course=course, batch=b)
    attempt(enrollment_create, student=s[5], course=course, batch=a)  # A is full
    attempt(enrollment_cancel, enrollment=e2)
    e5 = attempt(enrollment_create, student=s[5], course=course, batch=a)
    attempt(enrollment_transfer, enrollment=e1, to_batch=b)  # B is now full
    attempt(enrollment_transfer, enrollment=e3, to_batch=b)  # refused: B is full
    attempt(enrollment_set_status, enrollment=e4, status=EnrollmentStatus.ON_HOLD)
    attempt(enrollment_transfer, enrollment=e3, to_batch=b)
    attempt(enrollment_set_status, enrollment=e4, status=EnrollmentStatus.ACTIVE)  # B is full
    attempt(enrollment_create, student=s[6], course=course)  # individual
    attempt(enrollment_set_status, enrollment=e5, status=EnrollmentStatus.COMPLETED)
    e2_again = attempt(enrollment_create, student=s[2], course=course, batch=c)
    attempt(enrollment_set_status, enrollment=e2, status=EnrollmentStatus.ACTIVE)  # duplicate
    attempt(enrollment_cancel, enrollment=e4)  # on hold: no seat to free
    attempt(enrollment_create, student=s[4], course=d.course, batch=d)
    attempt(enrollment_create, student=s[0], course=d.course, batch=d)
    attempt(enrollment_transfer, enrollment=e2_again, to_batch=a)
    attempt(enrollment_transfer, enrollment=e1, to_batch=d)  # another course
    attempt(enrollment_set_status, enrollment=e1, status=EnrollmentStatus.EXPIRED)
    attempt(enrollment_cancel, enrollment=e5)  # completed

    assert refused == [
        MSG_FULL,
        MSG_FULL,
        MSG_FULL,
        MSG_ALREADY_ENROLLED,
        "Batch D belongs to course FRE-B2, not GER-A1",
        "Only an active or on-hold enrollment can be cancelled; this one is completed",
    ]
    assert {x.batch_code: x.enrolled_students for x in Batch.objects.all()} == {
        "A": 1,  # e2_again (from C)
        "B": 1,  # e3; e1 expired, e4 cancelled
        "C": 0,
        "D": 2,
    }
    assert enrollment_counters_reconcile(dry_run=True) == []
