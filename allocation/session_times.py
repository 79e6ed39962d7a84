"""Dated sessions from weekly slots: pure functions, no database.

A slot (weekday, start, end) is read in the batch's IANA zone on every date, so an 18:00
Europe/Berlin class is 16:00 UTC in summer (CEST, UTC+2), 17:00 UTC in winter (CET, UTC+1)
and 18:00 on the Berlin wall clock all year. The data
migration that gave existing batches their sessions imports this module, so its results
must stay stable.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from core.timezones import zone


@dataclass(frozen=True)
class Occurrence:
    """One generated session: the slot and date it comes from, and its absolute times."""

    local_date: dt.date
    slot_start: dt.time
    slot_end: dt.time
    start_at: dt.datetime  # aware, UTC
    end_at: dt.datetime  # aware, UTC

    @property
    def key(self) -> tuple[dt.date, dt.time]:
        """How regeneration recognises the session: its date and slot start."""
        return (self.local_date, self.slot_start)


def to_utc(day: dt.date, time: dt.time, time_zone: str) -> dt.datetime:
    """The absolute instant of a wall-clock ``time`` on ``day`` in ``time_zone``.

    A wall time skipped by a spring-forward change (02:30 in Berlin on the last Sunday of
    March) is read with the offset before the change, i.e. one hour later on the new clock;
    an ambiguous one (the repeated hour in autumn) is its first occurrence.
    """
    local = dt.datetime.combine(day, time, tzinfo=zone(time_zone))
    return local.astimezone(dt.UTC)


def interval(
    day: dt.date, start: dt.time, end: dt.time, time_zone: str
) -> tuple[dt.datetime, dt.datetime]:
    """``[start, end)`` on ``day`` in ``time_zone`` as aware UTC datetimes. Never empty: when
    a clock change swallows the whole interval, it lasts its wall-clock length."""
    start_at, end_at = to_utc(day, start, time_zone), to_utc(day, end, time_zone)
    if end_at <= start_at:
        wall = dt.datetime.combine(day, end) - dt.datetime.combine(day, start)
        end_at = start_at + wall
    return start_at, end_at


def occurrences(
    slots: Iterable,
    start_date: dt.date,
    end_date: dt.date,
    time_zone: str,
    *,
    closed: Callable[[dt.date], bool] = lambda day: False,
) -> list[Occurrence]:
    """The sessions of ``slots`` (anything with ``day``, ``start_time``, ``end_time``) on every
    date from ``start_date`` to ``end_date`` inclusive, read in ``time_zone``, leaving out the
    dates ``closed`` says are closed (holidays); in time order."""
    by_day: dict[int, list] = {}
    for slot in slots:
        by_day.setdefault(slot.day, []).append(slot)
    found = []
    if start_date is None or end_date is None or not by_day:
        return found
    day = start_date
    one = dt.timedelta(days=1)
    while day <= end_date:
        todays = by_day.get(day.weekday())
        if todays and not closed(day):
            for slot in todays:
                start_at, end_at = interval(day, slot.start_time, slot.end_time, time_zone)
                found.append(Occurrence(day, slot.start_time, slot.end_time, start_at, end_at))
        day += one
    found.sort(key=lambda o: (o.start_at, o.slot_start))
    return found


def closed_days(holidays: Iterable, start_date: dt.date, end_date: dt.date) -> set[dt.date]:
    """The dates from ``start_date`` to ``end_date`` that fall in any of ``holidays`` (anything
    with ``start_date`` and ``end_date``, inclusive)."""
    days: set[dt.date] = set()
    if start_date is None or end_date is None:
        return days
    one = dt.timedelta(days=1)
    for holiday in holidays:
        day = max(holiday.start_date, start_date)
        last = min(holiday.end_date, end_date)
        while day <= last:
            days.add(day)
            day += one
    return days
