"""Who can teach: a trainer's profile, the limits on their load and their availability status."""

from django.conf import settings
from django.db import models

DEFAULT_MAX_ACTIVE_BATCHES = 4  # the original guide recommends 3-4 active batches per instructor


class TrainerStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    INACTIVE = "inactive", "Inactive"
    ON_LEAVE = "on_leave", "On leave"


class TrainerProfile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="trainer_profile"
    )
    specialization = models.CharField(max_length=200, blank=True)
    max_active_batches = models.PositiveSmallIntegerField(
        default=DEFAULT_MAX_ACTIVE_BATCHES,
        help_text="Most Active + Upcoming batches this trainer may teach at once.",
    )
    max_individual_students = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Most students this trainer may mentor individually; empty means no cap.",
    )
    status = models.CharField(
        max_length=10, choices=TrainerStatus.choices, default=TrainerStatus.ACTIVE
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["user__full_name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(max_active_batches__gte=1),
                name="trainer_max_active_batches_at_least_1",
                violation_error_message="The cap on active batches must be at least 1",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=TrainerStatus.values),
                name="trainer_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.user.full_name or self.user.email
