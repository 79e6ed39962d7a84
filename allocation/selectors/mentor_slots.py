"""A mentor's bookable 1:1 slots, and the bookings people see.

Slots come from the mentor's weekly availability windows (``trainers.AvailabilityWindow``),
read on the mentor's own clock (``User.time_zone``: a 17:00 Kolkata window stays 17:00 Kolkata
time, and a Berlin window keeps its wall-clock hours across the DST change), cut into slots
of the mentor's length (``TrainerProfile.mentoring_slot_minutes``), minus:

- their teaching: every ``TrainerBooking`` interval (primary, assistant, cover or override —
  the bookings already say who teaches each held session);
- their other active mentoring bookings;
- their leave and the platform's holidays (whole days on the mentor's clock). A batch's or a
  course's closure cancels its sessions, which frees the mentor, so it takes nothing away;
- the past and the minimum lead time (``MENTORING_MIN_LEAD_HOURS``).

A mentor who declared no window offers no slots (for batches no window means "any time",
but nobody should be booked for 1:1 time at 3 a.m. by default); an inactive or on-leave
mentor offers none either. Six queries whatever the range and the data.
"""

from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import User
from allocation.models import (
    ACTIVE_BOOKING_STATUSES,
    Holiday,
    MentorBooking,
    MentorBookingStatus,
    TrainerBooking,
)
from core.timezones import default_time_zone, zone


