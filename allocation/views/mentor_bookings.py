"""The 1:1 booking pages, for the mentee and the mentor alike (phone first).

The mentee sees their mentor's free slots by day on their own clock and books one with a
tap; both sides see their upcoming bookings with cancel and move. Thin: check who may act,
parse, call ``allocation.services.mentor_bookings``, redirect; a refusal is shown as a
message and the page re-renders.
"""

from __future__ import annotations

import datetime as dt
from itertools import groupby

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import is_admin
from allocation.mentor_booking_forms import BookingCancelForm, BookingMoveForm, BookingSlotForm
from allocation.models import IndividualAssignment, MentorBooking
from allocation.selectors import mentor_slots as slot_reads
from allocation.services import mentor_bookings as booking_services
from core.errors import DomainError
from core.timezones import default_time_zone, zone

# How far ahead the pages list free slots.
PAGE_DAYS = 14


def _days(user, slots):
    """Slots grouped by day on ``user``'s clock: [(date, [slot, ...]), ...]."""
    tz = zone(user.time_zone or default_time_zone())
    return [
        (day, list(group))
        for day, group in groupby(slots, key=lambda s: s.start_at.astimezone(tz).date())
    ]


def _now() -> dt.datetime:
    """The current time (a function, so that a test can set the clock of these pages)."""
    return timezone.now()


def _free_slots(mentor, *, exclude=None):
    now = _now()
    return slot_reads.mentor_slots(
        mentor,
        start=now,
        end=now + dt.timedelta(days=PAGE_DAYS),
        now=now,
        exclude_booking_id=exclude,
    )


@login_required
@require_GET
def bookings(request):
    """The mentee's mentor and free slots (when they have a mentor) and everyone's upcoming
    bookings, as mentor and as mentee."""
    user = request.user
    assignment = (
        IndividualAssignment.objects.select_related("instructor")
        .filter(student=user, ended_at__isnull=True)
        .first()
    )
    days = _days(user, _free_slots(assignment.instructor)) if assignment else []
    return render(
        request,
        "allocation/mentor_bookings.html",
        {
            "assignment": assignment,
            "days": days,
            "upcoming": list(slot_reads.upcoming_bookings(user, now=_now())),
            "zone_name": user.time_zone or default_time_zone(),
            "page_days": PAGE_DAYS,
        },
    )


@login_required
@require_POST
def book(request):
    """Book the slot the mentee tapped (``start``)."""
    form = BookingSlotForm(request.POST)
    if form.is_valid():
        try:
            booking_services.mentor_booking_create(
                mentee=request.user,
                start_at=form.cleaned_data["start"],
                booked_by=request.user,
                now=_now(),
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Session booked."))
    else:
        messages.error(request, _("Pick a time from the list of free slots."))
    return redirect("mentoring:bookings")


def _booking_for(user, pk: int) -> MentorBooking:
    """The booking, if ``user`` is its mentor, its mentee or an admin; 404 otherwise."""
    rows = MentorBooking.objects.select_related("mentor", "mentee")
    if not is_admin(user):
        rows = rows.filter(Q(mentor=user) | Q(mentee=user))
    return get_object_or_404(rows, pk=pk)


@login_required
@require_POST
def cancel(request, pk: int):
    booking = _booking_for(request.user, pk)
    form = BookingCancelForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The reason is too long."))
        return redirect("mentoring:bookings")
    try:
        booking_services.mentor_booking_cancel(
            booking=booking,
            cancelled_by=request.user,
            reason=form.cleaned_data["reason"],
            now=_now(),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Booking cancelled."))
    return redirect("mentoring:bookings")


@login_required
@require_http_methods(["GET", "POST"])
def move(request, pk: int):
    """The mentor's other free slots; tapping one moves the booking there."""
    booking = _booking_for(request.user, pk)
    if not booking.is_active:
        raise Http404(_("This booking is not active"))
    form = BookingMoveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            booking_services.mentor_booking_move(
                booking=booking,
                start_at=form.cleaned_data["start"],
                moved_by=request.user,
                reason=form.cleaned_data["reason"],
                now=_now(),
            )
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(request, _("Booking moved."))
            return redirect("mentoring:bookings")
    return render(
        request,
        "allocation/mentor_booking_move.html",
        {
            "booking": booking,
            "form": form,
            "days": _days(request.user, _free_slots(booking.mentor, exclude=booking.pk)),
            "zone_name": request.user.time_zone or default_time_zone(),
        },
    )
