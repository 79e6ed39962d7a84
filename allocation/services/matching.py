"""What a student needs of a mentor: set by admins (console and Django admin)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils.translation import gettext

from accounts.models import User
from allocation.models import StudentNeeds
from core.errors import DomainError, full_clean_or_refuse


@transaction.atomic
def student_needs_set(
    *,
    student: User,
    updated_by: User | None,
    skills: Iterable = (),
    languages: Iterable[str] = (),
    preferred_days: Iterable[int] = (),
    day_parts: Iterable[str] = (),
    notes: str = "",
) -> StudentNeeds:
    """Replace what ``student`` needs: skills (``trainers.Skill`` rows), preferred languages
    (ISO 639-1 codes), preferred weekdays (0 Monday – 6 Sunday) and parts of the day, read
    in the student's zone. Empty means "no preference".

    Locks the student's needs row (created first when missing), so two admins' saves apply
    one after the other. Refuses a user who is not a student, an unknown language code,
    weekday or part of the day.
    """
    if not student.is_learner:
        raise DomainError(gettext("Only a student has needs to record"), field="student")
    StudentNeeds.objects.get_or_create(student=student)
    needs = StudentNeeds.objects.select_for_update(of=("self",)).get(student=student)
    needs.languages = list(dict.fromkeys(languages))
    needs.preferred_days = sorted({int(d) for d in preferred_days})
    needs.day_parts = list(dict.fromkeys(day_parts))
    needs.notes = (notes or "").strip()
    needs.updated_by = updated_by
    full_clean_or_refuse(needs, exclude=["student", "updated_by"])
    needs.save()
    needs.skills.set(list(skills))
    return needs
