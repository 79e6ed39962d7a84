"""Reads of the calendar pages: a batch's month and week, an instructor's week, a student's
next sessions. Built on ``allocation.selectors.sessions`` (which owns what a session list
is); this module only cuts the lists into days in the viewer's zone and adds each session's
cover. Every function runs a fixed number of queries, whatever the number of sessions.

Days are the viewer's days: a session belongs to the date its start falls on in ``tz`` (the
zone the request activated), so a New York learner's week holds the Berlin Monday 18:00
class on Monday at 12:00, and a late Kolkata class may fall on the previous day.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field

from django.db.models import Prefetch, QuerySet

from accounts.models import User
from allocation.models import (
    ACTIVE_BOOKING_STATUSES,
    Batch,
    ClassSession,
    SessionCover,
    TrainerBooking,
)
from allocation.selectors.mentor_slots import bookings_between
from allocation.selectors.sessions import (
    SessionTeacher,
    batch_sessions,
    session_teachers,
    student_sessions,
    trainer_sessions,
)

ONE_DAY = dt.timedelta(days=1)


def _with_covers(sessions: QuerySet[ClassSession]) -> QuerySet[ClassSession]:
    """The sessions with their per-session covers (absent trainer and substitute): one more
    query for any number of sessions."""
    return sessions.prefetch_related(
        Prefetch(
            "covers",
            queryset=SessionCover.objects.select_related("absent_trainer", "substitute").order_by(
                "pk"
            ),
        )
    )


def day_start(day: dt.date, tz: zoneinfo.ZoneInfo) -> dt.datetime:
    """Midnight starting ``day`` in ``tz``, as an aware datetime."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=tz)


def week_of(day: dt.date) -> dt.date:
    """The Monday of ``day``'s week."""
    return day - dt.timedelta(days=day.weekday())


@dataclass(frozen=True)
class SessionRow:
    """One session as a page shows it: who teaches it, who covers whom, and for an
    instructor's own list their role in it (``primary``, ``assistant``, ``cover``, or
    ``covered`` when a substitute teaches it for them)."""

    session: ClassSession
    teachers: list[SessionTeacher]
    covers: list[SessionCover]
    role: str = ""

    @property
    def batch(self) -> Batch:
        return self.session.batch


def _row(session: ClassSession, role: str = "") -> SessionRow:
    return SessionRow(
        session=session,
        teachers=session_teachers(session),
        covers=list(session.covers.all()),
        role=role,
    )


@dataclass
class CalendarDay:
    day: dt.date
    rows: list[SessionRow] = field(default_factory=list)
    # 1:1 mentoring bookings of the day (This week), mentor and mentee loaded.
    bookings: list = field(default_factory=list)
    in_range: bool = True  # false for the days of the previous/next month that fill a grid
    today: bool = False


@dataclass(frozen=True)
class Calendar:
    """A run of days (a month grid from Monday to Sunday, or one week) with their sessions,
    and where "previous" and "next" go."""

    view: str  # "month" or "week"
    anchor: dt.date  # the first of the month, or the Monday of the week
    days: list[CalendarDay]
    previous: dt.date
    next: dt.date

    @property
    def weeks(self) -> list[list[CalendarDay]]:
        return [self.days[i : i + 7] for i in range(0, len(self.days), 7)]

    @property
    def session_count(self) -> int:
        return sum(len(day.rows) for day in self.days if day.in_range)

    @property
    def booking_count(self) -> int:
        return sum(len(day.bookings) for day in self.days if day.in_range)

    @property
    def busy_days(self) -> list[CalendarDay]:
        """The days in range that have sessions (the phone's list)."""
        return [day for day in self.days if day.in_range and day.rows]


