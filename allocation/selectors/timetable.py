"""The weekly timetable grid of a set of batches."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from allocation.models import Batch, Weekday

# The grid shows at least these hours; a slot outside them widens it.
TIMETABLE_FIRST_HOUR = 7
TIMETABLE_END_HOUR = 22  # the last row is 21:00–22:00


@dataclass(frozen=True)
class TimetableEntry:
    batch_code: str
    course_title: str
    start_time: dt.time
    end_time: dt.time
    # A substitute duty's dates ("cover 2027-01-11 → 2027-01-22"); empty for one's own batch.
    cover: str = ""


@dataclass
class TimetableRow:
    hour: int
    cells: list[list[TimetableEntry]] = field(default_factory=lambda: [[] for _ in Weekday])

    @property
    def label(self) -> str:
        return f"{self.hour:02d}:00"


@dataclass(frozen=True)
class AgendaDay:
    index: int  # 0 = Monday, as Weekday
    name: str
    entries: list[TimetableEntry]


@dataclass
class Timetable:
    """A week as rows of hours by columns Monday–Sunday; a slot sits in every hour it
    touches (10:30–12:00 fills the 10:00 and 11:00 rows)."""

    rows: list[TimetableRow]
    days: tuple[str, ...] = tuple(Weekday.labels)

    @property
    def is_empty(self) -> bool:
        return not any(cell for row in self.rows for cell in row.cells)

    @property
    def agenda(self) -> list[AgendaDay]:
        """The same week day by day, for narrow screens: each day that has slots, with each
        slot once (the grid repeats it in every hour it touches), in time order."""
        days = []
        for index, name in enumerate(self.days):
            # dict.fromkeys: the first appearance of each entry, in the grid's order.
            entries = list(dict.fromkeys(e for row in self.rows for e in row.cells[index]))
            if entries:
                entries.sort(key=lambda e: (e.start_time, e.batch_code))
                days.append(AgendaDay(index=index, name=name, entries=entries))
        return days


def _hours_of(start: dt.time, end: dt.time) -> range:
    """The hour rows a half-open slot [start, end) touches."""
    last = end.hour if (end.minute, end.second, end.microsecond) == (0, 0, 0) else end.hour + 1
    return range(start.hour, max(last, start.hour + 1))


def weekly_timetable(batches: Iterable[Batch], covers: Iterable = ()) -> Timetable:
    """The weekly grid of the batches' slots and of the substitute ``covers``' batches (each
    marked with the cover's dates), read from ``batch.schedule.all()``: no query when
    prefetched."""
    teaching = [(batch, "") for batch in batches] + [
        (cover.batch, f"cover {cover.start_date:%Y-%m-%d} → {cover.end_date:%Y-%m-%d}")
        for cover in covers
    ]
    placed = [
        (
            slot.day,
            hour,
            TimetableEntry(
                batch.batch_code, batch.course.title, slot.start_time, slot.end_time, note
            ),
        )
        for batch, note in teaching
        for slot in batch.schedule.all()
        for hour in _hours_of(slot.start_time, slot.end_time)
    ]
    hours = [hour for _, hour, _ in placed]
    first = min([TIMETABLE_FIRST_HOUR, *hours])
    end = max([TIMETABLE_END_HOUR, *(h + 1 for h in hours)])
    rows = {hour: TimetableRow(hour) for hour in range(first, end)}
    for day, hour, entry in sorted(placed, key=lambda p: (p[2].start_time, p[2].batch_code)):
        rows[hour].cells[day].append(entry)
    return Timetable(rows=list(rows.values()))
