"""Pages of the admin console and of the instructor's dashboard.

Each view checks access with a decorator, fetches what it works on, parses a form and calls
one service or selector; a service's refusal (``DomainError``) is shown on the form and the
page re-renders with status 200. The rules themselves live in ``services`` and ``selectors``.
"""

import csv
from collections.abc import Iterable, Sequence

from django.contrib import messages
from django.core.paginator import Page, Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from medh.accounts.access import admin_required, instructor_required
from medh.accounts.models import User
from medh.errors import DomainError

from . import selectors, services
from .filters import BatchFilter, MentorFilter, TrainerWorkloadFilter
from .forms import (
    BatchAssignInstructorForm,
    MentorAssignForm,
    MentoringSessionForm,
    MentorReassignForm,
    MentorUnassignForm,
)
from .models import Batch, IndividualAssignment

PAGE_SIZE = 25


def _page(request, items) -> Page:
    return Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))


def _wants_csv(request) -> bool:
    return request.GET.get("format") == "csv"


def _csv_cell(value) -> object:
    # A text cell starting with one of these is a formula to a spreadsheet (CSV injection).
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value


def _csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_csv_cell(value) for value in row])
    return response


def _name(user: User | None) -> str:
    if user is None:
        return ""
    return user.full_name or user.email


# --- console: workload ---------------------------------------------------------------------


WORKLOAD_CSV_HEADER = [
    "Instructor",
    "Email",
    "Status",
    "Active batches",
    "Cap",
    "Individual students",
    "Students across batches",
    "Weekly hours",
    "Fill rate %",
]


@admin_required
@require_GET
def dashboard(request):
    """Every instructor's workload, filterable by status; ``?format=csv`` downloads it."""
    filterset = TrainerWorkloadFilter(request.GET, queryset=User.objects.instructors())
    trainers = selectors.trainers_with_workload(filterset.qs)
    if _wants_csv(request):
        rows = (
            [
                _name(w.trainer),
                w.trainer.email,
                w.status,
                w.active_batches,
                w.max_active_batches,
                w.individual_students,
                w.batch_students,
                w.weekly_hours,
                "" if w.fill_rate is None else round(w.fill_rate * 100, 1),
            ]
            for w in map(selectors.workload_of, trainers)
        )
        return _csv_response("instructor-workload.csv", WORKLOAD_CSV_HEADER, rows)
    page = _page(request, trainers)
    return render(
        request,
        "allocation/dashboard.html",
        {
            "filter": filterset,
            "page": page,
            "workloads": [selectors.workload_of(t) for t in page],
        },
    )


# --- console: batches ----------------------------------------------------------------------


BATCH_CSV_HEADER = [
    "Code",
    "Name",
    "Course",
    "Status",
    "Start date",
    "End date",
    "Instructor",
    "Instructor email",
    "Enrolled",
    "Capacity",
]


@admin_required
@require_GET
def batch_list(request):
    """Batches with their fill, filterable; ``?format=csv`` downloads the filtered list."""
    filterset = BatchFilter(request.GET, queryset=selectors.batch_list())
    if _wants_csv(request):
        rows = (
            [
                b.batch_code,
                b.batch_name,
                b.course.code,
                b.status,
                b.start_date.isoformat(),
                b.end_date.isoformat(),
                _name(b.assigned_instructor),
                b.assigned_instructor.email,
                b.enrolled_students,
                b.capacity,
            ]
            for b in filterset.qs
        )
        return _csv_response("batches.csv", BATCH_CSV_HEADER, rows)
    return render(
        request,
        "allocation/batch_list.html",
        {"filter": filterset, "page": _page(request, filterset.qs)},
    )


def _get_batch(pk: int) -> Batch:
    return get_object_or_404(
        Batch.objects.select_related("course", "assigned_instructor", "created_by"), pk=pk
    )


@admin_required
@require_GET
def batch_detail(request, pk: int):
    batch = _get_batch(pk)
    return render(
        request,
        "allocation/batch_detail.html",
        {
            "batch": batch,
            "slots": batch.schedule.all(),
            "staff": selectors.batch_current_staff(batch),
            "history": selectors.batch_staff_history(batch),
            "roster": selectors.batch_roster(batch),
        },
    )


@admin_required
@require_http_methods(["GET", "POST"])
def batch_assign_instructor(request, pk: int):
    """Pick the batch's primary instructor among candidates shown with their workload."""
    batch = _get_batch(pk)
    form = BatchAssignInstructorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        instructor = form.cleaned_data["instructor"]
        try:
            services.batch_assign_instructor(
                batch=batch, instructor=instructor, assigned_by=request.user
            )
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(
                request, f"{_name(instructor)} is now the instructor of {batch.batch_code}."
            )
            return redirect("console:batch_detail", pk=batch.pk)
    return render(
        request,
        "allocation/batch_assign_instructor.html",
        {"batch": batch, "form": form, "candidates": selectors.batch_candidates(batch)},
    )


# --- console: individual assignments --------------------------------------------------------


