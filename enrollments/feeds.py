"""Calendar feeds: a student's classes and an instructor's teaching as iCalendar (RFC 5545).

The dated sessions are the truth (``allocation.models.ClassSession``), so each session is one
event at its real time: DTSTART and DTEND carry the batch's IANA zone as TZID (an 18:00
Europe/Berlin class is 18:00 Berlin time on both sides of a daylight-saving change, and a
calendar app in New York shows it at 12:00 or 13:00), with a VTIMEZONE for each zone the
feed uses. A moved session is at its new time and says where it moved from; a cancelled
session stays in the student's feed with ``STATUS:CANCELLED`` (so a calendar that already
shows it strikes it through rather than keeping a stale event) and is left out of the
instructor's (they no longer teach it). Sessions a substitute teaches for the instructor are
left out of the instructor's feed; the substitute's feed has them.

Event UIDs are stable (``session-<pk>-<feed>@medh``), so a calendar app updates an event in
place when a session moves or is cancelled; SEQUENCE rises when it does.

Both people's feeds also carry their 1:1 mentoring bookings (``allocation.MentorBooking``),
one event each at its real time in the feed owner's zone (TZID), a cancelled one with
``STATUS:CANCELLED``, UID ``booking-<pk>-<mentor|mentee>@medh``; SEQUENCE rises when it is
moved or cancelled.

These functions only build calendars from sessions the selectors loaded; they run no query.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from accounts.models import User
from allocation.models import MentorBookingStatus, SessionStatus
from allocation.selectors.calendar_pages import SessionRow
from core.timezones import is_time_zone, zone

PRODID = "-//Medh//Medh Allocation//EN"
UID_DOMAIN = "medh"
# How far back a feed reaches: the recent past stays visible, older sessions drop out.
FEED_HISTORY = dt.timedelta(days=60)


def feed_since() -> dt.datetime:
    """The start of every feed's window."""
    return timezone.now() - FEED_HISTORY


def _when(start: dt.datetime, end: dt.datetime, time_zone: str) -> str:
    tz = zone(time_zone)
    local_start, local_end = start.astimezone(tz), end.astimezone(tz)
    return f"{local_start:%a %Y-%m-%d %H:%M}–{local_end:%H:%M} ({time_zone})"


def _people(row: SessionRow) -> list[str]:
    teachers = "; ".join(
        f"{teacher.trainer.display_name} ({teacher.role}, {teacher.trainer.email})"
        for teacher in row.teachers
    )
    lines = [gettext("Instructors: %(teachers)s") % {"teachers": teachers or "—"}]
    lines += [
        gettext("Substitute: %(substitute)s for %(absent_trainer)s")
        % {
            "substitute": cover.substitute.display_name,
            "absent_trainer": cover.absent_trainer.display_name,
        }
        for cover in row.covers
    ]
    return lines


