"""What the attendance pages, CSV and API show: a student's own attendance, the at-risk
list, and the admin's report (per batch, per trainer, week by week). Constant queries."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Exists, F, Max, OuterRef, Q
from django.utils.translation import gettext as _

from accounts.models import User
from allocation.models import (
    Batch,
    BatchTrainer,
    Course,
    IndividualAssignment,
    MentoringSession,
)
from allocation.selectors.mentoring import STALE_CONTACT_DAYS
from core import dates

from .models import AtRiskEpisode, AttendanceMark
from .selectors import (
    Rate,
    _grouped,
    counted_marks,
    student_attendance_rates,
    weekly_trend,
)


def at_risk_rule() -> str:
    return _(
        "At risk: attended less than %(rate)d%% of their last %(n)d counted sessions in a "
        "batch, or %(k)d absences in a row; or no mentoring contact for %(days)d days."
    ) % {
        "rate": round(settings.AT_RISK_RATE * 100),
        "n": settings.AT_RISK_LAST_N,
        "k": settings.AT_RISK_ABSENCES_IN_A_ROW,
        "days": STALE_CONTACT_DAYS,
    }


def student_attendance(student: User) -> dict:
    """The student's marks (newest first) and their figures per batch. Three queries."""
    marks = list(
        AttendanceMark.objects.filter(student=student)
        .select_related("session", "batch__course")
        .order_by("-session_start", "-pk")
    )
    rates = student_attendance_rates(student)
    batches = Batch.objects.filter(pk__in=list(rates)).select_related("course").order_by("pk")
    return {
        "student": student,
        "marks": marks,
        "batches": [(b, rates[b.pk]) for b in batches],
    }


@dataclass(frozen=True)
class AtRiskRow:
    student: User
    batch: Batch | None
    reason: str
    since: dt.datetime | dt.date | None
    kind: str  # "attendance" or "mentoring"


def _trainer_batches(trainer: User):
    return BatchTrainer.objects.filter(trainer=trainer, ended_at__isnull=True).values("batch_id")


@dataclass(frozen=True)
class AtRiskList:
    rows: list[AtRiskRow]
    attendance_total: int
    mentoring_total: int

    @property
    def total(self) -> int:
        return self.attendance_total + self.mentoring_total

    @property
    def more(self) -> int:
        return self.total - len(self.rows)


def at_risk_list(*, trainer: User | None = None, limit: int = 100) -> AtRiskList:
    """Open at-risk episodes (newest first) and mentees with no mentoring contact for
    ``STALE_CONTACT_DAYS`` (longest without first), with the reason, at most ``limit`` of
    each; for a trainer, those of the batches they staff and of their own mentees. Four
    queries for any number of students."""
    episodes = AtRiskEpisode.objects.filter(closed_at__isnull=True)
    cutoff = dates.today() - dt.timedelta(days=STALE_CONTACT_DAYS)
    stale = IndividualAssignment.objects.filter(ended_at__isnull=True, start_date__lte=cutoff)
    if trainer is not None:
        mentees = IndividualAssignment.objects.filter(
            instructor=trainer, ended_at__isnull=True
        ).values("student_id")
        episodes = episodes.filter(
            Q(batch__in=_trainer_batches(trainer))
            | Q(batch__assigned_instructor=trainer)
            | Q(student_id__in=mentees)
        )
        stale = stale.filter(instructor=trainer)
    recent = MentoringSession.objects.filter(assignment=OuterRef("pk"), session_date__gt=cutoff)
    stale = stale.exclude(Exists(recent))
    rows = [
        AtRiskRow(e.student, e.batch, e.reason, e.opened_at, "attendance")
        for e in episodes.select_related("student", "batch__course").order_by("-opened_at", "-pk")[
            :limit
        ]
    ]
    today = dates.today()
    for a in (
        stale.select_related("student", "instructor")
        .annotate(last_contact=Max("sessions__session_date"))
        .order_by(F("last_contact").asc(nulls_first=True), "start_date", "pk")[:limit]
    ):
        days = (today - (a.last_contact or a.start_date)).days
        rows.append(
            AtRiskRow(
                a.student,
                None,
                _("no mentoring contact for %(days)d days (mentor %(mentor)s)")
                % {"days": days, "mentor": a.instructor.display_name},
                a.last_contact,
                "mentoring",
            )
        )
    return AtRiskList(rows, episodes.count(), stale.count())


@dataclass(frozen=True)
class ReportFilters:
    course: int | None = None
    batch: int | None = None
    trainer: int | None = None

    @classmethod
    def from_query(cls, query) -> ReportFilters:
        def number(name):
            value = (query.get(name) or "").strip()
            return int(value) if value.isdigit() and len(value) < 12 else None

        return cls(number("course"), number("batch"), number("trainer"))

    def apply(self, marks):
        if self.course:
            marks = marks.filter(batch__course_id=self.course)
        if self.batch:
            marks = marks.filter(batch_id=self.batch)
        if self.trainer:
            marks = marks.filter(trainer_id=self.trainer)
        return marks


def attendance_report(filters: ReportFilters) -> dict:
    """Per batch and per trainer figures and the weekly trend, under ``filters``. Six queries
    for any number of marks."""
    marks = filters.apply(counted_marks())
    by_batch = _grouped(marks, "batch_id")
    by_trainer = _grouped(marks.filter(trainer__isnull=False), "trainer_id")
    batches = Batch.objects.filter(pk__in=list(by_batch)).select_related(
        "course", "assigned_instructor"
    )
    trainers = User.objects.filter(pk__in=list(by_trainer)).order_by("full_name", "email")
    total = Rate(
        sum(r.present for r in by_batch.values()),
        sum(r.late for r in by_batch.values()),
        sum(r.absent for r in by_batch.values()),
        sum(r.excused for r in by_batch.values()),
    )
    return {
        "batches": sorted(
            ((b, by_batch[b.pk]) for b in batches), key=lambda p: (p[0].batch_code, p[0].pk)
        ),
        "trainers": [(t, by_trainer[t.pk]) for t in trainers],
        "trend": weekly_trend(marks),
        "total": total,
        "courses": Course.objects.order_by("title").only("pk", "title", "code"),
        "trainer_choices": User.objects.filter(is_instructor=True).order_by("full_name")[:500],
    }


CSV_HEADER = [
    "Batch code",
    "Course",
    "Primary instructor",
    "Present",
    "Late",
    "Absent",
    "Excused",
    "Attended",
    "Counted",
    "Attendance rate %",
]


def csv_rows(batches):
    for batch, rate in batches:
        yield [
            batch.batch_code,
            batch.course.title,
            batch.assigned_instructor.display_name,
            rate.present,
            rate.late,
            rate.absent,
            rate.excused,
            rate.attended,
            rate.counted,
            "" if rate.percent is None else rate.percent,
        ]
