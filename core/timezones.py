"""IANA time zones: the platform's default, validation, and the zone object of a name.

Times are stored as aware UTC datetimes; a batch reads its weekly slots in its own zone and
a person sees times in theirs. Both are IANA names (``Europe/Berlin``), checked here.
"""

from __future__ import annotations

import zoneinfo
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext


def default_time_zone() -> str:
    """The platform's zone (``TIME_ZONE``): the default of every batch and every user."""
    return settings.TIME_ZONE


@lru_cache(maxsize=1)
def available_time_zones() -> frozenset[str]:
    """Every IANA name the system's tz database knows."""
    return frozenset(zoneinfo.available_timezones())


def is_time_zone(name: object) -> bool:
    """Whether ``name`` is a known IANA zone name (``"UTC"`` included)."""
    return isinstance(name, str) and (name == "UTC" or name in available_time_zones())


def validate_time_zone(name: object) -> None:
    """Model and form validator: refuse anything but a known IANA zone name."""
    if not is_time_zone(name):
        raise ValidationError(
            gettext("%(name)s is not a known time zone (use an IANA name such as Europe/Berlin)"),
            code="invalid_time_zone",
            params={"name": name if isinstance(name, str) else repr(name)},
        )


@lru_cache(maxsize=512)
def zone(name: str) -> zoneinfo.ZoneInfo:
    """The ``ZoneInfo`` of a validated name (cached: building one reads the tz database)."""
    return zoneinfo.ZoneInfo(name)
