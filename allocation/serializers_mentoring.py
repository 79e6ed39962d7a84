"""The API's view of 1:1 mentoring bookings and a mentor's free slots.

Times are ISO 8601 with their UTC offset, given in the viewer's zone (``viewer_time_zone``),
as for sessions (``serializers_calendar``); input times must carry an offset.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api.fields import Text

from .models import MentorBookingStatus
from .serializers import PersonSerializer
from .serializers_calendar import MAX_REASON, InstantField, instant_out

# A window of slots, when ``to`` is left out.
DEFAULT_SLOT_WINDOW = dt.timedelta(days=14)


def _viewer_zone() -> str:
    return timezone.get_current_timezone_name()


class SlotWindowSerializer(serializers.Serializer):
    """``?from=&to=``: the free slots starting in ``[from, to)``; ``from`` defaults to now,
    ``to`` to two weeks after ``from``; at most ``MENTORING_MAX_RANGE_DAYS`` days."""

    locals()["from"] = InstantField(required=False, help_text="Slots starting at or after this")
    to = InstantField(required=False, help_text="Slots starting before this")

    def validate(self, data):
        start = data.get("from") or timezone.now()
        end = data.get("to") or start + DEFAULT_SLOT_WINDOW
        if end <= start:
            raise serializers.ValidationError({"to": _("Must be after from.")})
        days = settings.MENTORING_MAX_RANGE_DAYS
        if end - start > dt.timedelta(days=days):
            raise serializers.ValidationError(
                {"to": _("A window of slots is at most %(days)s days.") % {"days": days}}
            )
        return {"start": start, "end": end}


class SlotSerializer(serializers.Serializer):
    start = serializers.SerializerMethodField()
    end = serializers.SerializerMethodField()
    minutes = serializers.IntegerField(read_only=True)

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_start(self, slot) -> str:
        return instant_out(slot.start_at, _viewer_zone())

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_end(self, slot) -> str:
        return instant_out(slot.end_at, _viewer_zone())


class MentorSlotsSerializer(serializers.Serializer):
    mentor = PersonSerializer(read_only=True)
    mentor_time_zone = serializers.CharField(source="mentor.time_zone", read_only=True)
    viewer_time_zone = serializers.SerializerMethodField()
    slot_minutes = serializers.IntegerField(read_only=True)
    slots = SlotSerializer(many=True, read_only=True)

    def get_viewer_time_zone(self, data) -> str:
        return _viewer_zone()


class BookingSerializer(serializers.Serializer):
    _id = serializers.IntegerField(source="pk", read_only=True)
    mentor = PersonSerializer(read_only=True)
    mentee = PersonSerializer(read_only=True)
    assignment = serializers.IntegerField(source="assignment_id", read_only=True)
    status = serializers.ChoiceField(choices=MentorBookingStatus.choices, read_only=True)
    viewer_time_zone = serializers.SerializerMethodField()
    start = serializers.SerializerMethodField()
    end = serializers.SerializerMethodField()
    reason = serializers.CharField(read_only=True)
    session = serializers.IntegerField(source="session_id", read_only=True, allow_null=True)

    def get_viewer_time_zone(self, booking) -> str:
        return _viewer_zone()

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_start(self, booking) -> str:
        return instant_out(booking.start_at, _viewer_zone())

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_end(self, booking) -> str:
        return instant_out(booking.end_at, _viewer_zone())


class BookingCreateSerializer(serializers.Serializer):
    start = InstantField(help_text="The start of one of the mentor's free slots")
    student_id = serializers.IntegerField(
        required=False, min_value=1, help_text="The mentee; defaults to the caller"
    )
    instructor_id = serializers.IntegerField(
        required=False, min_value=1, help_text="The mentor, checked against the mentee's"
    )


class BookingMoveSerializer(serializers.Serializer):
    start = InstantField(help_text="The start of another of the mentor's free slots")
    reason = Text(max_length=MAX_REASON, required=False, allow_blank=True, default="")


class BookingCancelSerializer(serializers.Serializer):
    reason = Text(max_length=MAX_REASON, required=False, allow_blank=True, default="")
