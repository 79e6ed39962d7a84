"""The JSON API of 1:1 mentoring: a mentor's free slots, and booking, moving and cancelling.

Thin like ``allocation.api``: check who calls (``require``: 403), parse, call the service the
pages call (``allocation.services.mentor_bookings``), answer in the envelope; a service's
refusal is a 400 with its message.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework.views import APIView

from accounts.access import is_admin
from accounts.models import User
from accounts.permissions import IsSignedIn, require
from core.api import responses
from core.api.schema import envelope

from .models import IndividualAssignment, MentorBooking
from .selectors.mentor_slots import mentor_slot_minutes, mentor_slots
from .serializers_mentoring import (
    BookingCancelSerializer,
    BookingCreateSerializer,
    BookingMoveSerializer,
    BookingSerializer,
    MentorSlotsSerializer,
    SlotWindowSerializer,
)
from .services import mentor_bookings as booking_services


def _mentors_mentee(mentor: User, student: User) -> bool:
    return IndividualAssignment.objects.filter(
        instructor=mentor, student=student, ended_at__isnull=True
    ).exists()


class MentorSlotsView(APIView):
    """``GET /api/mentors/:instructorId/slots?from=&to=``: the mentor's free 1:1 slots (Admin,
    the mentor, their mentees)."""

    permission_classes = [IsSignedIn]

    @extend_schema(
        tags=["mentoring"],
        operation_id="mentor_slots",
        parameters=[SlotWindowSerializer],
        responses={200: envelope(MentorSlotsSerializer, "MentorSlots")},
    )
    def get(self, request, instructor_id: int):
        mentor = get_object_or_404(User.objects.instructors(), pk=instructor_id)
        user = request.user
        require(
            is_admin(user) or user.pk == mentor.pk or _mentors_mentee(mentor, user),
            _("Only admins, the mentor and their mentees can see these slots"),
        )
        params = SlotWindowSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        window = params.validated_data
        data = {
            "mentor": mentor,
            "slot_minutes": mentor_slot_minutes(mentor),
            "slots": mentor_slots(mentor, start=window["start"], end=window["end"]),
        }
        return responses.ok(MentorSlotsSerializer(data).data, _("Slots fetched successfully"))


class BookingsView(APIView):
    """``POST /api/mentoring/bookings``: book a free slot of the mentee's mentor (the mentee
    themself, their mentor, or an Admin for them)."""

    permission_classes = [IsSignedIn]

    @extend_schema(
        tags=["mentoring"],
        request=BookingCreateSerializer,
        responses={201: envelope(BookingSerializer, "Booking")},
    )
    def post(self, request):
        body = BookingCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        user = request.user
        mentee = get_object_or_404(User, pk=data.get("student_id", user.pk))
        mentor = None
        if "instructor_id" in data:
            mentor = get_object_or_404(User.objects.instructors(), pk=data["instructor_id"])
        require(
            is_admin(user) or user.pk == mentee.pk or _mentors_mentee(user, mentee),
            _("Only the mentee, their mentor or an admin can book this session"),
        )
        booking = booking_services.mentor_booking_create(
            mentee=mentee, start_at=data["start"], booked_by=user, mentor=mentor
        )
        return responses.created(BookingSerializer(booking).data, _("Session booked successfully"))


def _booking(request, booking_id: int) -> MentorBooking:
    booking = get_object_or_404(
        MentorBooking.objects.select_related("mentor", "mentee"), pk=booking_id
    )
    user = request.user
    require(
        is_admin(user) or user.pk in (booking.mentor_id, booking.mentee_id),
        _("Only the mentor, the mentee or an admin can change this booking"),
    )
    return booking


class BookingDetailView(APIView):
    """``PUT /api/mentoring/bookings/:bookingId``: move it to another free slot (``start``);
    ``DELETE``: cancel it (the mentor, the mentee, an Admin; within the notice window unless
    an Admin)."""

    permission_classes = [IsSignedIn]

    @extend_schema(
        tags=["mentoring"],
        request=BookingMoveSerializer,
        responses={200: envelope(BookingSerializer, "Booking")},
    )
    def put(self, request, booking_id: int):
        booking = _booking(request, booking_id)
        body = BookingMoveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        moved = booking_services.mentor_booking_move(
            booking=booking,
            start_at=body.validated_data["start"],
            moved_by=request.user,
            reason=body.validated_data["reason"],
        )
        return responses.ok(BookingSerializer(moved).data, _("Booking moved successfully"))

    @extend_schema(
        tags=["mentoring"],
        request=BookingCancelSerializer,
        responses={200: envelope(BookingSerializer, "Booking")},
    )
    def delete(self, request, booking_id: int):
        booking = _booking(request, booking_id)
        body = BookingCancelSerializer(data=request.data or {})
        body.is_valid(raise_exception=True)
        cancelled = booking_services.mentor_booking_cancel(
            booking=booking, cancelled_by=request.user, reason=body.validated_data["reason"]
        )
        return responses.ok(BookingSerializer(cancelled).data, _("Booking cancelled successfully"))
