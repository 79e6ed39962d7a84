"""The demo's attendance: the rolls of the last four weeks of every Active batch, taken by the
admin through ``attendance_record`` (so the at-risk episodes open and the mentors hear, as in
real use). Connected to ``enrollments.signals.demo_seeded``; a second run marks only the
sessions with no marks yet.

Most students attend (mostly present, some late, a few excused); every eleventh student of a
batch misses most classes and every seventh misses the last three, so the at-risk lists have
both reasons on a fresh demo.
"""

from __future__ import annotations

import datetime as dt
import zlib

from django.db.models import Exists, OuterRef
from django.utils import timezone

from allocation.models import Batch, BatchStatus, ClassSession
from enrollments.models import Enrollment

from .models import AttendanceMark
from .selectors import session_roll
from .services import MarkInput, attendance_record

WEEKS = 4


def _status(student_id: int, session_index: int, sessions: int, position: int) -> str:
    if position % 11 == 10:  # the struggling student: absent two classes in three
        return "present" if session_index % 3 == 0 else "absent"
    if position % 7 == 6 and session_index >= sessions - 3:  # dropped off lately
        return "absent"
    roll = zlib.crc32(f"{student_id}:{session_index}".encode()) % 100
    if roll < 6:
        return "late"
    if roll < 9:
        return "excused"
    if roll < 13:
        return "absent"
    return "present"


def seed_attendance(*, admin, today: dt.date) -> int:
    """Mark the unmarked held sessions of the last ``WEEKS`` weeks of Active batches; returns
    how many marks were written."""
    now = timezone.now()
    if today != timezone.localdate():
        now = dt.datetime.combine(today, dt.time(12), tzinfo=dt.UTC)
    since = now - dt.timedelta(weeks=WEEKS)
    written = 0
    batches = Batch.objects.filter(status=BatchStatus.ACTIVE).order_by("pk")
    for batch in batches:
        sessions = list(
            ClassSession.objects.held()
            .filter(batch=batch, start_at__gte=since, start_at__lte=now)
            .exclude(Exists(AttendanceMark.objects.filter(session=OuterRef("pk"))))
            .select_related("batch")
            .order_by("start_at")
        )
        if not sessions:
            continue
        # The demo enrolls everyone today; its students were enrolled before these classes.
        Enrollment.objects.filter(batch=batch, enrollment_date__gt=sessions[0].start_at).update(
            enrollment_date=sessions[0].start_at - dt.timedelta(days=7)
        )
        for index, session in enumerate(sessions):
            roll = session_roll(session)
            marks = [
                MarkInput(e.student_id, _status(e.student_id, index, len(sessions), position))
                for position, e in enumerate(roll)
            ]
            if marks:
                attendance_record(
                    session=session,
                    marks=marks,
                    marked_by=admin,
                    now=max(now, session.start_at + dt.timedelta(hours=2)),
                )
                written += len(marks)
    return written


def on_demo_seeded(sender, admin, today, **kwargs) -> None:
    seed_attendance(admin=admin, today=today)
