"""Attendance marks and at-risk episodes (definitions: ``attendance/__init__.py``)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from allocation.models import Batch, ClassSession
from core.history import HistoricalRecords


class AttendanceStatus(models.TextChoices):
    PRESENT = "present", _("Present")
    LATE = "late", _("Late")
    ABSENT = "absent", _("Absent")
    EXCUSED = "excused", _("Excused")


# Late counts as attended; excused is left out of the denominator.
ATTENDED = (AttendanceStatus.PRESENT, AttendanceStatus.LATE)
COUNTED = (AttendanceStatus.PRESENT, AttendanceStatus.LATE, AttendanceStatus.ABSENT)


class AttendanceMark(models.Model):
    """One student's attendance at one session.

    ``batch`` and ``session_start`` are the session's, copied so that rates and the at-risk
    rule read this table alone (by batch, by student, by trainer, in time order) at millions
    of rows. ``trainer`` is who taught the session when it was marked (the cover when there
    was one): per-trainer rates count it.
    """

    session = models.ForeignKey(ClassSession, on_delete=models.CASCADE, related_name="attendance")
    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="+")
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="attendance_marks"
    )
    session_start = models.DateTimeField()
    trainer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    status = models.CharField(max_length=8, choices=AttendanceStatus.choices)
    note = models.CharField(max_length=300, blank=True)
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    marked_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        ordering = ["session_start", "pk"]
        indexes = [
            models.Index(fields=["student", "batch", "session_start"], name="mark_student_batch"),
            models.Index(fields=["batch", "session_start"], name="mark_batch_start"),
            models.Index(fields=["trainer", "session_start"], name="mark_trainer_start"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "student"],
                name="mark_once_per_session_student",
                violation_error_message=_("This student already has a mark for this session"),
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=AttendanceStatus.values),
                name="mark_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.student} {self.status} {self.session}"

    @property
    def attended(self) -> bool:
        return self.status in ATTENDED


class AtRiskEpisode(models.Model):
    """A stretch of time in which a student is at risk in a batch: opened by the mark that
    made them so (their mentor is notified once, in that transaction), closed by the mark
    after which they are not. At most one open episode per student and batch."""

    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="at_risk_episodes"
    )
    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="at_risk_episodes")
    reason = models.CharField(max_length=300)
    opened_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    notified = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Who was told when the episode opened (the mentor, else the primary)."),
    )

    class Meta:
        ordering = ["-opened_at", "-pk"]
        indexes = [
            models.Index(
                fields=["batch"], condition=models.Q(closed_at__isnull=True), name="episode_open"
            ),
            # The at-risk list's page: open episodes, newest first.
            models.Index(
                fields=["-opened_at", "-id"],
                condition=models.Q(closed_at__isnull=True),
                name="episode_open_newest",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["student", "batch"],
                condition=models.Q(closed_at__isnull=True),
                name="episode_one_open_per_student_batch",
                violation_error_message=_("The student already has an open at-risk episode"),
            ),
            models.CheckConstraint(
                condition=models.Q(closed_at__isnull=True)
                | models.Q(closed_at__gte=models.F("opened_at")),
                name="episode_closes_after_opening",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.student} at risk in {self.batch.batch_code} since {self.opened_at:%Y-%m-%d}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class AttendanceTally(models.Model):
    """How many marks of each status a batch has, per trainer (``AttendanceMark.trainer``)
    and week (Monday, UTC, of ``session_start``): the attendance report reads these instead
    of summing every mark. Kept by ``attendance_record`` under the session lock, with
    ``F()``; filled from the marks by migration 0002 (``tallies.rebuild``).

    Every mark is tallied, the cancelled sessions' too: the report subtracts the marks of a
    batch's cancelled sessions when it reads (``tallies.cancelled_marks``), so a session
    cancelled (or restored) later needs no write here.
    """

    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="+")
    trainer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    week = models.DateField()
    present = models.PositiveIntegerField(default=0)
    late = models.PositiveIntegerField(default=0)
    absent = models.PositiveIntegerField(default=0)
    excused = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["batch", "week", "pk"]
        indexes = [
            models.Index(fields=["trainer", "batch"], name="tally_trainer_batch"),
            models.Index(fields=["week", "batch"], name="tally_week_batch"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["batch", "trainer", "week"], name="tally_once_per_batch_trainer_week"
            ),
            models.UniqueConstraint(
                fields=["batch", "week"],
                condition=models.Q(trainer__isnull=True),
                name="tally_once_per_batch_week_untaught",
            ),
            models.CheckConstraint(
                condition=models.Q(present__gte=0, late__gte=0, absent__gte=0, excused__gte=0),
                name="tally_counts_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.batch_id}/{self.trainer_id}/{self.week}"
