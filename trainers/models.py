"""Who can teach: a trainer's profile, the limits on their load and their availability status."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_lazy as _

from core.history import HistoricalRecords
from core.languages import validate_language_codes

DEFAULT_MAX_ACTIVE_BATCHES = 4
# A mentor's bookable 1:1 slots last one of these (allocation.selectors.mentor_slots).
MENTORING_SLOT_CHOICES = [(30, _("30 minutes")), (45, _("45 minutes")), (60, _("60 minutes"))]
DEFAULT_MENTORING_SLOT_MINUTES = (
    60  # the original guide recommends 3-4 active batches per instructor
)


class TrainerStatus(models.TextChoices):
    ACTIVE = "active", gettext_lazy("Active")
    INACTIVE = "inactive", gettext_lazy("Inactive")
    ON_LEAVE = "on_leave", gettext_lazy("On leave")


class Skill(models.Model):
    """Something a trainer can teach or a student may need ("German B1", "IELTS"): a tag from
    a list the admins keep, so that matching compares the same words on both sides."""

    name = models.CharField(_("name"), max_length=80)
    description = models.CharField(_("description"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                name="skill_name_unique_ci",
                violation_error_message="A skill with this name already exists",
            ),
            models.CheckConstraint(condition=~models.Q(name=""), name="skill_name_not_empty"),
        ]

    def __str__(self) -> str:
        return self.name


class TrainerProfile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="trainer_profile"
    )
    # Free text kept for people to read; matching reads ``skills`` and ``languages``.
    specialization = models.CharField(max_length=200, blank=True)
    skills = models.ManyToManyField(
        Skill, blank=True, related_name="trainers", help_text=_("What this trainer can teach.")
    )
    languages = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_language_codes],
        help_text=_('ISO 639-1 codes of the languages this trainer teaches in, e.g. ["de", "en"].'),
    )
    max_active_batches = models.PositiveSmallIntegerField(
        default=DEFAULT_MAX_ACTIVE_BATCHES,
        help_text=gettext_lazy("Most Active + Upcoming batches this trainer may teach at once."),
    )
    max_individual_students = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text=gettext_lazy(
            "Most students this trainer may mentor individually; empty means no cap."
        ),
    )
    status = models.CharField(
        max_length=10, choices=TrainerStatus.choices, default=TrainerStatus.ACTIVE
    )
    mentoring_slot_minutes = models.PositiveSmallIntegerField(
        choices=MENTORING_SLOT_CHOICES,
        default=DEFAULT_MENTORING_SLOT_MINUTES,
        help_text=_("Length of a bookable 1:1 mentoring slot."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["user__full_name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(max_active_batches__gte=1),
                name="trainer_max_active_batches_at_least_1",
                violation_error_message=gettext_lazy(
                    "The cap on active batches must be at least 1"
                ),
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=TrainerStatus.values),
                name="trainer_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(mentoring_slot_minutes__in=[30, 45, 60]),
                name="trainer_mentoring_slot_length_valid",
                violation_error_message=_("A mentoring slot lasts 30, 45 or 60 minutes"),
            ),
        ]

    def __str__(self) -> str:
        return self.user.display_name


class TrainerLeave(models.Model):
    """A trainer's leave, whole days from ``start_date`` to ``end_date`` inclusive.

    While a leave covers a date the trainer's status reads ``on_leave`` for that date; the
    sessions it hits are covered by substitutes (allocation.SubstituteCover).
    """

    trainer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="leaves"
    )
    start_date = models.DateField()
    end_date = models.DateField()
    reason = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-start_date"]
        indexes = [models.Index(fields=["trainer", "start_date", "end_date"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__gte=models.F("start_date")),
                name="leave_end_on_or_after_start",
                violation_error_message=gettext_lazy(
                    "The leave must end on or after its first day"
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.trainer} on leave {self.start_date:%Y-%m-%d} – {self.end_date:%Y-%m-%d}"

    def covers(self, day) -> bool:
        return self.start_date <= day <= self.end_date


class AvailabilityWindow(models.Model):
    """A weekly window in which a trainer is willing to teach (half-open, like slots).

    A trainer with no windows is available at any time; once they declare one, teaching
    assignments outside their windows are refused.
    """

    trainer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="availability"
    )
    day = models.PositiveSmallIntegerField(
        choices=[
            (0, "Monday"),
            (1, "Tuesday"),
            (2, "Wednesday"),
            (3, "Thursday"),
            (4, "Friday"),
            (5, "Saturday"),
            (6, "Sunday"),
        ]
    )
    start_time = models.TimeField()
    end_time = models.TimeField()

    class Meta:
        ordering = ["trainer", "day", "start_time"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(start_time__lt=models.F("end_time")),
                name="availability_start_before_end",
                violation_error_message=gettext_lazy(
                    "An availability window must end after it starts"
                ),
            ),
            models.CheckConstraint(
                condition=models.Q(day__gte=0) & models.Q(day__lte=6),
                name="availability_day_valid",
                violation_error_message=gettext_lazy("Unknown weekday"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_day_display()} {self.start_time:%H:%M}–{self.end_time:%H:%M}"
