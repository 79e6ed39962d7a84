"""Locks and checks that the services of several sub-domains share."""

from __future__ import annotations

from django.utils.translation import gettext

from accounts.models import User
from allocation.eligibility import MSG_NOT_INSTRUCTOR
from allocation.models import Batch, Course
from core.errors import DomainError


def validate_instructor(instructor: User | None) -> None:
    """Refuse a missing instructor or a user without the instructor role."""
    if instructor is None:
        raise DomainError(
            gettext("Instructor assignment is required for a batch"), field="assigned_instructor"
        )
    if not instructor.is_instructor or not instructor.is_active:
        raise DomainError(MSG_NOT_INSTRUCTOR, field="assigned_instructor")


def lock_course(course: Course) -> Course:
    """Lock the course row (its row only) and read it fresh."""
    return Course.objects.select_for_update(of=("self",)).get(pk=course.pk)


def lock_batch(batch: Batch) -> Batch:
    """Lock the batch row (its row only) and read it fresh; refuses a batch deleted meanwhile."""
    try:
        return Batch.objects.select_for_update(of=("self",)).get(pk=batch.pk)
    except Batch.DoesNotExist:
        raise DomainError(gettext("This batch no longer exists")) from None
