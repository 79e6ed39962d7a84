"""Enrollment: every constraint, in the database and in full_clean.

The factories save directly, bypassing the services (and the seat counter): these tests prove
the database itself refuses what the services must never write.
"""

from contextlib import contextmanager
from decimal import Decimal

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction

from accounts.tests.factories import StudentFactory
from allocation.models import Batch
from allocation.tests.factories import BatchFactory, CourseFactory
from enrollments.models import Enrollment, EnrollmentStatus, EnrollmentType
from enrollments.tests.factories import EnrollmentFactory

pytestmark = pytest.mark.django_db


@contextmanager
def refused_by(constraint: str):
    """The database refuses the write with an IntegrityError that names ``constraint``."""
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        yield


MSG_ALREADY_ENROLLED = "Student already has an active enrollment in this course"


def violated(name: str) -> str:
    return f"Constraint “{name}” is violated."


def full_clean_errors(instance) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as excinfo:
        instance.full_clean()
    return excinfo.value.message_dict


def constraint_errors(instance) -> list[str]:
    """The messages of the model's own constraints, whatever full_clean reports first."""
    with pytest.raises(ValidationError) as excinfo:
        instance.validate_constraints()
    return excinfo.value.message_dict[NON_FIELD_ERRORS]


def individual(**fields) -> Enrollment:
    fields.setdefault("course", CourseFactory())
    return EnrollmentFactory(batch=None, enrollment_type=EnrollmentType.INDIVIDUAL, **fields)


def test_valid_enrollments_pass_full_clean():
    in_batch = EnrollmentFactory()
    alone = individual()

    in_batch.full_clean()
    alone.full_clean()
    assert in_batch.is_active
    assert str(alone) == f"{alone.student} in {alone.course.code} (individual, active)"


class TestOneActivePerStudentAndCourse:
    def test_second_active_in_the_same_batch_is_refused_by_the_database(self):
        first = EnrollmentFactory()

        with pytest.raises(IntegrityError), transaction.atomic():
            EnrollmentFactory(student=first.student, batch=first.batch)
        assert Enrollment.objects.count() == 1

    def test_second_active_in_another_batch_of_the_course_is_refused_by_the_database(self):
        first = EnrollmentFactory()
        other_batch = BatchFactory(course=first.course)

        with pytest.raises(IntegrityError), transaction.atomic():
            EnrollmentFactory(student=first.student, batch=other_batch)
        assert Enrollment.objects.count() == 1

    def test_individual_and_batch_active_in_one_course_are_refused_by_the_database(self):
        first = EnrollmentFactory()

        with pytest.raises(IntegrityError), transaction.atomic():
            individual(student=first.student, course=first.course)
        assert Enrollment.objects.count() == 1

    def test_reactivating_a_second_enrollment_is_refused_by_the_database(self):
        first = EnrollmentFactory()
        old = EnrollmentFactory(
            student=first.student, batch=first.batch, status=EnrollmentStatus.CANCELLED
        )

        with pytest.raises(IntegrityError), transaction.atomic():
            Enrollment.objects.filter(pk=old.pk).update(status=EnrollmentStatus.ACTIVE)
        old.refresh_from_db()
        assert old.status == EnrollmentStatus.CANCELLED

    def test_a_cancelled_and_an_active_in_one_course_are_allowed(self):
        cancelled = EnrollmentFactory(status=EnrollmentStatus.CANCELLED)
        active = EnrollmentFactory(student=cancelled.student, batch=cancelled.batch)

        active.full_clean()
        assert set(Enrollment.objects.filter(student=cancelled.student)) == {cancelled, active}

    def test_any_number_of_inactive_enrollments_are_allowed(self):
        first = EnrollmentFactory(status=EnrollmentStatus.COMPLETED)
        for status in (EnrollmentStatus.CANCELLED, EnrollmentStatus.CANCELLED, "expired"):
            EnrollmentFactory(student=first.student, batch=first.batch, status=status)

        assert Enrollment.objects.filter(student=first.student).count() == 4

    def test_active_in_two_courses_is_allowed(self):
        first = EnrollmentFactory()
        second = EnrollmentFactory(student=first.student)

        assert first.course != second.course
        assert Enrollment.objects.filter(student=first.student, status="active").count() == 2

    def test_second_active_is_refused_by_full_clean(self):
        first = EnrollmentFactory()
        second = EnrollmentFactory.build(student=first.student, batch=first.batch)

        assert full_clean_errors(second) == {NON_FIELD_ERRORS: [MSG_ALREADY_ENROLLED]}


