"""Calendar feeds: a student's classes and an instructor's teaching as iCalendar (RFC 5545).

Each schedule slot of a batch becomes one weekly recurring event: it starts on the first day
of the slot's weekday on or after the batch's start date and repeats weekly until the end of
the batch's last day. Times are wall-clock times in ``settings.TIME_ZONE``: the events carry
that zone's TZID and the calendar a VTIMEZONE for the dates it spans (made by icalendar from
zoneinfo), so a 10:00 class stays at 10:00 across daylight-saving changes. The RRULE's UNTIL is
in UTC, as RFC 5545 requires when DTSTART has a TZID.

Event UIDs are stable (``slot-<pk>-<feed>@medh``, ``cover-<pk>-slot-<pk>-instructor@medh``), so
a calendar app updates an event in place when a batch changes instead of duplicating it.

These functions only build calendars from data the selectors loaded; they run no query.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event

from accounts.models import User
from allocation.models import Batch, ScheduleSlot, SubstituteCover

PRODID = "-//Medh//Medh Allocation//EN"
UID_DOMAIN = "medh"


def feed_zone() -> ZoneInfo:
    """The zone the schedule's wall-clock times are in."""
    return ZoneInfo(settings.TIME_ZONE)


def first_on_or_after(day: dt.date, weekday: int) -> dt.date:
    """The first date on or after ``day`` that falls on ``weekday`` (Monday = 0)."""
    return day + dt.timedelta(days=(weekday - day.weekday()) % 7)


def until_of(last_day: dt.date, zone: ZoneInfo) -> dt.datetime:
    """The end of ``last_day`` (23:59:59 local time) in UTC: the RRULE's UNTIL."""
    return dt.datetime.combine(last_day, dt.time(23, 59, 59), tzinfo=zone).astimezone(dt.UTC)


def _staff_line(batch: Batch) -> str:
    """``Instructors: Ada (primary, ada@x.org); Bo (assistant, bo@x.org)``."""
    people = "; ".join(
        f"{row.trainer.display_name} ({row.get_role_display().lower()}, {row.trainer.email})"
        for row in batch.teaching_staff
    )
    return f"Instructors: {people or '—'}"


def cover_text(cover: SubstituteCover) -> str:
    return (
        f"{cover.substitute.display_name} substitutes for {cover.absent_trainer.display_name} "
        f"from {cover.start_date:%Y-%m-%d} to {cover.end_date:%Y-%m-%d}"
    )


def _batch_lines(batch: Batch) -> list[str]:
    return [
        f"Batch: {batch.batch_name} ({batch.batch_code})",
        f"Dates: {batch.start_date:%Y-%m-%d} – {batch.end_date:%Y-%m-%d}",
        _staff_line(batch),
        *(f"Substitute: {cover_text(cover)}" for cover in batch.cover_list),
    ]


def _weekly_days(first: dt.date, last: dt.date) -> list[dt.date]:
    """``first`` and every seventh day after it, up to ``last`` inclusive."""
    weeks = (last - first).days // 7 + 1 if first <= last else 0
    return [first + dt.timedelta(weeks=n) for n in range(weeks)]


