"""Pages of the admin console and of the instructor's dashboard.

Each view checks access with a decorator, fetches what it works on, parses a form and calls
one service or selector; a service's refusal (``DomainError``) is shown on the form and the
page re-renders with status 200. The rules themselves live in ``services`` and ``selectors``.
"""

from django.contrib import messages
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import admin_required, instructor_required
from accounts.models import User
from core import dates
from core.errors import DomainError
from core.web import csv_response, paginate, wants_csv
from trainers import services as trainer_services
from trainers.models import TrainerLeave

from . import eligibility, selectors, services
from .filters import (
    BatchFilter,
    CourseFilter,
    LeaveFilter,
    MentorFilter,
    TrainerWorkloadFilter,
)
from .forms import (
    STAFFING_REMOVE,
    AvailabilityFormSet,
    BatchAssignInstructorForm,
    BatchConflictQueryForm,
    BatchForm,
    BatchNoteForm,
    BatchStaffingForm,
    CoverAssignForm,
    LeaveForm,
    MentorAssignForm,
    MentoringSessionForm,
    MentorReassignForm,
    MentorUnassignForm,
    RosterAddForm,
    RosterEntryForm,
    ScheduleFormSet,
    SupervisingLeadForm,
)
from .models import (
    OPEN_BATCH_STATUSES,
    TEACHING_ROLES,
    Batch,
    CourseTrainer,
    IndividualAssignment,
    StaffRole,
)
from .services import Slot


def _name(user: User | None) -> str:
    if user is None:
        return ""
    return user.display_name


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


# The fill-rate chart shows this many open batches, the fullest first.
FILL_CHART_SIZE = 20


