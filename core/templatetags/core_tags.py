"""Formatting filters and tags any page may use: ``{% load core_tags %}``. No queries, no
domain knowledge (the badges of a batch or roster status stay with their app's library)."""

import datetime as dt

from django import template
from django.utils import timezone
from django.utils.formats import date_format

from core.timezones import is_time_zone, zone

register = template.Library()


@register.filter
def percent(value) -> int:
    """A ratio such as 0.523 as a whole percentage (52), clamped to 0–100 for progress bars."""
    if value is None:
        return 0
    return max(0, min(100, round(float(value) * 100)))


@register.simple_tag
def ratio_percent(part, whole) -> int:
    """``part / whole`` as a whole percentage, clamped to 0–100; 0 when ``whole`` is 0."""
    if not whole:
        return 0
    return max(0, min(100, round(100 * (part or 0) / whole)))


@register.filter
def display_name(user, empty: str = "—") -> str:
    """A user's full name, else their email; ``empty`` when there is no user."""
    if not user:
        return empty
    return user.display_name


@register.filter
def hours(value) -> str:
    """Weekly hours without trailing zeros: 16, 11.5, 4.25."""
    return f"{float(value or 0):g}"


@register.filter
def active_filters(form) -> int:
    """How many of a filter form's visible fields the request filled in (0 for an unbound
    form): the count on the folded filter form's button."""
    if not form.is_bound:
        return 0
    data = form.data
    values = data.getlist if hasattr(data, "getlist") else lambda name: [data.get(name)]
    return sum(
        1
        for field in form.visible_fields()
        if any(value not in ("", None) for value in values(field.html_name))
    )


# --- times in the viewer's zone ------------------------------------------------------------
# The zone is the one the request activated (accounts.middleware.UserTimeZoneMiddleware: the
# signed-in user's ``time_zone``, else the platform's). Every time a page shows goes through
# these, so it is in the viewer's zone and names it.


def zone_label(value: dt.datetime) -> str:
    """The zone's abbreviation for an aware local datetime ("CET", "EST"), followed by the
    IANA name when the abbreviation is only an offset ("+04 (Asia/Dubai)") or ambiguous
    across regions ("IST", "CST")."""
    abbreviation = value.tzname() or ""
    key = getattr(value.tzinfo, "key", "") or str(value.tzinfo)
    if not abbreviation or abbreviation[0] in "+-" or abbreviation in AMBIGUOUS_ABBREVIATIONS:
        return f"{abbreviation} ({key})".strip()
    return abbreviation


# Abbreviations that name different zones in different places: the IANA name follows them.
AMBIGUOUS_ABBREVIATIONS = frozenset(
    {"IST", "CST", "CDT", "BST", "AST", "EST", "EDT", "MST", "MDT", "PST", "PDT"}
)


def _local(value, tz: str | None = None):
    """``value`` in ``tz`` (an IANA name), else in the viewer's zone; None for a non-datetime
    or an unknown zone name."""
    if not isinstance(value, dt.datetime):
        return None
    if timezone.is_naive(value):
        value = timezone.make_aware(value, dt.UTC)
    if tz:
        if not is_time_zone(tz):
            return None
        return value.astimezone(zone(tz))
    return timezone.localtime(value)


@register.filter
def zoned(value, fmt: str = "D Y-m-d H:i") -> str:
    """An aware datetime in the viewer's zone, formatted with Django's ``date`` format
    ``fmt`` and the zone named: ``{{ session.start_at|zoned }}`` → "Mon 2026-03-02 12:00 EST
    (America/New_York)"; ``|zoned:"H:i"`` → "18:00 CET". Empty for anything else."""
    local = _local(value)
    if local is None:
        return ""
    return f"{date_format(local, fmt)} {zone_label(local)}"


@register.simple_tag
def zoned_range(start, end, fmt: str = "D Y-m-d", tz: str | None = None) -> str:
    """``[start, end)`` in the viewer's zone (or ``tz``): "Mon 2026-03-02 12:00–13:30 EST
    (America/New_York)"; the end's date is shown when it falls on another day. ``fmt``
    formats the start's date ("" leaves the date out)."""
    local_start, local_end = _local(start, tz), _local(end, tz)
    if local_start is None or local_end is None:
        return ""
    day = f"{date_format(local_start, fmt)} " if fmt else ""
    end_text = (
        date_format(local_end, "H:i")
        if local_end.date() == local_start.date()
        else date_format(local_end, "Y-m-d H:i")
    )
    return f"{day}{date_format(local_start, 'H:i')}–{end_text} {zone_label(local_end)}"


@register.simple_tag
def current_zone() -> str:
    """The IANA name of the zone the page shows times in."""
    return timezone.get_current_timezone_name()


@register.simple_tag
def now_zoned(fmt: str = "D Y-m-d H:i") -> str:
    """The current time in the viewer's zone, named (for "it is now ..." lines)."""
    return zoned(timezone.now(), fmt)