class _Feed:
    """Collects a feed's events, each stamped now, in the configured zone, and the dates
    they span (for the VTIMEZONE)."""

    def __init__(self, name: str):
        self.name = name
        self.zone = feed_zone()
        self.stamp = timezone.now()
        self.events: list[Event] = []
        self.days: list[dt.date] = []

    def add_weekly(
        self,
        *,
        uid: str,
        slot: ScheduleSlot,
        first_day: dt.date,
        last_day: dt.date,
        summary: str,
        description: str,
        skip: Iterable[tuple[dt.date, dt.date]] = (),
    ) -> None:
        """Add the slot's sessions from ``first_day`` to ``last_day`` as one weekly recurring
        event, without those in the ``skip`` date ranges (EXDATE); nothing when no session
        falls in the range."""
        first = first_on_or_after(first_day, slot.day)
        if first > last_day:
            return
        event = Event()
        event.add("uid", f"{uid}@{UID_DOMAIN}")
        event.add("dtstamp", self.stamp)
        event.add("dtstart", dt.datetime.combine(first, slot.start_time, tzinfo=self.zone))
        event.add("dtend", dt.datetime.combine(first, slot.end_time, tzinfo=self.zone))
        event.add("rrule", {"freq": "weekly", "until": until_of(last_day, self.zone)})
        event.add("summary", summary)
        event.add("description", description)
        skipped = sorted(
            {
                dt.datetime.combine(day, slot.start_time, tzinfo=self.zone)
                for skip_first, skip_last in skip
                for day in _weekly_days(
                    max(first, first_on_or_after(skip_first, slot.day)), min(last_day, skip_last)
                )
            }
        )
        if skipped:
            event.add("exdate", skipped)
        self.events.append(event)
        self.days += [first, last_day]

    def calendar(self) -> Calendar:
        calendar = Calendar()
        calendar.add("prodid", PRODID)
        calendar.add("version", "2.0")
        calendar.add("calscale", "GREGORIAN")
        calendar.add("method", "PUBLISH")
        calendar.add("x-wr-calname", self.name)
        calendar.add("x-wr-timezone", self.zone.key)
        for event in self.events:
            calendar.add_component(event)
        if self.days:
            # A VTIMEZONE for exactly the feed's dates, rather than icalendar's default of
            # 1970-2038, which would list every daylight-saving change of 68 years.
            calendar.add_missing_timezones(
                first_date=min(self.days), last_date=max(self.days) + dt.timedelta(days=1)
            )
        return calendar


def student_calendar(student: User, batches: Iterable[Batch]) -> Calendar:
    """The student's classes: one weekly event per slot of each batch, over the batch's dates.

    ``batches`` come from ``selectors.student_feed_batches`` (slots, staff and covers loaded).
    Substitute covers are noted in the event's description.
    """
    feed = _Feed(f"Medh · {student.display_name} · classes")
    for batch in batches:
        description = "\n".join(_batch_lines(batch))
        for slot in batch.schedule.all():
            feed.add_weekly(
                uid=f"slot-{slot.pk}-student",
                slot=slot,
                first_day=batch.start_date,
                last_day=batch.end_date,
                summary=f"{batch.course.title} · {batch.batch_code}",
                description=description,
            )
    return feed.calendar()


def instructor_calendar(
    instructor: User, batches: Iterable[Batch], covers: Iterable[SubstituteCover]
) -> Calendar:
    """The instructor's teaching: their batches (primary or assistant) and their cover duties.

    ``batches`` come from ``selectors.instructor_feed_batches``, ``covers`` from
    ``selectors.instructor_cover_duties``. A batch's slot is one weekly event over the batch's
    dates, minus the sessions a substitute teaches for this instructor (EXDATE). A cover duty
    is one weekly event per slot of the covered batch, limited to the cover's dates.
    """
    feed = _Feed(f"Medh · {instructor.display_name} · teaching")
    for batch in batches:
        lines = _batch_lines(batch)
        for row in batch.teaching_staff:
            if row.trainer_id == instructor.pk:
                lines.insert(1, f"Your role: {row.get_role_display()}")
        away = [c for c in batch.cover_list if c.absent_trainer_id == instructor.pk]
        for slot in batch.schedule.all():
            feed.add_weekly(
                uid=f"slot-{slot.pk}-instructor",
                slot=slot,
                first_day=batch.start_date,
                last_day=batch.end_date,
                summary=f"{batch.course.title} · {batch.batch_code}",
                description="\n".join(lines),
                skip=[(cover.start_date, cover.end_date) for cover in away],
            )
    for cover in covers:
        batch = cover.batch
        description = (
            f"Covering for {cover.absent_trainer.display_name} "
            f"from {cover.start_date:%Y-%m-%d} to {cover.end_date:%Y-%m-%d}\n"
            f"Batch: {batch.batch_name} ({batch.batch_code})"
        )
        for slot in batch.schedule.all():
            feed.add_weekly(
                uid=f"cover-{cover.pk}-slot-{slot.pk}-instructor",
                slot=slot,
                first_day=max(cover.start_date, batch.start_date),
                last_day=min(cover.end_date, batch.end_date),
                summary=f"Substitute: {batch.course.title} · {batch.batch_code}",
                description=description,
            )
    return feed.calendar()
