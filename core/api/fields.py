"""Field types that read and write the original Medh formats.

- Ids: written as integers; read from an integer or a string of digits (the original's
  clients send ids as strings). A number too large for the database is "not found", never
  an overflow.
- Dates (``start_date``...): read "2025-01-15" or an ISO date-time such as
  "2025-01-15T00:00:00.000Z" (its UTC date); written as the original did, midnight UTC:
  "2025-01-15T00:00:00.000Z".
- Timestamps (``createdAt``...): ISO 8601 in UTC with milliseconds and "Z".
- Times of day: "HH:MM" (24-hour), as the original's schedule validated them.
"""

from __future__ import annotations

import datetime as dt
import re

from django.utils.functional import lazy
from django.utils.translation import gettext, gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.ids import MAX_ID, parse_id

# Dates outside these years are refused as input: nothing the platform schedules is there,
# and date arithmetic at the edges of the calendar (access expiry = end + 30 days) would fail.
MIN_YEAR, MAX_YEAR = 1900, 2999
TIME_PATTERN = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_ID})
class IdOf(serializers.PrimaryKeyRelatedField):
    """A reference by id to a row of ``queryset``; "No <noun> with id N" when there is none.

    With ``read=False`` the row is not read here: the value is the id, for a service that
    reads the row itself (under its lock, in the query it needs anyway), and ``read(pk)``
    gives the row or the same "No <noun> with id N" error when the view needs it.
    """

    default_error_messages = {
        "required": gettext_lazy("This field is required."),
        "does_not_exist": gettext_lazy("No {noun} with id {pk_value}."),
        "incorrect_type": gettext_lazy("Must be a numeric id."),
    }

    def __init__(self, noun: str, *, read: bool = True, **kwargs):
        self.noun = noun
        self.reads = read
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        pk = parse_id(data)
        if pk is None:
            self.fail("incorrect_type")
        return self.read(pk) if self.reads else pk

    def read(self, pk: int):
        try:
            return self.get_queryset().get(pk=pk)
        except self.get_queryset().model.DoesNotExist:
            self.fail("does_not_exist", noun=self.noun, pk_value=pk)


class Text(serializers.CharField):
    """A string and nothing else: DRF's CharField would take 12 or true and store "12"."""

    default_error_messages = {"invalid": gettext_lazy("Must be a string.")}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


def date_out(value: dt.date | None) -> str | None:
    return None if value is None else f"{value:%Y-%m-%d}T00:00:00.000Z"


def timestamp_out(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@extend_schema_field(OpenApiTypes.DATETIME)
class ApiDateField(serializers.Field):
    """A calendar date in the original's formats (see the module docstring)."""

    default_error_messages = {
        "invalid": (
            gettext_lazy(
                'Date has wrong format. Use "YYYY-MM-DD" or an ISO date-time such as '
                '"2025-01-15T00:00:00.000Z".'
            )
        ),
        "range": lazy(
            lambda: (
                gettext("Date must be between %(MIN_YEAR)s and %(MAX_YEAR)s.")
                % {"MIN_YEAR": MIN_YEAR, "MAX_YEAR": MAX_YEAR}
            ),
            str,
        )(),
    }

    def to_internal_value(self, data) -> dt.date:
        if not isinstance(data, str) or not 8 <= len(data) <= 40:
            self.fail("invalid")
        try:
            if "T" in data or " " in data:
                moment = dt.datetime.fromisoformat(data)
                if moment.tzinfo is not None:
                    moment = moment.astimezone(dt.UTC)
                value = moment.date()
            else:
                value = dt.date.fromisoformat(data)
        except (ValueError, OverflowError):
            self.fail("invalid")
        if not MIN_YEAR <= value.year <= MAX_YEAR:
            self.fail("range")
        return value

    def to_representation(self, value) -> str | None:
        return date_out(value)


@extend_schema_field(OpenApiTypes.DATETIME)
class TimestampField(serializers.ReadOnlyField):
    def to_representation(self, value) -> str | None:
        return timestamp_out(value)


@extend_schema_field({"type": "string", "pattern": TIME_PATTERN.pattern, "example": "08:00"})
class TimeOfDayField(serializers.Field):
    default_error_messages = {
        "invalid": gettext_lazy('Time must be "HH:MM" (24-hour), e.g. "08:00".')
    }

    def to_internal_value(self, data) -> dt.time:
        if not isinstance(data, str) or not TIME_PATTERN.fullmatch(data):
            self.fail("invalid")
        hours, minutes = data.split(":")
        return dt.time(int(hours), int(minutes))

    def to_representation(self, value: dt.time) -> str:
        return f"{value:%H:%M}"
