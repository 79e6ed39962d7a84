"""Console: the batch list and a batch's page, form, instructor, notes and conflicts.

Each view checks access with a decorator, fetches what it works on, parses a form and calls
one service or selector; a service's refusal (``DomainError``) is shown on the form and the
page re-renders with status 200. The rules themselves live in ``services``, ``selectors``
and ``eligibility``.
"""

from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import admin_required
from allocation import eligibility, selectors, services
from allocation.alternatives import clash_alternatives
from allocation.feedback import kept_sessions_warning, no_slots_warning, saved_message
from allocation.filters import BatchFilter
from allocation.forms import (
    BatchAssignInstructorForm,
    BatchConflictQueryForm,
    BatchForm,
    BatchNoteForm,
    ScheduleFormSet,
)
from allocation.models import OPEN_BATCH_STATUSES, Batch
from allocation.services import Slot
from core.errors import DomainError
from core.web import csv_response, paginate, wants_csv

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
                b.assigned_instructor.display_name,
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


def get_batch(pk: int) -> Batch:
    """The batch with its course, instructor and creator, or 404."""
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
    return _batch_detail_page(request, get_batch(pk))


@admin_required
@require_POST
def batch_note_add(request, pk: int):
    """Post to the batch's notes thread from the console batch page."""
    batch = get_batch(pk)
    form = BatchNoteForm(request.POST)
    if form.is_valid():
        try:
            services.batch_note_add(
                batch=batch, author=request.user, body=form.cleaned_data["body"]
            )
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(
                request, gettext("Note added to %(batch_code)s.") % {"batch_code": batch.batch_code}
            )
            return redirect(f"{reverse('console:batch_detail', args=[batch.pk])}#notes")
    return _batch_detail_page(request, batch, note_form=form)


@admin_required
@require_http_methods(["GET", "POST"])
def batch_assign_instructor(request, pk: int):
    """Pick the batch's primary instructor among candidates shown with their workload: every
    instructor ranked, the best first, a page at a time, with how many would be refused and
    why."""
    batch = get_batch(pk)
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
                request,
                gettext("%(instructor)s is now the instructor of %(batch_code)s.")
                % {"instructor": instructor.display_name, "batch_code": batch.batch_code},
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
                ngettext(
                    "Batch %(batch_code)s created with %(count)s weekly slot.",
                    "Batch %(batch_code)s created with %(count)s weekly slots.",
                    len(slots),
                )
                % {"batch_code": batch.batch_code, "count": len(slots)},
            )
            if not slots:
                messages.warning(request, no_slots_warning(batch))
            return redirect("console:batch_detail", pk=batch.pk)
    return _batch_form_page(request, form, formset)


@admin_required
@require_http_methods(["GET", "POST"])
def batch_edit(request, pk: int):
    """Change a batch's fields and slots in one ``batch_update`` call: only the fields that
    changed, and the slots only when they changed (so renaming a batch re-checks nothing)."""
    batch = get_batch(pk)
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
            messages.info(
                request,
                gettext("Nothing to save: %(batch_code)s is unchanged.")
                % {"batch_code": batch.batch_code},
            )
            return redirect("console:batch_detail", pk=batch.pk)
        try:
            batch = services.batch_update(
                batch=batch, updated_by=request.user, schedule=schedule, **changes
            )
        except DomainError as exc:
            _show_batch_refusal(form, formset, exc)
        else:
            messages.success(request, saved_message(batch))
            if not slots:
                messages.warning(request, no_slots_warning(batch))
            kept = kept_sessions_warning(batch)
            if kept:
                messages.warning(request, kept)
            return redirect("console:batch_detail", pk=batch.pk)
    return _batch_form_page(request, form, formset, batch=batch)


@admin_required
@require_GET
def batch_conflicts(request):
    """JSON for the batch form's live warning: the instructor's clashes with the slots over
    the dates (``instructor``, ``start_date``, ``end_date``, repeated ``slot=day,HH:MM,HH:MM``,
    optional ``exclude`` batch, ``status`` and ``time_zone``), each clash a dated session;
    with a clash, up to five ``alternatives`` (``alternatives.clash_alternatives``: other
    times or instructors that saving would accept), which the form applies in one click.
    Bad input: 400 with ``{"error": ...}``."""
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
            time_zone=data["time_zone"] or None,
        )
    answer = {}
    if conflicts:
        proposal = (
            Batch.objects.get(pk=data["exclude"].pk) if data["exclude"] is not None else Batch()
        )
        proposal.start_date, proposal.end_date = data["start_date"], data["end_date"]
        if data["time_zone"]:
            proposal.time_zone = data["time_zone"]
        answer["alternatives"] = [
            a.as_console_dict() for a in clash_alternatives(proposal, data["slots"], instructor)
        ]
    return JsonResponse(
        {
            **answer,
            "conflicts": [
                {
                    "batch_code": c.batch_code,
                    "batch_name": c.batch_name,
                    "slot": c.existing_slot,
                    "proposed": c.proposed_slot,
                    "message": c.describe(instructor),
                }
                for c in conflicts
            ],
        }
    )
