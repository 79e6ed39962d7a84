"""The console's waitlist pages, mounted at ``/console/waitlists/`` (namespace ``waitlist``).

- ``list``: open batches with waiting students and how many (``?format=csv`` downloads it);
- ``batch``: one batch's waiting students in serving order, with move up/down and remove
  buttons, a form to add a student, and the latest promoted or removed entries with why
  (``?format=csv`` downloads the waiting list);
- ``add``, ``move``, ``remove``: POST-only actions on a batch's waitlist. ``move`` and
  ``remove`` name the entry in the form (``entry``), so every URL is about a batch; an entry
  of another batch is "not found".

Admins only. Each action calls one service of ``enrollments.waitlist``; a refusal is shown as
a form error (``add``, status 200) or a message (``move``, ``remove``).
"""

from __future__ import annotations

import django_filters
from django import forms
from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from accounts.access import admin_required
from allocation.models import Batch
from allocation.selectors import course_choices
from core.errors import DomainError
from core.forms import DomainErrorFormMixin
from core.web import csv_response, paginate, wants_csv
from core.widgets import LongSelect

from . import waitlist
from .forms import StudentChoiceField, student_label
from .models import EnrollmentSource, EnrollmentType, WaitlistEntry

# --- forms -----------------------------------------------------------------------------------


class WaitlistFilter(django_filters.FilterSet):
    """Filters ``waitlist.waitlist_batches()`` on the list page."""

    course = django_filters.ModelChoiceFilter(
        label="Course",
        queryset=course_choices(),
        empty_label="Any course",
        widget=LongSelect,
    )

    class Meta:
        model = Batch
        fields = []


class WaitlistAddForm(DomainErrorFormMixin, forms.Form):
    """Put a student on this batch's waitlist."""

    student = StudentChoiceField()
    enrollment_type = forms.ChoiceField(
        label="Type",
        # An individual enrollment takes no seat, so it never waits for one.
        choices=[c for c in EnrollmentType.choices if c[0] != EnrollmentType.INDIVIDUAL],
        initial=EnrollmentType.BATCH,
    )
    enrollment_source = forms.ChoiceField(
        label="Source", choices=EnrollmentSource.choices, initial=EnrollmentSource.ADMIN
    )


class WaitlistEntryForm(forms.Form):
    """Which waiting entry of the batch to move or remove, and how to move it."""

    entry = forms.IntegerField(min_value=1, max_value=2**31 - 1)
    direction = forms.ChoiceField(choices=[("up", "Up"), ("down", "Down")], required=False)
    position = forms.IntegerField(min_value=1, max_value=2**31 - 1, required=False)


# --- pages -----------------------------------------------------------------------------------


def _name(user) -> str:
    return user.display_name


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
    filterset = WaitlistFilter(request.GET, queryset=waitlist.waitlist_batches())
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
    entries = waitlist.waitlist_waiting(batch)
    if wants_csv(request):
        rows = (
            [
                place,
                _name(e.student),
                e.student.email,
                e.created_at.date().isoformat(),
                e.enrollment_type,
                e.enrollment_source,
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
            "resolved": waitlist.waitlist_resolved(batch),
            "form": form,
        },
    )


@admin_required
@require_GET
def waitlist_batch(request, pk: int):
    return _render_batch(request, _batch(pk), WaitlistAddForm())


def _back(request, batch: Batch):
    """``next`` when it points into this site, else the batch's waitlist page."""
    target = request.POST.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        # Not redirect(): it would look a bare word ("next=abc") up as a URL name and fail.
        return HttpResponseRedirect(target)
    return redirect("waitlist:batch", pk=batch.pk)


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
            entry = waitlist.waitlist_join(
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
                f"{student_label(entry.student)} is on the waitlist of {batch.batch_code} "
                f"(number {waitlist.waitlist_waiting(batch).count()}).",
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
        messages.error(request, "Choose a waiting student to move.")
        return _back(request, batch)
    entry = _entry(batch, form)
    try:
        waitlist.waitlist_move(
            entry=entry,
            direction=form.cleaned_data["direction"] or None,
            position=form.cleaned_data["position"],
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{_name(entry.student)} moved on the waitlist.")
    return _back(request, batch)


@admin_required
@require_POST
def waitlist_remove(request, pk: int):
    """Take a student off the batch's waitlist (kept as history, with who removed them)."""
    batch = _batch(pk)
    form = WaitlistEntryForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a waiting student to remove.")
        return _back(request, batch)
    entry = _entry(batch, form)
    try:
        waitlist.waitlist_remove(entry=entry, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, f"{_name(entry.student)} is no longer waiting for {batch.batch_code}."
        )
    return _back(request, batch)


urlpatterns = [
    path("", waitlist_list, name="list"),
    path("<int:pk>/", waitlist_batch, name="batch"),
    path("<int:pk>/add/", waitlist_add, name="add"),
    path("<int:pk>/move/", waitlist_move, name="move"),
    path("<int:pk>/remove/", waitlist_remove, name="remove"),
]
