"""What the attendance pages, CSV and API show: a student's own attendance, the at-risk
list, and the admin's report (per batch, per trainer, week by week). Constant queries."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Exists, Max, OuterRef, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from allocation.models import (
    Batch,
    BatchTrainer,
    ClassSession,
    Course,
    IndividualAssignment,
    MentoringSession,
    SessionStatus,
)
from allocation.selectors.mentoring import STALE_CONTACT_DAYS
from core import dates

from . import tallies
from .models import AtRiskEpisode, AttendanceMark, AttendanceTally
from .selectors import Rate, student_attendance_rates


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


# Rows on one page of the at-risk list.
AT_RISK_PAGE_SIZE = 50


class AtRiskList:
    """Open at-risk episodes (newest first, by their partial index), then mentees with no
    mentoring contact for ``STALE_CONTACT_DAYS`` (longest assigned first), as one sequence
    a paginator slices: ``count()`` is two COUNTs, a slice at most two page queries and one
    for the mentees' last contact. Whatever the number of students, a page costs the same."""

    def __init__(self, episodes, stale, limit: int = AT_RISK_PAGE_SIZE):
        self.episodes, self.stale, self.limit = episodes, stale, limit
        self._counts = None
        self._first = None

    def _totals(self) -> tuple[int, int]:
        if self._counts is None:
            self._counts = (self.episodes.count(), self.stale.count())
        return self._counts

    @property
    def attendance_total(self) -> int:
        return self._totals()[0]

    @property
    def mentoring_total(self) -> int:
        return self._totals()[1]

    @property
    def total(self) -> int:
        return sum(self._totals())

    def count(self) -> int:
        return self.total

    def __len__(self) -> int:
        return self.total

    def __getitem__(self, window: slice) -> list[AtRiskRow]:
        start, stop = window.start or 0, window.stop
        n_episodes = self.attendance_total
        rows = (
            [
                AtRiskRow(e.student, e.batch, e.reason, e.opened_at, "attendance")
                for e in self.episodes.select_related("student", "batch__course").order_by(
                    "-opened_at", "-pk"
                )[start : min(stop, n_episodes)]
            ]
            if start < n_episodes
            else []
        )
        first, last = max(0, start - n_episodes), stop - n_episodes
        if last <= 0:
            return rows
        assignments = list(
            self.stale.select_related("student", "instructor").order_by("start_date", "pk")[
                first:last
            ]
        )
        contacts = (
            dict(
                MentoringSession.objects.filter(assignment__in=assignments)
                .order_by()
                .values("assignment_id")
                .annotate(last=Max("session_date"))
                .values_list("assignment_id", "last")
            )
            if assignments
            else {}
        )
        today = dates.today()
        for a in assignments:
            last_contact = contacts.get(a.pk)
            days = (today - (last_contact or a.start_date)).days
            rows.append(
                AtRiskRow(
                    a.student,
                    None,
                    _("no mentoring contact for %(days)d days (mentor %(mentor)s)")
                    % {"days": days, "mentor": a.instructor.display_name},
                    last_contact,
                    "mentoring",
                )
            )
        return rows

    @property
    def rows(self) -> list[AtRiskRow]:
        """The first ``limit`` rows (the dashboards' panels)."""
        if self._first is None:
            self._first = self[0 : self.limit]
        return self._first

    @property
    def more(self) -> int:
        return self.total - len(self.rows)


def at_risk_list(*, trainer: User | None = None, limit: int = AT_RISK_PAGE_SIZE) -> AtRiskList:
    """Open at-risk episodes and mentees with no mentoring contact for
    ``STALE_CONTACT_DAYS``, with the reason; for a trainer, those of the batches they staff
    and of their own mentees. Paginate it (``core.web.paginate`` or the API's)."""
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
    return AtRiskList(episodes, stale.exclude(Exists(recent)), limit)


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

    def tallies(self) -> QuerySet[AttendanceTally]:
        """The tallies (``AttendanceTally``) of the marks ``apply`` keeps."""
        tallies = AttendanceTally.objects.order_by()
        if self.course:
            tallies = tallies.filter(batch__course_id=self.course)
        if self.batch:
            tallies = tallies.filter(batch_id=self.batch)
        if self.trainer:
            tallies = tallies.filter(trainer_id=self.trainer)
        return tallies


# The most courses or trainers the report's filter offers in a list; past it, an id field
# (a page of thousands of options grows with the data).
FILTER_CHOICES = 100


def filter_choices() -> dict:
    """The report's course and trainer lists (None: too many, filter by id). Two queries."""
    courses = list(
        Course.objects.order_by("title", "pk").only("pk", "title", "code")[: FILTER_CHOICES + 1]
    )
    trainers = list(
        User.objects.filter(is_instructor=True)
        .only("pk", "full_name", "email")
        .order_by("full_name", "pk")[: FILTER_CHOICES + 1]
    )
    return {
        "courses": courses if len(courses) <= FILTER_CHOICES else None,
        "trainer_choices": trainers if len(trainers) <= FILTER_CHOICES else None,
    }


# Weeks in the report's trend, this one included.
TREND_WEEKS = 12
# Batches on one page of the report.
REPORT_PAGE_SIZE = 50
_SUMS = {s: Sum(s) for s in tallies.STATUSES}


def _rate(row: dict) -> Rate:
    return Rate(*(row[s] or 0 for s in tallies.STATUSES))


def _plus(a: Rate, b: Rate, sign: int = 1) -> Rate:
    return Rate(*(getattr(a, s) + sign * getattr(b, s) for s in tallies.STATUSES))


