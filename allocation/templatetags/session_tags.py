"""Session times as a person reads them: in their own zone, naming it.

``{{ session|session_when:recipient }}`` gives "Monday 2026-03-30 18:00–19:30
(Europe/Berlin)" for a recipient in Berlin and "Monday 2026-03-30 21:30–23:00
(Asia/Kolkata)" for one in Kolkata. The notification emails use it with ``recipient``.
"""

from django import template

from allocation.eligibility import when_text
from core.timezones import default_time_zone

register = template.Library()


def _zone_of(who) -> str:
    if isinstance(who, str) and who:
        return who
    return getattr(who, "time_zone", "") or default_time_zone()


@register.filter
def session_when(session, who=None) -> str:
    """The session's time in ``who``'s zone (a user, or a zone name; default the platform's)."""
    if session is None:
        return ""
    return when_text(session.start_at, session.end_at, _zone_of(who))


@register.simple_tag
def interval_when(start, end, who=None) -> str:
    """``[start, end)`` in ``who``'s zone: for a time that is no session (a moved session's
    old time)."""
    if start is None or end is None:
        return ""
    return when_text(start, end, _zone_of(who))
