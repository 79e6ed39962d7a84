"""The console's waitlist pages, mounted at ``/console/waitlists/`` (namespace ``waitlist``).

- ``list``: open batches with waiting students and how many (``?format=csv`` downloads it);
- ``batch``: one batch's waiting students in serving order, with move up/down and remove
  buttons, a form to add a student, and the latest promoted or removed entries with why
  (``?format=csv`` downloads the waiting list);
- ``add``, ``move``, ``remove``: POST-only actions on a batch's waitlist. ``move`` and
  ``remove`` name the entry in the form (``entry``), so every URL is about a batch; an entry
  of another batch is "not found".

Admins only. Each action calls one service of ``enrollments.services.waitlist``; a refusal is
shown as a form error (``add``, status 200) or a message (``move``, ``remove``).
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from accounts.access import admin_required
from allocation.models import Batch
from core.errors import DomainError
from core.web import csv_response, paginate, wants_csv
from enrollments import selectors, services
from enrollments.forms import WaitlistAddForm, WaitlistEntryForm, WaitlistFilter, student_label
from enrollments.models import WaitlistEntry
from enrollments.views.redirects import next_url


def _batch(pk: int) -> Batch:
    return get_object_or_404(Batch.objects.select_related("course", "assigned_instructor"), pk=pk)


LIST_CSV_HEADER = [
    "Batch",
    "Name",
    "Course",
    "Status",
    "Start",
    "Enrolled",
    "Capacity",
    "Waiting",
    "Waiting since",
]


@admin_required
@require_GET
def waitlist_list(request):
    """Open batches with waiting students, by course; filterable by course."""
    filterset = WaitlistFilter(request.GET, queryset=selectors.waitlist_batches())
    if wants_csv(request):
        rows = (
            [
                b.batch_code,
                b.batch_name,
                b.course.code,
                b.status,
                b.start_date.isoformat(),
                b.enrolled_students,
                b.capacity,
                b.waiting,
                b.waiting_since.date().isoformat(),
            ]
            for b in filterset.qs
        )
        return csv_response("waitlists.csv", LIST_CSV_HEADER, rows)
    return render(
        request,
        "enrollments/waitlist_list.html",
        {"filter": filterset, "page": paginate(request, filterset.qs)},
    )


BATCH_CSV_HEADER = ["Place", "Student", "Email", "Joined", "Type", "Source", "Enrolled elsewhere"]


def _render_batch(request, batch: Batch, form: WaitlistAddForm):
    entries = selectors.waitlist_waiting(batch)
    if wants_csv(request):
        rows = (
            [
                place,
                e.student.display_name,
                e.student.email,
                e.created_at.date().isoformat(),
                e.get_enrollment_type_display(),
                e.get_enrollment_source_display(),
                "yes" if e.enrolled_elsewhere else "",
            ]
            for place, e in enumerate(entries, start=1)
        )
        return csv_response(f"waitlist-{batch.batch_code}.csv", BATCH_CSV_HEADER, rows)
    return render(
        request,
        "enrollments/waitlist_batch.html",
        {
            "batch": batch,
            "entries": list(entries),
            "resolved": selectors.waitlist_resolved(batch),
            "form": form,
        },
    )


@admin_required
@require_GET
def waitlist_batch(request, pk: int):
    return _render_batch(request, _batch(pk), WaitlistAddForm())


def _back(request, batch: Batch):
    """``next`` when it points into this site, else the batch's waitlist page."""
    return HttpResponseRedirect(next_url(request, reverse("waitlist:batch", args=[batch.pk])))


@admin_required
@require_POST
def waitlist_add(request, pk: int):
    """Add a student to the batch's waitlist; the enroll page's "add to waitlist" posts here
    too (with ``next``)."""
    batch = _batch(pk)
    form = WaitlistAddForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            entry = services.waitlist_join(
                student=data["student"],
                batch=batch,
                enrollment_type=data["enrollment_type"],
                enrollment_source=data["enrollment_source"],
            )
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(
                request,
                gettext(
                    "%(student_label)s is on the waitlist of %(batch_code)s (number "
                    "%(waitlist_waiting)s)."
                )
                % {
                    "student_label": student_label(entry.student),
                    "batch_code": batch.batch_code,
                    "waitlist_waiting": selectors.waitlist_waiting(batch).count(),
                },
            )
            return redirect("waitlist:batch", pk=batch.pk)
    return _render_batch(request, batch, form)


def _entry(batch: Batch, form: WaitlistEntryForm) -> WaitlistEntry:
    return get_object_or_404(
        WaitlistEntry.objects.select_related("student"),
        pk=form.cleaned_data["entry"],
        batch=batch,
    )


@admin_required
@require_POST
def waitlist_move(request, pk: int):
    """Move a waiting student one place up or down, or to ``position``."""
    batch = _batch(pk)
    form = WaitlistEntryForm(request.POST)
    if not form.is_valid():
        messages.error(request, gettext("Choose a waiting student to move."))
        return _back(request, batch)
    entry = _entry(batch, form)
    try:
        services.waitlist_move(
            entry=entry,
            direction=form.cleaned_data["direction"] or None,
            position=form.cleaned_data["position"],
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            gettext("%(student)s moved on the waitlist.") % {"student": entry.student.display_name},
        )
    return _back(request, batch)


@admin_required
@require_POST
def waitlist_remove(request, pk: int):
    """Take a student off the batch's waitlist (kept as history, with who removed them)."""
    batch = _batch(pk)
    form = WaitlistEntryForm(request.POST)
    if not form.is_valid():
        messages.error(request, gettext("Choose a waiting student to remove."))
        return _back(request, batch)
    entry = _entry(batch, form)
    try:
        services.waitlist_remove(entry=entry, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            gettext("%(student)s is no longer waiting for %(batch_code)s.")
            % {"student": entry.student.display_name, "batch_code": batch.batch_code},
        )
    return _back(request, batch)