class TestStatusAndType:
    @pytest.mark.parametrize("status", EnrollmentStatus.values)
    def test_every_known_status_is_stored(self, status):
        enrollment = EnrollmentFactory(status=status)

        enrollment.full_clean()
        assert Enrollment.objects.get(pk=enrollment.pk).status == status

    def test_unknown_status_is_refused_by_the_database(self):
        with refused_by("enrollment_status_valid"):
            EnrollmentFactory(status="Active")
        assert not Enrollment.objects.exists()

    def test_unknown_status_is_refused_by_full_clean(self):
        enrollment = EnrollmentFactory.build(status="paused", batch=BatchFactory())

        assert "status" in full_clean_errors(enrollment)
        assert constraint_errors(enrollment) == [violated("enrollment_status_valid")]

    @pytest.mark.parametrize(
        "enrollment_type",
        [t for t in EnrollmentType.values if t != EnrollmentType.INDIVIDUAL],
    )
    def test_every_type_but_individual_may_name_a_batch(self, enrollment_type):
        enrollment = EnrollmentFactory(enrollment_type=enrollment_type)

        enrollment.full_clean()
        assert Enrollment.objects.get(pk=enrollment.pk).enrollment_type == enrollment_type

    @pytest.mark.parametrize(
        "enrollment_type",
        [t for t in EnrollmentType.values if t != EnrollmentType.BATCH],
    )
    def test_every_type_but_batch_may_go_without_a_batch(self, enrollment_type):
        enrollment = EnrollmentFactory(
            batch=None, course=CourseFactory(), enrollment_type=enrollment_type
        )

        enrollment.full_clean()
        assert Enrollment.objects.get(pk=enrollment.pk).batch is None

    def test_unknown_type_is_refused_by_the_database(self):
        with refused_by("enrollment_type_valid"):
            EnrollmentFactory(enrollment_type="self_paced")
        assert not Enrollment.objects.exists()

    def test_unknown_type_is_refused_by_full_clean(self):
        enrollment = EnrollmentFactory.build(enrollment_type="self_paced", batch=BatchFactory())

        assert "enrollment_type" in full_clean_errors(enrollment)
        assert constraint_errors(enrollment) == [violated("enrollment_type_valid")]

    def test_batch_type_without_batch_is_refused_by_the_database(self):
        with refused_by("batch_enrollment_has_batch"):
            EnrollmentFactory(
                batch=None, course=CourseFactory(), enrollment_type=EnrollmentType.BATCH
            )
        assert not Enrollment.objects.exists()

    def test_removing_the_batch_of_a_batch_enrollment_is_refused_by_the_database(self):
        enrollment = EnrollmentFactory()

        with refused_by("batch_enrollment_has_batch"):
            Enrollment.objects.filter(pk=enrollment.pk).update(batch=None)
        enrollment.refresh_from_db()
        assert enrollment.batch_id is not None

    def test_batch_type_without_batch_is_refused_by_full_clean(self):
        enrollment = EnrollmentFactory.build(
            batch=None,
            course=CourseFactory(),
            student=StudentFactory(),
            enrollment_type=EnrollmentType.BATCH,
        )

        assert full_clean_errors(enrollment) == {
            NON_FIELD_ERRORS: ["A batch enrollment needs a batch"]
        }

    def test_individual_type_with_batch_is_refused_by_the_database(self):
        with refused_by("individual_enrollment_has_no_batch"):
            EnrollmentFactory(enrollment_type=EnrollmentType.INDIVIDUAL)
        assert not Enrollment.objects.exists()

    def test_individual_type_with_batch_is_refused_by_full_clean(self):
        enrollment = EnrollmentFactory.build(
            batch=BatchFactory(), student=StudentFactory(), enrollment_type="individual"
        )

        assert full_clean_errors(enrollment) == {
            NON_FIELD_ERRORS: ["An individual enrollment cannot name a batch"]
        }