def report_batches(filters: ReportFilters) -> QuerySet[Batch]:
    """The batches the report lists under ``filters`` (those with a tallied mark), by code:
    the report's rows, to paginate (a COUNT and one page)."""
    # A tally is made by a mark and never emptied (marks are not deleted, a change moves a
    # count from one status to another): a batch with a tally has a mark.
    tallied = filters.tallies().filter(batch_id=OuterRef("pk"))
    return (
        Batch.objects.filter(Exists(tallied))
        .select_related("course", "assigned_instructor")
        .order_by("batch_code", "pk")
    )


def _cancelled(
    filters: ReportFilters, batch_ids: list[int] | None = None
) -> list[tuple[int, int | None, dt.date, Rate]]:
    """(batch, trainer, week, figures) of the marks of cancelled sessions under ``filters``:
    what the tallies hold and the definitions leave out. Two queries: the cancelled sessions
    that have marks (by their partial index), then those marks by session (none: skipped)."""
    marked = AttendanceMark.objects.filter(session_id=OuterRef("pk"))
    sessions = ClassSession.objects.filter(Exists(marked), status=SessionStatus.CANCELLED)
    if batch_ids is not None:
        sessions = sessions.filter(batch_id__in=batch_ids)
    # The ids first: handed a join, PostgreSQL scans every mark for the few sessions.
    session_ids = list(sessions.order_by().values_list("pk", flat=True))
    if not session_ids:
        return []
    marks = filters.apply(AttendanceMark.objects.filter(session_id__in=session_ids))
    rows = marks.order_by().values("batch_id", "trainer_id", "session_start", "status")
    out = []
    for row in rows:
        counts = dict.fromkeys(tallies.STATUSES, 0)
        counts[row["status"]] = 1
        week = tallies.week_of(row["session_start"])
        out.append((row["batch_id"], row["trainer_id"], week, _rate(counts)))
    return out


def _by_batch(filters: ReportFilters, batches: list[Batch]) -> tuple[dict[int, Rate], set[int]]:
    """Batch id -> figures of ``batches`` from their tallies (one query; before the
    subtraction of cancelled sessions), and the trainers who taught them."""
    by_batch: dict[int, Rate] = {b.pk: Rate() for b in batches}
    trainer_ids: set[int] = set()
    rows = filters.tallies().filter(batch_id__in=list(by_batch)).values("batch_id", "trainer_id")
    for row in rows.annotate(**_SUMS):
        by_batch[row["batch_id"]] = _plus(by_batch[row["batch_id"]], _rate(row))
        if row["trainer_id"] is not None:
            trainer_ids.add(row["trainer_id"])
    return by_batch, trainer_ids


def _batch_figures(filters: ReportFilters, batches: list[Batch]) -> list[tuple[Batch, Rate]]:
    """``batches`` with their figures under ``filters`` (three queries)."""
    by_batch, _trainers = _by_batch(filters, batches)
    for batch_id, _trainer, _week, rate in _cancelled(filters, batch_ids=list(by_batch)):
        by_batch[batch_id] = _plus(by_batch[batch_id], rate, -1)
    return [(b, by_batch[b.pk]) for b in batches]


def attendance_report(filters: ReportFilters, batches: list[Batch]) -> dict:
    """Figures of ``batches`` (one page of ``report_batches``), of the trainers who taught
    them, the total and the trend of the last ``TREND_WEEKS`` weeks, under ``filters``.
    Read from the tallies, less the marks of cancelled sessions: eight queries, and the same
    time whatever the number of marks."""
    scope = filters.tallies()
    cancelled = _cancelled(filters)
    by_batch, trainer_ids = _by_batch(filters, batches)
    by_trainer: dict[int, Rate] = {
        row["trainer_id"]: _rate(row)
        for row in scope.filter(trainer_id__in=trainer_ids).values("trainer_id").annotate(**_SUMS)
    }
    total = _rate(scope.aggregate(**_SUMS))
    first_week = tallies.week_of(timezone.now()) - dt.timedelta(weeks=TREND_WEEKS - 1)
    by_week: dict[dt.date, Rate] = {
        row["week"]: _rate(row)
        for row in scope.filter(week__gte=first_week).values("week").annotate(**_SUMS)
    }
    for batch_id, trainer_id, week, rate in cancelled:
        if batch_id in by_batch:
            by_batch[batch_id] = _plus(by_batch[batch_id], rate, -1)
        if trainer_id in by_trainer:
            by_trainer[trainer_id] = _plus(by_trainer[trainer_id], rate, -1)
        if week in by_week:
            by_week[week] = _plus(by_week[week], rate, -1)
        total = _plus(total, rate, -1)
    trainers = User.objects.filter(pk__in=list(by_trainer)).order_by("full_name", "email", "pk")
    return {
        "batches": [(b, by_batch[b.pk]) for b in batches],
        "trainers": [(t, by_trainer[t.pk]) for t in trainers],
        "trend": sorted(((w, r) for w, r in by_week.items() if r.marks), key=lambda p: p[0]),
        "total": total,
        "trend_weeks": TREND_WEEKS,
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


def csv_export(filters: ReportFilters, chunk: int = 500):
    """Every filtered batch's CSV row, a chunk of batches at a time (two queries per chunk)
    from the tallies."""
    batches = report_batches(filters)
    last = None
    while True:
        page = batches
        if last is not None:
            page = page.filter(
                Q(batch_code__gt=last.batch_code) | Q(batch_code=last.batch_code, pk__gt=last.pk)
            )
        page = list(page[:chunk])
        if not page:
            return
        yield from csv_rows(_batch_figures(filters, page))
        last = page[-1]


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
