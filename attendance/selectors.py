"""Reads of attendance: rolls, marks, rates and trends, the at-risk list.

The definitions (roll, attended, counted, rate, at risk) are in ``attendance/__init__.py``
and on every page that shows a figure. Every function here answers in a fixed number of
queries, whatever the number of rows: rates are grouped in the database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncWeek

from accounts.models import User
from allocation.models import ClassSession, SessionStatus
from enrollments.models import Enrollment, EnrollmentStatus

from .models import AttendanceMark, AttendanceStatus

DEFINITIONS = (
    "Attendance rate = sessions attended (present or late) ÷ sessions counted (present, late "
    "or absent). Excused absences are left out; cancelled sessions never count; a student "
    "with no counted session has no rate."
)


@dataclass(frozen=True)
class Rate:
    """Counts of marks and the rate they give (None when nothing is counted)."""

    present: int = 0
    late: int = 0
    absent: int = 0
    excused: int = 0

    @property
    def attended(self) -> int:
        return self.present + self.late

    @property
    def counted(self) -> int:
        return self.present + self.late + self.absent

    @property
    def marks(self) -> int:
        return self.counted + self.excused

    @property
    def rate(self) -> float | None:
        return self.attended / self.counted if self.counted else None

    @property
    def percent(self) -> int | None:
        return None if self.rate is None else round(self.rate * 100)

    def as_dict(self) -> dict:
        return {
            "present": self.present,
            "late": self.late,
            "absent": self.absent,
            "excused": self.excused,
            "attended": self.attended,
            "counted": self.counted,
            "rate": None if self.rate is None else round(self.rate, 4),
        }


_COUNTS = {
    "present": Count("pk", filter=Q(status=AttendanceStatus.PRESENT)),
    "late": Count("pk", filter=Q(status=AttendanceStatus.LATE)),
    "absent": Count("pk", filter=Q(status=AttendanceStatus.ABSENT)),
    "excused": Count("pk", filter=Q(status=AttendanceStatus.EXCUSED)),
}


def counted_marks() -> QuerySet[AttendanceMark]:
    """The marks that count toward rates: those of sessions not cancelled."""
    return AttendanceMark.objects.exclude(session__status=SessionStatus.CANCELLED)


def _grouped(marks: QuerySet[AttendanceMark], *keys: str) -> dict:
    rows = marks.order_by().values(*keys).annotate(**_COUNTS)
    out = {}
    for row in rows:
        key = row[keys[0]] if len(keys) == 1 else tuple(row[k] for k in keys)
        out[key] = Rate(row["present"], row["late"], row["absent"], row["excused"])
    return out


def trainer_attendance_rates(trainer_ids: Iterable[int]) -> dict[int, Rate]:
    """Trainer id -> the attendance figures of the sessions they taught (the cover for a
    covered session); a trainer with no marked session is absent. One query."""
    return _grouped(counted_marks().filter(trainer_id__in=list(trainer_ids)), "trainer_id")


def batch_attendance_rates(batch_ids: Iterable[int]) -> dict[int, Rate]:
    """Batch id -> attendance figures of its sessions. One query."""
    return _grouped(counted_marks().filter(batch_id__in=list(batch_ids)), "batch_id")


def student_attendance_rates(student: User) -> dict[int, Rate]:
    """Batch id -> the student's attendance figures in that batch. One query."""
    return _grouped(counted_marks().filter(student=student), "batch_id")


def batch_student_rates(batch_id: int) -> dict[int, Rate]:
    """Student id -> their attendance figures in the batch. One query."""
    return _grouped(counted_marks().filter(batch_id=batch_id), "student_id")


def weekly_trend(marks: QuerySet[AttendanceMark], *, weeks: int = 8) -> list[tuple[dt.date, Rate]]:
    """The last ``weeks`` weeks (Monday, UTC) that have marks, oldest first, each with its
    figures. One query."""
    rows = (
        marks.order_by()
        .annotate(week=TruncWeek("session_start"))
        .values("week")
        .annotate(**_COUNTS)
        .order_by("-week")[:weeks]
    )
    out = [
        (
            row["week"].date() if isinstance(row["week"], dt.datetime) else row["week"],
            Rate(row["present"], row["late"], row["absent"], row["excused"]),
        )
        for row in rows
    ]
    out.reverse()
    return out


def session_roll(session: ClassSession) -> list[Enrollment]:
    """The session's roll: the enrollments in its batch that had started by its start and were
    still active then (active now, or left only after it started), by student name. One
    query, students loaded."""
    at = session.start_at
    return list(
        Enrollment.objects.filter(batch_id=session.batch_id, enrollment_date__lte=at)
        .filter(
            Q(status=EnrollmentStatus.ACTIVE)
            | Q(status_changed_at__isnull=False, status_changed_at__gt=at)
        )
        .select_related("student")
        .order_by("student__full_name", "student__email", "pk")
    )


def session_marks(session: ClassSession) -> dict[int, AttendanceMark]:
    """Student id -> their mark at the session. One query."""
    return {m.student_id: m for m in AttendanceMark.objects.filter(session=session)}


@dataclass(frozen=True)
class RollRow:
    student: User
    mark: AttendanceMark | None
    on_roll: bool  # False: marked, then left the batch before the session


def roll_view(session: ClassSession) -> list[RollRow]:
    """The roll as the page shows it: each student on it with their mark, then any student
    marked who is no longer on it. Two queries."""
    marks = {
        m.student_id: m
        for m in AttendanceMark.objects.filter(session=session).select_related("student")
    }
    rows, seen = [], set()
    for enrollment in session_roll(session):
        if enrollment.student_id in seen:
            continue
        seen.add(enrollment.student_id)
        rows.append(RollRow(enrollment.student, marks.get(enrollment.student_id), True))
    for student_id, mark in marks.items():
        if student_id not in seen:
            rows.append(RollRow(mark.student, mark, False))
    return rows
