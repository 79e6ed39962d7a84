"""What is taught by whom: courses, batches and their weekly schedule.

Each rule that fits in one row is a database constraint; the services check the same rules
first to give a friendly message. Rules that span rows (capacity against enrollments,
schedule conflicts) are enforced by the services under row locks.
"""

from django.conf import settings
from django.db import models


class Course(models.Model):
    code = models.CharField(
        max_length=20, unique=True, help_text="Short code used in batch codes, e.g. GER-A1."
    )
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(code=""), name="course_code_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.code})"


class BatchStatus(models.TextChoices):
    # Stored exactly as the original API spells them.
    ACTIVE = "Active", "Active"
    UPCOMING = "Upcoming", "Upcoming"
    COMPLETED = "Completed", "Completed"
    CANCELLED = "Cancelled", "Cancelled"


# Batches that still take students and teaching time; the others are history.
OPEN_BATCH_STATUSES = (BatchStatus.ACTIVE, BatchStatus.UPCOMING)


class BatchQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status__in=OPEN_BATCH_STATUSES)


class Batch(models.Model):
    batch_name = models.CharField(max_length=200)
    batch_code = models.CharField(
        max_length=50, unique=True, help_text="Generated from the course code when left blank."
    )
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="batches")
    status = models.CharField(
        max_length=10, choices=BatchStatus.choices, default=BatchStatus.UPCOMING
    )
    start_date = models.DateField()
    end_date = models.DateField()
    capacity = models.PositiveIntegerField()
    # A counter kept equal to the number of active enrollments by the enrollment services,
    # which lock this row before they change it; reconcile_enrollments repairs drift.
    enrolled_students = models.PositiveIntegerField(default=0)
    assigned_instructor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="instructed_batches",
        help_text="The primary trainer.",
    )
    batch_notes = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="created_batches"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = BatchQuerySet.as_manager()

    class Meta:
        ordering = ["start_date", "batch_code"]
        verbose_name_plural = "batches"
        indexes = [models.Index(fields=["assigned_instructor", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__gte=models.F("start_date")),
                name="batch_end_on_or_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(capacity__gte=1), name="batch_capacity_at_least_1"
            ),
            models.CheckConstraint(
                condition=models.Q(enrolled_students__gte=0)
                & models.Q(enrolled_students__lte=models.F("capacity")),
                name="batch_enrolled_within_capacity",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=BatchStatus.values), name="batch_status_valid"
            ),
            models.CheckConstraint(condition=~models.Q(batch_code=""), name="batch_code_not_empty"),
            # Target of the (batch, course) foreign key from enrollments: it makes the database
            # refuse an enrollment whose course is not its batch's course.
            models.UniqueConstraint(fields=["id", "course"], name="batch_id_course_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.batch_code} · {self.batch_name}"

    @property
    def available_spots(self) -> int:
        return max(self.capacity - self.enrolled_students, 0)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_BATCH_STATUSES

    @property
    def is_full(self) -> bool:
        return self.enrolled_students >= self.capacity


class Weekday(models.IntegerChoices):
    # Numbered like date.weekday(), so a date maps to its slots without a lookup table.
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class ScheduleSlot(models.Model):
    """A weekly teaching slot, a half-open interval [start_time, end_time) on one weekday.

    Slots of one batch never overlap: the services refuse it, and on PostgreSQL an exclusion
    constraint (migration allocation.0002) refuses it in the database as well.
    """

    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="schedule")
    day = models.PositiveSmallIntegerField(choices=Weekday.choices)
    start_time = models.TimeField()
    end_time = models.TimeField()

    class Meta:
        ordering = ["day", "start_time"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(start_time__lt=models.F("end_time")),
                name="slot_start_before_end",
            ),
            models.CheckConstraint(
                condition=models.Q(day__gte=0) & models.Q(day__lte=6), name="slot_day_valid"
            ),
            models.UniqueConstraint(
                fields=["batch", "day", "start_time"], name="slot_unique_start_per_batch_day"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_day_display()} {self.start_time:%H:%M}–{self.end_time:%H:%M}"

    def overlaps(self, other: "ScheduleSlot") -> bool:
        return slots_overlap(self, other)


def slots_overlap(a, b) -> bool:
    """Half-open overlap on the same weekday: 10-12 and 12-13 don't overlap; 10-12 and 10-11 do.

    Works for anything with ``day``, ``start_time`` and ``end_time``.
    """
    return a.day == b.day and a.start_time < b.end_time and b.start_time < a.end_time
