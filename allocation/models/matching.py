"""What a student needs of a mentor: skills, languages and the times that suit them.

One row per student, in allocation rather than on the trainer side: it is read when an
individual assignment is made (the mentor candidates ranking), it outlives any one
assignment (a reassignment keeps it), and it refers to the admins' skill list of trainers,
which this app may import. Preferred times are weekdays and parts of the day read in the
student's own zone (``User.time_zone``).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.languages import validate_language_codes


class DayPart(models.TextChoices):
    MORNING = "morning", _("Morning")
    AFTERNOON = "afternoon", _("Afternoon")
    EVENING = "evening", _("Evening")


# The hours of each part of the day, half-open, in the student's zone.
DAY_PART_HOURS: dict[str, tuple[dt.time, dt.time]] = {
    DayPart.MORNING: (dt.time(8), dt.time(12)),
    DayPart.AFTERNOON: (dt.time(12), dt.time(17)),
    DayPart.EVENING: (dt.time(17), dt.time(21)),
}


def validate_weekdays(value: object) -> None:
    if (
        not isinstance(value, list)
        or not all(isinstance(d, int) and not isinstance(d, bool) and 0 <= d <= 6 for d in value)
        or len(set(value)) != len(value)
    ):
        raise ValidationError(_("Days must be distinct weekdays 0 (Monday) to 6 (Sunday)"))


def validate_day_parts(value: object) -> None:
    if (
        not isinstance(value, list)
        or not all(isinstance(p, str) and p in DayPart.values for p in value)
        or len(set(value)) != len(value)
    ):
        raise ValidationError(
            _("Parts of the day must be distinct values of: %(parts)s"),
            params={"parts": ", ".join(DayPart.values)},
        )


class StudentNeeds(models.Model):
    """What one student needs: skills, preferred languages, preferred days and parts of the
    day (in their own zone). Empty lists mean "no preference"."""

    student = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="needs"
    )
    skills = models.ManyToManyField("trainers.Skill", blank=True, related_name="needed_by")
    languages = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_language_codes],
        help_text=_('ISO 639-1 codes of the languages the student prefers, e.g. ["de"].'),
    )
    preferred_days = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_weekdays],
        help_text=_("Weekdays 0 (Monday) to 6 (Sunday), in the student's zone."),
    )
    day_parts = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_day_parts],
        help_text=_("morning (08–12), afternoon (12–17), evening (17–21), in the student's zone."),
    )
    notes = models.CharField(max_length=500, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("student needs")
        verbose_name_plural = _("student needs")

    def __str__(self) -> str:
        return f"Needs of {self.student}"

    def preferred_windows(self) -> list[tuple[int, dt.time, dt.time]]:
        """(weekday, start, end) windows the student prefers, in their zone; none when they
        named neither days nor parts (no preference). A missing half means "any": days
        without parts are the whole teaching day of each part, parts without days are every
        day."""
        if not self.preferred_days and not self.day_parts:
            return []
        days = sorted(self.preferred_days) or list(range(7))
        parts = [p for p in DayPart.values if p in self.day_parts] or list(DayPart.values)
        return [(d, *DAY_PART_HOURS[p]) for d in days for p in parts]
