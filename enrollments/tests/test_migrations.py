"""The course rule survives schema changes that rebuild the batch table.

SQLite rebuilds a table (copy, drop, rename) for many schema changes; its triggers for the
"enrollment course = batch course" rule must neither break that rebuild nor be lost by it
(enrollments/sqlite_triggers.py). PostgreSQL keeps its composite foreign key throughout.
"""

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction

from accounts.tests.factories import StudentFactory
from allocation.tests.factories import BatchFactory, CourseFactory
from enrollments.models import Enrollment


@pytest.mark.django_db(transaction=True)
def test_rebuilding_the_batch_table_keeps_the_course_rule():
    # Unapplying allocation 0007 drops Batch.supervising_lead: SQLite rebuilds allocation_batch.
    call_command("migrate", "allocation", "0006", verbosity=0)
    call_command("migrate", verbosity=0)

    batch = BatchFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Enrollment.objects.create(
            student=StudentFactory(), course=CourseFactory(), batch=batch, enrollment_type="batch"
        )
    Enrollment.objects.create(
        student=StudentFactory(), course=batch.course, batch=batch, enrollment_type="batch"
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        type(batch).objects.filter(pk=batch.pk).update(course=CourseFactory())
