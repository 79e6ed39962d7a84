"""1:1 mentoring bookings: book a mentor's free slot, cancel or move it, remind both sides.

Booking adds a claim on the mentor's time, so it locks the mentor's trainer profile (the
per-trainer lock every teaching service takes, ``trainers.services.trainers_lock``) and then
re-reads the mentor's free slots: of two mentees booking one slot at once, the second waits
for the first and finds the slot gone. The partial unique constraint on (mentor, start) and,
on PostgreSQL, the exclusion constraint over the mentor's active bookings are the backstop.
A booking is checked against the mentor's teaching (``TrainerBooking``) here; it writes no
``TrainerBooking`` of its own (that row belongs to a class session).

Cancelling frees time and locks only the booking row. Either side may cancel or move until
``MENTORING_NOTICE_HOURS`` before the start; later only an admin may. Every change notifies
the other side (both, when an admin acts) through the outbox, in the same transaction.

Reminders: ``mentoring_reminders_send`` (``manage.py send_mentoring_reminders``, run every few
minutes from cron) writes the reminder of each booked session that starts within
``MENTORING_REMINDER_HOURS``. The outbox's ``send_after`` could have delayed a reminder
written at booking time, but such a row would sit in the inbox from the start and would have
to be found and rewritten on every move and cancel. Instead the run claims each booking with
a conditional UPDATE (``reminded_at`` still empty) and notifies in the same transaction: one
reminder per booking time, never two, even with two runs at once; a move clears
``reminded_at`` so the new time is reminded again.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.access import is_admin
from accounts.models import User
from allocation.models import (
    IndividualAssignment,
    MentorBooking,
    MentorBookingStatus,
)
from allocation.selectors.mentor_slots import mentor_slot_free
from core.errors import DomainError, full_clean_or_refuse
from notifications.services import notify
from trainers.services import trainer_profile_for, trainers_lock

MSG_SLOT_TAKEN = gettext_noop("This slot is already booked")


def notice_window() -> dt.timedelta:
    return dt.timedelta(hours=settings.MENTORING_NOTICE_HOURS)


def _url() -> str:
    return reverse("mentoring:bookings")


def _others(booking: MentorBooking, actor: User) -> list[User]:
    """Who hears about a change: the other side, or both when an admin acts for them."""
    return [u for u in (booking.mentor, booking.mentee) if u.pk != actor.pk]


def _notify(booking: MentorBooking, actor: User, event: str, **extra) -> None:
    notify(
        recipients=_others(booking, actor),
        event=event,
        context={
            "booking": booking,
            "mentor": booking.mentor,
            "mentee": booking.mentee,
            "actor": actor,
            "start_at": booking.start_at,
            "end_at": booking.end_at,
            **extra,
        },
        url=_url(),
    )


def _active_assignment(mentee: User) -> IndividualAssignment | None:
    return (
        IndividualAssignment.objects.select_related("instructor", "student")
        .filter(student=mentee, ended_at__isnull=True)
        .first()
    )


def _refuse_unfree(mentor: User, start_at: dt.datetime, exclude: int | None = None) -> None:
    taken = MentorBooking.objects.active().filter(mentor=mentor, start_at=start_at)
    if exclude is not None:
        taken = taken.exclude(pk=exclude)
    if taken.exists():
        raise DomainError(MSG_SLOT_TAKEN, field="start", code="conflict")
    raise DomainError(
        _("%(time)s is not one of %(mentor)s's free slots; pick a time from the list")
        % {"time": start_at.isoformat(timespec="minutes"), "mentor": mentor.display_name},
        field="start",
    )


@transaction.atomic
def mentor_booking_create(
    *,
    mentee: User,
    start_at: dt.datetime,
    booked_by: User,
    mentor: User | None = None,
    now: dt.datetime | None = None,
) -> MentorBooking:
    """Book the free slot of the mentee's mentor that starts at ``start_at``.

    Locks the mentor's trainer profile, then re-reads their free slots. Refuses: a mentee
    without an active individual assignment, a ``mentor`` who is not theirs, anyone but the
    mentee, their mentor or an admin, a time that is not one of the mentor's free slots
    (outside their availability, teaching, another booking, leave, a holiday, in the past
    or sooner than the minimum lead time), a slot someone else just booked ("This slot is
    already booked").
    """
    assignment = _active_assignment(mentee)
    if assignment is None:
        raise DomainError(
            _("%(name)s has no mentor to book a session with") % {"name": mentee.display_name},
            field="student",
        )
    if mentor is not None and mentor.pk != assignment.instructor_id:
        raise DomainError(
            _("%(mentor)s is not %(name)s's mentor")
            % {"mentor": mentor.display_name, "name": mentee.display_name},
            field="instructor",
        )
    mentor = assignment.instructor
    if booked_by.pk not in (mentee.pk, mentor.pk) and not is_admin(booked_by):
        raise DomainError(_("Only the mentee, their mentor or an admin can book this session"))
    profile = trainers_lock(mentor)[mentor.pk]
    end_at = start_at + dt.timedelta(minutes=profile.mentoring_slot_minutes)
    if not mentor_slot_free(mentor, start_at=start_at, end_at=end_at, now=now):
        _refuse_unfree(mentor, start_at)
    booking = MentorBooking(
        assignment=assignment,
        mentor=mentor,
        mentee=mentee,
        start_at=start_at,
        end_at=end_at,
        created_by=booked_by,
    )
    full_clean_or_refuse(booking, validate_constraints=False)
    try:
        with transaction.atomic():  # a savepoint: the backstop's refusal stays clean
            booking.save()
    except IntegrityError as exc:
        raise DomainError(MSG_SLOT_TAKEN, field="start", code="conflict") from exc
    _notify(booking, booked_by, "mentor_booking_created")
    return booking


def _lock_booking(booking: MentorBooking) -> MentorBooking:
    return (
        MentorBooking.objects.select_for_update(of=("self",))
        .select_related("mentor", "mentee")
        .get(pk=booking.pk)
    )


def _check_change(booking: MentorBooking, actor: User, now: dt.datetime, verb: str) -> None:
    if booking.status != MentorBookingStatus.BOOKED:
        raise DomainError(
            _("This booking is %(status)s and cannot be %(verb)s")
            % {"status": booking.get_status_display().lower(), "verb": verb}
        )
    admin = is_admin(actor)
    if actor.pk not in (booking.mentor_id, booking.mentee_id) and not admin:
        raise DomainError(_("Only the mentor, the mentee or an admin can change this booking"))
    if not admin and booking.start_at - now < notice_window():
        raise DomainError(
            _(
                "A booking can be %(verb)s until %(hours)s hours before it starts; "
                "ask an admin to change it now"
            )
            % {"verb": verb, "hours": settings.MENTORING_NOTICE_HOURS},
            code="notice",
        )


@transaction.atomic
def mentor_booking_cancel(
    *, booking: MentorBooking, cancelled_by: User, reason: str = "", now: dt.datetime | None = None
) -> MentorBooking:
    """Cancel a booked session; its slot is free again.

    Locks the booking row (freeing time needs no lock on the mentor). Refuses: a booking
    already cancelled or held, anyone but its mentor, its mentee or an admin, and — except
    for an admin — less than ``MENTORING_NOTICE_HOURS`` before it starts.
    """
    now = now or timezone.now()
    booking = _lock_booking(booking)
    _check_change(booking, cancelled_by, now, _("cancelled"))
    booking.status = MentorBookingStatus.CANCELLED
    booking.cancelled_at = now
    booking.cancelled_by = cancelled_by
    booking.reason = (reason or "").strip()[:300]
    booking.save(update_fields=["status", "cancelled_at", "cancelled_by", "reason", "updated_at"])
    _notify(booking, cancelled_by, "mentor_booking_cancelled")
    return booking


@transaction.atomic
def mentor_booking_move(
    *,
    booking: MentorBooking,
    start_at: dt.datetime,
    moved_by: User,
    reason: str = "",
    now: dt.datetime | None = None,
) -> MentorBooking:
    """Move a booked session to another free slot of the same mentor.

    Locks the mentor's trainer profile (the new time is a new claim), then the booking row,
    then re-reads the mentor's free slots leaving this booking out. Refuses what cancelling
    refuses (status, who, the notice window before the current start) and a new time that
    is not one of the mentor's free slots, and a booking whose assignment has ended.
    """
    now = now or timezone.now()
    mentor = User.objects.get(pk=booking.mentor_id)
    profile = trainers_lock(mentor)[mentor.pk]
    booking = _lock_booking(booking)
    _check_change(booking, moved_by, now, _("moved"))
    if not IndividualAssignment.objects.filter(
        pk=booking.assignment_id, ended_at__isnull=True
    ).exists():
        raise DomainError(
            _("This mentoring assignment has ended; the booking can only be cancelled")
        )
    end_at = start_at + dt.timedelta(minutes=profile.mentoring_slot_minutes)
    if start_at == booking.start_at:
        raise DomainError(_("The booking is already at this time"), field="start")
    if not mentor_slot_free(
        mentor, start_at=start_at, end_at=end_at, now=now, exclude_booking_id=booking.pk
    ):
        _refuse_unfree(mentor, start_at, exclude=booking.pk)
    previous = booking.start_at
    booking.start_at, booking.end_at = start_at, end_at
    booking.reminded_at = None
    booking.reason = (reason or "").strip()[:300]
    try:
        with transaction.atomic():
            booking.save(
                update_fields=["start_at", "end_at", "reminded_at", "reason", "updated_at"]
            )
    except IntegrityError as exc:
        raise DomainError(MSG_SLOT_TAKEN, field="start", code="conflict") from exc
    _notify(booking, moved_by, "mentor_booking_moved", previous_start_at=previous)
    return booking


def reminder_window() -> dt.timedelta:
    return dt.timedelta(hours=settings.MENTORING_REMINDER_HOURS)


@transaction.atomic
def mentoring_reminders_send(*, now: dt.datetime | None = None) -> int:
    """Write the reminder of every booked session starting within ``MENTORING_REMINDER_HOURS``
    that has none yet, to both sides; returns how many bookings were reminded.

    Claims each booking with a conditional UPDATE (``reminded_at`` empty, still booked) in
    this transaction, so a reminder is written once per booking time even when two runs
    overlap (the second's UPDATE waits for the first and then matches nothing). Locks the
    bookings it claims, one statement each.
    """
    now = now or timezone.now()
    due = list(
        MentorBooking.objects.filter(
            status=MentorBookingStatus.BOOKED,
            reminded_at__isnull=True,
            start_at__gt=now,
            start_at__lte=now + reminder_window(),
        )
        .select_related("mentor", "mentee")
        .order_by("pk")
    )
    sent = 0
    for booking in due:
        claimed = MentorBooking.objects.filter(
            pk=booking.pk,
            status=MentorBookingStatus.BOOKED,
            reminded_at__isnull=True,
            start_at=booking.start_at,
        ).update(reminded_at=now)
        if not claimed:
            continue
        notify(
            recipients=[booking.mentor, booking.mentee],
            event="mentor_booking_reminder",
            context={
                "booking": booking,
                "mentor": booking.mentor,
                "mentee": booking.mentee,
                "start_at": booking.start_at,
                "end_at": booking.end_at,
            },
            url=_url(),
        )
        sent += 1
    return sent


@transaction.atomic
def mentoring_slot_length_set(*, mentor: User, minutes: int) -> None:
    """Set the length of the mentor's bookable slots (30, 45 or 60 minutes).

    Locks the mentor's trainer profile. Refuses another length. Existing bookings keep
    theirs."""
    trainer_profile_for(mentor)
    profile = trainers_lock(mentor)[mentor.pk]
    profile.mentoring_slot_minutes = minutes
    full_clean_or_refuse(profile)
    profile.save(update_fields=["mentoring_slot_minutes", "updated_at"])
