"""The API's view of the calendar: sessions and holidays.

Times are ISO 8601 with their UTC offset. A session's start and end are given in the
viewer's time zone (``viewer_time_zone``: the caller's own ``time_zone``, activated when the
request is authenticated), so a New York learner reads the 18:00 Berlin class as
``"2026-03-30T12:00:00-04:00"``; the batch's zone is ``time_zone``. Input times must carry
an offset (or "Z"), since a bare wall time means nothing without a zone. Input serializers
only check shapes; the rules are the services'.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext, gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api.fields import MAX_YEAR, MIN_YEAR, ApiDateField, IdOf, Text, TimestampField
from core.timezones import zone

from .models import Batch, Course, SessionStatus
from .selectors import session_teachers

MAX_REASON = 300
# A window of sessions to list: wide enough for a year's calendar, bounded so that a
# request cannot ask for every session there is.
MAX_WINDOW = dt.timedelta(days=400)


def instant_out(value: dt.datetime | None, time_zone: str) -> str | None:
    """``value`` in ``time_zone``, ISO 8601 with its offset, to the second."""
    if value is None:
        return None
    return value.astimezone(zone(time_zone)).isoformat(timespec="seconds")


@extend_schema_field(OpenApiTypes.DATETIME)
class InstantField(serializers.Field):
    """An absolute time: ISO 8601 with a UTC offset or "Z" ("2026-03-30T18:00:00+02:00")."""

    default_error_messages = {
        "invalid": gettext_lazy(
            'Use an ISO 8601 date and time such as "2026-03-30T18:00:00+02:00".'
        ),
        "naive": gettext_lazy(
            'Give the time with its UTC offset, e.g. "2026-03-30T18:00:00+02:00" or '
            '"2026-03-30T16:00:00Z".'
        ),
        "range": lazy(
            lambda: (
                gettext("The year must be between %(MIN_YEAR)s and %(MAX_YEAR)s.")
                % {"MIN_YEAR": MIN_YEAR, "MAX_YEAR": MAX_YEAR}
            ),
            str,
        )(),
    }

    def to_internal_value(self, data) -> dt.datetime:
        if not isinstance(data, str) or not 10 <= len(data) <= 40:
            self.fail("invalid")
        try:
            value = dt.datetime.fromisoformat(data)
        except (ValueError, OverflowError):
            self.fail("invalid")
        if value.tzinfo is None or value.utcoffset() is None:
            self.fail("naive")
        if not MIN_YEAR <= value.year <= MAX_YEAR:
            self.fail("range")
        try:
            return value.astimezone(dt.UTC)
        except (ValueError, OverflowError):
            self.fail("range")

    def to_representation(self, value) -> str | None:
        return None if value is None else value.astimezone(dt.UTC).isoformat(timespec="seconds")


class SessionTeacherSerializer(serializers.Serializer):
    _id = serializers.IntegerField(source="trainer.pk", read_only=True)
    full_name = serializers.CharField(source="trainer.full_name", read_only=True)
    email = serializers.EmailField(source="trainer.email", read_only=True)
    role = serializers.ChoiceField(choices=["primary", "assistant", "cover"], read_only=True)


class SessionSerializer(serializers.Serializer):
    """A session as the API gives it; read from the selectors (bookings prefetched)."""

    _id = serializers.IntegerField(source="pk", read_only=True)
    batch = serializers.IntegerField(source="batch_id", read_only=True)
    batch_code = serializers.CharField(source="batch.batch_code", read_only=True)
    time_zone = serializers.CharField(source="batch.time_zone", read_only=True)
    viewer_time_zone = serializers.SerializerMethodField()
    start = serializers.SerializerMethodField()
    end = serializers.SerializerMethodField()
    status = serializers.ChoiceField(choices=SessionStatus.choices, read_only=True)
    reason = serializers.CharField(read_only=True)
    kind = serializers.ChoiceField(choices=["regular", "extra"], read_only=True)
    original_start = serializers.SerializerMethodField()
    original_end = serializers.SerializerMethodField()
    teachers = serializers.SerializerMethodField()
    room = serializers.CharField(source="where", read_only=True)
    meeting_url = serializers.CharField(source="link", read_only=True)
    holiday = serializers.IntegerField(source="holiday_id", read_only=True, allow_null=True)

    def _zone(self, session) -> str:
        # The viewer's zone (core.api.authentication activates it for a token, the
        # middleware for a browser session); the platform's for anyone else.
        return timezone.get_current_timezone_name()

    def get_viewer_time_zone(self, session) -> str:
        return self._zone(session)

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_start(self, session) -> str:
        return instant_out(session.start_at, self._zone(session))

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_end(self, session) -> str:
        return instant_out(session.end_at, self._zone(session))

    @extend_schema_field({"type": "string", "format": "date-time", "nullable": True})
    def get_original_start(self, session) -> str | None:
        return instant_out(session.original_start_at, self._zone(session))

    @extend_schema_field({"type": "string", "format": "date-time", "nullable": True})
    def get_original_end(self, session) -> str | None:
        return instant_out(session.original_end_at, self._zone(session))

    @extend_schema_field(SessionTeacherSerializer(many=True))
    def get_teachers(self, session) -> list[dict]:
        return SessionTeacherSerializer(session_teachers(session), many=True).data


class SessionChangeSerializer(serializers.Serializer):
    """A session after a change, with the warnings that did not stop it."""

    session = SessionSerializer(read_only=True)
    warnings = serializers.ListField(child=serializers.CharField(), read_only=True)


class SessionWindowSerializer(serializers.Serializer):
    """``?from=&to=``: the sessions overlapping ``[from, to)``; either may be left out."""

    # "from" is a Python keyword: the field is put into the class namespace by name.
    locals()["from"] = InstantField(
        required=False, help_text=gettext_lazy("Sessions ending after this time")
    )
    to = InstantField(required=False, help_text=gettext_lazy("Sessions starting before this time"))

    def validate(self, data):
        start, end = data.get("from"), data.get("to")
        if start is not None and end is not None:
            if end <= start:
                raise serializers.ValidationError({"to": gettext("Must be after from.")})
            if end - start > MAX_WINDOW:
                raise serializers.ValidationError(
                    {
                        "to": gettext("A window is at most %(days)s days.")
                        % {"days": MAX_WINDOW.days}
                    }
                )
        return data


class SessionCreateSerializer(serializers.Serializer):
    start = InstantField()
    end = InstantField()
    reason = Text(max_length=MAX_REASON, required=False, allow_blank=True, default="")
    room = Text(max_length=100, required=False, allow_blank=True, default="")
    meeting_url = Text(max_length=500, required=False, allow_blank=True, default="")


class SessionUpdateSerializer(serializers.Serializer):
    """A move (``start`` and ``end``) or a cancellation (``status: "cancelled"`` and
    ``reason``), not both."""

    start = InstantField(required=False)
    end = InstantField(required=False)
    status = serializers.ChoiceField(choices=[SessionStatus.CANCELLED], required=False)
    reason = Text(max_length=MAX_REASON, required=False, allow_blank=True, default="")

    def validate(self, data):
        moving = "start" in data or "end" in data
        if data.get("status") == SessionStatus.CANCELLED:
            if moving:
                raise serializers.ValidationError(
                    gettext(
                        'Either move the session (start, end) or cancel it (status "cancelled"), '
                        "not both."
                    )
                )
            if not data.get("reason", "").strip():
                raise serializers.ValidationError(
                    {"reason": gettext("A cancellation needs a reason.")}
                )
            return data
        if not ("start" in data and "end" in data):
            raise serializers.ValidationError(
                gettext(
                    'Give start and end to move the session, or status "cancelled" and a reason.'
                )
            )
        return data


class HolidaySerializer(serializers.Serializer):
    _id = serializers.IntegerField(source="pk", read_only=True)
    name = serializers.CharField(read_only=True)
    start_date = ApiDateField(read_only=True)
    end_date = ApiDateField(read_only=True)
    scope = serializers.ChoiceField(choices=["platform", "course", "batch"], read_only=True)
    course = serializers.IntegerField(source="course_id", read_only=True, allow_null=True)
    batch = serializers.IntegerField(source="batch_id", read_only=True, allow_null=True)
    createdAt = TimestampField(source="created_at")


class HolidayCreatedSerializer(HolidaySerializer):
    cancelled_sessions = serializers.IntegerField(read_only=True)


class HolidayCreateSerializer(serializers.Serializer):
    name = Text(max_length=200)
    start_date = ApiDateField()
    end_date = ApiDateField()
    course = IdOf("course", queryset=Course.objects.all(), required=False, allow_null=True)
    batch = IdOf("batch", queryset=Batch.objects.all(), required=False, allow_null=True)
