"""Console: courses, their rosters and their staffing matrix.

Each view checks access with a decorator, fetches what it works on, parses a form and calls
one service or selector; a service's refusal (``DomainError``) is shown on the form and the
page re-renders with status 200. The rules themselves live in ``services``, ``selectors``
and ``eligibility``.
"""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import admin_required
from accounts.models import User
from allocation import selectors, services
from allocation.filters import CourseFilter
from allocation.forms import (
    STAFFING_REMOVE,
    BatchStaffingForm,
    RosterAddForm,
    RosterEntryForm,
    SupervisingLeadForm,
)
from allocation.models import Batch, CourseTrainer, StaffRole
from allocation.views.batches import get_batch
from core.errors import DomainError
from core.web import csv_response, paginate, wants_csv


def _get_course(pk: int):
    return get_object_or_404(selectors.courses_with_figures(), pk=pk)


@admin_required
@require_GET
def course_list(request):
    """Courses with their batches, seats and roster in figures (CSV with ?format=csv)."""
    filterset = CourseFilter(request.GET, queryset=selectors.courses_with_figures())
    courses = filterset.qs
    if wants_csv(request):
        return csv_response(
            "courses.csv",
            (
                "Code",
                "Title",
                "Batches",
                "Open batches",
                "Enrolled",
                "Capacity",
                "Roster size",
                "Roster workload %",
            ),
            (
                (
                    c.code,
                    c.title,
                    c.batch_count,
                    c.open_batch_count,
                    c.enrolled_total,
                    c.capacity_total,
                    c.roster_size,
                    c.roster_workload,
                )
                for c in courses
            ),
        )
    return render(
        request,
        "allocation/course_list.html",
        {"filter": filterset, "page": paginate(request, courses)},
    )


@admin_required
@require_GET
def course_detail(request, pk: int):
    """Course overview: batches with their fill, the roster with each trainer's batches."""
    course = _get_course(pk)
    roster = selectors.course_trainers(course)
    return render(
        request,
        "allocation/course_detail.html",
        {
            "course": course,
            "batches": selectors.course_batches(course),
            "roster": roster,
            "workload_total": selectors.roster_workload(entry for entry, _ in roster),
        },
    )


def _roster_page(request, course, add_form: RosterAddForm | None = None):
    roster = selectors.course_trainers(course)
    return render(
        request,
        "allocation/course_roster.html",
        {
            "course": course,
            "rows": [(entry, roles, RosterEntryForm.for_entry(entry)) for entry, roles in roster],
            "workload_total": selectors.roster_workload(entry for entry, _ in roster),
            "add_form": add_form or RosterAddForm(),
        },
    )


@admin_required
@require_http_methods(["GET", "POST"])
def course_roster(request, pk: int):
    """The course's roster, each entry editable in its row; the form adds a trainer."""
    course = _get_course(pk)
    form = RosterAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            entry = services.roster_add(course=course, **form.cleaned_data)
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(
                request,
                gettext(
                    "%(trainer)s joined the roster of %(course_code)s as %(role)s "
                    "(%(workload_percent)s%%)."
                )
                % {
                    "trainer": entry.trainer.display_name,
                    "course_code": course.code,
                    "role": entry.get_role_display().lower(),
                    "workload_percent": entry.workload_percent,
                },
            )
            return redirect("console:course_roster", pk=course.pk)
    return _roster_page(request, course, add_form=form)


def _get_roster_entry(entry_pk: int) -> CourseTrainer:
    return get_object_or_404(CourseTrainer.objects.select_related("course", "trainer"), pk=entry_pk)


@admin_required
@require_http_methods(["GET", "POST"])
def roster_entry_edit(request, entry_pk: int):
    """Change a roster entry's role, workload share or status."""
    entry = _get_roster_entry(entry_pk)
    form = RosterEntryForm.for_entry(entry, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.roster_update(entry=entry, **form.cleaned_data)
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(
                request,
                gettext("Roster entry of %(trainer)s in %(course_code)s saved.")
                % {"trainer": entry.trainer.display_name, "course_code": entry.course.code},
            )
            return redirect("console:course_roster", pk=entry.course_id)
    return render(request, "allocation/roster_entry_edit.html", {"entry": entry, "form": form})


@admin_required
@require_POST
def roster_entry_remove(request, entry_pk: int):
    """Take a trainer off the roster; a refusal comes back as an error message."""
    entry = _get_roster_entry(entry_pk)
    try:
        services.roster_remove(entry=entry)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            gettext("%(trainer)s is no longer on the roster of %(course_code)s.")
            % {"trainer": entry.trainer.display_name, "course_code": entry.course.code},
        )
    return redirect("console:course_roster", pk=entry.course_id)


def _staffing_page(
    request,
    course,
    *,
    staffing_form: BatchStaffingForm | None = None,
    lead_form: SupervisingLeadForm | None = None,
    lead_batch: Batch | None = None,
):
    return render(
        request,
        "allocation/course_staffing.html",
        {
            "course": course,
            "matrix": selectors.course_staffing_matrix(course),
            "staffing_form": staffing_form or BatchStaffingForm(course=course),
            "lead_form": lead_form,
            "lead_batch": lead_batch,
        },
    )


def _change_staffing(*, batch: Batch, trainer: User, action: str, by: User) -> str:
    """Call the one service ``action`` names; return what to tell the admin."""
    if action == StaffRole.PRIMARY:
        services.batch_assign_instructor(batch=batch, instructor=trainer, assigned_by=by)
        return f"{trainer.display_name} is now the primary of {batch.batch_code}."
    if action == STAFFING_REMOVE:
        services.batch_staff_remove(batch=batch, trainer=trainer, removed_by=by)
        return f"{trainer.display_name} no longer staffs {batch.batch_code}."
    row = services.batch_staff_add(batch=batch, trainer=trainer, role=action, added_by=by)
    return f"{trainer.display_name} is now {row.get_role_display().lower()} of {batch.batch_code}."


@admin_required
@require_http_methods(["GET", "POST"])
def course_staffing(request, pk: int):
    """Batches × roster trainers with each one's role; the form changes one role."""
    course = _get_course(pk)
    form = BatchStaffingForm(request.POST or None, course=course)
    if request.method == "POST" and form.is_valid():
        try:
            done = _change_staffing(**form.cleaned_data, by=request.user)
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(request, done)
            return redirect("console:course_staffing", pk=course.pk)
    return _staffing_page(request, course, staffing_form=form)


@admin_required
@require_POST
def batch_supervising_lead(request, pk: int):
    """Name (or clear) the lead who supervises a batch, from the staffing page."""
    batch = get_batch(pk)
    form = SupervisingLeadForm(request.POST)
    if form.is_valid():
        lead = form.cleaned_data["lead"]
        try:
            services.batch_set_supervising_lead(batch=batch, lead=lead)
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(
                request,
                gettext("%(lead)s supervises %(batch_code)s.")
                % {"lead": lead.display_name, "batch_code": batch.batch_code}
                if lead
                else gettext("%(batch_code)s has no supervising lead now.")
                % {"batch_code": batch.batch_code},
            )
            return redirect("console:course_staffing", pk=batch.course_id)
    course = _get_course(batch.course_id)
    return _staffing_page(request, course, lead_form=form, lead_batch=batch)