def _month_bounds(day: dt.date) -> tuple[dt.date, dt.date, dt.date, dt.date]:
    """(first of the month, first of the next, the grid's first Monday, the grid's end)."""
    first = day.replace(day=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    grid_start = week_of(first)
    grid_end = week_of(following - ONE_DAY) + dt.timedelta(days=7)
    return first, following, grid_start, grid_end


def _days(
    sessions,
    grid_start: dt.date,
    grid_end: dt.date,
    tz: zoneinfo.ZoneInfo,
    today: dt.date,
    in_range=lambda day: True,
    role_of=lambda session: "",
) -> list[CalendarDay]:
    days = {}
    day = grid_start
    while day < grid_end:
        days[day] = CalendarDay(day=day, in_range=in_range(day), today=day == today)
        day += ONE_DAY
    for session in sessions:
        local_day = session.start_at.astimezone(tz).date()
        if local_day in days:
            days[local_day].rows.append(_row(session, role_of(session)))
    return list(days.values())


def batch_calendar(
    batch: Batch, *, view: str, day: dt.date, tz: zoneinfo.ZoneInfo, today: dt.date
) -> Calendar:
    """The batch's sessions (every status) of the month or week holding ``day``, by day in
    ``tz``. Four queries: the sessions, their bookings' trainers, their covers (and the
    batch, course and primary joined to the first)."""
    if view == "week":
        start = week_of(day)
        end = start + dt.timedelta(days=7)
        sessions = _with_covers(
            batch_sessions(batch, start=day_start(start, tz), end=day_start(end, tz))
        )
        return Calendar(
            view="week",
            anchor=start,
            days=_days(sessions, start, end, tz, today),
            previous=start - dt.timedelta(days=7),
            next=end,
        )
    first, following, grid_start, grid_end = _month_bounds(day)
    sessions = _with_covers(
        batch_sessions(batch, start=day_start(grid_start, tz), end=day_start(grid_end, tz))
    )
    return Calendar(
        view="month",
        anchor=first,
        days=_days(
            sessions,
            grid_start,
            grid_end,
            tz,
            today,
            in_range=lambda d: first <= d < following,
        ),
        previous=(first - ONE_DAY).replace(day=1),
        next=following,
    )


def _role_for(trainer: User):
    def role_of(session: ClassSession) -> str:
        for booking in session.bookings.all():
            if booking.trainer_id == trainer.pk:
                return booking.role
        return "covered"  # no booking of theirs: a substitute teaches it for them

    return role_of


def trainer_week(trainer: User, *, day: dt.date, tz: zoneinfo.ZoneInfo, today: dt.date) -> Calendar:
    """The instructor's week holding ``day``, by day in ``tz``: the sessions they teach (as
    primary, assistant or cover) and the ones a substitute covers for them, in time order,
    each with its cover; and their 1:1 mentoring bookings (as mentor or mentee; cancelled ones
    left out). Seven queries: the sessions they teach (with bookings and covers), then the
    sessions covered for them (with bookings and covers), then the mentoring bookings."""
    start = week_of(day)
    end = start + dt.timedelta(days=7)
    window = {"start": day_start(start, tz), "end": day_start(end, tz)}
    teaching = list(_with_covers(trainer_sessions(trainer, **window)))
    taught = {session.pk for session in teaching}
    covered_ids = SessionCover.objects.filter(
        absent_trainer=trainer,
        session__start_at__lt=window["end"],
        session__end_at__gt=window["start"],
    ).values("session_id")
    covered = [
        session
        for session in _with_covers(_covered_sessions(covered_ids))
        if session.pk not in taught
    ]
    sessions = sorted(teaching + covered, key=lambda s: (s.start_at, s.pk))
    days = _days(sessions, start, end, tz, today, role_of=_role_for(trainer))
    by_day = {d.day: d for d in days}
    for booking in bookings_between(trainer, window["start"], window["end"]).filter(
        status__in=ACTIVE_BOOKING_STATUSES
    ):
        local_day = booking.start_at.astimezone(tz).date()
        if local_day in by_day:
            by_day[local_day].bookings.append(booking)
    return Calendar(
        view="week",
        anchor=start,
        days=days,
        previous=start - dt.timedelta(days=7),
        next=end,
    )


def _covered_sessions(session_ids) -> QuerySet[ClassSession]:
    """The sessions ``session_ids`` (a subquery) joined as the session selectors join them:
    batch, course, primary, override; bookings with their trainers."""
    return (
        ClassSession.objects.filter(pk__in=session_ids)
        .select_related("batch__course", "batch__assigned_instructor", "instructor_override")
        .prefetch_related(
            Prefetch(
                "bookings",
                queryset=TrainerBooking.objects.select_related("trainer").order_by("pk"),
            )
        )
        .order_by("start_at", "pk")
    )


def student_next_sessions(student: User, *, now: dt.datetime, limit: int = 5) -> list[SessionRow]:
    """The student's next ``limit`` sessions that have not ended (cancelled ones included:
    a cancellation is news), in time order, with teachers and covers. Four queries."""
    sessions = _with_covers(student_sessions(student, start=now))[:limit]
    return [_row(session) for session in sessions]


def student_feed_sessions(student: User, *, since: dt.datetime) -> list[SessionRow]:
    """Every session (cancelled ones included) of the student's active batches that ends
    after ``since``, in time order, with teachers and covers: the calendar feed. Four
    queries."""
    return [_row(session) for session in _with_covers(student_sessions(student, start=since))]


def trainer_feed_sessions(trainer: User, *, since: dt.datetime) -> list[SessionRow]:
    """Every session the trainer teaches (booked as primary, assistant or cover) that ends
    after ``since``, in time order, with their role, teachers and covers: the calendar feed.
    Four queries."""
    role_of = _role_for(trainer)
    return [
        _row(session, role_of(session))
        for session in _with_covers(trainer_sessions(trainer, start=since))
    ]


def batches_that_lost_sessions() -> QuerySet[Batch]:
    """The batches with a session cancelled by a holiday or closure (still on the calendar),
    by code, with their course; for a page of the holidays list (the counts come from
    ``sessions.sessions_lost_to_holidays`` for the page's batches)."""
    lost = ClassSession.objects.filter(status="cancelled", holiday__isnull=False)
    return (
        Batch.objects.filter(pk__in=lost.values("batch_id"))
        .select_related("course")
        .order_by("batch_code", "pk")
    )
