"""The reports of the admin console, at ``/console/reports/`` (namespace ``reports``).

An overview with the headline figures, then one page per report: courses (paginated, with
the totals of every course), batches (filtered by course and status, paginated), instructors
(paginated) and the students' distribution. Every page downloads as CSV with ``?format=csv``
and the same filters; a CSV holds every row, not one page. The figures and their definitions
live in ``reports.reports``; these views only parse the filters and render.
"""

from django import forms
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_GET

from accounts.access import admin_required
from allocation.models import BatchStatus, Course
from allocation.selectors import course_choices, mentor_coverage
from core.web import csv_response, paginate, wants_csv
from core.widgets import LongSelect

from . import reports


def _name(user) -> str:
    return user.display_name if user else ""


def _cell(value):
    """A figure for a CSV cell: undefined rates (None) are left empty."""
    return "" if value is None else value


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
        _cell(row.fill_percent),
        row.completed,
        row.cancelled,
        row.expired,
        _cell(row.completion_percent),
        row.waitlist,
    ]


@admin_required
@require_GET
def index(request):
    """The headline figures of every course together, the students' distribution and links
    to each report; ``?format=csv`` downloads the headline figures."""
    course_count = Course.objects.count()
    overall = reports.platform_figures()
    # The students and how many have an instructor: the distribution's first figures,
    # without its enrollment counts, which the overview does not show.
    coverage = mentor_coverage()
    if wants_csv(request):
        headline = [
            ("Courses", course_count),
            ("Seats in open batches", overall.capacity),
            ("Enrolled", overall.enrolled),
            ("Free seats", overall.free_seats),
            ("Fill rate %", _cell(overall.fill_percent)),
            ("Completed enrollments", overall.completed),
            ("Cancellations", overall.cancelled),
            ("Expired enrollments", overall.expired),
            ("Completion rate %", _cell(overall.completion_percent)),
            ("Waitlist", overall.waitlist),
            ("Students", coverage.students),
            ("Students with an individual instructor", coverage.mentored),
            ("Students without an individual instructor", coverage.unassigned),
        ]
        return csv_response("report-overview.csv", ["Figure", "Value"], headline)
    return render(
        request,
        "reports/report_index.html",
        {
            "course_count": course_count,
            "overall": overall,
            "coverage": coverage,
            "tab": "index",
        },
    )


@admin_required
@require_GET
def courses(request):
    """Per course: batches, seats and enrollment outcomes, paginated, with the totals of
    every course (CSV with ?format=csv: every course)."""
    courses = reports.course_report()
    if wants_csv(request):
        return csv_response(
            "report-courses.csv",
            ["Code", "Title", "Batches", "Open batches", *FIGURES_HEADER],
            (
                [r.course.code, r.course.title, r.batches, r.open_batches, *_figures(r)]
                for r in reports.course_rows(courses)
            ),
        )
    page = paginate(request, courses)
    return render(
        request,
        "reports/report_courses.html",
        {
            "page": page,
            "rows": reports.course_rows(page),
            "overall": reports.platform_figures(),
            "tab": "courses",
        },
    )


class BatchReportFilter(forms.Form):
    """The batch report's filters; an invalid value is shown as an error and not applied."""

    course = forms.ModelChoiceField(
        queryset=course_choices(),
        required=False,
        empty_label="Any course",
        widget=LongSelect,
    )
    status = forms.ChoiceField(choices=[("", "Any status"), *BatchStatus.choices], required=False)


@admin_required
@require_GET
def batches(request):
    """Per batch, filtered by course and status, paginated (CSV: every filtered batch)."""
    form = BatchReportFilter(request.GET)
    form.is_valid()  # cleaned_data holds the valid filters only
    filters = {name: value for name, value in form.cleaned_data.items() if value}
    batches = reports.batch_report(**filters)
    if wants_csv(request):
        return csv_response(
            "report-batches.csv",
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
                for r in reports.batch_rows(batches)
            ),
        )
    page = paginate(request, batches)
    return render(
        request,
        "reports/report_batches.html",
        {
            # The shared filter form template reads ``filter.form``.
            "filter": {"form": form},
            "page": page,
            "rows": reports.batch_rows(page),
            "tab": "batches",
        },
    )


@admin_required
@require_GET
def instructors(request):
    """Per active instructor: batches, students, weekly hours, mentoring sessions and last
    contact, paginated (CSV with ?format=csv: every instructor)."""
    trainers = reports.instructor_report()
    if wants_csv(request):
        return csv_response(
            "report-instructors.csv",
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
                for r in reports.instructor_rows(trainers)
            ),
        )
    page = paginate(request, trainers)
    return render(
        request,
        "reports/report_instructors.html",
        {"page": page, "rows": reports.instructor_rows(page), "tab": "instructors"},
    )


@admin_required
@require_GET
def students(request):
    """How students are spread by individual instructor and by enrollment (CSV too)."""
    distribution = reports.student_distribution()
    if wants_csv(request):
        rows = distribution.rows()
        return csv_response(
            "report-students.csv",
            ["Group", "Category", "Students", "Share %"],
            ([group, category, n, _cell(share)] for group, category, n, share in rows),
        )
    return render(
        request,
        "reports/report_students.html",
        {"distribution": distribution, "tab": "students"},
    )


urlpatterns = [
    path("", index, name="index"),
    path("courses/", courses, name="courses"),
    path("batches/", batches, name="batches"),
    path("instructors/", instructors, name="instructors"),
    path("students/", students, name="students"),
]