MENTOR_CSV_HEADER = [
    "Student",
    "Student email",
    "Instructor",
    "Instructor email",
    "Type",
    "Start date",
]


@admin_required
@require_GET
def mentor_list(request):
    """Students and their individually assigned instructor; ``?format=csv`` downloads it."""
    filterset = MentorFilter(request.GET, queryset=selectors.students_with_instructors())
    if _wants_csv(request):
        rows = (
            [
                _name(s),
                s.email,
                s.instructor_name or s.instructor_email or "",
                s.instructor_email or "",
                s.assignment_type or "",
                s.assignment_start.isoformat() if s.assignment_start else "",
            ]
            for s in filterset.qs
        )
        return _csv_response("mentors.csv", MENTOR_CSV_HEADER, rows)
    return render(
        request,
        "allocation/mentor_list.html",
        {"filter": filterset, "page": _page(request, filterset.qs)},
    )


def _get_student(pk: int) -> User:
    return get_object_or_404(User.objects.students(), pk=pk)


def _mentor_page(request, student: User, **bound_forms):
    """The student's assignment page; a form that failed comes in bound, the others empty."""
    history = list(selectors.student_assignment_history(student))
    current = next((a for a in history if a.is_active), None)
    forms = {
        "assign_form": MentorAssignForm(prefix="assign"),
        "reassign_form": MentorReassignForm(prefix="reassign"),
        "unassign_form": MentorUnassignForm(prefix="unassign"),
        **bound_forms,
    }
    return render(
        request,
        "allocation/mentor_assign.html",
        {
            "student": student,
            "current": current,
            "history": history,
            "workloads": selectors.trainer_workloads(),
            **forms,
        },
    )


@admin_required
@require_GET
def mentor_assign(request, student_pk: int):
    return _mentor_page(request, _get_student(student_pk))


@admin_required
@require_POST
def mentor_assign_submit(request, student_pk: int):
    student = _get_student(student_pk)
    form = MentorAssignForm(request.POST, prefix="assign")
    if form.is_valid():
        try:
            assignment = services.individual_assign(
                student=student,
                assigned_by=request.user,
                instructor=form.cleaned_data["instructor"],
                assignment_type=form.cleaned_data["assignment_type"],
                notes=form.cleaned_data["notes"],
            )
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(
                request,
                f"{_name(assignment.instructor)} is now the {assignment.assignment_type} "
                f"of {_name(student)}.",
            )
            return redirect("console:mentor_assign", student_pk=student.pk)
    return _mentor_page(request, student, assign_form=form)


@admin_required
@require_POST
def mentor_reassign(request, student_pk: int):
    student = _get_student(student_pk)
    form = MentorReassignForm(request.POST, prefix="reassign")
    if form.is_valid():
        try:
            assignment = services.individual_reassign(
                student=student, assigned_by=request.user, **form.service_kwargs()
            )
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(
                request,
                f"{_name(student)} now has {_name(assignment.instructor)} as "
                f"{assignment.assignment_type}; the previous assignment is kept as history.",
            )
            return redirect("console:mentor_assign", student_pk=student.pk)
    return _mentor_page(request, student, reassign_form=form)


@admin_required
@require_POST
def mentor_unassign(request, student_pk: int):
    student = _get_student(student_pk)
    form = MentorUnassignForm(request.POST, prefix="unassign")
    if form.is_valid():
        try:
            ended = services.individual_unassign(
                student=student, ended_by=request.user, reason=form.cleaned_data["reason"]
            )
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(
                request, f"{_name(ended.instructor)} is no longer assigned to {_name(student)}."
            )
            return redirect("console:mentor_assign", student_pk=student.pk)
    return _mentor_page(request, student, unassign_form=form)


# --- instructor pages ------------------------------------------------------------------------


@instructor_required
@require_GET
def instructor_dashboard(request):
    """The instructor's current batch roles and a summary of their mentees."""
    mentees = selectors.mentoring_report(request.user)
    return render(
        request,
        "allocation/instructor_dashboard.html",
        {
            "roles": selectors.instructor_batches(request.user),
            "mentees": mentees,
            "stale_count": sum(row.stale for row in mentees),
            "stale_days": selectors.STALE_CONTACT_DAYS,
        },
    )


@instructor_required
@require_GET
def instructor_mentees(request):
    return render(
        request,
        "allocation/instructor_mentees.html",
        {
            "rows": selectors.mentoring_report(request.user),
            "stale_days": selectors.STALE_CONTACT_DAYS,
        },
    )


@instructor_required
@require_http_methods(["GET", "POST"])
def session_log(request, assignment_pk: int):
    """Log a mentoring session; only for the instructor's own assignments (others: 404)."""
    assignment = get_object_or_404(
        IndividualAssignment.objects.select_related("student"),
        pk=assignment_pk,
        instructor=request.user,
    )
    form = MentoringSessionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.mentoring_session_log(
                assignment=assignment, logged_by=request.user, **form.cleaned_data
            )
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(request, f"Session with {_name(assignment.student)} logged.")
            return redirect("instructor:mentees")
    return render(request, "allocation/session_log.html", {"assignment": assignment, "form": form})
