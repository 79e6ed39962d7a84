import factory
from factory.django import DjangoModelFactory

from accounts.tests.factories import StudentFactory
from allocation.tests.factories import BatchFactory
from enrollments.models import Enrollment, EnrollmentType


class EnrollmentFactory(DjangoModelFactory):
    """An enrollment saved directly, bypassing the services and the seat counter."""

    class Meta:
        model = Enrollment

    student = factory.SubFactory(StudentFactory)
    batch = factory.SubFactory(BatchFactory)
    course = factory.SelfAttribute("batch.course")
    enrollment_type = EnrollmentType.BATCH
