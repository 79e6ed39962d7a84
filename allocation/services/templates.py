"""A course's batch template: how automatic batch creation makes its batches."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.utils.translation import gettext

from allocation.models import BatchTemplate, Course
from allocation.services.batches import Slot, validate_schedule
from allocation.services.checks import lock_course
from core.errors import DomainError, full_clean_or_refuse

TEMPLATE_FIELDS = frozenset(
    {
        "capacity",
        "duration_weeks",
        "start_after_days",
        "assistants",
        "auto_create",
        "waitlist_threshold",
    }
)


def batch_template_of(course: Course) -> BatchTemplate:
    """The course's template, or an unsaved one with the defaults when it has none yet."""
    return BatchTemplate.objects.filter(course=course).first() or BatchTemplate(course=course)


@transaction.atomic
def batch_template_save(
    *, course: Course, schedule: Sequence[Slot] | None = None, **changes
) -> BatchTemplate:
    """Create or change a course's batch template (``schedule`` replaces its weekly slots).

    Locks the course row (automatic batch creation reads the template under the same lock).
    Refuses unknown fields, overlapping or reversed slots, and values the model's constraints
    refuse (a capacity or a length below 1, a waitlist threshold below 1).
    """
    unknown = set(changes) - TEMPLATE_FIELDS
    if unknown:
        raise DomainError(
            gettext("These template fields cannot be changed: %(items)s")
            % {"items": ", ".join(sorted(unknown))}
        )
    course = lock_course(course)
    template = batch_template_of(course)
    for name, value in changes.items():
        setattr(template, name, value)
    if schedule is not None:
        template.schedule = [
            {"day": s.day, "start": f"{s.start_time:%H:%M}", "end": f"{s.end_time:%H:%M}"}
            for s in validate_schedule(schedule)
        ]
    full_clean_or_refuse(template, exclude=["course"])
    template.save()
    return template
