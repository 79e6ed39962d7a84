"""A student's own clashes: a batch whose sessions overlap one of their active enrollments.

The rule (README, "A student's own clashes"): a student may not be enrolled in a batch whose
held sessions (scheduled or moved) overlap, in real time and half-open, a held session of a
batch they are actively enrolled in, when that batch is Active or Upcoming. Enrollments in
the batch's own course do not count (a transfer leaves the one it replaces, and a second
active enrollment in a course is refused anyway). ``enrollments.seats.enroll`` refuses a clash
on every path (console, API, import, placement, waitlist promotion, transfer) unless an admin
overrides it on purpose (``allow_clash``).

The sessions are the truth: every batch made through the services has its sessions generated
(``allocation.services.batch_create``; migration allocation.0013 generated them for older
batches). A batch that has weekly slots but no session rows at all (written around the
services) is read from its slots and dates instead, as its sessions would be.

Reads only. At most two queries for any number of batches (one more, and one per holiday
read, only for batches without session rows).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.utils.translation import gettext as _

from accounts.models import User
from allocation.eligibility import Interval, proposed_sessions, when_text
from allocation.models import (
    HELD_SESSION_STATUSES,
    OPEN_BATCH_STATUSES,
    Batch,
    ClassSession,
    ScheduleSlot,
)
from core.errors import DomainError
from core.timezones import default_time_zone


@dataclass(frozen=True)
class StudentClash:
    """The first session of another batch of the student that overlaps a session of the batch
    being joined, with both times in the student's zone."""

    batch_id: int
    batch_code: str
    batch_name: str
    other_start: dt.datetime
    other_end: dt.datetime
    start: dt.datetime
    end: dt.datetime
    time_zone: str

    @property
    def other_when(self) -> str:
        return when_text(self.other_start, self.other_end, self.time_zone)

    @property
    def when(self) -> str:
        return when_text(self.start, self.end, self.time_zone)

    def describe(self, student: User) -> str:
        return _(
            "Schedule clash: %(student)s already has %(code)s (%(name)s) on %(other)s, "
            "which overlaps %(this)s"
        ) % {
            "student": student.display_name,
            "code": self.batch_code,
            "name": self.batch_name,
            "other": self.other_when,
            "this": self.when,
        }

    def short(self) -> str:
        """For a list of batches: "GER-A1-02 on Monday 2026-03-02 10:00–12:00 (Europe/Berlin)"."""
        return f"{self.batch_code} ({self.batch_name}) {self.other_when}"


def _target_sessions(batches: Sequence[Batch]) -> dict[int, list[Interval]]:
    """The held sessions of each batch, by batch id; one query (three more when a batch with
    slots has no session rows at all, read from its slots)."""
    found: dict[int, list[Interval]] = {b.pk: [] for b in batches}
    with_rows: set[int] = set()
    for batch_id, start, end, status in ClassSession.objects.filter(
        batch_id__in=list(found)
    ).values_list("batch_id", "start_at", "end_at", "status"):
        with_rows.add(batch_id)
        if status in HELD_SESSION_STATUSES:
            found[batch_id].append(Interval(start, end))
    missing = [b for b in batches if b.pk not in with_rows]
    if missing:
        slots: dict[int, list[ScheduleSlot]] = {}
        for s in ScheduleSlot.objects.filter(batch_id__in=[b.pk for b in missing]):
            slots.setdefault(s.batch_id, []).append(s)
        for batch in missing:
            if slots.get(batch.pk):
                found[batch.pk] = proposed_sessions(batch, slots[batch.pk])
    return found


def student_clashes(
    student: User, batches: Iterable[Batch], *, time_zone: str | None = None
) -> dict[int, StudentClash]:
    """The first clash of each of ``batches`` (rows with ``course_id`` and dates) with the
    student's active enrollments in other courses, by batch id; batches that do not clash
    are left out. Times are shown in ``time_zone`` (default: the student's).

    At most two queries whatever the number of batches: the student's held sessions in open
    batches over the batches' dates (a day's margin each side, for the zones), then, only
    when there are any, the batches' own sessions. A student with no other classes — most
    who enroll — costs one query.
    """
    batches = [b for b in batches if b.pk is not None]
    if not batches or student.pk is None:
        return {}
    time_zone = time_zone or getattr(student, "time_zone", "") or default_time_zone()
    margin = dt.timedelta(days=2)
    first = min(b.start_date for b in batches) - margin
    last = max(b.end_date for b in batches) + margin
    rows = list(
        ClassSession.objects.filter(
            start_at__gte=dt.datetime.combine(first, dt.time(), tzinfo=dt.UTC),
            start_at__lt=dt.datetime.combine(last, dt.time(), tzinfo=dt.UTC),
            status__in=HELD_SESSION_STATUSES,
            batch__status__in=OPEN_BATCH_STATUSES,
            batch__enrollments__student=student,
            batch__enrollments__status="active",
        )
        .order_by("start_at", "pk")
        .values_list(
            "batch_id",
            "batch__course_id",
            "batch__batch_code",
            "batch__batch_name",
            "start_at",
            "end_at",
        )
    )
    if not rows:
        return {}
    targets = _target_sessions(batches)
    clashes: dict[int, StudentClash] = {}
    for batch in batches:
        proposed = sorted(targets[batch.pk], key=lambda i: i.start_at)
        for other_id, course_id, code, name, start, end in rows:
            if course_id == batch.course_id or other_id == batch.pk:
                continue
            hit = next((p for p in proposed if p.start_at < end and start < p.end_at), None)
            if hit is not None:
                clashes[batch.pk] = StudentClash(
                    other_id, code, name, start, end, hit.start_at, hit.end_at, time_zone
                )
                break
    return clashes


def refuse_student_clash(student: User, batch: Batch, *, allow_clash: bool = False) -> str:
    """Refuse (``DomainError``, code ``clash``) enrolling ``student`` in ``batch`` when it
    clashes with one of their active enrollments; two queries. With ``allow_clash`` (an
    admin's deliberate override) nothing is refused and the clash is returned in words for
    the audit trail ("" when there is none)."""
    clash = student_clashes(student, [batch]).get(batch.pk)
    if clash is None:
        return ""
    if not allow_clash:
        raise DomainError(clash.describe(student), field="batch", code="clash")
    return f"Clash overridden: also in {clash.batch_code} {clash.other_start:%Y-%m-%d %H:%M} UTC"
