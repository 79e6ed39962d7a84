"""The reports as tables (a header and rows of plain values), shared by the console's CSV
downloads (``report_views``) and the JSON API (``reports.api``), so a column is defined once.

Each ``*_table`` takes the report's filters and returns a ``Table``; figures come from
``reports.reports`` and the allocation selectors. Undefined rates are None.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from accounts.models import User
from allocation.models import Course
from allocation.selectors import mentor_coverage, mentoring_report

from . import reports


@dataclass(frozen=True)
class Table:
    header: list[str]
    rows: Iterable[Sequence]

    @property
    def keys(self) -> list[str]:
        """The header as JSON keys: "Fill rate %" → "fill_rate_percent"."""
        return [key_of(name) for name in self.header]


def key_of(name: str) -> str:
    name = name.replace("%", "percent")
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def _name(user) -> str:
    return user.display_name if user else ""


FIGURES_HEADER = [
    "Capacity",
    "Enrolled",
    "Fill rate %",
    "Completed",
    "Cancelled",
    "Expired",
    "Completion rate %",
    "Waitlist",
]


def _figures(row: reports.Figures) -> list:
    return [
        row.capacity,
        row.enrolled,
        row.fill_percent,
        row.completed,
        row.cancelled,
        row.expired,
        row.completion_percent,
        row.waitlist,
    ]


def overview_table() -> Table:
    """The headline figures of every course together: (figure, value) rows."""
    overall = reports.platform_figures()
    coverage = mentor_coverage()
    return Table(
        ["Figure", "Value"],
        [
            ("Courses", Course.objects.count()),
            ("Seats in open batches", overall.capacity),
            ("Enrolled", overall.enrolled),
            ("Free seats", overall.free_seats),
            ("Fill rate %", overall.fill_percent),
            ("Completed enrollments", overall.completed),
            ("Cancellations", overall.cancelled),
            ("Expired enrollments", overall.expired),
            ("Completion rate %", overall.completion_percent),
            ("Waitlist", overall.waitlist),
            ("Students", coverage.students),
            ("Students with an individual instructor", coverage.mentored),
            ("Students without an individual instructor", coverage.unassigned),
        ],
    )


def courses_table() -> Table:
    return Table(
        ["Code", "Title", "Batches", "Open batches", *FIGURES_HEADER],
        (
            [r.course.code, r.course.title, r.batches, r.open_batches, *_figures(r)]
            for r in reports.course_rows(reports.course_report())
        ),
    )


def batches_table(*, course: Course | None = None, status: str | None = None) -> Table:
    return Table(
        [
            "Code",
            "Name",
            "Course",
            "Status",
            "Start date",
            "End date",
            "Instructor",
            *FIGURES_HEADER,
        ],
        (
            [
                r.batch.batch_code,
                r.batch.batch_name,
                r.batch.course.code,
                r.batch.status,
                r.batch.start_date.isoformat(),
                r.batch.end_date.isoformat(),
                _name(r.batch.assigned_instructor),
                *_figures(r),
            ]
            for r in reports.batch_rows(reports.batch_report(course=course, status=status))
        ),
    )


def instructors_table() -> Table:
    return Table(
        [
            "Instructor",
            "Email",
            "Open batches",
            "Students across batches",
            "Individual students",
            "Weekly hours",
            "Mentoring sessions",
            "Last contact",
        ],
        (
            [
                _name(r.trainer),
                r.trainer.email,
                r.workload.active_batches,
                r.workload.batch_students,
                r.workload.individual_students,
                r.workload.weekly_hours,
                r.sessions,
                r.last_contact.isoformat() if r.last_contact else "",
            ]
            for r in reports.instructor_rows(reports.instructor_report())
        ),
    )


def students_table() -> Table:
    return Table(
        ["Group", "Category", "Students", "Share %"],
        reports.student_distribution().rows(),
    )


def mentoring_table(*, instructor: User | None = None, today: dt.date | None = None) -> Table:
    """Active individual assignments (of one instructor, or all) with their session figures
    and their 1:1 bookings, booked against held."""
    return Table(
        [
            "Instructor",
            "Student",
            "Type",
            "Since",
            "Sessions",
            "Minutes",
            "Last contact",
            "Days since contact",
            "Stale",
            "Booked",
            "Held",
        ],
        (
            [
                _name(r.assignment.instructor),
                _name(r.assignment.student),
                r.assignment.assignment_type,
                r.assignment.start_date.isoformat(),
                r.sessions,
                r.minutes,
                r.last_contact.isoformat() if r.last_contact else "",
                r.days_since_contact,
                r.stale,
                r.booked,
                r.held,
            ]
            for r in mentoring_report(instructor, today=today)
        ),
    )
