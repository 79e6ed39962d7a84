"""A solver run asked for through the API: trainer assignment or workload balancing, of one
course or all, run by the task worker; its proposal is stored until someone applies it."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy

from allocation.models import Course


class JobKind(models.TextChoices):
    ASSIGN = "assign", gettext_lazy("Trainer assignment")
    BALANCE = "balance", gettext_lazy("Workload balancing")


class JobStatus(models.TextChoices):
    QUEUED = "queued", gettext_lazy("Queued")
    RUNNING = "running", gettext_lazy("Running")
    DONE = "done", gettext_lazy("Proposal ready")
    FAILED = "failed", gettext_lazy("Failed")
    APPLIED = "applied", gettext_lazy("Applied")


class PlanningJob(models.Model):
    kind = models.CharField(max_length=8, choices=JobKind.choices)
    course = models.ForeignKey(Course, on_delete=models.CASCADE, null=True, blank=True)
    time_limit = models.FloatField()
    tolerance_minutes = models.PositiveIntegerField(null=True, blank=True)
    status = models.CharField(max_length=8, choices=JobStatus.choices, default=JobStatus.QUEUED)
    # The proposal as the API answers it (rows, loads, what cannot be staffed, optimality).
    proposal = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    applied_count = models.PositiveIntegerField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=JobKind.values), name="planning_job_kind_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=JobStatus.values), name="planning_job_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} ({self.status})"
