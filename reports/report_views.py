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
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from accounts.access import admin_required
from accounts.models import User
from allocation.filters import TrainerWorkloadFilter
from allocation.models import BatchStatus, Course
from allocation.selectors import course_choices, mentor_coverage
from core.replica import replica_reads
from core.web import csv_response, paginate, wants_csv
from core.widgets import LongSelect

from . import quality as quality_figures
from . import reports, tables


def _cell(value):
    """A figure for a CSV cell: undefined rates (None) are left empty."""
    return "" if value is None else value


def _csv(filename: str, table: tables.Table):
    return csv_response(filename, table.header, ([_cell(v) for v in row] for row in table.rows))


@admin_required
@require_GET
@replica_reads
def index(request):
    """The headline figures of every course together, the students' distribution and links
    to each report; ``?format=csv`` downloads the headline figures."""
    if wants_csv(request):
        return _csv("report-overview.csv", tables.overview_table())
    course_count = Course.objects.count()
    overall = reports.platform_figures()
    # The students and how many have an instructor: the distribution's first figures,
    # without its enrollment counts, which the overview does not show.
    coverage = mentor_coverage()
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
@replica_reads
def courses(request):
    """Per course: batches, seats and enrollment outcomes, paginated, with the totals of
    every course (CSV with ?format=csv: every course)."""
    courses = reports.course_report()
    if wants_csv(request):
        return _csv("report-courses.csv", tables.courses_table())
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
        empty_label=gettext_lazy("Any course"),
        widget=LongSelect,
    )
    status = forms.ChoiceField(
        choices=[("", gettext_lazy("Any status")), *BatchStatus.choices], required=False
    )


@admin_required
@require_GET
@replica_reads
def batches(request):
    """Per batch, filtered by course and status, paginated (CSV: every filtered batch)."""
    form = BatchReportFilter(request.GET)
    form.is_valid()  # cleaned_data holds the valid filters only
    filters = {name: value for name, value in form.cleaned_data.items() if value}
    batches = reports.batch_report(**filters)
    if wants_csv(request):
        return _csv("report-batches.csv", tables.batches_table(**filters))
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
@replica_reads
def instructors(request):
    """Per active instructor: batches, students, weekly hours, mentoring sessions and last
    contact, paginated (CSV with ?format=csv: every instructor)."""
    trainers = reports.instructor_report()
    if wants_csv(request):
        return _csv("report-instructors.csv", tables.instructors_table())
    page = paginate(request, trainers)
    return render(
        request,
        "reports/report_instructors.html",
        {"page": page, "rows": reports.instructor_rows(page), "tab": "instructors"},
    )


@admin_required
@require_GET
@replica_reads
def students(request):
    """How students are spread by individual instructor and by enrollment (CSV too)."""
    if wants_csv(request):
        return _csv("report-students.csv", tables.students_table())
    return render(
        request,
        "reports/report_students.html",
        {"distribution": reports.student_distribution(), "tab": "students"},
    )


@admin_required
@require_GET
def quality(request):
    """Per trainer: attendance rate of their sessions, satisfaction, completion rate of their
    batches, mentoring contact and logging delay, each with its definition; filtered by name,
    status and course roster, paginated (CSV with ?format=csv: every filtered trainer)."""
    trainers = User.objects.instructors().select_related("trainer_profile")
    filterset = TrainerWorkloadFilter(request.GET, queryset=trainers)
    # An invalid filter is shown as an error and not applied.
    trainers = (filterset.qs if filterset.is_valid() else trainers).order_by(
        "full_name", "email", "pk"
    )
    if wants_csv(request):
        rows = quality_figures.quality_rows(list(trainers))
        return csv_response(
            "report-trainer-quality.csv",
            quality_figures.QUALITY_HEADER,
            ([_cell(v) for v in row] for row in quality_figures.quality_csv_rows(rows)),
        )
    page = paginate(request, trainers)
    return render(
        request,
        "reports/report_quality.html",
        {
            "filter": filterset,
            "page": page,
            "rows": quality_figures.quality_rows(list(page)),
            "definitions": quality_figures.DEFINITIONS,
            "tab": "quality",
        },
    )


urlpatterns = [
    path("", index, name="index"),
    path("courses/", courses, name="courses"),
    path("batches/", batches, name="batches"),
    path("instructors/", instructors, name="instructors"),
    path("students/", students, name="students"),
    path("quality/", quality, name="quality"),
]
