"""The figures of the admin console's reports: per course, per batch, per instructor, and how
students are spread between batches and individual instructors.

Each selector is a fixed number of aggregate queries whatever the amount of data. The
per-course, per-batch and per-instructor reports are querysets whose figures are correlated
subqueries, so a page of 25 rows computes 25 rows' figures (the pages paginate; the CSV
downloads read every row through the same selector); ``*_rows`` turns them into rows. The
totals of every course together (``platform_figures``) are counted from their own sources,
not by summing every course. The figures mean:

- **capacity**: seats offered in open (Active and Upcoming) batches;
- **enrolled**: students holding those seats (active enrollments; the batches'
  ``enrolled_students`` counters);
- **free seats** = capacity − enrolled: the seats still to be taken;
- **fill rate** = enrolled / capacity, over open batches only (a Completed or Cancelled batch
  offers no seat); none when there is no open seat;
- **completion rate** = completed / (completed + cancelled + expired): the share of the
  enrollments that have ended which ended completed. Active and on-hold enrollments are still
  running and are left out; none while no enrollment has ended;
- **cancellations**: cancelled enrollments, all time;
- **waitlist**: entries still waiting for a seat.

A course counts every enrollment in it, individual (self-paced) ones included; a batch counts
the enrollments in that batch.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext

from accounts.models import User
from allocation.models import (
    AssignmentType,
    Batch,
    Course,
    IndividualAssignment,
    MentoringSession,
)

# ``per_trainer`` is allocation's correlated "aggregate over the outer row's rows" helper
# (named for its first use; courses_with_figures uses it per course too).
from allocation.selectors import (
    Workload,
    courses_with_figures,
    per_trainer,
    trainers_with_workload,
    workload_of,
)
from enrollments.models import Enrollment, EnrollmentStatus, WaitlistEntry, WaitlistStatus

# Statuses of enrollments that have ended; the completion rate is completed out of these.
ENDED_STATUSES = (EnrollmentStatus.COMPLETED, EnrollmentStatus.CANCELLED, EnrollmentStatus.EXPIRED)


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _percent(ratio: float | None) -> float | None:
    """A ratio as a percentage with one decimal (0.6667 -> 66.7); None stays None."""
    return None if ratio is None else round(ratio * 100, 1)


@dataclass(frozen=True)
class Figures:
    """Seats and enrollment outcomes of a course, a batch or everything (see the module)."""

    capacity: int
    enrolled: int
    completed: int
    cancelled: int
    expired: int
    waitlist: int

    @property
    def ended(self) -> int:
        return self.completed + self.cancelled + self.expired

    @property
    def free_seats(self) -> int:
        """Seats of the capacity that nobody holds (never below 0)."""
        return max(self.capacity - self.enrolled, 0)

    @property
    def fill_rate(self) -> float | None:
        return _ratio(self.enrolled, self.capacity)

    @property
    def completion_rate(self) -> float | None:
        return _ratio(self.completed, self.ended)

    @property
    def cancellations(self) -> int:
        return self.cancelled

    @property
    def fill_percent(self) -> float | None:
        return _percent(self.fill_rate)

    @property
    def completion_percent(self) -> float | None:
        return _percent(self.completion_rate)


def _outcome_counts(outer: str) -> dict:
    """Annotations counting the outer row's enrollments by ended status (``outer`` is the
    enrollment's foreign key to it) and its waiting waitlist entries."""
    # COUNT(*), not of the id: an index of the enrollments by status and course (or batch)
    # answers alone.
    counts = {
        status.value: per_trainer(Enrollment.objects.filter(status=status), outer, Count("*"))
        for status in ENDED_STATUSES
    }
    waiting = WaitlistEntry.objects.filter(status=WaitlistStatus.WAITING)
    waitlist_field = "batch" if outer == "batch" else "batch__course"
    counts["waiting"] = per_trainer(waiting, waitlist_field, Count("pk"))
    return counts


# --- per course --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CourseRow(Figures):
    course: Course
    batches: int
    open_batches: int


