"""1:1 mentoring bookings: a mentee's reserved slot with their mentor.

A ``MentorBooking`` belongs to an active individual assignment (mentee = its student, mentor =
its instructor) and holds one slot ``[start_at, end_at)`` in aware UTC, cut from the mentor's
weekly availability (``allocation.selectors.mentor_slots``). It is ``booked`` until it is
cancelled (by either side, within the notice window) or ``held`` (a mentoring session was
logged against it, ``session``).

One mentor cannot hold two active (booked or held) bookings that overlap: on PostgreSQL an
exclusion constraint over ``(mentor, tstzrange(start_at, end_at))`` (migration
``allocation.0017_mentor_bookings_no_overlap_postgres``); on every database a partial unique
constraint refuses the same mentor's same start twice, the case two mentees racing for one
slot produce. A booking does not write a ``TrainerBooking`` (that row needs a class session):
the booking service checks the mentor's teaching bookings itself, under the mentor's
profile lock.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .batches import IndividualAssignment, MentoringSession


class MentorBookingStatus(models.TextChoices):
    BOOKED = "booked", _("Booked")
    CANCELLED = "cancelled", _("Cancelled")
    HELD = "held", _("Held")


# Bookings that occupy the mentor's time.
ACTIVE_BOOKING_STATUSES = (MentorBookingStatus.BOOKED, MentorBookingStatus.HELD)


class MentorBookingQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status__in=ACTIVE_BOOKING_STATUSES)

    def between(self, start, end):
        """Bookings overlapping ``[start, end)`` (half-open)."""
        return self.filter(end_at__gt=start, start_at__lt=end)


class MentorBooking(models.Model):
    assignment = models.ForeignKey(
        IndividualAssignment, on_delete=models.PROTECT, related_name="bookings"
    )
    mentor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="mentor_bookings"
    )
    mentee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="mentee_bookings"
    )
    start_at = models.DateTimeField()
    end_at = models.DateTimeField()
    status = models.CharField(
        max_length=10, choices=MentorBookingStatus.choices, default=MentorBookingStatus.BOOKED
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(
        max_length=300, blank=True, help_text=_("Why the booking was cancelled or moved.")
    )
    # The mentoring session logged for it (status becomes held).
    session = models.OneToOneField(
        MentoringSession,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="booking",
    )
    # When the reminder for the current start_at was written (cleared by a move): the
    # reminder run writes one only where this is empty, with a conditional UPDATE.
    reminded_at = models.DateTimeField(null=True, blank=True)

    objects = MentorBookingQuerySet.as_manager()

    class Meta:
        ordering = ["start_at", "pk"]
        indexes = [
            models.Index(fields=["mentor", "start_at"], name="mentorbooking_mentor_start"),
            models.Index(fields=["mentee", "start_at"], name="mentorbooking_mentee_start"),
            models.Index(
                fields=["start_at"],
                condition=models.Q(status="booked", reminded_at__isnull=True),
                name="mentorbooking_remind_due",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_at__gt=models.F("start_at")),
                name="mentorbooking_ends_after_start",
                violation_error_message=_("A booking must end after it starts"),
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=MentorBookingStatus.values),
                name="mentorbooking_status_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(mentor=models.F("mentee")),
                name="mentorbooking_not_with_self",
                violation_error_message=_("A mentor cannot book a session with themselves"),
            ),
            models.CheckConstraint(
                condition=~models.Q(status=MentorBookingStatus.CANCELLED)
                | models.Q(cancelled_at__isnull=False),
                name="mentorbooking_cancelled_has_time",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=MentorBookingStatus.HELD)
                | models.Q(session__isnull=False),
                name="mentorbooking_held_has_session",
            ),
            models.UniqueConstraint(
                fields=["mentor", "start_at"],
                condition=models.Q(status__in=["booked", "held"]),
                name="mentorbooking_one_per_mentor_start",
                violation_error_message=_("This slot is already booked"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.mentor} – {self.mentee} {self.start_at:%Y-%m-%d %H:%M} UTC"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_BOOKING_STATUSES

    @property
    def minutes(self) -> int:
        return int((self.end_at - self.start_at).total_seconds() // 60)