class TestPayment:
    @pytest.mark.parametrize("amount", [None, Decimal("0"), Decimal("149.99")])
    def test_empty_zero_and_positive_amounts_are_stored(self, amount):
        enrollment = EnrollmentFactory(payment_amount=amount)

        enrollment.full_clean()
        assert Enrollment.objects.get(pk=enrollment.pk).payment_amount == amount

    def test_negative_amount_is_refused_by_the_database(self):
        with refused_by("enrollment_payment_not_negative"):
            EnrollmentFactory(payment_amount=Decimal("-0.01"))
        assert not Enrollment.objects.exists()

    def test_negative_amount_is_refused_by_full_clean(self):
        enrollment = EnrollmentFactory.build(
            batch=BatchFactory(), student=StudentFactory(), payment_amount=Decimal("-5")
        )

        assert full_clean_errors(enrollment) == {
            NON_FIELD_ERRORS: ["The payment amount cannot be negative"]
        }


class TestCourseIsTheBatchCourse:
    """Migration enrollments.0002: a composite foreign key on PostgreSQL, triggers on SQLite."""

    def test_insert_with_another_course_is_refused(self):
        batch = BatchFactory()

        with refused_by("enrollment_course_is_batch_course"):
            EnrollmentFactory(batch=batch, course=CourseFactory())
        assert not Enrollment.objects.exists()

    def test_update_of_the_course_is_refused(self):
        enrollment = EnrollmentFactory()
        original_course = enrollment.course

        with refused_by("enrollment_course_is_batch_course"):
            Enrollment.objects.filter(pk=enrollment.pk).update(course=CourseFactory())
        enrollment.refresh_from_db()
        assert enrollment.course == original_course

    def test_save_with_another_course_is_refused(self):
        enrollment = EnrollmentFactory()
        enrollment.course = CourseFactory()

        with refused_by("enrollment_course_is_batch_course"):
            enrollment.save()
        assert Enrollment.objects.get(pk=enrollment.pk).course == enrollment.batch.course

    def test_update_to_a_batch_of_another_course_is_refused(self):
        enrollment = EnrollmentFactory()
        original_batch = enrollment.batch

        with refused_by("enrollment_course_is_batch_course"):
            Enrollment.objects.filter(pk=enrollment.pk).update(batch=BatchFactory())
        enrollment.refresh_from_db()
        assert enrollment.batch == original_batch

    def test_moving_to_a_batch_of_the_same_course_is_allowed(self):
        enrollment = EnrollmentFactory()
        sibling = BatchFactory(course=enrollment.course)

        Enrollment.objects.filter(pk=enrollment.pk).update(batch=sibling)

        enrollment.refresh_from_db()
        assert enrollment.batch == sibling

    def test_moving_batch_and_course_together_is_allowed(self):
        enrollment = EnrollmentFactory()
        elsewhere = BatchFactory()

        Enrollment.objects.filter(pk=enrollment.pk).update(batch=elsewhere, course=elsewhere.course)

        enrollment.refresh_from_db()
        assert (enrollment.batch, enrollment.course) == (elsewhere, elsewhere.course)

    def test_individual_enrollments_are_not_checked(self):
        enrollment = individual()

        Enrollment.objects.filter(pk=enrollment.pk).update(course=CourseFactory())

        enrollment.refresh_from_db()
        assert enrollment.batch is None

    @pytest.mark.parametrize("status", [EnrollmentStatus.ACTIVE, EnrollmentStatus.CANCELLED])
    def test_changing_the_course_of_a_batch_with_enrollments_is_refused(self, status):
        enrollment = EnrollmentFactory(status=status)
        batch = enrollment.batch
        original_course = batch.course

        with refused_by("enrollment_course_is_batch_course"):
            Batch.objects.filter(pk=batch.pk).update(course=CourseFactory())
        batch.refresh_from_db()
        assert batch.course == original_course

    def test_saving_a_batch_with_enrollments_under_another_course_is_refused(self):
        batch = EnrollmentFactory().batch
        batch.course = CourseFactory()

        with refused_by("enrollment_course_is_batch_course"):
            batch.save()

    def test_saving_a_batch_with_enrollments_and_its_own_course_is_allowed(self):
        batch = EnrollmentFactory().batch
        batch.batch_name = "Renamed"

        batch.save()

        assert Batch.objects.get(pk=batch.pk).batch_name == "Renamed"

    def test_changing_the_course_of_a_batch_without_enrollments_is_allowed(self):
        batch = BatchFactory()
        other = CourseFactory()

        Batch.objects.filter(pk=batch.pk).update(course=other)

        batch.refresh_from_db()
        assert batch.course == other