def course_report() -> QuerySet[Course]:
    """Every course by title, annotated with ``courses_with_figures`` plus the seats of its
    open batches, its ended enrollments by status and its waiting entries; one query. Turn
    the (paginated) courses into rows with ``course_rows``."""
    open_batches = Batch.objects.open()
    return courses_with_figures().annotate(
        open_capacity=per_trainer(open_batches, "course", Sum("capacity")),
        open_enrolled=per_trainer(open_batches, "course", Sum("enrolled_students")),
        **_outcome_counts("course"),
    )


def course_rows(courses: Iterable[Course]) -> list[CourseRow]:
    """Rows of courses from ``course_report``; no query."""
    return [
        CourseRow(
            course=c,
            batches=c.batch_count,
            open_batches=c.open_batch_count,
            capacity=c.open_capacity,
            enrolled=c.open_enrolled,
            completed=c.completed,
            cancelled=c.cancelled,
            expired=c.expired,
            waitlist=c.waiting,
        )
        for c in courses
    ]


def platform_figures() -> Figures:
    """The figures of every course together (the course report's totals row, the overview's
    headline), counted where the rows are rather than summed over every course; three
    queries, each served by an index or a small table:

    - the seats of the open batches and their ``enrolled_students`` counters (the batches);
    - the ended enrollments by status (``enrollment_status_course``, read alone);
    - the waiting entries.

    Every batch, enrollment and waitlist entry belongs to a course, so these equal the sums
    of the course rows.
    """
    seats = Batch.objects.open().aggregate(
        capacity=Coalesce(Sum("capacity"), 0), enrolled=Coalesce(Sum("enrolled_students"), 0)
    )
    ended = dict.fromkeys(ENDED_STATUSES, 0) | dict(
        Enrollment.objects.filter(status__in=ENDED_STATUSES)
        .values_list("status")
        .annotate(n=Count("*"))  # not the id: the index alone answers
        .order_by()
    )
    return Figures(
        capacity=seats["capacity"],
        enrolled=seats["enrolled"],
        completed=ended[EnrollmentStatus.COMPLETED],
        cancelled=ended[EnrollmentStatus.CANCELLED],
        expired=ended[EnrollmentStatus.EXPIRED],
        waitlist=WaitlistEntry.objects.filter(status=WaitlistStatus.WAITING).count(),
    )


# --- per batch ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchRow(Figures):
    """A batch's figures. ``capacity`` and ``enrolled`` are the batch's own whatever its
    status, but a closed (Completed/Cancelled) batch has no fill rate."""

    batch: Batch

    @property
    def fill_rate(self) -> float | None:
        return super().fill_rate if self.batch.is_open else None


def batch_report(*, course: Course | None = None, status: str | None = None) -> QuerySet[Batch]:
    """Batches (of ``course``, in ``status``, when given) by course, start date and code, with
    their course and primary loaded and their outcome counts annotated; one query. Turn the
    (paginated) batches into rows with ``batch_rows``."""
    batches = Batch.objects.select_related("course", "assigned_instructor")
    if course is not None:
        batches = batches.filter(course=course)
    if status:
        batches = batches.filter(status=status)
    return batches.annotate(**_outcome_counts("batch")).order_by(
        "course__title", "start_date", "batch_code", "pk"
    )


def batch_rows(batches: Iterable[Batch]) -> list[BatchRow]:
    """Rows of batches from ``batch_report``; no query."""
    return [
        BatchRow(
            batch=b,
            capacity=b.capacity,
            enrolled=b.enrolled_students,
            completed=b.completed,
            cancelled=b.cancelled,
            expired=b.expired,
            waitlist=b.waiting,
        )
        for b in batches
    ]


# --- per instructor ----------------------------------------------------------------------------


@dataclass(frozen=True)
class InstructorRow:
    """An instructor's workload (``allocation.selectors.Workload``: open batches taught as
    primary or assistant, students across them, individually assigned students, weekly
    teaching hours) with their mentoring: sessions logged on all their individual
    assignments, ended ones included, and the date of the latest one."""

    workload: Workload
    sessions: int
    last_contact: dt.date | None

    @property
    def trainer(self) -> User:
        return self.workload.trainer


