"""Console: mentors and the other individual assignments of students.

Each view checks access with a decorator, fetches what it works on, parses a form and calls
one service or selector; a service's refusal (``DomainError``) is shown on the form and the
page re-renders with status 200. The rules themselves live in ``services``, ``selectors``
and ``eligibility``.
"""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.access import admin_required
from accounts.models import User
from allocation import selectors, services
from allocation.filters import MentorFilter
from allocation.forms import (
    MentorAssignForm,
    MentorReassignForm,
    MentorUnassignForm,
    StudentNeedsForm,
)
from allocation.models import AssignmentType, StudentNeeds
from core.errors import DomainError
from core.web import csv_response, paginate, wants_csv

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
    if wants_csv(request):
        rows = (
            [
                s.display_name,
                s.email,
                s.instructor_name or s.instructor_email or "",
                s.instructor_email or "",
                AssignmentType(s.assignment_type).label if s.assignment_type else "",
                s.assignment_start.isoformat() if s.assignment_start else "",
            ]
            for s in filterset.qs
        )
        return csv_response("mentors.csv", MENTOR_CSV_HEADER, rows)
    return render(
        request,
        "allocation/mentor_list.html",
        {"filter": filterset, "page": paginate(request, filterset.qs)},
    )


def _get_student(pk: int) -> User:
    return get_object_or_404(User.objects.students(), pk=pk)


def _mentor_page(request, student: User, **bound_forms):
    """The student's assignment page; a form that failed comes in bound, the others empty."""
    history = list(selectors.student_assignment_history(student))
    current = next((a for a in history if a.is_active), None)
    needs = StudentNeeds.objects.filter(student=student).prefetch_related("skills").first()
    candidates = selectors.mentor_candidates(student)
    forms = {
        "needs_form": StudentNeedsForm(prefix="needs", initial=StudentNeedsForm.initial_of(needs)),
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
            "needs": needs,
            "candidates": candidates,
            "eligible_count": sum(c.eligible for c in candidates),
            "reference_week": selectors.reference_week(),
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
                gettext("%(instructor)s is now the %(assignment_type)s of %(student)s.")
                % {
                    "instructor": assignment.instructor.display_name,
                    "assignment_type": assignment.assignment_type,
                    "student": student.display_name,
                },
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
                gettext(
                    "%(student)s now has %(instructor)s as %(assignment_type)s; the previous "
                    "assignment is kept as history."
                )
                % {
                    "student": student.display_name,
                    "instructor": assignment.instructor.display_name,
                    "assignment_type": assignment.assignment_type,
                },
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
                request,
                gettext("%(instructor)s is no longer assigned to %(student)s.")
                % {"instructor": ended.instructor.display_name, "student": student.display_name},
            )
            return redirect("console:mentor_assign", student_pk=student.pk)
    return _mentor_page(request, student, unassign_form=form)


@admin_required
@require_POST
def student_needs_edit(request, student_pk: int):
    """Record what the student needs of a mentor (skills, languages, preferred times)."""
    student = _get_student(student_pk)
    form = StudentNeedsForm(request.POST, prefix="needs")
    if form.is_valid():
        try:
            services.student_needs_set(
                student=student, updated_by=request.user, **form.cleaned_data
            )
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(
                request, _("The needs of %(name)s are saved.") % {"name": student.display_name}
            )
            return redirect("console:mentor_assign", student_pk=student.pk)
    return _mentor_page(request, student, needs_form=form)