@dataclass(frozen=True)
class Slot:
    start_at: dt.datetime  # aware UTC
    end_at: dt.datetime

    @property
    def minutes(self) -> int:
        return int((self.end_at - self.start_at).total_seconds() // 60)


def mentor_slot_minutes(mentor: User) -> int:
    """The length of the mentor's slots (their profile's setting, else the default)."""
    from trainers.models import DEFAULT_MENTORING_SLOT_MINUTES, TrainerProfile

    minutes = TrainerProfile.objects.filter(user=mentor).values_list(
        "mentoring_slot_minutes", flat=True
    )
    return minutes.first() or DEFAULT_MENTORING_SLOT_MINUTES


def max_range() -> dt.timedelta:
    return dt.timedelta(days=settings.MENTORING_MAX_RANGE_DAYS)


def min_lead() -> dt.timedelta:
    return dt.timedelta(hours=settings.MENTORING_MIN_LEAD_HOURS)


def _merge(intervals: list[tuple[dt.datetime, dt.datetime]]) -> list[tuple]:
    intervals.sort()
    merged: list[list] = []
    for start, end in intervals:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [tuple(m) for m in merged]


def _overlaps(busy: list[tuple], ends: list, start: dt.datetime, end: dt.datetime) -> bool:
    """Whether ``[start, end)`` meets one of ``busy`` (merged, sorted; ``ends`` their ends):
    the first busy interval that ends after ``start`` is the only candidate."""
    index = bisect.bisect_right(ends, start)
    return index < len(busy) and busy[index][0] < end


def mentor_slots(
    mentor: User,
    *,
    start: dt.datetime,
    end: dt.datetime,
    now: dt.datetime | None = None,
    exclude_booking_id: int | None = None,
) -> list[Slot]:
    """The mentor's free slots starting in ``[start, end)``, in time order; six queries.

    ``exclude_booking_id`` leaves one booking out of the busy time (moving a booking may
    keep an overlapping slot of its own). ``now`` defaults to the current time; slots that
    start before ``now`` plus the minimum lead time are left out.
    """
    from trainers.models import (
        DEFAULT_MENTORING_SLOT_MINUTES,
        AvailabilityWindow,
        TrainerLeave,
        TrainerProfile,
        TrainerStatus,
    )

    now = now or timezone.now()
    start = max(start, now + min_lead())
    if end <= start:
        return []
    profile = TrainerProfile.objects.filter(user=mentor).only("status", "mentoring_slot_minutes")
    profile = profile.first()
    if profile is not None and profile.status != TrainerStatus.ACTIVE:
        return []
    length = dt.timedelta(
        minutes=profile.mentoring_slot_minutes if profile else DEFAULT_MENTORING_SLOT_MINUTES
    )
    windows = list(AvailabilityWindow.objects.filter(trainer=mentor))
    if not windows:
        return []
    tz = zone(mentor.time_zone or default_time_zone())
    first_day = start.astimezone(tz).date() - dt.timedelta(days=1)
    last_day = end.astimezone(tz).date() + dt.timedelta(days=1)

    # Busy time: teaching and other bookings that could touch a slot of the range.
    reach = dt.timedelta(days=2)
    busy = list(
        TrainerBooking.objects.filter(
            trainer=mentor, start_at__lt=end + reach, end_at__gt=start - reach
        ).values_list("start_at", "end_at")
    )
    bookings = MentorBooking.objects.filter(
        mentor=mentor,
        status__in=ACTIVE_BOOKING_STATUSES,
        start_at__lt=end + reach,
        end_at__gt=start - reach,
    )
    if exclude_booking_id is not None:
        bookings = bookings.exclude(pk=exclude_booking_id)
    busy += list(bookings.values_list("start_at", "end_at"))
    busy = _merge(busy)
    ends = [b_end for _, b_end in busy]
    off_days: list[tuple[dt.date, dt.date]] = list(
        TrainerLeave.objects.filter(
            trainer=mentor, start_date__lte=last_day, end_date__gte=first_day
        ).values_list("start_date", "end_date")
    )
    off_days += list(
        Holiday.objects.filter(
            course__isnull=True,
            batch__isnull=True,
            start_date__lte=last_day,
            end_date__gte=first_day,
        ).values_list("start_date", "end_date")
    )

    by_day: dict[int, list] = {}
    for window in windows:
        by_day.setdefault(window.day, []).append(window)
    slots: list[Slot] = []
    day = first_day
    while day <= last_day:
        if any(a <= day <= b for a, b in off_days):
            day += dt.timedelta(days=1)
            continue
        for window in sorted(by_day.get(day.weekday(), ()), key=lambda w: w.start_time):
            wall = dt.datetime.combine(day, window.start_time)
            wall_end = dt.datetime.combine(day, window.end_time)
            while wall + length <= wall_end:
                local = wall.replace(tzinfo=tz)
                slot_start = local.astimezone(dt.UTC)
                # A wall time skipped by a clock change (02:30 on the spring-forward night)
                # does not exist: no slot there.
                if slot_start.astimezone(tz).replace(tzinfo=None) == wall:
                    slot_end = slot_start + length
                    if (
                        start <= slot_start < end
                        and not _overlaps(busy, ends, slot_start, slot_end)
                        and (slot_end.astimezone(tz).replace(tzinfo=None) <= wall_end)
                    ):
                        slots.append(Slot(slot_start, slot_end))
                wall += length
        day += dt.timedelta(days=1)
    slots.sort(key=lambda s: s.start_at)
    # Overlapping windows of one day would offer a slot twice.
    unique: list[Slot] = []
    for slot in slots:
        if not unique or unique[-1] != slot:
            unique.append(slot)
    return unique


def mentor_slot_free(
    mentor: User,
    *,
    start_at: dt.datetime,
    end_at: dt.datetime,
    now: dt.datetime | None = None,
    exclude_booking_id: int | None = None,
) -> bool:
    """Whether ``[start_at, end_at)`` is exactly one of the mentor's free slots now."""
    slots = mentor_slots(
        mentor,
        start=start_at,
        end=start_at + dt.timedelta(seconds=1),
        now=now,
        exclude_booking_id=exclude_booking_id,
    )
    return any(s.start_at == start_at and s.end_at == end_at for s in slots)


def bookings_of(user: User) -> QuerySet[MentorBooking]:
    """The bookings ``user`` is the mentor or the mentee of, people loaded, oldest first."""
    return (
        MentorBooking.objects.filter(Q(mentor=user) | Q(mentee=user))
        .select_related("mentor", "mentee")
        .order_by("start_at", "pk")
    )


def upcoming_bookings(user: User, *, now: dt.datetime | None = None) -> QuerySet[MentorBooking]:
    """``user``'s booked (not cancelled, not yet held) sessions that have not ended."""
    now = now or timezone.now()
    return bookings_of(user).filter(status=MentorBookingStatus.BOOKED, end_at__gt=now)


def bookings_between(
    user: User, start: dt.datetime | None, end: dt.datetime | None
) -> QuerySet[MentorBooking]:
    """``user``'s bookings (any status) overlapping ``[start, end)``; either bound may be open."""
    qs = bookings_of(user)
    if start is not None:
        qs = qs.filter(end_at__gt=start)
    if end is not None:
        qs = qs.filter(start_at__lt=end)
    return qs
