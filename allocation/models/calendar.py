"""The calendar of a batch: its dated sessions, holidays and closures, and trainer bookings.

A ``ClassSession`` is one dated class, generated from the batch's weekly slots read in the
batch's time zone (``allocation.session_times``), or added by hand. Its times are aware UTC
datetimes, half-open ``[start_at, end_at)``. A ``TrainerBooking`` is one trainer teaching one
session (primary, assistant or cover): on PostgreSQL an exclusion constraint over
``(trainer, tstzrange(start_at, end_at))`` makes a double-booking impossible to store
(migration allocation.0014). Bookings exist only for the held sessions (scheduled or moved)
of Active and Upcoming batches; the session services keep them in step with sessions,
staffing and cover in the same transaction.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy

from .batches import Batch, Course, SubstituteCover

# The longest a session may last: a slot is shorter than a day, and a clock change can add an
# hour. The conflict query looks this far back from each proposed start (so it reads an index
# range, not every earlier booking); the services refuse a longer session.
MAX_SESSION_LENGTH = dt.timedelta(hours=25)


class SessionStatus(models.TextChoices):
    SCHEDULED = "scheduled", gettext_lazy("Scheduled")
    CANCELLED = "cancelled", gettext_lazy("Cancelled")
    MOVED = "moved", gettext_lazy("Moved")  # held at start_at/end_at; the original time is kept


# Sessions that take place (and so book their trainers).
HELD_SESSION_STATUSES = (SessionStatus.SCHEDULED, SessionStatus.MOVED)


class SessionKind(models.TextChoices):
    REGULAR = "regular", gettext_lazy("Regular")  # generated from a weekly slot
    EXTRA = "extra", gettext_lazy("Extra")  # added by hand: a make-up or an extra class


class ClassSessionQuerySet(models.QuerySet):
    def held(self):
        return self.filter(status__in=HELD_SESSION_STATUSES)

    def between(self, start: dt.datetime | None, end: dt.datetime | None):
        """Sessions overlapping ``[start, end)`` (either bound may be open)."""
        qs = self
        if start is not None:
            qs = qs.filter(end_at__gt=start)
        if end is not None:
            qs = qs.filter(start_at__lt=end)
        return qs


class ClassSession(models.Model):
    """One dated class of a batch.

    A regular session is keyed by the slot it comes from (``local_date``, ``slot_start``,
    ``slot_end``, in the batch's zone), which is how regeneration recognises it. ``locked``
    marks a session edited by hand (cancelled, moved, covered, given another teacher) or,
    later, one with attendance: regeneration never deletes or moves a locked session.
    """

    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="sessions")
    start_at = models.DateTimeField()
    end_at = models.DateTimeField()
    status = models.CharField(
        max_length=10, choices=SessionStatus.choices, default=SessionStatus.SCHEDULED
    )
    reason = models.CharField(
        max_length=300,
        blank=True,
        help_text=gettext_lazy("Why the session was cancelled, moved or added."),
    )
    kind = models.CharField(max_length=10, choices=SessionKind.choices, default=SessionKind.REGULAR)
    # The occurrence a regular session was generated for, in the batch's zone.
    local_date = models.DateField()
    slot_start = models.TimeField(null=True, blank=True)
    slot_end = models.TimeField(null=True, blank=True)
    # A moved session's time before its (first) move.
    original_start_at = models.DateTimeField(null=True, blank=True)
    original_end_at = models.DateTimeField(null=True, blank=True)
    # Teaches this session instead of the batch's primary.
    instructor_override = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # Empty: the batch's default_room / default_meeting_url.
    room = models.CharField(max_length=100, blank=True)
    meeting_url = models.URLField(max_length=500, blank=True)
    # The holiday or closure that cancelled the session.
    holiday = models.ForeignKey(
        "Holiday",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="cancelled_sessions",
    )
    locked = models.BooleanField(
        default=False,
        help_text=gettext_lazy("Edited by hand or has attendance: regeneration keeps it as it is."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ClassSessionQuerySet.as_manager()

    class Meta:
        ordering = ["start_at", "pk"]
        indexes = [
            models.Index(fields=["batch", "start_at"], name="session_batch_start"),
            models.Index(fields=["start_at"], name="session_start"),
            # The few cancelled sessions (attendance subtracts their marks from its tallies).
            models.Index(
                fields=["batch"],
                condition=models.Q(status="cancelled"),
                name="session_cancelled",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_at__gt=models.F("start_at")),
                name="session_ends_after_start",
                violation_error_message=gettext_lazy("A session must end after it starts"),
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=SessionStatus.values), name="session_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=SessionKind.values), name="session_kind_valid"
            ),
            models.CheckConstraint(
                condition=~models.Q(status=SessionStatus.CANCELLED) | ~models.Q(reason=""),
                name="session_cancelled_has_reason",
                violation_error_message=gettext_lazy("A cancelled session needs a reason"),
            ),
            models.CheckConstraint(
                condition=~models.Q(status=SessionStatus.MOVED)
                | models.Q(original_start_at__isnull=False, original_end_at__isnull=False),
                name="session_moved_keeps_original",
                violation_error_message=gettext_lazy("A moved session keeps its original time"),
            ),
            models.CheckConstraint(
                condition=~models.Q(kind=SessionKind.REGULAR)
                | models.Q(slot_start__isnull=False, slot_end__isnull=False),
                name="session_regular_has_slot",
            ),
            models.UniqueConstraint(
                fields=["batch", "local_date", "slot_start"],
                condition=models.Q(kind=SessionKind.REGULAR),
                name="session_one_per_slot_and_date",
                violation_error_message=gettext_lazy("The batch already has this session"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.batch.batch_code} {self.start_at:%Y-%m-%d %H:%M} UTC"

    @property
    def is_held(self) -> bool:
        return self.status in HELD_SESSION_STATUSES

    @property
    def where(self) -> str:
        """The room, else the batch's default room."""
        return self.room or self.batch.default_room

    @property
    def link(self) -> str:
        """The meeting link, else the batch's default link."""
        return self.meeting_url or self.batch.default_meeting_url


class Holiday(models.Model):
    """A date range with no classes: for the whole platform (no course, no batch), one
    course's batches, or one batch (a closure). Inclusive days, read in each batch's zone."""

    name = models.CharField(max_length=200)
    start_date = models.DateField()
    end_date = models.DateField()
    course = models.ForeignKey(
        Course, on_delete=models.CASCADE, null=True, blank=True, related_name="closures"
    )
    batch = models.ForeignKey(
        Batch, on_delete=models.CASCADE, null=True, blank=True, related_name="closures"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["start_date", "name"]
        indexes = [models.Index(fields=["end_date", "start_date"], name="holiday_dates")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__gte=models.F("start_date")),
                name="holiday_end_on_or_after_start",
                violation_error_message=gettext_lazy(
                    "The holiday must end on or after its first day"
                ),
            ),
            models.CheckConstraint(
                condition=models.Q(course__isnull=True) | models.Q(batch__isnull=True),
                name="holiday_one_scope",
                violation_error_message=gettext_lazy(
                    "A closure is for a course or for a batch, not both"
                ),
            ),
            models.CheckConstraint(
                condition=~models.Q(name=""),
                name="holiday_has_name",
                violation_error_message=gettext_lazy("A holiday needs a name"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.start_date:%Y-%m-%d} – {self.end_date:%Y-%m-%d}"

    @property
    def scope(self) -> str:
        """``platform``, ``course`` or ``batch``."""
        if self.batch_id is not None:
            return "batch"
        if self.course_id is not None:
            return "course"
        return "platform"

    def applies_to(self, batch: Batch) -> bool:
        return (self.batch_id is None or self.batch_id == batch.pk) and (
            self.course_id is None or self.course_id == batch.course_id
        )


class BookingRole(models.TextChoices):
    PRIMARY = "primary", gettext_lazy("Primary")
    ASSISTANT = "assistant", gettext_lazy("Assistant")
    COVER = "cover", gettext_lazy("Cover")


class TrainerBooking(models.Model):
    """One trainer teaching one held session of an open batch, over the session's times.

    Derived from sessions, staffing and cover by ``services.sessions.bookings_sync`` in the
    transaction that changes them; never edited on its own. ``batch`` is copied from the
    session so a conflict names the other batch without another join.
    """

    trainer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bookings"
    )
    session = models.ForeignKey(ClassSession, on_delete=models.CASCADE, related_name="bookings")
    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="+")
    role = models.CharField(max_length=10, choices=BookingRole.choices)
    start_at = models.DateTimeField()
    end_at = models.DateTimeField()

    class Meta:
        ordering = ["start_at", "pk"]
        indexes = [
            models.Index(fields=["trainer", "start_at"], name="booking_trainer_start"),
            models.Index(fields=["start_at"], name="booking_start"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "trainer"],
                name="booking_once_per_session",
                violation_error_message=gettext_lazy("This trainer already teaches this session"),
            ),
            models.CheckConstraint(
                condition=models.Q(end_at__gt=models.F("start_at")),
                name="booking_ends_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=BookingRole.values), name="booking_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.trainer} {self.get_role_display().lower()} {self.session}"


class SessionCover(models.Model):
    """A substitute teaching one session for an absent trainer, part of a ``SubstituteCover``."""

    cover = models.ForeignKey(SubstituteCover, on_delete=models.CASCADE, related_name="sessions")
    session = models.ForeignKey(ClassSession, on_delete=models.CASCADE, related_name="covers")
    absent_trainer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    substitute = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="session_covers"
    )

    class Meta:
        ordering = ["session__start_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "absent_trainer"],
                name="session_covered_once_per_absence",
                violation_error_message=gettext_lazy(
                    "This session is already covered for that trainer"
                ),
            ),
            models.CheckConstraint(
                condition=~models.Q(substitute=models.F("absent_trainer")),
                name="session_cover_substitute_is_someone_else",
                violation_error_message=gettext_lazy("A trainer cannot cover for themselves"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.substitute} covers {self.session} for {self.absent_trainer}"