class _Feed:
    """Collects a feed's events, each stamped now."""

    def __init__(self, name: str, owner: User):
        self.name = name
        self.owner_zone = owner.time_zone if is_time_zone(owner.time_zone) else "UTC"
        self.stamp = timezone.now()
        self.events: list[Event] = []
        self.span: list[dt.datetime] = []

    def add_session(self, row: SessionRow, *, audience: str, summary: str, lines: list[str]):
        session, batch = row.session, row.session.batch
        batch_zone = batch.time_zone if is_time_zone(batch.time_zone) else "UTC"
        tz = zone(batch_zone)
        cancelled = session.status == SessionStatus.CANCELLED
        moved = session.status == SessionStatus.MOVED
        event = Event()
        event.add("uid", f"session-{session.pk}-{audience}@{UID_DOMAIN}")
        event.add("dtstamp", self.stamp)
        event.add("last-modified", session.updated_at)
        event.add("sequence", 1 if (cancelled or moved) else 0)
        event.add("dtstart", session.start_at.astimezone(tz))
        event.add("dtend", session.end_at.astimezone(tz))
        event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
        event.add(
            "summary",
            gettext("Cancelled: %(summary)s") % {"summary": summary} if cancelled else summary,
        )
        details = [
            gettext("Batch: %(batch_name)s (%(batch_code)s)")
            % {"batch_name": batch.batch_name, "batch_code": batch.batch_code},
            *lines,
            *_people(row),
        ]
        if moved and session.original_start_at:
            details.append(
                gettext("Moved from %(when)s")
                % {"when": _when(session.original_start_at, session.original_end_at, batch_zone)}
            )
        if session.reason:
            details.append(
                (gettext("Cancelled: %(reason)s") if cancelled else gettext("Note: %(reason)s"))
                % {"reason": session.reason}
            )
        event.add("description", "\n".join(details))
        if session.where:
            event.add("location", session.where)
        if session.link:
            event.add("url", session.link)
        self.events.append(event)
        self.span += [session.start_at, session.end_at]

    def add_booking(self, booking, *, audience: str) -> None:
        """A 1:1 booking, as ``audience`` ("mentor" or "mentee") sees it, in the owner's zone."""
        tz = zone(self.owner_zone)
        cancelled = booking.status == MentorBookingStatus.CANCELLED
        other = booking.mentee if audience == "mentor" else booking.mentor
        summary = _("1:1 mentoring with %(name)s") % {"name": other.display_name}
        event = Event()
        event.add("uid", f"booking-{booking.pk}-{audience}@{UID_DOMAIN}")
        event.add("dtstamp", self.stamp)
        event.add("last-modified", booking.updated_at)
        # A booking changes by a move or a cancel, each a later save than its creation.
        changed = booking.updated_at - booking.created_at > dt.timedelta(seconds=1)
        event.add("sequence", 1 if (cancelled or changed) else 0)
        event.add("dtstart", booking.start_at.astimezone(tz))
        event.add("dtend", booking.end_at.astimezone(tz))
        event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
        event.add("summary", _("Cancelled: %(what)s") % {"what": summary} if cancelled else summary)
        lines = [
            _("Mentor: %(name)s (%(email)s)")
            % {"name": booking.mentor.display_name, "email": booking.mentor.email},
            _("Mentee: %(name)s (%(email)s)")
            % {"name": booking.mentee.display_name, "email": booking.mentee.email},
        ]
        if booking.reason:
            lines.append(_("Note: %(reason)s") % {"reason": booking.reason})
        event.add("description", "\n".join(lines))
        self.events.append(event)
        self.span += [booking.start_at, booking.end_at]

    def add_bookings(self, owner: User, bookings: Iterable) -> None:
        for booking in bookings:
            self.add_booking(
                booking, audience="mentor" if booking.mentor_id == owner.pk else "mentee"
            )

    def calendar(self) -> Calendar:
        calendar = Calendar()
        calendar.add("prodid", PRODID)
        calendar.add("version", "2.0")
        calendar.add("calscale", "GREGORIAN")
        calendar.add("method", "PUBLISH")
        calendar.add("x-wr-calname", self.name)
        # The reader's own zone: calendar apps that honour it show the events in it.
        calendar.add("x-wr-timezone", self.owner_zone)
        for event in self.events:
            calendar.add_component(event)
        if self.span:
            # A VTIMEZONE per zone used, for exactly the feed's dates, rather than icalendar's
            # default of 1970-2038 (every daylight-saving change of 68 years).
            calendar.add_missing_timezones(
                first_date=min(self.span).date() - dt.timedelta(days=1),
                last_date=max(self.span).date() + dt.timedelta(days=1),
            )
        return calendar


def _summary(row: SessionRow) -> str:
    batch = row.session.batch
    return f"{batch.course.title} · {batch.batch_code}"


def student_calendar(
    student: User, rows: Iterable[SessionRow], bookings: Iterable = ()
) -> Calendar:
    """The student's sessions (``selectors.calendar_pages.student_feed_sessions``), cancelled
    ones marked ``STATUS:CANCELLED``, and their 1:1 bookings."""
    feed = _Feed(
        gettext("Medh · %(student)s · classes") % {"student": student.display_name}, student
    )
    for row in rows:
        feed.add_session(row, audience="student", summary=_summary(row), lines=[])
    feed.add_bookings(student, bookings)
    return feed.calendar()


ROLE_LINES = {
    "primary": gettext_lazy("Your role: Primary"),
    "assistant": gettext_lazy("Your role: Assistant"),
    "cover": gettext_lazy("Your role: Substitute"),
}


def instructor_calendar(
    instructor: User, rows: Iterable[SessionRow], bookings: Iterable = ()
) -> Calendar:
    """The sessions the instructor teaches (``selectors.calendar_pages.trainer_feed_sessions``:
    as primary, assistant or cover); a cover duty's summary starts with "Substitute:"; and
    their 1:1 bookings, as mentor (or mentee)."""
    feed = _Feed(
        gettext("Medh · %(instructor)s · teaching") % {"instructor": instructor.display_name},
        instructor,
    )
    for row in rows:
        summary = _summary(row)
        if row.role == "cover":
            absent = [
                c.absent_trainer.display_name
                for c in row.covers
                if c.substitute_id == instructor.pk
            ]
            summary = gettext("Substitute: %(summary)s") % {"summary": summary}
            lines = [
                str(ROLE_LINES["cover"]),
                gettext("Covering for %(absent)s") % {"absent": ", ".join(absent) or "—"},
            ]
        else:
            lines = [str(ROLE_LINES[row.role])] if row.role in ROLE_LINES else []
        feed.add_session(row, audience="instructor", summary=summary, lines=lines)
    feed.add_bookings(instructor, bookings)
    return feed.calendar()