@admin_required
@require_GET
def dashboard(request):
    """Every instructor's workload with flags (over cap, leave with uncovered sessions,
    mentees without contact) and charts; filterable by name, status, course roster and role;
    ``?format=csv`` downloads the figures."""
    filterset = TrainerWorkloadFilter(request.GET, queryset=User.objects.instructors())
    trainers = selectors.trainers_with_workload(filterset.qs)
    if wants_csv(request):
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
        return csv_response("instructor-workload.csv", WORKLOAD_CSV_HEADER, rows)
    page = paginate(request, trainers)
    rows = selectors.dashboard_rows(page)
    course = getattr(filterset.form, "cleaned_data", {}).get("course")
    return render(
        request,
        "allocation/dashboard.html",
        {
            "filter": filterset,
            "page": page,
            "rows": rows,
            "workloads": [row.workload for row in rows],
            "fill_batches": selectors.open_batches_by_fill(limit=FILL_CHART_SIZE, course=course),
            "fill_course": course,
            "coverage": selectors.mentor_coverage(),
            "stale_days": selectors.STALE_CONTACT_DAYS,
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
    if wants_csv(request):
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
        return csv_response("batches.csv", BATCH_CSV_HEADER, rows)
    return render(
        request,
        "allocation/batch_list.html",
        {"filter": filterset, "page": paginate(request, filterset.qs)},
    )


def _get_batch(pk: int) -> Batch:
    return get_object_or_404(
        Batch.objects.select_related("course", "assigned_instructor", "created_by"), pk=pk
    )


def _batch_detail_page(request, batch: Batch, note_form: BatchNoteForm | None = None):
    return render(
        request,
        "allocation/batch_detail.html",
        {
            "batch": batch,
            "slots": batch.schedule.all(),
            "staff": selectors.batch_current_staff(batch),
            "history": selectors.batch_staff_history(batch),
            "roster": selectors.batch_roster(batch),
            "notes": selectors.batch_notes(batch),
            "note_form": note_form or BatchNoteForm(),
        },
    )


@admin_required
@require_GET
def batch_detail(request, pk: int):
    return _batch_detail_page(request, _get_batch(pk))


@admin_required
@require_POST
def batch_note_add(request, pk: int):
    """Post to the batch's notes thread from the console batch page."""
    batch = _get_batch(pk)
    form = BatchNoteForm(request.POST)
    if form.is_valid():
        try:
            services.batch_note_add(
                batch=batch, author=request.user, body=form.cleaned_data["body"]
            )
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(request, f"Note added to {batch.batch_code}.")
            return redirect(f"{reverse('console:batch_detail', args=[batch.pk])}#notes")
    return _batch_detail_page(request, batch, note_form=form)


@admin_required
@require_http_methods(["GET", "POST"])
def batch_assign_instructor(request, pk: int):
    """Pick the batch's primary instructor among candidates shown with their workload: every
    instructor ranked, the best first, a page at a time, with how many would be refused and
    why."""
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
    # Every instructor is ranked and counted; the figures of a page of them are loaded.
    candidates = selectors.batch_candidates(batch)
    page = paginate(request, candidates)
    form.offer(sorted((c.trainer for c in candidates), key=lambda t: (t.full_name, t.email)))
    return render(
        request,
        "allocation/batch_assign_instructor.html",
        {
            "batch": batch,
            "form": form,
            "page": page,
            "candidates": selectors.candidates_with_workload(page),
            "eligible_count": sum(c.eligible for c in candidates),
            "refused_count": sum(not c.eligible for c in candidates),
            "refusals": selectors.refusal_counts(candidates),
        },
    )


def _batch_form_page(request, form: BatchForm, formset, batch: Batch | None = None):
    return render(
        request,
        "allocation/batch_form.html",
        {"form": form, "formset": formset, "batch": batch},
    )


def _show_batch_refusal(form: BatchForm, formset, exc: DomainError) -> None:
    """A refusal about the schedule (overlaps, conflicts, availability) goes above the slots,
    any other on the field it names, or above the form."""
    if exc.field == "schedule":
        formset.add_domain_error(exc)
    else:
        form.add_domain_error(exc)


def _slot_key(slot) -> tuple:
    return (slot.day, slot.start_time, slot.end_time)


@admin_required
@require_http_methods(["GET", "POST"])
def batch_create(request):
    """Create a batch with its weekly slots in one ``batch_create`` call."""
    form = BatchForm(request.POST or None)
    formset = ScheduleFormSet(request.POST or None, prefix="slots")
    # Both validated (not short-circuited), so every input error shows at once.
    if request.method == "POST" and all([form.is_valid(), formset.is_valid()]):
        slots = formset.slots()
        try:
            batch = services.batch_create(
                created_by=request.user, schedule=slots, **form.cleaned_data
            )
        except DomainError as exc:
            _show_batch_refusal(form, formset, exc)
        else:
            messages.success(
                request,
                f"Batch {batch.batch_code} created with {len(slots)} weekly "
                f"slot{'s' if len(slots) != 1 else ''}.",
            )
            return redirect("console:batch_detail", pk=batch.pk)
    return _batch_form_page(request, form, formset)


@admin_required
@require_http_methods(["GET", "POST"])
def batch_edit(request, pk: int):
    """Change a batch's fields and slots in one ``batch_update`` call: only the fields that
    changed, and the slots only when they changed (so renaming a batch re-checks nothing)."""
    batch = _get_batch(pk)
    current = sorted((Slot.of(s) for s in batch.schedule.all()), key=_slot_key)
    form = BatchForm(request.POST or None, batch=batch)
    # Posted rows are read without the initial slots: a row equal to its initial value would
    # otherwise count as an untouched extra row (and be dropped) if the client miscounted.
    initial = [{"day": s.day, "start_time": s.start_time, "end_time": s.end_time} for s in current]
    formset = ScheduleFormSet(
        request.POST or None, prefix="slots", initial=None if request.POST else initial
    )
    if request.method == "POST" and all([form.is_valid(), formset.is_valid()]):
        changes = form.changes()
        slots = sorted(formset.slots(), key=_slot_key)
        schedule = slots if slots != current else None
        if not changes and schedule is None:
            messages.info(request, f"Nothing to save: {batch.batch_code} is unchanged.")
            return redirect("console:batch_detail", pk=batch.pk)
        try:
            batch = services.batch_update(
                batch=batch, updated_by=request.user, schedule=schedule, **changes
            )
        except DomainError as exc:
            _show_batch_refusal(form, formset, exc)
        else:
            messages.success(request, f"Batch {batch.batch_code} saved.")
            return redirect("console:batch_detail", pk=batch.pk)
    return _batch_form_page(request, form, formset, batch=batch)


@admin_required
@require_GET
def batch_conflicts(request):
    """JSON for the batch form's live warning: the instructor's clashes with the slots over
    the dates (``instructor``, ``start_date``, ``end_date``, repeated ``slot=day,HH:MM,HH:MM``,
    optional ``exclude`` batch and ``status``). Bad input: 400 with ``{"error": ...}``."""
    query = BatchConflictQueryForm(request.GET)
    if not query.is_valid():
        return JsonResponse({"error": query.first_error()}, status=400)
    data = query.cleaned_data
    instructor = data["instructor"]
    if data["status"] and data["status"] not in OPEN_BATCH_STATUSES:
        conflicts = []  # Completed and Cancelled batches never conflict
    else:
        conflicts = eligibility.instructor_conflicts(
            instructor,
            data["slots"],
            (data["start_date"], data["end_date"]),
            exclude_batch=data["exclude"],
        )
    return JsonResponse(
        {
            "conflicts": [
                {
                    "batch_code": c.batch_code,
                    "batch_name": c.batch_name,
                    "slot": c.existing_slot,
                    "proposed": c.proposed_slot,
                    "message": c.describe(instructor),
                }
                for c in conflicts
            ]
        }
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
    if wants_csv(request):
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


# --- console: courses, rosters and staffing -------------------------------------------------


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
                "code",
                "title",
                "batches",
                "open batches",
                "enrolled",
                "capacity",
                "roster size",
                "roster workload %",
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
                f"{_name(entry.trainer)} joined the roster of {course.code} as "
                f"{entry.get_role_display().lower()} ({entry.workload_percent}%).",
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
                request, f"Roster entry of {_name(entry.trainer)} in {entry.course.code} saved."
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
            request, f"{_name(entry.trainer)} is no longer on the roster of {entry.course.code}."
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
        return f"{_name(trainer)} is now the primary of {batch.batch_code}."
    if action == STAFFING_REMOVE:
        services.batch_staff_remove(batch=batch, trainer=trainer, removed_by=by)
        return f"{_name(trainer)} no longer staffs {batch.batch_code}."
    row = services.batch_staff_add(batch=batch, trainer=trainer, role=action, added_by=by)
    return f"{_name(trainer)} is now {row.get_role_display().lower()} of {batch.batch_code}."


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
    batch = _get_batch(pk)
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
                f"{_name(lead)} supervises {batch.batch_code}."
                if lead
                else f"{batch.batch_code} has no supervising lead now.",
            )
            return redirect("console:course_staffing", pk=batch.course_id)
    course = _get_course(batch.course_id)
    return _staffing_page(request, course, lead_form=form, lead_batch=batch)


# --- console: leave and substitute cover ----------------------------------------------------


@admin_required
@require_http_methods(["GET", "POST"])
def leave_list(request):
    """Every recorded leave (CSV with ?format=csv); the form records one and opens its cover
    page."""
    filterset = LeaveFilter(
        request.GET if request.method == "GET" else None, queryset=selectors.leave_list()
    )
    if request.method == "GET" and wants_csv(request):
        return csv_response(
            "leave.csv",
            ("trainer", "email", "first day", "last day", "reason", "recorded by"),
            (
                (
                    _name(leave.trainer),
                    leave.trainer.email,
                    leave.start_date,
                    leave.end_date,
                    leave.reason,
                    _name(leave.created_by),
                )
                for leave in filterset.qs
            ),
        )
    form = LeaveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            leave = trainer_services.leave_record(created_by=request.user, **form.cleaned_data)
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(
                request,
                f"Leave of {_name(leave.trainer)} recorded; cover the sessions it hits below.",
            )
            return redirect("console:leave_detail", pk=leave.pk)
    return render(
        request,
        "allocation/leave_list.html",
        {
            "form": form,
            "filter": filterset,
            "page": paginate(request, filterset.qs),
            "today": dates.today(),
        },
    )


def _get_leave(pk: int) -> TrainerLeave:
    return get_object_or_404(TrainerLeave.objects.select_related("trainer", "created_by"), pk=pk)


@admin_required
@require_GET
def leave_detail(request, pk: int):
    """The sessions a leave hits, who covers them, and ranked candidates for the rest."""
    leave = _get_leave(pk)
    sessions = selectors.leave_affected_sessions(leave)
    return render(
        request,
        "allocation/leave_detail.html",
        {
            "leave": leave,
            "sessions": sessions,
            "uncovered_count": sum(not s.covered for s in sessions),
            "plan": selectors.leave_cover_plan(leave, sessions),
        },
    )


@admin_required
@require_POST
def cover_assign(request, pk: int):
    """Have a substitute cover the leave's sessions of one batch; back to the leave page."""
    leave = _get_leave(pk)
    form = CoverAssignForm(request.POST)
    if form.is_valid():
        try:
            cover = services.substitute_assign(
                absent_trainer=leave.trainer, assigned_by=request.user, **form.cleaned_data
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                f"{_name(cover.substitute)} covers {cover.batch.batch_code} for "
                f"{_name(leave.trainer)} from {cover.start_date:%Y-%m-%d} to "
                f"{cover.end_date:%Y-%m-%d}.",
            )
    else:
        messages.error(
            request, " ".join(error for errors in form.errors.values() for error in errors)
        )
    return redirect("console:leave_detail", pk=leave.pk)


# --- instructor pages ------------------------------------------------------------------------


@instructor_required
@require_GET
def instructor_dashboard(request):
    """The instructor's current batch roles (with who covers their absences), their
    substitute duties and a summary of their mentees."""
    mentees = selectors.mentoring_report(request.user)
    roles = list(selectors.instructor_batches(request.user))
    teaching = [
        r.batch for r in roles if r.role in TEACHING_ROLES and r.batch.status in OPEN_BATCH_STATUSES
    ]
    return render(
        request,
        "allocation/instructor_dashboard.html",
        {
            "roles": roles,
            "timetable": selectors.weekly_timetable(teaching),
            "covered": list(selectors.trainer_covered_absences(request.user)),
            "duties": selectors.trainer_covers(request.user),
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


def _batch_for_notes(user: User, pk: int) -> Batch:
    """The batch, if ``user`` may use its notes thread; 404 otherwise, so that outsiders
    learn nothing about it."""
    batch = get_object_or_404(Batch.objects.select_related("course"), pk=pk)
    if not selectors.can_use_batch_notes(user, batch):
        raise Http404("No notes thread of this batch is open to you")
    return batch


@instructor_required
@require_http_methods(["GET", "POST"])
def batch_notes(request, pk: int):
    """The batch's notes thread, for its trainers, leads and substitutes."""
    batch = _batch_for_notes(request.user, pk)
    form = BatchNoteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.batch_note_add(
                batch=batch, author=request.user, body=form.cleaned_data["body"]
            )
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(request, "Note posted.")
            return redirect("instructor:batch_notes", pk=batch.pk)
    return render(
        request,
        "allocation/batch_notes.html",
        {"batch": batch, "notes": selectors.batch_notes(batch), "form": form},
    )


@instructor_required
@require_http_methods(["GET", "POST"])
def availability(request):
    """The instructor's weekly availability windows; none at all means always available."""
    windows = list(selectors.trainer_availability(request.user))
    initial = [{"day": w.day, "start_time": w.start_time, "end_time": w.end_time} for w in windows]
    formset = AvailabilityFormSet(request.POST or None, initial=initial)
    if request.method == "POST" and formset.is_valid():
        try:
            saved = trainer_services.availability_set(
                trainer=request.user, windows=formset.windows()
            )
        except DomainError as exc:
            formset.add_domain_error(exc)
        else:
            messages.success(
                request,
                f"Availability saved: {len(saved)} weekly window{'s' if len(saved) != 1 else ''}."
                if saved
                else "Availability cleared: you are available at any time.",
            )
            return redirect("instructor:availability")
    return render(request, "allocation/availability.html", {"formset": formset, "windows": windows})