def instructor_report(trainers: QuerySet[User] | None = None) -> QuerySet[User]:
    """Every given instructor (default: all active ones) by name, annotated with their
    workload and mentoring; one query. Turn the (paginated) instructors into rows with
    ``instructor_rows``."""
    sessions = MentoringSession.objects.all()
    latest = MentoringSession.objects.filter(assignment__instructor=OuterRef("pk")).order_by(
        "-session_date"
    )
    return (
        trainers_with_workload(trainers)
        .annotate(
            session_count=per_trainer(sessions, "assignment__instructor", Count("pk")),
            last_contact=Subquery(latest.values("session_date")[:1]),
        )
        .order_by("full_name", "email", "pk")
    )


def instructor_rows(trainers: Iterable[User]) -> list[InstructorRow]:
    """Rows of instructors from ``instructor_report``; no query."""
    return [
        InstructorRow(
            workload=workload_of(t), sessions=t.session_count, last_contact=t.last_contact
        )
        for t in trainers
    ]


# --- students ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StudentDistribution:
    """How the students (``User.objects.students()``) are spread.

    By individual instructor: with or without an active individual assignment, and the
    assigned ones by assignment type. By enrollment (active enrollments only): in at least
    one batch, individual (self-paced) enrollments only, or no active enrollment.
    """

    students: int
    with_instructor: int
    by_type: dict[str, int]  # assignment type -> students, every type present
    in_batch: int
    individual_only: int
    not_enrolled: int

    @property
    def without_instructor(self) -> int:
        return self.students - self.with_instructor

    def rows(self) -> list[tuple[str, str, int, float | None]]:
        """(group, category, students, percent of all students) for the page and the CSV."""
        instructor, by_type, enrollment = "Individual instructor", "Assignment type", "Enrollment"
        counts = [
            (instructor, gettext("With an instructor"), self.with_instructor),
            (instructor, gettext("Without an instructor"), self.without_instructor),
            *((by_type, label, self.by_type[value]) for value, label in AssignmentType.choices),
            (enrollment, gettext("In a batch"), self.in_batch),
            (enrollment, gettext("Individual enrollment only"), self.individual_only),
            (enrollment, gettext("No active enrollment"), self.not_enrolled),
        ]
        return [
            (group, category, n, _percent(_ratio(n, self.students)))
            for group, category, n in counts
        ]


def student_distribution() -> StudentDistribution:
    """Students counted by individual instructor and by enrollment; four aggregate queries.

    Each figure is counted where its rows are, not by probing every student: the learners
    (the partial index ``user_learners``), the active enrollments (``enrollment_active_student``
    read alone) and the current assignments. The rows of users who are not students (staff
    and instructors, few) are counted apart and taken away, or left out as a small hashed
    set, rather than joining every row to its user: at 100,000 students the joins took 50 ms,
    these counts 10 (bench/dashboards.py). A student with an active enrollment is in a batch
    when any of them names one, otherwise enrolled individually only; ``not_enrolled`` is
    everyone else.
    """
    others = User.objects.non_students()
    students = User.objects.students().count()
    active = Enrollment.objects.filter(status=EnrollmentStatus.ACTIVE)
    counts = {
        "any": Count("student", distinct=True),
        "in_batch": Count("student", distinct=True, filter=Q(batch__isnull=False)),
    }
    everyone = active.aggregate(**counts)
    outsiders = active.filter(student__in=others).aggregate(**counts)
    enrolled = {name: everyone[name] - outsiders[name] for name in counts}
    # At most one current assignment per student (a partial unique index).
    by_type = dict.fromkeys(AssignmentType.values, 0) | dict(
        IndividualAssignment.objects.filter(ended_at__isnull=True)
        .exclude(student__in=others)
        .values_list("assignment_type")
        .annotate(n=Count("*"))
        .order_by()
    )
    figures = {
        "students": students,
        "with_instructor": sum(by_type.values()),
        "in_batch": enrolled["in_batch"],
        "individual_only": enrolled["any"] - enrolled["in_batch"],
        "not_enrolled": students - enrolled["any"],
    }
    figures |= {f"type_{value}": n for value, n in by_type.items()}
    return StudentDistribution(
        students=figures["students"],
        with_instructor=figures["with_instructor"],
        by_type={value: figures[f"type_{value}"] for value in AssignmentType.values},
        in_batch=figures["in_batch"],
        individual_only=figures["individual_only"],
        not_enrolled=figures["not_enrolled"],
    )
